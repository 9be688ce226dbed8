//! The runtime commands: one [`CommandSpec`] per command HAProxy 2.6 registers, in HAProxy's
//! registration order (it decides which of equally close commands are suggested), each with its
//! handler. Lookup, the `help` text and the "Unknown command" suggestions are generated from the
//! table exactly as `cli_find_kw` and `cli_gen_usage_msg` do. One file per family.

pub mod dynamic;
pub mod events;
pub mod misc;
pub mod proxy;
pub mod server;
pub mod session;
pub mod table;
pub mod views;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;

/// A session's access level (`ACCESS_LVL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User = 1,
    Operator = 2,
    Admin = 3,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// Who may see and run a command beyond the plain level check its handler does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Normal,
    /// Listed and runnable only after `expert-mode on`.
    Expert,
    /// Listed and runnable only after `experimental-mode on`.
    Experimental,
}

/// Whether haproxide implements the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Supported,
    /// Recognised, listed in `help`, answered with a "not supported yet" message.
    NotYet,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Supported => "supported",
            Status::NotYet => "not-yet",
        }
    }
}

/// `set severity-output`: how messages and errors are prefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    None,
    Number,
    String,
}

/// Syslog severities used by CLI messages.
pub const LOG_ERR: u8 = 3;
pub const LOG_WARNING: u8 = 4;
pub const LOG_NOTICE: u8 = 5;
pub const LOG_INFO: u8 = 6;

const LOG_LEVELS: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// One connection's CLI state (`appctx->cli_level`, `st1` flags, severity, timeout).
#[derive(Debug, Clone)]
pub struct Session {
    pub level: Level,
    pub expert: bool,
    pub experimental: bool,
    /// Interactive mode (`prompt`).
    pub prompt: bool,
    pub severity: Severity,
    /// Idle time after which the connection is closed.
    pub timeout: Duration,
    /// Close after this command (`quit`).
    pub quit: bool,
    /// No terminator after this command's output (`user -`, `operator -`).
    pub nolf: bool,
}

impl Session {
    pub fn new(level: Level, severity: Severity, timeout: Duration) -> Session {
        Session {
            level,
            expert: false,
            experimental: false,
            prompt: false,
            severity,
            timeout,
            quit: false,
            nolf: false,
        }
    }
}

/// A stats socket as `show cli sockets` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketInfo {
    /// `unix@/path`, `ipv4@1.2.3.4:9999`, `ipv6@[::1]:9999`.
    pub name: String,
    pub level: Level,
}

/// What a handler sees.
pub struct Ctx<'a> {
    pub eng: &'a Arc<Engine>,
    pub sess: &'a mut Session,
    pub shared: &'a super::Shared,
}

/// The words of a request; missing words read as empty, as HAProxy's unused `args[]` slots do.
pub struct Args<'a> {
    pub words: &'a [Vec<u8>],
    pub payload: Option<&'a [u8]>,
}

impl Args<'_> {
    pub fn get(&self, i: usize) -> &[u8] {
        self.words.get(i).map(|w| w.as_slice()).unwrap_or(b"")
    }
    pub fn str(&self, i: usize) -> Cow<'_, str> {
        String::from_utf8_lossy(self.get(i))
    }
    pub fn has(&self, i: usize) -> bool {
        !self.get(i).is_empty()
    }
    pub fn is(&self, i: usize, w: &str) -> bool {
        self.get(i) == w.as_bytes()
    }
}

/// A command's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Nothing but the terminator.
    Nothing,
    /// A message at a syslog severity (`cli_msg`): prefixed when `set severity-output` asks.
    Msg(u8, Vec<u8>),
    /// An error (`cli_err`), severity LOG_ERR.
    Err(Vec<u8>),
    /// Data written straight to the output (dumps): never prefixed.
    Raw(Vec<u8>),
}

impl Out {
    pub fn msg(sev: u8, s: impl Into<String>) -> Out {
        Out::Msg(sev, s.into().into_bytes())
    }
    pub fn info(s: impl Into<String>) -> Out {
        Out::msg(LOG_INFO, s)
    }
    pub fn err(s: impl Into<String>) -> Out {
        Out::Err(s.into().into_bytes())
    }
    pub fn raw(s: impl Into<String>) -> Out {
        Out::Raw(s.into().into_bytes())
    }

    /// The bytes to send for this reply under a session's severity setting.
    pub fn render(self, sev_out: Severity) -> Vec<u8> {
        let (sev, body) = match self {
            Out::Nothing => return Vec::new(),
            Out::Raw(b) => return b,
            Out::Msg(s, b) => (s, b),
            Out::Err(b) => (LOG_ERR, b),
        };
        let mut out = match sev_out {
            Severity::None => return body,
            Severity::Number => format!("[{sev}]: ").into_bytes(),
            Severity::String => format!("[{}]: ", LOG_LEVELS[usize::from(sev.min(7))]).into_bytes(),
        };
        out.extend_from_slice(&body);
        out
    }
}

pub const PERMISSION_DENIED: &str = "Permission denied\n";

/// `cli_has_level`: None when allowed, else the "Permission denied" reply.
pub fn need(ctx: &Ctx, level: Level) -> Option<Out> {
    (ctx.sess.level < level).then(|| Out::err(PERMISSION_DENIED))
}

/// Return early from a handler with the "Permission denied" reply.
#[macro_export]
macro_rules! need_level {
    ($ctx:expr, $lvl:ident) => {
        if let Some(o) = $crate::runtime_api::commands::need($ctx, $crate::runtime_api::commands::Level::$lvl) {
            return o;
        }
    };
}

pub type Handler = fn(&mut Ctx<'_>, &Args<'_>) -> Out;

/// One runtime command, as HAProxy registers it.
pub struct CommandSpec {
    /// The leading words that select the command (`str_kw`).
    pub words: &'static [&'static str],
    /// The `help` line; None for commands HAProxy does not list.
    pub usage: Option<&'static str>,
    pub access: Access,
    /// The lowest level that may run it (what the handler checks; documentation for cli.tsv).
    pub level: Level,
    pub status: Status,
    pub run: Handler,
}

mod table_def;
pub use table_def::COMMANDS;

/// `cli_find_kw`: the first command (in registration order) whose words all match the leading
/// words of the request.
pub fn find(words: &[Vec<u8>]) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| {
        c.words.iter().enumerate().all(|(i, w)| words.get(i).map(|x| x.as_slice()).unwrap_or(b"") == w.as_bytes())
    })
}

fn visible(c: &CommandSpec, s: &Session) -> bool {
    match c.access {
        Access::Normal => true,
        Access::Expert => s.expert,
        Access::Experimental => s.experimental,
    }
}

/// HAProxy's word fingerprint (`update_word_fingerprint`): counts of letter-class transitions,
/// with begin and end markers, in byte-sized cells, plus a row marking the classes present.
fn fingerprint(sig: &mut [u8; 1024], word: &[u8]) {
    let class = |c: u8| -> usize {
        match c.to_ascii_lowercase() {
            c @ b'a'..=b'z' => usize::from(c - b'a') + 1,
            b'0'..=b'9' => 27,
            _ => 28,
        }
    };
    let mut from = 28;
    for &c in word {
        let to = class(c);
        // Row 0 marks which classes appear at all.
        sig[to] = 1;
        sig[32 * from + to] = sig[32 * from + to].wrapping_add(1);
        from = to;
    }
    sig[32 * from + 28] = sig[32 * from + 28].wrapping_add(1);
}

fn distance(a: &[u8; 1024], b: &[u8; 1024]) -> i64 {
    a.iter().zip(b.iter()).map(|(x, y)| (i64::from(*x) - i64::from(*y)).abs()).sum()
}

/// Words compared against a command's: at most `CLI_PREFIX_KW_NB` (5).
const PREFIX_KW_NB: usize = 5;
/// Fuzzy matches kept (`CLI_MAX_MATCHES`).
const MAX_MATCHES: usize = 5;

/// `cli_gen_usage_msg`: the `help` reply (when `args[0]` is `help`) or the "Unknown command"
/// reply with the commands matching the leading words, or the closest ones.
pub fn usage(sess: &Session, args: &[Vec<u8>]) -> String {
    let visible: Vec<(&[&str], Option<&str>)> =
        COMMANDS.iter().filter(|c| visible(c, sess)).map(|c| (c.words, c.usage)).collect();
    usage_in(&visible, args)
}

/// [`usage`] over any command list (words and `help` line, in registration order): the master
/// CLI has its own commands but builds its replies the same way.
pub fn usage_in(cmds: &[(&[&str], Option<&str>)], args: &[Vec<u8>]) -> String {
    let mut args = args;
    let ishelp = args.first().is_some_and(|a| a == b"help");
    if ishelp {
        args = &args[1..];
    }
    let arg = |i: usize| -> &[u8] { args.get(i).map(|a| a.as_slice()).unwrap_or(b"") };
    // How many leading words match some visible command exactly.
    let mut length = 0;
    for (words, _) in cmds {
        for (idx, w) in words.iter().enumerate().take(PREFIX_KW_NB) {
            if arg(idx).is_empty() || arg(idx) != w.as_bytes() {
                break;
            }
            length = length.max(idx + 1);
        }
    }
    let mut out = String::new();
    if ishelp {
        out.push_str("The following commands are valid at this level:\n");
    } else if length == 0 && arg(0).is_empty() {
        out.push_str("Unknown command. Please enter one of the following commands only:\n");
    } else {
        out.push_str("Unknown command, but maybe one of the following ones is a better match:\n");
    }
    let prefix_matches = |words: &[&str]| -> bool {
        (0..length).all(|idx| match words.get(idx) {
            Some(w) => !arg(idx).is_empty() && arg(idx) == w.as_bytes(),
            None => false,
        })
    };
    let mut matches: Vec<(usize, i64)> = Vec::new();
    if !arg(length).is_empty() {
        let mut word_sig = [0u8; 1024];
        let mut qlen = 0i64;
        for i in length..PREFIX_KW_NB {
            if arg(i).is_empty() {
                break;
            }
            fingerprint(&mut word_sig, arg(i));
            qlen += arg(i).len() as i64;
        }
        for (ci, (words, usage)) in cmds.iter().enumerate() {
            if usage.is_none() || !prefix_matches(words) || words.len() < length {
                continue;
            }
            let mut list_sig = [0u8; 1024];
            let mut totlen = qlen;
            for w in words.iter().take(PREFIX_KW_NB).skip(length) {
                fingerprint(&mut list_sig, w.as_bytes());
                totlen += w.len() as i64;
            }
            let dist = distance(&word_sig, &list_sig);
            let worst = if matches.len() < MAX_MATCHES { i64::MAX } else { matches[MAX_MATCHES - 1].1 };
            if dist < 5 * totlen / 2 && dist < worst {
                let pos = matches.iter().position(|m| m.1 > dist).unwrap_or(matches.len());
                matches.insert(pos, (ci, dist));
                matches.truncate(MAX_MATCHES);
            }
        }
    }
    let mut entries: Vec<&str> = Vec::new();
    if let Some(&(_, best)) = matches.first() {
        for &(ci, d) in &matches {
            if d > 5 * best / 2 {
                break;
            }
            entries.extend(cmds[ci].1);
        }
    } else {
        for (words, usage) in cmds {
            if prefix_matches(words) {
                entries.extend(*usage);
            }
        }
    }
    entries.sort_unstable();
    for e in entries {
        out.push_str("  ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(
        "  help [<command>]                        : list matching or all commands\n  \
         prompt                                  : toggle interactive mode with prompt\n  \
         quit                                    : disconnect\n",
    );
    out
}

/// Run one request's words (the whole `cli_parse_request` after splitting).
pub fn dispatch(ctx: &mut Ctx, words: &[Vec<u8>], payload: Option<&[u8]>) -> Out {
    let Some(cmd) = find(words) else {
        return Out::info(usage(ctx.sess, words));
    };
    match cmd.access {
        Access::Expert if !ctx.sess.expert => return Out::err("This command is restricted to expert mode only.\n"),
        Access::Experimental if !ctx.sess.experimental => {
            return Out::err("This command is restricted to experimental mode only.\n")
        }
        _ => {}
    }
    let args = Args { words, payload };
    (cmd.run)(ctx, &args)
}

/// The reply of a command haproxide recognises but does not implement yet.
pub fn not_yet(_ctx: &mut Ctx, args: &Args) -> Out {
    let name = find(args.words).map(|c| c.words.join(" ")).unwrap_or_default();
    Out::err(format!("'{name}' is not supported yet by haproxide.\n"))
}

/// `grammar/cli.tsv`, generated from [`COMMANDS`]: one line per command.
pub fn cli_tsv() -> String {
    let mut out = String::from(
        "# Every runtime command HAProxy 2.6.12 registers, in its registration order, as haproxide's\n\
         # command table lists them. Generated by `UPDATE_CLI_TSV=1 cargo test cli_tsv`; a test keeps\n\
         # it in step with src/runtime_api/commands.\n\
         # words\taccess\tlevel\tstatus\tusage\n",
    );
    for c in COMMANDS.iter() {
        let access = match c.access {
            Access::Normal => "normal",
            Access::Expert => "expert",
            Access::Experimental => "experimental",
        };
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            c.words.join(" "),
            access,
            c.level.name(),
            c.status.name(),
            c.usage.unwrap_or("-")
        ));
    }
    out
}

#[cfg(test)]
mod tests;

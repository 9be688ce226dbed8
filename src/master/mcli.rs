//! The master CLI's request logic, with no I/O: the `@` prefixes that pick the process a
//! request goes to, the commands the master answers itself (HAProxy 2.6's master command list),
//! the session state (prompt, default target, level) and the bytes each reply ends with.

use super::table::{ProcTable, Target};
use crate::runtime_api::commands::usage_in;
use crate::runtime_api::framing::split_words;

/// A session's level; the master CLI starts at admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User,
    Operator,
    Admin,
}

/// One master CLI connection's state.
#[derive(Debug, Clone)]
pub struct Session {
    pub prompt: bool,
    /// Where requests without a prefix go (`@1` alone on a line changes it).
    pub target: Target,
    pub level: Level,
}

impl Default for Session {
    fn default() -> Self {
        Session { prompt: false, target: Target::Master, level: Level::Admin }
    }
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes (the reply with its terminator, or the prompt).
    Write(Vec<u8>),
    /// Send `request` (a line, level prefix included) to the worker's socket; write its reply,
    /// then `after` (the prompt in interactive mode).
    Forward { pid: u32, request: Vec<u8>, after: Vec<u8> },
    /// Write these bytes, then close the connection.
    WriteAndClose(Vec<u8>),
    /// Close the connection and reload (HAProxy's master re-executes itself: no reply).
    Reload,
}

/// The master's commands in HAProxy 2.6.12's registration order (cli.c, then haproxy.c, then
/// mworker.c), with their `help` lines. The order only matters when equally close commands
/// compete for the five suggestions of an "Unknown command" reply.
#[rustfmt::skip]
const COMMANDS: &[(&[&str], Option<&str>)] = &[
    (&["help"], None),
    (&["prompt"], None),
    (&["quit"], None),
    (&["expert-mode"], None),
    (&["experimental-mode"], None),
    (&["mcli-debug-mode"], None),
    (&["show", "cli", "sockets"], Some("show cli sockets                        : dump list of cli sockets")),
    (&["show", "cli", "level"], Some("show cli level                          : display the level of the current CLI session")),
    (&["operator"], Some("operator                                : lower the level of the current CLI session to operator")),
    (&["user"], Some("user                                    : lower the level of the current CLI session to user")),
    (&["show", "version"], Some("show version                            : show version of the current process")),
    (&["@<relative pid>"], Some("@<relative pid>                         : send a command to the <relative pid> process")),
    (&["@!<pid>"], Some("@!<pid>                                 : send a command to the <pid> process")),
    (&["@master"], Some("@master                                 : send a command to the master process")),
    (&["show", "proc"], Some("show proc                               : show processes status")),
    (&["reload"], Some("reload                                  : reload haproxy")),
    (&["_loadstatus"], None),
];

impl Session {
    /// The prompt in interactive mode: `master> ` or `<pid>> `.
    fn prompt_text(&self) -> String {
        match self.target {
            Target::Master => "master> ".to_string(),
            Target::Worker(pid) => format!("{pid}> "),
        }
    }

    /// What follows a reply: an empty line, and the prompt in interactive mode.
    fn end(&self) -> Vec<u8> {
        let mut v = b"\n".to_vec();
        if self.prompt {
            v.extend_from_slice(self.prompt_text().as_bytes());
        }
        v
    }

    fn prompt_only(&self) -> Vec<u8> {
        if self.prompt {
            self.prompt_text().into_bytes()
        } else {
            Vec::new()
        }
    }

    /// Handle one request line. `now` is for `show proc`'s uptimes.
    pub fn step(&mut self, line: &[u8], table: &ProcTable, now: u64) -> Action {
        let trimmed = trim_start(line);
        let (target, rest) = if trimmed.first() == Some(&b'@') {
            let end = trimmed.iter().position(|b| matches!(b, b' ' | b'\t')).unwrap_or(trimmed.len());
            let prefix = String::from_utf8_lossy(&trimmed[..end]).into_owned();
            let Some(t) = table.resolve(&prefix) else {
                let msg = format!("Can't find the target PID matching the prefix '{prefix}'\n").into_bytes();
                if self.prompt {
                    let mut m = msg;
                    m.extend(self.prompt_only());
                    return Action::Write(m);
                }
                return Action::WriteAndClose(msg);
            };
            let rest = trim_start(&trimmed[end..]);
            if rest.is_empty() {
                self.target = t;
                return Action::Write(self.prompt_only());
            }
            (t, rest)
        } else {
            (self.target, trimmed)
        };
        match target {
            Target::Worker(pid) => {
                let mut request = match self.level {
                    Level::Admin => Vec::new(),
                    Level::Operator => b"operator -;".to_vec(),
                    Level::User => b"user -;".to_vec(),
                };
                request.extend_from_slice(rest);
                request.push(b'\n');
                Action::Forward { pid, request, after: self.prompt_only() }
            }
            Target::Master => self.master_command(rest, table, now),
        }
    }

    fn master_command(&mut self, line: &[u8], table: &ProcTable, now: u64) -> Action {
        let words = split_words(line);
        let w = |i: usize| words.get(i).map(|w| w.as_slice()).unwrap_or(b"");
        let reply = |s: &Session, text: String| {
            let mut v = text.into_bytes();
            v.extend(s.end());
            Action::Write(v)
        };
        match (w(0), w(1), w(2)) {
            (b"", _, _) => Action::Write(self.end()),
            // HAProxy shows one more prompt before it closes.
            (b"quit", _, _) => Action::WriteAndClose(self.prompt_only()),
            (b"prompt", _, _) => {
                self.prompt = !self.prompt;
                Action::Write(self.prompt_only())
            }
            (b"reload", _, _) => Action::Reload,
            (b"show", b"proc", _) => reply(self, table.show_proc(now)),
            (b"show", b"version", _) => reply(self, format!("{}\n", table.version)),
            (b"show", b"cli", b"level") => {
                let name = match self.level {
                    Level::Admin => "admin",
                    Level::Operator => "operator",
                    Level::User => "user",
                };
                reply(self, format!("{name}\n"))
            }
            // HAProxy 2.6's master lists no socket of its own here: the reply is empty.
            (b"show", b"cli", b"sockets") => reply(self, String::new()),
            (b"operator" | b"user", _, _) => {
                let want = if w(0) == b"operator" { Level::Operator } else { Level::User };
                self.level = self.level.min(want);
                Action::Write(self.prompt_only())
            }
            _ => reply(self, usage_in(COMMANDS, &words)),
        }
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    &b[n..]
}

#[cfg(test)]
#[path = "mcli_tests.rs"]
mod tests;

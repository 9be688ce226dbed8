//! The `global` section: process settings, logging, the stats sockets, and tuning knobs.

use crate::config::ast::Directive;
use crate::ir::addr::{self, AddrOpts};
use crate::ir::types::{Bind, BindOpts, CliLevel, Global, LogTarget};
use crate::ir::values::{self, TimeError};

use super::{Reporter, Status};

type Handler = fn(&mut Reporter, &mut Global, &Directive);

pub struct Keyword {
    pub name: &'static str,
    pub status: Status,
    pub handler: Handler,
}

const fn kw(name: &'static str, status: Status, handler: Handler) -> Keyword {
    Keyword { name, status, handler }
}

use Status::{Ignored, Rejected, Supported};

/// Every `global` keyword we know.
pub const KEYWORDS: &[Keyword] = &[
    kw("daemon", Supported, |r, g, d| {
        if no_args(r, d) {
            g.daemon = true;
        }
    }),
    kw("master-worker", Rejected, |r, g, d| {
        if d.len() > 2 || (d.len() == 2 && d.arg(1) != "no-exit-on-failure") {
            r.alert(d, "'master-worker' only supports 'no-exit-on-failure' option");
        } else {
            g.master_worker = true;
        }
    }),
    kw("quiet", Supported, |r, g, d| {
        if no_args(r, d) {
            g.quiet = true;
        }
    }),
    kw("zero-warning", Supported, |r, g, d| {
        if no_args(r, d) {
            g.zero_warning = true;
        }
    }),
    kw("nbproc", Supported, |r, _, d| {
        r.alert(d, "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.");
    }),
    kw("nbthread", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        match values::strict_int(d.arg(1)) {
            None => r.alert(d, format!("'nbthread' passed a missing or unparsable integer value in '{}'", d.arg(1))),
            Some(n) if !(1..=64).contains(&n) => {
                r.alert(d, format!("'nbthread' value must be between 1 and 64 (was {n})"))
            }
            Some(n) => g.nbthread = Some(n as u32),
        }
    }),
    kw("maxconn", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'maxconn' expects an integer argument.");
            return;
        }
        g.maxconn = Some(values::atoi(d.arg(1)).max(0) as u32);
    }),
    kw("pidfile", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'pidfile' expects a file name as an argument.");
            return;
        }
        g.pidfile = Some(d.arg(1).to_string());
    }),
    kw("user", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        match nix::unistd::User::from_name(d.arg(1)) {
            Ok(Some(u)) => {
                g.user = Some(d.arg(1).to_string());
                g.uid = Some(u.uid.as_raw());
            }
            _ => r.alert(d, format!("cannot find user id for '{}' (0:Success)", d.arg(1))),
        }
    }),
    kw("group", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        match nix::unistd::Group::from_name(d.arg(1)) {
            Ok(Some(gr)) => {
                g.group = Some(d.arg(1).to_string());
                g.gid = Some(gr.gid.as_raw());
            }
            _ => r.alert(d, format!("cannot find group id for '{}' (0:Success)", d.arg(1))),
        }
    }),
    kw("uid", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        match values::strict_int(d.arg(1)) {
            Some(n) => g.uid = Some(n as u32),
            None => r.warning(d, format!(" uid: string '{}' is not a number.", d.arg(1))),
        }
    }),
    kw("gid", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        match values::strict_int(d.arg(1)) {
            Some(n) => g.gid = Some(n as u32),
            None => r.warning(d, format!(" gid: string '{}' is not a number.", d.arg(1))),
        }
    }),
    kw("chroot", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'chroot' expects a directory as an argument.");
            return;
        }
        g.chroot = Some(d.arg(1).to_string());
    }),
    kw("log", Supported, |r, g, d| {
        if let Some(t) = parse_log(r, d) {
            g.log.push(t);
        }
    }),
    kw("log-tag", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'log-tag' expects a tag for use in syslog.");
            return;
        }
        g.log_tag = Some(d.arg(1).to_string());
    }),
    kw("log-send-hostname", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        g.log_send_hostname = Some(if d.has_arg(1) {
            d.arg(1).to_string()
        } else {
            nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default()
        });
    }),
    kw("node", Supported, |r, g, d| {
        let ok = d.has_arg(1) && d.arg(1).chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !ok {
            r.push(crate::config::diag::Diagnostic::new(
                crate::config::diag::Severity::Alert,
                crate::config::diag::Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line },
                "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).",
            ));
            return;
        }
        g.node = Some(d.arg(1).to_string());
    }),
    kw("description", Supported, |r, g, d| {
        if !d.has_arg(1) {
            r.alert(d, "'description' expects a string argument.");
            return;
        }
        g.description = Some(d.args_from(1).collect::<Vec<_>>().join(" "));
    }),
    kw("stats", Supported, stats),
    kw("server-state-file", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'server-state-file' expects a path to a file as an argument.");
            return;
        }
        g.server_state_file = Some(d.arg(1).to_string());
    }),
    kw("server-state-base", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        if !d.has_arg(1) {
            r.alert(d, "'server-state-base' expects a directory as an argument.");
            return;
        }
        g.server_state_base = Some(d.arg(1).to_string());
    }),
    kw("hard-stop-after", Rejected, |r, g, d| {
        if !d.has_arg(1) {
            r.alert(d, "'hard-stop-after' expects <time> as argument.");
            return;
        }
        match values::parse_ms(d.arg(1)) {
            Ok(v) => g.hard_stop_after = Some(v),
            Err(e) => r.alert(d, time_error("hard-stop-after", d.arg(1), &e)),
        }
    }),
    kw("spread-checks", Supported, |r, g, d| {
        if too_many(r, d, 1) {
            return;
        }
        let v = values::atoi(d.arg(1));
        if !(0..=50).contains(&v) {
            r.push(crate::config::diag::Diagnostic::new(
                crate::config::diag::Severity::Alert,
                crate::config::diag::Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line },
                "'spread-checks' needs a positive value in range 0..50.",
            ));
            return;
        }
        g.spread_checks = Some(v as u32);
    }),
    kw("ca-base", Ignored, |r, g, d| {
        if d.has_arg(1) {
            g.ca_base = Some(d.arg(1).to_string());
        } else {
            r.alert(d, "'ca-base' expects a directory path as an argument.");
        }
    }),
    kw("crt-base", Ignored, |r, g, d| {
        if d.has_arg(1) {
            g.crt_base = Some(d.arg(1).to_string());
        } else {
            r.alert(d, "'crt-base' expects a directory path as an argument.");
        }
    }),
    kw("cpu-map", Ignored, |r, g, d| {
        if d.len() < 3 {
            r.alert(d, "cpu-map expects a thread group number, a process or thread number and a CPU list.");
            return;
        }
        g.other.push((d.keyword().to_string(), d.args_from(1).map(String::from).collect()));
    }),
    kw("lua-load", Rejected, |r, g, d| {
        let path = d.arg(1);
        if let Err(e) = std::fs::metadata(path) {
            let reason = crate::config::parse::io_reason(&e);
            r.alert(d, format!("error in Lua file '{path}': cannot open {path}: {reason}"));
            return;
        }
        g.other.push((d.keyword().to_string(), d.args_from(1).map(String::from).collect()));
    }),
];

/// Look a directive up in the table and run it; unknown keywords get HAProxy's message.
pub fn handle(r: &mut Reporter, g: &mut Global, d: &Directive) {
    let name = d.keyword();
    if let Some(k) = KEYWORDS.iter().find(|k| k.name == name) {
        let before = r.diags.alerts();
        (k.handler)(r, g, d);
        if r.diags.alerts() == before {
            match k.status {
                Status::Supported => {}
                Status::Rejected => r.not_yet(d, name),
                Status::Ignored => r.warning(d, format!("'{name}' has no effect in haproxide and is ignored.")),
            }
        }
        return;
    }
    let names: Vec<&str> = KEYWORDS.iter().map(|k| k.name).collect();
    r.unknown_keyword(d, "global", &names);
}

/// HAProxy's `too_many_args`: more than `max` arguments is an alert. Returns true if so.
pub fn too_many(r: &mut Reporter, d: &Directive, max: usize) -> bool {
    if d.len() > max + 1 {
        r.alert(d, format!("'{}' cannot handle unexpected argument '{}'.", d.keyword(), d.arg(max + 1)));
        true
    } else {
        false
    }
}

fn no_args(r: &mut Reporter, d: &Directive) -> bool {
    !too_many(r, d, 0)
}

pub fn time_error(kw: &str, arg: &str, e: &TimeError) -> String {
    match e {
        TimeError::Unexpected(c) => format!("unexpected character '{c}' in argument to <{kw}>."),
        TimeError::Overflow => {
            format!("timer overflow in argument <{arg}> to <{kw}>, maximum value is 2147483647 ms (~24.8 days).")
        }
        TimeError::Underflow => {
            format!("timer underflow in argument <{arg}> to <{kw}>, minimum non-null value is 1 ms.")
        }
        TimeError::Empty => format!("'{kw}' expects <time> as argument."),
    }
}

/// Syslog facilities, in HAProxy's order (their index is the facility number).
pub const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
    "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Syslog levels, index = severity.
pub const LEVELS: &[&str] = &["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// `log <target> [len <n>] [format <f>] [sample <r>:<s>] <facility> [<level> [<minlevel>]]`, or
/// `log global` in proxies (handled by the caller).
pub fn parse_log(r: &mut Reporter, d: &Directive) -> Option<LogTarget> {
    let mut i = 2;
    let mut len = None;
    let mut format = None;
    let mut sample = None;
    loop {
        match d.arg(i) {
            "len" => {
                len = Some(values::atoi(d.arg(i + 1)).max(0) as u32);
                i += 2;
            }
            "format" => {
                format = Some(d.arg(i + 1).to_string());
                i += 2;
            }
            "sample" => {
                sample = Some(d.arg(i + 1).to_string());
                i += 2;
            }
            _ => break,
        }
    }
    if !d.has_arg(1) || !d.has_arg(i) {
        r.alert(d, "log : expects <address> and <facility>  as arguments");
        return None;
    }
    let target = d.arg(1);
    if !matches!(target, "stdout" | "stderr") && !target.starts_with("ring@") {
        let opts = AddrOpts { resolve: true, dgram: true, ..Default::default() };
        if let Err(e) = addr::parse_address(target, opts) {
            r.alert(d, format!("log : {e}"));
            return None;
        }
    }
    let facility = d.arg(i);
    if !FACILITIES.contains(&facility) {
        r.alert(d, format!("log : unknown log facility '{facility}'"));
        return None;
    }
    let level = d.words.get(i + 1).map(|w| w.text.clone());
    if let Some(l) = &level {
        if !LEVELS.contains(&l.as_str()) {
            r.alert(d, format!("log : unknown optional log level '{l}'"));
            return None;
        }
    }
    let minlevel = d.words.get(i + 2).map(|w| w.text.clone());
    if let Some(l) = &minlevel {
        if !LEVELS.contains(&l.as_str()) {
            r.alert(d, format!("log : unknown optional minimum log level '{l}'"));
            return None;
        }
    }
    if d.len() > i + 3 {
        r.alert(d, format!("'log' cannot handle unexpected argument '{}'.", d.arg(i + 3)));
        return None;
    }
    Some(LogTarget::Target {
        span: d.span.clone(),
        addr: target.to_string(),
        len,
        format,
        sample,
        facility: facility.to_string(),
        level,
        minlevel,
    })
}

/// `stats socket|timeout|maxconn|bind-process` in the global section.
fn stats(r: &mut Reporter, g: &mut Global, d: &Directive) {
    match d.arg(1) {
        "socket" => {
            if !d.has_arg(2) {
                r.alert(d, "'stats socket' in global section expects an address or a path to a UNIX socket");
                return;
            }
            let opts = AddrOpts { port_required: true, resolve: true, ..Default::default() };
            let address = match addr::parse_address(d.arg(2), opts) {
                Ok(a) => a,
                Err(e) => {
                    r.alert(d, format!("'stats socket' : {e}"));
                    return;
                }
            };
            let mut bopts = BindOpts { level: Some(CliLevel::Operator), ..Default::default() };
            let mut i = 3;
            while i < d.len() {
                let opt = d.arg(i);
                let val = d.arg(i + 1);
                match opt {
                    "level" => {
                        bopts.level = Some(match val {
                            "user" => CliLevel::User,
                            "operator" => CliLevel::Operator,
                            "admin" => CliLevel::Admin,
                            _ => {
                                r.alert(
                                    d,
                                    format!("'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got '{val}')'"),
                                );
                                return;
                            }
                        });
                        i += 2;
                    }
                    "mode" => {
                        bopts.mode = u32::from_str_radix(val, 8).ok();
                        i += 2;
                    }
                    "user" => {
                        bopts.user = Some(val.to_string());
                        i += 2;
                    }
                    "group" => {
                        bopts.group = Some(val.to_string());
                        i += 2;
                    }
                    "uid" => {
                        bopts.uid = val.parse().ok();
                        i += 2;
                    }
                    "gid" => {
                        bopts.gid = val.parse().ok();
                        i += 2;
                    }
                    "expose-fd" => {
                        if val != "listeners" {
                            r.alert(
                                d,
                                format!("'stats socket' : ''expose-fd' only supports 'listeners' (got '{val}')'"),
                            );
                            return;
                        }
                        bopts.expose_fd_listeners = true;
                        i += 2;
                    }
                    "process" => {
                        bopts.process = Some(val.to_string());
                        i += 2;
                    }
                    "severity-output" => {
                        bopts.severity_output = Some(val.to_string());
                        i += 2;
                    }
                    "name" => {
                        bopts.name = Some(val.to_string());
                        i += 2;
                    }
                    "maxconn" => {
                        bopts.maxconn = Some(values::atoi(val).max(0) as u32);
                        i += 2;
                    }
                    "backlog" => {
                        bopts.backlog = Some(values::atoi(val).max(0) as u32);
                        i += 2;
                    }
                    "thread" => {
                        bopts.thread = Some(val.to_string());
                        i += 2;
                    }
                    "accept-proxy" => {
                        bopts.accept_proxy = true;
                        i += 1;
                    }
                    _ => {
                        r.alert(d, format!("'stats socket' : unknown keyword '{opt}'."));
                        return;
                    }
                }
            }
            g.stats_sockets.push(Bind { span: d.span.clone(), addr: address, opts: bopts });
        }
        "timeout" => match values::parse_ms(d.arg(2)) {
            Ok(0) => r.alert(d, "'stats timeout' expects a positive value"),
            Ok(v) => g.stats_timeout = Some(v),
            Err(TimeError::Unexpected(c)) => r.alert(d, format!("'stats timeout' : unexpected character '{c}'")),
            Err(_) => r.alert(d, "'stats timeout' expects a positive value"),
        },
        "maxconn" => {
            let v = values::atoi(d.arg(2));
            if v <= 0 {
                r.alert(d, "'stats maxconn' : expects a positive integer argument");
                return;
            }
            g.stats_maxconn = Some(v as u32);
        }
        "bind-process" => {
            r.warning(d, "'stats bind-process' is deprecated and ignored.");
        }
        other => r.alert(
            d,
            format!("'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{other}')"),
        ),
    }
}

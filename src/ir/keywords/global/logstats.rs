//! Logging and the stats keywords of the global section: `log` targets (and `no log`),
//! `log-tag`, `log-send-hostname`, and `stats socket|timeout|maxconn|bind-process`.

use crate::config::ast::Directive;
use crate::ir::addr::{self, AddrOpts};
use crate::ir::keywords::{Modifier, Reporter, Status};
use crate::ir::types::{Bind, BindOpts, CliLevel, LogTarget};
use crate::ir::values::{self, TimeError};

use super::{atoi, Cx};

/// Syslog facilities, in HAProxy's order (their index is the facility number).
pub const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
    "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Syslog levels, index = severity.
pub const LEVELS: &[&str] = &["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

const FORMATS: &[&str] = &["local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"];

/// `log <target> [len <n>] [format <f>] [sample <r>:<s>] <facility> [<level> [<minlevel>]]` in a
/// proxy section (`log global` is handled by the caller). Reports and returns `None` on error.
pub fn parse_log(r: &mut Reporter, d: &Directive) -> Option<LogTarget> {
    match parse_target(d, false) {
        Ok(t) => Some(t),
        Err(e) => {
            r.alert(d, format!("log : {}", e.trim_end()));
            if e.ends_with('\n') {
                r.diags.list.last_mut().expect("just pushed").detail_raw.push(String::new());
            }
            None
        }
    }
}

/// HAProxy's `parse_logsrv`; `Err` is the text after `log : `.
pub fn parse_target(d: &Directive, in_global: bool) -> Result<LogTarget, String> {
    if !d.has_arg(1) || !d.has_arg(2) {
        let or_global = if in_global { "" } else { "or global" };
        return Err(format!("expects <address> and <facility> {or_global} as arguments"));
    }
    let mut i = 2;
    let mut len = None;
    if d.arg(i) == "len" {
        let v = atoi(d.arg(i + 1));
        if !(80..=65535).contains(&v) {
            return Err(format!("invalid log length '{}', must be between 80 and 65535", d.arg(i + 1)));
        }
        len = Some(v as u32);
        i += 2;
    }
    let mut format = None;
    if d.arg(i) == "format" {
        let f = d.arg(i + 1);
        if !FORMATS.contains(&f) {
            return Err(format!("unknown log format '{f}'"));
        }
        format = Some(f.to_string());
        i += 2;
    }
    let mut sample = None;
    if d.arg(i) == "sample" {
        check_sample(d.arg(i + 1))?;
        sample = Some(d.arg(i + 1).to_string());
        i += 2;
    }
    let facility = d.arg(i);
    if !FACILITIES.contains(&facility) {
        return Err(format!("unknown log facility '{facility}'"));
    }
    let mut level = None;
    if d.has_arg(i + 1) {
        if !LEVELS.contains(&d.arg(i + 1)) {
            return Err(format!("unknown optional log level '{}'", d.arg(i + 1)));
        }
        level = Some(d.arg(i + 1).to_string());
    }
    let mut minlevel = None;
    if d.has_arg(i + 2) {
        if !LEVELS.contains(&d.arg(i + 2)) {
            return Err(format!("unknown optional minimum log level '{}'", d.arg(i + 2)));
        }
        minlevel = Some(d.arg(i + 2).to_string());
    }
    if d.has_arg(i + 3) {
        return Err(format!("cannot handle unexpected argument '{}'", d.arg(i + 3)));
    }
    let mut target = d.arg(1).to_string();
    if !matches!(target.as_str(), "stdout" | "stderr") && !target.starts_with("ring@") {
        let opts = AddrOpts { resolve: true, dgram: true, ..Default::default() };
        // `str2sa_range` expands environment variables left in the word; its errors end with
        // a line feed.
        addr::parse_address_env(&target, opts).map_err(|e| format!("{e}\n"))?;
        target = addr::env_expand(&target);
    }
    Ok(LogTarget::Target {
        span: d.span.clone(),
        addr: target,
        len,
        format,
        sample,
        facility: facility.to_string(),
        level,
        minlevel,
    })
}

/// `<low>[-<high>][,...]:<size>`, with HAProxy's messages.
fn check_sample(v: &str) -> Result<(), String> {
    let Some((ranges, size)) = v.split_once(':') else {
        return Err("Missing sample size".into());
    };
    let mut max_high = 0u64;
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut rest = ranges;
    while !rest.is_empty() {
        let (item, next) = rest.split_once(',').unwrap_or((rest, ""));
        let bad = || format!("wrong sample range '{rest}'");
        let (lo, hi) = item.split_once('-').map_or((item, None), |(a, b)| (a, Some(b)));
        let low: u64 = lo.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let high = match hi {
            Some(h) => h.parse().ok().filter(|n| *n > low).ok_or_else(bad)?,
            None => low,
        };
        if seen.iter().any(|&(l, h)| (l..=h).contains(&low) || (l..=h).contains(&high)) {
            return Err("ranges are overlapping".into());
        }
        seen.push((low, high));
        max_high = max_high.max(high);
        rest = next;
    }
    if seen.is_empty() {
        return Err("no sampling ranges given".into());
    }
    let n: u64 = size
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("wrong sample size '{size}' for sample range '{ranges}'"))?;
    if n < max_high {
        return Err(format!(
            "sample size {n} should be greater or equal to {max_high} the maximum of the high ranges limits"
        ));
    }
    Ok(())
}

pub fn log(cx: &mut Cx, d: &Directive) {
    if cx.kwm == Modifier::No {
        if d.has_arg(1) {
            cx.alert(d, "log : 'no log' does not expect arguments");
        } else {
            cx.g.log.clear();
        }
        return;
    }
    if d.arg(1) == "global" {
        cx.alert(d, "log : 'global' is not supported for a global syslog server");
        return;
    }
    match parse_target(d, true) {
        Ok(t) => {
            if let LogTarget::Target { sample, .. } = &t {
                if sample.is_some() {
                    cx.r.not_yet(d, "log sampling");
                }
            }
            cx.g.log.push(t);
        }
        Err(e) if e.ends_with('\n') => cx.alert_nl(d, format!("log : {}", e.trim_end())),
        Err(e) => cx.alert(d, format!("log : {e}")),
    }
}

pub fn log_tag(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'log-tag' expects a tag for use in syslog.");
        return;
    }
    cx.g.log_tag = Some(d.arg(1).to_string());
}

pub fn log_send_hostname(cx: &mut Cx, d: &Directive) {
    if cx.g.log_send_hostname.is_some() {
        cx.alert_soft(d, "'log-send-hostname' already specified. Continuing.");
        return;
    }
    cx.g.log_send_hostname = Some(if d.has_arg(1) { d.arg(1).to_string() } else { crate::config::env::hostname() });
}

/// `stats socket|timeout|maxconn|bind-process` in the global section.
pub fn stats(cx: &mut Cx, d: &Directive) {
    let what = format!("'stats {}'", d.arg(1));
    // The runtime API serves `stats socket`, `stats timeout` and `stats maxconn`.
    let status = match d.arg(1) {
        "bind-process" => Status::Ignored,
        "socket" | "timeout" | "maxconn" => Status::Supported,
        _ => Status::Rejected,
    };
    cx.note = Some((status, what));
    match d.arg(1) {
        "socket" => stats_socket(cx, d),
        "timeout" => match values::parse_ms(d.arg(2)) {
            Ok(0) => cx.alert(d, "'stats timeout' expects a positive value"),
            Ok(v) => cx.g.stats_timeout = Some(v),
            // A missing value prints HAProxy's `%c` of the terminating NUL: the text ends there.
            Err(TimeError::Empty) => cx.alert(d, "'stats timeout' : unexpected character '"),
            Err(TimeError::Unexpected(c)) => cx.alert(d, format!("'stats timeout' : unexpected character '{c}'")),
            Err(TimeError::Overflow) => cx.alert(
                d,
                format!(
                    "timer overflow in argument '{}' to 'stats timeout' (maximum value is 2147483647 ms or ~24.8 days)",
                    d.arg(2)
                ),
            ),
            Err(TimeError::Underflow) => cx.alert(
                d,
                format!("timer underflow in argument '{}' to 'stats timeout' (minimum value is 1 ms)", d.arg(2)),
            ),
        },
        "maxconn" => {
            let v = atoi(d.arg(2));
            if v <= 0 {
                cx.alert(d, "'stats maxconn' expects a positive value");
                return;
            }
            cx.g.stats_maxconn = Some(v as u32);
        }
        "bind-process" => {
            for w in d.args_from(2) {
                if matches!(w, "all" | "odd" | "even") {
                    continue;
                }
                let valid =
                    !w.is_empty() && w.split('-').all(|p| p.is_empty() || p.bytes().all(|b| b.is_ascii_digit()));
                if !valid {
                    cx.alert(d, format!("'stats bind-process' : '{w}' is not a valid number/range."));
                    return;
                }
                if w != "1" && w != "1-1" {
                    cx.alert_nl(
                        d,
                        format!("'stats bind-process' : '{w}' is not a valid number/range. It supports numbers from 1 to 1."),
                    );
                    return;
                }
            }
        }
        other => cx.alert(
            d,
            format!("'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{other}')"),
        ),
    }
}

/// Bind options a stats socket also accepts, without and with a value.
const SOCKET_FLAGS: &[&str] = &[
    "ssl",
    "transparent",
    "v4v6",
    "v6only",
    "defer-accept",
    "tfo",
    "strict-sni",
    "prefer-client-ciphers",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "no-tls-tickets",
    "generate-certificates",
    "allow-0rtt",
    "no-ca-names",
];
const SOCKET_VALUED: &[&str] = &[
    "verify",
    "alpn",
    "npn",
    "ciphers",
    "ciphersuites",
    "curves",
    "ecdhe",
    "crl-file",
    "ssl-min-ver",
    "ssl-max-ver",
    "interface",
    "namespace",
    "nice",
    "id",
    "tcp-ut",
    "mss",
    "proto",
    "accept-netscaler-cip",
    "crt-list",
    "ca-sign-file",
    "ca-sign-pass",
    "ca-verify-file",
    "tls-ticket-keys",
    "crt-ignore-err",
    "ca-ignore-err",
];

fn stats_socket(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(2) {
        cx.alert(d, "'stats socket' in global section expects an address or a path to a UNIX socket");
        return;
    }
    let opts = AddrOpts { port_required: true, resolve: true, ..Default::default() };
    let address = match addr::parse_address(d.arg(2), opts) {
        Ok(a) => a,
        Err(e) => {
            let at = format!("parsing [{}:{}]", d.span.file, d.span.line);
            cx.alert_nl(d, format!("{at} : 'stats socket' : {e}"));
            return;
        }
    };
    let mut bopts = BindOpts { level: Some(CliLevel::Operator), ..Default::default() };
    let mut i = 3;
    while i < d.len() {
        let opt = d.arg(i);
        let val = d.arg(i + 1);
        let has_val = d.has_arg(i + 1);
        let missing = |what: &str| format!("'stats socket' : ''{opt}' : missing {what}'");
        let needs = match opt {
            "maxconn" | "backlog" | "name" | "severity-output" | "mode" | "uid" | "gid" | "thread" => Some("value"),
            "user" => Some("user name"),
            "group" => Some("group name"),
            "expose-fd" => Some("fd type"),
            "level" => Some("level"),
            _ => None,
        };
        if let Some(what) = needs.filter(|_| !has_val) {
            cx.alert(d, missing(what));
            return;
        }
        match opt {
            "level" => {
                bopts.level = Some(match val {
                    "user" => CliLevel::User,
                    "operator" => CliLevel::Operator,
                    "admin" => CliLevel::Admin,
                    _ => {
                        cx.alert(
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
                if !matches!(nix::unistd::User::from_name(val), Ok(Some(_))) {
                    cx.alert(d, format!("'stats socket' : ''user' : unknown user name '{val}''"));
                    return;
                }
                bopts.user = Some(val.to_string());
                i += 2;
            }
            "group" => {
                if !matches!(nix::unistd::Group::from_name(val), Ok(Some(_))) {
                    cx.alert(d, format!("'stats socket' : ''group' : unknown group name '{val}''"));
                    return;
                }
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
                    cx.alert(d, format!("'stats socket' : ''expose-fd' only supports 'listeners' (got '{val}')'"));
                    return;
                }
                bopts.expose_fd_listeners = true;
                i += 2;
            }
            "process" => {
                cx.warning(
                    d,
                    format!(
                        "'stats socket' : 'process {val}' on 'bind' lines is deprecated and will be removed in 2.7."
                    ),
                );
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
                // The runtime API's listeners do not read PROXY headers.
                cx.r.not_yet(d, "stats socket option 'accept-proxy'");
                i += 1;
            }
            "crt" => {
                if !has_val {
                    cx.alert(d, missing("certificate location"));
                    return;
                }
                if let Err(e) = crate::ir::keywords::bind::check_certificate(val) {
                    // HAProxy's message ends with a line feed inside the quotes.
                    cx.alert(d, format!("'stats socket' : '{e}"));
                    cx.r.diags.list.last_mut().expect("just pushed").detail_raw.push("'".into());
                    return;
                }
                bopts.crt.push(val.to_string());
                i += 2;
            }
            "ca-file" => {
                if !has_val {
                    cx.alert(d, missing("CAfile path"));
                    return;
                }
                if let Err(e) = std::fs::File::open(val) {
                    let why = crate::config::parse::io_reason(&e);
                    cx.alert_bare(d, format!("Couldn't open the ca-file '{val}' ({why})."));
                    cx.alert(d, format!("'stats socket' : ''ca-file' : unable to load {val}'"));
                    return;
                }
                i += 2;
            }
            _ if SOCKET_FLAGS.contains(&opt) => {
                bopts.other.push((opt.to_string(), Vec::new()));
                i += 1;
            }
            _ if SOCKET_VALUED.contains(&opt) => {
                if !has_val {
                    cx.alert(d, missing("value"));
                    return;
                }
                bopts.other.push((opt.to_string(), vec![val.to_string()]));
                i += 2;
            }
            _ => {
                cx.alert(d, format!("'stats socket' : unknown keyword '{opt}'."));
                return;
            }
        }
    }
    cx.g.stats_sockets.push(Bind { span: d.span.clone(), addr: address, opts: bopts });
}

#[cfg(test)]
mod tests {
    use super::check_sample;

    #[test]
    fn sample_ranges() {
        assert!(check_sample("1:2").is_ok());
        assert!(check_sample("1-2,4:5").is_ok());
        assert_eq!(check_sample("1:abc").unwrap_err(), "wrong sample size 'abc' for sample range '1'");
        assert_eq!(check_sample("1").unwrap_err(), "Missing sample size");
        assert_eq!(check_sample("1-2,2:5").unwrap_err(), "ranges are overlapping");
        assert!(check_sample("3:2").unwrap_err().starts_with("sample size 2 should be"));
    }
}

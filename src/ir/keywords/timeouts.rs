//! `timeout <kind> <value>` and the other keywords HAProxy's proxy module registers for proxy
//! sections: `rate-limit sessions`, `max-keep-alive-queue`, `retry-on`, `clitcpka-*` and
//! `srvtcpka-*`. Their messages are `parsing [f:l] : <msg>`; a warning does not stop them from
//! setting the value.

use crate::config::ast::Directive;
use crate::ir::values::{self, TimeError, TimeUnit};

use super::proxy::{Cx, Flow};
use super::Reporter;
use crate::config::diag::{Diagnostic, Loc, Severity};

/// HAProxy's time parser accepts characters after a valid unit (`30sec`) and warns at once,
/// without a location. Call after a successful parse.
pub fn trailing_warning(r: &mut Reporter, text: &str) {
    if let Some(msg) = values::time_trailing_warning(text) {
        r.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
    }
}

/// The supported `timeout` kinds and the capability each one needs (`true` = backend).
const KINDS: &[(&str, Option<bool>)] = &[
    ("client", Some(false)),
    ("tarpit", None),
    ("http-keep-alive", None),
    ("http-request", None),
    ("server", Some(true)),
    ("connect", Some(true)),
    ("check", Some(true)),
    ("queue", Some(true)),
    ("tunnel", Some(true)),
    ("client-fin", Some(false)),
    ("server-fin", Some(true)),
];

pub fn time_msg(kw: &str, e: &TimeError, arg: &str) -> String {
    match e {
        TimeError::Unexpected(c) => format!("unexpected character '{c}' in '{kw}'"),
        TimeError::Overflow => {
            format!("timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")
        }
        TimeError::Underflow => {
            format!("timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)")
        }
        TimeError::Empty => format!("'{kw}' expects an integer value (in milliseconds)"),
    }
}

fn slot<'a>(t: &'a mut crate::ir::types::Timeouts, kind: &str) -> &'a mut Option<u32> {
    match kind {
        "client" => &mut t.client,
        "client-fin" => &mut t.client_fin,
        "server" => &mut t.server,
        "server-fin" => &mut t.server_fin,
        "connect" => &mut t.connect,
        "check" => &mut t.check,
        "queue" => &mut t.queue,
        "http-keep-alive" => &mut t.http_keep_alive,
        "http-request" => &mut t.http_request,
        "tunnel" => &mut t.tunnel,
        _ => &mut t.tarpit,
    }
}

/// `timeout <kind> <value>`, and the removed `clitimeout` / `srvtimeout` / `contimeout` (alone
/// or after `timeout`), which HAProxy refuses with a pointer to the new keyword.
pub fn timeout(cx: &mut Cx, d: &Directive) -> Flow {
    let base = usize::from(d.keyword() == "timeout");
    let kind = d.arg(base);
    let replacement = match kind {
        "clitimeout" => Some("client"),
        "srvtimeout" => Some("server"),
        "contimeout" => Some("connect"),
        _ => None,
    };
    if let Some(new) = replacement {
        let msg = format!("the '{kind}' directive is not supported anymore since HAProxy 2.1. Use 'timeout {new}'.");
        cx.r.alert_at(d, base, msg);
        return Flow::Continue;
    }
    let Some(&(_, cap)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        let msg = format!("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '{kind}')");
        cx.r.alert_at(d, base, msg);
        return Flow::Continue;
    };
    let kwname = format!("timeout {kind}");
    let value = d.arg(base + 1);
    if value.is_empty() {
        cx.r.alert(d, format!("'{kwname}' expects an integer value (in milliseconds)"));
        return Flow::Continue;
    }
    let v = match values::parse_ms(value) {
        Ok(v) => {
            trailing_warning(cx.r, value);
            v
        }
        Err(e) => {
            cx.r.alert_at(d, base + 1, time_msg(&kwname, &e, value));
            return Flow::Continue;
        }
    };
    let lacks = match cap {
        Some(true) => !cx.p.caps.backend,
        Some(false) => !cx.p.caps.frontend,
        None => false,
    };
    if lacks {
        let cap = if cap == Some(true) { "backend" } else { "frontend" };
        cx.kw_warning(d, format!("'{kwname}' will be ignored because {} has no {cap} capability", cx.p.describe()));
    } else if !cx.p.is_defaults() && *slot(&mut cx.p.timeouts, kind) != *slot(&mut cx.st.default_timeouts, kind) {
        cx.kw_warning(d, format!("overwriting '{kwname}' which was already specified"));
    }
    if d.has_arg(base + 2) {
        let msg = format!("'{kwname}' : unexpected extra argument '{}' after value '{value}'.", d.arg(base + 2));
        cx.r.alert_at(d, base + 2, msg);
    }
    // HAProxy stores 0 as "no timeout".
    *slot(&mut cx.p.timeouts, kind) = (v != 0).then_some(v);
    Flow::Continue
}

/// C `strtol(s, &end, 0)`: the value and the first character it did not use.
fn strtol0(s: &str) -> (i64, Option<char>) {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        (16, h)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    let n = digits.chars().take_while(|c| c.is_digit(radix)).count();
    let v = i64::from_str_radix(&digits[..n], radix).unwrap_or(if n == 0 { 0 } else { i64::MAX });
    let stop = digits[n..].chars().next();
    // No digit at all: strtol stops at the very beginning.
    let stop = if n == 0 && radix == 10 { s.chars().next() } else { stop };
    (if neg { -v } else { v }, stop)
}

/// `rate-limit sessions <n>`.
pub fn rate_limit(cx: &mut Cx, d: &Directive) -> Flow {
    if d.arg(1) != "sessions" {
        cx.r.alert(d, format!("'rate-limit' only supports 'sessions' (got '{}')", d.arg(1)));
        return Flow::Continue;
    }
    if !d.has_arg(2) {
        cx.r.alert(d, "'rate-limit sessions' expects expects an integer value (in sessions/second)");
        return Flow::Continue;
    }
    let (v, stop) = strtol0(d.arg(2));
    if let Some(c) = stop {
        let msg = format!("'rate-limit sessions' : unexpected character '{c}' in integer value '{}'", d.arg(2));
        cx.r.alert_at(d, 2, msg);
        return Flow::Continue;
    }
    if !cx.p.caps.frontend {
        cx.kw_warning(
            d,
            format!("rate-limit sessions will be ignored because {} has no frontend capability", cx.p.describe()),
        );
    } else if !cx.p.is_defaults() && cx.p.rate_limit_sessions != cx.st.default_rate_limit {
        cx.kw_warning(d, "overwriting rate-limit sessions which was already specified");
    }
    cx.p.rate_limit_sessions = Some(v as u32);
    Flow::Continue
}

/// `max-keep-alive-queue <n>` (-1 disables).
pub fn max_keep_alive_queue(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "'max-keep-alive-queue' expects expects an integer value (or -1 to disable)");
        return Flow::Continue;
    }
    let (v, stop) = strtol0(d.arg(1));
    if let Some(c) = stop {
        let msg = format!("'max-keep-alive-queue' : unexpected character '{c}' in integer value '{}'", d.arg(1));
        cx.r.alert_at(d, 1, msg);
        return Flow::Continue;
    }
    if !cx.p.caps.backend {
        cx.kw_warning(
            d,
            format!("max-keep-alive-queue will be ignored because {} has no backend capability", cx.p.describe()),
        );
    }
    cx.p.max_keep_alive_queue = Some(v);
    Flow::Continue
}

const RETRY_ON: &[&str] = &[
    "conn-failure",
    "empty-response",
    "response-timeout",
    "401",
    "403",
    "404",
    "408",
    "425",
    "500",
    "501",
    "502",
    "503",
    "504",
    "0rtt-rejected",
    "junk-response",
    "all-retryable-errors",
];

/// `retry-on <keyword>...`.
pub fn retry_on(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "'retry-on' needs at least one keyword to specify when to retry");
        return Flow::Continue;
    }
    if !cx.p.caps.backend {
        cx.r.alert(d, "'retry-on' only available in backend or listen section");
        return Flow::Continue;
    }
    let mut kinds = Vec::new();
    for (i, w) in d.args_from(1).enumerate() {
        if w == "none" {
            if i != 0 || d.has_arg(2) {
                cx.r.alert(d, "'retry-on' 'none' keyworld only usable alone");
                return Flow::Continue;
            }
        } else if RETRY_ON.contains(&w) {
            kinds.push(w.to_string());
        } else {
            cx.r.alert_at(d, i + 1, format!("'retry-on': unknown keyword '{w}'"));
            return Flow::Continue;
        }
    }
    cx.p.retry_on = Some(kinds);
    Flow::Continue
}

/// Which keep-alive setting a `clitcpka-*` / `srvtcpka-*` keyword names.
fn tcpka_slot<'a>(cx: &'a mut Cx, d: &Directive) -> Option<&'a mut Option<u32>> {
    let kw = d.keyword();
    let (frontend, what) = kw.split_once("tcpka-").map(|(side, w)| (side == "cli", w))?;
    let has = if frontend { cx.p.caps.frontend } else { cx.p.caps.backend };
    if !has {
        let cap = if frontend { "frontend" } else { "backend" };
        cx.kw_warning(d, format!("{kw} will be ignored because {} has no {cap} capability", cx.p.describe()));
    }
    let ka = if frontend { &mut cx.p.clitcpka } else { &mut cx.p.srvtcpka };
    Some(match what {
        "cnt" => &mut ka.cnt,
        "idle" => &mut ka.idle,
        _ => &mut ka.intvl,
    })
}

/// `clitcpka-cnt` / `srvtcpka-cnt <count>`.
pub fn tcpka_cnt(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.r.alert(d, format!("'{kw}' expects an integer value"));
        return Flow::Continue;
    }
    let (v, stop) = strtol0(d.arg(1));
    if let Some(c) = stop {
        cx.r.alert_at(d, 1, format!("'{kw}' : unexpected character '{c}' in integer value '{}'", d.arg(1)));
        return Flow::Continue;
    }
    if let Some(s) = tcpka_slot(cx, d) {
        *s = Some(v as u32);
    }
    Flow::Continue
}

/// `clitcpka-idle|intvl` / `srvtcpka-idle|intvl <time>` (seconds by default).
pub fn tcpka_time(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.r.alert(d, format!("'{kw}' expects an integer value"));
        return Flow::Continue;
    }
    let arg = d.arg(1);
    let v = match values::parse_time(arg, TimeUnit::S) {
        Ok(v) => {
            trailing_warning(cx.r, arg);
            v as u32
        }
        Err(TimeError::Overflow) => {
            let msg =
                format!("timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)");
            cx.r.alert_at(d, 1, msg);
            return Flow::Continue;
        }
        Err(TimeError::Underflow) => {
            cx.r.alert_at(
                d,
                1,
                format!("timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)"),
            );
            return Flow::Continue;
        }
        Err(e) => {
            let c = match e {
                TimeError::Unexpected(c) => c,
                _ => '?',
            };
            cx.r.alert_at(d, 1, format!("unexpected character '{c}' in argument to <{kw}>."));
            return Flow::Continue;
        }
    };
    if let Some(s) = tcpka_slot(cx, d) {
        *s = Some(v);
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::strtol0;

    #[test]
    fn strtol_base_zero() {
        assert_eq!(strtol0("10"), (10, None));
        assert_eq!(strtol0("0x10"), (16, None));
        assert_eq!(strtol0("010"), (8, None));
        assert_eq!(strtol0("-1"), (-1, None));
        assert_eq!(strtol0("abc"), (0, Some('a')));
        assert_eq!(strtol0("12k"), (12, Some('k')));
    }
}

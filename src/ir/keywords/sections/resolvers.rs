//! `resolvers` sections: nameservers (or `parse-resolv-conf`), retries, payload size, hold and
//! timeout settings, and the warning for a section without a nameserver.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::global::atoi;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, ResolversSpec};
use crate::ir::values::{self, TimeError};

use super::adapters::check_addr;
use super::Cx;

pub const KEYWORDS: &[&str] =
    &["nameserver", "parse-resolv-conf", "resolve_retries", "accepted_payload_size", "hold", "timeout"];

fn spec<'a>(cx: &'a mut Cx) -> &'a mut ResolversSpec {
    match &mut cx.aux.detail {
        AuxDetail::Resolvers(s) => s,
        _ => unreachable!("a resolvers section has a resolvers detail"),
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "nameserver" => nameserver(cx, d),
        "parse-resolv-conf" => parse_resolv_conf(cx, d),
        "resolve_retries" => {
            if !d.has_arg(1) {
                cx.alert(d, "'resolve_retries' expects <nb> as argument.");
            }
        }
        "accepted_payload_size" => {
            if !d.has_arg(1) {
                cx.alert(d, "'accepted_payload_size' expects <nb> as argument.");
            } else if !(12..=65535).contains(&atoi(d.arg(1))) {
                let msg = format!("'accepted_payload_size' must be between 12 and 65535 inclusive (was {}).", d.arg(1));
                cx.alert(d, msg);
            }
        }
        "hold" => hold(cx, d),
        "timeout" => timeout(cx, d),
        "resolution_pool_size" => cx.alert(
            d,
            "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).",
        ),
        _ => cx.unknown(d),
    }
    Flow::Continue
}

fn nameserver(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(2) {
        cx.alert(d, "'nameserver' expects <name> and <addr>[:<port>] as arguments.");
        return;
    }
    let name = d.arg(1).to_string();
    if let Some((at, _)) =
        cx.aux.entries.iter().find(|(_, w)| w.first().is_some_and(|k| k == "nameserver") && w.get(1) == Some(&name))
    {
        let msg =
            format!("nameserver '{name}' has same name as another nameserver (declared at {}:{}).", at.file, at.line);
        cx.alert_cap(d, msg);
        return;
    }
    if let Err(e) = check_addr(d.arg(2), true) {
        cx.alert(d, format!("'nameserver {name}' : {e}"));
        return;
    }
    spec(cx).nameservers.push((name, d.arg(2).to_string()));
}

/// The nameservers of /etc/resolv.conf, named after their address; a name seen already is a
/// duplicate HAProxy warns about and skips.
fn parse_resolv_conf(cx: &mut Cx, d: &Directive) {
    let Ok(text) = std::fs::read_to_string("/etc/resolv.conf") else { return };
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(ip) = words.next() else { continue };
        if spec(cx).nameservers.iter().any(|(name, _)| name == ip) {
            let msg = format!(
                "Parsing [/etc/resolv.conf:{}] : generated name for /etc/resolv.conf nameserver '{ip}' conflicts with another nameserver (declared at /etc/resolv.conf:{}), it appears to be a duplicate and will be excluded.",
                n + 1,
                n + 1
            );
            cx.warning_tight(d, msg);
            continue;
        }
        spec(cx).nameservers.push((ip.to_string(), format!("{ip}:53")));
    }
}

fn hold(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(2) {
        cx.alert(d, "'hold' expects an <event> and a <time> as arguments.");
        cx.alert_bare(d, "<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'");
        return;
    }
    match values::parse_ms(d.arg(2)) {
        Ok(_) => {}
        Err(TimeError::Unexpected(c)) => {
            cx.alert_tight(d, format!("unexpected character '{c}' in argument to <hold>."));
            return;
        }
        // HAProxy names the event where the value belongs in these two messages.
        Err(TimeError::Overflow) => {
            let msg = format!(
                "timer overflow in argument <{}> to <hold>, maximum value is 2147483647 ms (~24.8 days).",
                d.arg(1)
            );
            cx.alert_tight(d, msg);
            return;
        }
        Err(_) => {
            let msg = format!("timer underflow in argument <{}> to <hold>, minimum non-null value is 1 ms.", d.arg(1));
            cx.alert_tight(d, msg);
            return;
        }
    }
    if !matches!(d.arg(1), "nx" | "timeout" | "refused" | "other" | "valid" | "obsolete") {
        let msg = format!(
            "'hold' unknown <event>: '{}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.",
            d.arg(1)
        );
        cx.alert(d, msg);
    }
}

fn timeout(cx: &mut Cx, d: &Directive) {
    let kind = d.arg(1);
    if kind.is_empty() {
        cx.alert(d, "'timeout' expects 'retry' or 'resolve' and <time> as arguments.");
        return;
    }
    if kind != "retry" && kind != "resolve" {
        cx.alert(d, format!("'timeout' expects 'retry' or 'resolve' and <time> as arguments got '{kind}'."));
        return;
    }
    if !d.has_arg(2) {
        cx.alert(d, format!("'timeout {kind}' expects <time> as argument."));
        return;
    }
    let arg = d.arg(2);
    match values::parse_ms(arg) {
        Ok(_) => {}
        Err(TimeError::Unexpected(c)) => {
            cx.alert_tight(d, format!("unexpected character '{c}' in argument to <timeout {kind}>."))
        }
        Err(TimeError::Overflow) => cx.alert_tight(
            d,
            format!(
                "timer overflow in argument <{arg}> to <timeout {kind}>, maximum value is 2147483647 ms (~24.8 days)."
            ),
        ),
        Err(_) => cx.alert_tight(
            d,
            format!("timer underflow in argument <{arg}> to <timeout {kind}>, minimum non-null value is 1 ms."),
        ),
    }
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for r in &cfg.resolvers {
        let AuxDetail::Resolvers(s) = &r.detail else { continue };
        if s.nameservers.is_empty() {
            let msg =
                format!("resolvers '{}' [{}:{}] has no nameservers configured!", r.name, r.span.file, r.span.line);
            super::warning(diags, msg);
        }
    }
}

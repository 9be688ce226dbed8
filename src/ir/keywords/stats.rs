//! `stats <keyword> ...` in proxy sections (the statistics page): HAProxy's checks and wording.
//! A proxy shares its defaults section's settings until it uses a `stats` keyword of its own;
//! from then on it starts from nothing, as HAProxy does with its `uri_auth`.

use crate::config::ast::Directive;
use crate::ir::types::{Rule, StatsSpec};
use crate::ir::values::{self, TimeError, TimeUnit};

use super::proxy::{split_condition, Cx, Flow};

const EXPECTS: &str =
    "expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.";

pub fn stats(cx: &mut Cx, d: &Directive) -> Flow {
    if !cx.p.is_defaults() && cx.st.stats_inherited {
        cx.p.stats = StatsSpec::default();
        cx.st.stats_inherited = false;
    }
    let sub = d.arg(1);
    let s = &mut cx.p.stats;
    match sub {
        "" => {
            cx.alert_tight(d, format!("missing keyword in 'stats', {EXPECTS}"));
            return Flow::Continue;
        }
        "admin" => {
            if cx.p.is_defaults() {
                cx.alert_tight(d, "'stats admin' not allowed in 'defaults' section.");
                return Flow::Continue;
            }
            cx.p.stats.enabled = true;
            if !matches!(d.arg(2), "if" | "unless") {
                cx.r.alert(d, "'stats admin' requires either 'if' or 'unless' followed by a condition.");
                return Flow::Continue;
            }
            let (words, cond) = split_condition(d, 2);
            cx.p.stats.admin.push(Rule { span: d.span.clone(), words, cond });
        }
        "uri" | "realm" | "auth" | "scope" => {
            let v = d.arg(2);
            if v.is_empty() {
                let msg = match sub {
                    "uri" => "'uri' needs an URI prefix.",
                    "realm" => "'realm' needs an realm name.",
                    "auth" => "'auth' needs a user:password account.",
                    _ => "'scope' needs a proxy name.",
                };
                cx.r.alert(d, msg);
                return Flow::Continue;
            }
            s.enabled = true;
            match sub {
                "uri" => s.uri = Some(v.to_string()),
                "realm" => s.realm = Some(v.to_string()),
                "auth" => s.auth.push(v.to_string()),
                _ => s.scope.push(v.to_string()),
            }
        }
        "refresh" => {
            let v = d.arg(2);
            match values::parse_time(v, TimeUnit::S) {
                Ok(secs) => {
                    super::timeouts::trailing_warning(cx.r, v);
                    s.enabled = true;
                    s.refresh = Some(secs as u32);
                }
                Err(TimeError::Overflow) => {
                    cx.alert_tight(d, format!("timer overflow in argument <{v}> to stats refresh interval, maximum value is 2147483647 s (~68 years)."));
                    return Flow::Continue;
                }
                Err(TimeError::Underflow) => {
                    cx.alert_tight(d, format!("timer underflow in argument <{v}> to stats refresh interval, minimum non-null value is 1 s."));
                    return Flow::Continue;
                }
                Err(e) => {
                    // An empty value makes HAProxy print a NUL, which ends its message there.
                    let c = if let TimeError::Unexpected(c) = e { c } else { '\0' };
                    cx.alert_tight(d, format!("unexpected character '{c}' in argument to stats refresh interval."));
                    return Flow::Continue;
                }
            }
        }
        "http-request" => {
            if cx.p.is_defaults() {
                cx.alert_tight(d, "'stats' not allowed in 'defaults' section.");
                return Flow::Continue;
            }
            cx.p.stats.enabled = true;
            if cx.p.stats.http_request.last().is_some_and(|r| r.cond.is_none()) {
                cx.warning_tight(d, "previous 'stats' action has no condition attached, further entries are NOOP.");
            }
            let (words, cond) = split_condition(d, 2);
            cx.p.stats.http_request.push(Rule { span: d.span.clone(), words, cond });
            cx.r.not_yet(d, "stats http-request");
        }
        "enable" => s.enabled = true,
        "hide-version" => {
            s.enabled = true;
            s.hide_version = true;
        }
        "show-legends" => {
            s.enabled = true;
            s.show_legends = true;
        }
        "show-modules" => {
            s.enabled = true;
            s.show_modules = true;
            cx.r.not_yet(d, "stats show-modules");
        }
        "show-node" => {
            let v = d.arg(2);
            if !v.is_empty() && !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
                cx.alert_tight(d, "'stats show-node' invalid node name - should be a stringwith digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_).");
                return Flow::Continue;
            }
            s.enabled = true;
            s.show_node = Some(v.to_string());
        }
        "show-desc" => {
            let desc = d.args_from(2).collect::<Vec<_>>().join(" ");
            if desc.is_empty() && cx.global.description.is_none() {
                cx.warning_tight(d, "'show-desc' requires a parameter or 'desc' to be set in the global section.");
            } else {
                cx.p.stats.enabled = true;
                cx.p.stats.show_desc = Some(desc);
            }
        }
        other => {
            cx.alert_tight(d, format!("unknown stats parameter '{other}', {EXPECTS}"));
            return Flow::Continue;
        }
    }
    Flow::Continue
}

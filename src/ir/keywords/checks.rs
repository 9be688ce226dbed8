//! `http-check` and `tcp-check` in proxy sections: the health-check rules, validated with
//! HAProxy's messages (rule syntax in `ir::checks`, rule order here).

use crate::config::ast::Directive;
use crate::ir::checks::{self, CheckRule, RuleKind, SendRule};

use super::proxy::{Cx, Flow};

/// The rule a new rule follows, ignoring comments and variable actions (HAProxy's
/// `get_last_tcpcheck_rule`).
fn last_real(rules: &[CheckRule]) -> Option<&RuleKind> {
    rules.iter().rev().map(|r| &r.kind).find(|k| !is_aux(k))
}

fn is_aux(k: &RuleKind) -> bool {
    matches!(k, RuleKind::Comment(_) | RuleKind::SetVar { .. } | RuleKind::UnsetVar { .. })
}

/// A `connect` must come first (after comments and variable actions) when a rule set has one.
fn connect_first_error(rules: &[CheckRule]) -> Option<String> {
    let first = rules.iter().map(|r| &r.kind).find(|k| !is_aux(k));
    if first.is_some_and(|k| !matches!(k, RuleKind::Connect(_))) {
        Some(
            "first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset"
                .into(),
        )
    } else {
        None
    }
}

/// `http-check <rule>`, `http-check disable-on-404`, `http-check send-state`.
pub fn http_check(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    match d.arg(1) {
        "disable-on-404" | "send-state" => {
            if d.len() > 2 {
                cx.r.alert_at(d, 2, format!("'http-check' cannot handle unexpected argument '{}'.", d.arg(2)));
                return Flow::Continue;
            }
            if d.arg(1) == "disable-on-404" {
                cx.p.checks.disable_on_404 = true;
            } else {
                cx.p.checks.send_state = true;
            }
            return Flow::Continue;
        }
        _ => {}
    }
    let words: Vec<&str> = d.args_from(1).collect();
    let kind = match checks::parse_rule("http-check", &words) {
        Ok(k) => k,
        Err(msg) => {
            cx.r.alert_at(d, 1, msg);
            return Flow::Continue;
        }
    };
    if cx.p.checks.http_owner.as_ref() != Some(&cx.p.span) {
        cx.p.checks.http_rules.clear();
        cx.p.checks.http_owner = Some(cx.p.span.clone());
    }
    let rules = &cx.p.checks.http_rules;
    // HAProxy numbers from the last rule; a send merged into the request of an earlier
    // `option httpchk` keeps that request's index, 0.
    let mut index = rules.last().map(|r| r.index + 1).unwrap_or(0);
    if matches!(kind, RuleKind::Send(_))
        && cx.p.checks.httpchk.is_some()
        && !rules.iter().any(|r| matches!(r.kind, RuleKind::Send(_)))
    {
        index = 0;
    }
    let step = index + 1;
    let what = d.arg(1);
    let err = match (&kind, last_real(rules)) {
        (RuleKind::Connect(_), _) if connect_first_error(rules).is_some() => connect_first_error(rules),
        (_, None) => None,
        (RuleKind::Send(_), Some(l)) if !matches!(l, RuleKind::Connect(_)) => {
            Some(format!("unable to add http-check send rule at step {step} (missing connect rule)."))
        }
        (RuleKind::Expect(_), Some(l)) if !matches!(l, RuleKind::Send(_) | RuleKind::Expect(_)) => {
            Some(format!("unable to add http-check expect rule at step {step} (missing send rule)."))
        }
        (RuleKind::Connect(_), Some(l)) if !matches!(l, RuleKind::Expect(_)) => {
            Some(format!("unable to add http-check connect rule at step {step} (missing expect rule)."))
        }
        _ => None,
    };
    if let Some(e) = err {
        cx.r.alert_at(d, 1, format!("'http-check {what}' : {e}."));
        return Flow::Continue;
    }
    cx.p.checks.http_rules.push(CheckRule { span: d.span.clone(), index, kind });
    if let Some(RuleKind::Send(SendRule::Http(h))) = cx.p.checks.http_rules.last().map(|r| &r.kind) {
        if h.uri_lf || h.body_lf || h.hdrs.iter().any(|(_, v)| v.contains("%[")) {
            cx.r.not_yet(d, "log-format strings in http-check send");
        }
    }
    not_yet_parts(cx, d);
    Flow::Continue
}

/// `tcp-check <rule>`.
pub fn tcp_check(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    let words: Vec<&str> = d.args_from(1).collect();
    let kind = match checks::parse_rule("tcp-check", &words) {
        Ok(k) => k,
        Err(msg) => {
            cx.r.alert_at(d, 1, msg);
            return Flow::Continue;
        }
    };
    if cx.p.checks.tcp_owner.as_ref() != Some(&cx.p.span) {
        cx.p.checks.tcp_rules.clear();
        cx.p.checks.tcp_owner = Some(cx.p.span.clone());
    }
    if let RuleKind::Connect(_) = kind {
        if let Some(e) = connect_first_error(&cx.p.checks.tcp_rules) {
            cx.r.alert_at(d, 1, format!("'tcp-check connect' : {e}."));
            return Flow::Continue;
        }
    }
    let index = cx.p.checks.tcp_rules.last().map(|r| r.index + 1).unwrap_or(0);
    cx.p.checks.tcp_rules.push(CheckRule { span: d.span.clone(), index, kind });
    not_yet_parts(cx, d);
    Flow::Continue
}

/// Parts of check rules that parse but do not run yet.
fn not_yet_parts(cx: &mut Cx, d: &Directive) {
    let Some(r) =
        cx.p.checks
            .http_rules
            .last()
            .filter(|r| r.span == d.span)
            .or_else(|| cx.p.checks.tcp_rules.last().filter(|r| r.span == d.span))
    else {
        return;
    };
    let what: Option<&str> = match &r.kind {
        RuleKind::Connect(c) if c.ssl || c.sni.is_some() || c.alpn.is_some() => Some("TLS in check connect rules"),
        RuleKind::Connect(c) if c.via_socks4 => Some("check connect via-socks4"),
        RuleKind::Connect(c) if c.port_expr.is_some() => Some("sample expressions in check connect ports"),
        RuleKind::Expect(e) if e.status_code.is_some() => Some("status-code in check expect rules"),
        RuleKind::Expect(e)
            if e.on_success.as_deref().is_some_and(|s| s.contains("%["))
                || e.on_error.as_deref().is_some_and(|s| s.contains("%[")) =>
        {
            Some("sample expressions in check on-success/on-error messages")
        }
        RuleKind::Expect(e) if matches!(e.pattern, checks::Pattern::Header { name_lf: true, .. }) => {
            Some("log-format header names in http-check expect")
        }
        RuleKind::Expect(e) if matches!(&e.pattern, checks::Pattern::Header { value: Some((_, _, true)), .. }) => {
            Some("log-format header values in http-check expect")
        }
        RuleKind::Expect(e) if matches!(&e.pattern, checks::Pattern::StringLf(f) | checks::Pattern::BinaryLf(f) if checks::parse_fmt(f).is_none()) => {
            Some("sample expressions other than var(), str() and int() in check rules")
        }
        RuleKind::Send(SendRule::Format { fmt, .. }) if checks::parse_fmt(fmt).is_none() => {
            Some("sample expressions other than var(), str() and int() in check rules")
        }
        RuleKind::SetVar { expr, fmt, .. }
            if (*fmt && checks::parse_fmt(expr).is_none()) || (!*fmt && checks::parse_sample(expr).is_none()) =>
        {
            Some("sample expressions other than var(), str() and int() in check rules")
        }
        _ => None,
    };
    if let Some(w) = what {
        cx.r.not_yet(d, w);
    }
}

//! `tcp-request` and `tcp-response` (HAProxy's tcp_rules.c): `inspect-delay`, the built-in
//! actions (`accept`, `reject`, `close`, `capture`, `track-sc*`, `expect-proxy`,
//! `expect-netscaler-cip`) and the registered ones. Unlike http rules, an error here does not
//! stop reading the configuration, and messages carry no "error detected" prefix.

use super::misc_act::{parse_time_c, track_sc_num, TimeErr};
use super::{cond_check, emit_acl_warnings, located, own, push_rule, tables, Act, Later};
use crate::acl::Ctx;
use crate::config::ast::Directive;
use crate::config::diag::Severity;
use crate::ir::keywords::proxy::{Cx, Flow};
use crate::ir::rules::{Action, LateCheck, RuleSet, TrackLevel};

fn alert(cx: &mut Cx, d: &Directive, i: usize, msg: String) -> Flow {
    cx.r.push(located(Severity::Alert, d, i, msg));
    Flow::Continue
}

/// `'tcp-request inspect-delay' expects ...` and the rest of the inspect-delay checks.
fn inspect_delay(cx: &mut Cx, d: &Directive, response: bool) -> Flow {
    let (a0, a1) = (d.arg(0), d.arg(1));
    let anon_defaults = cx.p.is_defaults() && cx.p.name.is_empty();
    if response && (anon_defaults || !cx.p.caps.backend) {
        let msg = format!("{a0} {a1} is only allowed in 'backend' sections or 'defaults' section with a name");
        return alert(cx, d, 1, msg);
    }
    if !response && anon_defaults {
        return alert(cx, d, 1, format!("{a0} {a1} is not allowed in anonymous 'defaults' sections"));
    }
    let who = format!("{} '{}'", cx.p.caps.type_name(), cx.p.name);
    let v = d.arg(2);
    let val = match parse_time_c(v) {
        Ok(ms) if !v.is_empty() => ms,
        res => {
            let mut msg = format!("'{a0} {a1}' expects a positive delay in milliseconds, in {who}");
            match res {
                Err(TimeErr::Over) => {
                    msg.push_str(&format!(" (timer overflow in '{v}', maximum value is 2147483647 ms or ~24.8 days)"))
                }
                Err(TimeErr::Under) => {
                    msg.push_str(&format!(" (timer underflow in '{v}', minimum non-null value is 1 ms)"))
                }
                Err(TimeErr::At(c)) if !v.is_empty() => msg.push_str(&format!(" (unexpected character '{c}')")),
                _ => {}
            }
            return alert(cx, d, 2, msg);
        }
    };
    let slot = if response { &mut cx.p.tcp_response_inspect_delay } else { &mut cx.p.tcp_request_inspect_delay };
    if slot.is_some_and(|v| v > 0) {
        cx.r.push(located(Severity::Warning, d, 1, format!("ignoring {a0} {a1} (was already defined) in {who}")));
        return Flow::Continue;
    }
    *slot = Some(val as u32);
    Flow::Continue
}

pub fn tcp_request(cx: &mut Cx, d: &Directive) -> Flow {
    let who = format!("{} '{}'", cx.p.caps.type_name(), cx.p.name);
    if !d.has_arg(1) {
        return alert(cx, d, 0, format!("missing argument for '{}' in {who}", d.arg(0)));
    }
    let set = match d.arg(1) {
        "inspect-delay" => return inspect_delay(cx, d, false),
        "content" => RuleSet::TcpReqCont,
        "connection" | "session" => {
            if !cx.p.caps.frontend {
                let msg = format!(
                    "{} {} is not allowed because {} {} is not a frontend",
                    d.arg(0),
                    d.arg(1),
                    cx.p.caps.type_name(),
                    cx.p.name
                );
                return alert(cx, d, 1, msg);
            }
            if d.arg(1) == "connection" {
                RuleSet::TcpReqConn
            } else {
                RuleSet::TcpReqSess
            }
        }
        other => {
            let msg =
                format!("'{}' expects 'inspect-delay', 'connection', or 'content' in {who} (got '{other}')", d.arg(0));
            return alert(cx, d, 1, msg);
        }
    };
    if cx.p.is_defaults() && cx.p.name.is_empty() {
        let msg = format!("{} {} is not allowed in anonymous 'defaults' sections", d.arg(0), d.arg(1));
        return alert(cx, d, 1, msg);
    }
    rule(cx, d, set)
}

pub fn tcp_response(cx: &mut Cx, d: &Directive) -> Flow {
    let who = format!("{} '{}'", cx.p.caps.type_name(), cx.p.name);
    if !d.has_arg(1) {
        return alert(cx, d, 0, format!("missing argument for '{}' in {who}", d.arg(0)));
    }
    match d.arg(1) {
        "inspect-delay" => inspect_delay(cx, d, true),
        "content" => {
            if (cx.p.is_defaults() && cx.p.name.is_empty()) || !cx.p.caps.backend {
                let msg = format!(
                    "{} {} is only allowed in 'backend' sections or 'defaults' section with a name",
                    d.arg(0),
                    d.arg(1)
                );
                return alert(cx, d, 1, msg);
            }
            rule(cx, d, RuleSet::TcpResCont)
        }
        other => {
            let msg = format!("'{}' expects 'inspect-delay' or 'content' in {who} (got '{other}')", d.arg(0));
            alert(cx, d, 1, msg)
        }
    }
}

/// One `tcp-request connection|session|content` or `tcp-response content` rule.
fn rule(cx: &mut Cx, d: &Directive, set: RuleSet) -> Flow {
    let args: Vec<&str> = d.args_from(0).collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let (a0, a1) = (arg(0), arg(1));
    let who = format!("{} '{}'", cx.p.caps.type_name(), cx.p.name);
    let kw_idx = 2;
    let kw = arg(kw_idx);
    let place = {
        let a = Act::new(Vec::new(), set, cx.p, cx.global);
        a.where_both()
    };
    let mut c = kw_idx;
    let mut is_final = false;
    let mut check = None;
    let action = match kw {
        "accept" => {
            c += 1;
            is_final = true;
            Action::Allow
        }
        "reject" => {
            c += 1;
            is_final = true;
            Action::Reject
        }
        "close" if set == RuleSet::TcpResCont => {
            c += 1;
            is_final = true;
            Action::Close
        }
        "capture" if set != RuleSet::TcpResCont => {
            if !cx.p.caps.frontend {
                return alert(cx, d, c, format!("'{a0} {a1} {kw}' : proxy '{}' has no frontend capability", cx.p.name));
            }
            if !place.intersects(Ctx::FE_REQ_CNT) {
                let msg = format!("'{kw} {}' is not allowed in '{a0} {a1}' rules in {who}", arg(c + 1));
                return alert(cx, d, c, msg);
            }
            c += 1;
            let e = match crate::acl::parse_sample_expr(&args, &mut c) {
                Ok(e) => e,
                Err(e) => return alert(cx, d, c, format!("'{a0} {a1} {kw}' : {}", e.msg)),
            };
            if !e.fetch.val.intersects(place) {
                let src = crate::acl::fetch_source(e.fetch.name).unwrap_or("internal state");
                let msg = format!(
                    "'{a0} {a1} {kw}' : fetch method '{}' extracts information from '{src}', none of which is available here",
                    arg(c - 1)
                );
                return alert(cx, d, c, msg);
            }
            let mut len = 0;
            if arg(c) == "len" {
                c += 1;
                len = crate::ir::values::atoi(arg(c));
                if len <= 0 {
                    return alert(cx, d, c, format!("'{a0} {a1} {kw}' : length must be > 0"));
                }
                c += 1;
            }
            if len == 0 {
                return alert(cx, d, c, format!("'{a0} {a1} {kw}' : a positive 'len' argument is mandatory"));
            }
            Action::Unsupported
        }
        w if w.starts_with("track-sc") && set != RuleSet::TcpResCont => {
            let sc = match track_sc_num(&w[8..]) {
                Ok(n) => n,
                Err(e) => return alert(cx, d, c, format!("'{a0} {a1} {kw}' : {e}")),
            };
            c += 1;
            let e = match crate::acl::parse_sample_expr(&args, &mut c) {
                Ok(e) => e,
                Err(e) => return alert(cx, d, c, format!("'{a0} {a1} {kw}' : {}", e.msg)),
            };
            if !e.fetch.val.intersects(place) {
                let src = crate::acl::fetch_source(e.fetch.name).unwrap_or("internal state");
                let msg = format!(
                    "'{a0} {a1} {kw}' : fetch method '{}' extracts information from '{src}', none of which is available here",
                    arg(c - 1)
                );
                return alert(cx, d, c, msg);
            }
            let mut table = None;
            if arg(c) == "table" {
                c += 1;
                if arg(c).is_empty() {
                    return alert(cx, d, c, format!("'{a0} {a1} {kw}' : missing table name"));
                }
                table = Some(arg(c).to_string());
                c += 1;
            }
            check = Some(LateCheck::Track { sc, table: table.clone(), key: e.clone() });
            let level = if set == RuleSet::TcpReqCont { TrackLevel::Content } else { TrackLevel::Session };
            Action::TrackSc { sc, table, key: e, level }
        }
        "expect-proxy" | "expect-netscaler-cip" if set != RuleSet::TcpResCont => {
            if arg(c + 1) != "layer4" {
                let msg = format!("'{a0} {a1} {kw}' only supports 'layer4' in {who} (got '{}')", arg(c + 1));
                return alert(cx, d, c + 1, msg);
            }
            if set != RuleSet::TcpReqConn {
                let msg = format!("'{kw} {}' is not allowed in '{a0} {a1}' rules in {who}", arg(c + 1));
                return alert(cx, d, c, msg);
            }
            c += 2;
            if kw == "expect-proxy" {
                Action::ExpectProxy
            } else {
                Action::Unsupported
            }
        }
        _ => match tables::lookup(set, kw) {
            Some(k) => {
                c += 1;
                let mut act = Act::new(args.clone(), set, cx.p, cx.global);
                let res = (k.parse)(&mut act, &mut c);
                let (warnings, acl_warnings) =
                    (std::mem::take(&mut act.warnings), std::mem::take(&mut act.acl_warnings));
                is_final = act.is_final;
                check = act.check.take();
                emit_acl_warnings(cx, d, kw_idx, acl_warnings);
                for w in warnings {
                    cx.r.push(located(Severity::Warning, d, kw_idx, w));
                }
                match res {
                    Ok(a) => a,
                    Err(e) => return alert(cx, d, kw_idx, e),
                }
            }
            None => {
                let (list, best) = tables::expects(set, kw);
                let hint = best.map(|b| format!(" Did you mean '{b}' maybe ?")).unwrap_or_default();
                let msg = if set == RuleSet::TcpResCont {
                    format!("'{a0} {a1}' expects 'accept', 'close', 'reject', {list} in {who} (got '{kw}').{hint}")
                } else {
                    format!(
                        "'{a0} {a1}' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', {list} in {who} (got '{kw}').{hint}\n"
                    )
                };
                return alert(cx, d, kw_idx, msg);
            }
        },
    };
    let mut cond_words = None;
    let mut info = None;
    match arg(c) {
        "if" | "unless" => {
            let words: Vec<&str> = args[c..].to_vec();
            let (res, warnings) = cond_check(cx.p, &words);
            emit_acl_warnings(cx, d, c, warnings);
            match res {
                Ok(i) => {
                    info = Some(i);
                    cond_words = Some(words.iter().map(|s| s.to_string()).collect());
                }
                Err((e, w)) => {
                    let msg = format!(
                        "'{a0} {a1} {kw}' : error detected in {who} while parsing '{}' condition : {e}",
                        arg(c)
                    );
                    return alert(cx, d, c + w, msg);
                }
            }
        }
        "" => {}
        other => {
            let msg = format!("'{a0} {a1} {kw}' only accepts 'if' or 'unless', in {who} (got '{other}')");
            return alert(cx, d, c, msg);
        }
    }
    let mut warn = None;
    if let Some(i) = &info {
        if let Some(conf) = i.conflict(place) {
            warn = Some(conf.tcp_message(&format!("{a0} {a1}")));
        }
    }
    match set {
        RuleSet::TcpReqCont => super::misplaced(cx, d, a0, Later::Monitor),
        RuleSet::TcpReqConn => super::misplaced(cx, d, a0, Later::TcpSession),
        RuleSet::TcpReqSess => super::misplaced(cx, d, a0, Later::TcpContent),
        _ => {}
    }
    let _ = own;
    push_rule(cx, d, set, action, kw, cond_words, is_final, check);
    if let Some(w) = warn {
        cx.r.push(located(Severity::Warning, d, 0, w));
    }
    Flow::Continue
}

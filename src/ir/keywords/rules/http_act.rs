//! HTTP actions (HAProxy's http_act.c): header edits, request-line rewrites, status changes,
//! verdicts, and the HTTP-only actions haproxide parses without running (captures, maps, auth,
//! timeouts, normalisation). Messages are HAProxy's; the caller adds its prefix.

use super::misc_act::{c_strtol, parse_time_c, TimeErr};
use super::{reply, Act};
use crate::acl::{regex::Regex, Ctx};
use crate::ir::rules::{Action, HeaderMatch, LateCheck, LinePart, ReplyBody, RuleSet};

pub fn allow(a: &mut Act, _cur: &mut usize) -> Result<Action, String> {
    a.is_final = true;
    Ok(Action::Allow)
}

pub fn reject(a: &mut Act, _cur: &mut usize) -> Result<Action, String> {
    a.is_final = true;
    Ok(Action::Reject)
}

pub fn disable_l7_retry(_a: &mut Act, _cur: &mut usize) -> Result<Action, String> {
    // L7 retries (`retry-on`) are not run, so there is nothing to disable.
    Ok(Action::NoOp)
}

/// `deny [deny_status <code>] [reply args]` and `tarpit` (request rules), `deny` (response).
pub fn deny(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let tarpit = a.set == RuleSet::HttpReq && kw == "tarpit";
    let default_status = match a.set {
        RuleSet::HttpReq if tarpit => 500,
        RuleSet::HttpReq => 403,
        _ => 502,
    };
    let c = *cur;
    let r = if a.arg(c).is_empty() || a.is_cond(c) {
        let mut i = 0;
        reply::parse_reply(a, &["default-errorfiles", ""], &mut i, default_status)?
    } else if a.arg(c) == "deny_status" && (a.arg(c + 2).is_empty() || a.is_cond(c + 2)) {
        let status = a.arg(c + 1);
        let mut i = 0;
        let r = reply::parse_reply(a, &["status", status, "default-errorfiles", ""], &mut i, default_status)?;
        *cur += 2;
        r
    } else {
        // `deny_status` followed by other reply arguments is read as `status`.
        let owned: Vec<String> = a.args.iter().map(|s| s.to_string()).collect();
        let mut words: Vec<&str> = owned.iter().map(String::as_str).collect();
        if words[c] == "deny_status" {
            words[c] = "status";
        }
        reply::parse_reply(a, &words, cur, default_status)?
    };
    a.is_final = true;
    if let ReplyBody::ErrorFiles(name) = &r.body {
        a.check = Some(LateCheck::HttpErrors(name.clone()));
    }
    if tarpit {
        return Ok(Action::Tarpit(Box::new(r)));
    }
    Ok(Action::Deny(Box::new(r)))
}

pub fn auth(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    a.is_final = true;
    let mut realm = None;
    if a.arg(*cur) == "realm" {
        *cur += 1;
        if a.arg(*cur).is_empty() {
            return Err("missing realm value.\n".into());
        }
        realm = Some(a.arg(*cur).to_string());
        *cur += 1;
    }
    Ok(Action::Auth { realm })
}

/// The places of a header value for the rule set.
fn hdr_cap(a: &Act) -> Ctx {
    let mut cap = Ctx::default();
    let (fe, be) =
        if a.set == RuleSet::HttpReq { (Ctx::FE_HRQ_HDR, Ctx::BE_HRQ_HDR) } else { (Ctx::FE_HRS_HDR, Ctx::BE_HRS_HDR) };
    if a.fe() {
        cap = cap | fe;
    }
    if a.be() {
        cap = cap | be;
    }
    cap
}

/// `set-header`, `add-header`, `early-hint`: `<name> <fmt>`.
pub fn set_header(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() {
        return Err("expects exactly 2 arguments".into());
    }
    let name = a.arg(c).to_string();
    let cap = hdr_cap(a);
    let value = a.fmt(a.arg(c + 1), cap, true)?;
    *cur = c + 2;
    if kw.starts_with('e') {
        return Ok(Action::Unsupported);
    }
    Ok(Action::SetHeader { name, value, add: kw.starts_with('a') })
}

pub fn del_header(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let mut c = *cur;
    if a.arg(c).is_empty() {
        return Err("expects at least 1 argument".into());
    }
    let name = a.arg(c).to_string();
    let mut how = HeaderMatch::Str;
    if a.arg(c + 1) == "-m" {
        c += 1;
        if a.arg(c + 1).is_empty() {
            return Err("-m flag expects exactly 1 argument".into());
        }
        c += 1;
        how = match a.arg(c) {
            "str" => HeaderMatch::Str,
            "beg" => HeaderMatch::Beg,
            "end" => HeaderMatch::End,
            "sub" => HeaderMatch::Sub,
            "reg" => HeaderMatch::Reg(Regex::new(&name, false, true)?),
            other => return Err(format!("-m with unsupported matching method '{other}'")),
        };
    }
    *cur = c + 1;
    Ok(Action::DelHeader { name, how })
}

/// `replace-header` / `replace-value <name> <regex> <fmt>`.
pub fn replace_header(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let per_value = a.arg(*cur - 1).as_bytes().get(8) != Some(&b'h');
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() || a.arg(c + 2).is_empty() {
        return Err("expects exactly 3 arguments".into());
    }
    let name = a.arg(c).to_string();
    let re = Regex::new(a.arg(c + 1), false, true)?;
    let cap = hdr_cap(a);
    let with = a.fmt(a.arg(c + 2), cap, true)?;
    *cur = c + 3;
    Ok(Action::ReplaceHeader { name, re, with, per_value })
}

/// The place of request-line formats: the frontend's, else the backend's.
fn line_cap(a: &Act) -> Ctx {
    if a.fe() {
        Ctx::FE_HRQ_HDR
    } else {
        Ctx::BE_HRQ_HDR
    }
}

/// `set-method`, `set-path`, `set-pathq`, `set-query`, `set-uri <fmt>`.
pub fn set_req_line(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let part = match kw {
        "set-method" => LinePart::Method,
        "set-path" => LinePart::Path,
        "set-pathq" => LinePart::PathQuery,
        "set-query" => LinePart::Query,
        _ => LinePart::Uri,
    };
    let c = *cur;
    if a.arg(c).is_empty() || (!a.arg(c + 1).is_empty() && !a.is_cond(c + 1)) {
        return Err("expects exactly 1 argument <format>".into());
    }
    let value = a.fmt(a.arg(c), line_cap(a), true)?;
    *cur += 1;
    Ok(Action::SetLine { part, value })
}

/// `replace-path`, `replace-pathq`, `replace-uri <regex> <fmt>`.
pub fn replace_uri(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let part = match a.arg(*cur - 1) {
        "replace-path" => LinePart::Path,
        "replace-pathq" => LinePart::PathQuery,
        _ => LinePart::Uri,
    };
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() || (!a.arg(c + 2).is_empty() && !a.is_cond(c + 2)) {
        return Err("expects exactly 2 arguments <match-regex> and <replace-format>".into());
    }
    let re = Regex::new(a.arg(c), false, true).map_err(|e| format!("failed to parse the regex : {e}"))?;
    let with = a.fmt(a.arg(c + 1), line_cap(a), true)?;
    *cur += 2;
    Ok(Action::ReplaceLine { part, re, with })
}

pub fn set_status(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() {
        return Err("expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>".into());
    }
    let (code, rest) = c_strtol(a.arg(c), 10);
    if !rest.is_empty() || !(100..=999).contains(&code) {
        return Err("expects an integer status code between 100 and 999".into());
    }
    *cur += 1;
    let mut reason = None;
    if a.arg(*cur) == "reason" && !a.arg(*cur + 1).is_empty() && !a.is_cond(*cur + 1) {
        reason = Some(a.arg(*cur + 1).to_string());
        *cur += 2;
    }
    Ok(Action::SetStatus { code: code as u16, reason })
}

pub fn strict_mode(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() {
        return Err("expects exactly 1 arguments".into());
    }
    match a.arg(c).to_ascii_lowercase().as_str() {
        "on" | "off" => {}
        _ => return Err(format!("Unexpected value '{}'. Only 'on' and 'off' are supported", a.arg(c))),
    }
    *cur += 1;
    // Rewrites never fail for lack of room in haproxide, so the mode changes nothing.
    Ok(Action::NoOp)
}

/// `http-request capture <expr> [len <n> | id <n>]`.
pub fn capture_req(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let start = *cur;
    let mut c = start;
    while c < start + 3 && !a.arg(c).is_empty() {
        if a.is_cond(c) {
            break;
        }
        c += 1;
    }
    if c < start + 3 {
        return Err("expects <expression> [ 'len' <length> | id <idx> ]".into());
    }
    let mut c = start;
    let e = a.expr(&mut c)?;
    if !e.fetch.val.intersects(Ctx::FE_HRQ_HDR) {
        let src = crate::acl::fetch_source(e.fetch.name).unwrap_or("internal state");
        return Err(format!(
            "fetch method '{}' extracts information from '{src}', none of which is available here",
            a.arg(c - 1)
        ));
    }
    if a.arg(c).is_empty() {
        return Err("expects 'len or 'id'".into());
    }
    let action = match a.arg(c) {
        "len" => {
            c += 1;
            if !a.fe() {
                return Err(format!("proxy '{}' has no frontend capability", a.p.name));
            }
            let len = crate::ir::values::atoi(a.arg(c));
            if len <= 0 {
                return Err("length must be > 0".into());
            }
            c += 1;
            a.check = Some(LateCheck::CaptureSlot);
            // A new slot after every request capture declared so far (HAProxy's nb_req_cap++).
            let index = a.p.captures.iter().filter(|s| s.request).count()
                + a.p.http_request.iter().filter(|r| r.check == Some(LateCheck::CaptureSlot)).count();
            Action::Capture { expr: e, index, len: Some(len as usize), response: false }
        }
        "id" => {
            c += 1;
            let (id, rest) = c_strtol(a.arg(c), 10);
            if !rest.is_empty() {
                return Err(format!("cannot parse id '{}'", a.arg(c)));
            }
            c += 1;
            a.check = Some(LateCheck::CaptureId { id, response: false });
            Action::Capture { expr: e, index: id.max(0) as usize, len: None, response: false }
        }
        other => return Err(format!("expects 'len' or 'id', found '{other}'")),
    };
    *cur = c;
    Ok(action)
}

/// `http-response capture <expr> id <n>` (and http-after-response).
pub fn capture_res(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let start = *cur;
    let mut c = start;
    while c < start + 3 && !a.arg(c).is_empty() {
        if a.is_cond(c) {
            break;
        }
        c += 1;
    }
    if c < start + 3 {
        return Err("expects <expression> id <idx>".into());
    }
    let mut c = start;
    let e = a.expr(&mut c)?;
    if !e.fetch.val.intersects(Ctx::FE_HRS_HDR) {
        let src = crate::acl::fetch_source(e.fetch.name).unwrap_or("internal state");
        return Err(format!(
            "fetch method '{}' extracts information from '{src}', none of which is available here",
            a.arg(c - 1)
        ));
    }
    if a.arg(c).is_empty() {
        return Err("expects 'id'".into());
    }
    if a.arg(c) != "id" {
        return Err(format!("expects 'id', found '{}'", a.arg(c)));
    }
    c += 1;
    let (id, rest) = c_strtol(a.arg(c), 10);
    if !rest.is_empty() {
        return Err(format!("cannot parse id '{}'", a.arg(c)));
    }
    c += 1;
    a.check = Some(LateCheck::CaptureId { id, response: true });
    *cur = c;
    Ok(Action::Capture { expr: e, index: id.max(0) as usize, len: None, response: true })
}

/// `add-acl(<file>)`, `del-acl(<file>)`, `del-map(<file>) <key>`, `set-map(<file>) <key> <value>`.
pub fn set_map(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let set_map = a.arg(*cur - 1).starts_with('s');
    let c = *cur;
    if set_map && (a.arg(c).is_empty() || a.arg(c + 1).is_empty()) {
        return Err("expects exactly 2 arguments".into());
    } else if a.arg(c).is_empty() {
        return Err("expects exactly 1 arguments".into());
    }
    let cap = hdr_cap(a);
    a.fmt(a.arg(c), cap, true)?;
    let mut last = c;
    if set_map {
        last += 1;
        a.fmt(a.arg(last), cap, true)?;
    }
    *cur = last + 1;
    Ok(Action::Unsupported)
}

pub fn normalize_uri(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() {
        return Err("missing argument <normalizer>".into());
    }
    let norm = a.arg(c);
    let mut next = c + 1;
    match norm {
        "path-merge-slashes" | "path-strip-dot" | "query-sort-by-name" | "fragment-strip" | "fragment-encode" => {}
        "path-strip-dotdot" | "percent-decode-unreserved" | "percent-to-uppercase" => {
            let opt = if norm == "path-strip-dotdot" { "full" } else { "strict" };
            if a.arg(next) == opt {
                next += 1;
            } else if !a.arg(next).is_empty() && !a.is_cond(next) {
                return Err(format!("unknown argument '{}' for '{norm}' normalizer", a.arg(next)));
            }
        }
        other => return Err(format!("unknown normalizer '{other}'")),
    }
    *cur = next;
    Ok(Action::Unsupported)
}

pub fn set_timeout(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() {
        return Err("expects exactly 2 arguments".into());
    }
    if !a.be() {
        return Err(format!("proxy '{}' has no backend capability", a.p.name));
    }
    let name = a.arg(c);
    if name != "server" && name != "tunnel" {
        return Err(format!("'set-timeout' rule supports 'server'/'tunnel' (got '{name}')"));
    }
    let v = a.arg(c + 1);
    match parse_time_c(v) {
        Ok(0) => return Err(format!("null value is not valid for a 'set-timeout {name}' rule")),
        Ok(_) => {}
        Err(TimeErr::Over) => {
            return Err(format!(
                "timer overflow in argument '{v}' to rule 'set-timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)"
            ))
        }
        Err(TimeErr::Under) => {
            return Err(format!(
                "timer underflow in argument '{v}' to rule 'set-timeout {name}' (minimum value is 1 ms)"
            ))
        }
        Err(TimeErr::At(ch)) => {
            let mut i = c + 1;
            if a.expr(&mut i).is_err() {
                return Err(format!("unexpected character '{ch}' in rule 'set-timeout {name}'"));
            }
        }
    }
    *cur = c + 2;
    Ok(Action::Unsupported)
}

pub fn wait_for_body(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let mut c = *cur;
    if a.arg(c) != "time" {
        return Err("expects time <time> [ at-least <bytes> ]".into());
    }
    if a.arg(c + 1).is_empty() {
        return Err("missing argument for 'time'".into());
    }
    c += 1;
    match parse_time_c(a.arg(c)) {
        Ok(_) => {}
        Err(TimeErr::Over) => return Err("time overflow (maximum value is 2147483647 ms or ~24.8 days)".into()),
        Err(TimeErr::Under) => return Err("time underflow (minimum non-null value is 1 ms)".into()),
        Err(TimeErr::At(ch)) => return Err(format!("unexpected character '{ch}'")),
    }
    c += 1;
    if a.arg(c) == "at-least" {
        if a.arg(c + 1).is_empty() {
            return Err("missing argument for 'at-least'".into());
        }
        c += 1;
        if let Err(ch) = crate::ir::values::parse_size(a.arg(c)) {
            return Err(format!("unexpected character '{ch}'"));
        }
        c += 1;
    }
    *cur = c;
    Ok(Action::Unsupported)
}

//! Replies the proxy builds (`http_parse_http_reply`: `return`, `deny` and `tarpit` arguments)
//! and redirect rules (`http_parse_redirect_rule`: the `redirect` keyword and the
//! `http-request` / `http-response redirect` actions).

use super::{check_cond, located, Act};
use crate::acl::Ctx;
use crate::config::ast::Directive;
use crate::config::diag::{Diags, Severity};
use crate::ir::keywords::errors::ERROR_CODES;
use crate::ir::keywords::proxy::{Cx, Flow};
use crate::ir::rules::{
    Action, ActionRule, LateCheck, Redirect, RedirectKind, RedirectTarget, Reply, ReplyBody, RuleCond, RuleSet,
};

use crate::ir::keywords::global::{parse_time_bufsize, parse_time_maxrewrite};

/// The places of a reply's log-format arguments.
fn reply_cap(a: &Act) -> Ctx {
    if let Some(cap) = a.reply_cap {
        return cap;
    }
    let req = matches!(a.set, RuleSet::HttpReq | RuleSet::Redirect);
    let mut cap = Ctx::default();
    if a.fe() {
        cap = cap | if req { Ctx::FE_HRQ_HDR } else { Ctx::FE_HRS_HDR };
    }
    if a.be() {
        cap = cap | if req { Ctx::BE_HRQ_HDR } else { Ctx::BE_HRS_HDR };
    }
    cap
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|_| format!("error opening file '{path}'"))?;
    // HAProxy's `tune.bufsize` is the largest payload a reply file may have.
    let bufsize = parse_time_bufsize();
    if meta.len() > bufsize {
        return Err(format!("file '{path}' exceeds the buffer size ({} > {bufsize})", meta.len()));
    }
    std::fs::read(path).map_err(|_| format!("error reading file '{path}'"))
}

/// `http_parse_http_reply`: the reply arguments from `args[*cur]` on. On success `*cur` is on
/// the first word that is not a reply argument.
pub fn parse_reply(a: &mut Act, args: &[&str], cur: &mut usize, default_status: u16) -> Result<Reply, String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let cap = reply_cap(a);
    let mut reply = Reply { status: default_status, ctype: None, body: ReplyBody::Empty, hdrs: Vec::new() };
    let mut act_arg: &str = "";
    let mut has_body = false;
    let mut lf_text: Option<String> = None;
    let mut c = *cur;
    let mut raw_len = 0usize;
    loop {
        let w = arg(c);
        if w.is_empty() {
            break;
        }
        let body_kw = matches!(
            w,
            "errorfiles" | "default-errorfiles" | "errorfile" | "file" | "string" | "lf-file" | "lf-string"
        );
        if body_kw && has_body {
            return Err(format!("unexpected '{w}' argument, '{act_arg}' already defined"));
        }
        match w {
            "status" => {
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!("'{}' expects <status_code> as argument", arg(c - 1)));
                }
                let s = crate::ir::values::atoi(arg(c));
                if !(200..=599).contains(&s) {
                    return Err(format!("Unexpected status code '{}'", s as i32));
                }
                reply.status = s as u16;
                c += 1;
            }
            "content-type" => {
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!("'{}' expects <ctype> as argument", arg(c - 1)));
                }
                reply.ctype = Some(arg(c).to_string());
                c += 1;
            }
            "errorfiles" => {
                act_arg = w;
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!("'{}' expects <name> as argument", arg(c - 1)));
                }
                reply.body = ReplyBody::ErrorFiles(arg(c).to_string());
                has_body = true;
                c += 1;
            }
            "default-errorfiles" => {
                act_arg = w;
                reply.body = ReplyBody::Default;
                has_body = true;
                c += 1;
            }
            "errorfile" => {
                act_arg = w;
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!("'{}' expects <fmt> as argument", arg(c - 1)));
                }
                let body = load_errorfile(a, arg(c))?;
                reply.body = ReplyBody::ErrorFile(body);
                has_body = true;
                c += 1;
            }
            "file" | "lf-file" => {
                act_arg = w;
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!("'{}' expects <file> as argument", arg(c - 1)));
                }
                let data = read_file(arg(c))?;
                if w == "file" {
                    raw_len = data.len();
                    reply.body = ReplyBody::Raw(data);
                } else {
                    lf_text = Some(String::from_utf8_lossy(&data).into_owned());
                }
                has_body = true;
                c += 1;
            }
            "string" | "lf-string" => {
                act_arg = w;
                c += 1;
                if arg(c).is_empty() {
                    return Err(format!(
                        "'{}' expects <{}> as argument",
                        arg(c - 1),
                        if w == "string" { "str" } else { "fmt" }
                    ));
                }
                if w == "string" {
                    raw_len = arg(c).len();
                    reply.body = ReplyBody::Raw(arg(c).as_bytes().to_vec());
                } else {
                    lf_text = Some(arg(c).to_string());
                }
                has_body = true;
                c += 1;
            }
            "hdr" => {
                c += 1;
                if arg(c).is_empty() || arg(c + 1).is_empty() {
                    return Err(format!("'{}' expects <name> and <value> as arguments", arg(c - 1)));
                }
                let name = arg(c);
                if ["content-length", "transfer-encoding", "content-type"].iter().any(|h| name.eq_ignore_ascii_case(h))
                {
                    a.warnings.push(format!("header '{name}' always ignored by the http reply."));
                    c += 2;
                    continue;
                }
                let value = a.fmt(arg(c + 1), cap, true)?;
                reply.hdrs.push((name.to_string(), value));
                c += 2;
            }
            _ => break,
        }
    }
    match &reply.body {
        ReplyBody::Empty if lf_text.is_none() => {
            if let Some(ct) = reply.ctype.take() {
                a.warnings.push(format!(
                    "content-type '{ct}' ignored by the http reply because neither errorfile nor payload defined."
                ));
            }
        }
        ReplyBody::ErrorFiles(_) | ReplyBody::Default | ReplyBody::ErrorFile(_) => {
            if !matches!(reply.body, ReplyBody::ErrorFile(_)) && !ERROR_CODES.contains(&reply.status) {
                return Err(format!(
                    "status code '{}' not handled by default with '{act_arg}' argument.",
                    reply.status
                ));
            }
            if let Some(ct) = reply.ctype.take() {
                a.warnings.push(format!("content-type '{ct}' ignored by the http reply when used with an erorrfile."));
            }
            if !reply.hdrs.is_empty() {
                a.warnings.push("hdr parameters ignored by the http reply when used with an erorrfile.".to_string());
                reply.hdrs.clear();
            }
        }
        ReplyBody::Raw(_) => {
            if (reply.status == 204 || reply.status == 304) && raw_len > 0 {
                return Err(format!("No body expected for {} responses", reply.status));
            }
            if reply.ctype.is_none() && raw_len > 0 {
                return Err("a content type must be defined when non-empty payload is configured".into());
            }
            if raw_len == 0 {
                if let Some(ct) = reply.ctype.take() {
                    a.warnings.push(format!(
                        "content-type '{ct}' ignored by the http reply when used with an empty payload."
                    ));
                }
            }
            // HAProxy warns when a payload leaves less room than `tune.maxrewrite` in a buffer.
            if parse_time_bufsize().saturating_sub(raw_len as u64) < parse_time_maxrewrite() {
                a.warnings.push(
                    "http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled."
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    if let Some(text) = lf_text {
        if reply.status == 204 || reply.status == 304 {
            return Err(format!("No body expected for {} responses", reply.status));
        }
        if reply.ctype.is_none() {
            return Err("a content type must be defined with a log-format payload".into());
        }
        reply.body = ReplyBody::Fmt(a.fmt(&text, cap, true)?);
    }
    *cur = c;
    Ok(reply)
}

/// HAProxy's `http_load_errorfile`: a whole HTTP response read from a file. Its truncation
/// warning (always followed by an error: a truncated file fills a buffer, more than an HTX
/// message holds) comes with the rule's location here.
pub fn load_errorfile(a: &mut Act, path: &str) -> Result<Vec<u8>, String> {
    let mut diags = Diags::default();
    let res = crate::ir::keywords::errors::load_error_file(path, &mut diags);
    a.warnings.extend(diags.list.into_iter().map(|d| d.msg));
    res
}

/// `http-request|response return [reply args]`.
pub fn http_return(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let args: Vec<&str> = a.args.clone();
    let r = parse_reply(a, &args, cur, 200)?;
    a.is_final = true;
    if let ReplyBody::ErrorFiles(name) = &r.body {
        a.check = Some(LateCheck::HttpErrors(name.clone()));
    }
    Ok(Action::Return(Box::new(r)))
}

/// What `http_parse_redirect_rule` builds, before the rule is stored.
pub struct ParsedRedirect {
    pub redirect: Redirect,
    /// The condition's words (from `if`/`unless`), and its index in the arguments.
    pub cond: Option<(usize, Vec<String>)>,
}

/// `http_parse_redirect_rule`. `fmt`: the target is a log-format (http rules) rather than a
/// plain string (the `redirect` keyword); `response`: an http-response rule. The condition is
/// only split off here; the caller checks it (its errors say "error in condition").
pub fn parse_redirect(a: &mut Act, args: &[&str], fmt: bool, response: bool) -> Result<ParsedRedirect, String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let mut kind = None;
    let mut code = 302;
    let mut dest = "";
    let mut cookie: Option<(String, bool)> = None;
    let (mut drop_query, mut append_slash, mut ignore_empty) = (false, false, false);
    let mut cond = None;
    let mut c = 0;
    while !arg(c).is_empty() {
        let w = arg(c);
        match w {
            "location" | "prefix" | "scheme" | "set-cookie" | "clear-cookie" | "code" => {
                if arg(c + 1).is_empty() {
                    return Err(format!("missing argument for '{w}'"));
                }
                c += 1;
                match w {
                    "location" => {
                        kind = Some(RedirectKind::Location);
                        dest = arg(c);
                    }
                    "prefix" => {
                        kind = Some(RedirectKind::Prefix);
                        dest = arg(c);
                    }
                    "scheme" => {
                        kind = Some(RedirectKind::Scheme);
                        dest = arg(c);
                    }
                    "set-cookie" => cookie = Some((arg(c).to_string(), true)),
                    "clear-cookie" => cookie = Some((arg(c).to_string(), false)),
                    _ => {
                        code = crate::ir::values::atoi(arg(c));
                        if !(301..=308).contains(&code) || (304..307).contains(&code) {
                            return Err(format!(
                                "'{}': unsupported HTTP code '{}' (must be one of 301, 302, 303, 307 or 308)",
                                arg(c - 1),
                                arg(c)
                            ));
                        }
                    }
                }
            }
            "drop-query" => drop_query = true,
            "append-slash" => append_slash = true,
            "ignore-empty" => ignore_empty = true,
            "if" | "unless" => {
                cond = Some((c, args[c..].iter().take_while(|w| !w.is_empty()).map(|w| w.to_string()).collect()));
                break;
            }
            other => {
                return Err(format!(
                    "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '{other}')"
                ))
            }
        }
        c += 1;
    }
    let kind = kind.ok_or_else(|| "redirection type expected ('prefix', 'location', or 'scheme')".to_string())?;
    if response && kind != RedirectKind::Location {
        return Err("response only supports redirect type 'location'".into());
    }
    let target = if !fmt {
        RedirectTarget::Static(dest.to_string())
    } else if kind == RedirectKind::Prefix && dest == "/" {
        RedirectTarget::Fmt(Default::default())
    } else {
        let cap = match (response, a.be()) {
            (true, _) if a.fe() => Ctx::FE_HRS_HDR,
            (true, _) => Ctx::BE_HRS_HDR,
            (false, true) => Ctx::BE_HRQ_HDR,
            (false, false) => Ctx::FE_HRQ_HDR,
        };
        RedirectTarget::Fmt(a.fmt(dest, cap, true)?)
    };
    let cookie = cookie.map(|(c, set)| if set { format!("{c}; path=/;") } else { format!("{c}; path=/; Max-Age=0;") });
    Ok(ParsedRedirect {
        redirect: Redirect {
            kind,
            target,
            code: code as u16,
            drop_query,
            append_slash,
            ignore_empty,
            cookie,
            from_request: !response,
        },
        cond,
    })
}

/// `http-request redirect ...` / `http-response redirect ...`.
pub fn http_redirect(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let args: Vec<&str> = a.args[*cur..].to_vec();
    let response = a.set != RuleSet::HttpReq;
    let r = parse_redirect(a, &args, true, response)?;
    if !r.redirect.ignore_empty {
        a.is_final = true;
    }
    if let Some((_, words)) = r.cond {
        let ws: Vec<&str> = words.iter().map(String::as_str).collect();
        let (res, warnings) = super::cond_check(a.p, &ws);
        a.acl_warnings = warnings;
        a.cond_info = Some(res.map_err(|(e, _)| format!("error in condition: {e}"))?);
        a.cond = Some(words);
    }
    *cur = a.args.len();
    Ok(Action::Redirect(Box::new(r.redirect)))
}

/// The `redirect` keyword of proxy sections.
pub fn redirect_keyword(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.r.alert(d, format!("'{}' not allowed in 'defaults' section.", d.keyword()));
        return Flow::Continue;
    }
    let words: Vec<&str> = d.args_from(1).collect();
    let parsed = {
        let mut a = Act::new(words.clone(), RuleSet::Redirect, cx.p, cx.global);
        let r = parse_redirect(&mut a, &words, false, false);
        for w in a.warnings {
            cx.r.push(located(Severity::Warning, d, 0, w));
        }
        r
    };
    let prefix = format!("error detected in {} '{}' while parsing redirect rule", cx.p.caps.type_name(), cx.p.name);
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            cx.r.push(located(Severity::Alert, d, 1, format!("{prefix} : {e}.")));
            return Flow::Continue;
        }
    };
    let mut info = None;
    if let Some((at, words)) = &parsed.cond {
        let ws: Vec<&str> = words.iter().map(String::as_str).collect();
        match check_cond(cx, d, &ws, 1 + at) {
            Ok(i) => info = Some(i),
            Err((e, w)) => {
                cx.r.push(located(Severity::Alert, d, 1 + at + w, format!("{prefix} : error in condition: {e}.")));
                return Flow::Continue;
            }
        }
    }
    let is_final = !parsed.redirect.ignore_empty;
    let rule = ActionRule {
        span: d.span.clone(),
        keyword: "redirect".into(),
        action: Action::Redirect(Box::new(parsed.redirect)),
        cond: parsed.cond.map(|(_, words)| RuleCond {
            words,
            acls_before: cx.p.acls.len(),
            compiled: None,
            acls: None,
        }),
        is_final,
        check: None,
    };
    cx.p.redirects.push(rule);
    super::misplaced(cx, d, d.keyword(), super::Later::UseBackend);
    if let Some(i) = info {
        let mut place = Ctx::default();
        if cx.p.caps.frontend {
            place = place | Ctx::FE_HRQ_HDR;
        }
        if cx.p.caps.backend {
            place = place | Ctx::BE_HRQ_HDR;
        }
        if let Some(c) = i.conflict(place) {
            cx.r.push(located(Severity::Warning, d, 0, c.message()));
        }
    }
    Flow::Continue
}

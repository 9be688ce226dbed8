//! Error pages: `errorfile`, `errorloc` / `errorloc302` / `errorloc303`, `http-error` and
//! `errorfiles`. HAProxy loads and parses each file while reading the configuration, so a file
//! that is missing or is not an HTTP response fails the check at its line. Each proxy keeps its
//! lines in order (its defaults' first); [`resolve`] applies them once the `http-errors`
//! sections are known, giving the page per status the engine serves.

use std::collections::BTreeMap;

use crate::acl::Ctx;
use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::rules::{Reply, ReplyBody, RuleSet};
use crate::ir::types::{AuxDetail, AuxSection, Config, ErrorFile, ErrorPage, ErrorRule, NameRef};
use crate::ir::values;

use super::global::parse_time_bufsize;
use super::proxy::{Cx, Flow};
use super::rules::reply;
use super::rules::{located, Act};

/// Status codes HAProxy has error pages for (`http_err_codes` of 2.6, as `haproxy -c` accepts
/// them).
pub const ERROR_CODES: &[u16] =
    &[200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504];

/// `status` if HAProxy has an error page for it.
pub fn handled(status: i64) -> Option<u16> {
    ERROR_CODES.iter().copied().find(|&c| i64::from(c) == status)
}

/// HAProxy's checks of an error message (`http_str_to_htx`): an HTTP/1 response head (status
/// line and headers up to the empty line; a parse error gives its byte offset, -2 for a
/// truncated head), then what the head says of the payload. An empty file is accepted.
pub fn check_message(raw: &[u8]) -> Result<(), String> {
    if raw.is_empty() {
        return Ok(());
    }
    let head = parse_head(raw).map_err(|at| {
        let at = at.map_or(-2, |a| a as i64);
        format!("unable to parse headers (error offset: {at})")
    })?;
    if head.status < 200 && (head.status == 100 || head.status >= 102) {
        return Err(format!("invalid http status code for an error message ({})", head.status));
    }
    // 204 and 304 have no body whatever the head says.
    let bodyless_status = matches!(head.status, 204 | 304);
    if head.chunked && !bodyless_status {
        return Err("chunk-encoded payload not supported".into());
    }
    let payload = (raw.len() - head.len) as u64;
    if payload > 0 {
        let clen = if bodyless_status { None } else { head.content_length };
        if bodyless_status || clen == Some(0) {
            return Err("message payload not expected".into());
        }
        if let Some(n) = clen.filter(|&n| n != payload) {
            return Err(format!("payload size does not match the announced content-length ({payload} != {n})"));
        }
        if head.htx_size + payload > parse_time_bufsize().saturating_sub(HTX_OVERHEAD) {
            return Err("unable to add payload into the HTX message".into());
        }
    }
    Ok(())
}

/// What a buffer's HTX message takes besides the reason, each header's name and value plus 8
/// bytes of block, and the payload: `tune.bufsize` less this is the room (measured on HAProxy
/// 2.6.12 with bufsizes of 8192, 16384 and 32768; 0, 1 and 3 headers, reasons of 1 and 4
/// bytes). A file larger than the buffer, truncated to it, never fits.
const HTX_OVERHEAD: u64 = 104;

/// What [`check_message`] needs from a response head.
struct Head {
    status: u16,
    /// What the head takes in an HTX message, counted as [`HTX_OVERHEAD`] is.
    htx_size: u64,
    content_length: Option<u64>,
    chunked: bool,
    /// Bytes up to and including the empty line.
    len: usize,
}

/// The response head at the start of `raw`; `Err` is the offset of the first bad byte (`None`
/// when the head is cut short).
fn parse_head(raw: &[u8]) -> Result<Head, Option<usize>> {
    let at = |i: usize| raw.get(i).copied().ok_or(None);
    for (k, want) in b"HTTP/".iter().enumerate() {
        if at(k)? != *want {
            return Err(Some(k));
        }
    }
    let mut i = 5;
    for want_digit in [true, false, true] {
        let b = at(i)?;
        if (want_digit && !b.is_ascii_digit()) || (!want_digit && b != b'.') {
            return Err(Some(i));
        }
        i += 1;
    }
    if at(i)? != b' ' {
        return Err(Some(i));
    }
    while at(i)? == b' ' {
        i += 1;
    }
    let mut status = 0u16;
    for _ in 0..3 {
        let b = at(i)?;
        if !b.is_ascii_digit() {
            return Err(Some(i));
        }
        status = status * 10 + u16::from(b - b'0');
        i += 1;
    }
    // The reason phrase runs to the end of the line.
    let eol = |from: usize| raw[from..].iter().position(|&b| b == b'\n').map(|p| from + p);
    let e = eol(i).ok_or(None)?;
    let reason = trim(&raw[i..e]);
    i = e + 1;
    let mut head = Head { status, htx_size: reason.len() as u64, content_length: None, chunked: false, len: 0 };
    loop {
        if raw.get(i) == Some(&b'\n') {
            head.len = i + 1;
            return Ok(head);
        }
        if raw.get(i) == Some(&b'\r') && raw.get(i + 1) == Some(&b'\n') {
            head.len = i + 2;
            return Ok(head);
        }
        let e = eol(i).ok_or(None)?;
        let line = &raw[i..e];
        let colon = line.iter().position(|&b| b == b':');
        let name_end = colon.unwrap_or(line.len());
        if let Some(p) = line[..name_end].iter().position(|b| !is_token(*b)) {
            return Err(Some(i + p));
        }
        if colon.is_none() || name_end == 0 {
            return Err(Some(i + name_end));
        }
        let name = &line[..name_end];
        let raw_value = trim(&line[name_end + 1..]);
        head.htx_size += (name.len() + raw_value.len() + 8) as u64;
        let value = String::from_utf8_lossy(raw_value).to_ascii_lowercase();
        if name.eq_ignore_ascii_case(b"transfer-encoding") && value.contains("chunked") {
            head.chunked = true;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let n = value.parse::<u64>().map_err(|_| Some(i + name_end + 1))?;
            if head.content_length.is_some_and(|prev| prev != n) {
                return Err(Some(i));
            }
            head.content_length = Some(n);
        }
        i = e + 1;
    }
}

/// `b` without its leading and trailing blanks (and the CR before a LF).
fn trim(b: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r');
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |p| p + 1);
    &b[start..end]
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Read and check an error file as HAProxy's `http_load_errorfile` does: a file larger than a
/// buffer is truncated to it, with an unlocated warning in `diags`. `Err` is HAProxy's message
/// (after `<keyword> : `).
pub fn load_error_file(path: &str, diags: &mut Diags) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|_| format!("error opening file '{path}'."))?;
    // open() and fstat() succeed on a directory; read() fails.
    let mut body = if meta.is_dir() { None } else { std::fs::read(path).ok() }
        .ok_or_else(|| format!("error reading file '{path}'."))?;
    let bufsize = parse_time_bufsize() as usize;
    if body.len() > bufsize {
        body.truncate(bufsize);
        let msg = format!("custom error message file '{path}' larger than {bufsize} bytes. Truncating.");
        diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
    }
    check_message(&body).map_err(|e| format!("'{path}': {e}"))?;
    Ok(body)
}

/// The message an `errorloc` line stands for (`http_parse_errorloc`): a redirect with an empty
/// body, sent re-serialised like any error message.
pub fn errorloc_message(code: u16, url: &str) -> Vec<u8> {
    let status = if code == 303 { "303 See Other" } else { "302 Found" };
    format!("HTTP/1.1 {status}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: {url}\r\n\r\n").into_bytes()
}

pub fn errorfile(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    if !d.has_arg(1) || !d.has_arg(2) {
        cx.r.alert(d, format!("{kw} : expects <status_code> and <file> as arguments."));
        return Flow::Continue;
    }
    let code = values::atoi(d.arg(1));
    let Some(status) = handled(code) else {
        cx.r.alert_at(d, 1, format!("{kw} : status code '{code}' not handled."));
        return Flow::Continue;
    };
    let loaded = match load_error_file(d.arg(2), cx.r.diags) {
        Ok(l) => l,
        Err(e) => {
            cx.r.alert_at(d, 2, format!("{kw} : {e}"));
            return Flow::Continue;
        }
    };
    cx.p.error_rules.push(ErrorRule::File(ErrorFile { status, body: loaded }));
    Flow::Continue
}

/// `errorloc` / `errorloc302` / `errorloc303 <code> <url>`.
pub fn errorloc(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    if !d.has_arg(1) || !d.has_arg(2) {
        cx.r.alert(d, format!("{kw} : expects <status_code> and <url> as arguments."));
        return Flow::Continue;
    }
    let code = values::atoi(d.arg(1));
    let Some(status) = handled(code) else {
        cx.r.alert_at(d, 1, format!("{kw} : status code '{code}' not handled."));
        return Flow::Continue;
    };
    let redirect = if kw == "errorloc303" { 303 } else { 302 };
    cx.p.error_rules.push(ErrorRule::Location { status, code: redirect, url: d.arg(2).to_string() });
    Flow::Continue
}

/// `errorfiles <name> [<code> ...]`: pages from an `http-errors` section, resolved after
/// parsing. No code means every page of the section.
pub fn errorfiles(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "errorfiles : expects <name> as argument.");
        return Flow::Continue;
    }
    let mut codes = Vec::new();
    for (i, w) in d.args_from(2).enumerate() {
        let code = values::atoi(w);
        match handled(code) {
            Some(c) => codes.push(c),
            None => {
                cx.r.alert_at(d, i + 2, format!("errorfiles : status code '{code}' not handled."));
                return Flow::Continue;
            }
        }
    }
    // HAProxy keeps a flag per status: each once, in status order.
    codes.sort_unstable();
    codes.dedup();
    let name = NameRef { name: d.arg(1).to_string(), span: d.span.clone() };
    cx.p.error_rules.push(ErrorRule::Section { name, codes });
    Flow::Continue
}

/// `http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> |
/// errorfiles <name> | file <file> | lf-file <file> | string <str> | lf-string <fmt>]
/// [hdr <name> <fmt>]*`: the reply arguments are the ones of `http-request return`.
pub fn http_error(cx: &mut Cx, d: &Directive) -> Flow {
    let words: Vec<&str> = d.args_from(1).collect();
    let mut next = 0;
    let parsed = {
        // HAProxy accepts any fetch of the request or the response there (measured: `req.hdr`,
        // `res.hdr`, `req.body`, `res.body` in a frontend, a backend and a listen section).
        let mut a = Act::new(words.clone(), RuleSet::HttpRes, cx.p, cx.global);
        a.reply_cap = Some(Ctx::FE_HRQ_HDR | Ctx::BE_HRQ_HDR | Ctx::FE_HRS_HDR | Ctx::BE_HRS_HDR);
        let r = reply::parse_reply(&mut a, &words, &mut next, 0);
        for w in a.warnings {
            cx.r.push(located(Severity::Warning, d, 0, w));
        }
        r
    };
    let reply = match parsed {
        Ok(r) => r,
        Err(e) => {
            cx.r.alert(d, format!("http-error : {e}"));
            return Flow::Continue;
        }
    };
    if reply.status == 0 {
        cx.r.alert(d, "http-error : expects at least a <status> as arguments.");
        return Flow::Continue;
    }
    let Some(status) = handled(i64::from(reply.status)) else {
        cx.r.alert(d, format!("http-error: status code '{}' not handled.", reply.status));
        return Flow::Continue;
    };
    if let Some(w) = words.get(next) {
        cx.r.alert_at(d, next + 1, format!("http-error : unknown keyword '{w}'."));
        return Flow::Continue;
    }
    let rule = match reply.body {
        ReplyBody::ErrorFiles(name) => {
            ErrorRule::Section { name: NameRef { name, span: d.span.clone() }, codes: vec![status] }
        }
        _ => ErrorRule::HttpError { reply: Box::new(reply), span: d.span.clone() },
    };
    cx.p.error_rules.push(rule);
    Flow::Continue
}

/// The pages of an `http-errors` section by status (a later line for a status wins).
fn section_pages(sec: &AuxSection) -> BTreeMap<u16, &[u8]> {
    let mut pages = BTreeMap::new();
    if let AuxDetail::HttpErrors(spec) = &sec.detail {
        for f in &spec.errorfiles {
            pages.insert(f.status, f.body.as_slice());
        }
    }
    pages
}

/// What `errorfiles <name>` in a reply (`return`, `deny`) stands for once the section is known
/// (HAProxy's `http_check_http_reply`): the section's page for the reply's status, else a
/// reply without a body (HAProxy warns about it when checking the configuration).
pub fn resolve_reply_section(r: &mut Reply, sections: &[AuxSection]) {
    let ReplyBody::ErrorFiles(name) = &r.body else { return };
    let Some(sec) = sections.iter().find(|s| &s.name == name) else { return };
    r.body = match section_pages(sec).get(&r.status) {
        Some(page) => ReplyBody::ErrorFile(page.to_vec()),
        None => ReplyBody::Empty,
    };
}

/// Apply each proxy's error lines in order, its defaults' lines first (HAProxy's
/// `proxy_check_errors`): the message the proxy answers for each status. An unknown section
/// was reported by the checks; it sets nothing.
pub fn resolve(cfg: &mut Config) {
    let sections = std::mem::take(&mut cfg.http_errors);
    for p in &mut cfg.proxies {
        let mut pages = BTreeMap::new();
        for rule in &p.error_rules {
            match rule {
                ErrorRule::File(f) => {
                    pages.insert(f.status, ErrorPage::Message(f.body.clone()));
                }
                ErrorRule::Location { status, code, url } => {
                    pages.insert(*status, ErrorPage::Message(errorloc_message(*code, url)));
                }
                ErrorRule::HttpError { reply, .. } => {
                    let page = match &reply.body {
                        // "To rely on default replies, just don't reference a reply": the
                        // status falls back to the frontend's page, then the built-in one.
                        ReplyBody::Default => {
                            pages.remove(&reply.status);
                            continue;
                        }
                        ReplyBody::ErrorFile(m) => ErrorPage::Message(m.clone()),
                        _ => ErrorPage::Reply(reply.clone()),
                    };
                    pages.insert(reply.status, page);
                }
                ErrorRule::Section { name, codes } => {
                    let Some(sec) = sections.iter().find(|s| s.name == name.name) else { continue };
                    for (status, body) in section_pages(sec) {
                        if codes.is_empty() || codes.contains(&status) {
                            pages.insert(status, ErrorPage::Message(body.to_vec()));
                        }
                    }
                }
            }
        }
        p.error_pages = pages;
    }
    cfg.http_errors = sections;
}

#[cfg(test)]
mod tests;

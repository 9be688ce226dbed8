//! The responses rules make the proxy send itself, as the raw HTTP message HAProxy builds
//! (`http_reply_to_htx`, `http_apply_redirect_rule`): the HTTP path then sends it like any
//! reply of its own (names lowercased, the Connection header its own). Reason phrases are
//! HAProxy's (`http_get_reason`, recorded from HAProxy 2.6).

use std::io::Write as _;

use crate::engine::proxy::http::errors;
use crate::ir::rules::{Redirect, RedirectKind, RedirectTarget, Reply, ReplyBody};
use crate::ir::types::{ErrorPage, Proxy};

use super::edit::path_range;
use super::render::render;
use super::source::Stream;

/// HAProxy's reason phrase for a status.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        210 => "Content Different",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        310 => "Too many Redirects",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested range unsatisfiable",
        417 => "Expectation failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Method failure",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        449 => "Retry With",
        450 => "Blocked by Windows Parental Controls",
        451 => "Unavailable For Legal Reasons",
        456 => "Unrecoverable Error",
        499 => "client has closed connection",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway or Proxy Error",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "HTTP Version not supported",
        506 => "Variant also negotiate",
        507 => "Insufficient storage",
        508 => "Loop detected",
        509 => "Bandwidth Limit Exceeded",
        510 => "Not extended",
        511 => "Network authentication required",
        520 => "Web server is returning an unknown error",
        _ => match status / 100 {
            1 => "Informational",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Other",
        },
    }
}

/// The message a stream-level error with `status` answers (HAProxy's `http_error_message`):
/// the backend's error page, else the frontend's, else the built-in one. `s` renders an
/// `http-error` reply's log-formats.
pub fn error_message(fe: &Proxy, be: Option<&Proxy>, status: u16, s: &Stream<'_>) -> Vec<u8> {
    match errors::configured(fe, be, status) {
        Some(ErrorPage::Message(m)) => m.clone(),
        Some(ErrorPage::Reply(r)) => reply_message(r, s, fe, be),
        None => errors::stream_builtin(status).to_vec(),
    }
}

/// The message of a `return` / `deny` / `http-error` reply. `fe`/`be` give the error pages a
/// default reply uses.
pub fn reply_message(r: &Reply, s: &Stream<'_>, fe: &Proxy, be: Option<&Proxy>) -> Vec<u8> {
    let body: Vec<u8> = match &r.body {
        // An `http-error` reply is never `Default` (that one only removes the proxy's page),
        // so this does not loop.
        ReplyBody::Default => return error_message(fe, be, r.status, s),
        ReplyBody::ErrorFile(m) => return m.clone(),
        // A section without a page for the status: HAProxy sends the bare head.
        ReplyBody::Empty | ReplyBody::ErrorFiles(_) => Vec::new(),
        ReplyBody::Raw(b) => b.clone(),
        ReplyBody::Fmt(f) => {
            let mut b = Vec::new();
            render(f, s, true, &mut b);
            b
        }
    };
    let mut out = Vec::with_capacity(96 + body.len());
    let _ = write!(out, "HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    let mut value = Vec::new();
    for (name, fmt) in &r.hdrs {
        value.clear();
        render(fmt, s, true, &mut value);
        if !value.is_empty() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&value);
            out.extend_from_slice(b"\r\n");
        }
    }
    let _ = write!(out, "content-length: {}\r\n", body.len());
    if let (Some(ct), false) = (&r.ctype, body.is_empty()) {
        let _ = write!(out, "content-type: {ct}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    out
}

fn status_line(code: u16) -> &'static str {
    match code {
        301 => "301 Moved Permanently",
        303 => "303 See Other",
        307 => "307 Temporary Redirect",
        308 => "308 Permanent Redirect",
        _ => "302 Found",
    }
}

/// The Location of a redirect for the request in `s`; `None` for an `ignore-empty` rule whose
/// location renders empty (the rule does nothing then).
pub fn location(r: &Redirect, s: &Stream<'_>) -> Option<Vec<u8>> {
    let mut loc = Vec::new();
    let target = |loc: &mut Vec<u8>| match &r.target {
        RedirectTarget::Static(t) => {
            if !(r.kind == RedirectKind::Prefix && t == "/") {
                loc.extend_from_slice(t.as_bytes());
            }
        }
        RedirectTarget::Fmt(f) => render(f, s, true, loc),
    };
    let path = || -> Vec<u8> {
        let Some(req) = s.req else { return b"/".to_vec() };
        let uri = &req.buf[req.head.uri.clone()];
        let (start, end) = path_range(uri, true);
        let mut p = &uri[start..end];
        if p.is_empty() {
            return b"/".to_vec();
        }
        if r.drop_query {
            if let Some(q) = p.iter().position(|&c| c == b'?') {
                p = &p[..q];
            }
        }
        p.to_vec()
    };
    match r.kind {
        RedirectKind::Location => {
            target(&mut loc);
            if loc.is_empty() && r.ignore_empty && matches!(r.target, RedirectTarget::Fmt(_)) {
                return None;
            }
        }
        RedirectKind::Prefix => {
            target(&mut loc);
            loc.extend_from_slice(&path());
        }
        RedirectKind::Scheme => {
            target(&mut loc);
            loc.extend_from_slice(b"://");
            if let Some(req) = s.req {
                if let Some(h) = req.head.first(req.buf, b"host") {
                    loc.extend_from_slice(h);
                }
            }
            loc.extend_from_slice(&path());
        }
    }
    if r.append_slash && r.kind != RedirectKind::Location && loc.last().is_some_and(|&c| c != b'/') {
        loc.push(b'/');
    }
    Some(loc)
}

/// The redirect response: `close` adds `Connection: close` (the request body is not all in).
pub fn redirect_message(r: &Redirect, location: &[u8], close: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + location.len());
    let _ = write!(out, "HTTP/1.1 {}\r\n", status_line(r.code));
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"Content-length: 0\r\nLocation: ");
    out.extend_from_slice(location);
    out.extend_from_slice(b"\r\n");
    if matches!(r.code, 302 | 303 | 307) {
        out.extend_from_slice(b"Cache-Control: no-cache\r\n");
    }
    if let Some(c) = &r.cookie {
        let _ = write!(out, "Set-Cookie: {c}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

//! Error pages: `errorfile`, `errorloc` / `errorloc302` / `errorloc303`, `http-error` and
//! `errorfiles`. HAProxy loads and parses each file while reading the configuration, so a file
//! that is missing or is not an HTTP response fails the check at its line.

use crate::config::ast::Directive;
use crate::ir::types::{ErrorFile, ErrorRule, NameRef};
use crate::ir::values;

use super::proxy::{Cx, Flow};

/// Status codes HAProxy has error pages for (`http_err_codes`).
pub const ERROR_CODES: &[u16] = &[200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

fn handled(status: i64) -> Option<u16> {
    ERROR_CODES.iter().copied().find(|&c| i64::from(c) == status)
}

/// HAProxy's check of an error file's content: an HTTP/1 response head (status line and
/// headers up to the empty line), a body without chunked encoding. An empty file is accepted.
pub fn check_error_message(raw: &[u8]) -> Result<(), String> {
    if raw.is_empty() {
        return Ok(());
    }
    let bad = |at: usize| Err(format!("unable to parse headers (error offset: {at})"));
    let mut i = 0;
    // Version: HTTP/<digit>.<digit>
    for (k, want) in b"HTTP/".iter().enumerate() {
        match raw.get(i + k) {
            None => return bad(usize::MAX),
            Some(b) if b != want => return bad(i + k),
            _ => {}
        }
    }
    i += 5;
    for want_digit in [true, false, true] {
        match raw.get(i) {
            None => return bad(usize::MAX),
            Some(b) if want_digit && !b.is_ascii_digit() => return bad(i),
            Some(b) if !want_digit && *b != b'.' => return bad(i),
            _ => {}
        }
        i += 1;
    }
    if raw.get(i) != Some(&b' ') {
        return if raw.get(i).is_none() { bad(usize::MAX) } else { bad(i) };
    }
    while raw.get(i) == Some(&b' ') {
        i += 1;
    }
    for _ in 0..3 {
        match raw.get(i) {
            None => return bad(usize::MAX),
            Some(b) if !b.is_ascii_digit() => return bad(i),
            _ => i += 1,
        }
    }
    // Reason phrase up to the end of line.
    let eol = |from: usize| raw[from..].iter().position(|&b| b == b'\n').map(|p| from + p);
    let Some(e) = eol(i) else { return bad(usize::MAX) };
    i = e + 1;
    let mut chunked = false;
    loop {
        if raw.get(i) == Some(&b'\n') || (raw.get(i) == Some(&b'\r') && raw.get(i + 1) == Some(&b'\n')) {
            break;
        }
        let Some(e) = eol(i) else { return bad(usize::MAX) };
        let line = &raw[i..e];
        let colon = line.iter().position(|&b| b == b':');
        let name_end = colon.unwrap_or(line.len());
        if let Some(p) = line[..name_end].iter().position(|b| !is_token(*b)) {
            return bad(i + p);
        }
        if colon.is_none() || name_end == 0 {
            return bad(i + name_end);
        }
        let name = String::from_utf8_lossy(&line[..name_end]).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[name_end + 1..]).to_ascii_lowercase();
        if name == "transfer-encoding" && value.contains("chunked") {
            chunked = true;
        }
        i = e + 1;
    }
    if chunked {
        return Err("chunk-encoded payload not supported".into());
    }
    Ok(())
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Read and check an error file; `Err` is HAProxy's message after `<keyword> : `.
pub fn load_error_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|_| format!("error opening file '{path}'."))?;
    let body = if meta.is_dir() {
        return Err(format!("error reading file '{path}'."));
    } else {
        std::fs::read(path).map_err(|_| format!("error opening file '{path}'."))?
    };
    check_error_message(&body).map_err(|e| {
        let e = e.replace(&usize::MAX.to_string(), "-2");
        format!("'{path}': {e}")
    })?;
    Ok(body)
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
    let body = match load_error_file(d.arg(2)) {
        Ok(b) => b,
        Err(e) => {
            cx.r.alert_at(d, 2, format!("{kw} : {e}"));
            return Flow::Continue;
        }
    };
    let f = ErrorFile { status, body };
    cx.p.errorfiles.insert(status, f.clone());
    cx.p.error_rules.push(ErrorRule::File(f));
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
    // A later errorfile for this status wins over the engine's page; drop the older one.
    cx.p.errorfiles.remove(&status);
    cx.p.error_rules.push(ErrorRule::Location { status, code: redirect, url: d.arg(2).to_string() });
    Flow::Continue
}

/// `errorfiles <name> [<code> ...]`: pages from an `http-errors` section, checked after parsing.
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
    let name = NameRef { name: d.arg(1).to_string(), span: d.span.clone() };
    cx.p.error_rules.push(ErrorRule::Section { name, codes });
    Flow::Continue
}

/// The payload of an HTTP reply (`http_parse_http_reply`'s reply types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    Empty,
    /// `errorfile <file>`, or `default-errorfiles` (no file).
    ErrorFile(Option<String>),
    /// `errorfiles <http-errors section>`.
    ErrorFiles(String),
    /// `file` / `string`: the payload's length.
    Raw(usize),
    /// `lf-file` / `lf-string`: a log-format payload.
    LogFormat(String),
}

/// An HTTP reply as `http-error` (and the `return` actions) describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: i64,
    pub content_type: Option<String>,
    pub body: ReplyBody,
    pub headers: Vec<(String, String)>,
}

/// HAProxy's buffer size and the part of it reserved to header rewrites (`tune.bufsize`,
/// `tune.maxrewrite` defaults, as measured: a 15361-byte payload warns).
const BUFSIZE: u64 = 16384;
const MAXREWRITE: u64 = 1024;

/// A log-format string checked as `parse_logformat_string` does at parsing time; `Err` is its
/// message. Sample expressions are left to the sample engine.
fn check_log_format(fmt: &str) -> Result<(), String> {
    match crate::log::format::LogFormat::compile(fmt) {
        Err(crate::log::format::FormatError::UnknownVar(v)) if !crate::ir::validate::is_log_var(&v) => {
            let msg = crate::log::format::FormatError::UnknownVar(v).to_string();
            Err(msg.strip_suffix('.').unwrap_or(&msg).to_string())
        }
        _ => Ok(()),
    }
}

/// HAProxy's `http_parse_http_reply` from word `start` of `d`: `status`, `content-type`,
/// `errorfile(s)`, `default-errorfiles`, `file`, `lf-file`, `string`, `lf-string` and `hdr`, up
/// to the first other word. Files are read now, as HAProxy does; warnings are reported at
/// once. Returns the reply and the index of the first word not consumed, or HAProxy's message.
pub fn parse_http_reply(
    cx: &mut Cx,
    d: &Directive,
    start: usize,
    default_status: i64,
) -> Result<(HttpReply, usize), String> {
    let mut reply =
        HttpReply { status: default_status, content_type: None, body: ReplyBody::Empty, headers: Vec::new() };
    let mut act: Option<&str> = None;
    let mut i = start;
    while d.has_arg(i) {
        let w = d.arg(i);
        let payload = matches!(
            w,
            "errorfiles" | "default-errorfiles" | "errorfile" | "file" | "string" | "lf-file" | "lf-string"
        );
        if payload {
            if let Some(prev) = act {
                return Err(format!("unexpected '{w}' argument, '{prev}' already defined"));
            }
            act = Some(w);
        }
        let arg = d.arg(i + 1);
        let expects = |what: &str| format!("'{w}' expects {what} as argument");
        match w {
            "status" => {
                if !d.has_arg(i + 1) {
                    return Err(expects("<status_code>"));
                }
                reply.status = values::atoi(arg) as i32 as i64;
                if !(200..=599).contains(&reply.status) {
                    return Err(format!("Unexpected status code '{}'", reply.status));
                }
                i += 2;
            }
            "content-type" => {
                if !d.has_arg(i + 1) {
                    return Err(expects("<ctype>"));
                }
                reply.content_type = Some(arg.to_string());
                i += 2;
            }
            "errorfiles" => {
                if !d.has_arg(i + 1) {
                    return Err(expects("<name>"));
                }
                reply.body = ReplyBody::ErrorFiles(arg.to_string());
                i += 2;
            }
            "default-errorfiles" => {
                reply.body = ReplyBody::ErrorFile(None);
                i += 1;
            }
            "errorfile" => {
                if !d.has_arg(i + 1) {
                    return Err(expects("<fmt>"));
                }
                load_error_file(arg)?;
                reply.body = ReplyBody::ErrorFile(Some(arg.to_string()));
                i += 2;
            }
            "file" | "lf-file" => {
                if !d.has_arg(i + 1) {
                    return Err(expects("<file>"));
                }
                let meta = std::fs::metadata(arg).map_err(|_| format!("error opening file '{arg}'"))?;
                if meta.is_dir() {
                    // open() succeeds on a directory, read() fails.
                    if meta.len() > BUFSIZE {
                        return Err(format!("file '{arg}' exceeds the buffer size ({} > {BUFSIZE})", meta.len()));
                    }
                    return Err(format!("error reading file '{arg}'"));
                }
                if meta.len() > BUFSIZE {
                    return Err(format!("file '{arg}' exceeds the buffer size ({} > {BUFSIZE})", meta.len()));
                }
                let data = std::fs::read(arg).map_err(|_| format!("error opening file '{arg}'"))?;
                reply.body = if w == "file" {
                    ReplyBody::Raw(data.len())
                } else {
                    ReplyBody::LogFormat(String::from_utf8_lossy(&data).into_owned())
                };
                i += 2;
            }
            "string" | "lf-string" => {
                if !d.has_arg(i + 1) {
                    return Err(expects(if w == "string" { "<str>" } else { "<fmt>" }));
                }
                reply.body =
                    if w == "string" { ReplyBody::Raw(arg.len()) } else { ReplyBody::LogFormat(arg.to_string()) };
                i += 2;
            }
            "hdr" => {
                if !d.has_arg(i + 1) || !d.has_arg(i + 2) {
                    return Err("'hdr' expects <name> and <value> as arguments".into());
                }
                let name = arg;
                if ["content-length", "transfer-encoding", "content-type"].iter().any(|h| h.eq_ignore_ascii_case(name))
                {
                    cx.r.warning(d, format!("header '{name}' always ignored by the http reply."));
                    i += 3;
                    continue;
                }
                check_log_format(d.arg(i + 2))?;
                reply.headers.push((name.to_string(), d.arg(i + 2).to_string()));
                i += 3;
            }
            _ => break,
        }
    }
    match &reply.body {
        ReplyBody::Empty => {
            if let Some(ct) = reply.content_type.take() {
                let msg = format!(
                    "content-type '{ct}' ignored by the http reply because neither errorfile nor payload defined."
                );
                cx.r.warning(d, msg);
            }
        }
        ReplyBody::ErrorFile(_) | ReplyBody::ErrorFiles(_) => {
            if !matches!(reply.body, ReplyBody::ErrorFile(Some(_))) && handled(reply.status).is_none() {
                return Err(format!(
                    "status code '{}' not handled by default with '{}' argument.",
                    reply.status,
                    act.unwrap_or("")
                ));
            }
            if let Some(ct) = reply.content_type.take() {
                cx.r.warning(d, format!("content-type '{ct}' ignored by the http reply when used with an erorrfile."));
            }
            if !reply.headers.is_empty() {
                cx.r.warning(d, "hdr parameters ignored by the http reply when used with an erorrfile.");
                reply.headers.clear();
            }
        }
        ReplyBody::Raw(len) => {
            let len = *len;
            if matches!(reply.status, 204 | 304) && len > 0 {
                return Err(format!("No body expected for {} responses", reply.status));
            }
            if reply.content_type.is_none() && len > 0 {
                return Err("a content type must be defined when non-empty payload is configured".into());
            }
            if len == 0 {
                if let Some(ct) = reply.content_type.take() {
                    cx.r.warning(
                        d,
                        format!("content-type '{ct}' ignored by the http reply when used with an empty payload."),
                    );
                }
            }
            if BUFSIZE.saturating_sub(len as u64) < MAXREWRITE {
                cx.r.warning(d, "http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled.");
            }
        }
        ReplyBody::LogFormat(fmt) => {
            if matches!(reply.status, 204 | 304) {
                return Err(format!("No body expected for {} responses", reply.status));
            }
            if reply.content_type.is_none() {
                return Err("a content type must be defined with a log-format payload".into());
            }
            check_log_format(fmt)?;
        }
    }
    Ok((reply, i))
}

/// `http-error status <code> [content-type <type>] [errorfile|errorfiles|string|file ... <arg>]
/// [hdr <name> <fmt>]*`.
pub fn http_error(cx: &mut Cx, d: &Directive) -> Flow {
    let (reply, next) = match parse_http_reply(cx, d, 1, 0) {
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
    let Some(status) = handled(reply.status) else {
        cx.r.alert(d, format!("http-error: status code '{}' not handled.", reply.status));
        return Flow::Continue;
    };
    if d.has_arg(next) {
        cx.r.alert_at(d, next, format!("http-error : unknown keyword '{}'.", d.arg(next)));
        return Flow::Continue;
    }
    if let ReplyBody::ErrorFiles(name) = reply.body {
        // Resolved after parsing, like `errorfiles <name> <status>`.
        let name = NameRef { name, span: d.span.clone() };
        cx.p.error_rules.push(ErrorRule::Section { name, codes: vec![status] });
        return Flow::Continue;
    }
    cx.p.errorfiles.remove(&status);
    cx.p.error_rules.push(ErrorRule::HttpError { status, words: d.args_from(1).map(String::from).collect() });
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::check_error_message;

    #[test]
    fn error_files_must_be_http_responses() {
        assert!(check_error_message(b"").is_ok());
        assert!(check_error_message(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nx").is_ok());
        assert!(check_error_message(b"HTTP/1.1 503 Oops\nContent-Length: 3\n\nabc").is_ok());
        assert_eq!(check_error_message(b"hello world\n").unwrap_err(), "unable to parse headers (error offset: 0)");
        assert_eq!(
            check_error_message(b"HTTP/1.0 abc X\r\n\r\n").unwrap_err(),
            "unable to parse headers (error offset: 9)"
        );
        assert_eq!(
            check_error_message(b"HTTP/1.0 503 X\r\nbad header\r\n\r\n").unwrap_err(),
            "unable to parse headers (error offset: 19)"
        );
        assert_eq!(
            check_error_message(b"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap_err(),
            "chunk-encoded payload not supported"
        );
    }
}

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

/// `http-error status <code> [content-type <type>] [errorfile|errorfiles|string|file ... <arg>]
/// [hdr <name> <fmt>]*`.
pub fn http_error(cx: &mut Cx, d: &Directive) -> Flow {
    let mut status = None;
    let mut i = 1;
    while d.has_arg(i) {
        let w = d.arg(i);
        match w {
            "status" => {
                let code = values::atoi(d.arg(i + 1));
                if !(200..=599).contains(&code) {
                    cx.r.alert_at(d, i + 1, format!("http-error : Unexpected status code '{code}'"));
                    return Flow::Continue;
                }
                status = Some(code);
                i += 2;
            }
            "default-errorfiles" => i += 1,
            "content-type" | "errorfile" | "errorfiles" | "file" | "lf-file" | "string" | "lf-string" => {
                if !d.has_arg(i + 1) {
                    cx.r.alert_at(d, i, format!("http-error : '{w}' expects an argument."));
                    return Flow::Continue;
                }
                if matches!(w, "errorfile" | "file" | "lf-file") && std::fs::metadata(d.arg(i + 1)).is_err() {
                    cx.r.alert_at(d, i + 1, format!("http-error : failed to open file '{}'.", d.arg(i + 1)));
                    return Flow::Continue;
                }
                i += 2;
            }
            "hdr" => {
                if !d.has_arg(i + 1) || !d.has_arg(i + 2) {
                    cx.r.alert_at(d, i, "http-error : 'hdr' expects <name> and <value> as arguments.");
                    return Flow::Continue;
                }
                i += 3;
            }
            _ => break,
        }
    }
    let Some(code) = status else {
        cx.r.alert(d, "http-error : expects at least a <status> as arguments.");
        return Flow::Continue;
    };
    let Some(status) = handled(code) else {
        cx.r.alert(d, format!("http-error: status code '{code}' not handled."));
        return Flow::Continue;
    };
    if d.has_arg(i) {
        cx.r.alert_at(d, i, format!("http-error : unknown keyword '{}'.", d.arg(i)));
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

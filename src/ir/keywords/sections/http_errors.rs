//! `http-errors` sections: `errorfile <status> <file>` lines, each file read and its HTTP head
//! checked while parsing, as HAProxy's `http_load_errorfile` does.

use crate::config::ast::Directive;
use crate::ir::keywords::global::atoi;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::AuxDetail;

use super::Cx;

pub const KEYWORDS: &[&str] = &["errorfile"];

/// The statuses HAProxy can replace with an error file.
pub const ERROR_CODES: &[u16] =
    &[200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504];

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    if d.keyword() != "errorfile" {
        cx.unknown(d);
        return Flow::Continue;
    }
    if !d.has_arg(2) {
        cx.alert(d, "errorfile: expects <status_code> and <file> as arguments.");
        return Flow::Continue;
    }
    let status = atoi(d.arg(1));
    let Some(&code) = ERROR_CODES.iter().find(|&&c| i32::from(c) == status) else {
        cx.alert(d, format!("errorfile : status code '{status}' not handled."));
        return Flow::Continue;
    };
    let path = d.arg(2);
    if let Err(e) = load_errorfile(path) {
        cx.alert(d, format!("errorfile : {e}"));
        return Flow::Continue;
    }
    if let AuxDetail::HttpErrors(s) = &mut cx.aux.detail {
        s.errorfiles.push((code, path.to_string()));
    }
    Flow::Continue
}

/// Read an error file and check its HTTP head; the error is the text after `errorfile : `.
pub fn load_errorfile(path: &str) -> Result<Vec<u8>, String> {
    let mut f = std::fs::File::open(path).map_err(|_| format!("error opening file '{path}'."))?;
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut body).map_err(|_| format!("error reading file '{path}'."))?;
    if body.is_empty() {
        return Ok(body);
    }
    let head_ok = body.starts_with(b"HTTP/")
        && (body.windows(4).any(|w| w == b"\r\n\r\n") || body.windows(2).any(|w| w == b"\n\n"));
    if !head_ok {
        return Err(format!("'{path}': unable to parse headers (error offset: 0)"));
    }
    Ok(body)
}

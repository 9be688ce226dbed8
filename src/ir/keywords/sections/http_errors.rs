//! `http-errors` sections: `errorfile <status> <file>` lines, each file read and its HTTP head
//! checked while parsing, as HAProxy's `http_load_errorfile` does; proxies import them with
//! `errorfiles` (resolved in [`crate::ir::keywords::errors::resolve`]).

use crate::config::ast::Directive;
use crate::ir::keywords::errors;
use crate::ir::keywords::global::atoi;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, ErrorFile};

use super::Cx;

pub const KEYWORDS: &[&str] = &["errorfile"];

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
    let Some(code) = errors::handled(i64::from(status)) else {
        cx.alert(d, format!("errorfile : status code '{status}' not handled."));
        return Flow::Continue;
    };
    let body = match errors::load_error_file(d.arg(2), cx.r.diags) {
        Ok(b) => b,
        Err(e) => {
            cx.alert(d, format!("errorfile : {e}"));
            return Flow::Continue;
        }
    };
    if let AuxDetail::HttpErrors(s) = &mut cx.aux.detail {
        s.errorfiles.push(ErrorFile { status: code, body });
    }
    Flow::Continue
}

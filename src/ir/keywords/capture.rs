//! `capture cookie|request header|response header` and `declare capture request|response`:
//! what goes into the log line's captured fields.

use crate::config::ast::Directive;
use crate::ir::types::CaptureSlot;
use crate::ir::values;

use super::proxy::{Cx, Flow};

pub fn capture(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, "");
    let kind = d.arg(1);
    let header = matches!(kind, "request" | "response") && d.arg(2) == "header";
    if kind != "cookie" && !header {
        cx.r.alert(d, "'capture' expects 'cookie' or 'request header' or 'response header'.");
        return Flow::Continue;
    }
    if cx.p.is_defaults() {
        cx.r.alert(d, format!("'capture {kind}' not allowed in 'defaults' section."));
        return Flow::Continue;
    }
    if cx.too_many_idx(d, 4, 1) {
        return Flow::Continue;
    }
    if kind == "cookie" {
        if !d.has_arg(4) {
            cx.r.alert(d, "'capture' expects 'cookie' <cookie_name> 'len' <len>.");
            return Flow::Continue;
        }
        cx.p.capture_cookie = Some((d.arg(2).to_string(), values::atoi(d.arg(4))));
        return Flow::Continue;
    }
    if !d.has_arg(3) || d.arg(4) != "len" || !d.has_arg(5) {
        cx.r.alert(d, format!("'capture {kind}' expects 'header' <header_name> 'len' <len>."));
        return Flow::Continue;
    }
    cx.p.captures.push(CaptureSlot {
        span: d.span.clone(),
        request: kind == "request",
        header: Some(d.arg(3).to_string()),
        len: values::atoi(d.arg(5)),
    });
    Flow::Continue
}

/// `declare capture request|response len <n>`: a slot for `http-request capture ... id <n>`.
pub fn declare(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.r.alert(d, "'declare' not available in default section");
        return Flow::Continue;
    }
    if !cx.p.caps.frontend {
        cx.r.alert(d, "'declare' only available in frontend or listen section");
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        cx.r.alert(d, "'declare' needs a second keyword that specify the type of declaration ('capture')");
        return Flow::Continue;
    }
    if d.arg(1) != "capture" {
        cx.r.alert(d, format!("unknown declaration type '{}' (supports 'capture')", d.arg(1)));
        return Flow::Continue;
    }
    if !matches!(d.arg(2), "request" | "response") {
        cx.r.alert(d, "'declare capture' requires a direction ('request' or 'response')");
        return Flow::Continue;
    }
    if d.arg(3) != "len" {
        cx.r.alert(d, "'declare capture' requires a capture length ('len')");
        return Flow::Continue;
    }
    let v = d.arg(4);
    if v.is_empty() {
        cx.r.alert(d, "'declare capture': 'len' requires a numeric value that represents the capture length");
        return Flow::Continue;
    }
    let Ok(len) = v.parse::<i64>() else {
        cx.r.alert(d, "'declare capture': cannot parse the length 'len'.");
        return Flow::Continue;
    };
    if len <= 0 {
        cx.r.alert(d, "length must be > 0");
        return Flow::Continue;
    }
    cx.p.captures.push(CaptureSlot { span: d.span.clone(), request: d.arg(2) == "request", header: None, len });
    Flow::Continue
}

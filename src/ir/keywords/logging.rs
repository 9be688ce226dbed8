//! Logging in proxy sections: `log` (targets, `log global`, `no log`), `log-format`,
//! `log-format-sd`, `error-log-format`, `log-tag`, `unique-id-format` and `unique-id-header`.
//! Format strings are compiled after parsing, as HAProxy does (see validate.rs).

use crate::config::ast::Directive;
use crate::ir::types::{LogFormat, LogTarget};

use super::global::parse_log;
use super::proxy::{Cx, Flow};
use super::Modifier;

pub fn log(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.st.modifier == Modifier::No {
        if d.has_arg(1) {
            cx.r.alert(d, "log : 'no log' does not expect arguments");
            return Flow::Continue;
        }
        cx.p.log.targets.clear();
        cx.p.log.disabled = true;
        return Flow::Continue;
    }
    if d.arg(1) == "global" && !d.has_arg(2) {
        cx.p.log.disabled = false;
        // HAProxy copies the global targets declared so far: none yet means none at all.
        if !cx.global.log.is_empty() {
            cx.p.log.targets.push(LogTarget::Global(d.span.clone()));
        }
        return Flow::Continue;
    }
    if let Some(t) = parse_log(cx.r, d) {
        {
            if let LogTarget::Target { sample: Some(_), .. } = &t {
                cx.r.not_yet(d, "log sampling");
            }
            cx.p.log.disabled = false;
            cx.p.log.targets.push(t);
        }
    }
    Flow::Continue
}

/// How HAProxy names the format a defaults section already had, in "overrides" warnings.
pub fn format_origin(f: &LogFormat) -> &'static str {
    match f {
        LogFormat::Http => "option httplog",
        LogFormat::Tcp => "option tcplog",
        LogFormat::HttpClf => "option httplog clf",
        LogFormat::Https => "option httpslog",
        _ => "log-format",
    }
}

/// The checks common to the format keywords: exactly one argument.
fn one_format_arg(cx: &mut Cx, d: &Directive) -> bool {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.r.alert(d, format!("{kw} expects an argument."));
        return false;
    }
    if d.has_arg(2) {
        cx.r.alert(d, format!("{kw} expects only one argument, don't forget to escape spaces!"));
        return false;
    }
    true
}

/// The warning HAProxy gives for format keywords in a backend.
fn warn_backend(cx: &mut Cx, d: &Directive, what: &str) {
    if !cx.p.is_defaults() && !cx.p.caps.frontend {
        let msg = format!("backend '{}' : '{what}' directive is ignored in backends.", cx.p.name);
        cx.r.warning(d, msg);
    }
}

pub fn log_format(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    if cx.p.is_defaults() && cx.p.log.format != LogFormat::Default {
        let old = format_origin(&cx.p.log.format);
        cx.warning_tight(d, format!("'log-format' overrides previous '{old}' in 'defaults' section."));
    }
    cx.p.log.format = LogFormat::Custom(d.arg(1).to_string());
    cx.p.log.format_line = Some(d.span.clone());
    warn_backend(cx, d, "log-format");
    Flow::Continue
}

pub fn log_format_sd(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    cx.p.log.format_sd = Some(d.arg(1).to_string());
    warn_backend(cx, d, "log-format-sd");
    Flow::Continue
}

pub fn error_log_format(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    if cx.p.is_defaults() && cx.p.log.error_format.is_some() {
        cx.warning_tight(d, "'error-log-format' overrides previous 'error-log-format' in 'defaults' section.");
    }
    cx.p.log.error_format = Some(d.arg(1).to_string());
    warn_backend(cx, d, "error-log-format");
    Flow::Continue
}

pub fn log_tag(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "'log-tag' expects a tag for use in syslog.");
        return Flow::Continue;
    }
    cx.p.log.tag = Some(d.arg(1).to_string());
    Flow::Continue
}

pub fn unique_id_format(cx: &mut Cx, d: &Directive) -> Flow {
    if one_format_arg(cx, d) {
        cx.p.unique_id_format = Some(d.arg(1).to_string());
        cx.p.unique_id_format_line = Some(d.span.clone());
    }
    Flow::Continue
}

pub fn unique_id_header(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "unique-id-header expects an argument.");
        return Flow::Continue;
    }
    cx.p.unique_id_header = Some(d.arg(1).to_string());
    Flow::Continue
}

//! `fcgi-app` sections: the FastCGI application's document root, index, path-info regex,
//! parameters and headers, `log-stderr`, ACLs and its options, with the checks HAProxy makes
//! once everything is read.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::keywords::global::atoi;
use crate::ir::keywords::proxy::Flow;
use crate::ir::keywords::Modifier;
use crate::ir::types::{AuxDetail, Config, FcgiAppSpec};

use super::Cx;

pub const KEYWORDS: &[&str] =
    &["docroot", "index", "path-info", "set-param", "pass-header", "log-stderr", "option", "acl"];

fn spec<'a>(cx: &'a mut Cx) -> &'a mut FcgiAppSpec {
    match &mut cx.aux.detail {
        AuxDetail::FcgiApp(s) => s,
        _ => unreachable!("a fcgi-app section has a fcgi-app detail"),
    }
}

/// `docroot`, `index` and `path-info` take one argument; an extra one is reported with the
/// first in the keyword's name.
fn single(cx: &mut Cx, d: &Directive, what: &str) -> Option<String> {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.alert(d, format!("'{kw}' expects <{what}> as argument."));
        return None;
    }
    if d.has_arg(2) {
        cx.alert(d, format!("'{kw} {}' cannot handle unexpected argument '{}'.", d.arg(1), d.arg(2)));
        return None;
    }
    Some(d.arg(1).to_string())
}

/// A PCRE2-like check of the common mistake: an unclosed group.
fn regex_error(re: &str) -> Option<String> {
    let mut depth = 0i32;
    let mut escaped = false;
    for c in re.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
    }
    (depth > 0).then(|| {
        format!("'{re}' : regex '{re}' is invalid (error=missing closing parenthesis, erroffset={}).", re.len())
    })
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "docroot" => {
            if let Some(v) = single(cx, d, "path") {
                spec(cx).docroot = Some(v);
            }
        }
        "index" => {
            if let Some(v) = single(cx, d, "filename") {
                spec(cx).index = Some(v);
            }
        }
        "path-info" => {
            if let Some(v) = single(cx, d, "regex") {
                if let Some(e) = regex_error(&v) {
                    cx.alert(d, e);
                }
            }
        }
        "set-param" => {
            if !d.has_arg(2) {
                cx.alert(d, "'set-param' expects <name> and <value> as arguments.");
            } else if d.has_arg(3) && !matches!(d.arg(3), "if" | "unless") {
                cx.alert(d, format!("'{}' : (null).", d.arg(1)));
            }
        }
        "pass-header" => {
            if !d.has_arg(1) {
                cx.alert(d, "'pass-header' expects <name> as arguments.");
            } else if d.has_arg(2) && !matches!(d.arg(2), "if" | "unless") {
                cx.alert(d, format!("'{}' : (null).", d.arg(1)));
            }
        }
        "log-stderr" => {
            if d.arg(1) != "global" {
                match crate::ir::keywords::global::parse_target(d, false) {
                    Ok(_) => {}
                    Err(e) => cx.log_error(d, "log-stderr", &e),
                }
            }
        }
        "acl" => {
            if !d.has_arg(1) {
                // HAProxy formats the empty name's NUL with `%c`: the message ends there.
                cx.alert(d, "character '\0' is not permitted in acl name ''.");
            } else if !d.has_arg(2) {
                let msg = format!(
                    "error detected while parsing ACL '{}' : missing fetch method in ACL expression ''.",
                    d.arg(1)
                );
                cx.alert(d, msg);
            }
        }
        "option" => option(cx, d),
        kw => cx.alert_tight(d, format!("unknown keyword '{kw}' in 'fcgi-app' section")),
    }
    Flow::Continue
}

fn option(cx: &mut Cx, d: &Directive) {
    let opt = d.arg(1);
    match opt {
        "" => cx.alert_tight(d, "'option' expects an option name."),
        "keep-conn" | "get-values" | "mpxs-conns" => {
            if d.has_arg(2) {
                cx.alert(d, format!("'option {opt}' cannot handle unexpected argument '{}'.", d.arg(2)));
            } else if opt == "mpxs-conns" {
                spec(cx).mpxs_conns = cx.kwm != Modifier::No;
            }
        }
        "max-reqs" => {
            if cx.kwm != Modifier::None {
                cx.alert_tight(d, "negation/default is not supported for option 'max-reqs'.");
            } else if d.has_arg(3) {
                cx.alert(d, format!("'option max-reqs' cannot handle unexpected argument '{}'.", d.arg(3)));
            } else if !d.has_arg(2) {
                cx.alert_tight(d, "option 'max-reqs' expects an integer argument.");
            } else if atoi(d.arg(2)) <= 0 {
                cx.alert_tight(d, "option 'max-reqs' expects a strictly positive integer argument.");
            } else {
                spec(cx).max_reqs = Some(atoi(d.arg(2)) as u32);
            }
        }
        _ => cx.alert(d, format!("unknown option '{opt}'.")),
    }
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for a in &cfg.fcgi_apps {
        let AuxDetail::FcgiApp(s) = &a.detail else { continue };
        if s.docroot.is_none() {
            super::alert(diags, format!("fcgi-app '{}': no docroot configured.", a.name));
        }
        if s.max_reqs.is_some() && !s.mpxs_conns {
            let msg = format!("fcgi-app '{}': multiplexing not supported, ignore the option 'max-reqs'.", a.name);
            diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg).fatal());
        }
    }
}

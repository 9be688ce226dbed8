//! Keywords HAProxy removed, refused with HAProxy's own messages (each names its replacement).
//! `clitimeout` / `srvtimeout` / `contimeout` are in timeouts.rs, the removed options in
//! options.rs.

use crate::config::ast::Directive;

use super::proxy::{Cx, Flow};

pub fn monitor_net(cx: &mut Cx, d: &Directive) -> Flow {
    let msg = format!(
        "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if {{ src {} }}' instead.",
        d.arg(1)
    );
    cx.r.alert(d, msg);
    Flow::Continue
}

pub fn appsession(cx: &mut Cx, d: &Directive) -> Flow {
    cx.r.alert(d, "'appsession' is not supported anymore since HAProxy 1.6.");
    Flow::Continue
}

pub fn grace(cx: &mut Cx, d: &Directive) -> Flow {
    cx.alert_tight(d, "the 'grace' keyword is not supported any more since HAProxy version 2.5.");
    Flow::Continue
}

pub fn redispatch(cx: &mut Cx, d: &Directive) -> Flow {
    let msg = format!(
        "keyword '{}' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.",
        d.keyword()
    );
    cx.r.alert(d, msg);
    Flow::Continue
}

pub fn block(cx: &mut Cx, d: &Directive) -> Flow {
    cx.r.alert(
        d,
        "The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.",
    );
    Flow::Continue
}

/// The regex-based header rewriting keywords (`reqadd`, `rsprep`, ...), removed in 2.1.
pub fn req_rsp(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    let replacement = match kw {
        "cliexp" | "reqrep" => {
            " Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."
        }
        "reqdel" | "reqidel" => " Use 'http-request del-header' instead.",
        "reqallow" | "reqiallow" => " Use 'http-request allow' instead.",
        "reqtarpit" | "reqitarpit" => " Use 'http-request tarpit' instead.",
        "reqirep" => " Use 'http-request replace-header' instead.",
        "reqideny" => " Use 'http-request deny' instead.",
        "reqipass" => "",
        "reqadd" => " Use 'http-request add-header' instead.",
        "srvexp" | "rsprep" | "rspirep" => " Use 'http-response replace-header' instead.",
        "rspdel" => " Use 'http-response del-header' .",
        "rspidel" => " Use 'http-response del-header' instead.",
        "rspdeny" | "rspideny" => " Use 'http-response deny' instead.",
        "rspadd" => " Use 'http-response add-header' instead.",
        // `reqdeny` and `reqpass` say it without "directive is".
        "reqdeny" => {
            cx.r.alert(d, "The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.");
            return Flow::Continue;
        }
        _ => {
            cx.r.alert(d, format!("The '{kw}' not supported anymore since HAProxy 2.1."));
            return Flow::Continue;
        }
    };
    cx.r.alert(d, format!("The '{kw}' directive is not supported anymore since HAProxy 2.1.{replacement}"));
    Flow::Continue
}

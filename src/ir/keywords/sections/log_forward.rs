//! `log-forward` sections: syslog listeners (`bind` for streams, `dgram-bind` for datagrams)
//! and the `log` targets to forward to. An unknown keyword stops HAProxy's reading here.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config};
use crate::ir::values::{self, TimeError};

use super::adapters::{bind_options, check_addr};
use super::Cx;

pub const KEYWORDS: &[&str] = &["bind", "dgram-bind", "log", "maxconn", "backlog", "timeout"];

/// Options a `dgram-bind` line accepts.
const DGRAM_OPTIONS: &[&str] = &["name", "interface", "namespace", "thread", "process"];

fn count(cx: &mut Cx, dgram: bool) {
    if let AuxDetail::LogForward(s) = &mut cx.aux.detail {
        if dgram {
            s.dgram_binds += 1;
        } else {
            s.binds += 1;
        }
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "bind" => {
            if !d.has_arg(1) {
                return Flow::Continue;
            }
            let addr_ok = match check_addr(d.arg(1), true) {
                Ok(()) => true,
                Err(e) => {
                    // HAProxy reports it but does not count it as an error, and goes on with
                    // the options.
                    let msg = format!("'bind {}' : {e}", d.arg(1));
                    cx.alert(d, msg);
                    cx.r.diags.list.last_mut().expect("just pushed").fatal = false;
                    false
                }
            };
            let who = format!("'bind {}' in section 'log-forward'", d.arg(1));
            if bind_options(cx, d, 2, &who) && addr_ok {
                count(cx, false);
            }
        }
        "dgram-bind" => {
            if !d.has_arg(1) {
                return Flow::Continue;
            }
            if let Err(e) = check_addr(d.arg(1), true) {
                cx.alert(d, format!("'dgram-bind {}' : {e}", d.arg(1)));
                return Flow::Continue;
            }
            let mut i = 2;
            while d.has_arg(i) {
                if !DGRAM_OPTIONS.contains(&d.arg(i)) {
                    cx.alert(d, format!("unknown keyword '{}' in 'log-forward' section.", d.arg(i)));
                    return Flow::Continue;
                }
                i += 2;
            }
            count(cx, true);
        }
        "log" => {
            if d.arg(1) != "global" || d.has_arg(2) {
                if let Err(e) = crate::ir::keywords::global::parse_target(d, false) {
                    cx.log_error(d, "log", &e);
                }
            }
        }
        "maxconn" | "backlog" => {
            if !cx.too_many(d, 1) && !d.has_arg(1) {
                cx.alert(d, format!("'{}' expects an integer argument.", d.keyword()));
            }
        }
        "timeout" if d.arg(1) == "client" => {
            if !d.has_arg(2) {
                cx.alert(d, "missing timeout client value.");
                return Flow::Continue;
            }
            match values::parse_ms(d.arg(2)) {
                Ok(_) => {}
                Err(TimeError::Overflow) => cx.alert(
                    d,
                    format!(
                        "timeout : timer overflow in argument '{}' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)",
                        d.arg(2)
                    ),
                ),
                Err(TimeError::Underflow) => cx.alert(
                    d,
                    format!("timeout : timer underflow in argument '{}' to 'timeout client' (minimum value is 1 ms)", d.arg(2)),
                ),
                Err(_) => {
                    // HAProxy loses its error message here and reports its reader's errno.
                    let msg = format!("Could not open configuration file {} : Success", d.span.file);
                    cx.alert_bare(d, msg);
                    return Flow::Abort;
                }
            }
        }
        "timeout" => cx.alert(d, format!("unknown keyword 'timeout {}' in log-forward section.", d.arg(1))),
        kw => {
            cx.alert(d, format!("unknown keyword '{kw}' in log-forward section."));
            return Flow::Abort;
        }
    }
    Flow::Continue
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for l in &cfg.log_forwards {
        let AuxDetail::LogForward(s) = &l.detail else { continue };
        if s.binds + s.dgram_binds == 0 {
            let msg = format!(
                "frontend '{}' has no 'bind' directive. Please declare it as a backend if this was intended.",
                l.name
            );
            super::warning(diags, msg);
        }
    }
}

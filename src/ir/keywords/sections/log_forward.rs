//! `log-forward` sections: syslog listeners (`bind` for streams, `dgram-bind` for datagrams)
//! and the `log` targets to forward to. An unknown keyword stops HAProxy's reading here.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::addr::{self, AddrOpts};
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, LogForwardSpec, LogTarget};
use crate::ir::values::{self, TimeError};

use super::adapters::{bind_options, check_addr};
use super::Cx;

pub const KEYWORDS: &[&str] = &["bind", "dgram-bind", "log", "maxconn", "backlog", "timeout"];

/// Options a `dgram-bind` line accepts.
const DGRAM_OPTIONS: &[&str] = &["name", "interface", "namespace", "thread", "process"];

fn spec_mut<'a>(cx: &'a mut Cx) -> &'a mut LogForwardSpec {
    match &mut cx.aux.detail {
        AuxDetail::LogForward(s) => s,
        _ => unreachable!("a log-forward section has a log-forward detail"),
    }
}

/// Count a listener line and keep its address for the relay (IP addresses only run).
fn count(cx: &mut Cx, d: &Directive, dgram: bool) {
    let opts = AddrOpts { port_required: true, resolve: true, dgram: true, ..Default::default() };
    let parsed = addr::parse_address_env(d.arg(1), opts).ok().filter(|a| !a.socket_addrs().is_empty());
    if parsed.is_none() {
        cx.r.not_yet(d, format!("'{}' on an address that is not an IP address and port", d.keyword()));
    }
    let s = spec_mut(cx);
    if dgram {
        s.dgram_binds += 1;
        s.dgram_addrs.extend(parsed);
    } else {
        s.binds += 1;
        s.stream_addrs.extend(parsed);
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
                if d.has_arg(2) {
                    cx.r.not_yet(d, "bind options in a log-forward section");
                }
                count(cx, d, false);
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
            if d.has_arg(2) {
                cx.r.not_yet(d, "dgram-bind options");
            }
            count(cx, d, true);
        }
        "log" => {
            if d.arg(1) == "global" && !d.has_arg(2) {
                // HAProxy copies the global targets declared so far.
                if !cx.g.log.is_empty() {
                    spec_mut(cx).targets.push(LogTarget::Global(d.span.clone()));
                }
            } else {
                match crate::ir::keywords::global::parse_target(d, false) {
                    Ok(t) => {
                        if let LogTarget::Target { sample: Some(_), .. } = &t {
                            cx.r.not_yet(d, "log sampling");
                        }
                        spec_mut(cx).targets.push(t);
                    }
                    Err(e) => cx.log_error(d, "log", &e),
                }
            }
        }
        "maxconn" | "backlog" => {
            if !cx.too_many(d, 1) && !d.has_arg(1) {
                cx.alert(d, format!("'{}' expects an integer argument.", d.keyword()));
                return Flow::Continue;
            }
            // `atol`: what HAProxy reads from the word, saturated to an unsigned int.
            let v = crate::ir::keywords::global::atol(d.arg(1)).clamp(0, i64::from(u32::MAX)) as u32;
            if d.keyword() == "maxconn" {
                spec_mut(cx).maxconn = Some(v);
            } else {
                spec_mut(cx).backlog = Some(v);
            }
        }
        "timeout" if d.arg(1) == "client" => {
            if !d.has_arg(2) {
                cx.alert(d, "missing timeout client value.");
                return Flow::Continue;
            }
            match values::parse_ms(d.arg(2)) {
                Ok(v) => spec_mut(cx).timeout_client = Some(v),
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

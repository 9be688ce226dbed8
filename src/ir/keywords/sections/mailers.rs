//! `mailers` sections: `mailer <name> <addr>:<port>` and `timeout mail <time>`; a section no
//! proxy uses is removed with a warning.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config};
use crate::ir::values::{self, TimeError};

use super::adapters::check_addr;
use super::Cx;

pub const KEYWORDS: &[&str] = &["mailer", "timeout"];

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "mailer" => {
            if !d.has_arg(2) {
                cx.alert(d, "'mailer' expects <name> and <addr>[:<port>] as arguments.");
                return Flow::Continue;
            }
            if let Err(e) = check_addr(d.arg(2), true) {
                cx.alert(d, format!("'mailer {}' : {e}", d.arg(1)));
                return Flow::Continue;
            }
            if let AuxDetail::Mailers(s) = &mut cx.aux.detail {
                s.mailers.push((d.arg(1).to_string(), d.arg(2).to_string()));
            }
        }
        "timeout" => {
            if !d.has_arg(1) {
                cx.alert(d, "'timeout' expects 'mail' and <time> as arguments.");
            } else if d.arg(1) != "mail" {
                cx.alert(d, format!("'timeout' expects 'mail' and <time> as arguments got '{}'.", d.arg(1)));
            } else if !d.has_arg(2) {
                cx.alert(d, "'timeout mail' expects <time> as argument.");
            } else {
                let arg = d.arg(2);
                match values::parse_ms(arg) {
                    Ok(v) => {
                        if let AuxDetail::Mailers(s) = &mut cx.aux.detail {
                            s.timeout_mail = Some(v);
                        }
                    }
                    Err(TimeError::Unexpected(c)) => {
                        cx.alert_tight(d, format!("unexpected character '{c}' in argument to <timeout mail>."))
                    }
                    Err(TimeError::Overflow) => cx.alert_tight(
                        d,
                        format!("timer overflow in argument <{arg}> to <timeout mail>, maximum value is 2147483647 ms (~24.8 days)."),
                    ),
                    Err(_) => cx.alert_tight(
                        d,
                        format!("timer underflow in argument <{arg}> to <timeout mail>, minimum non-null value is 1 ms."),
                    ),
                }
            }
        }
        _ => cx.unknown(d),
    }
    Flow::Continue
}

/// HAProxy keeps a mailers section only when a proxy's complete `email-alert` settings
/// (`from`, `to` and `mailers`) name it; any other is removed with a warning.
pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for m in &cfg.mailers {
        let used = cfg.proxies.iter().any(|p| {
            let e = &p.email_alert;
            e.from.is_some() && e.to.is_some() && e.mailers.as_ref().is_some_and(|r| r.name == m.name)
        });
        if !used {
            super::warning(diags, format!("Removing incomplete section 'mailers {}'.", m.name));
        }
    }
}

//! The smaller proxy keywords: `compression`, `email-alert`, `external-check`, `use-fcgi-app`,
//! `http-reuse`, `http-send-name-header`, `max-session-srv-conns`, `server-state-file-name`,
//! `load-server-state-from-file`, `source` / `usesrc`, `dispatch` and `transparent`.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::addr::{self, AddrOpts};
use crate::ir::types::{CompressionSpec, HttpReuse, NameRef, ServerStateFrom, SourceSpec};
use crate::ir::values;

use super::global::LEVELS;
use super::proxy::{Cx, Flow};

/// Compression algorithms of this build (HAProxy with SLZ).
const ALGOS: &[&str] = &["identity", "deflate", "raw-deflate", "gzip"];

pub fn compression(cx: &mut Cx, d: &Directive) -> Flow {
    let defaults = cx.p.is_defaults();
    let c = cx.p.compression.get_or_insert_with(CompressionSpec::default);
    match d.arg(1) {
        "algo" => {
            if !d.has_arg(2) {
                let msg = format!("parsing [{}:{}] : 'compression' expects <algorithm>.", d.span.file, d.span.line);
                cx.r.alert(d, msg);
                return Flow::Continue;
            }
            for (i, a) in d.args_from(2).enumerate() {
                if !ALGOS.contains(&a) {
                    cx.r.alert_at(d, i + 2, format!("'compression' : '{a}' is not a supported algorithm."));
                    return Flow::Continue;
                }
                c.algos.push(a.to_string());
            }
        }
        "offload" => {
            c.offload = true;
            if defaults {
                cx.r.warning(d, "'compression' : 'offload' ignored in 'defaults' section.");
            }
        }
        "type" => {
            if !d.has_arg(2) {
                cx.r.alert(d, "'compression' expects <type>.");
                return Flow::Continue;
            }
            c.types.extend(d.args_from(2).map(String::from));
        }
        _ => {
            cx.r.alert(d, "'compression' expects 'algo', 'type' or 'offload'");
        }
    }
    Flow::Continue
}

/// `email-alert from|to|mailers|myhostname|level <value>`. HAProxy checks the wrong word for
/// a missing value, so an empty value is accepted (and only `level` complains).
pub fn email_alert(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "missing argument after 'email-alert'.");
        return Flow::Continue;
    }
    let v = d.arg(2).to_string();
    let e = &mut cx.p.email_alert;
    match d.arg(1) {
        "from" => e.from = Some(v),
        "to" => e.to = Some(v),
        "myhostname" => e.myhostname = Some(v),
        "mailers" => e.mailers = Some(NameRef { name: v, span: d.span.clone() }),
        "level" => {
            if !LEVELS.contains(&v.as_str()) {
                cx.r.alert(d, format!("unknown log level 'level' after '{v}'"));
                return Flow::Continue;
            }
            e.level = Some(v);
        }
        other => {
            cx.r.alert(d, format!("email-alert: unknown argument '{other}'."));
            return Flow::Continue;
        }
    }
    cx.p.email_alert.set = true;
    Flow::Continue
}

/// `external-check command <cmd>` / `external-check path <path>`.
pub fn external_check(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "missing argument after 'external-check'.");
        return Flow::Continue;
    }
    let which = d.arg(1);
    if !matches!(which, "command" | "path") {
        cx.r.alert(d, format!("'external-check' only supports 'command' and 'path'. but got '{which}'."));
        return Flow::Continue;
    }
    if cx.too_many(d, 2) {
        return Flow::Continue;
    }
    if !d.has_arg(2) {
        cx.r.alert(d, format!("missing argument after '{which}'."));
        return Flow::Continue;
    }
    if which == "command" {
        cx.p.external_check_command = Some(d.arg(2).to_string());
    } else {
        cx.p.external_check_path = Some(d.arg(2).to_string());
    }
    Flow::Continue
}

/// `use-fcgi-app <name>`: the application is looked up after parsing.
pub fn use_fcgi_app(cx: &mut Cx, d: &Directive) -> Flow {
    if !cx.p.caps.backend {
        cx.r.alert(d, "'use-fcgi-app' only available in backend or listen section");
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        cx.r.alert(d, "'use-fcgi-app' expects <name> as argument");
        return Flow::Continue;
    }
    if let Some(prev) = &cx.p.fcgi_app {
        if prev.name != d.arg(1) {
            cx.r.alert(d, "'use-fcgi-app' : only one fcgi-app supported per backend");
        }
        return Flow::Continue;
    }
    cx.p.fcgi_app = Some(NameRef { name: d.arg(1).to_string(), span: d.span.clone() });
    Flow::Continue
}

pub fn http_reuse(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    let mode = match d.arg(1) {
        "never" => HttpReuse::Never,
        "safe" => HttpReuse::Safe,
        "aggressive" => HttpReuse::Aggressive,
        "always" => HttpReuse::Always,
        _ => {
            cx.r.alert(d, "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.");
            return Flow::Continue;
        }
    };
    cx.p.http_reuse = mode;
    cx.too_many_idx(d, 0, 1);
    Flow::Continue
}

pub fn http_send_name_header(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'http-send-name-header' requires a header string.");
        return Flow::Continue;
    }
    cx.p.send_name_header = Some(d.arg(1).to_ascii_lowercase());
    Flow::Continue
}

pub fn max_session_srv_conns(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, "");
    if !d.has_arg(1) {
        // HAProxy misspells its own prefix here.
        let msg = format!(
            "parsine [{}:{}] : 'max-session-srv-conns' expects a number. Got no argument",
            d.span.file, d.span.line
        );
        cx.r.push(super::with_source(Diagnostic::new(Severity::Alert, Loc::None, msg), d, 0));
        return Flow::Continue;
    }
    cx.p.max_session_srv_conns = Some(values::atoi(d.arg(1)) as i32);
    Flow::Continue
}

pub fn server_state_file_name(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    let name = match d.arg(1) {
        "" | "use-backend-name" => cx.p.name.clone(),
        n => n.to_string(),
    };
    cx.p.server_state_file_name = Some(name);
    Flow::Continue
}

pub fn load_server_state_from_file(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    cx.p.load_server_state = Some(match d.arg(1) {
        "global" => ServerStateFrom::Global,
        "local" => ServerStateFrom::Local,
        "none" => ServerStateFrom::None,
        other => {
            cx.r.alert(d, format!("'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '{other}'"));
            return Flow::Continue;
        }
    });
    Flow::Continue
}

/// A connect-side address (`source`, `usesrc`, `dispatch`): `Err` is the address error text.
fn connect_addr(text: &str, port_required: bool) -> Result<(), String> {
    let opts = AddrOpts { port_required, resolve: true, connect: true, ..Default::default() };
    addr::parse_address_env(text, opts).map(|_| ()).map_err(|e| e.to_string())
}

/// `source <addr>[:<port>] [usesrc <addr>[:<port>]|client|clientip|hdr_ip(<hdr>[,<occ>])]
/// [interface <name>]`.
pub fn source(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.");
        return Flow::Continue;
    }
    if let Err(e) = connect_addr(d.arg(1), false) {
        cx.r.alert_at(d, 1, format!("'source {}' : {e}", d.arg(1)));
        return Flow::Continue;
    }
    if let Err(form) = crate::ir::types::source_bind(d.arg(1)) {
        cx.r.not_yet(d, format!("'source' with {form}"));
    }
    let mut spec = SourceSpec { addr: d.arg(1).to_string(), usesrc: None, interface: None };
    let mut i = 2;
    while d.has_arg(i) {
        match d.arg(i) {
            "usesrc" => {
                let v = d.arg(i + 1);
                if v.is_empty() {
                    cx.r.alert(d, "'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.");
                    return Flow::Continue;
                }
                if !matches!(v, "client" | "clientip") && !v.starts_with("hdr_ip(") {
                    if let Err(e) = connect_addr(v, false) {
                        cx.r.alert_at(d, i + 1, format!("'usesrc {v}' : {e}"));
                        return Flow::Continue;
                    }
                }
                // Presenting another address needs transparent proxying (and root).
                cx.r.not_yet(d, "'source ... usesrc'");
                spec.usesrc = Some(v.to_string());
            }
            "interface" => {
                if !d.has_arg(i + 1) {
                    cx.r.alert(d, "'source' : missing interface name.");
                    return Flow::Continue;
                }
                // Binding to a device needs root.
                cx.r.not_yet(d, "'source ... interface'");
                spec.interface = Some(d.arg(i + 1).to_string());
            }
            _ => {
                cx.r.alert_at(d, i, "'source' only supports optional keywords 'interface' and 'usesrc'.");
                return Flow::Continue;
            }
        }
        i += 2;
    }
    cx.p.source = Some(spec);
    Flow::Continue
}

pub fn usesrc(cx: &mut Cx, d: &Directive) -> Flow {
    cx.r.alert(d, "'usesrc' only allowed after a 'source' statement.");
    Flow::Continue
}

pub fn dispatch(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, true, "");
    if let Err(e) = connect_addr(d.arg(1), true) {
        cx.r.alert_at(d, 1, format!("'dispatch' : {e}"));
        return Flow::Continue;
    }
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    cx.p.dispatch = Some(NameRef { name: d.arg(1).to_string(), span: d.span.clone() });
    Flow::Continue
}

pub fn transparent(cx: &mut Cx, d: &Directive) -> Flow {
    cx.p.transparent = true;
    cx.too_many(d, 0);
    Flow::Continue
}

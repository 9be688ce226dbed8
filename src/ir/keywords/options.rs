//! `option <name> [args]` in proxy sections: the flag options HAProxy 2.6 knows (with their
//! `no option` / `default option` forms), the ones with arguments (httplog, forwardfor,
//! redispatch, the check types...), and the removed ones with HAProxy's messages.

use crate::config::ast::Directive;
use crate::ir::types::{CheckKind, ForwardFor, LogFormat, Redispatch};
use crate::ir::values;

use super::logging::format_origin;
use super::proxy::{Cx, Flow};
use super::{Modifier, Status};

/// Which side an option belongs to, for HAProxy's capability warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Frontend,
    Backend,
    Both,
}

pub struct FlagOption {
    pub name: &'static str,
    pub side: Side,
    /// Ignored (with a warning after parsing) in a proxy that is not in HTTP mode.
    pub http_only: bool,
    pub status: Status,
}

const fn opt(name: &'static str, side: Side, http_only: bool, status: Status) -> FlagOption {
    FlagOption { name, side, http_only, status }
}

use Side::{Backend as Be, Both, Frontend as Fe};
use Status::{Ignored, Rejected, Supported};

/// Simple on/off options (HAProxy's `cfg_opts` then `cfg_opts2`, in its order).
pub const FLAG_OPTIONS: &[FlagOption] = &[
    opt("abortonclose", Be, false, Rejected),
    opt("allbackups", Be, false, Supported),
    opt("checkcache", Be, true, Rejected),
    opt("clitcpka", Fe, false, Supported),
    opt("contstats", Fe, false, Ignored),
    opt("dontlognull", Fe, false, Supported),
    opt("http-buffer-request", Both, true, Supported),
    opt("http-ignore-probes", Fe, true, Rejected),
    opt("idle-close-on-response", Fe, true, Rejected),
    opt("prefer-last-server", Be, true, Rejected),
    opt("logasap", Fe, false, Rejected),
    opt("nolinger", Both, false, Rejected),
    opt("persist", Be, false, Supported),
    opt("srvtcpka", Be, false, Supported),
    opt("transparent", Be, false, Rejected),
    opt("splice-request", Both, false, Ignored),
    opt("splice-response", Both, false, Ignored),
    opt("splice-auto", Both, false, Ignored),
    opt("accept-invalid-http-request", Fe, true, Rejected),
    opt("accept-invalid-http-response", Be, true, Rejected),
    opt("dontlog-normal", Fe, false, Supported),
    opt("log-separate-errors", Fe, false, Supported),
    opt("log-health-checks", Be, false, Supported),
    opt("socket-stats", Fe, false, Ignored),
    opt("tcp-smart-accept", Fe, false, Ignored),
    opt("tcp-smart-connect", Be, false, Ignored),
    opt("independent-streams", Both, false, Rejected),
    opt("http-use-proxy-header", Fe, true, Rejected),
    opt("http-pretend-keepalive", Be, true, Supported),
    opt("http-no-delay", Both, true, Ignored),
    opt("h1-case-adjust-bogus-client", Fe, false, Rejected),
    opt("h1-case-adjust-bogus-server", Be, false, Rejected),
    opt("disable-h2-upgrade", Fe, true, Rejected),
];

/// The HTTP connection modes: exclusive, and `no option X` only cancels X.
const HTTP_MODES: &[&str] = &["httpclose", "http-server-close", "http-keep-alive"];

/// Options that take arguments or select a check type, with how far we run them.
pub const ARG_OPTIONS: &[(&str, Status)] = &[
    ("httpclose", Supported),
    ("http-server-close", Supported),
    ("http-keep-alive", Supported),
    ("redispatch", Supported),
    ("httplog", Supported),
    ("tcplog", Supported),
    ("httpslog", Supported),
    ("tcpka", Supported),
    ("httpchk", Supported),
    ("ssl-hello-chk", Supported),
    ("smtpchk", Supported),
    ("pgsql-check", Supported),
    ("redis-check", Supported),
    ("mysql-check", Supported),
    ("ldap-check", Supported),
    ("spop-check", Rejected),
    ("tcp-check", Supported),
    ("external-check", Rejected),
    ("forwardfor", Supported),
    ("originalto", Supported),
    ("http-restrict-req-hdr-names", Rejected),
];

pub fn option(cx: &mut Cx, d: &Directive) -> Flow {
    let name = d.arg(1);
    if name.is_empty() {
        cx.alert_tight(d, "'option' expects an option name.");
        return Flow::Continue;
    }
    let modifier = cx.st.modifier;
    if let Some(o) = FLAG_OPTIONS.iter().find(|o| o.name == name) {
        if cx.too_many_idx(d, 0, 1) {
            return Flow::Continue;
        }
        if o.side != Both {
            let need_backend = o.side == Be;
            let has = if need_backend { cx.p.caps.backend } else { cx.p.caps.frontend };
            if !has {
                let cap = if need_backend { "backend" } else { "frontend" };
                cx.r.warning(d, format!("'{name}' ignored because {} has no {cap} capability.", cx.p.describe()));
                return Flow::Continue;
            }
        }
        match modifier {
            Modifier::None => cx.p.options.set.insert(o.name, true),
            Modifier::No => cx.p.options.set.insert(o.name, false),
            Modifier::Default => cx.p.options.set.remove(o.name),
        };
        if name == "transparent" {
            cx.p.transparent = modifier == Modifier::None;
        }
        if modifier == Modifier::None && o.status == Rejected {
            cx.r.not_yet(d, format!("option {name}"));
        }
        if modifier == Modifier::None && o.status == Ignored {
            cx.p.ignored.push(crate::ir::types::Unsupported { span: d.span.clone(), what: format!("option {name}") });
        }
        return Flow::Continue;
    }
    match name {
        "forceclose" => {
            cx.alert_tight(d, "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.");
            return Flow::Continue;
        }
        "http-tunnel" => {
            cx.alert_tight(
                d,
                "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.",
            );
            return Flow::Continue;
        }
        "http_proxy" => {
            cx.alert_tight(d, "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.");
            return Flow::Continue;
        }
        m if HTTP_MODES.contains(&m) => {
            if cx.too_many_idx(d, 0, 1) {
                return Flow::Continue;
            }
            match modifier {
                Modifier::None => {
                    for other in HTTP_MODES {
                        cx.p.options.set.remove(other);
                    }
                    cx.p.options.set.insert(HTTP_MODES.iter().find(|x| **x == m).copied().unwrap_or("httpclose"), true);
                    return Flow::Continue;
                }
                Modifier::No => {
                    cx.p.options.set.remove(m);
                    return Flow::Continue;
                }
                // `default option <mode>` goes on to the negation error below.
                Modifier::Default => {}
            }
        }
        "redispatch" => {
            if !cx.p.caps.backend {
                cx.r.warning(d, format!("'redispatch' ignored because {} has no backend capability.", cx.p.describe()));
                return Flow::Continue;
            }
            cx.p.redispatch = match modifier {
                Modifier::None if d.has_arg(2) => Some(Redispatch { interval: values::atoi(d.arg(2)) as i32 }),
                Modifier::None => Some(Redispatch { interval: -1 }),
                _ => None,
            };
            return Flow::Continue;
        }
        _ => {}
    }
    if modifier != Modifier::None {
        cx.alert_tight(d, format!("negation/default is not supported for option '{name}'."));
        return Flow::Continue;
    }
    match name {
        "httplog" | "httpslog" | "tcplog" => {
            let format = match name {
                "httplog" if d.has_arg(2) => {
                    if d.arg(2) != "clf" {
                        cx.r.alert_at(d, 2, "keyword 'httplog' only supports option 'clf'.");
                        return Flow::Continue;
                    }
                    if cx.too_many_idx(d, 1, 1) {
                        return Flow::Continue;
                    }
                    LogFormat::HttpClf
                }
                "httplog" => LogFormat::Http,
                "httpslog" => LogFormat::Https,
                _ => LogFormat::Tcp,
            };
            if cx.p.is_defaults() && cx.p.log.format != LogFormat::Default {
                let old = format_origin(&cx.p.log.format);
                let new = match name {
                    "httplog" if format == LogFormat::HttpClf => "option httplog clf",
                    // HAProxy names httpslog "option httplog" here.
                    "httplog" | "httpslog" => "option httplog",
                    _ => "option tcplog",
                };
                cx.warning_tight(d, format!("'{new}' overrides previous '{old}' in 'defaults' section."));
            }
            cx.p.log.format = format;
            cx.p.log.format_line = Some(d.span.clone());
            if name == "tcplog" && cx.too_many_idx(d, 0, 1) {
                return Flow::Continue;
            }
            if !cx.p.is_defaults() && !cx.p.caps.frontend {
                cx.r.warning(d, format!("backend '{}' : 'option {name}' directive is ignored in backends.", cx.p.name));
            }
        }
        "tcpka" => {
            if cx.too_many_idx(d, 0, 1) {
                return Flow::Continue;
            }
            // Both sides in a proxy that has both (HAProxy sets the two flags by capability).
            if cx.p.caps.frontend {
                cx.p.options.set.insert("clitcpka", true);
            }
            if cx.p.caps.backend {
                cx.p.options.set.insert("srvtcpka", true);
            }
        }
        "httpchk" => {
            cx.warn_if_not_cap(d, true, "");
            if d.len() > 5 {
                cx.r.alert_at(d, 5, format!("'option httpchk' cannot handle unexpected argument '{}'.", d.arg(5)));
                return Flow::Continue;
            }
            let args: Vec<&str> = d.args_from(2).collect();
            let (req, legacy) = crate::ir::checks::parse_httpchk(&args);
            if legacy {
                cx.r.push(super::with_source(
                    crate::config::diag::Diagnostic::new(
                        crate::config::diag::Severity::Warning,
                        crate::config::diag::Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line },
                        "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.",
                    ),
                    d,
                    4,
                ));
            }
            cx.p.checks.kind = CheckKind::Http;
            cx.p.checks.proto_args.clear();
            cx.p.checks.httpchk = Some(req);
        }
        "ssl-hello-chk" | "smtpchk" | "pgsql-check" | "redis-check" | "mysql-check" | "ldap-check" | "spop-check"
        | "tcp-check" | "external-check" => {
            cx.warn_if_not_cap(d, true, "");
            let max = match name {
                "smtpchk" | "pgsql-check" => 2,
                "mysql-check" => 3,
                _ => 0,
            };
            if d.len() > 2 + max {
                let i = 2 + max;
                cx.r.alert_at(d, i, format!("'option {name}' cannot handle unexpected argument '{}'.", d.arg(i)));
                return Flow::Continue;
            }
            match name {
                "pgsql-check" => {
                    if !d.has_arg(2) || !d.has_arg(3) {
                        cx.r.alert(d, "'option pgsql-check' expects 'user <username>' as argument.");
                        return Flow::Continue;
                    }
                    if d.arg(2) != "user" {
                        cx.r.alert(d, "'option pgsql-check' only supports optional values: 'user'.");
                        return Flow::Continue;
                    }
                }
                "mysql-check" if d.has_arg(2) => {
                    if d.arg(2) != "user" {
                        cx.r.alert(
                            d,
                            format!("'option mysql-check' only supports optional values: 'user' (got '{}').", d.arg(2)),
                        );
                        return Flow::Continue;
                    }
                    if !d.has_arg(3) {
                        cx.r.alert(d, "'option mysql-check user' expects <username> as argument.");
                        return Flow::Continue;
                    }
                    if d.has_arg(4) && d.arg(4) != "post-41" && d.arg(4) != "pre-41" {
                        cx.r.alert(
                            d,
                            format!("keyword 'user' only supports 'post-41' and 'pre-41' (got '{}').", d.arg(4)),
                        );
                        return Flow::Continue;
                    }
                }
                _ => {}
            }
            cx.p.checks.kind = match name {
                "ssl-hello-chk" => CheckKind::SslHello,
                "smtpchk" => CheckKind::Smtp,
                "pgsql-check" => CheckKind::Pgsql,
                "redis-check" => CheckKind::Redis,
                "mysql-check" => CheckKind::Mysql,
                "ldap-check" => CheckKind::Ldap,
                "spop-check" => CheckKind::Spop,
                "tcp-check" => CheckKind::TcpCheck,
                _ => CheckKind::External,
            };
            cx.p.checks.proto_args = d.args_from(2).map(String::from).collect();
            if matches!(name, "spop-check" | "external-check") {
                cx.r.not_yet(d, format!("option {name}"));
            }
        }
        "forwardfor" | "originalto" => {
            let mut ff = ForwardFor {
                except: None,
                header: if name == "forwardfor" { "X-Forwarded-For" } else { "X-Original-To" }.to_string(),
                if_none: false,
            };
            let mut i = 2;
            while d.has_arg(i) {
                match d.arg(i) {
                    w @ ("except" | "header") => {
                        let v = d.arg(i + 1);
                        let ok = if w == "except" { valid_network(v) } else { !v.is_empty() };
                        if !ok {
                            let what = if w == "except" { "<address>[/mask]" } else { "<header_name>" };
                            cx.r.alert_at(d, i, format!("'option {name} {w}' expects {what} as argument."));
                            return Flow::Continue;
                        }
                        if w == "except" {
                            ff.except = Some(v.to_string());
                        } else {
                            ff.header = v.to_string();
                        }
                        i += 2;
                    }
                    "if-none" if name == "forwardfor" => {
                        ff.if_none = true;
                        i += 1;
                    }
                    _ => {
                        let msg = if name == "forwardfor" {
                            "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'."
                        } else {
                            "'option originalto' only supports optional values: 'except' and 'header'."
                        };
                        cx.r.alert_at(d, i, msg);
                        return Flow::Continue;
                    }
                }
            }
            if name == "forwardfor" {
                cx.p.forwardfor = Some(ff);
            } else {
                cx.p.originalto = Some(ff);
            }
        }
        "http-restrict-req-hdr-names" => {
            if cx.too_many(d, 2) {
                return Flow::Continue;
            }
            match d.arg(2) {
                "" => cx.r.alert(d, "missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option."),
                "preserve" | "reject" | "delete" => cx.r.not_yet(d, "option http-restrict-req-hdr-names"),
                other => cx.r.alert_at(d, 2, format!("invalid parameter '{other}'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")),
            }
        }
        _ => {
            let msg = match crate::config::suggest::OPTION.suggest(name) {
                Some(s) => format!("unknown option '{name}'; did you mean '{s}' maybe ?"),
                None => format!("unknown option '{name}'."),
            };
            cx.r.alert_at(d, 1, msg);
        }
    }
    Flow::Continue
}

/// `str2net` / `str62net`: an IPv4 address or name with an optional mask or prefix length, or
/// an IPv6 address with an optional prefix length.
fn valid_network(v: &str) -> bool {
    if v.is_empty() {
        return false;
    }
    let (a, len) = match v.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (v, None),
    };
    if let Ok(ip) = a.parse::<std::net::IpAddr>() {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return match len {
            None => true,
            Some(l) => {
                l.parse::<u32>().is_ok_and(|n| n <= max) || (ip.is_ipv4() && l.parse::<std::net::Ipv4Addr>().is_ok())
            }
        };
    }
    // IPv4 names are resolved.
    len.is_none_or(|l| l.parse::<u32>().is_ok_and(|n| n <= 32) || l.parse::<std::net::Ipv4Addr>().is_ok())
        && crate::ir::addr::resolve(a, crate::ir::addr::Family::Ipv4).is_some()
}

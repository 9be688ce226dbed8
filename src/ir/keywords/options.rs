//! `option <name> [args]` in proxy sections: the flag options HAProxy 2.6 knows, and the ones
//! with arguments (httpchk, forwardfor, httplog, redispatch, ...).

use crate::config::ast::Directive;
use crate::ir::types::{CheckKind, ForwardFor, HttpChk, LogFormat, Redispatch};
use crate::ir::values;

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
    pub http_only: bool,
    pub status: Status,
}

const fn opt(name: &'static str, side: Side, http_only: bool, status: Status) -> FlagOption {
    FlagOption { name, side, http_only, status }
}

use Side::{Backend as Be, Both, Frontend as Fe};
use Status::{Ignored, Rejected, Supported};

/// Simple on/off options (HAProxy's `cfg_opts` and `cfg_opts2`).
pub const FLAG_OPTIONS: &[FlagOption] = &[
    opt("abortonclose", Be, false, Rejected),
    opt("allbackups", Be, false, Supported),
    opt("checkcache", Be, true, Rejected),
    opt("clitcpka", Fe, false, Ignored),
    opt("contstats", Fe, false, Ignored),
    opt("dontlognull", Fe, false, Supported),
    opt("http-buffer-request", Both, true, Rejected),
    opt("http-ignore-probes", Fe, true, Rejected),
    opt("idle-close-on-response", Fe, true, Rejected),
    opt("prefer-last-server", Be, false, Rejected),
    opt("logasap", Fe, false, Rejected),
    opt("nolinger", Both, false, Ignored),
    opt("persist", Be, false, Supported),
    opt("srvtcpka", Be, false, Ignored),
    opt("transparent", Be, false, Rejected),
    opt("http-no-delay", Both, true, Ignored),
    opt("http-pretend-keepalive", Both, true, Rejected),
    opt("http-server-close", Both, true, Supported),
    opt("http-keep-alive", Both, true, Supported),
    opt("httpclose", Both, true, Supported),
    opt("http-use-proxy-header", Fe, true, Rejected),
    opt("http-drop-request-trailers", Be, true, Rejected),
    opt("http-drop-response-trailers", Fe, true, Rejected),
    opt("log-separate-errors", Fe, false, Supported),
    opt("log-health-checks", Be, false, Supported),
    opt("socket-stats", Fe, false, Ignored),
    opt("splice-auto", Both, false, Ignored),
    opt("splice-request", Both, false, Ignored),
    opt("splice-response", Both, false, Ignored),
    opt("tcp-smart-accept", Fe, false, Ignored),
    opt("tcp-smart-connect", Be, false, Ignored),
    opt("accept-invalid-http-request", Fe, true, Rejected),
    opt("accept-invalid-http-response", Be, true, Rejected),
    opt("h1-case-adjust-bogus-client", Fe, true, Rejected),
    opt("h1-case-adjust-bogus-server", Be, true, Rejected),
    opt("disable-h2-upgrade", Fe, true, Ignored),
    opt("independent-streams", Both, false, Ignored),
    opt("forceclose", Both, true, Supported),
];

/// Options that take arguments or select a check type, with how far we run them.
pub const ARG_OPTIONS: &[(&str, Status)] = &[
    ("redispatch", Supported),
    ("httplog", Supported),
    ("tcplog", Supported),
    ("httpslog", Supported),
    ("tcpka", Rejected),
    ("httpchk", Rejected),
    ("ssl-hello-chk", Rejected),
    ("smtpchk", Rejected),
    ("pgsql-check", Rejected),
    ("redis-check", Rejected),
    ("mysql-check", Rejected),
    ("ldap-check", Rejected),
    ("spop-check", Rejected),
    ("tcp-check", Rejected),
    ("external-check", Rejected),
    ("forwardfor", Supported),
    ("originalto", Rejected),
    ("http-restrict-req-hdr-names", Rejected),
    ("dontlog-normal", Rejected),
];

fn all_names() -> impl Iterator<Item = &'static str> {
    FLAG_OPTIONS.iter().map(|o| o.name).chain(ARG_OPTIONS.iter().map(|(n, _)| *n))
}

pub fn option(cx: &mut Cx, d: &Directive) -> Flow {
    let name = d.arg(1);
    if name.is_empty() {
        cx.alert_tight(d, "'option' expects an option name.");
        return Flow::Continue;
    }
    let modifier = cx.st.modifier;
    if let Some(o) = FLAG_OPTIONS.iter().find(|o| o.name == name) {
        if d.len() > 2 {
            cx.r.alert_at(d, 2, format!("'option {name}' cannot handle unexpected argument '{}'.", d.arg(2)));
            return Flow::Continue;
        }
        let need_backend = o.side == Be;
        if o.side != Both {
            let has = if need_backend { cx.p.caps.backend } else { cx.p.caps.frontend };
            if !has {
                let cap = if need_backend { "backend" } else { "frontend" };
                cx.r.warning(
                    d,
                    format!("'option {name}' ignored because {} has no {cap} capability.", cx.p.describe()),
                );
                return Flow::Continue;
            }
        }
        let on = modifier != Modifier::No;
        if modifier == Modifier::Default {
            cx.p.options.set.remove(o.name);
        } else {
            cx.p.options.set.insert(o.name, on);
        }
        // The HTTP connection modes exclude each other.
        if on && matches!(name, "http-server-close" | "http-keep-alive" | "httpclose" | "forceclose") {
            for other in ["http-server-close", "http-keep-alive", "httpclose", "forceclose"] {
                if other != name {
                    cx.p.options.set.remove(other);
                }
            }
        }
        if on && o.status == Rejected {
            cx.r.not_yet(d, format!("option {name}"));
        }
        return Flow::Continue;
    }
    match name {
        "redispatch" => {
            if !cx.p.caps.backend {
                cx.r.warning(
                    d,
                    format!("'option redispatch' ignored because {} has no backend capability.", cx.p.describe()),
                );
                return Flow::Continue;
            }
            if d.len() > 3 {
                cx.r.alert_at(d, 3, format!("'option redispatch' cannot handle unexpected argument '{}'.", d.arg(3)));
                return Flow::Continue;
            }
            cx.p.redispatch = match modifier {
                Modifier::No => None,
                _ if d.has_arg(2) => Some(Redispatch { interval: values::atoi(d.arg(2)) as i32 }),
                _ => Some(Redispatch { interval: -1 }),
            };
        }
        "httplog" => {
            if d.len() > 3 || (d.len() == 3 && d.arg(2) != "clf") {
                cx.r.alert_at(d, 2, "keyword 'httplog' only supports option 'clf'.");
                return Flow::Continue;
            }
            cx.p.log.format = if modifier == Modifier::No {
                LogFormat::Default
            } else if d.arg(2) == "clf" {
                LogFormat::HttpClf
            } else {
                LogFormat::Http
            };
        }
        "httpslog" => cx.p.log.format = LogFormat::Https,
        "tcplog" => cx.p.log.format = if modifier == Modifier::No { LogFormat::Default } else { LogFormat::Tcp },
        "tcpka" => cx.r.not_yet(d, "option tcpka"),
        "httpchk" => {
            cx.warn_if_not_cap(d, true, "");
            let args: Vec<&str> = d.args_from(2).collect();
            let (method, uri, version) = match args.len() {
                0 => ("OPTIONS", "/", "HTTP/1.0"),
                1 => ("OPTIONS", args[0], "HTTP/1.0"),
                2 => (args[0], args[1], "HTTP/1.0"),
                _ => (args[0], args[1], args[2]),
            };
            // The legacy trick: headers smuggled into the version word after `\r\n`.
            let mut parts = version.split("\r\n");
            let ver = parts.next().unwrap_or("HTTP/1.0").to_string();
            let headers = parts
                .filter(|h| !h.is_empty())
                .filter_map(|h| h.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
                .collect();
            cx.p.checks.kind = CheckKind::Http;
            cx.r.not_yet(d, "option httpchk");
            cx.p.checks.httpchk =
                Some(HttpChk { method: method.to_string(), uri: uri.to_string(), version: ver, headers });
        }
        "ssl-hello-chk" | "smtpchk" | "pgsql-check" | "redis-check" | "mysql-check" | "ldap-check" | "spop-check"
        | "tcp-check" | "external-check" => {
            cx.warn_if_not_cap(d, true, "");
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
            cx.r.not_yet(d, format!("option {name}"));
        }
        "forwardfor" | "originalto" => {
            let mut ff = ForwardFor {
                except: None,
                header: if name == "forwardfor" { "X-Forwarded-For" } else { "X-Original-To" }.to_string(),
                if_none: false,
            };
            let mut i = 2;
            while i < d.len() {
                match d.arg(i) {
                    "except" if d.has_arg(i + 1) => {
                        ff.except = Some(d.arg(i + 1).to_string());
                        i += 2;
                    }
                    "header" if d.has_arg(i + 1) => {
                        ff.header = d.arg(i + 1).to_string();
                        i += 2;
                    }
                    "if-none" if name == "forwardfor" => {
                        ff.if_none = true;
                        i += 1;
                    }
                    other => {
                        let msg = if name == "forwardfor" {
                            format!(
                                "error detected in {} while parsing 'option forwardfor' : unknown parameter '{other}'.",
                                cx.p.describe()
                            )
                        } else {
                            format!(
                                "error detected in {} while parsing 'option originalto' : unknown parameter '{other}'.",
                                cx.p.describe()
                            )
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
                cx.r.not_yet(d, "option originalto");
            }
        }
        "dontlog-normal" | "http-restrict-req-hdr-names" => {
            cx.r.not_yet(d, format!("option {name}"));
        }
        _ => {
            let msg = match crate::config::diag::haproxy_suggest(name, all_names()) {
                Some(s) => format!("unknown option '{name}'; did you mean '{s}' maybe ?"),
                None => format!("unknown option '{name}'."),
            };
            cx.r.alert_at(d, 1, msg);
        }
    }
    Flow::Continue
}

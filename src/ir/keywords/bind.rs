//! `bind` lines: one or more comma-separated addresses followed by bind options.

use crate::config::ast::Directive;
use crate::ir::addr::{self, AddrError, AddrOpts, Family, Host};
use crate::ir::types::{Bind, BindOpts, CliLevel};
use crate::ir::values;

use super::proxy::{Cx, Flow};

/// Bind options without an argument.
const FLAGS: &[&str] = &[
    "accept-proxy",
    "allow-0rtt",
    "defer-accept",
    "transparent",
    "v4v6",
    "v6only",
    "tfo",
    "ssl",
    "strict-sni",
    "prefer-client-ciphers",
    "no-ca-names",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "no-tls-tickets",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "generate-certificates",
    "quic-force-retry",
    "expose-fd",
];

/// Bind options with one argument.
const VALUED: &[&str] = &[
    "name",
    "id",
    "maxconn",
    "backlog",
    "mode",
    "uid",
    "gid",
    "user",
    "group",
    "interface",
    "namespace",
    "level",
    "severity-output",
    "process",
    "thread",
    "nice",
    "tcp-ut",
    "mss",
    "proto",
    "crt",
    "crt-list",
    "ca-file",
    "ca-verify-file",
    "crl-file",
    "ciphers",
    "ciphersuites",
    "curves",
    "ecdhe",
    "alpn",
    "npn",
    "verify",
    "ssl-min-ver",
    "ssl-max-ver",
    "sigalgs",
    "client-sigalgs",
    "ca-ignore-err",
    "crt-ignore-err",
    "ca-sign-file",
    "ca-sign-pass",
    "tls-ticket-keys",
    "accept-netscaler-cip",
    "label",
];

/// Options whose effect haproxide implements.
const SUPPORTED: &[&str] = &[
    "name",
    "id",
    "maxconn",
    "backlog",
    "mode",
    "uid",
    "gid",
    "user",
    "group",
    "level",
    "severity-output",
    "transparent",
    "v4v6",
    "v6only",
    "defer-accept",
    "tfo",
    "interface",
    "process",
    "thread",
    "expose-fd",
];

pub fn bind(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.r.alert(d, "'bind' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    if !cx.p.caps.frontend {
        cx.r.warning(d, format!("'bind' ignored because {} has no frontend capability.", cx.p.describe()));
    }
    if !d.has_arg(1) {
        cx.r.alert(d, "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.");
        return Flow::Continue;
    }
    let mut addrs = Vec::new();
    for part in d.arg(1).split(',').filter(|p| !p.is_empty()) {
        match parse_bind_addr(part) {
            Ok(a) => addrs.push(a),
            Err(msg) => {
                cx.r.alert_at(d, 1, format!("'bind' : {msg}"));
                return Flow::Continue;
            }
        }
    }
    let who = format!("'bind {}' in section '{}'", d.arg(1), section_word(cx));
    let Some(opts) = bind_options(cx, d, 2, &who) else {
        return Flow::Continue;
    };
    for a in addrs {
        cx.p.binds.push(Bind { span: d.span.clone(), addr: a, opts: opts.clone() });
    }
    Flow::Continue
}

fn section_word(cx: &Cx) -> &'static str {
    if cx.p.caps.frontend && cx.p.caps.backend {
        "listen"
    } else {
        "frontend"
    }
}

/// Parse a listening address, with HAProxy's wording for errors.
pub fn parse_bind_addr(text: &str) -> Result<addr::Address, String> {
    let expanded = expand_env(text);
    let opts = AddrOpts { port_required: true, allow_range: true, resolve: true, ..Default::default() };
    match addr::parse_address(&expanded, opts) {
        Ok(a) => {
            if let Host::Fd(fd) = &a.host {
                if fd.parse::<i32>().is_err() {
                    return Err(format!("file descriptor '{fd}' is not a valid integer in '{text}'"));
                }
            }
            if matches!(a.port, addr::PortSpec::Fixed(0))
                && matches!(a.family, Family::Inet | Family::Ipv4 | Family::Ipv6)
            {
                return Err("invalid port '0'".to_string());
            }
            Ok(a)
        }
        Err(AddrError::UnknownFamily(pfx, whole)) => Err(format!("invalid address: '{pfx}' in '{whole}'")),
        Err(e) => Err(e.to_string()),
    }
}

/// HAProxy expands `${VAR}` inside addresses itself, even outside quotes.
pub fn expand_env(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find('}') {
            Some(end) => {
                let name = &rest[start + 2..start + 2 + end];
                out.push_str(&std::env::var(name).unwrap_or_default());
                rest = &rest[start + 3 + end..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parse bind options from word `from`. `who` is HAProxy's `'bind :80' in section 'frontend'`.
pub fn bind_options(cx: &mut Cx, d: &Directive, from: usize, who: &str) -> Option<BindOpts> {
    let mut o = BindOpts::default();
    let mut i = from;
    while i < d.len() {
        let kw = d.arg(i);
        if FLAGS.contains(&kw) {
            match kw {
                "accept-proxy" => o.accept_proxy = true,
                "transparent" => o.transparent = true,
                "v4v6" => o.v4v6 = true,
                "v6only" => o.v6only = true,
                "defer-accept" => o.defer_accept = true,
                "tfo" => o.tfo = true,
                "ssl" => o.ssl = true,
                "expose-fd" => {
                    if d.arg(i + 1) != "listeners" {
                        cx.r.alert_at(d, i, format!("{who} : 'expose-fd' : missing value"));
                        return None;
                    }
                    o.expose_fd_listeners = true;
                    i += 1;
                }
                _ => o.other.push((kw.to_string(), Vec::new())),
            }
            if !SUPPORTED.contains(&kw) {
                cx.r.not_yet(d, format!("bind option '{kw}'"));
            }
            i += 1;
            continue;
        }
        if !VALUED.contains(&kw) {
            let all = FLAGS.iter().chain(VALUED.iter()).copied();
            let msg = match crate::config::diag::haproxy_suggest(kw, all) {
                Some(s) => format!("{who}: unknown keyword '{kw}'; did you mean '{s}' maybe ?"),
                None => format!("{who}: unknown keyword '{kw}'."),
            };
            cx.r.alert_at(d, i, msg);
            return None;
        }
        if !d.has_arg(i + 1) {
            cx.r.alert_at(d, i, format!("{who} : '{kw}' : missing value"));
            return None;
        }
        let val = d.arg(i + 1).to_string();
        match kw {
            "name" => o.name = Some(val),
            "id" => o.id = Some(values::atoi(&val) as i32),
            "maxconn" => o.maxconn = Some(values::atoi(&val).max(0) as u32),
            "backlog" => o.backlog = Some(values::atoi(&val).max(0) as u32),
            "mode" => o.mode = u32::from_str_radix(&val, 8).ok(),
            "uid" => o.uid = Some(values::atoi(&val) as u32),
            "gid" => o.gid = Some(values::atoi(&val) as u32),
            "user" => match nix::unistd::User::from_name(&val) {
                Ok(Some(u)) => {
                    o.uid = Some(u.uid.as_raw());
                    o.user = Some(val);
                }
                _ => {
                    cx.r.alert_at(d, i + 1, format!("{who} : 'user' : unknown user name '{val}'"));
                    return None;
                }
            },
            "group" => match nix::unistd::Group::from_name(&val) {
                Ok(Some(g)) => {
                    o.gid = Some(g.gid.as_raw());
                    o.group = Some(val);
                }
                _ => {
                    cx.r.alert_at(d, i + 1, format!("{who} : 'group' : unknown group name '{val}'"));
                    return None;
                }
            },
            "interface" => o.interface = Some(val),
            "namespace" => o.namespace = Some(val),
            "level" => {
                o.level = Some(match val.as_str() {
                    "user" => CliLevel::User,
                    "operator" => CliLevel::Operator,
                    "admin" => CliLevel::Admin,
                    _ => {
                        let msg =
                            format!("{who} : 'level' only supports 'user', 'operator', and 'admin' (got '{val}')");
                        cx.r.alert_at(d, i + 1, msg);
                        return None;
                    }
                })
            }
            "severity-output" => o.severity_output = Some(val),
            "process" => {
                cx.r.warning(
                    d,
                    format!("{who} : 'process {val}' on 'bind' lines is deprecated and will be removed in 2.7."),
                );
                o.process = Some(val);
            }
            "thread" => o.thread = Some(val),
            "nice" => o.nice = Some(values::atoi(&val) as i32),
            "tcp-ut" => o.tcp_ut = values::parse_ms(&val).ok(),
            "mss" => o.mss = Some(val),
            "proto" => o.proto = Some(val),
            "alpn" => o.alpn = Some(val),
            "crt" => {
                if let Err(msg) = check_certificate(&val) {
                    cx.r.alert_at(d, i + 1, format!("{who} : {msg}"));
                    return None;
                }
                o.crt.push(val);
            }
            _ => o.other.push((kw.to_string(), vec![val])),
        }
        if !SUPPORTED.contains(&kw) {
            cx.r.not_yet(d, format!("bind option '{kw}'"));
        }
        i += 2;
    }
    Some(o)
}

/// HAProxy loads certificates while parsing: the file (or each file of a directory) must exist and
/// hold a PEM certificate. We check the same things without decoding the certificate.
pub fn check_certificate(path: &str) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!("unable to stat SSL certificate from file '{path}' : {}.", crate::config::parse::io_reason(&e))
    })?;
    if meta.is_dir() {
        return Ok(());
    }
    let text = std::fs::read(path).map_err(|_| format!("unable to load certificate from file '{path}'."))?;
    let text = String::from_utf8_lossy(&text);
    if !text.contains("-----BEGIN CERTIFICATE-----") && !text.contains("-----BEGIN TRUSTED CERTIFICATE-----") {
        return Err(format!("unable to load certificate from file '{path}'."));
    }
    Ok(())
}

/// Every option name with how far the engine implements it (for grammar/keywords.tsv).
pub fn all_options() -> impl Iterator<Item = (&'static str, super::Status)> {
    FLAGS
        .iter()
        .chain(VALUED.iter())
        .map(|n| (*n, if SUPPORTED.contains(n) { super::Status::Supported } else { super::Status::Rejected }))
}

//! `server`, `default-server` and `server-template` lines and their options.
//!
//! Servers start from the proxy's `default-server` settings (which a proxy inherits from its
//! defaults section), then apply their own options left to right, as HAProxy does.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Severity};
use crate::ir::addr::{self, AddrError, AddrOpts, PortSpec};
use crate::ir::types::{InitAddr, Observe, OnError, Server, ServerOpts};
use crate::ir::values::{self, TimeError};

use super::proxy::{Cx, Flow};
use super::with_source;

/// Server options that take no argument.
const FLAGS: &[&str] = &[
    "backup",
    "check",
    "agent-check",
    "disabled",
    "enabled",
    "non-stick",
    "send-proxy",
    "send-proxy-v2",
    "ssl",
    "check-ssl",
    "check-send-proxy",
    "no-backup",
    "no-check",
    "no-agent-check",
    "no-send-proxy",
    "no-send-proxy-v2",
    "no-ssl",
    "no-check-ssl",
    "no-tfo",
    "tfo",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "no-send-proxy-v2-ssl",
    "no-send-proxy-v2-ssl-cn",
    "no-ssl-reuse",
    "ssl-reuse",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "no-tls-tickets",
    "tls-tickets",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "no-verifyhost",
    "allow-0rtt",
    "check-via-socks4",
    "stick",
    "no-stick",
];

/// Server options that take exactly one argument.
const VALUED: &[&str] = &[
    "weight",
    "maxconn",
    "maxqueue",
    "minconn",
    "cookie",
    "id",
    "inter",
    "fastinter",
    "downinter",
    "rise",
    "fall",
    "port",
    "addr",
    "agent-inter",
    "agent-addr",
    "agent-port",
    "agent-send",
    "observe",
    "error-limit",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "track",
    "slowstart",
    "init-addr",
    "resolvers",
    "resolve-prefer",
    "resolve-net",
    "resolve-opts",
    "redir",
    "source",
    "verify",
    "sni",
    "proto",
    "pool-max-conn",
    "pool-low-conn",
    "pool-purge-delay",
    "max-reuse",
    "alpn",
    "npn",
    "ca-file",
    "crl-file",
    "crt",
    "ciphers",
    "ciphersuites",
    "curves",
    "sigalgs",
    "client-sigalgs",
    "verifyhost",
    "ssl-min-ver",
    "ssl-max-ver",
    "check-alpn",
    "check-proto",
    "check-sni",
    "namespace",
    "proxy-v2-options",
    "socks4",
    "tcp-ut",
    "log-proto",
    "usesrc",
    "interface",
    "shard",
    "ws",
    "check-reuse-pool",
    "set-proxy-v2-tlv-fmt",
    "hash-key",
];

/// Options whose effect the engine implements today; every other option is accepted like
/// HAProxy accepts it and then refused at start with "not supported yet".
const SUPPORTED: &[&str] = &[
    "weight",
    "maxconn",
    "id",
    "backup",
    "no-backup",
    "disabled",
    "enabled",
    "init-addr",
    "non-stick",
    "check",
    "no-check",
    "agent-check",
    "no-agent-check",
    "inter",
    "fastinter",
    "downinter",
    "rise",
    "fall",
    "port",
    "addr",
    "agent-inter",
    "agent-addr",
    "agent-port",
    "agent-send",
    "observe",
    "error-limit",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "track",
    "slowstart",
];

fn all_keywords() -> impl Iterator<Item = &'static str> {
    FLAGS.iter().chain(VALUED.iter()).copied()
}

/// Where a server option error is reported: `[f:l] : 'server be/s' : msg`.
fn server_alert(cx: &mut Cx, d: &Directive, who: &str, i: usize, msg: &str) {
    let text = if who.is_empty() { msg.to_string() } else { format!("'{who}' : {msg}") };
    cx.r.push(with_source(Diagnostic::new(Severity::Alert, d.span.bracket(), text), d, i));
}

pub fn default_server(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    let mut opts = cx.p.default_server.clone();
    if apply_options(cx, d, 1, &mut opts, "", true).is_ok() {
        cx.p.default_server = opts;
    }
    Flow::Continue
}

pub fn server(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        server_alert(cx, d, "", 0, "'server' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    if !cx.p.caps.backend {
        let msg = format!(
            "parsing [{}:{}] : 'server' not allowed because {} has no backend capability.",
            d.span.file,
            d.span.line,
            cx.p.describe()
        );
        server_alert(cx, d, "", 0, &msg);
        return Flow::Continue;
    }
    if !d.has_arg(1) || !d.has_arg(2) {
        server_alert(cx, d, "", 0, "'server' expects <name> and <addr>[:<port>] as arguments.");
        return Flow::Continue;
    }
    let name = d.arg(1).to_string();
    let who = format!("server {}/{}", cx.p.name, name);
    if let Some(c) = crate::ir::lower::invalid_name_char(&name) {
        server_alert(cx, d, "", 1, &format!("character '{c}' is not permitted in server name '{name}'."));
        return Flow::Continue;
    }
    let Some(address) = parse_server_addr(cx, d, 2, &who) else {
        return Flow::Continue;
    };
    let mut opts = cx.p.default_server.clone();
    if apply_options(cx, d, 3, &mut opts, &who, false).is_err() {
        return Flow::Continue;
    }
    cx.p.servers.push(Server { name, span: d.span.clone(), addr: address, opts, from_template: false });
    Flow::Continue
}

pub fn server_template(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        server_alert(cx, d, "", 0, "'server-template' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    if !d.has_arg(1) || !d.has_arg(2) || !d.has_arg(3) {
        server_alert(cx, d, "", 0, "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
        return Flow::Continue;
    }
    let prefix = d.arg(1).to_string();
    let range = d.arg(2);
    let parsed = match range.split_once('-') {
        Some((a, b)) => a.parse::<u32>().ok().zip(b.parse::<u32>().ok()),
        None => range.parse::<u32>().ok().map(|n| (1, n)),
    };
    let (low, high) = match parsed {
        Some((lo, hi)) if lo >= 1 && hi >= lo => (lo, hi),
        _ => {
            server_alert(cx, d, "", 2, &format!("Wrong server-template number or range arg '{range}'."));
            return Flow::Continue;
        }
    };
    let who = format!("server {}/{}{}", cx.p.name, prefix, low);
    let Some(address) = parse_server_addr(cx, d, 3, &who) else {
        return Flow::Continue;
    };
    let mut opts = cx.p.default_server.clone();
    if apply_options(cx, d, 4, &mut opts, &who, false).is_err() {
        return Flow::Continue;
    }
    for n in low..=high {
        cx.p.servers.push(Server {
            name: format!("{prefix}{n}"),
            span: d.span.clone(),
            addr: address.clone(),
            opts: opts.clone(),
            from_template: true,
        });
    }
    Flow::Continue
}

/// Parse the address word of a server; names are resolved later (after parsing), as HAProxy does.
fn parse_server_addr(cx: &mut Cx, d: &Directive, i: usize, who: &str) -> Option<addr::Address> {
    let text = d.arg(i);
    let opts = AddrOpts { allow_offset: true, resolve: false, ..Default::default() };
    match addr::parse_address(text, opts) {
        Ok(a) => Some(a),
        Err(AddrError::InvalidPort(p)) if p.contains('-') && !p.starts_with('-') => {
            server_alert(cx, d, who, i, &format!("port range not permitted here in '{text}'"));
            None
        }
        Err(e) => {
            server_alert(cx, d, who, i, &e.to_string());
            None
        }
    }
}

/// HAProxy's fingerprint-based suggestion for a mistyped server keyword.
fn suggestion(word: &str) -> Option<&'static str> {
    crate::config::diag::haproxy_suggest(word, all_keywords())
}

fn time_arg(cx: &mut Cx, d: &Directive, i: usize, who: &str, kw: &str, zero_ok: bool) -> Result<u32, ()> {
    let v = d.arg(i + 1);
    if v.is_empty() {
        server_alert(cx, d, who, i, &format!("'{kw}' expects a delay as argument.."));
        return Err(());
    }
    match values::parse_ms(v) {
        Ok(0) if !zero_ok => {
            let name = who.rsplit('/').next().unwrap_or("");
            server_alert(cx, d, who, i, &format!("invalid value 0 for argument '{kw}' of server {name}.."));
            Err(())
        }
        Ok(ms) => Ok(ms),
        Err(TimeError::Unexpected(c)) => {
            let name = who.rsplit('/').next().unwrap_or("");
            server_alert(cx, d, who, i, &format!("unexpected character '{c}' in '{kw}' argument of server {name}.."));
            Err(())
        }
        Err(_) => {
            server_alert(cx, d, who, i, &format!("timer overflow in argument '{v}' to '{kw}' of server."));
            Err(())
        }
    }
}

/// Apply `server`/`default-server` options starting at word `from`.
fn apply_options(
    cx: &mut Cx,
    d: &Directive,
    from: usize,
    o: &mut ServerOpts,
    who: &str,
    is_default: bool,
) -> Result<(), ()> {
    let mut i = from;
    while i < d.len() {
        let kw = d.arg(i);
        let val = d.arg(i + 1).to_string();
        let name = who.rsplit('/').next().unwrap_or("").to_string();
        if FLAGS.contains(&kw) {
            match kw {
                "backup" => o.backup = true,
                "no-backup" => o.backup = false,
                "check" => o.check = true,
                "no-check" => o.check = false,
                "agent-check" => o.agent_check = true,
                "no-agent-check" => o.agent_check = false,
                "disabled" => o.disabled = true,
                "enabled" => o.disabled = false,
                "non-stick" => o.non_stick = true,
                "send-proxy" => o.send_proxy = true,
                "send-proxy-v2" => o.send_proxy_v2 = true,
                "ssl" => o.ssl = true,
                "no-ssl" => o.ssl = false,
                "check-ssl" => o.check_ssl = true,
                "check-send-proxy" => o.check_send_proxy = true,
                _ => o.other.push((kw.to_string(), Vec::new())),
            }
            if !SUPPORTED.contains(&kw) {
                cx.r.not_yet(d, format!("server option '{kw}'"));
            }
            i += 1;
            continue;
        }
        if !VALUED.contains(&kw) {
            let base = match suggestion(kw) {
                Some(s) => format!("unknown keyword '{kw}'; did you mean '{s}' maybe ?"),
                None => format!("unknown keyword '{kw}'."),
            };
            let msg = if is_default { format!("{base} Hint: no address was expected for this server.") } else { base };
            server_alert(cx, d, who, i, &msg);
            return Err(());
        }
        match kw {
            "weight" => {
                let w = values::atoi(&val);
                if !(0..=256).contains(&w) {
                    server_alert(cx, d, who, i, &format!("weight of server {name} is not within 0 and 256 ({w}).."));
                    return Err(());
                }
                o.weight = Some(w as i32);
            }
            "maxconn" => o.maxconn = Some(values::atoi(&val).max(0) as u32),
            "maxqueue" => o.maxqueue = Some(values::atoi(&val).max(0) as u32),
            "minconn" => o.minconn = Some(values::atoi(&val).max(0) as u32),
            "cookie" => {
                if val.is_empty() {
                    server_alert(cx, d, who, i, "'cookie' expects <value> as argument..");
                    return Err(());
                }
                o.cookie = Some(val.clone());
            }
            "id" => {
                if is_default {
                    server_alert(cx, d, who, i, "'id' : not supported in default-server.");
                    return Err(());
                }
                let v = values::atoi(&val);
                if v <= 0 {
                    server_alert(cx, d, who, i, "'id' : custom id has to be > 0.");
                    return Err(());
                }
                o.id = Some(v as i32);
            }
            "inter" => o.inter = Some(time_arg(cx, d, i, who, "inter", false)?),
            "fastinter" => o.fastinter = Some(time_arg(cx, d, i, who, "fastinter", false)?),
            "downinter" => o.downinter = Some(time_arg(cx, d, i, who, "downinter", false)?),
            "agent-inter" => o.agent_inter = Some(time_arg(cx, d, i, who, "agent-inter", false)?),
            "slowstart" => o.slowstart = Some(time_arg(cx, d, i, who, "slowstart", true)?),
            "rise" | "fall" => {
                if val.is_empty() {
                    server_alert(cx, d, who, i, &format!("'{kw}' expects an integer argument.."));
                    return Err(());
                }
                let v = values::atoi(&val);
                if v <= 0 {
                    server_alert(cx, d, who, i, &format!("'{kw}' has to be > 0.."));
                    return Err(());
                }
                if kw == "rise" {
                    o.rise = Some(v as i32);
                } else {
                    o.fall = Some(v as i32);
                }
            }
            "port" => o.check_port = Some(values::atoi(&val).clamp(0, 65535) as u16),
            "addr" => {
                if val.is_empty() {
                    server_alert(cx, d, who, i, "'addr' expects <ipv4|ipv6> as argument..");
                    return Err(());
                }
                o.check_addr = Some(val.clone());
            }
            "agent-port" => o.agent_port = Some(values::atoi(&val).clamp(0, 65535) as u16),
            "agent-addr" => {
                if val.is_empty() {
                    server_alert(cx, d, who, i, "'agent-addr' expects an address as argument..");
                    return Err(());
                }
                if val.parse::<std::net::IpAddr>().is_err() {
                    let msg = format!("parsing agent-addr failed. Check if '{val}' is correct address..");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.agent_addr = Some(val.clone());
            }
            "agent-send" => o.agent_send = Some(val.clone()),
            "observe" => {
                if val == "layer7" && cx.p.mode != crate::ir::types::Mode::Http {
                    server_alert(cx, d, who, i, "'layer7' can only be used in http proxies..");
                    return Err(());
                }
                o.observe = Some(match val.as_str() {
                    "none" => Observe::None,
                    "layer4" => Observe::Layer4,
                    "layer7" => Observe::Layer7,
                    _ => {
                        server_alert(
                            cx,
                            d,
                            who,
                            i,
                            &format!("'observe' expects one of 'none', 'layer4', 'layer7' but got '{val}'."),
                        );
                        return Err(());
                    }
                })
            }
            "error-limit" => {
                if val.is_empty() {
                    server_alert(cx, d, who, i, "'error-limit' expects an integer argument..");
                    return Err(());
                }
                let v = values::atoi(&val);
                if v < 1 {
                    server_alert(cx, d, who, i, "error-limit has to be > 0..");
                    return Err(());
                }
                o.error_limit = Some(v as i32);
            }
            "on-error" => {
                o.on_error = Some(match val.as_str() {
                    "fastinter" => OnError::FastInter,
                    "fail-check" => OnError::FailCheck,
                    "sudden-death" => OnError::SuddenDeath,
                    "mark-down" => OnError::MarkDown,
                    _ => {
                        let msg = format!(
                            "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '{val}'."
                        );
                        server_alert(cx, d, who, i, &msg);
                        return Err(());
                    }
                })
            }
            "on-marked-down" => {
                if val != "shutdown-sessions" {
                    let msg = format!("'on-marked-down' expects 'shutdown-sessions' but got '{val}'.");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.on_marked_down = Some(val.clone());
            }
            "on-marked-up" => {
                if val != "shutdown-backup-sessions" {
                    let msg = format!("'on-marked-up' expects 'shutdown-backup-sessions' but got '{val}'.");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.on_marked_up = Some(val.clone());
            }
            "track" => o.track = Some(val.clone()),
            "init-addr" => {
                let mut methods = Vec::new();
                for m in val.split(',') {
                    methods.push(match m {
                        "last" => InitAddr::Last,
                        "libc" => InitAddr::Libc,
                        "none" => InitAddr::None,
                        other => match other.parse() {
                            Ok(ip) => InitAddr::Ip(ip),
                            Err(_) => {
                                let msg = format!(
                                    "'init-addr' : unknown init-addr method '{other}', supported methods are 'libc', 'last', 'none'.."
                                );
                                server_alert(cx, d, who, i, &msg);
                                return Err(());
                            }
                        },
                    });
                }
                o.init_addr = Some(methods);
            }
            "resolvers" => o.resolvers = Some(val.clone()),
            "resolve-prefer" => o.resolve_prefer = Some(val.clone()),
            "redir" => o.redir = Some(val.clone()),
            "source" => o.source = Some(val.clone()),
            "verify" => o.verify = Some(val.clone()),
            "sni" => o.sni = Some(val.clone()),
            "proto" => o.proto = Some(val.clone()),
            _ => o.other.push((kw.to_string(), vec![val.clone()])),
        }
        if !SUPPORTED.contains(&kw) {
            cx.r.not_yet(d, format!("server option '{kw}'"));
        }
        if matches!(kw, "on-marked-down" | "on-marked-up") && cx.p.mode != crate::ir::types::Mode::Tcp {
            // Sessions are shut down in the TCP relay only so far.
            cx.r.not_yet(d, format!("server option '{kw}' outside mode tcp"));
        }
        i += 2;
    }
    Ok(())
}

/// Ports of a server address as HAProxy stores them (`srv_port` in `show servers state`).
pub fn port_of(spec: PortSpec) -> i32 {
    match spec {
        PortSpec::Fixed(p) => i32::from(p),
        PortSpec::Offset(o) => o,
        _ => 0,
    }
}

/// Every option name with how far the engine implements it (for grammar/keywords.tsv).
pub fn all_options() -> impl Iterator<Item = (&'static str, super::Status)> {
    FLAGS
        .iter()
        .chain(VALUED.iter())
        .map(|n| (*n, if SUPPORTED.contains(n) { super::Status::Supported } else { super::Status::Rejected }))
}

//! `server`, `default-server` and `server-template` lines and their options.
//!
//! Servers start from the proxy's `default-server` settings (which a proxy inherits from its
//! defaults section), then apply their own options left to right, as HAProxy does.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Severity};
use crate::ir::addr::{self, AddrOpts, PortSpec};
use crate::ir::types::{InitAddr, Observe, OnError, Server, ServerOpts};
use crate::ir::values::{self, TimeError};

use super::proxy::{Cx, Flow};
use super::server_addr::{indent_msg, parse_server_addr, source};
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
    "allow-0rtt",
    "check-via-socks4",
    "stick",
    "no-check-send-proxy",
    "usesrc",
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
    "ws",
];

/// Options a `default-server` line does not take: HAProxy says so, without failing.
const NOT_IN_DEFAULT: &[&str] = &["id", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13"];

/// `proxy-v2-options` values.
const PROXY_V2_OPTIONS: &[&str] =
    &["ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id"];

/// `proxy-v2-options` values the engine sends.
const PROXY_V2_RUN: &[&str] = &["authority", "crc32c", "unique-id"];

/// Options whose effect the engine implements today; every other option is accepted like
/// HAProxy accepts it and then refused at start with "not supported yet".
const SUPPORTED: &[&str] = &[
    "weight",
    "log-proto",
    "cookie",
    "maxconn",
    "minconn",
    "maxqueue",
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
    "send-proxy",
    "send-proxy-v2",
    "no-send-proxy",
    "no-send-proxy-v2",
    "check-send-proxy",
    "no-check-send-proxy",
    "proxy-v2-options",
    "source",
    "redir",
];

/// Where a server option error is reported: `[f:l] : 'server be/s' : msg`.
pub(super) fn server_alert(cx: &mut Cx, d: &Directive, who: &str, i: usize, msg: &str) {
    let text = if who.is_empty() { msg.to_string() } else { format!("'{who}' : {msg}") };
    cx.r.push(with_source(Diagnostic::new(Severity::Alert, d.span.bracket(), text), d, i));
}

/// HAProxy's checks before any server line: not in defaults (except `default-server`), and
/// only in proxies with the backend capability.
fn allowed(cx: &mut Cx, d: &Directive) -> bool {
    let kw = d.keyword();
    if cx.p.is_defaults() && kw != "default-server" {
        server_alert(cx, d, "", 0, &format!("'{kw}' not allowed in 'defaults' section."));
        return false;
    }
    if !cx.p.caps.backend {
        let msg = format!(
            "parsing [{}:{}] : '{kw}' not allowed because {} has no backend capability.",
            d.span.file,
            d.span.line,
            cx.p.describe()
        );
        server_alert(cx, d, "", 0, &msg);
        return false;
    }
    true
}

pub fn default_server(cx: &mut Cx, d: &Directive) -> Flow {
    if !allowed(cx, d) {
        return Flow::Continue;
    }
    let mut opts = cx.p.default_server.clone();
    if apply_options(cx, d, 1, &mut opts, "", true).is_ok() {
        cx.p.default_server = opts;
    }
    Flow::Continue
}

pub fn server(cx: &mut Cx, d: &Directive) -> Flow {
    if !allowed(cx, d) {
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
    if apply_options(cx, d, 3, &mut opts, &who, false).is_err() || !finalize(cx, d, &opts, &who, &name) {
        return Flow::Continue;
    }
    cx.p.servers.push(Server { name, span: d.span.clone(), addr: address, opts, from_template: false });
    Flow::Continue
}

pub fn server_template(cx: &mut Cx, d: &Directive) -> Flow {
    if !allowed(cx, d) {
        return Flow::Continue;
    }
    if !d.has_arg(1) || !d.has_arg(2) || !d.has_arg(3) {
        server_alert(cx, d, "", 0, "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
        return Flow::Continue;
    }
    let prefix = d.arg(1).to_string();
    if let Some(c) = prefix.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        server_alert(cx, d, "", 1, &format!("character '{c}' is not permitted in server-template prefix '{prefix}'."));
        return Flow::Continue;
    }
    let range = d.arg(2);
    // HAProxy reads both bounds with atoi(): `x-3` is 0..3, a lone number n is 1..n.
    let parsed = match range.split_once('-') {
        Some((_, b)) => (values::atoi(range), values::atoi(b)),
        None => (1, values::atoi(range)),
    };
    let (low, high) = match parsed {
        (lo, hi) if lo >= 0 && hi >= lo => (lo, hi),
        _ => {
            server_alert(cx, d, "", 2, &format!("Wrong server-template number or range arg '{range}'."));
            return Flow::Continue;
        }
    };
    // The servers get their names after the line is read: messages say `(null)`.
    let who = format!("server {}/(null)", cx.p.name);
    let Some(address) = parse_server_addr(cx, d, 3, &who) else {
        return Flow::Continue;
    };
    let mut opts = cx.p.default_server.clone();
    if apply_options(cx, d, 4, &mut opts, &who, false).is_err() || !finalize(cx, d, &opts, &who, "(null)") {
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

/// HAProxy's last checks of a server line, once all its options are read.
fn finalize(cx: &mut Cx, d: &Directive, o: &ServerOpts, who: &str, name: &str) -> bool {
    if o.check && o.track.is_some() {
        server_alert(cx, d, who, 0, "unable to enable checks and tracking at the same time!");
        return false;
    }
    if o.agent_check && o.agent_port.is_none() {
        let msg = format!("server {name} does not have agent port. Agent check has been disabled.");
        server_alert(cx, d, who, 0, &msg);
        return false;
    }
    true
}

fn time_arg(cx: &mut Cx, d: &Directive, i: usize, who: &str, kw: &str, zero_ok: bool) -> Result<u32, ()> {
    let v = d.arg(i + 1);
    if v.is_empty() {
        server_alert(cx, d, who, i, &format!("'{kw}' expects a delay as argument.."));
        return Err(());
    }
    let parsed = values::parse_ms(v);
    if let (Ok(_), Some(w)) = (&parsed, values::time_trailing_warning(v)) {
        let text = if who.is_empty() { w } else { format!("'{who}' : {w}") };
        cx.r.push(with_source(Diagnostic::new(Severity::Warning, d.span.bracket(), text), d, i));
    }
    match parsed {
        Ok(0) if !zero_ok => {
            let name = server_name(who);
            server_alert(cx, d, who, i, &format!("invalid value 0 for argument '{kw}' of server {name}.."));
            Err(())
        }
        Ok(ms) => Ok(ms),
        Err(TimeError::Unexpected(c)) => {
            let name = server_name(who);
            server_alert(cx, d, who, i, &format!("unexpected character '{c}' in '{kw}' argument of server {name}.."));
            Err(())
        }
        Err(_) => {
            server_alert(cx, d, who, i, &format!("timer overflow in argument '{v}' to '{kw}' of server."));
            Err(())
        }
    }
}

/// The server's name in messages: a `default-server` line is the server named `default-server`.
pub(super) fn server_name(who: &str) -> &str {
    if who.is_empty() {
        "default-server"
    } else {
        who.rsplit('/').next().unwrap_or("")
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
    while d.has_arg(i) {
        let kw = d.arg(i);
        let val = d.arg(i + 1).to_string();
        let name = server_name(who).to_string();
        let known = FLAGS.contains(&kw) || VALUED.contains(&kw) || kw == "source";
        if !known {
            let ctx =
                if is_default { &crate::config::suggest::DEFAULT_SERVER } else { &crate::config::suggest::SERVER };
            let base = match ctx.suggest(kw) {
                Some(s) => format!("unknown keyword '{kw}'; did you mean '{s}' maybe ?"),
                None => format!("unknown keyword '{kw}'."),
            };
            let msg = if is_default { format!("{base} Hint: no address was expected for this server.") } else { base };
            server_alert(cx, d, who, i, &msg);
            return Err(());
        }
        if is_default && NOT_IN_DEFAULT.contains(&kw) {
            // An alert that does not make the configuration invalid.
            let msg = format!("'{kw}' option is not accepted in default-server sections");
            cx.r.push(with_source(Diagnostic::new(Severity::Alert, d.span.bracket(), msg).non_fatal(), d, i));
            i += if FLAGS.contains(&kw) { 1 } else { 2 };
            continue;
        }
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
                "stick" => o.non_stick = false,
                "send-proxy" => o.send_proxy = true,
                "send-proxy-v2" => o.send_proxy_v2 = true,
                "no-send-proxy" => o.send_proxy = false,
                "no-send-proxy-v2" => o.send_proxy_v2 = false,
                "ssl" => o.ssl = true,
                "no-ssl" => o.ssl = false,
                "check-ssl" => o.check_ssl = true,
                "check-send-proxy" => o.check_send_proxy = true,
                "no-check-send-proxy" => o.check_send_proxy = false,
                "usesrc" => {
                    server_alert(cx, d, who, i, "'usesrc' only allowed after a 'source' statement..");
                    return Err(());
                }
                _ => o.other.push((kw.to_string(), Vec::new())),
            }
            if IGNORED.contains(&kw) {
                let what = format!("server option '{kw}'");
                cx.p.ignored.push(crate::ir::types::Unsupported { span: d.span.clone(), what });
            } else if !SUPPORTED.contains(&kw) {
                cx.r.not_yet(d, format!("server option '{kw}'"));
            }
            i += 1;
            continue;
        }
        if kw == "source" {
            i = source(cx, d, i, o, who)?;
            continue;
        }
        if let Some(msg) = missing_value(kw, &val) {
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
                // atol(): `abc` is 0, `12abc` is 12.
                let v = values::atoi(&val);
                if v <= 0 {
                    server_alert(cx, d, who, i, "'id' : custom id has to be > 0.");
                    return Err(());
                }
                let taken =
                    cx.p.servers.iter().find(|s| s.opts.id == Some(v as i32)).map(|s| (s.span.clone(), s.name.clone()));
                if let Some((at, other)) = taken {
                    let msg =
                        format!("'id' : custom id {v} already used at {}:{} ('server {other}').", at.file, at.line);
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.id = Some(v as i32);
            }
            "inter" => o.inter = Some(time_arg(cx, d, i, who, "inter", false)?),
            "fastinter" => o.fastinter = Some(time_arg(cx, d, i, who, "fastinter", false)?),
            "downinter" => o.downinter = Some(time_arg(cx, d, i, who, "downinter", false)?),
            "agent-inter" => o.agent_inter = Some(time_arg(cx, d, i, who, "agent-inter", false)?),
            "slowstart" if val.is_empty() => {
                // HAProxy reports the string's terminating NUL, which ends the message it
                // formats; its own final dot follows.
                server_alert(cx, d, who, i, "unexpected character '.");
                return Err(());
            }
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
                for m in val.split(',').filter(|m| !m.is_empty()) {
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
            "resolve-prefer" => {
                if !matches!(val.as_str(), "ipv4" | "ipv6") {
                    server_alert(cx, d, who, i, "'resolve-prefer' expects either ipv4 or ipv6 as argument..");
                    return Err(());
                }
                o.resolve_prefer = Some(val.clone());
            }
            "resolve-net" => {
                for net in val.split(',') {
                    let (a, len) = net.split_once('/').unwrap_or((net, "32"));
                    let ok = a.parse::<std::net::IpAddr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 128);
                    if !ok {
                        server_alert(cx, d, who, i, &format!("'resolve-net' invalid network '{net}'.."));
                        return Err(());
                    }
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "resolve-opts" => {
                for opt in val.split(',').filter(|x| !x.is_empty()) {
                    if !matches!(opt, "allow-dup-ip" | "ignore-weight" | "prevent-dup-ip") {
                        let msg = format!("'resolve-opts' : unknown resolve-opts option '{opt}', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'..");
                        server_alert(cx, d, who, i, &msg);
                        return Err(());
                    }
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "redir" => o.redir = Some(val.clone()),
            "verify" => {
                if !matches!(val.as_str(), "none" | "required") {
                    let msg =
                        format!("'verify' : unknown verify method '{val}', only 'none' and 'required' are supported.");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.verify = Some(val.clone());
            }
            "sni" => o.sni = Some(val.clone()),
            "proto" => {
                if !super::bind::MUX_PROTOS.iter().any(|(p, _)| *p == val) {
                    server_alert(cx, d, who, i, &format!("'proto' :  unknown MUX protocol '{val}'."));
                    return Err(());
                }
                o.proto = Some(val.clone());
            }
            "ssl-min-ver" | "ssl-max-ver" => {
                if !matches!(val.as_str(), "SSLv3" | "TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3") {
                    server_alert(cx, d, who, i, &format!("'{val}' : unknown ssl/tls version."));
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "ws" => {
                if !matches!(val.as_str(), "auto" | "h1" | "h2") {
                    server_alert(cx, d, who, i, "'ws' has to be 'auto', 'h1' or 'h2'.");
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "log-proto" => {
                if !matches!(val.as_str(), "legacy" | "octet-count") {
                    let msg = format!("'log-proto' expects one of 'legacy' or 'octet-count' but got '{val}'.");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "pool-max-conn" => {
                let v = values::atoi(&val);
                if v < -1 {
                    server_alert(cx, d, who, i, "'pool-max-conn' must be >= -1.");
                    return Err(());
                }
                o.pool_max_conn = Some(v as i32);
            }
            "pool-purge-delay" => {
                if let Err(e) = values::parse_ms(&val) {
                    let c = if let TimeError::Unexpected(c) = e { c } else { '?' };
                    let msg = format!("unexpected character '{c}' in argument to <pool-purge-delay>..");
                    server_alert(cx, d, who, i, &msg);
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "tcp-ut" => {
                if values::parse_ms(&val).is_err() {
                    server_alert(cx, d, who, i, "'tcp-ut' : expects a positive delay in milliseconds.");
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "proxy-v2-options" => {
                for opt in val.split(',') {
                    if !PROXY_V2_OPTIONS.contains(&opt) {
                        server_alert(cx, d, who, i, &format!("'{opt}' : proxy v2 option not implemented."));
                        return Err(());
                    }
                }
                for opt in val.split(',') {
                    // The TLS ones describe a TLS client connection, which haproxide does not
                    // terminate.
                    if !PROXY_V2_RUN.contains(&opt) {
                        cx.r.not_yet(d, format!("server option 'proxy-v2-options {opt}'"));
                    }
                    o.proxy_v2_options.push(opt.to_string());
                }
            }
            "socks4" => {
                let opts = AddrOpts { port_required: true, resolve: true, ..Default::default() };
                if let Err(e) = addr::parse_address_env(&val, opts) {
                    let msg = indent_msg(&format!("'socks4 {val}' : {e}{}\n", e.trailing_lf()));
                    server_alert(cx, d, who, i, &format!("{msg}."));
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "namespace" => {
                if !std::path::Path::new("/var/run/netns").join(&val).exists() {
                    server_alert(cx, d, who, i, &format!("Cannot open namespace '{val}'."));
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "ca-file" | "crl-file" => {
                let path = match &cx.global.ca_base {
                    Some(b) if !val.starts_with('/') => format!("{}/{val}", b.trim_end_matches('/')),
                    _ => val.clone(),
                };
                if let Err(msg) = super::bind::check_ca_file(&path) {
                    server_alert(cx, d, who, i + 1, &msg);
                    return Err(());
                }
                o.other.push((kw.to_string(), vec![val.clone()]));
            }
            "crt" => {
                let path = match &cx.global.crt_base {
                    Some(b) if !val.starts_with('/') => format!("{}/{val}", b.trim_end_matches('/')),
                    _ => val.clone(),
                };
                // Loaded when the server's SSL context is prepared, after parsing.
                o.other.push((kw.to_string(), vec![path]));
            }
            _ => o.other.push((kw.to_string(), vec![val.clone()])),
        }
        if !SUPPORTED.contains(&kw) {
            cx.r.not_yet(d, format!("server option '{kw}'"));
        }
        i += 2;
    }
    Ok(())
}

/// What HAProxy says when an option's value is missing (before the display's final dot).
fn missing_value(kw: &str, val: &str) -> Option<String> {
    if !val.is_empty() {
        return None;
    }
    Some(match kw {
        "id" => "'id' : expects an integer argument.".into(),
        "max-reuse" | "pool-low-conn" | "pool-max-conn" | "pool-purge-delay" => {
            format!("'{kw}' expects <value> as argument..")
        }
        "redir" => "'redir' expects <prefix> as argument..".into(),
        "track" => "'track' expects [<proxy>/]<server> as argument..".into(),
        "namespace" => "'namespace' : expects <name> as argument.".into(),
        "proto" => "'proto' : missing value.".into(),
        "resolve-net" => "'resolve-net' expects a list of networks..".into(),
        "socks4" => "'socks4' expects <addr>:<port> as argument..".into(),
        "sni" => "'sni' : missing sni expression.".into(),
        "ssl-min-ver" | "ssl-max-ver" => format!("'{kw}' : missing the ssl/tls version."),
        "tcp-ut" => "'tcp-ut' : missing TCP User Timeout value.".into(),
        "verify" => "'verify' : missing verify method.".into(),
        "verifyhost" => "'verifyhost' : missing hostname to verify against.".into(),
        "alpn" => "'alpn' : missing the comma-delimited ALPN protocol suite.".into(),
        "npn" => "'npn' : missing the comma-delimited NPN protocol suite.".into(),
        "ca-file" => "'ca-file' : missing CAfile path.".into(),
        "crl-file" => "'crl-file' : missing CRLfile path.".into(),
        "crt" => "'crt' : missing certificate file path.".into(),
        "ciphers" | "ciphersuites" => format!("'{kw}' : missing cipher suite."),
        _ => return None,
    })
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
    FLAGS.iter().chain(VALUED.iter()).map(|n| {
        let status = if SUPPORTED.contains(n) {
            super::Status::Supported
        } else if IGNORED.contains(n) {
            super::Status::Ignored
        } else {
            super::Status::Rejected
        };
        (*n, status)
    })
}

/// Options accepted with an "ignored" note: TCP Fast Open on server connections changes how
/// the first bytes travel, nothing a client, a server or a log line shows.
const IGNORED: &[&str] = &["tfo", "no-tfo"];

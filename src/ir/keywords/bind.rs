//! `bind` lines: one or more comma-separated addresses followed by bind options, with HAProxy's
//! checks per option (`'bind <addr>' in section '<s>' : '<opt>' : <problem>`). SSL options load
//! what HAProxy loads while parsing (certificates, CA and CRL files, ticket keys); the checks
//! OpenSSL makes when the listener is prepared (cipher lists, curves, versions) run after
//! parsing, in validate.rs.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::addr::{self, AddrOpts, Family};
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
];

/// Bind options with one argument, and what HAProxy says when it is missing.
const VALUED: &[(&str, &str)] = &[
    ("accept-netscaler-cip", "missing value"),
    ("alpn", "missing the comma-delimited ALPN protocol suite"),
    ("backlog", "missing value"),
    ("ca-file", "missing CAfile path"),
    ("ca-ignore-err", "missing error IDs list"),
    ("ca-sign-file", "missing CAfile path"),
    ("ca-sign-pass", "missing CAkey password"),
    ("ca-verify-file", "missing CAfile path"),
    ("ciphers", "missing cipher suite"),
    ("ciphersuites", "missing cipher suite"),
    ("crl-file", "missing CRLfile path"),
    ("crt", "missing certificate location"),
    ("crt-ignore-err", "missing error IDs list"),
    ("crt-list", "missing certificate location"),
    ("curves", "missing curve suite"),
    ("ecdhe", "missing named curve"),
    ("expose-fd", "missing fd type"),
    ("gid", "missing value"),
    ("group", "missing group name"),
    ("id", "expects an integer argument"),
    ("interface", "missing interface name"),
    ("level", "missing level"),
    ("maxconn", "missing value"),
    ("mode", ""),
    ("mss", "missing MSS value"),
    ("name", "missing name"),
    ("namespace", "missing namespace id"),
    ("nice", "missing value"),
    ("npn", "missing the comma-delimited NPN protocol suite"),
    ("process", ""),
    ("proto", "missing value"),
    ("severity-output", "missing severity format"),
    ("shards", "missing value"),
    ("ssl-max-ver", "missing the ssl/tls version"),
    ("ssl-min-ver", "missing the ssl/tls version"),
    ("tcp-ut", "missing TCP User Timeout value"),
    ("thread", ""),
    ("tls-ticket-keys", "missing TLS ticket keys file path"),
    ("uid", "missing value"),
    ("user", "missing user name"),
    ("verify", "missing verify method"),
];

/// Options accepted with an "ignored" note: kernel accept tuning that haproxide cannot set
/// without unsafe code (no safe binding offers TCP_FASTOPEN or TCP_DEFER_ACCEPT on a listener),
/// and `nice`, a priority in HAProxy's own task scheduler, which tokio has no counterpart for.
const IGNORED: &[&str] = &["tfo", "defer-accept", "nice"];

/// Options whose effect haproxide implements.
const SUPPORTED: &[&str] = &[
    "accept-proxy",
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
    "interface",
    "process",
    "thread",
    "expose-fd",
];

/// MUX protocols of this build, and whether each works in HTTP mode only.
pub const MUX_PROTOS: &[(&str, bool)] = &[("h2", true), ("h1", true), ("fcgi", true), ("none", false)];

/// Number of verify error IDs OpenSSL 3 knows (`ca-ignore-err`, `crt-ignore-err`).
const MAX_VERIFY_ERR: i64 = 94;

pub fn bind(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.r.alert(d, "'bind' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, false, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.");
        return Flow::Continue;
    }
    let mut addrs = Vec::new();
    for part in d.arg(1).split(',') {
        if part.is_empty() {
            cx.r.alert_at(d, 1, "'bind' : '' resolves to an empty address (environment variable missing?)");
            return Flow::Continue;
        }
        match parse_bind_addr(part) {
            Ok(a) => addrs.push(a),
            Err(msg) => {
                cx.r.alert_at(d, 1, format!("'bind' : {msg}"));
                return Flow::Continue;
            }
        }
    }
    let who = format!("'bind {}' in section '{}'", d.arg(1), super::proxy::section_word(cx.p));
    let listeners = addrs
        .iter()
        .map(|a| match a.port {
            addr::PortSpec::Range(lo, hi) => usize::from(hi - lo) + 1,
            _ => 1,
        })
        .sum();
    let Some(mut opts) = bind_options(cx, d, 2, &who, listeners) else {
        return Flow::Continue;
    };
    opts.arg = d.arg(1).to_string();
    for a in addrs {
        cx.p.binds.push(Bind { span: d.span.clone(), addr: a, opts: opts.clone() });
    }
    Flow::Continue
}

/// Parse a listening address, with HAProxy's wording for errors.
pub fn parse_bind_addr(text: &str) -> Result<addr::Address, String> {
    let opts =
        AddrOpts { port_required: true, allow_range: true, resolve: true, socket_fd: true, ..Default::default() };
    match addr::parse_address_env(text, opts) {
        Ok(a) => {
            if matches!(a.port, addr::PortSpec::Fixed(0))
                && matches!(a.family, Family::Inet | Family::Ipv4 | Family::Ipv6)
            {
                return Err("invalid port '0'".to_string());
            }
            Ok(a)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A process or thread set (`all`, `odd`, `even`, `<n>`, `<n>-<m>`, `<n>-`), numbers from 1
/// to `max`, as `parse_process_number` reads it: the set as a mask (bit 0 is number 1), or
/// HAProxy's message.
pub fn parse_process_set(w: &str, max: i64) -> Result<u64, String> {
    match w {
        "all" => return Ok(u64::MAX),
        "odd" => return Ok(0x5555_5555_5555_5555),
        "even" => return Ok(0xAAAA_AAAA_AAAA_AAAA),
        _ => {}
    }
    let dash = w.find('-');
    if w.char_indices().any(|(i, c)| !(c.is_ascii_digit() || (c == '-' && Some(i) == dash))) {
        return Err(format!("'{w}' is not a valid number/range."));
    }
    let num = |s: &str| s.bytes().take_while(u8::is_ascii_digit).fold(0i64, |a, b| a * 10 + i64::from(b - b'0'));
    let low = num(w);
    let high = match dash {
        Some(d) if d + 1 == w.len() => max,
        Some(d) => num(&w[d + 1..]),
        None => low,
    };
    let (low, high) = if high < low { (high, low) } else { (low, high) };
    if low < 1 || low > max || high > max {
        return Err(format!("'{w}' is not a valid number/range. It supports numbers from 1 to {max}."));
    }
    Ok((low..=high).fold(0u64, |m, n| m | 1u64 << (n - 1)))
}

/// `thread [<group>/]<set>`: the group HAProxy reads with strtol() when a `/` follows it, and
/// the set. Only one thread group exists in this build.
fn parse_thread_arg(val: &str) -> Result<(Option<i64>, u64), String> {
    let t = val.trim_start();
    let sign = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign..].bytes().take_while(u8::is_ascii_digit).count();
    let (group, set) = match t[sign + digits..].strip_prefix('/') {
        Some(set) => (Some(values::atoi(&t[..sign + digits])), set),
        None => (None, val),
    };
    if let Some(g) = group {
        if g != 1 {
            return Err(format!("'{val}' thread-group number must be between 1 and 1 (was {g})"));
        }
    }
    let mask = parse_process_set(set, 64).map_err(|e| format!("'{set}' : {e}"))?;
    Ok((group, mask))
}

/// `0`..`n` comma-separated error IDs, or `all`.
fn check_error_ids(kw: &str, v: &str) -> Result<(), String> {
    if v == "all" {
        return Ok(());
    }
    for id in v.split(',') {
        let n = values::atoi(id);
        if !(1..=MAX_VERIFY_ERR).contains(&n) {
            return Err(format!("'{kw}' : ID '{n}' out of range (1..{MAX_VERIFY_ERR}) in error IDs list '{v}'"));
        }
    }
    Ok(())
}

/// A path relative to `crt-base` / `ca-base` when it is not absolute.
fn with_base(base: Option<&String>, path: &str) -> String {
    match base {
        Some(b) if !path.starts_with('/') && !b.is_empty() => format!("{}/{path}", b.trim_end_matches('/')),
        _ => path.to_string(),
    }
}

/// HAProxy's loading of a CA or CRL file: it prints its own alert, without a location, when the
/// file cannot be read.
pub fn check_ca_file(path: &str) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() || m.is_dir() => Ok(()),
        Ok(_) => Err(format!("Couldn't open the ca-file '{path}' (Success).")),
        Err(e) => Err(format!("Couldn't open the ca-file '{path}' ({}).", crate::config::parse::io_reason(&e))),
    }
}

/// Parse bind options from word `from`. `who` is HAProxy's `'bind :80' in section 'frontend'`.
pub fn bind_options(cx: &mut Cx, d: &Directive, from: usize, who: &str, listeners: usize) -> Option<BindOpts> {
    let mut o = BindOpts::default();
    let mut i = from;
    while d.has_arg(i) {
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
                _ => o.other.push((kw.to_string(), Vec::new())),
            }
            note_status(cx, d, kw);
            i += 1;
            continue;
        }
        let Some(&(_, missing)) = VALUED.iter().find(|(k, _)| *k == kw) else {
            let msg = match crate::config::suggest::BIND.suggest(kw) {
                Some(s) => format!("{who}: unknown keyword '{kw}'; did you mean '{s}' maybe ?"),
                None => format!("{who}: unknown keyword '{kw}'."),
            };
            cx.r.alert_at(d, i, msg);
            return None;
        };
        let val = d.arg(i + 1).to_string();
        let fail = |cx: &mut Cx, at: usize, msg: String| {
            cx.r.alert_at(d, at, format!("{who} : {msg}"));
        };
        if kw == "id" && listeners > 1 {
            fail(cx, i, "'id' can only be used with a single socket".into());
            return None;
        }
        if val.is_empty() && !missing.is_empty() {
            fail(cx, i, format!("'{kw}' : {missing}"));
            return None;
        }
        match kw {
            "name" => o.name = Some(val.clone()),
            "id" => {
                let Ok(v) = val.parse::<i64>() else {
                    fail(cx, i + 1, format!("'id' : expects an integer argument, found '{val}'"));
                    return None;
                };
                if v <= 0 {
                    fail(cx, i + 1, "'id' : custom id has to be > 0".into());
                    return None;
                }
                // Listener ids are unique in the proxy. A second `id` on the line changes the
                // key of the listener already in HAProxy's tree, which then finds itself.
                if o.id.is_some() {
                    if let Some(own) = cx.st.listener_ids.iter_mut().find(|e| e.1 == d.span) {
                        own.0 = v;
                    }
                }
                if let Some((_, at, arg)) = cx.st.listener_ids.iter().find(|e| e.0 == v) {
                    let msg = format!("'id' : custom id {v} already used at {}:{} ('bind {arg}')", at.file, at.line);
                    fail(cx, i + 1, msg);
                    return None;
                }
                cx.st.listener_ids.push((v, d.span.clone(), d.arg(1).to_string()));
                o.id = Some(v as i32);
            }
            "maxconn" => o.maxconn = Some(values::atoi(&val).max(0) as u32),
            "backlog" => o.backlog = Some(values::atoi(&val).max(0) as u32),
            "accept-netscaler-cip" => {
                let v = values::atoi(&val);
                if v <= 0 {
                    fail(cx, i + 1, format!("'accept-netscaler-cip' : invalid value {v}, must be >= 0"));
                    return None;
                }
                o.accept_netscaler_cip = Some(v as u32);
            }
            "mode" => match u32::from_str_radix(&val, 8) {
                Ok(m) if !val.is_empty() => o.mode = Some(m),
                _ => {
                    fail(cx, i + 1, format!("'mode' : missing or invalid mode '{val}' (octal integer expected)"));
                    return None;
                }
            },
            "uid" => o.uid = Some(values::atoi(&val) as u32),
            "gid" => o.gid = Some(values::atoi(&val) as u32),
            "user" => match nix::unistd::User::from_name(&val) {
                Ok(Some(u)) => {
                    o.uid = Some(u.uid.as_raw());
                    o.user = Some(val.clone());
                }
                _ => {
                    fail(cx, i + 1, format!("'user' : unknown user name '{val}'"));
                    return None;
                }
            },
            "group" => match nix::unistd::Group::from_name(&val) {
                Ok(Some(g)) => {
                    o.gid = Some(g.gid.as_raw());
                    o.group = Some(val.clone());
                }
                _ => {
                    fail(cx, i + 1, format!("'group' : unknown group name '{val}'"));
                    return None;
                }
            },
            "interface" => o.interface = Some(val.clone()),
            "namespace" => {
                if !std::path::Path::new("/var/run/netns").join(&val).exists() {
                    let msg = format!("Cannot open namespace '{val}'.");
                    cx.r.push(super::with_source(Diagnostic::new(Severity::Alert, Loc::None, msg), d, i + 1));
                    fail(cx, i, "error encountered while processing 'namespace'.".into());
                    return None;
                }
                o.namespace = Some(val.clone());
            }
            "level" => {
                o.level = Some(match val.as_str() {
                    "user" => CliLevel::User,
                    "operator" => CliLevel::Operator,
                    "admin" => CliLevel::Admin,
                    _ => {
                        fail(cx, i + 1, format!("'level' only supports 'user', 'operator', and 'admin' (got '{val}')"));
                        return None;
                    }
                })
            }
            "severity-output" => {
                if !matches!(val.as_str(), "none" | "number" | "string") {
                    let msg = format!("'severity-output' only supports 'none', 'number', and 'string' (got '{val}')");
                    fail(cx, i + 1, msg);
                    return None;
                }
                o.severity_output = Some(val.clone());
            }
            "expose-fd" => {
                if val != "listeners" {
                    fail(cx, i + 1, format!("'expose-fd' only supports 'listeners' (got '{val}')"));
                    return None;
                }
                o.expose_fd_listeners = true;
            }
            "process" => {
                let set = val.split('/').next().unwrap_or("");
                if let Err(e) = parse_process_set(set, 1) {
                    fail(cx, i + 1, format!("'process' : {e}"));
                    return None;
                }
                cx.r.warning(
                    d,
                    format!("{who} : 'process {val}' on 'bind' lines is deprecated and will be removed in 2.7."),
                );
                o.process = Some(val.clone());
            }
            "thread" => {
                let (group, mask) = match parse_thread_arg(&val) {
                    Ok(t) => t,
                    Err(e) => {
                        fail(cx, i + 1, e);
                        return None;
                    }
                };
                if o.thread.is_some() && o.thread_group != group {
                    fail(cx, i + 1, format!("'{val}' multiple thread-groups are not supported"));
                    return None;
                }
                o.thread_group = group;
                o.thread_mask |= mask;
                o.thread = Some(val.clone());
            }
            "nice" => {
                let v = values::atoi(&val);
                if !(-1024..=1024).contains(&v) {
                    fail(cx, i + 1, format!("'nice' : invalid value {v}, allowed range is -1024..1024"));
                    return None;
                }
                o.nice = Some(v as i32);
            }
            "shards" => {
                let v = values::atoi(&val);
                if val != "by-thread" && !(1..=64).contains(&v) {
                    fail(cx, i + 1, format!("'shards' : invalid value {v}, allowed range is 1..64 or 'by-thread'"));
                    return None;
                }
            }
            "tcp-ut" => match values::parse_ms(&val) {
                Ok(v) => {
                    super::timeouts::trailing_warning(cx.r, &val);
                    o.tcp_ut = Some(v)
                }
                Err(_) => {
                    fail(cx, i + 1, "'tcp-ut' : expects a positive delay in milliseconds".into());
                    return None;
                }
            },
            "mss" => {
                let v = values::atoi(&val).abs();
                if !(1..=65535).contains(&v) {
                    fail(cx, i + 1, "'mss' : expects an MSS with and absolute value between 1 and 65535".into());
                    return None;
                }
                o.mss = Some(val.clone());
            }
            "proto" => {
                if !MUX_PROTOS.iter().any(|(p, _)| *p == val) {
                    fail(cx, i + 1, format!("'proto' :  unknown MUX protocol '{val}'"));
                    return None;
                }
                o.proto = Some(val.clone());
            }
            "alpn" => o.alpn = Some(val.clone()),
            "verify" if !matches!(val.as_str(), "none" | "optional" | "required") => {
                let msg = format!(
                    "'verify' : unknown verify method '{val}', only 'none', 'optional', and 'required' are supported"
                );
                fail(cx, i + 1, msg);
                return None;
            }
            "ssl-min-ver" | "ssl-max-ver"
                if !matches!(val.as_str(), "SSLv3" | "TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3") =>
            {
                fail(cx, i + 1, format!("'{val}' : unknown ssl/tls version"));
                return None;
            }
            "ca-ignore-err" | "crt-ignore-err" => {
                if let Err(e) = check_error_ids(kw, &val) {
                    fail(cx, i + 1, e);
                    return None;
                }
            }
            "crt" => {
                let path = with_base(cx.global.crt_base.as_ref(), &val);
                match check_certificate(&path) {
                    Ok(0) => {}
                    Ok(_) => o.crt.push(val.clone()),
                    Err(msg) => {
                        fail(cx, i + 1, msg);
                        return None;
                    }
                }
            }
            "crt-list" => {
                if let Err(e) = std::fs::File::open(&val) {
                    let reason = crate::config::parse::io_reason(&e);
                    fail(cx, i + 1, format!("'crt-list' : cannot open file '{val}' : {reason}"));
                    return None;
                }
                o.crt.push(val.clone());
            }
            "ca-file" | "ca-verify-file" | "crl-file" => {
                let path = with_base(cx.global.ca_base.as_ref(), &val);
                if let Err(msg) = check_ca_file(&path) {
                    cx.r.push(super::with_source(Diagnostic::new(Severity::Alert, Loc::None, msg), d, i + 1));
                    fail(cx, i + 1, format!("'{kw}' : unable to load {path}"));
                    return None;
                }
            }
            "tls-ticket-keys" if std::fs::read(&val).is_err() => {
                fail(cx, i + 1, format!("'{val}' : unable to load ssl tickets keys file"));
                return None;
            }
            _ => {}
        }
        if !matches!(
            kw,
            "name"
                | "id"
                | "maxconn"
                | "backlog"
                | "mode"
                | "uid"
                | "gid"
                | "user"
                | "group"
                | "interface"
                | "level"
                | "severity-output"
                | "process"
                | "thread"
                | "nice"
                | "tcp-ut"
                | "mss"
                | "proto"
                | "alpn"
                | "crt"
                | "expose-fd"
        ) {
            o.other.push((kw.to_string(), vec![val.clone()]));
        }
        note_status(cx, d, kw);
        i += 2;
    }
    Some(o)
}

/// Note an accepted option haproxide ignores, or refuses to run.
fn note_status(cx: &mut Cx, d: &Directive, kw: &str) {
    if IGNORED.contains(&kw) {
        let what = format!("bind option '{kw}'");
        cx.p.ignored.push(crate::ir::types::Unsupported { span: d.span.clone(), what });
    } else if !SUPPORTED.contains(&kw) {
        cx.r.not_yet(d, format!("bind option '{kw}'"));
    }
}

/// HAProxy loads certificates while parsing: the file (or each file of a directory, in name
/// order, skipping the `.key`, `.ocsp`, `.issuer` and `.sctl` companions) must hold a PEM
/// certificate and its private key (or have it in `<file>.key`). We check the same things
/// without decoding them. Returns how many certificates were found.
pub fn check_certificate(path: &str) -> Result<usize, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!("unable to stat SSL certificate from file '{path}' : {}.", crate::config::parse::io_reason(&e))
    })?;
    if !meta.is_dir() {
        return check_cert_file(path).map(|()| 1);
    }
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map_err(|_| format!("unable to scan directory '{path}'."))?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && ![".key", ".ocsp", ".issuer", ".sctl"].iter().any(|x| n.ends_with(x)))
        .collect();
    names.sort();
    for n in &names {
        check_cert_file(&format!("{}/{n}", path.trim_end_matches('/')))?;
    }
    Ok(names.len())
}

fn check_cert_file(path: &str) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|_| format!("unable to load certificate from file '{path}'."))?;
    let text = String::from_utf8_lossy(&text);
    if !text.contains("-----BEGIN CERTIFICATE-----") && !text.contains("-----BEGIN TRUSTED CERTIFICATE-----") {
        return Err(format!("unable to load certificate from file '{path}'."));
    }
    let has_key = |t: &str| t.contains("PRIVATE KEY-----");
    if !has_key(&text) {
        let key = format!("{path}.key");
        let found = std::fs::read(&key).is_ok_and(|k| has_key(&String::from_utf8_lossy(&k)));
        if !found {
            return Err(format!("No Private Key found in '{key}'."));
        }
    }
    Ok(())
}

/// Every option name with how far the engine implements it (for grammar/keywords.tsv).
pub fn all_options() -> impl Iterator<Item = (&'static str, super::Status)> {
    FLAGS.iter().copied().chain(VALUED.iter().map(|(k, _)| *k)).map(|n| {
        let status = if SUPPORTED.contains(&n) {
            super::Status::Supported
        } else if IGNORED.contains(&n) {
            super::Status::Ignored
        } else {
            super::Status::Rejected
        };
        (n, status)
    })
}

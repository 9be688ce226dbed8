//! The `log-format` language: literal text, `%var` and `%{flags}var`, with HAProxy's separator
//! rule (a run of spaces is printed once, and only after something that was printed), compiled
//! once at start and rendered per request without reparsing.

use std::fmt::Write as _;

use chrono::{DateTime, Local, TimeZone, Utc};

use super::record::LogRecord;

/// `option httplog`.
pub const HTTPLOG: &str =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httplog clf`.
pub const HTTPLOG_CLF: &str = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
/// `option tcplog`.
pub const TCPLOG: &str = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    BackendSrcIp,
    BackendSrcPort,
    ServerIp,
    ServerPort,
    DateAccept,
    /// `%Ts`: the accept date in seconds since the epoch.
    DateAcceptUnix,
    DateRequest,
    DateRequestGmt,
    DateRequestLocal,
    DateAcceptGmt,
    DateAcceptLocal,
    Ms,
    FrontendName,
    FrontendNameTransport,
    BackendName,
    ServerName,
    Th,
    Ti,
    TR,
    Tq,
    Tw,
    Tc,
    Tr,
    Td,
    Ta,
    Tt,
    Status,
    BytesRead,
    BytesUploaded,
    ReqCookie,
    RespCookie,
    TermState,
    TermStateCookie,
    ActConn,
    FeConn,
    BeConn,
    SrvConn,
    Retries,
    SrvQueue,
    BackendQueue,
    CapturedReq,
    CapturedResp,
    CapturedReqList,
    CapturedRespList,
    RequestLine,
    Method,
    Uri,
    Path,
    /// `%HPO`: the path alone, without scheme, authority or query.
    PathOnly,
    Query,
    Version,
    Pid,
    UniqueId,
    Hostname,
    /// `%rt`: the stream's number.
    StreamId,
    /// `%lc`: the frontend's count of log lines before this one.
    LogCounter,
    /// `%o`: a flag-only pseudo variable that sets options for everything after it.
    Options,
}

const VARS: &[(&str, Var)] = &[
    ("ci", Var::ClientIp),
    ("cp", Var::ClientPort),
    ("fi", Var::FrontendIp),
    ("fp", Var::FrontendPort),
    ("bi", Var::BackendSrcIp),
    ("bp", Var::BackendSrcPort),
    ("si", Var::ServerIp),
    ("sp", Var::ServerPort),
    ("t", Var::DateAccept),
    ("tr", Var::DateRequest),
    ("trg", Var::DateRequestGmt),
    ("trl", Var::DateRequestLocal),
    ("T", Var::DateAcceptGmt),
    ("Tl", Var::DateAcceptLocal),
    ("Ts", Var::DateAcceptUnix),
    ("ms", Var::Ms),
    ("f", Var::FrontendName),
    ("ft", Var::FrontendNameTransport),
    ("b", Var::BackendName),
    ("s", Var::ServerName),
    ("Th", Var::Th),
    ("Ti", Var::Ti),
    ("TR", Var::TR),
    ("Tq", Var::Tq),
    ("Tw", Var::Tw),
    ("Tc", Var::Tc),
    ("Tr", Var::Tr),
    ("Td", Var::Td),
    ("Ta", Var::Ta),
    ("Tt", Var::Tt),
    ("ST", Var::Status),
    ("B", Var::BytesRead),
    ("U", Var::BytesUploaded),
    ("CC", Var::ReqCookie),
    ("CS", Var::RespCookie),
    ("ts", Var::TermState),
    ("tsc", Var::TermStateCookie),
    ("ac", Var::ActConn),
    ("fc", Var::FeConn),
    ("bc", Var::BeConn),
    ("sc", Var::SrvConn),
    ("rc", Var::Retries),
    ("sq", Var::SrvQueue),
    ("bq", Var::BackendQueue),
    ("hr", Var::CapturedReq),
    ("hs", Var::CapturedResp),
    ("hrl", Var::CapturedReqList),
    ("hsl", Var::CapturedRespList),
    ("r", Var::RequestLine),
    ("HM", Var::Method),
    ("HU", Var::Uri),
    ("HP", Var::Path),
    ("HPO", Var::PathOnly),
    ("HQ", Var::Query),
    ("HV", Var::Version),
    ("pid", Var::Pid),
    ("ID", Var::UniqueId),
    ("rt", Var::StreamId),
    ("lc", Var::LogCounter),
    ("H", Var::Hostname),
    ("o", Var::Options),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags {
    quote: bool,
    /// `+X`: addresses, ports and some counters in hexadecimal.
    hex: bool,
    /// `+E`: `"`, `\` and `]` in text escaped with a backslash.
    escape: bool,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Separator,
    Var(Var, Flags),
    /// `%[expr]`: rendered from the record's sample values, the n-th for the n-th of these.
    Sample(Box<crate::acl::SampleExpr>, usize, Flags),
}

/// A compiled log format.
#[derive(Debug, Clone)]
pub struct LogFormat {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("no such format variable '{0}'. If you wanted to emit the '%' character verbatim, you need to use '%%'.")]
    UnknownVar(String),
    #[error("sample expression '%[{0}]' in log-format")]
    Sample(String),
}

impl LogFormat {
    pub fn compile(text: &str) -> Result<LogFormat, FormatError> {
        let mut nodes = Vec::new();
        let mut lit = String::new();
        let mut global_flags = Flags::default();
        let b = text.as_bytes();
        let mut i = 0;
        let flush = |lit: &mut String, nodes: &mut Vec<Node>| {
            if !lit.is_empty() {
                nodes.push(Node::Text(std::mem::take(lit)));
            }
        };
        while i < b.len() {
            let c = b[i];
            if c == b' ' {
                flush(&mut lit, &mut nodes);
                while i < b.len() && b[i] == b' ' {
                    i += 1;
                }
                nodes.push(Node::Separator);
                continue;
            }
            if c != b'%' {
                let ch = text[i..].chars().next().unwrap_or('?');
                lit.push(ch);
                i += ch.len_utf8();
                continue;
            }
            i += 1;
            if i < b.len() && b[i] == b'%' {
                lit.push('%');
                i += 1;
                continue;
            }
            let mut flags = global_flags;
            if i < b.len() && b[i] == b'{' {
                let end = text[i..].find('}').map(|e| i + e).unwrap_or(b.len());
                for f in text[i + 1..end].split(',') {
                    match f {
                        "+Q" => flags.quote = true,
                        "-Q" => flags.quote = false,
                        "+X" => flags.hex = true,
                        "-X" => flags.hex = false,
                        "+E" => flags.escape = true,
                        "-E" => flags.escape = false,
                        // HAProxy skips words it does not know here.
                        _ => {}
                    }
                }
                i = (end + 1).min(b.len());
            }
            if i < b.len() && b[i] == b'[' {
                let (expr, used) = crate::acl::parse_sample_expr_endptr(&text[i + 1..])
                    .map_err(|_| FormatError::Sample(text[i + 1..].to_string()))?;
                let end = i + 1 + used;
                if b.get(end) != Some(&b']') {
                    return Err(FormatError::Sample(text[i + 1..].to_string()));
                }
                flush(&mut lit, &mut nodes);
                let slot = nodes.iter().filter(|n| matches!(n, Node::Sample(..))).count();
                nodes.push(Node::Sample(Box::new(expr), slot, flags));
                i = end + 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let name = &text[start..i];
            // Longest known name that prefixes the word (`%Ts` is not a var; `%Tt` is).
            let var = VARS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            match var {
                Some(Var::Options) => global_flags = flags,
                Some(v) => {
                    flush(&mut lit, &mut nodes);
                    nodes.push(Node::Var(v, flags));
                }
                None => return Err(FormatError::UnknownVar(name.to_string())),
            }
        }
        flush(&mut lit, &mut nodes);
        Ok(LogFormat { nodes })
    }

    /// The `%[...]` expressions in order: the engine evaluates them into
    /// [`LogRecord::samples`] before the line is rendered.
    pub fn samples(&self) -> impl Iterator<Item = &crate::acl::SampleExpr> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Sample(e, ..) => Some(&**e),
            _ => None,
        })
    }

    /// The expressions, to resolve their arguments against the configuration.
    pub fn samples_mut(&mut self) -> impl Iterator<Item = &mut crate::acl::SampleExpr> {
        self.nodes.iter_mut().filter_map(|n| match n {
            Node::Sample(e, ..) => Some(&mut **e),
            _ => None,
        })
    }

    pub fn render(&self, r: &LogRecord, hostname: &str) -> String {
        self.render_counted(r, hostname, 0)
    }

    /// [`LogFormat::render`] for a frontend that has sent `log_count` lines before this one.
    pub fn render_counted(&self, r: &LogRecord, hostname: &str, log_count: u64) -> String {
        let mut out = String::with_capacity(160);
        // HAProxy starts as if a space had just been written, so a format never begins with one.
        let mut last_space = true;
        for n in &self.nodes {
            match n {
                Node::Separator => {
                    if !last_space {
                        out.push(' ');
                        last_space = true;
                    }
                }
                Node::Text(t) => {
                    out.push_str(t);
                    last_space = false;
                }
                Node::Var(v, f) => {
                    let before = out.len();
                    render_var(&mut out, *v, *f, r, hostname, log_count);
                    if out.len() != before {
                        last_space = false;
                    }
                }
                Node::Sample(_, slot, f) => {
                    // Raw text (no encoding in log lines); nothing or empty is absent.
                    match r.samples.get(*slot).and_then(|v| v.as_deref()).filter(|v| !v.is_empty()) {
                        Some(v) if f.escape => push_quoted(&mut out, &backslash_escaped(v), f.quote),
                        Some(v) => push_quoted(&mut out, v, f.quote),
                        None => push_absent(&mut out, f.quote),
                    }
                    last_space = false;
                }
            }
        }
        out
    }
}

fn ip_of(a: Option<std::net::SocketAddr>) -> String {
    a.map(|a| match a.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_else(|| v6.to_string()),
        ip => ip.to_string(),
    })
    .unwrap_or_else(|| "-".into())
}

/// HAProxy's line for a connection dropped before its session started
/// (`session_kill_embryonic`): `<ip>:<port> [<accept date>] <frontend>/<listener>: <message>`.
pub fn embryonic_line(client: std::net::SocketAddr, accept_us: i64, fe: &str, listener: &str, msg: &str) -> String {
    format!("{} [{}] {fe}/{listener}: {msg}", addr_text(client), local(accept_us).format("%d/%b/%Y:%H:%M:%S%.3f"))
}

/// `ip:port` as HAProxy prints an address (IPv4-mapped IPv6 shown as IPv4).
pub fn addr_text(a: std::net::SocketAddr) -> String {
    format!("{}:{}", ip_of(Some(a)), a.port())
}

/// HAProxy's encoding of captured headers: `"`, `#`, `{`, `|`, `}`, control and 8-bit bytes
/// become `#XX`.
pub fn hdr_encode(v: &[u8]) -> String {
    let mut out = String::with_capacity(v.len());
    for &b in v {
        if matches!(b, b'"' | b'#' | b'{' | b'|' | b'}') || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "#{b:02X}");
        } else {
            out.push(b as char);
        }
    }
    out
}

/// HAProxy's encoding of `%r` and its parts: `"`, `#`, control and 8-bit bytes become `#XX`;
/// with `+E`, `\` and `]` get a backslash before them.
fn push_escaped(out: &mut String, s: &str, escape: bool) {
    for b in s.bytes() {
        if b == b'"' || b == b'#' || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "#{b:02X}");
        } else {
            if escape && (b == b'\\' || b == b']') {
                out.push('\\');
            }
            out.push(b as char);
        }
    }
}

/// A text HAProxy has no value for: `-`, or `""` when quoted.
fn push_absent(out: &mut String, quote: bool) {
    out.push_str(if quote { "\"\"" } else { "-" });
}

/// An address as `+X` prints it, in log lines and in rule formats: the bytes of the address in
/// hexadecimal (IPv4-mapped IPv6 shown as IPv4, as without the flag).
pub struct HexIp(pub std::net::IpAddr);

impl std::fmt::Display for HexIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v4 = match self.0 {
            std::net::IpAddr::V4(v4) => Some(v4),
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        };
        match (v4, self.0) {
            (Some(v4), _) => v4.octets().iter().try_for_each(|b| write!(f, "{b:02X}")),
            (None, std::net::IpAddr::V6(v6)) => v6.octets().iter().try_for_each(|b| write!(f, "{b:02X}")),
            (None, std::net::IpAddr::V4(_)) => Ok(()),
        }
    }
}

/// `+E`: a backslash before `"`, `\` and `]`.
fn backslash_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn local(us: i64) -> DateTime<Local> {
    Local.timestamp_micros(us).single().unwrap_or_else(Local::now)
}

fn utc(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_else(Utc::now)
}

fn push_quoted(out: &mut String, s: &str, quote: bool) {
    if quote {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Captured headers (stored encoded), `{a|b}` or space-separated, `+E` escaping on top.
fn captures(out: &mut String, list: &[String], braces: bool, f: Flags) {
    if list.is_empty() {
        return;
    }
    let one = |out: &mut String, s: &str| {
        if f.escape {
            out.push_str(&backslash_escaped(s));
        } else {
            out.push_str(s);
        }
    };
    if braces {
        out.push('{');
        for (i, s) in list.iter().enumerate() {
            if i > 0 {
                out.push('|');
            }
            one(out, s);
        }
        out.push('}');
    } else {
        for (i, s) in list.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if f.quote {
                out.push('"');
            }
            one(out, s);
            if f.quote {
                out.push('"');
            }
        }
    }
}

fn render_var(out: &mut String, v: Var, f: Flags, r: &LogRecord, hostname: &str, log_count: u64) {
    let num = |out: &mut String, n: i64| {
        let _ = write!(out, "{n}");
    };
    // Counters HAProxy can print in hexadecimal, on at least four digits.
    let counter = |out: &mut String, n: u64| {
        let _ = if f.hex { write!(out, "{n:04X}") } else { write!(out, "{n}") };
    };
    // An unknown address is an absent text: `-`, or `""` when quoted. In hexadecimal, no quotes.
    let ip = |out: &mut String, a: Option<std::net::SocketAddr>| match a {
        None => push_absent(out, f.quote),
        Some(a) if f.hex => {
            let _ = write!(out, "{}", HexIp(a.ip()));
        }
        Some(_) => push_quoted(out, &ip_of(a), f.quote),
    };
    let port = |out: &mut String, a: Option<std::net::SocketAddr>| match a {
        None => push_absent(out, f.quote),
        Some(a) if f.hex => {
            let _ = write!(out, "{:04X}", a.port());
        }
        Some(a) => push_quoted(out, &a.port().to_string(), f.quote),
    };
    // The request line and its parts: encoded like `%r`, then `+E` escaping; `<BADREQ>` when
    // there was no valid request.
    let uri_part = |out: &mut String, s: &str| {
        let s = if r.request_line.is_empty() { "<BADREQ>" } else { s };
        if f.quote {
            out.push('"');
        }
        push_escaped(out, s, f.escape);
        if f.quote {
            out.push('"');
        }
    };
    let text = |out: &mut String, s: &str| {
        if f.escape {
            push_quoted(out, &backslash_escaped(s), f.quote)
        } else {
            push_quoted(out, s, f.quote)
        }
    };
    match v {
        Var::ClientIp => ip(out, r.client),
        Var::ClientPort => port(out, r.client),
        Var::FrontendIp => ip(out, r.frontend_addr),
        Var::FrontendPort => port(out, r.frontend_addr),
        Var::BackendSrcIp => ip(out, r.backend_src),
        Var::BackendSrcPort => port(out, r.backend_src),
        Var::ServerIp => ip(out, r.server_addr),
        Var::ServerPort => port(out, r.server_addr),
        Var::DateAccept => {
            let _ = write!(out, "{}", local(r.accept_us).format("%d/%b/%Y:%H:%M:%S%.3f"));
        }
        Var::DateAcceptUnix if f.hex => {
            let _ = write!(out, "{:08X}", r.accept_us.div_euclid(1_000_000));
        }
        Var::DateAcceptUnix => num(out, r.accept_us.div_euclid(1_000_000)),
        Var::DateRequest => {
            let _ = write!(out, "{}", local(r.request_us).format("%d/%b/%Y:%H:%M:%S%.3f"));
        }
        Var::DateRequestGmt => {
            let _ = write!(out, "{}", utc(r.request_us).format("%d/%b/%Y:%H:%M:%S +0000"));
        }
        Var::DateRequestLocal => {
            let _ = write!(out, "{}", local(r.request_us).format("%d/%b/%Y:%H:%M:%S %z"));
        }
        Var::DateAcceptGmt => {
            let _ = write!(out, "{}", utc(r.accept_us).format("%d/%b/%Y:%H:%M:%S +0000"));
        }
        Var::DateAcceptLocal => {
            let _ = write!(out, "{}", local(r.accept_us).format("%d/%b/%Y:%H:%M:%S %z"));
        }
        Var::Ms => {
            let _ = write!(out, "{:03}", (r.accept_us / 1000).rem_euclid(1000));
        }
        Var::FrontendName | Var::FrontendNameTransport => text(out, &r.frontend),
        Var::BackendName => text(out, &r.backend),
        Var::ServerName => text(out, &r.server),
        Var::Th => num(out, r.t_handshake),
        Var::Ti => num(out, r.t_idle),
        Var::TR => num(out, r.t_request),
        Var::Tq => num(out, if r.t_request < 0 { -1 } else { r.t_request + r.t_idle.max(0) + r.t_handshake }),
        Var::Tw => num(out, r.t_queue),
        Var::Tc => num(out, r.t_connect),
        Var::Tr => num(out, r.t_response),
        Var::Td => num(out, r.t_active - r.t_response.max(0) - r.t_connect.max(0) - r.t_queue.max(0)),
        Var::Ta => num(out, r.t_active),
        Var::Tt => num(out, r.t_total),
        Var::Status => num(out, i64::from(r.status)),
        Var::BytesRead => {
            let _ = write!(out, "{}", r.bytes_out);
        }
        Var::BytesUploaded => {
            let _ = write!(out, "{}", r.bytes_in);
        }
        Var::ReqCookie if r.req_cookie.is_empty() => push_absent(out, f.quote),
        Var::ReqCookie => text(out, &r.req_cookie),
        Var::RespCookie if r.resp_cookie.is_empty() => push_absent(out, f.quote),
        Var::RespCookie => text(out, &r.resp_cookie),
        Var::TermState => {
            out.push(r.term[0] as char);
            out.push(r.term[1] as char);
        }
        Var::TermStateCookie => {
            for c in r.term {
                out.push(c as char);
            }
        }
        Var::ActConn => num(out, r.actconn as i64),
        Var::FeConn => num(out, r.feconn as i64),
        Var::BeConn => num(out, r.beconn as i64),
        Var::SrvConn => num(out, r.srv_conn as i64),
        Var::Retries => {
            if r.redispatched {
                out.push('+');
            }
            num(out, i64::from(r.retries));
        }
        Var::SrvQueue => num(out, r.srv_queue as i64),
        Var::BackendQueue => num(out, r.backend_queue as i64),
        Var::CapturedReq => captures(out, &r.captured_req_headers, true, f),
        Var::CapturedResp => captures(out, &r.captured_resp_headers, true, f),
        Var::CapturedReqList => captures(out, &r.captured_req_headers, false, f),
        Var::CapturedRespList => captures(out, &r.captured_resp_headers, false, f),
        Var::RequestLine => uri_part(out, &r.request_line),
        Var::Method => uri_part(out, &r.method),
        Var::Uri => uri_part(out, &r.uri),
        Var::Path => uri_part(out, r.uri.split('?').next().unwrap_or("")),
        Var::PathOnly => {
            let path = r.uri.split('?').next().unwrap_or("");
            // An absolute URI loses its scheme and authority.
            let path = match path.find("://") {
                Some(i) => path[i + 3..].find('/').map(|j| &path[i + 3 + j..]).unwrap_or(""),
                None => path,
            };
            uri_part(out, path)
        }
        Var::Query => {
            let q = r.uri.find('?').map(|p| &r.uri[p..]).unwrap_or("");
            uri_part(out, q);
        }
        Var::Version => uri_part(out, &r.version),
        Var::Pid => counter(out, u64::from(r.pid)),
        Var::StreamId => counter(out, r.stream_id),
        Var::LogCounter => counter(out, log_count),
        Var::UniqueId => push_quoted(out, if r.unique_id.is_empty() { "-" } else { &r.unique_id }, f.quote),
        Var::Hostname => push_quoted(out, hostname, f.quote),
        Var::Options => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_do_not_double_spaces() {
        let f = LogFormat::compile("%ac/%fc %hr %hs %{+Q}r").unwrap();
        let r = LogRecord { request_line: "GET / HTTP/1.1".into(), ..Default::default() };
        assert_eq!(f.render(&r, "h"), "0/0 \"GET / HTTP/1.1\"");
    }

    #[test]
    fn retries_show_redispatch() {
        let f = LogFormat::compile("%rc").unwrap();
        let r = LogRecord { retries: 3, redispatched: true, ..Default::default() };
        assert_eq!(f.render(&r, ""), "+3");
    }

    #[test]
    fn accept_seconds_and_path_only() {
        let f = LogFormat::compile("%Ts %HP %HPO").unwrap();
        let r = LogRecord {
            accept_us: 1_795_242_996_123_456,
            uri: "http://example.com/a/b?x=1".into(),
            request_line: "GET http://example.com/a/b?x=1 HTTP/1.1".into(),
            ..Default::default()
        };
        assert_eq!(f.render(&r, ""), "1795242996 http://example.com/a/b /a/b");
        let r = LogRecord { uri: "/c/d?y".into(), request_line: "GET /c/d?y HTTP/1.1".into(), ..Default::default() };
        assert_eq!(f.render(&r, ""), "0 /c/d /c/d");
        // No valid request: every part of it is `<BADREQ>`.
        let r = LogRecord::default();
        assert_eq!(f.render(&r, ""), "0 <BADREQ> <BADREQ>");
    }

    #[test]
    fn builtin_formats_compile() {
        for f in [HTTPLOG, HTTPLOG_CLF, TCPLOG] {
            LogFormat::compile(f).unwrap();
        }
        assert!(matches!(LogFormat::compile("%zz"), Err(FormatError::UnknownVar(_))));
        assert_eq!(LogFormat::compile("100%%").unwrap().render(&LogRecord::default(), ""), "100%");
    }
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn hex_and_quote_together() {
        let f = LogFormat::compile("%{+X,+Q}si %{+X}Ts %{+X}pid %{+X}cp").unwrap();
        let r = LogRecord {
            server_addr: Some("127.0.0.1:80".parse().unwrap()),
            client: Some("[::1]:258".parse().unwrap()),
            accept_us: 0x1234_5678 * 1_000_000,
            pid: 300,
            ..Default::default()
        };
        // As HAProxy: hexadecimal addresses are never quoted; an absent one is `""` quoted.
        assert_eq!(f.render(&r, ""), "7F000001 12345678 012C 0102");
        let r = LogRecord { server_addr: None, client: None, ..r };
        assert_eq!(f.render(&r, ""), "\"\" 12345678 012C -");
        let ipv6 = LogRecord { server_addr: Some("[2001:db8::1]:80".parse().unwrap()), ..r };
        assert_eq!(f.render(&ipv6, "").split(' ').next(), Some("20010DB8000000000000000000000001"));
    }
}

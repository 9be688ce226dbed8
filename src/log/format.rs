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
    ("H", Var::Hostname),
    ("o", Var::Options),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags {
    quote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Separator,
    Var(Var, Flags),
}

/// A compiled log format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("no such format variable '{0}'. If you wanted to emit the '%' character verbatim, you need to use '%%'.")]
    UnknownVar(String),
    #[error("not supported yet: sample expression '%[{0}]' in log-format")]
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
                        _ => {}
                    }
                }
                i = (end + 1).min(b.len());
            }
            if i < b.len() && b[i] == b'[' {
                let end = text[i..].find(']').map(|e| i + e).unwrap_or(b.len());
                return Err(FormatError::Sample(text[i + 1..end].to_string()));
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

    pub fn render(&self, r: &LogRecord, hostname: &str) -> String {
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
                    render_var(&mut out, *v, *f, r, hostname);
                    if out.len() != before {
                        last_space = false;
                    }
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

/// HAProxy's escaping of `%r`: `"`, `#`, control and 8-bit bytes become `#XX`.
fn push_escaped(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b == b'"' || b == b'#' || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "#{b:02X}");
        } else {
            out.push(b as char);
        }
    }
}

fn port_of(a: Option<std::net::SocketAddr>) -> String {
    a.map(|a| a.port().to_string()).unwrap_or_else(|| "-".into())
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

fn captures(out: &mut String, list: &[String], braces: bool, quote: bool) {
    if list.is_empty() {
        return;
    }
    if braces {
        out.push('{');
        out.push_str(&list.join("|"));
        out.push('}');
    } else {
        let joined: Vec<String> = list.iter().map(|s| if quote { format!("\"{s}\"") } else { s.clone() }).collect();
        out.push_str(&joined.join(" "));
    }
}

fn render_var(out: &mut String, v: Var, f: Flags, r: &LogRecord, hostname: &str) {
    let num = |out: &mut String, n: i64| {
        let _ = write!(out, "{n}");
    };
    match v {
        Var::ClientIp => push_quoted(out, &ip_of(r.client), f.quote),
        Var::ClientPort => push_quoted(out, &port_of(r.client), f.quote),
        Var::FrontendIp => push_quoted(out, &ip_of(r.frontend_addr), f.quote),
        Var::FrontendPort => push_quoted(out, &port_of(r.frontend_addr), f.quote),
        Var::BackendSrcIp => push_quoted(out, &ip_of(r.backend_src), f.quote),
        Var::BackendSrcPort => push_quoted(out, &port_of(r.backend_src), f.quote),
        Var::ServerIp => push_quoted(out, &ip_of(r.server_addr), f.quote),
        Var::ServerPort => push_quoted(out, &port_of(r.server_addr), f.quote),
        Var::DateAccept => {
            let _ = write!(out, "{}", local(r.accept_us).format("%d/%b/%Y:%H:%M:%S%.3f"));
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
        Var::FrontendName | Var::FrontendNameTransport => push_quoted(out, &r.frontend, f.quote),
        Var::BackendName => push_quoted(out, &r.backend, f.quote),
        Var::ServerName => push_quoted(out, &r.server, f.quote),
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
        Var::ReqCookie => push_quoted(out, &r.req_cookie, f.quote),
        Var::RespCookie => push_quoted(out, &r.resp_cookie, f.quote),
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
        Var::CapturedReq => captures(out, &r.captured_req_headers, true, f.quote),
        Var::CapturedResp => captures(out, &r.captured_resp_headers, true, f.quote),
        Var::CapturedReqList => captures(out, &r.captured_req_headers, false, f.quote),
        Var::CapturedRespList => captures(out, &r.captured_resp_headers, false, f.quote),
        Var::RequestLine => {
            if f.quote {
                out.push('"');
            }
            if r.request_line.is_empty() {
                out.push_str("<BADREQ>");
            } else {
                push_escaped(out, &r.request_line);
            }
            if f.quote {
                out.push('"');
            }
        }
        Var::Method => push_quoted(out, &r.method, f.quote),
        Var::Uri => push_quoted(out, &r.uri, f.quote),
        Var::Path => push_quoted(out, r.uri.split('?').next().unwrap_or(""), f.quote),
        Var::PathOnly => {
            let path = r.uri.split('?').next().unwrap_or("");
            // An absolute URI loses its scheme and authority.
            let path = match path.find("://") {
                Some(i) => path[i + 3..].find('/').map(|j| &path[i + 3 + j..]).unwrap_or(""),
                None => path,
            };
            push_quoted(out, path, f.quote)
        }
        Var::Query => {
            let q = r.uri.find('?').map(|p| &r.uri[p..]).unwrap_or("");
            push_quoted(out, q, f.quote);
        }
        Var::Version => push_quoted(out, &r.version, f.quote),
        Var::Pid => num(out, i64::from(r.pid)),
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
            ..Default::default()
        };
        assert_eq!(f.render(&r, ""), "1795242996 http://example.com/a/b /a/b");
        let r = LogRecord { uri: "/c/d?y".into(), ..Default::default() };
        assert_eq!(f.render(&r, ""), "0 /c/d /c/d");
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

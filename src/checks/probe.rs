//! Running one check: the I/O side of the rule engine. Connects, sends and reads as the rule
//! set says, under HAProxy's deadlines, and turns what happened into a check status (`L4CON`
//! with `Connection refused`, `L4TOUT`, `SOCKERR` with `Connection reset by peer`, the expect
//! verdicts, `L7OK` at the end). The matching itself is pure (`expect`, `http`, `agent`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout_at, Instant};

use super::connector::{self, Attempt, Connector};
use super::expect::{self, Eval};
use super::http;
use super::rules::{self, Kind, Matcher, Proto, Ruleset, Send, SetValue, Step, Value};
use super::schedule::Deadlines;
use crate::engine::health::CheckStatus;
use crate::engine::proxy::pp::encode::{encode, Encoded, Origin, SendProxy};
use crate::engine::state::{AgentReply, CheckOutcome};
use crate::ir::checks::ConnectRule;

/// Where a check connects by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's current address.
    pub ip: Option<IpAddr>,
    /// The server's port when fixed (HAProxy's `svc_port`).
    pub svc_port: Option<u16>,
    /// `port` (or `agent-port`).
    pub check_port: Option<u16>,
    /// `addr` (or `agent-addr`), with its port if it had one.
    pub check_addr: Option<(IpAddr, Option<u16>)>,
}

/// One run of a rule set.
pub struct Probe<'a> {
    pub rules: &'a Ruleset,
    pub target: Target,
    pub deadlines: Deadlines,
    /// `http-check disable-on-404` applies (the server is not down).
    pub disable_404: bool,
    /// `http-check send-state` header value.
    pub state_header: Option<String>,
    /// How this check connects; `None`: through tokio's reactor.
    pub connector: Option<&'a Connector>,
    /// The server's `source` address, which checks are bound to as well.
    pub source: Option<SocketAddr>,
    /// The PROXY protocol header the check's connections start with.
    pub proxy: CheckProxy,
}

/// What a health check tells a server with the PROXY protocol, as HAProxy decides it once
/// per server.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckProxy {
    /// The server's header settings (a bare `send-proxy` connect rule on a server without
    /// them sends a v1 line).
    pub how: SendProxy,
    /// Default connects send it: `check-send-proxy`, or a server that sends it to its
    /// traffic and has no check `port` or `addr` (never agent checks).
    pub on_default: bool,
    /// `pp2-never-send-local`.
    pub never_local: bool,
}

impl CheckProxy {
    /// Does a connection made by `rule` start with the header?
    fn wanted(&self, rule: &ConnectRule) -> bool {
        rule.send_proxy || (rule.default && self.on_default)
    }

    /// The header for a connection from `local` to `peer`.
    fn header(&self, local: SocketAddr, peer: SocketAddr) -> Encoded {
        let how = if self.how.enabled() { self.how } else { SendProxy { v1: true, ..Default::default() } };
        // The check's own connection: v2 says LOCAL, v1 gives the connection's addresses.
        let o = Origin { addrs: Some((local, peer)), own: true, never_local: self.never_local, ..Default::default() };
        encode(&how, &o)
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Outcome(CheckOutcome),
    Agent { reply: AgentReply, duration: i64 },
}

fn strerror(e: &std::io::Error) -> Option<String> {
    e.raw_os_error().map(|c| nix::errno::Errno::from_raw(c).desc().to_string())
}

fn parse_addr(a: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(sa) = a.parse::<SocketAddr>() {
        return Some((sa.ip(), Some(sa.port()).filter(|p| *p > 0)));
    }
    if let Ok(ip) = a.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Some((ip, None));
    }
    let (h, p) = a.rsplit_once(':')?;
    Some((h.parse().ok()?, p.parse().ok()))
}

/// HAProxy's address and port choice for a connect rule.
pub fn resolve(rule: &ConnectRule, t: &Target) -> Option<SocketAddr> {
    let raddr = rule.addr.as_deref().and_then(parse_addr);
    let ip = raddr.map(|a| a.0).or(t.check_addr.map(|a| a.0)).or(t.ip)?;
    let port = rule
        .port
        .or(raddr.and_then(|a| a.1))
        .or(t.check_port.filter(|p| *p > 0))
        .or(t.check_addr.and_then(|a| a.1))
        .or(t.svc_port)?;
    Some(SocketAddr::new(ip, port))
}

/// The "where were we" text HAProxy adds to connection errors of `option tcp-check`.
fn step_text(proto: Proto, cur: Option<&Step>) -> String {
    if proto != Proto::TcpCheck {
        return String::new();
    }
    let Some(s) = cur else { return " at step 1 of tcp-check".into() };
    let id = s.step_id();
    if id == 0 {
        return " at initial connection step of tcp-check".into();
    }
    let mut out = format!(" at step {id} of tcp-check");
    match &s.kind {
        Kind::Connect { rule, .. } => match rule.port {
            Some(p) => out.push_str(&format!(" (connect port {p})")),
            None => out.push_str(" (connect)"),
        },
        Kind::Expect(e) => out.push_str(&match &e.matcher {
            Matcher::Bytes { data, binary: false } => format!(" (expect string '{}')", String::from_utf8_lossy(data)),
            Matcher::Bytes { data, binary: true } => format!(" (expect binary '{}')", String::from_utf8_lossy(data)),
            Matcher::Regex(_) => " (expect regex)".into(),
            Matcher::HexRegex(_) => " (expect binary regex)".into(),
            Matcher::Fmt { binary: false, .. } => " (expect log-format string)".into(),
            Matcher::Fmt { binary: true, .. } => " (expect log-format binary)".into(),
            Matcher::Status(_) => " (expect HTTP status codes)".into(),
            Matcher::StatusRegex(_) => " (expect HTTP status regex)".into(),
            Matcher::Header { .. } => " (expect HTTP header pattern)".into(),
            Matcher::Custom(_) => " (expect custom function)".into(),
        }),
        Kind::Send(_) => out.push_str(" (send)"),
        _ => {}
    }
    if let Some(c) = &s.comment {
        out.push_str(&format!(" comment: '{c}'"));
    }
    out
}

/// A check's connection: a bare socket while only connecting matters, a tokio stream once a
/// step sends or reads (see [`super::poller`]).
enum Conn<'a> {
    Raw(Attempt<'a>),
    Stream(TcpStream),
}

/// The connection as a tokio stream, converting a bare socket on first use. `Err(None)`: no
/// connection at all; `Err(Some(e))`: the socket could not join the reactor.
fn as_stream<'c>(conn: &'c mut Option<Conn<'_>>) -> Result<&'c mut TcpStream, Option<std::io::Error>> {
    if let Some(Conn::Raw(_)) = conn {
        if let Some(Conn::Raw(a)) = conn.take() {
            let s = a.into_socket().ok_or(None)?;
            *conn = Some(Conn::Stream(TcpStream::from_std(s.into()).map_err(Some)?));
        }
    }
    match conn {
        Some(Conn::Stream(s)) => Ok(s),
        _ => Err(None),
    }
}

/// Connect to `addr`; a check bound to a `source` address takes a fresh socket each time,
/// outside the connector (whose idle sockets are not bound).
async fn connect<'a>(
    connector: Option<&'a Connector>,
    source: Option<SocketAddr>,
    addr: SocketAddr,
    linger: bool,
    delack: bool,
) -> std::io::Result<Conn<'a>> {
    if let (Some(c), None) = (connector, source) {
        return Ok(Conn::Raw(c.connect(addr, linger, delack).await?));
    }
    let raw = crate::engine::proxy::outgoing::socket_for(addr, source)?;
    connector::set_linger(&raw, linger)?;
    if delack {
        // HAProxy delays the handshake's last ACK when data will be sent first, so that it
        // travels with the data (CONNECT_DELACK_ALWAYS).
        let _ = raw.set_quickack(false);
    }
    Ok(Conn::Stream(TcpSocket::from_std_stream(raw.into()).connect(addr).await?))
}

fn send_bytes(send: &Send, p: &Probe, vars: &HashMap<String, Value>) -> Vec<u8> {
    match send {
        Send::Bytes(b) => b.clone(),
        Send::Fmt { parts, binary } => {
            let out = rules::eval_fmt(parts, vars);
            if *binary {
                crate::ir::checks::parse_binary(&String::from_utf8_lossy(&out)).unwrap_or_default()
            } else {
                out
            }
        }
        Send::Http(h) => http::build_request(h, p.state_header.as_deref(), vars),
        Send::SslHello => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            rules::ssl_hello(now as u32)
        }
    }
}

/// Run the rule set once.
pub async fn run(p: Probe<'_>) -> Finish {
    let start = Instant::now();
    let ms = |at: Instant| at.saturating_duration_since(start).as_millis() as i64;
    let proto = p.rules.proto;
    let mut vars = p.rules.vars.clone();
    let mut conn: Option<Conn> = None;
    let mut connected = false;
    let mut deadline = start + Duration::from_millis(p.deadlines.inter);
    let mut buf: Vec<u8> = Vec::new();
    let mut must_read = true;
    let mut last_read = false;
    let mut code: i32 = 0;
    let mut cur: Option<&Step> = None;
    let steps = &p.rules.steps;
    let real = |s: &Step| !matches!(s.kind, Kind::SetVar { .. } | Kind::UnsetVar { .. });
    let last_real = steps.iter().rposition(real);

    let done = |status: CheckStatus, code: i32, desc: String, at: Instant| {
        Finish::Outcome(CheckOutcome { status, code, desc, duration: ms(at) })
    };
    let conn_fail = |status: CheckStatus, err: Option<&std::io::Error>, cur: Option<&Step>| {
        let suffix = step_text(proto, cur);
        let desc = match err.and_then(strerror) {
            Some(e) => format!("{e}{suffix}"),
            None => suffix,
        };
        done(status, 0, desc, Instant::now())
    };
    let timeout = |connected: bool, cur: Option<&Step>| {
        let status = if !connected {
            CheckStatus::L4Tout
        } else {
            match cur.map(|s| &s.kind) {
                Some(Kind::Expect(e)) => e.tout_status.unwrap_or(CheckStatus::L7Tout),
                _ => CheckStatus::L7Tout,
            }
        };
        conn_fail(status, None, cur)
    };

    for (i, s) in steps.iter().enumerate() {
        match &s.kind {
            Kind::Connect { rule, .. } => {
                cur = Some(s);
                drop(conn.take());
                buf.clear();
                let Some(addr) = resolve(rule, &p.target) else {
                    return conn_fail(CheckStatus::SockErr, None, cur);
                };
                let now = Instant::now();
                let first = now + Duration::from_millis(p.deadlines.connect_deadline(0));
                let next_is_expect = steps[i + 1..]
                    .iter()
                    .find(|n| !matches!(n.kind, Kind::SetVar { .. } | Kind::UnsetVar { .. }))
                    .is_some_and(|n| matches!(n.kind, Kind::Expect(_)));
                match timeout_at(first, connect(p.connector, p.source, addr, rule.linger, !next_is_expect)).await {
                    Err(_) => return timeout(false, cur),
                    Ok(Err(e)) => {
                        let status = if e.kind() == std::io::ErrorKind::TimedOut {
                            CheckStatus::L4Tout
                        } else {
                            CheckStatus::L4Con
                        };
                        return conn_fail(status, Some(&e), cur);
                    }
                    Ok(Ok(c)) => {
                        conn = Some(c);
                        connected = true;
                        let since = Instant::now().saturating_duration_since(now).as_millis() as u64;
                        deadline = now
                            + Duration::from_millis(p.deadlines.after_connect(p.deadlines.connect_deadline(0), since));
                    }
                }
                if p.proxy.wanted(rule) {
                    let c = match as_stream(&mut conn) {
                        Ok(c) => c,
                        Err(e) => return conn_fail(CheckStatus::SockErr, e.as_ref(), cur),
                    };
                    let h = p.proxy.header(c.local_addr().unwrap_or(addr), addr);
                    match timeout_at(deadline, c.write_all(h.as_bytes())).await {
                        Err(_) => return timeout(connected, cur),
                        Ok(Err(e)) => return conn_fail(CheckStatus::SockErr, Some(&e), cur),
                        Ok(Ok(())) => {}
                    }
                }
                last_read = false;
                must_read = true;
            }
            Kind::Send(send) => {
                cur = Some(s);
                buf.clear();
                must_read = true;
                let data = send_bytes(send, &p, &vars);
                if data.is_empty() {
                    continue;
                }
                let c = match as_stream(&mut conn) {
                    Ok(c) => c,
                    Err(e) => return conn_fail(CheckStatus::SockErr, e.as_ref(), cur),
                };
                match timeout_at(deadline, c.write_all(&data)).await {
                    Err(_) => return timeout(connected, cur),
                    Ok(Err(e)) => return conn_fail(CheckStatus::SockErr, Some(&e), cur),
                    Ok(Ok(())) => {}
                }
            }
            Kind::Expect(e) => {
                cur = Some(s);
                loop {
                    if must_read && !last_read {
                        let c = match as_stream(&mut conn) {
                            Ok(c) => c,
                            Err(e) => return conn_fail(CheckStatus::SockErr, e.as_ref(), cur),
                        };
                        // Read straight into the heap buffer: a stack array would live in every
                        // check task's future, idle or not.
                        buf.reserve(4096);
                        match timeout_at(deadline, c.read_buf(&mut buf)).await {
                            Err(_) => return timeout(connected, cur),
                            Ok(Ok(0)) => {
                                last_read = true;
                                // A server that closed before reading our data answers it with a
                                // reset right after its FIN: HAProxy, reading a bit later, sees
                                // the reset. Give it a moment to arrive.
                                if buf.is_empty() {
                                    tokio::time::sleep(Duration::from_millis(1)).await;
                                    if let Ok(Some(err)) = c.take_error() {
                                        return conn_fail(CheckStatus::SockErr, Some(&err), cur);
                                    }
                                }
                            }
                            Ok(Ok(_)) => {}
                            Ok(Err(err)) => {
                                if buf.is_empty() {
                                    return conn_fail(CheckStatus::SockErr, Some(&err), cur);
                                }
                                last_read = true;
                            }
                        }
                        if buf.is_empty() && last_read && proto != Proto::Http {
                            let mut desc = format!("TCPCHK got an empty response at step {}", s.step_id());
                            if let Some(c) = &s.comment {
                                desc.push_str(&format!(" comment: '{c}'"));
                            }
                            return done(e.error_status.unwrap_or(CheckStatus::L7Rsp), 0, desc, Instant::now());
                        }
                        must_read = false;
                    }
                    let cx = expect::Cx { proto, step: s, vars: &vars, last_read, is_last: Some(i) == last_real };
                    let ev = if proto == Proto::Http {
                        let (ev, c) = http::eval(e, &cx, &http::HttpCx { disable_404: p.disable_404 }, &buf);
                        code = c;
                        ev
                    } else {
                        expect::eval_tcp(e, &cx, &buf)
                    };
                    match ev {
                        Eval::Wait => {
                            if last_read {
                                // Nothing more will come: let the matcher conclude.
                                must_read = false;
                                let cx = expect::Cx { last_read: true, ..cx };
                                let ev = if proto == Proto::Http {
                                    http::eval(e, &cx, &http::HttpCx { disable_404: p.disable_404 }, &buf).0
                                } else {
                                    expect::eval_tcp(e, &cx, &buf)
                                };
                                match ev {
                                    Eval::Continue => break,
                                    Eval::Stop { status, code, desc } => {
                                        return done(status, code, desc, Instant::now())
                                    }
                                    Eval::Agent(reply) => return Finish::Agent { reply, duration: ms(Instant::now()) },
                                    Eval::Wait => {
                                        return done(CheckStatus::L7Rsp, 0, String::new(), Instant::now());
                                    }
                                }
                            }
                            must_read = true;
                        }
                        Eval::Continue => break,
                        Eval::Stop { status, code, desc } => return done(status, code, desc, Instant::now()),
                        Eval::Agent(reply) => return Finish::Agent { reply, duration: ms(Instant::now()) },
                    }
                }
            }
            Kind::SetVar { name, value } => {
                let v = match value {
                    SetValue::Sample(crate::ir::checks::FmtPart::Sample { fetch, convs }) => {
                        rules::eval_sample(fetch, convs, &vars)
                    }
                    SetValue::Sample(crate::ir::checks::FmtPart::Lit(l)) => Some(l.as_bytes().to_vec()),
                    SetValue::Fmt(parts) => Some(rules::eval_fmt(parts, &vars)),
                };
                if let Some(v) = v {
                    vars.insert(name.clone(), Value::Bytes(v));
                }
            }
            Kind::UnsetVar { name } => {
                vars.remove(name);
            }
        }
    }
    let end = Instant::now();
    match cur.map(|s| &s.kind) {
        Some(Kind::Expect(e)) => {
            if proto == Proto::Http && p.disable_404 && code == 404 {
                return done(CheckStatus::L7OkC, code, String::new(), end);
            }
            let status = e.ok_status.unwrap_or(CheckStatus::L7Ok);
            let desc = expect::success_message(e, proto, &buf, &vars);
            done(status, code, desc, end)
        }
        Some(Kind::Connect { implicit, .. }) => {
            let desc = if *implicit { String::new() } else { "(tcp-check)".into() };
            done(CheckStatus::L4Ok, 0, desc, end)
        }
        _ => done(CheckStatus::L7Ok, 0, "(tcp-check)".into(), end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_and_port_choice() {
        let t =
            Target { ip: Some("10.0.0.1".parse().unwrap()), svc_port: Some(80), check_port: None, check_addr: None };
        let implicit = ConnectRule::default();
        assert_eq!(resolve(&implicit, &t), Some("10.0.0.1:80".parse().unwrap()));
        let t2 = Target { check_port: Some(8080), ..t.clone() };
        assert_eq!(resolve(&implicit, &t2), Some("10.0.0.1:8080".parse().unwrap()));
        let t3 = Target { check_addr: Some(("10.0.0.2".parse().unwrap(), Some(9000))), ..t.clone() };
        assert_eq!(resolve(&implicit, &t3), Some("10.0.0.2:9000".parse().unwrap()));
        let r = ConnectRule { port: Some(6379), ..Default::default() };
        assert_eq!(resolve(&r, &t3), Some("10.0.0.2:6379".parse().unwrap()));
        let none = Target { svc_port: None, ..t };
        assert_eq!(resolve(&implicit, &none), None);
    }

    #[test]
    fn step_texts() {
        let c = Step {
            index: 0,
            comment: Some("cc".into()),
            kind: Kind::Connect { rule: ConnectRule { port: Some(33211), ..Default::default() }, implicit: false },
        };
        assert_eq!(step_text(Proto::TcpCheck, Some(&c)), " at step 1 of tcp-check (connect port 33211) comment: 'cc'");
        let i = Step { index: 0, comment: None, kind: Kind::Connect { rule: ConnectRule::default(), implicit: true } };
        assert_eq!(step_text(Proto::TcpCheck, Some(&i)), " at initial connection step of tcp-check");
        assert_eq!(step_text(Proto::Default, Some(&i)), "");
    }
}

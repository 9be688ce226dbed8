//! `mode http` sessions over HTTP/1.x on both sides: read a request head, apply the frontend's
//! decisions (monitor-uri, backend choice), get a server connection (kept per client session and
//! reused while the server keeps it open), forward the request and the response with HAProxy's
//! header handling (lowercase names, trimmed values, Connection tokens, X-Forwarded-For), and
//! log one line per request.

pub mod body;
pub mod errors;
pub mod parse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::connect::{self, ConnectFailure};
use super::{ms_since, Session};
use crate::engine::backend::{Backend, Server};
use crate::ir::types::Proxy;
use body::{BodyError, Framing};
use parse::{Head, ParseError, Version};

/// HAProxy's default buffer (tune.bufsize) less the rewrite reserve: the largest request head.
const MAX_HEAD: usize = 16384 - 1024;
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn ms(v: Option<u32>) -> Option<Duration> {
    v.map(|m| Duration::from_millis(u64::from(m)))
}

/// The HTTP connection mode in effect for a transaction (HAProxy: frontend and backend options
/// combined, the most closing one wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnMode {
    KeepAlive,
    ServerClose,
    Close,
}

fn conn_mode(p: &Proxy) -> Option<ConnMode> {
    let o = &p.options;
    if o.is_on("httpclose") || o.is_on("forceclose") {
        Some(ConnMode::Close)
    } else if o.is_on("http-server-close") {
        Some(ConnMode::ServerClose)
    } else if o.is_on("http-keep-alive") {
        Some(ConnMode::KeepAlive)
    } else {
        None
    }
}

fn combined_mode(fe: &Proxy, be: &Proxy) -> ConnMode {
    let a = conn_mode(fe).unwrap_or(ConnMode::KeepAlive);
    let b = conn_mode(be).unwrap_or(ConnMode::KeepAlive);
    let rank = |m: ConnMode| match m {
        ConnMode::KeepAlive => 0,
        ConnMode::ServerClose => 1,
        ConnMode::Close => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// A server connection kept between requests of one client session.
struct ServerSide {
    be: Arc<Backend>,
    srv: Arc<Server>,
    stream: TcpStream,
    addr: std::net::SocketAddr,
    buf: BytesMut,
}

/// How reading a request head ended. "Empty" variants received nothing at all.
enum ReadHead {
    Ok,
    ClosedEmpty,
    Closed,
    TimeoutEmpty,
    Timeout,
    TooLarge,
    Invalid,
    Stopping,
}

async fn read_head(
    client: &mut TcpStream,
    buf: &mut BytesMut,
    head: &mut Head,
    first_byte_timeout: Duration,
    head_timeout: Duration,
) -> ReadHead {
    let start = Instant::now();
    loop {
        match parse::parse_request(buf, head) {
            Ok(Some(())) => return ReadHead::Ok,
            Ok(None) => {}
            Err(ParseError::Invalid(_)) | Err(ParseError::TooManyHeaders) => return ReadHead::Invalid,
        }
        if buf.len() >= MAX_HEAD {
            return ReadHead::TooLarge;
        }
        let empty = buf.iter().all(|&b| b == b'\r' || b == b'\n');
        let limit = if empty { first_byte_timeout } else { head_timeout };
        let left = limit.saturating_sub(start.elapsed());
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(MAX_HEAD.saturating_sub(buf.len()).max(1024));
        }
        match tokio::time::timeout(left, client.read_buf(buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return if empty { ReadHead::ClosedEmpty } else { ReadHead::Closed },
            Ok(Ok(_)) => {}
            Err(_) => return if empty { ReadHead::TimeoutEmpty } else { ReadHead::Timeout },
        }
    }
}

/// Is `name` (lowercase) one of the hop-by-hop headers we rewrite ourselves?
fn is_connection(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"connection")
}

/// The Connection header value with the keep-alive/close tokens removed, if anything is left.
fn other_connection_tokens(v: &[u8]) -> Option<Vec<u8>> {
    let kept: Vec<&[u8]> = v
        .split(|&b| b == b',')
        .map(parse::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !t.eq_ignore_ascii_case(b"keep-alive"))
        .collect();
    if kept.is_empty() {
        None
    } else {
        Some(kept.join(&b", "[..]))
    }
}

fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Decide the body framing of a request, with HAProxy's refusals.
fn request_framing(head: &Head, buf: &[u8]) -> Result<Framing, ()> {
    let mut te_chunked = false;
    let mut has_te = false;
    for v in head.values(buf, b"transfer-encoding") {
        has_te = true;
        let last = v.split(|&b| b == b',').map(parse::trim).rfind(|t| !t.is_empty());
        te_chunked = last.is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"));
    }
    if has_te {
        return if te_chunked && head.version == Some(Version::Http11) { Ok(Framing::Chunked) } else { Err(()) };
    }
    let mut len: Option<u64> = None;
    for v in head.values(buf, b"content-length") {
        for part in v.split(|&b| b == b',') {
            let p = parse::trim(part);
            if p.is_empty() || !p.iter().all(u8::is_ascii_digit) || p.len() > 19 {
                return Err(());
            }
            let n: u64 = std::str::from_utf8(p).ok().and_then(|s| s.parse().ok()).ok_or(())?;
            if len.is_some_and(|l| l != n) {
                return Err(());
            }
            len = Some(n);
        }
    }
    Ok(match len {
        Some(0) | None => Framing::None,
        Some(n) => Framing::Length(n),
    })
}

fn response_framing(head: &Head, buf: &[u8], method_head: bool) -> Result<Framing, ()> {
    let status = head.status;
    if method_head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::None);
    }
    let mut has_te = false;
    let mut chunked = false;
    for v in head.values(buf, b"transfer-encoding") {
        has_te = true;
        let last = v.split(|&b| b == b',').map(parse::trim).rfind(|t| !t.is_empty());
        chunked = last.is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"));
    }
    if has_te {
        return Ok(if chunked { Framing::Chunked } else { Framing::UntilClose });
    }
    let mut len: Option<u64> = None;
    for v in head.values(buf, b"content-length") {
        for part in v.split(|&b| b == b',') {
            let p = parse::trim(part);
            let n: u64 = std::str::from_utf8(p).ok().and_then(|s| s.parse().ok()).ok_or(())?;
            if len.is_some_and(|l| l != n) {
                return Err(());
            }
            len = Some(n);
        }
    }
    Ok(match len {
        Some(0) => Framing::None,
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// Send one of the proxy's own responses before a request could be parsed (400, 408): the raw
/// page, `Connection: close` included, as HAProxy sends it. Returns the bytes sent.
async fn send_raw(s: &Session, client: &mut TcpStream, p: &Proxy, status: u16) -> u64 {
    let bytes = errors::for_proxy(p, status);
    let _ = client.write_all(&bytes).await;
    s.fe.counters.http.record(status);
    bytes.len() as u64
}

/// Send one of the proxy's own responses to a parsed request (monitor-uri, 502, 503, 504): it
/// goes out like a server response would (lowercase names, Connection rewritten). Returns the
/// accounted size and whether the client connection may stay open.
async fn send_own(client: &mut TcpStream, p: &Proxy, status: u16, keep_client: bool, version: Version) -> (u64, bool) {
    let page = errors::for_proxy(p, status);
    let mut buf = page.to_vec();
    let mut head = Head::default();
    if !matches!(parse::parse_response(&mut buf, &mut head), Ok(Some(()))) {
        // An errorfile that is not a valid response is sent as it is, and the connection closed.
        let _ = client.write_all(&page).await;
        return (page.len() as u64, false);
    }
    let out = client_response_head(&head, &buf, keep_client, version);
    let body = &buf[head.len..];
    let size = htx_head_size(&head) + body.len() as u64;
    let mut all = out;
    all.extend_from_slice(body);
    let ok = client.write_all(&all).await.is_ok();
    (size, ok && keep_client)
}

pub async fn serve(s: Session, mut client: TcpStream) {
    let fe_spec = s.fe.spec.clone();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut head = Head::default();
    let mut server: Option<ServerSide> = None;
    let mut first = true;
    let t_client = ms(fe_spec.timeouts.client).unwrap_or(FAR);
    let t_http_request = ms(fe_spec.timeouts.http_request).unwrap_or(t_client);
    let t_keepalive = ms(fe_spec.timeouts.http_keep_alive).unwrap_or(t_http_request);
    loop {
        let wait_start = Instant::now();
        let first_byte_timeout = if first { t_http_request } else { t_keepalive };
        let mut rec = s.record();
        let accept_ref = if first { s.accepted } else { wait_start };
        let outcome = tokio::select! {
            r = read_head(&mut client, &mut buf, &mut head, first_byte_timeout, t_http_request) => r,
            _ = stopping(&s) => ReadHead::Stopping,
        };
        let was_first = first;
        rec.t_idle = if first { 0 } else { wait_start.elapsed().as_millis() as i64 };
        let request_start = Instant::now();
        rec.request_us = chrono::Utc::now().timestamp_micros();
        rec.t_request = accept_ref.elapsed().as_millis() as i64;
        first = false;
        // Requests that never made it: HAProxy logs them as <BADREQ> from the frontend.
        let failed: Option<(u16, [u8; 4], bool, bool)> = match outcome {
            ReadHead::Ok => None,
            ReadHead::Stopping => return,
            // An idle keep-alive connection that ends is not a request: no log, no answer.
            ReadHead::ClosedEmpty | ReadHead::TimeoutEmpty if !was_first => return,
            ReadHead::ClosedEmpty => Some((400, *b"CR--", false, true)),
            ReadHead::Closed => Some((400, *b"CR--", false, false)),
            ReadHead::TimeoutEmpty => Some((408, *b"cR--", true, true)),
            ReadHead::Timeout => Some((408, *b"cR--", true, false)),
            ReadHead::TooLarge | ReadHead::Invalid => Some((400, *b"PR--", true, false)),
        };
        if let Some((status, term, answer, null)) = failed {
            s.fe.counters.req_errors.inc();
            if term[0] == b'C' {
                s.fe.counters.cli_aborts.inc();
            }
            if answer {
                send_raw(&s, &mut client, &fe_spec, status).await;
            }
            rec.status = i32::from(status);
            rec.term = term;
            rec.bytes_out = 0;
            rec.backend = s.fe.name.clone();
            rec.server = "<NOSRV>".into();
            rec.t_request = -1;
            rec.t_active = ms_since(accept_ref);
            rec.t_total = rec.t_active;
            s.log(&rec, null);
            return;
        }
        s.fe.counters.requests.inc();
        s.eng.total_requests.inc();
        let hb = &buf[..head.len];
        rec.method = String::from_utf8_lossy(&hb[head.method.clone()]).into_owned();
        rec.uri = String::from_utf8_lossy(&hb[head.uri.clone()]).into_owned();
        rec.version = String::from_utf8_lossy(&hb[head.version_text.clone()]).into_owned();
        rec.request_line = format!("{} {} {}", rec.method, rec.uri, rec.version);
        let version = head.version.unwrap_or(Version::Http11);
        let client_close = match version {
            Version::Http11 => head.has_token(hb, b"connection", b"close"),
            Version::Http10 => !head.has_token(hb, b"connection", b"keep-alive"),
        };
        let framing = match request_framing(&head, hb) {
            Ok(f) => f,
            Err(()) => {
                s.fe.counters.req_errors.inc();
                send_raw(&s, &mut client, &fe_spec, 400).await;
                rec.status = 400;
                rec.term = *b"PR--";
                rec.bytes_out = 0;
                rec.backend = s.fe.name.clone();
                rec.server = "<NOSRV>".into();
                rec.request_line.clear();
                rec.t_request = -1;
                rec.t_active = ms_since(accept_ref);
                rec.t_total = rec.t_active;
                s.log(&rec, false);
                return;
            }
        };
        let keep_fe = !client_close && conn_mode(&fe_spec) != Some(ConnMode::Close);
        // monitor-uri: answered by the proxy itself, never forwarded, never logged.
        if let Some(uri) = &fe_spec.monitor_uri {
            if hb[head.uri.clone()] == *uri.as_bytes() {
                s.fe.counters.intercepted.inc();
                s.fe.counters.http.record(200);
                buf.advance(head.len);
                let (_, keep) = send_own(&mut client, &errors::NO_ERRORFILES, 200, keep_fe, version).await;
                if !keep {
                    let _ = client.shutdown().await;
                    return;
                }
                continue;
            }
        }
        let be = match pick_backend(&s) {
            Some(b) => b,
            None => {
                buf.advance(head.len);
                s.fe.counters.http.record(503);
                let (n, keep) = send_own(&mut client, &fe_spec, 503, keep_fe, version).await;
                rec.status = 503;
                rec.term = *b"SC--";
                rec.bytes_out = n;
                rec.backend = s.fe.name.clone();
                rec.server = "<NOSRV>".into();
                rec.t_active = request_start.elapsed().as_millis() as i64;
                rec.t_total = ms_since(accept_ref);
                s.log(&rec, false);
                if !keep {
                    let _ = client.shutdown().await;
                    return;
                }
                continue;
            }
        };
        rec.backend = be.name.clone();
        be.counters.requests.inc();
        let mode = combined_mode(&fe_spec, &be.spec);
        let keep_client = !client_close && mode != ConnMode::Close;
        let done = forward_one(
            &s,
            &mut client,
            &mut buf,
            &head,
            framing,
            &be,
            &mut server,
            mode,
            keep_client,
            version,
            &mut rec,
        )
        .await;
        rec.t_total = ms_since(accept_ref);
        rec.t_active = request_start.elapsed().as_millis() as i64;
        s.log(&rec, false);
        if !done || !keep_client || s.eng.is_stopping() {
            if let Some(ss) = server.take() {
                finish_server(ss);
            }
            let _ = client.shutdown().await;
            return;
        }
    }
}

async fn stopping(s: &Session) {
    let mut st = s.eng.run_state.subscribe();
    loop {
        if s.eng.is_stopping() {
            return;
        }
        if st.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn finish_server(ss: ServerSide) {
    ss.srv.counters.sessions.dec();
    ss.be.counters.sessions.dec();
    ss.be.release(&ss.srv);
}

fn pick_backend(s: &Session) -> Option<Arc<Backend>> {
    // Unconditional use_backend rules apply first; conditional ones are refused at start until
    // conditions are supported.
    for rule in &s.fe.spec.use_backend {
        if rule.cond.is_none() {
            if let Some(b) = rule.words.first().and_then(|n| s.eng.backend(n)) {
                return Some(b.clone());
            }
        }
    }
    s.fe.default_backend.map(|i| s.eng.backends[i].clone())
}

/// Write header lines in their original order with lowercase names. A Connection header keeps
/// its place with the tokens that survive (anything but `close`/`keep-alive`), or disappears
/// when none do; what HAProxy adds itself (`extra`) is always a separate header, last.
fn push_headers<'a>(
    out: &mut Vec<u8>,
    headers: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    kept: Option<&[u8]>,
    extra: Option<&[u8]>,
) {
    let mut conn_done = false;
    for (name, value) in headers {
        if is_connection(name) {
            if !conn_done {
                if let Some(k) = kept {
                    push_header(out, b"connection", k);
                }
                conn_done = true;
            }
            continue;
        }
        push_header(out, name, value);
    }
    if let Some(e) = extra {
        push_header(out, b"connection", e);
    }
}

fn kept_tokens(head: &Head, buf: &[u8]) -> Option<Vec<u8>> {
    head.headers
        .iter()
        .find(|h| is_connection(&buf[h.name.clone()]))
        .and_then(|h| other_connection_tokens(&buf[h.value.clone()]))
}

fn header_pairs<'a>(head: &'a Head, buf: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
    head.headers.iter().map(move |h| (&buf[h.name.clone()], &buf[h.value.clone()]))
}

/// Build the request head sent to the server.
fn server_request_head(s: &Session, head: &Head, buf: &[u8], mode: ConnMode, be: &Proxy) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len + 64);
    out.extend_from_slice(&buf[head.method.clone()]);
    out.push(b' ');
    out.extend_from_slice(&buf[head.uri.clone()]);
    out.push(b' ');
    let version = head.version.unwrap_or(Version::Http11);
    out.extend_from_slice(version.as_str().as_bytes());
    out.extend_from_slice(b"\r\n");
    let extra: Option<&[u8]> = match (mode, version) {
        (ConnMode::KeepAlive, Version::Http10) => Some(b"keep-alive"),
        (ConnMode::KeepAlive, _) => None,
        (_, Version::Http10) => None,
        _ => Some(b"close"),
    };
    let kept = kept_tokens(head, buf);
    // X-Forwarded-For goes after the client's headers, before a Connection header we append.
    let mut xff: Option<(Vec<u8>, Vec<u8>)> = None;
    if let Some(ff) = be.forwardfor.as_ref().or(s.fe.spec.forwardfor.as_ref()) {
        let ip = match s.client.ip() {
            std::net::IpAddr::V6(v6) => {
                v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(std::net::IpAddr::V6(v6))
            }
            ip => ip,
        };
        let excluded = ff.except.as_deref().is_some_and(|net| crate::ir::addr::net_contains(net, ip));
        let present = head.first(buf, ff.header.as_bytes()).is_some();
        if !(excluded || ff.if_none && present) {
            xff = Some((ff.header.as_bytes().to_vec(), ip.to_string().into_bytes()));
        }
    }
    push_headers(&mut out, header_pairs(head, buf), kept.as_deref(), None);
    if let Some((n, v)) = xff {
        push_header(&mut out, &n, &v);
    }
    if let Some(e) = extra {
        push_header(&mut out, b"connection", e);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Build the response head sent to the client.
fn client_response_head(head: &Head, buf: &[u8], keep_client: bool, client_version: Version) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len + 32);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&buf[head.method.clone()]);
    out.push(b' ');
    out.extend_from_slice(&buf[head.uri.clone()]);
    out.extend_from_slice(b"\r\n");
    let extra: Option<&[u8]> = match (keep_client, client_version) {
        (false, _) => Some(b"close"),
        (true, Version::Http10) => Some(b"keep-alive"),
        (true, _) => None,
    };
    push_headers(&mut out, header_pairs(head, buf), kept_tokens(head, buf).as_deref(), extra);
    out.extend_from_slice(b"\r\n");
    out
}

/// The size HAProxy accounts for a message head (its internal HTX representation: a 20-byte
/// start-line descriptor, the three start-line words, each header's name and value, and one
/// byte for the end of headers). `%B`, `%U` and the byte counters use it in HTTP mode.
fn htx_head_size(head: &Head) -> u64 {
    let words = head.method.len() + head.uri.len() + head.version_text.len();
    let hdrs: usize = head.headers.iter().map(|h| h.name.len() + h.value.len()).sum();
    (20 + words + hdrs + 1) as u64
}

/// Forward one request and its response. Returns false when the client connection must close.
#[allow(clippy::too_many_arguments)]
async fn forward_one(
    s: &Session,
    client: &mut TcpStream,
    cbuf: &mut BytesMut,
    head: &Head,
    framing: Framing,
    be: &Arc<Backend>,
    server: &mut Option<ServerSide>,
    mode: ConnMode,
    mut keep_client: bool,
    version: Version,
    rec: &mut crate::log::LogRecord,
) -> bool {
    let fe_spec = &s.fe.spec;
    let t_server = ms(be.spec.timeouts.server).unwrap_or(FAR);
    let t_client = ms(fe_spec.timeouts.client).unwrap_or(FAR);
    let method_head = cbuf[head.method.clone()].eq_ignore_ascii_case(b"HEAD");
    // Reuse the session's server connection when the balancer would pick the same server.
    let mut ss = match server.take() {
        Some(ss) if Arc::ptr_eq(&ss.be, be) && ss.be.state(ss.srv.idx).usable() => Some(ss),
        Some(ss) => {
            finish_server(ss);
            None
        }
        None => None,
    };
    if ss.is_none() {
        be.counters.total.inc();
        be.counters.sessions.inc();
        let src_key = match s.client.ip() {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        match connect::connect(be, Some(&src_key), s.local.port()).await {
            Ok(c) => {
                c.server.counters.sessions.inc();
                c.server.counters.total.inc();
                c.server.counters.lb_total.inc();
                be.counters.lb_total.inc();
                rec.retries = c.retries;
                rec.redispatched = c.redispatched;
                rec.t_queue = c.t_queue.as_millis() as i64;
                rec.t_connect = c.t_connect.as_millis() as i64;
                ss = Some(ServerSide {
                    be: be.clone(),
                    srv: c.server,
                    addr: c.addr,
                    stream: c.stream,
                    buf: BytesMut::with_capacity(16 * 1024),
                });
            }
            Err(f) => {
                be.counters.sessions.dec();
                rec.server = f.server.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "<NOSRV>".into());
                rec.retries = f.retries;
                rec.redispatched = f.redispatched;
                rec.t_queue = f.t_queue.as_millis() as i64;
                rec.term = match f.why {
                    ConnectFailure::QueueTimeout => *b"sQ--",
                    ConnectFailure::Timeout => *b"sC--",
                    _ => *b"SC--",
                };
                cbuf.advance(head.len);
                s.fe.counters.http.record(503);
                be.counters.http.record(503);
                let (n, keep) = send_own(client, &be.spec, 503, keep_client, version).await;
                rec.status = 503;
                rec.bytes_out = n;
                return keep;
            }
        }
    } else {
        rec.t_queue = 0;
        rec.t_connect = 0;
    }
    let Some(mut ss) = ss else { return false };
    rec.server = ss.srv.name.clone();
    rec.server_addr = Some(ss.addr);
    rec.backend_src = ss.stream.local_addr().ok();
    rec.beconn = be.counters.sessions.get();
    rec.srv_conn = ss.srv.counters.sessions.get();
    let sent_at = Instant::now();
    let req_head = server_request_head(s, head, cbuf, mode, &be.spec);
    let head_len = head.len;
    cbuf.advance(head_len);
    let mut up = htx_head_size(head);
    if ss.stream.write_all(&req_head).await.is_err() {
        return server_failed(s, client, be, ss, rec, 502, *b"SH--").await;
    }
    match body::forward(framing, client, cbuf, &mut ss.stream, t_client).await {
        Ok(n) => up += n,
        Err(BodyError::DstFailed) => return server_failed(s, client, be, ss, rec, 502, *b"SD--").await,
        Err(BodyError::SrcTimeout) => {
            rec.term = *b"cD--";
            finish_server(ss);
            return false;
        }
        Err(_) => {
            rec.term = *b"CD--";
            s.fe.counters.cli_aborts.inc();
            be.counters.cli_aborts.inc();
            finish_server(ss);
            return false;
        }
    }
    rec.bytes_in = up;
    // Read the response head, forwarding interim 1xx responses.
    let mut rhead = Head::default();
    let resp_start = Instant::now();
    loop {
        match parse::parse_response(&mut ss.buf, &mut rhead) {
            Ok(Some(())) => {
                if (100..200).contains(&rhead.status) && rhead.status != 101 {
                    let h = client_response_head(&rhead, &ss.buf, true, Version::Http11);
                    let _ = client.write_all(&h).await;
                    ss.buf.advance(rhead.len);
                    continue;
                }
                break;
            }
            Ok(None) => {}
            Err(_) => return server_failed(s, client, be, ss, rec, 502, *b"PH--").await,
        }
        if ss.buf.len() >= 16384 {
            return server_failed(s, client, be, ss, rec, 502, *b"PH--").await;
        }
        let left = t_server.saturating_sub(resp_start.elapsed());
        match tokio::time::timeout(left, ss.stream.read_buf(&mut ss.buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return server_failed(s, client, be, ss, rec, 502, *b"SH--").await,
            Ok(Ok(_)) => {}
            Err(_) => return server_failed(s, client, be, ss, rec, 504, *b"sH--").await,
        }
    }
    rec.t_response = sent_at.elapsed().as_millis() as i64;
    let status = rhead.status;
    be.observe(ss.srv.idx, crate::engine::health::Hana::for_status(status));
    rec.status = i32::from(status);
    let rframing = match response_framing(&rhead, &ss.buf, method_head) {
        Ok(f) => f,
        Err(()) => return server_failed(s, client, be, ss, rec, 502, *b"PH--").await,
    };
    let server_close = match rhead.version {
        Some(Version::Http10) => !rhead.has_token(&ss.buf, b"connection", b"keep-alive"),
        _ => rhead.has_token(&ss.buf, b"connection", b"close"),
    } || rframing == Framing::UntilClose;
    if rframing == Framing::UntilClose {
        keep_client = false;
    }
    let h = client_response_head(&rhead, &ss.buf, keep_client, version);
    ss.buf.advance(rhead.len);
    let mut down = htx_head_size(&rhead);
    s.fe.counters.http.record(status);
    be.counters.http.record(status);
    ss.srv.counters.http.record(status);
    if client.write_all(&h).await.is_err() {
        rec.term = *b"CD--";
        finish_server(ss);
        return false;
    }
    let ServerSide { stream, buf: sbuf, .. } = &mut ss;
    match body::forward(rframing, stream, sbuf, client, t_server).await {
        Ok(n) => down += n,
        Err(BodyError::DstFailed) => {
            rec.term = *b"CD--";
            s.fe.counters.cli_aborts.inc();
            be.counters.cli_aborts.inc();
            finish_server(ss);
            return false;
        }
        Err(BodyError::SrcTimeout) => {
            rec.term = *b"sD--";
            finish_server(ss);
            return false;
        }
        Err(_) => {
            rec.term = *b"SD--";
            be.counters.srv_aborts.inc();
            ss.srv.counters.srv_aborts.inc();
            finish_server(ss);
            return false;
        }
    }
    rec.bytes_out = down;
    s.fe.counters.bytes_in.add(up);
    s.fe.counters.bytes_out.add(down);
    be.counters.bytes_in.add(up);
    be.counters.bytes_out.add(down);
    ss.srv.counters.bytes_in.add(up);
    ss.srv.counters.bytes_out.add(down);
    if server_close || mode != ConnMode::KeepAlive || !ss.buf.is_empty() {
        finish_server(ss);
    } else {
        *server = Some(ss);
    }
    keep_client
}

/// The server failed before a response was forwarded: answer `status` and close.
async fn server_failed(
    s: &Session,
    client: &mut TcpStream,
    be: &Arc<Backend>,
    ss: ServerSide,
    rec: &mut crate::log::LogRecord,
    status: u16,
    term: [u8; 4],
) -> bool {
    be.counters.resp_errors.inc();
    ss.srv.counters.resp_errors.inc();
    let observed = crate::engine::health::Hana::for_failure(&term);
    if term[0] == b'S' || term[0] == b's' {
        be.counters.srv_aborts.inc();
        ss.srv.counters.srv_aborts.inc();
    }
    s.fe.counters.http.record(status);
    // HAProxy closes after these, but the response itself says nothing about it.
    let (n, _) = send_own(client, &be.spec, status, true, Version::Http11).await;
    be.counters.http.record(status);
    ss.srv.counters.http.record(status);
    rec.status = i32::from(status);
    rec.term = term;
    rec.bytes_out = n;
    let (srv_idx, invalid_head) = (ss.srv.idx, term[0] == b'P');
    if invalid_head {
        be.observe(srv_idx, observed.unwrap_or(crate::engine::health::Hana::HttpHdrRsp));
    }
    finish_server(ss);
    if let (false, Some(h)) = (invalid_head, observed) {
        be.observe(srv_idx, h);
    }
    false
}

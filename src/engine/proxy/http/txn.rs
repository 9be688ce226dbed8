//! One request/response exchange: monitor-uri, the backend and a server connection (reused or
//! new, with retries), the request head and body sent while the response is awaited (both
//! directions at once, as HAProxy does), the response relayed or replaced by the proxy's own
//! 502/503/504, a tunnel after `101` or a `CONNECT` success, and what becomes of both
//! connections afterwards.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::AsyncWriteExt;

use super::body::{self, BodyError, Framing, Pace};
use super::bufreq::{self, BodyWait};
use super::download::{download, DownCtx, DownEnd, Progress};
use super::msg::{self, ReqInfo, RespInfo};
use super::parse::{self, Head, Version};
use super::pool;
use super::txlog::Txn;
use super::{clock_ms, combined_mode, conn_mode, ms, Conn, ConnMode, Next, SrvConn, FAR};
use crate::engine::backend::{Backend, Server};
use crate::engine::health::Hana;
use crate::engine::persist::backend as persist;
use crate::engine::persist::cookie::{CookieTxn, Flags};
use crate::engine::proxy::connect::{self, ConnectFailure, Got};
use crate::engine::proxy::relay::{relay, RelayTimeouts};
use crate::engine::stick::rules::Pending;
use crate::ir::types::Proxy;

/// The Connection value the client gets: `keep-alive` when the connection stays and either side
/// spoke HTTP/1.0, `close` when it closes after an HTTP/1.1 response.
pub(super) fn client_conn_value(keep: bool, req: Version, resp: Version) -> Option<&'static [u8]> {
    if keep {
        (req == Version::Http10 || resp == Version::Http10).then_some(&b"keep-alive"[..])
    } else {
        (resp == Version::Http11).then_some(&b"close"[..])
    }
}

/// Send one of the proxy's own stream-level responses (`raw` is a full message: the built-in
/// page or an errorfile), re-serialised like a server response. Returns its internal size and
/// whether the client connection may stay open (not if the message has no length).
pub(super) async fn send_reply(c: &mut Conn, raw: &[u8], keep: bool, info: &ReqInfo, tx: &mut Txn) -> (u64, bool) {
    let mut buf = BytesMut::from(raw);
    let mut h = Head::with_limits(c.s.eng.http_limits);
    if !matches!(parse::parse_response(&mut buf, &mut h), Ok(true)) {
        let _ = tokio::time::timeout(c.t_client, c.client.write_all(raw)).await;
        return (raw.len() as u64, false);
    }
    super::rules::after_own_reply(c, tx, &mut h, &mut buf);
    let has_len = h.headers.iter().any(|x| x.kind == parse::Kind::ContentLength);
    // A message without a length, or one that says `Connection: close`, ends the connection.
    let keep = keep && has_len && !h.has_token(&buf, parse::Kind::Connection, b"close");
    let rinfo = RespInfo {
        framing: if has_len { Framing::None } else { Framing::UntilClose },
        interim: false,
        tunnel: false,
        server_close: false,
        cl_te: false,
        drop_length: false,
        client_close: false,
    };
    c.out.clear();
    msg::build_response(&mut c.out, &h, &buf, &rinfo, client_conn_value(keep, info.version, h.version));
    // Counted as stored, its own Connection header included.
    let size = h.htx_size(true);
    let body = if info.method_head { &[][..] } else { &buf[h.len..] };
    c.out.extend_from_slice(body);
    let ok = matches!(tokio::time::timeout(c.t_client, c.client.write_all(&c.out)).await, Ok(Ok(())));
    (size + body.len() as u64, keep && ok)
}

/// Read and drop the rest of a request body the proxy answered itself; false if that failed.
pub(super) async fn skip_body(c: &mut Conn, info: &ReqInfo) -> bool {
    let framing = info.framing.unwrap_or(Framing::None);
    if framing == Framing::None {
        return true;
    }
    let pace = Pace { src: c.t_client, dst: c.t_client, activity: None, clock: clock_ms };
    let mut sink = tokio::io::sink();
    let mut n = 0;
    body::forward(framing, &mut c.client, &mut c.cbuf, &mut sink, &mut c.up, &pace, &mut n).await.is_ok()
}

/// The X-Forwarded-For header to add, as HAProxy decides it from the frontend's and the
/// backend's `option forwardfor`: the backend's header name wins, either side's `except`
/// network suppresses it, and `if-none` only counts when every side that asks for the header
/// says so.
fn forwarded_for(c: &Conn, be: &Proxy) -> Option<(Vec<u8>, String)> {
    address_header(c, c.s.fe.spec.forwardfor.as_ref(), be.forwardfor.as_ref(), c.s.client.ip())
}

/// The X-Original-To header to add (`option originalto`): the address the client connected
/// to, decided like X-Forwarded-For (it has no `if-none`).
fn original_to(c: &Conn, be: &Proxy) -> Option<(Vec<u8>, String)> {
    address_header(c, c.s.fe.spec.originalto.as_ref(), be.originalto.as_ref(), c.s.local.ip())
}

fn address_header(
    c: &Conn,
    fe_ff: Option<&crate::ir::types::ForwardFor>,
    be_ff: Option<&crate::ir::types::ForwardFor>,
    ip: std::net::IpAddr,
) -> Option<(Vec<u8>, String)> {
    let name = be_ff.or(fe_ff)?.header.as_bytes();
    let always = fe_ff.is_some_and(|f| !f.if_none) || be_ff.is_some_and(|f| !f.if_none);
    if !always && c.head.first(&c.cbuf, &name.to_ascii_lowercase()).is_some() {
        return None;
    }
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(std::net::IpAddr::V6(v6)),
        ip => ip,
    };
    let excluded = |ff: Option<&crate::ir::types::ForwardFor>| {
        ff.and_then(|f| f.except.as_deref()).is_some_and(|n| crate::ir::addr::net_contains(n, ip))
    };
    if excluded(fe_ff) || excluded(be_ff) {
        return None;
    }
    Some((name.to_vec(), ip.to_string()))
}

/// An idle connection for the server the balancer picked: the session's own first, then one
/// from the server's pool if `http-reuse` allows it for this request.
fn take_idle(own: &mut Vec<SrvConn>, srv: &Arc<Server>, be: &Arc<Backend>, first: bool) -> Option<SrvConn> {
    while let Some(i) = own.iter().position(|sc| Arc::ptr_eq(&sc.srv, srv)) {
        let sc = own.remove(i);
        if pool::alive(&sc.stream) {
            return Some(sc);
        }
    }
    // A connection that began with a PROXY header speaks for its own client only: HAProxy
    // shares it with no other session (the header is part of its reuse key).
    if crate::engine::proxy::pp::encode::SendProxy::of(&srv.spec.opts).enabled() {
        return None;
    }
    let idle = srv.idle.take(be.spec.http_reuse, first)?;
    Some(SrvConn {
        stream: idle.stream,
        srv: srv.clone(),
        be: be.clone(),
        addr: idle.addr,
        requests: if idle.reused { 2 } else { 1 },
    })
}

/// The backend HAProxy's stream has when the proxy answers by itself: the one chosen, else a
/// listen section's own.
pub(super) fn own_backend(c: &Conn, tx: &Txn) -> Option<Arc<Backend>> {
    if tx.backend.is_some() {
        return tx.backend.clone();
    }
    let fe = &c.s.fe.spec;
    if fe.caps.backend {
        c.s.eng.backend(&fe.name).cloned()
    } else {
        None
    }
}

/// A request the proxy answers (or drops) itself counts as received, as HAProxy's `%U`, byte
/// counters and stick counters see it: the head's internal size and the body bytes already in.
pub(super) fn received_size(c: &mut Conn, info: &ReqInfo) -> u64 {
    c.out.clear();
    let head = msg::build_request(&mut c.out, &c.head, &c.cbuf, info, &[], None, None);
    head + body::buffered_size(info.framing.unwrap_or(Framing::None), &c.cbuf[c.head.len..])
}

/// Send one of the proxy's answers to a request and account for it like HAProxy: status,
/// bytes, termination flags. The client connection stays if the request allows it and its body
/// is already all in (HAProxy closes otherwise).
pub(super) async fn answer(c: &mut Conn, info: &ReqInfo, tx: &mut Txn, msg: &[u8], status: u16, term: [u8; 4]) -> Next {
    let fe = c.s.fe.clone();
    let keep = info.keep_alive
        && conn_mode(&fe.spec) != ConnMode::Close
        && super::rules::body_complete(info, &c.cbuf[c.head.len..]);
    tx.bytes_in = received_size(c, info);
    let own = own_backend(c, tx);
    c.consume_head();
    tx.term = term;
    tx.status = i32::from(status);
    let (n, keep) = send_reply(c, msg, keep, info, tx).await;
    tx.bytes_out += n;
    fe.counters.http.record(status);
    fe.counters.bytes_in.add(tx.bytes_in);
    fe.counters.bytes_out.add(tx.bytes_out);
    if let Some(be) = &own {
        // Bytes count on a listen section's backend side too; statuses only on a chosen one.
        be.counters.bytes_in.add(tx.bytes_in);
        be.counters.bytes_out.add(tx.bytes_out);
    }
    if let Some(be) = &tx.backend {
        be.counters.http.record(status);
    }
    if keep && skip_body(c, info).await {
        Next::KeepAlive
    } else {
        Next::Close
    }
}

/// Serve the parsed request in `c.head` (analysed as `info`).
pub(crate) async fn run(c: &mut Conn, info: &mut ReqInfo, tx: &mut Txn) -> Next {
    let fe = c.s.fe.clone();
    if let Some(m) = &fe.spec.monitor_uri {
        if c.cbuf[c.head.uri.clone()] == *m.as_bytes() {
            // Answered by the proxy, never logged.
            tx.no_log = true;
            fe.counters.intercepted.inc();
            let fail = super::rules::monitor_fails(c, tx);
            // Monitor answers are never replaced but for `monitor fail`'s 503.
            let (page, status) = if fail {
                (super::rules::error_page(c, tx, None, 503), 503)
            } else {
                (super::errors::stream_builtin(200).to_vec(), 200)
            };
            c.consume_head();
            let keep = info.keep_alive && conn_mode(&fe.spec) != ConnMode::Close;
            let (_, keep) = send_reply(c, &page, keep, info, tx).await;
            fe.counters.http.record(status);
            return if keep && skip_body(c, info).await { Next::KeepAlive } else { Next::Close };
        }
    }
    let mut aborted = false;
    if bufreq::wanted(c, None) {
        match bufreq::wait(c, info, tx).await {
            BodyWait::Ready => {}
            BodyWait::Aborted => aborted = true,
            BodyWait::TimedOut => return body_timeout(c, info, tx, None).await,
        }
    }
    let d = super::rules::process_request(c, info, tx);
    let be = match d {
        super::rules::Decision::Forward(be) => be,
        super::rules::Decision::Answer { msg, status, term } => {
            return answer(c, info, tx, &msg, status, term).await;
        }
        super::rules::Decision::Tarpit { msg, status, delay } => {
            // Held, then answered; HAProxy logs the hold as the queue time and no request time.
            let t0 = Instant::now();
            tokio::time::sleep(delay).await;
            tx.t_request = -1;
            tx.t_queue = t0.elapsed().as_millis() as i64;
            return answer(c, info, tx, &msg, status, *b"PT--").await;
        }
        super::rules::Decision::Stats { spec, prefix, be } => {
            return super::stats::serve(c, info, tx, &spec, prefix, be).await;
        }
        super::rules::Decision::Reject | super::rules::Decision::SilentDrop => {
            let silent = matches!(d, super::rules::Decision::SilentDrop);
            // Closed without a word; logged with neither request time nor status.
            tx.term = *b"PR--";
            tx.t_request = -1;
            tx.bytes_in = received_size(c, info);
            fe.counters.bytes_in.add(tx.bytes_in);
            if let Some(be) = own_backend(c, tx) {
                be.counters.bytes_in.add(tx.bytes_in);
            }
            c.consume_head();
            return if silent { Next::Drop } else { Next::Close };
        }
        super::rules::Decision::NoBackend => {
            tx.bytes_in = received_size(c, info);
            fe.counters.bytes_in.add(tx.bytes_in);
            tx.term = *b"SC--";
            tx.status = 503;
            let page = super::rules::error_page(c, tx, None, 503);
            c.consume_head();
            let keep = info.keep_alive;
            let (n, keep) = send_reply(c, &page, keep, info, tx).await;
            tx.bytes_out += n;
            fe.counters.http.record(503);
            return if keep && skip_body(c, info).await { Next::KeepAlive } else { Next::Close };
        }
    };
    tx.backend = Some(be.clone());
    if !aborted && bufreq::wanted(c, Some(&be)) {
        match bufreq::wait(c, info, tx).await {
            BodyWait::Ready => {}
            BodyWait::Aborted => aborted = true,
            BodyWait::TimedOut => return body_timeout(c, info, tx, Some(&be)).await,
        }
    }
    // HAProxy generates the unique ID here (`http_process_request`) if no rule asked for it.
    if let Some(u) = &fe.unique_id {
        u.of(&super::rules::stream(c, tx, Some(&be)));
    }
    be.counters.requests.inc();
    // The client side closes with the frontend's `httpclose`; the server side with either
    // proxy's `httpclose` or `http-server-close`.
    let client_keep = info.keep_alive && conn_mode(&fe.spec) != ConnMode::Close && !info.cl_te && !info.te_10;
    let server_ka = combined_mode(&fe.spec, &be.spec) == ConnMode::KeepAlive && !info.te_10;
    crate::engine::proxy::session_started(&be.counters);
    be.counters.sessions.inc();
    let next = if aborted {
        // The client left while its body was awaited: no server is tried, nothing is answered.
        tx.term = *b"CR--";
        tx.bytes_in = received_size(c, info);
        c.consume_head();
        Next::Close
    } else {
        exchange(c, &be, info, tx, client_keep, server_ka).await
    };
    let total = tx.idle_from.elapsed().as_millis() as i64;
    crate::engine::proxy::record_times(&be, tx.server.as_deref(), tx.t_queue, tx.t_connect, tx.t_response, total);
    be.counters.sessions.dec();
    if tx.status > 0 {
        let st = tx.status as u16;
        fe.counters.http.record(st);
        be.counters.http.record(st);
    }
    fe.counters.bytes_in.add(tx.bytes_in);
    fe.counters.bytes_out.add(tx.bytes_out);
    be.counters.bytes_in.add(tx.bytes_in);
    be.counters.bytes_out.add(tx.bytes_out);
    if tx.term[0] == b'C' || tx.term[0] == b'c' {
        fe.counters.cli_aborts.inc();
        be.counters.cli_aborts.inc();
    }
    next
}

/// The body of a request did not come in `timeout http-request`: the stream's 408 (the
/// proxy's `errorfile` applies), `cR--`, a failed request, and the connection closes.
async fn body_timeout(c: &mut Conn, info: &ReqInfo, tx: &mut Txn, be: Option<&Arc<Backend>>) -> Next {
    let fe = c.s.fe.clone();
    fe.counters.req_errors.inc();
    tx.term = *b"cR--";
    tx.status = 408;
    tx.t_request = -1;
    tx.bytes_in = received_size(c, info);
    let page = super::rules::error_page(c, tx, be.map(|b| &**b), 408);
    c.consume_head();
    let (n, _) = send_reply(c, &page, false, info, tx).await;
    tx.bytes_out += n;
    if super::errors::configured(&fe.spec, be.map(|b| &*b.spec), 408).is_none() {
        // HAProxy's built-in 408 carries `Connection: close`, which counts in its size even
        // though the connection layer writes its own.
        tx.bytes_out += (b"connection".len() + b"close".len()) as u64;
    }
    fe.counters.http.record(408);
    fe.counters.bytes_in.add(tx.bytes_in);
    fe.counters.bytes_out.add(tx.bytes_out);
    if let Some(be) = be {
        be.counters.http.record(408);
        be.counters.bytes_in.add(tx.bytes_in);
        be.counters.bytes_out.add(tx.bytes_out);
    }
    Next::Close
}

/// Get a server connection and run the exchange on it.
async fn exchange(
    c: &mut Conn,
    be: &Arc<Backend>,
    info: &ReqInfo,
    tx: &mut Txn,
    client_keep: bool,
    server_ka: bool,
) -> Next {
    // Persistence before the balancer: `force-persist`/`ignore-persist`, `use-server`, then
    // the request's cookie (HAProxy's SRV_RULES then HTTP_INNER analysers).
    let (mut flags, mut forced) = super::rules::persist_flags(c, tx, be);
    let bp = &be.rules.persist;
    let capture = c.s.fe.rules.captures.cookie.as_ref();
    if bp.cookie.is_some() || capture.is_some() {
        tx.cookie = CookieTxn::new(&c.cbuf[c.head.method.clone()]);
        persist::request(bp, be, &mut c.head, &mut c.cbuf, &mut flags, &mut tx.cookie, capture);
        if forced.is_none() {
            forced = flags.assigned.and_then(|i| be.servers.get(i).cloned());
        }
    }
    let mut pending = Pending::default();
    if !be.rules.stick.rules.request.is_empty() {
        super::rules::stick_request(c, tx, be, &mut flags, &mut pending);
        if forced.is_none() {
            forced = flags.assigned.and_then(|i| be.servers.get(i).cloned());
        }
    }
    let post = &c.cbuf[c.head.method.clone()] == b"POST";
    let src_key: [u8; 16] = match c.s.client.ip() {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(v6) => v6.octets(),
    };
    let addr_key: &[u8] = if c.s.client.is_ipv4() { &src_key[12..] } else { &src_key };
    // `balance hash <expr>`: the expression's bytes (owned: the stream borrows the whole session).
    let expr_key = match be.spec.balance {
        crate::ir::types::Balance::Hash { .. } => {
            crate::engine::rules::switching::balance_key(be, &super::rules::stream(c, tx, Some(be)))
        }
        _ => None,
    };
    // What the backend's algorithm hashes: the client address, the request target, or a header.
    let (cbuf, head) = (&c.cbuf, &c.head);
    let target = &cbuf[head.uri.clone()];
    let header = |name: &str| head.first(cbuf, name.as_bytes());
    let key = match be.spec.balance {
        crate::ir::types::Balance::Hash { .. } => expr_key.as_deref(),
        _ => crate::engine::lb::hash::hash_input(&be.spec.balance, addr_key, Some(target), &header),
    };
    let first = c.first;
    let own = &mut c.own;
    let mut origin = c.s.origin();
    origin.unique_id = tx.vars.unique_id.get().map(Vec::as_slice);
    let get_or_head = info.method_head || &cbuf[head.method.clone()] == b"GET";
    let got = connect::connect_or_reuse(&c.s.eng, be, key, c.s.local.port(), forced, flags.force, &origin, |srv| {
        if super::redir::applies(srv, get_or_head) {
            return Some(None);
        }
        take_idle(own, srv, be, first).map(Some)
    })
    .await;
    let mut sc = match got {
        Err(f) => {
            tx.server = f.server.clone();
            tx.vars.server = f.server.clone();
            tx.server_addr = f.addr;
            tx.backend_src = f.local;
            tx.retries = f.retries;
            tx.redispatched = f.redispatched;
            tx.t_queue = if f.why == ConnectFailure::NoServer { -1 } else { f.t_queue.as_millis() as i64 };
            tx.term = match f.why {
                ConnectFailure::QueueTimeout => *b"sQ--",
                ConnectFailure::Timeout => *b"sC--",
                _ => *b"SC--",
            };
            tx.bytes_in = received_size(c, info);
            tx.status = 503;
            let page = super::rules::error_page(c, tx, Some(be), 503);
            c.consume_head();
            let (n, keep) = send_reply(c, &page, client_keep, info, tx).await;
            tx.bytes_out += n;
            return if keep && skip_body(c, info).await { Next::KeepAlive } else { Next::Close };
        }
        Ok(Got::Reused { conn: None, server, t_queue }) => {
            return super::redir::redirect(c, be, server, t_queue, flags.direct, info, tx).await;
        }
        Ok(Got::Reused { conn: Some(conn), server, t_queue }) => {
            tx.t_queue = t_queue.as_millis() as i64;
            tx.t_connect = 0;
            tx.server = Some(server);
            conn
        }
        Ok(Got::New(n)) => {
            tx.retries = n.retries;
            tx.redispatched = n.redispatched;
            tx.t_queue = n.t_queue.as_millis() as i64;
            tx.t_connect = n.t_connect.as_millis() as i64;
            tx.server = Some(n.server.clone());
            if !n.direct {
                // Redispatched: persistence no longer holds (HAProxy clears SF_DIRECT|ASSIGNED).
                flags.direct = false;
                flags.assigned = None;
            }
            SrvConn { stream: n.stream, srv: n.server, be: be.clone(), addr: n.addr, requests: 0 }
        }
    };
    let srv = sc.srv.clone();
    tx.vars.server = Some(srv.clone());
    srv.counters.sessions.inc();
    crate::engine::proxy::session_started(&srv.counters);
    if !flags.direct {
        // Only servers the balancer chose count in lbtot.
        srv.counters.lb_total.inc();
        be.counters.lb_total.inc();
    }
    tx.server_addr = Some(sc.addr);
    if c.s.logs_lines() {
        tx.backend_src = sc.stream.local_addr().ok();
    }
    let ck = CkResp { flags, post, pending: &mut pending };
    let (next, fate) = on_server(c, &mut sc, be, info, tx, client_keep, server_ka, ck).await;
    // Stores are written when a response comes; without one, nothing is stored.
    pending.clear();
    match fate {
        Fate::Keep => {
            sc.requests += 1;
            sc.keep(&mut c.own);
        }
        Fate::Close => pool::close_server(sc.stream),
        Fate::Fin => drop(sc.stream),
        Fate::Rst => pool::close_rst(sc.stream),
    }
    if fate != Fate::Keep {
        c.sbuf.clear();
    }
    be.release(&srv);
    srv.counters.sessions.dec();
    if tx.term[..2] == *b"sH" {
        be.observe(srv.idx, Hana::HttpReadTimeout);
    }
    if tx.status > 0 {
        srv.counters.http.record(tx.status as u16);
    }
    srv.counters.bytes_in.add(tx.bytes_in);
    srv.counters.bytes_out.add(tx.bytes_out);
    match &tx.term[..2] {
        b"SH" | b"sH" | b"PH" => {
            be.counters.resp_errors.inc();
            srv.counters.resp_errors.inc();
        }
        _ => {}
    }
    if matches!(tx.term[0], b'S' | b's') {
        be.counters.srv_aborts.inc();
        srv.counters.srv_aborts.inc();
    }
    next
}

/// What the response side needs of the request's persistence.
struct CkResp<'a> {
    flags: Flags,
    post: bool,
    /// Stick stores noted on the request.
    pending: &'a mut Pending,
}

/// What becomes of the server connection after an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Keep,
    /// FIN if the server closed first, else RST.
    Close,
    /// FIN (already sent).
    Fin,
    /// RST.
    Rst,
}

/// The exchange proper. Returns what happens to the client, and whether the server
/// connection can be kept.
#[allow(clippy::too_many_arguments)]
async fn on_server(
    c: &mut Conn,
    sc: &mut SrvConn,
    be: &Arc<Backend>,
    info: &ReqInfo,
    tx: &mut Txn,
    client_keep: bool,
    server_ka: bool,
    ck: CkResp<'_>,
) -> (Next, Fate) {
    let t_server = ms(be.spec.timeouts.server).unwrap_or(FAR);
    let t_client = c.t_client;
    // `option http-pretend-keepalive`: the server is told nothing of the close to come
    // (looked up only when the connection is to close).
    let pretend =
        || c.s.fe.spec.options.is_on("http-pretend-keepalive") || be.spec.options.is_on("http-pretend-keepalive");
    let conn: Option<&[u8]> = if info.upgrade {
        None
    } else if server_ka || pretend() {
        (info.version == Version::Http10).then_some(b"keep-alive")
    } else {
        (info.version == Version::Http11).then_some(b"close")
    };
    let xff = forwarded_for(c, &be.spec);
    let xot = original_to(c, &be.spec);
    let uid = c.s.fe.unique_id.as_ref().and_then(|u| Some((u.header.as_deref()?, tx.vars.unique_id.get()?.as_slice())));
    // `http-send-name-header`: the server that got the request, replacing the client's header.
    let send_name = be.spec.send_name_header.as_deref().map(str::as_bytes);
    let added: [Option<(&[u8], &[u8])>; 4] = [
        uid,
        xff.as_ref().map(|(n, v)| (n.as_slice(), v.as_bytes())),
        xot.as_ref().map(|(n, v)| (n.as_slice(), v.as_bytes())),
        send_name.map(|n| (n, sc.srv.name.as_bytes())),
    ];
    c.out.clear();
    tx.bytes_in = msg::build_request(&mut c.out, &c.head, &c.cbuf, info, &added, send_name, conn);
    c.consume_head();
    let mut framing = info.framing.unwrap_or(Framing::None);
    // A body that came whole with the head leaves with it, in one write.
    if let Framing::Length(n) = framing {
        if c.cbuf.len() as u64 >= n && n <= 64 * 1024 {
            c.out.extend_from_slice(&c.cbuf[..n as usize]);
            c.cbuf.advance(n as usize);
            tx.bytes_in += n;
            framing = Framing::None;
        }
    }
    let progress = Progress::default();
    progress.activity.store(clock_ms(), Relaxed);
    let rr = super::rules::RespRules {
        eng: c.s.eng.clone(),
        fe: c.s.fe.clone(),
        be: be.clone(),
        server: Some(sc.srv.clone()),
        client: c.s.client,
        local: c.s.local,
        ck_flags: ck.flags,
        post: ck.post,
    };
    let rules = rr.any().then_some(&rr);
    let stick = (!ck.pending.is_empty() || !be.rules.stick.rules.response.is_empty()).then_some(&rr);
    let captures = &rr.fe.rules.captures.resp;
    let ctx = DownCtx {
        t_server,
        t_client,
        info,
        client_keep,
        server_keep: server_ka,
        first: c.first,
        rules,
        stick,
        captures,
    };
    let kill_switch = &sc.srv;
    let Conn { client, cbuf, sbuf, rhead, out, up: up_scratch, down: down_scratch, sess_vars, .. } = c;
    let head_ok = matches!(tokio::time::timeout(t_server, sc.stream.write_all(out)).await, Ok(Ok(())));
    let mut up_end: Option<Result<u64, BodyError>> = (framing == Framing::None).then_some(Ok(0));
    let down_end = if !head_ok {
        DownEnd::Failed { status: 502, term: *b"SH--", silent: !ctx.first, fate: Fate::Close }
    } else {
        progress.activity.store(clock_ms(), Relaxed);
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = sc.stream.split();
        let pace = Pace { src: FAR, dst: t_server, activity: Some(&progress.activity), clock: clock_ms };
        let up = async {
            let mut n = 0;
            let r = body::forward(framing, &mut cr, cbuf, &mut sw, up_scratch, &pace, &mut n).await;
            r.map(|()| n)
        };
        let down = download(&mut sr, sbuf, rhead, &mut cw, down_scratch, &progress, &ctx, tx, sess_vars, ck.pending);
        // `on-marked-down shutdown-sessions` and `shutdown sessions server` kill the exchange:
        // a 502 before the response head went out, a cut after it (HAProxy's K flag).
        let killed = kill_switch.shutdown.notified();
        tokio::pin!(up, down, killed);
        let mut end = loop {
            tokio::select! {
                biased;
                _ = &mut killed => {
                    let cause = kill_switch.shutdown_cause();
                    break if progress.head_sent.load(Relaxed) {
                        DownEnd::Cut { term: [cause, b'D', b'-', b'-'] }
                    } else {
                        DownEnd::Failed { status: 502, term: [cause, b'H', b'-', b'-'], silent: false, fate: Fate::Close }
                    };
                }
                d = &mut down => break d,
                u = &mut up, if up_end.is_none() => {
                    let client_side = matches!(u, Err(BodyError::SrcClosed | BodyError::SrcReset | BodyError::Invalid | BodyError::SrcTimeout));
                    up_end = Some(u);
                    if client_side {
                        break DownEnd::UpFailed;
                    }
                }
            }
        };
        // A response that ended before the request: give the request a chance to finish.
        if matches!(end, DownEnd::Done { .. }) && up_end.is_none() {
            match tokio::time::timeout(t_client, &mut up).await {
                Ok(r) => up_end = Some(r),
                Err(_) => end = DownEnd::Cut { term: *b"cD--" },
            }
        }
        end
    };
    if tx.status > 0 {
        be.observe(sc.srv.idx, Hana::for_status(tx.status as u16));
    }
    let up_ok = matches!(up_end, Some(Ok(_)));
    if let Some(Ok(n)) = up_end {
        tx.bytes_in += n;
    }
    match down_end {
        DownEnd::Done { server_keep, client_keep } => {
            let next = if client_keep && up_ok { Next::KeepAlive } else { Next::Close };
            (next, if server_keep && up_ok { Fate::Keep } else { Fate::Close })
        }
        DownEnd::Tunnel => {
            tunnel(c, sc, be, tx).await;
            (Next::Close, Fate::Close)
        }
        DownEnd::Cut { term } => {
            tx.term = term;
            (Next::Close, Fate::Close)
        }
        DownEnd::Replaced { msg, status, term, server_keep } => {
            tx.term = term;
            tx.status = i32::from(status);
            let (n, keep) = send_reply(c, &msg, client_keep && up_ok, info, tx).await;
            tx.bytes_out += n;
            let fate = if server_keep && up_ok { Fate::Keep } else { Fate::Rst };
            (if keep { Next::KeepAlive } else { Next::Close }, fate)
        }
        DownEnd::Failed { status, term, silent, fate } => {
            if silent {
                tx.no_log = true;
                return (Next::Silent, fate);
            }
            if term[0] == b'P' {
                be.observe(sc.srv.idx, Hana::HttpHdrRsp);
            }
            tx.term = term;
            tx.status = i32::from(status);
            let page = super::rules::error_page_forwarded(c, tx, be, status);
            let (n, keep) = send_reply(c, &page, client_keep && up_ok, info, tx).await;
            tx.bytes_out += n;
            (if keep { Next::KeepAlive } else { Next::Close }, fate)
        }
        DownEnd::UpFailed => match up_end {
            Some(Err(BodyError::Invalid)) => {
                tx.term = *b"PH--";
                let _ = sc.stream.shutdown().await;
                if !progress.head_sent.load(Relaxed) {
                    tx.status = 400;
                    let page = super::rules::error_page_forwarded(c, tx, be, 400);
                    let (n, _) = send_reply(c, &page, false, info, tx).await;
                    tx.bytes_out += n;
                }
                (Next::Close, Fate::Fin)
            }
            Some(Err(BodyError::SrcTimeout)) => {
                tx.term = *b"cD--";
                (Next::Close, Fate::Close)
            }
            _ => {
                tx.term = *b"CD--";
                (Next::Close, Fate::Close)
            }
        },
    }
}

/// After `101 Switching Protocols` or a `CONNECT` success: relay bytes both ways until both
/// sides close, under `timeout tunnel` (or the client and server timeouts).
async fn tunnel(c: &mut Conn, sc: &mut SrvConn, be: &Arc<Backend>, tx: &mut Txn) {
    let fe_t = &c.s.fe.spec.timeouts;
    let tunnel = ms(be.spec.timeouts.tunnel);
    let t = RelayTimeouts {
        client: tunnel.or(ms(fe_t.client)),
        server: tunnel.or(ms(be.spec.timeouts.server)),
        client_fin: ms(fe_t.client_fin),
        server_fin: ms(be.spec.timeouts.server_fin),
    };
    let up0 = std::mem::take(&mut c.cbuf);
    let down0 = std::mem::take(&mut c.sbuf);
    let stats = relay(&mut c.client, &mut sc.stream, t, c.s.eng.run_state.subscribe(), &sc.srv, &up0, &down0).await;
    tx.bytes_in += stats.up;
    tx.bytes_out += stats.down;
    tx.term = stats.end.term();
}

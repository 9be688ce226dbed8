//! `mode tcp` sessions: pick a server, connect (with retries and redispatch), then relay bytes
//! both ways under the client/server/tunnel timeouts. The log record is only built when the
//! frontend logs with a format.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::connect::{self, ConnectFailure};
use super::relay::{relay, RelayTimeouts};
use super::{ms_since, Session};
use crate::engine::backend::{Backend, Server};
use crate::engine::rules::source::Payload;

fn ms(v: Option<u32>) -> Option<Duration> {
    v.map(|m| Duration::from_millis(u64::from(m)))
}

/// Has the client sent anything (not read yet)?
fn client_sent_something(client: &TcpStream) -> bool {
    let mut b = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    matches!(socket2::SockRef::from(client).peek(&mut b), Ok(n) if n > 0)
}

/// Close the client side with a FIN, reading (and dropping) what it still sends for a moment so
/// that unread input does not turn the close into an RST.
async fn close_gracefully(client: &mut TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = client.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, client.read(&mut sink)).await {
        if n == 0 {
            break;
        }
    }
}

/// HAProxy's `channel_full`: content rules stop waiting for more data once the buffer holds
/// `tune.bufsize` less `tune.maxrewrite` (the buffer itself holds `tune.bufsize`).
fn inspect_sizes(s: &Session) -> (usize, usize) {
    let b = s.eng.buffers;
    ((b.bufsize - b.maxrewrite) as usize, b.bufsize as usize)
}

/// Which side content rules inspect: the client's bytes, or the server's (with the client's
/// bytes already sent, still visible to request fetches).
enum Side<'a> {
    Request,
    Response { request: &'a [u8] },
}

/// `tcp-request content` (or `tcp-response content`) rules over the first bytes of `peer`
/// (`buf`, kept to be relayed): the set runs, and while a condition lacks data that may still
/// come, more is read until `inspect-delay` expires, the buffer is full or the peer closes
/// (`closed`); the last run decides on what there is. Without a delay the set runs once, on
/// what has already arrived.
#[allow(clippy::too_many_arguments)]
async fn inspect<'r>(
    s: &mut Session,
    peer: &mut TcpStream,
    side: Side<'_>,
    rules: &'r [crate::ir::rules::ActionRule],
    delay: Option<u32>,
    be: Option<&Backend>,
    txn: &mut crate::engine::rules::vars::Vars,
    buf: &mut Vec<u8>,
    closed: &mut bool,
) -> crate::engine::rules::Verdict<'r> {
    use crate::engine::rules::Verdict;
    use tokio::io::AsyncReadExt;
    if rules.is_empty() {
        return Verdict::Continue;
    }
    // What has arrived already is there when the rules first run, as in HAProxy (whose first
    // read comes before its analysers), delay or not.
    let (full, cap) = inspect_sizes(s);
    read_ready(peer, buf, closed, cap);
    let deadline = delay.filter(|&d| d > 0).map(|d| tokio::time::Instant::now() + ms_u32(d));
    let missing = std::sync::atomic::AtomicBool::new(false);
    loop {
        let open = deadline.is_some_and(|d| tokio::time::Instant::now() < d);
        let partial = open && !*closed && buf.len() < full;
        let v = {
            let missing = partial.then_some(&missing);
            let payload = match side {
                Side::Request => Payload { req: Some(buf), res: None, response: false, missing },
                Side::Response { request } => Payload { req: Some(request), res: Some(buf), response: true, missing },
            };
            s.tcp_rules_on(rules, be, txn, payload)
        };
        let (Verdict::Missing, Some(d)) = (&v, deadline) else { return v };
        let mut chunk = [0u8; 4096];
        let room = cap.saturating_sub(buf.len()).min(chunk.len());
        match tokio::time::timeout_at(d, peer.read(&mut chunk[..room])).await {
            Ok(Ok(0)) | Ok(Err(_)) => *closed = true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            // The delay expired: the next run is the last.
            Err(_) => {}
        }
    }
}

/// Read what the peer has sent so far without waiting (up to the inspection buffer's size).
fn read_ready(peer: &TcpStream, buf: &mut Vec<u8>, closed: &mut bool, cap: usize) {
    use std::io::Read;
    let sock = socket2::SockRef::from(peer);
    let mut chunk = [0u8; 4096];
    while !*closed && buf.len() < cap {
        let room = (cap - buf.len()).min(chunk.len());
        match (&*sock).read(&mut chunk[..room]) {
            Ok(0) => *closed = true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(_) => *closed = true,
        }
    }
}

fn ms_u32(v: u32) -> Duration {
    Duration::from_millis(u64::from(v))
}

/// What a session records for its log line, cheap to fill.
struct Outcome {
    backend: Option<Arc<Backend>>,
    server: Option<Arc<Server>>,
    server_addr: Option<SocketAddr>,
    backend_src: Option<SocketAddr>,
    retries: u32,
    redispatched: bool,
    t_queue: i64,
    t_connect: i64,
    up: u64,
    down: u64,
    term: [u8; 4],
}

impl Outcome {
    fn log(&self, s: &Session, txn: &crate::engine::rules::vars::Vars, null: bool) {
        if !s.logs_lines() {
            return;
        }
        let mut rec = s.record();
        let stream = s.source(self.backend.as_deref(), txn, false);
        if let Some(u) = &s.fe.unique_id {
            rec.unique_id = String::from_utf8_lossy(u.of(&stream)).into_owned();
        }
        rec.samples = s.log_samples(&stream);
        rec.backend = match &self.backend {
            Some(b) => b.name.clone(),
            None => s.fe.name.clone(),
        };
        rec.server = match &self.server {
            Some(srv) => srv.name.clone(),
            None => "<NOSRV>".into(),
        };
        if let Some(b) = &self.backend {
            rec.beconn = b.counters.sessions.get();
        }
        if let Some(srv) = &self.server {
            rec.srv_conn = srv.counters.sessions.get();
        }
        rec.server_addr = self.server_addr;
        rec.backend_src = self.backend_src;
        rec.retries = self.retries;
        rec.redispatched = self.redispatched;
        rec.t_queue = self.t_queue;
        rec.t_connect = self.t_connect;
        rec.bytes_in = self.up;
        rec.bytes_out = self.down;
        rec.term = self.term;
        rec.t_total = ms_since(s.accepted);
        rec.t_active = rec.t_total;
        s.log(&rec, null);
    }
}

pub async fn serve(mut s: Session, mut client: TcpStream) {
    use crate::engine::rules::Verdict;
    // The session's one stream counts in CumReq and numbers `%rt`.
    s.stream_id = s.eng.total_requests.take();
    s.log_connect();
    let mut o = Outcome {
        backend: None,
        server: None,
        server_addr: None,
        backend_src: None,
        retries: 0,
        redispatched: false,
        t_queue: -1,
        t_connect: -1,
        up: 0,
        down: 0,
        term: *b"----",
    };
    let mut txn = crate::engine::rules::vars::Vars::default();
    txn.stream_id = s.stream_id;
    txn.accept_us = s.accept_us;
    let fe = s.fe.clone();
    // What the client sent while content rules inspected it, relayed first.
    let mut inbuf: Vec<u8> = Vec::new();
    let mut closed = false;
    let fe_rules = &fe.spec.tcp_request_content;
    let delay = fe.spec.tcp_request_inspect_delay;
    let v = inspect(&mut s, &mut client, Side::Request, fe_rules, delay, None, &mut txn, &mut inbuf, &mut closed).await;
    if let Verdict::Reject | Verdict::Close = v {
        fe.counters.denied_req.inc();
        o.term = *b"PR--";
        o.log(&s, &txn, false);
        close_gracefully(&mut client).await;
        return;
    }
    let payload = Payload { req: Some(&inbuf), ..Default::default() };
    let be = {
        let mut st = s.source(None, &txn, false);
        st.payload = payload;
        crate::engine::rules::switching::choose_backend(&st)
    };
    let Some(be) = be else {
        // No backend: HAProxy closes the connection at once.
        o.term = *b"SC--";
        o.log(&s, &txn, false);
        return;
    };
    o.backend = Some(be.clone());
    if be.spec.name != fe.spec.name || !fe.spec.caps.backend {
        let (rules, delay) = (&be.spec.tcp_request_content, be.spec.tcp_request_inspect_delay);
        let v = inspect(&mut s, &mut client, Side::Request, rules, delay, Some(&be), &mut txn, &mut inbuf, &mut closed)
            .await;
        if let Verdict::Reject | Verdict::Close = v {
            fe.counters.denied_req.inc();
            be.counters.denied_req.inc();
            o.term = *b"PR--";
            o.log(&s, &txn, false);
            close_gracefully(&mut client).await;
            return;
        }
    }
    let mut pending = crate::engine::stick::rules::Pending::default();
    let forced = {
        let mut st = s.source(Some(&be), &txn, false);
        st.payload = Payload { req: Some(&inbuf), ..Default::default() };
        let mut flags = be.rules.persist.rule_flags(&st);
        let mut forced = crate::engine::rules::switching::forced_server(&be, &st, flags.force);
        if forced.is_none() {
            // `persist rdp-cookie`: after use-server, before the stick rules.
            if let Some(name) = &be.spec.rdp_cookie {
                if let Some(i) = crate::engine::rules::switching::rdp_persist(&be, &inbuf, name) {
                    flags.direct = true;
                    forced = be.servers.get(i).cloned();
                }
            }
        }
        if let Some(s) = &forced {
            flags.assigned = Some(s.idx);
        }
        let stick = &be.rules.stick;
        if !stick.rules.request.is_empty() {
            let view = crate::engine::stick::backend::View { be: &be, keys: &stick.keys };
            let now = crate::engine::stick::now_ms();
            stick.rules.on_request(&st, &view, be.rules.persist.persist, &mut flags, &mut pending, now);
            if forced.is_none() {
                forced = flags.assigned.and_then(|i| be.servers.get(i).cloned());
            }
        }
        (forced, flags.force)
    };
    let (forced, force_persist) = forced;
    be.counters.sessions.inc();
    super::session_started(&be.counters);
    let src_key: [u8; 16] = match s.client.ip() {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(v6) => v6.octets(),
    };
    let key: &[u8] = if s.client.is_ipv4() { &src_key[12..] } else { &src_key };
    // `balance hash <expr>` hashes the expression's bytes (the inspected payload included).
    let expr_key = match &be.spec.balance {
        // `balance rdp-cookie[(<name>)]`: the cookie's value.
        crate::ir::types::Balance::Rdp { cookie } => {
            match crate::acl::payload::rdp_cookie(&inbuf, cookie.as_deref().unwrap_or("mstshash").as_bytes()) {
                crate::acl::payload::Got::Yes((), v) => Some(v.to_vec()),
                _ => None,
            }
        }
        crate::ir::types::Balance::Hash { .. } => {
            let mut st = s.source(Some(&be), &txn, false);
            st.payload = Payload { req: Some(&inbuf), ..Default::default() };
            crate::engine::rules::switching::balance_key(&be, &st)
        }
        _ => None,
    };
    let key = match be.spec.balance {
        crate::ir::types::Balance::Hash { .. } | crate::ir::types::Balance::Rdp { .. } => expr_key.as_deref(),
        _ => Some(key),
    };
    let mut origin = s.origin();
    // A PROXY v2 `unique-id` TLV carries the stream's ID (HAProxy generates it for the header).
    origin.unique_id = s.fe.unique_id.as_ref().map(|u| u.of(&s.source(Some(&be), &txn, false)));
    match connect::connect(&s.eng, &be, key, s.local.port(), forced, force_persist, &origin).await {
        Err(f) => {
            o.server = f.server.clone();
            txn.server = f.server.clone();
            o.server_addr = f.addr;
            o.backend_src = f.local;
            o.retries = f.retries;
            o.redispatched = f.redispatched;
            o.t_queue = if f.why == ConnectFailure::NoServer { -1 } else { f.t_queue.as_millis() as i64 };
            o.term = match f.why {
                ConnectFailure::QueueTimeout => *b"sQ--",
                ConnectFailure::Timeout => *b"sC--",
                _ => *b"SC--",
            };
            be.counters.sessions.dec();
            // A session is null (`dontlognull`) when the client sent nothing.
            o.log(&s, &txn, inbuf.is_empty() && !client_sent_something(&client));
            close_gracefully(&mut client).await;
        }
        Ok(mut c) => {
            let srv = c.server.clone();
            srv.counters.sessions.inc();
            super::session_started(&srv.counters);
            if !c.direct {
                // Only servers the balancer chose count in lbtot.
                srv.counters.lb_total.inc();
                be.counters.lb_total.inc();
            }
            o.server = Some(srv.clone());
            txn.server = Some(srv.clone());
            o.server_addr = Some(c.addr);
            if s.logs_lines() {
                o.backend_src = c.stream.local_addr().ok();
            }
            o.retries = c.retries;
            o.redispatched = c.redispatched;
            o.t_queue = c.t_queue.as_millis() as i64;
            o.t_connect = c.t_connect.as_millis() as i64;
            // tcp-response content rules, once the server connection is up; with an
            // inspect-delay they wait for the server's bytes (the client's go first).
            let mut outbuf: Vec<u8> = Vec::new();
            let mut sent_first = 0u64;
            let res_rules = &be.spec.tcp_response_content;
            let res_delay = be.spec.tcp_response_inspect_delay;
            if !res_rules.is_empty() && res_delay.is_some_and(|d| d > 0) && !inbuf.is_empty() {
                use tokio::io::AsyncWriteExt;
                if c.stream.write_all(&inbuf).await.is_ok() {
                    sent_first = inbuf.len() as u64;
                }
            }
            let mut server_closed = false;
            let side = Side::Response { request: &inbuf };
            let verdict = inspect(
                &mut s,
                &mut c.stream,
                side,
                res_rules,
                res_delay,
                Some(&be),
                &mut txn,
                &mut outbuf,
                &mut server_closed,
            )
            .await;
            if let Verdict::Reject | Verdict::Close = verdict {
                let reject = matches!(verdict, Verdict::Reject);
                if reject {
                    fe.counters.denied_resp.inc();
                    be.counters.denied_resp.inc();
                    srv.counters.denied_resp.inc();
                }
                if !reject {
                    let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
                }
                drop(c.stream);
                super::record_times(&be, Some(&srv), o.t_queue, o.t_connect, 0, ms_since(s.accepted));
                srv.counters.sessions.dec();
                be.release(&srv);
                be.counters.sessions.dec();
                o.term = if reject { *b"PD--" } else { *b"----" };
                o.log(&s, &txn, inbuf.is_empty() && !client_sent_something(&client));
                close_gracefully(&mut client).await;
                return;
            }
            // Then the store rules, on the bytes the response rules saw.
            let stick = &be.rules.stick;
            if !pending.is_empty() || !stick.rules.response.is_empty() {
                let mut st = s.source(Some(&be), &txn, true);
                st.payload = Payload { req: Some(&inbuf), res: Some(&outbuf), response: true, missing: None };
                let view = crate::engine::stick::backend::View { be: &be, keys: &stick.keys };
                stick.rules.on_response(&st, &view, srv.idx, &mut pending, crate::engine::stick::now_ms());
            }
            let p = &be.spec;
            let fe_t = &s.fe.spec.timeouts;
            let tunnel = ms(p.timeouts.tunnel);
            let t = RelayTimeouts {
                client: tunnel.or(ms(fe_t.client)),
                server: tunnel.or(ms(p.timeouts.server)),
                client_fin: ms(fe_t.client_fin),
                server_fin: ms(p.timeouts.server_fin),
            };
            let first_up: &[u8] = if sent_first > 0 { &[] } else { &inbuf };
            let kill = s.eng.run_state.subscribe();
            let mut stats = relay(&mut client, &mut c.stream, t, kill, &srv, first_up, &outbuf).await;
            stats.up += sent_first;
            srv.counters.bytes_in.add(stats.up);
            srv.counters.bytes_out.add(stats.down);
            // In TCP mode the response time is the connect time, so its share is 0.
            super::record_times(&be, Some(&srv), o.t_queue, o.t_connect, 0, ms_since(s.accepted));
            srv.counters.sessions.dec();
            be.release(&srv);
            be.counters.bytes_in.add(stats.up);
            be.counters.bytes_out.add(stats.down);
            s.fe.counters.bytes_in.add(stats.up);
            s.fe.counters.bytes_out.add(stats.down);
            be.counters.sessions.dec();
            // Tracked counters count the traffic (HAProxy counts it as it flows; the totals agree).
            txn.stk.bytes(Some(&s.vars.stk), stats.up, stats.down, crate::engine::stick::now_ms());
            o.up = stats.up;
            o.down = stats.down;
            o.term = stats.end.term();
            o.log(&s, &txn, stats.up == 0);
        }
    }
}

//! `mode http` sessions over HTTP/1.x on both sides, as HAProxy 2.6 serves them.
//!
//! A client connection ([`Conn`]) reads request heads one after the other. What the connection
//! layer refuses (unparsable heads, bad lengths, heads not complete in time) gets HAProxy's raw
//! 400/408/422 and a close; everything else becomes a transaction ([`txn`]): monitor-uri, backend
//! choice, a server connection (the session's own idle one, one from the server's idle
//! [`pool`], or a new one), the request forwarded while the response is awaited (full duplex),
//! and one log line. Buffers live with the connection and are reused by every request; log
//! records are only built when the frontend has somewhere to send them.
//!
//! Files: [`parse`] (heads), [`msg`] (what a head means, how it is re-serialised), [`body`]
//! (lengths, re-chunking), [`errors`] (HAProxy's own pages), [`pool`] (idle server connections
//! and `http-reuse`), `txn` (one request/response exchange), `txlog` (log fields).

pub mod body;
mod bufreq;
pub mod capture;
mod download;
pub mod errors;
pub mod msg;
pub mod parse;
pub mod pool;
mod redir;
pub mod rules;
mod stats;
mod txlog;
mod txn;

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Session;
use crate::engine::backend::{Backend, Server};
use crate::ir::types::{HttpReuse, Proxy};
use msg::Refusal;
use parse::{Head, ParseError};
use txlog::Txn;

/// Practically forever, for timeouts that are not set.
pub(crate) const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// How long a closing client connection is drained so that our FIN is not turned into an RST
/// by unread input.
const DRAIN: Duration = Duration::from_secs(1);
/// Idle connections a session keeps for itself (HAProxy's max-session-srv-conns).
const OWN_MAX: usize = 5;

pub(crate) fn ms(v: Option<u32>) -> Option<Duration> {
    v.map(|m| Duration::from_millis(u64::from(m)))
}

/// Monotonic milliseconds since the first use, for activity stamps shared between the two
/// directions of an exchange.
pub(crate) fn clock_ms() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    START.elapsed().as_millis() as u64
}

/// The HTTP connection mode in effect for a transaction (frontend and backend options
/// combined, the most closing one wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnMode {
    KeepAlive,
    ServerClose,
    Close,
}

pub(crate) fn conn_mode(p: &Proxy) -> ConnMode {
    let o = &p.options;
    if o.is_on("httpclose") || o.is_on("forceclose") {
        ConnMode::Close
    } else if o.is_on("http-server-close") {
        ConnMode::ServerClose
    } else {
        ConnMode::KeepAlive
    }
}

pub(crate) fn combined_mode(fe: &Proxy, be: &Proxy) -> ConnMode {
    let rank = |m: ConnMode| match m {
        ConnMode::KeepAlive => 0,
        ConnMode::ServerClose => 1,
        ConnMode::Close => 2,
    };
    let (a, b) = (conn_mode(fe), conn_mode(be));
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// An established server connection serving (or kept idle for) this session.
pub(crate) struct SrvConn {
    pub stream: TcpStream,
    pub srv: Arc<Server>,
    pub be: Arc<Backend>,
    pub addr: SocketAddr,
    /// Requests it has carried.
    pub requests: u32,
}

impl SrvConn {
    /// Give the connection back for later requests: to the session (`never`, `safe`,
    /// `aggressive`) or to the server's shared pool (`always`).
    fn keep(self, own: &mut Vec<SrvConn>) {
        if self.be.spec.http_reuse == HttpReuse::Always && !self.private() {
            self.into_pool();
        } else {
            own.push(self);
            if own.len() > OWN_MAX {
                own.remove(0).release();
            }
        }
    }

    fn into_pool(self) {
        let idle =
            pool::Idle { stream: self.stream, addr: self.addr, reused: self.requests > 1, since: Instant::now() };
        let need = self.srv.counters.sessions.max() as usize;
        self.srv.idle.put(idle, need);
    }

    /// Did it start with a PROXY header about this session's client? Then no other session
    /// may use it.
    fn private(&self) -> bool {
        crate::engine::proxy::pp::encode::SendProxy::of(&self.srv.spec.opts).enabled()
    }

    /// The session is done with it: pooled, or closed under `http-reuse never`. A private one
    /// waits in the pool like the others (as HAProxy's, under its PROXY header's hash) and
    /// goes when the pool purges it.
    fn release(self) {
        if self.be.spec.http_reuse == HttpReuse::Never {
            pool::close_rst(self.stream);
        } else {
            self.into_pool();
        }
    }
}

/// One client connection and everything reused from one request to the next.
pub(crate) struct Conn {
    pub s: Session,
    pub client: TcpStream,
    /// Bytes from the client not consumed yet (the next head, pipelined requests).
    pub cbuf: BytesMut,
    /// Bytes from the server not consumed yet.
    pub sbuf: BytesMut,
    pub head: Head,
    pub rhead: Head,
    /// Heads as they are sent.
    pub out: Vec<u8>,
    /// Working space for request bodies, and for response heads and bodies.
    pub up: body::Scratch,
    pub down: body::Scratch,
    /// Idle server connections this session keeps for its next requests.
    pub own: Vec<SrvConn>,
    /// The next request is the first one of the connection.
    pub first: bool,
    /// The request line for the log, filled only when the frontend logs.
    pub req_line: String,
    pub t_client: Duration,
    pub t_http_request: Duration,
    pub t_keepalive: Duration,
    /// `sess.*` variables.
    pub sess_vars: crate::engine::rules::vars::Vars,
}

/// How reading a request head ended. "Empty" variants received nothing at all.
enum ReadHead {
    Ok,
    ClosedEmpty,
    Closed,
    TimeoutEmpty,
    Timeout,
    Invalid,
    Stopping,
}

/// What happens to the client connection after a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Read the next request.
    KeepAlive,
    /// Close (FIN after the response).
    Close,
    /// Close now; nothing was sent for this request and nothing is logged.
    Silent,
    /// `silent-drop`: the client connection disappears without a packet.
    Drop,
}

pub async fn serve(s: Session, client: TcpStream) {
    let t = s.fe.spec.timeouts;
    let t_client = ms(t.client).unwrap_or(FAR);
    let t_http_request = ms(t.http_request).unwrap_or(t_client);
    let t_keepalive = ms(t.http_keep_alive).unwrap_or(t_http_request);
    let limits = s.eng.http_limits;
    let mut c = Conn {
        s,
        client,
        // No buffer until the client sends something (see `read_head`).
        cbuf: BytesMut::new(),
        sbuf: BytesMut::new(),
        head: Head::with_limits(limits),
        rhead: Head::with_limits(limits),
        out: Vec::new(),
        up: body::Scratch::default(),
        down: body::Scratch::default(),
        own: Vec::new(),
        first: true,
        req_line: String::new(),
        t_client,
        t_http_request,
        t_keepalive,
        sess_vars: Default::default(),
    };
    c.sess_vars = std::mem::take(&mut c.s.vars);
    c.run().await;
    for sc in c.own.drain(..) {
        sc.release();
    }
    c.release_buffers();
}

impl Conn {
    async fn run(&mut self) {
        let mut idle_from = self.s.accepted;
        loop {
            let idle_until = idle_from + if self.first { self.t_http_request } else { self.t_keepalive };
            self.idle_wait(idle_until).await;
            // Boxed: a request's state machine (head, rules, exchange) is several KiB, and an
            // idle connection should not carry it. One allocation per request, served from the
            // allocator's free lists, buys an idle footprint of HAProxy's order.
            let next = Box::pin(self.one_request(idle_from)).await;
            match next {
                Next::KeepAlive if !self.s.eng.is_stopping() => {
                    self.first = false;
                    idle_from = Instant::now();
                    // Waiting for the next request costs no buffer memory.
                    self.release_buffers();
                }
                Next::Silent => {
                    self.end_session();
                    let _ = self.client.shutdown().await;
                    return;
                }
                Next::Drop => {
                    self.end_session();
                    super::sockopt::silent_drop(&self.client);
                    return;
                }
                _ => {
                    self.end_session();
                    self.close_client().await;
                    return;
                }
            }
        }
    }

    /// Wait, holding nothing, until the client sends something, the idle timer expires or the
    /// process starts stopping; [`Conn::one_request`] then decides what it means with the same
    /// deadlines.
    async fn idle_wait(&mut self, until: Instant) {
        if !self.cbuf.is_empty() {
            return;
        }
        let mut stop = self.s.eng.run_state.subscribe();
        let mut probe = [0u8; 1];
        tokio::select! {
            r = tokio::time::timeout_at(until.into(), self.client.peek(&mut probe)) => {
                // Bytes are there: take the buffer now, so `read_head` need not peek again.
                if let Ok(Ok(1..)) = r {
                    self.cbuf = super::bufpool::take();
                }
            }
            _ = stop.changed() => {}
        }
    }

    /// The session is over: what it tracks is released before the client sees the close, as
    /// HAProxy frees its stream before anything else can look at the table.
    fn end_session(&mut self) {
        self.sess_vars.stk.release(crate::engine::stick::now_ms());
    }

    /// Hand the empty I/O buffers back to the pool (what they still hold is kept).
    fn release_buffers(&mut self) {
        for b in [&mut self.cbuf, &mut self.sbuf] {
            if b.is_empty() && b.capacity() > 0 {
                super::bufpool::give(b);
            }
        }
    }

    /// Close the client connection with a FIN, then read (and drop) what the client still
    /// sends for a moment, so that unread input does not turn the close into an RST.
    async fn close_client(&mut self) {
        let _ = self.client.shutdown().await;
        let deadline = tokio::time::Instant::now() + DRAIN;
        // A pooled buffer, not an array: an array would live in every connection's task.
        self.cbuf.clear();
        if self.cbuf.capacity() == 0 {
            self.cbuf = super::bufpool::take();
        }
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, self.client.read_buf(&mut self.cbuf)).await {
            self.cbuf.clear();
            if n == 0 {
                break;
            }
        }
    }

    async fn read_head(
        &mut self,
        idle_until: Instant,
        head_until: Instant,
        first_byte: &mut Option<Instant>,
    ) -> ReadHead {
        let mut stop = self.s.eng.run_state.subscribe();
        loop {
            let empty = self.cbuf.iter().all(|&b| b == b'\r' || b == b'\n');
            if !empty && first_byte.is_none() {
                *first_byte = Some(Instant::now());
            }
            if !empty {
                match parse::parse_request(&mut self.cbuf, &mut self.head) {
                    Ok(true) => return ReadHead::Ok,
                    Ok(false) => {}
                    Err(ParseError::Invalid) | Err(ParseError::TooLarge) => return ReadHead::Invalid,
                }
            }
            if empty && self.s.eng.is_stopping() {
                return ReadHead::Stopping;
            }
            // A later request's head is timed from its first byte (the keep-alive timer stops
            // there); the first request's from the accept.
            let deadline = match (empty, *first_byte) {
                (true, _) => idle_until,
                (false, Some(fb)) if !self.first => fb + self.t_http_request,
                (false, _) => head_until,
            };
            if self.cbuf.capacity() == 0 {
                // An idle connection holds no buffer: wait for bytes (or the end) before taking
                // one. `peek`, not `readable`, which may wake up with nothing to read.
                let mut probe = [0u8; 1];
                let ready = tokio::time::timeout_at(deadline.into(), self.client.peek(&mut probe));
                let r = tokio::select! {
                    r = ready => r,
                    _ = stop.changed(), if empty => continue,
                };
                match r {
                    Ok(Ok(_)) => self.cbuf = super::bufpool::take(),
                    Ok(Err(_)) => return if empty { ReadHead::ClosedEmpty } else { ReadHead::Closed },
                    Err(_) => return if empty { ReadHead::TimeoutEmpty } else { ReadHead::Timeout },
                }
            }
            if self.cbuf.capacity() - self.cbuf.len() < 2048 {
                self.cbuf.reserve(8 * 1024);
            }
            let read = tokio::time::timeout_at(deadline.into(), self.client.read_buf(&mut self.cbuf));
            let r = tokio::select! {
                r = read => r,
                _ = stop.changed(), if empty => continue,
            };
            match r {
                Ok(Ok(0)) | Ok(Err(_)) => return if empty { ReadHead::ClosedEmpty } else { ReadHead::Closed },
                Ok(Ok(_)) => {}
                Err(_) => return if empty { ReadHead::TimeoutEmpty } else { ReadHead::Timeout },
            }
        }
    }

    /// Serve one request: read its head, refuse it or run the transaction, log it.
    async fn one_request(&mut self, idle_from: Instant) -> Next {
        self.head.reset();
        let idle_until = idle_from + if self.first { self.t_http_request } else { self.t_keepalive };
        let head_until = idle_from + self.t_http_request;
        let mut first_byte = None;
        let outcome = self.read_head(idle_until, head_until, &mut first_byte).await;
        // Requests that never made it: the connection layer answers (or not) and closes.
        let failed: Option<(u16, [u8; 4], bool)> = match outcome {
            ReadHead::Ok => None,
            ReadHead::Stopping => return Next::Silent,
            // An idle keep-alive connection that ends is not a request: no log, no answer.
            ReadHead::ClosedEmpty | ReadHead::TimeoutEmpty if !self.first => return Next::Silent,
            // A client that closed its side can still read the 400.
            ReadHead::ClosedEmpty => Some((400, *b"CR--", true)),
            ReadHead::Closed => Some((400, *b"CR--", false)),
            ReadHead::TimeoutEmpty => Some((408, *b"cR--", true)),
            ReadHead::Timeout => Some((408, *b"cR--", false)),
            ReadHead::Invalid => Some((400, *b"PR--", false)),
        };
        if let Some((status, term, null)) = failed {
            self.refuse(status, term, null, idle_from).await;
            return Next::Close;
        }
        let mut info = match msg::analyze_request(&self.head, &self.cbuf) {
            Ok(i) => i,
            Err(r) => {
                let status = if r == Refusal::Unprocessable { 422 } else { 400 };
                self.refuse(status, *b"PR--", false, idle_from).await;
                return Next::Close;
            }
        };
        if info.framing == Some(body::Framing::Chunked) && !body::chunked_prefix_ok(&self.cbuf[self.head.len..]) {
            self.refuse(400, *b"PR--", false, idle_from).await;
            return Next::Close;
        }
        let started = first_byte.unwrap_or_else(Instant::now);
        let mut tx = Txn::new(started, idle_from);
        if !self.s.fe.spec.tcp_request_content.is_empty() && self.content_rules_reject(&mut tx.vars) {
            self.rejected(idle_from);
            return Next::Close;
        }
        let caps = &self.s.fe.rules.captures;
        if !caps.req.is_empty() || !caps.resp.is_empty() {
            tx.captured_req = capture::headers(&caps.req, &self.head, &self.cbuf);
            tx.captured_resp = capture::empty(&caps.resp);
        }
        let now = crate::engine::stick::now_ms();
        // Every request counts on the counters tracked so far (HAProxy's
        // `stream_inc_http_req_ctr`); an `http-request track-sc` counts it when it tracks.
        tx.vars.stk.http_request(Some(&self.sess_vars.stk), now);
        self.s.fe.counters.requests.inc();
        self.s.fe.counters.req_rate.hit(now);
        self.s.stream_id = self.s.eng.total_requests.take();
        tx.vars.stream_id = self.s.stream_id;
        tx.vars.accept_us = self.s.accept_us;
        self.s.log_connect();
        let logging = self.s.logs_lines();
        if logging {
            self.req_line.clear();
            // The request line as HAProxy stored it: the URI without a default port.
            let h = &self.head;
            let b = &self.cbuf;
            let lossy = |r: std::ops::Range<usize>| String::from_utf8_lossy(&b[r]);
            self.req_line.push_str(&lossy(h.method.clone()));
            self.req_line.push(' ');
            match &info.uri_cut {
                Some(cut) => {
                    self.req_line.push_str(&lossy(h.uri.start..cut.start));
                    self.req_line.push_str(&lossy(cut.end..h.uri.end));
                }
                None => self.req_line.push_str(&lossy(h.uri.clone())),
            }
            self.req_line.push(' ');
            self.req_line.push_str(&lossy(h.version_text.clone()));
        }
        let next = txn::run(self, &mut info, &mut tx).await;
        tx.count_tracked(&self.sess_vars.stk);
        if logging && !tx.no_log {
            let rec = tx.record(self);
            self.s.log(&rec, false);
        }
        next
    }

    /// The connection layer refuses a request: the raw page, a log line for `<BADREQ>`, and the
    /// connection closes.
    async fn refuse(&mut self, status: u16, term: [u8; 4], null: bool, idle_from: Instant) {
        let fe = &self.s.fe;
        fe.counters.req_errors.inc();
        if term[0] == b'C' {
            fe.counters.cli_aborts.inc();
        }
        let page = errors::mux_page(&fe.spec, status);
        let _ = tokio::time::timeout(self.t_client, self.client.write_all(page)).await;
        fe.counters.http.record(status);
        if self.s.logs_lines() {
            let mut rec = self.s.record();
            rec.status = i32::from(status);
            rec.term = term;
            rec.backend = fe.name.clone();
            rec.server = "<NOSRV>".into();
            rec.t_request = -1;
            rec.t_idle = -1;
            rec.request_us = chrono::Utc::now().timestamp_micros() - idle_from.elapsed().as_micros() as i64;
            rec.t_active = idle_from.elapsed().as_millis() as i64;
            rec.t_total = self.s.accepted.elapsed().as_millis() as i64;
            // No stream carried this request: HAProxy's session-level log line draws the next
            // stream number when it is built.
            rec.stream_id = self.s.eng.total_requests.take();
            let no_vars = crate::engine::rules::vars::Vars::default();
            let mut st = self.s.source(None, &no_vars, false);
            st.session_only = true;
            rec.samples = self.s.log_samples(&st);
            self.s.log_as(&rec, null, true);
        }
        // What follows a refused head is never read as a request.
        self.cbuf.clear();
    }

    /// The frontend's `tcp-request content` rules, run on each request in HTTP mode (HAProxy
    /// runs them for every stream, before the HTTP analysis). True if they reject it.
    fn content_rules_reject(&mut self, txn: &mut crate::engine::rules::vars::Vars) -> bool {
        use crate::engine::rules::{exec, Msg, Verdict};
        let fe = self.s.fe.clone();
        let Conn { s, head, cbuf, sess_vars, .. } = self;
        let mut cx = exec::Ctx {
            eng: &s.eng,
            fe: &s.fe,
            be: None,
            client: s.client,
            local: s.local,
            sess: sess_vars,
            txn,
            payload: Default::default(),
        };
        let v = exec::run(&mut cx, &fe.spec.tcp_request_content, Some(Msg { head, buf: cbuf, response: false }));
        matches!(v, Verdict::Reject | Verdict::Close)
    }

    /// A request refused by `tcp-request content` rules: closed without an answer, logged as a
    /// bad request (the HTTP analysis had not started).
    fn rejected(&mut self, idle_from: Instant) {
        let fe = &self.s.fe;
        fe.counters.denied_req.inc();
        if self.s.logs_lines() {
            let mut rec = self.s.record();
            rec.status = -1;
            rec.term = *b"PR--";
            rec.backend = fe.name.clone();
            rec.server = "<NOSRV>".into();
            rec.t_request = -1;
            rec.t_idle = -1;
            rec.request_us = chrono::Utc::now().timestamp_micros() - idle_from.elapsed().as_micros() as i64;
            rec.t_active = idle_from.elapsed().as_millis() as i64;
            rec.t_total = self.s.accepted.elapsed().as_millis() as i64;
            let no_vars = crate::engine::rules::vars::Vars::default();
            rec.samples = self.s.log_samples(&self.s.source(None, &no_vars, false));
            self.s.log_as(&rec, false, true);
        }
        self.cbuf.clear();
    }

    /// The request and the next bytes of the client buffer: consume the head.
    fn consume_head(&mut self) {
        let n = self.head.len;
        self.cbuf.advance(n);
    }
}

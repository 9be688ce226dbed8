//! What one transaction records for its log line: cheap fields filled as it goes (times,
//! sizes, status, flags, the server), turned into a [`LogRecord`] only when a line is written.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::Conn;
use crate::engine::backend::{Backend, Server};
use crate::log::LogRecord;

pub(crate) struct Txn {
    /// The first byte of the request arrived.
    pub start: Instant,
    pub start_us: i64,
    /// The connection was idle since (end of the previous response, or accept).
    pub idle_from: Instant,
    /// TR: from the first byte to the end of the head.
    pub t_request: i64,
    pub t_queue: i64,
    pub t_connect: i64,
    pub t_response: i64,
    pub status: i32,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub term: [u8; 4],
    pub retries: u32,
    pub redispatched: bool,
    pub backend: Option<Arc<Backend>>,
    pub server: Option<Arc<Server>>,
    pub server_addr: Option<SocketAddr>,
    pub backend_src: Option<SocketAddr>,
    /// HAProxy writes no line for this transaction (monitor-uri, a silent close).
    pub no_log: bool,
    /// `txn.*`, `req.*` and `res.*` variables.
    pub vars: crate::engine::rules::vars::Vars,
    /// Cookie persistence state (the last two characters of `%tsc`, `%CC`, `%CS`).
    pub cookie: crate::engine::persist::cookie::CookieTxn,
    /// `capture request|response header` values (`%hr`, `%hs`).
    pub captured_req: Vec<String>,
    pub captured_resp: Vec<String>,
}

impl Txn {
    pub fn new(start: Instant, idle_from: Instant) -> Txn {
        let ago = start.elapsed();
        Txn {
            start,
            start_us: chrono::Utc::now().timestamp_micros() - ago.as_micros() as i64,
            idle_from,
            t_request: ago.as_millis() as i64,
            t_queue: -1,
            t_connect: -1,
            t_response: -1,
            status: -1,
            bytes_in: 0,
            bytes_out: 0,
            term: *b"----",
            retries: 0,
            redispatched: false,
            backend: None,
            server: None,
            server_addr: None,
            backend_src: None,
            no_log: false,
            vars: Default::default(),
            cookie: Default::default(),
            captured_req: Vec::new(),
            captured_resp: Vec::new(),
        }
    }

    /// The log record, built when a line is written.
    /// What the stream's stick counters count once the transaction is over (they are
    /// released when it is dropped): a 4xx of a denied request or 4xx/5xx of a server
    /// response (HAProxy's `http_err_*` / `http_fail_*`), and the bytes exchanged.
    /// `session`: the counters the session tracks (a stream counts on them where it tracks
    /// nothing itself).
    pub fn count_tracked(&self, session: &crate::engine::stick::track::StkCtrs) {
        let stk = &self.vars.stk;
        if !stk.any(Some(session)) {
            return;
        }
        let now = crate::engine::stick::now_ms();
        let denied = &self.term[..2] == b"PR";
        if (denied || self.t_response >= 0) && self.status > 0 {
            stk.http_status(Some(session), self.status as u16, now);
        }
        stk.bytes(Some(session), self.bytes_in, self.bytes_out, now);
    }

    pub fn record(&self, c: &Conn) -> LogRecord {
        let mut r = c.s.record();
        r.request_us = self.start_us;
        r.t_idle = self.start.saturating_duration_since(self.idle_from).as_millis() as i64;
        r.t_request = self.t_request;
        r.t_queue = self.t_queue;
        r.t_connect = self.t_connect;
        r.t_response = self.t_response;
        r.t_active = self.start.elapsed().as_millis() as i64;
        r.t_total = c.s.accepted.elapsed().as_millis() as i64;
        r.status = self.status;
        r.bytes_in = self.bytes_in;
        r.bytes_out = self.bytes_out;
        r.term = self.term;
        // The cookie characters follow the backend (a listen section is its own backend).
        let be =
            self.backend.as_ref().or_else(|| c.s.fe.spec.caps.backend.then(|| c.s.eng.backend(&c.s.fe.name)).flatten());
        if let Some(b) = be {
            let t = self.cookie.tsc(b.rules.persist.cookie.as_ref());
            r.term[2..].copy_from_slice(&t);
        }
        r.retries = self.retries;
        r.redispatched = self.redispatched;
        r.backend = match &self.backend {
            Some(b) => b.name.clone(),
            None => c.s.fe.name.clone(),
        };
        r.server = match &self.server {
            Some(s) => s.name.clone(),
            None => "<NOSRV>".into(),
        };
        if let Some(b) = &self.backend {
            r.beconn = b.counters.sessions.get();
        }
        if let Some(s) = &self.server {
            r.srv_conn = s.counters.sessions.get();
        }
        r.server_addr = self.server_addr;
        r.backend_src = self.backend_src;
        r.captured_req_headers.clone_from(&self.captured_req);
        r.captured_resp_headers.clone_from(&self.captured_resp);
        if !self.vars.captures.is_empty() {
            let caps = &c.s.fe.rules.captures;
            caps.apply_rules(&self.vars.captures, &mut r.captured_req_headers, &mut r.captured_resp_headers);
        }
        let cookie = |c: &Option<Vec<u8>>| c.as_deref().map(|v| String::from_utf8_lossy(v).into_owned());
        if let Some(v) = cookie(&self.cookie.cli_cookie) {
            r.req_cookie = v;
        }
        if let Some(v) = cookie(&self.cookie.srv_cookie) {
            r.resp_cookie = v;
        }
        // The request is gone by then, as in HAProxy (its head may be consumed here).
        let mut s = super::rules::stream(c, self, self.backend.as_deref());
        s.req = None;
        if let Some(u) = &c.s.fe.unique_id {
            // Generated for the log line if nothing asked for it before (HAProxy's `strm_log`).
            r.unique_id = String::from_utf8_lossy(u.of(&s)).into_owned();
        }
        r.samples = c.s.log_samples(&s);
        r.request_line.clone_from(&c.req_line);
        let mut words = c.req_line.splitn(3, ' ');
        r.method = words.next().unwrap_or("").to_string();
        r.uri = words.next().unwrap_or("").to_string();
        r.version = words.next().unwrap_or("").to_string();
        r
    }
}

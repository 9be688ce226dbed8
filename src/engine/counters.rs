//! Traffic counters per frontend, backend and server, as lock-free atomics. Names follow the
//! `show stat` columns they feed (scur, smax, stot, bin, bout, econ, eresp, wretr, wredis, ...).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A current-value gauge that also remembers its maximum (scur/smax, qcur/qmax).
#[derive(Debug, Default)]
pub struct Gauge {
    cur: AtomicU64,
    max: AtomicU64,
}

impl Gauge {
    pub fn inc(&self) -> u64 {
        let v = self.cur.fetch_add(1, Relaxed) + 1;
        self.max.fetch_max(v, Relaxed);
        v
    }
    pub fn dec(&self) {
        // Never wrap below zero, even if a bug decrements twice.
        let _ = self.cur.fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1)));
    }
    pub fn get(&self) -> u64 {
        self.cur.load(Relaxed)
    }
    pub fn max(&self) -> u64 {
        self.max.load(Relaxed)
    }
    pub fn reset_max(&self) {
        self.max.store(self.cur.load(Relaxed), Relaxed);
    }
}

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Relaxed);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
    pub fn reset(&self) {
        self.0.store(0, Relaxed);
    }
}

/// HTTP response classes, hrsp_1xx .. hrsp_5xx and hrsp_other.
#[derive(Debug, Default)]
pub struct HttpStatusCounters {
    pub by_class: [Counter; 6],
}

impl HttpStatusCounters {
    pub fn record(&self, status: u16) {
        let idx = match status {
            100..=199 => 0,
            200..=299 => 1,
            300..=399 => 2,
            400..=499 => 3,
            500..=599 => 4,
            _ => 5,
        };
        self.by_class[idx].inc();
    }
}

/// Counters shared by frontends, backends and servers (unused ones stay zero).
#[derive(Debug, Default)]
pub struct Counters {
    /// Current sessions (scur/smax).
    pub sessions: Gauge,
    /// Cumulated sessions (stot).
    pub total: Counter,
    /// Bytes in (from clients) and out (to clients).
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    /// Denied requests/responses.
    pub denied_req: Counter,
    pub denied_resp: Counter,
    /// Request errors (ereq), connection errors (econ), response errors (eresp).
    pub req_errors: Counter,
    pub conn_errors: Counter,
    pub resp_errors: Counter,
    /// Retries (wretr) and redispatches (wredis).
    pub retries: Counter,
    pub redispatches: Counter,
    /// Times a server was picked by the load balancer (lbtot).
    pub lb_total: Counter,
    /// Queue (qcur/qmax).
    pub queue: Gauge,
    pub http: HttpStatusCounters,
    /// Total HTTP requests (req_tot).
    pub requests: Counter,
    /// Client and server aborts (cli_abrt / srv_abrt).
    pub cli_aborts: Counter,
    pub srv_aborts: Counter,
    /// Requests intercepted by the proxy itself (monitor-uri, stats...).
    pub intercepted: Counter,
    /// Connections and sessions refused by `tcp-request connection|session` rules (dcon, dses).
    pub denied_conn: Counter,
    pub denied_sess: Counter,
    /// Internal errors (eint), e.g. a rewrite that could not be applied.
    pub internal_errors: Counter,
    /// Connections accepted (conn_tot) for frontends.
    pub connections: Counter,
    /// Last session start, seconds since epoch (lastsess).
    pub last_session: AtomicU64,
}

impl Counters {
    pub fn touch_last_session(&self, now_secs: u64) {
        self.last_session.store(now_secs, Relaxed);
    }
}

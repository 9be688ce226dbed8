//! Traffic counters per frontend, backend and server, as lock-free atomics. Names follow the
//! `show stat` columns they feed (scur, smax, stot, bin, bout, econ, eresp, wretr, wredis, ...),
//! with HAProxy's per-second rates ([`Rate`], its `freq_ctr` over one second) and its sliding
//! averages of queue/connect/response/total times over the last 1024 samples ([`TimeStat`],
//! its `swrate`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use super::stick::freq::{FreqCtr, Tick};

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
    /// Count one and return the value before (HAProxy's stream ids come from such a counter).
    pub fn take(&self) -> u64 {
        self.0.fetch_add(1, Relaxed)
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

/// HAProxy's rate period: events per second.
const RATE_PERIOD: u32 = 1000;

/// An event rate over the last second with its maximum (`fe_sess_per_sec` and `sps_max`,
/// `fe_req_per_sec` and `rps_max`, ...). The arithmetic is [`FreqCtr`]'s; the state is split
/// into one word holding the period start and its count, updated by compare-and-swap, and the
/// previous period's count. A reader racing a rotation can pair the new period with the old
/// previous count for an instant; HAProxy's readers spin instead, which a counter shown to
/// people does not need.
#[derive(Debug, Default)]
pub struct Rate {
    /// `curr_tick << 32 | curr`.
    cur: AtomicU64,
    prev: AtomicU32,
    max: AtomicU32,
}

impl Rate {
    fn snapshot(&self) -> (u64, FreqCtr) {
        let w = self.cur.load(Relaxed);
        (w, FreqCtr { curr_tick: (w >> 32) as u32, curr: w as u32, prev: self.prev.load(Relaxed) })
    }

    /// Count one event at `now`. The maximum follows the current period's count, as HAProxy's
    /// `HA_ATOMIC_UPDATE_MAX(&max, update_freq_ctr(...))` does.
    pub fn hit(&self, now: Tick) {
        loop {
            let (w, mut f) = self.snapshot();
            let (old_tick, old_prev) = (f.curr_tick, f.prev);
            let n = f.update(now, RATE_PERIOD, 1);
            let nw = u64::from(f.curr_tick) << 32 | u64::from(f.curr);
            if self.cur.compare_exchange_weak(w, nw, Relaxed, Relaxed).is_ok() {
                if f.curr_tick != old_tick || f.prev != old_prev {
                    self.prev.store(f.prev, Relaxed);
                }
                self.max.fetch_max(n, Relaxed);
                return;
            }
        }
    }

    /// Events over the last second (`read_freq_ctr`).
    pub fn read(&self, now: Tick) -> u32 {
        self.snapshot().1.read(now, RATE_PERIOD)
    }

    pub fn max(&self) -> u32 {
        self.max.load(Relaxed)
    }

    pub fn reset_max(&self) {
        self.max.store(0, Relaxed);
    }
}

/// HAProxy's `TIME_STATS_SAMPLES`: the averages cover the last 1024 requests.
pub const TIME_SAMPLES: u32 = 1024;

/// A sliding average over the last [`TIME_SAMPLES`] values with its maximum (`q_time` and
/// `qtime_max`, ...): HAProxy's `swrate_add` keeps a sum from which each new value removes one
/// average sample, `swrate_avg` divides it by the samples actually seen (rounding up).
#[derive(Debug, Default)]
pub struct TimeStat {
    sum: AtomicU32,
    max: AtomicU32,
}

impl TimeStat {
    pub fn add(&self, v: u32) {
        let n = TIME_SAMPLES;
        let _ = self
            .sum
            .fetch_update(Relaxed, Relaxed, |old| Some(old.wrapping_sub(old.wrapping_add(n - 1) / n).wrapping_add(v)));
        self.max.fetch_max(v, Relaxed);
    }

    /// The average over `samples` values seen (1024 at most; 0 reads as the full window).
    pub fn avg(&self, samples: u64) -> u32 {
        let n = if samples > 0 && samples < u64::from(TIME_SAMPLES) { samples as u32 } else { TIME_SAMPLES };
        let sum = self.sum.load(Relaxed);
        u64::from(sum).div_ceil(u64::from(n)) as u32
    }

    pub fn max(&self) -> u32 {
        self.max.load(Relaxed)
    }

    pub fn reset_max(&self) {
        self.max.store(0, Relaxed);
    }

    pub fn reset(&self) {
        self.sum.store(0, Relaxed);
        self.max.store(0, Relaxed);
    }
}

/// The four times HAProxy averages per backend and server: queue, connect, response (data)
/// and total.
#[derive(Debug, Default)]
pub struct Times {
    pub queue: TimeStat,
    pub connect: TimeStat,
    pub response: TimeStat,
    pub total: TimeStat,
}

impl Times {
    /// One finished stream's times in milliseconds (`stream_update_time_stats`).
    pub fn record(&self, queue: u32, connect: u32, response: u32, total: u32) {
        self.queue.add(queue);
        self.connect.add(connect);
        self.response.add(response);
        self.total.add(total);
    }

    pub fn all(&self) -> [&TimeStat; 4] {
        [&self.queue, &self.connect, &self.response, &self.total]
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
    /// Sessions answered by a server's `redir` instead of a connection: no request reached
    /// the server (req_tot) and no connection was made (connect).
    pub redirected: Counter,
    /// Last session start, seconds since epoch (lastsess).
    pub last_session: AtomicU64,
    /// Sessions per second (rate, rate_max).
    pub sess_rate: Rate,
    /// HTTP requests per second (req_rate, req_rate_max), frontends.
    pub req_rate: Rate,
    /// Connections per second (conn_rate, conn_rate_max), frontends.
    pub conn_rate: Rate,
    /// qtime, ctime, rtime, ttime and their maximums, backends and servers.
    pub times: Times,
}

impl Counters {
    /// A session starts on this backend or server: stot, the session rate and lastsess.
    pub fn session_started(&self, now: Tick, now_secs: u64) {
        self.total.inc();
        self.sess_rate.hit(now);
        self.last_session.store(now_secs, Relaxed);
    }

    /// Forget the maximums (`clear counters`).
    pub fn reset_maxima(&self) {
        self.sessions.reset_max();
        self.queue.reset_max();
        for r in [&self.sess_rate, &self.req_rate, &self.conn_rate] {
            r.reset_max();
        }
        for t in self.times.all() {
            t.reset_max();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_counts_a_burst_and_fades() {
        let r = Rate::default();
        let t0 = 50_000;
        for i in 0..7 {
            r.hit(t0 + i);
        }
        assert_eq!(r.read(t0 + 10), 7);
        assert_eq!(r.max(), 7);
        // Half-way through the next second half of the burst is still reported.
        assert_eq!(r.read(t0 + 1500), 3);
        assert_eq!(r.read(t0 + 2000), 0);
        // A new second: the maximum stays, the new count starts over with the previous one
        // weighting in.
        r.hit(t0 + 1250);
        assert_eq!(r.read(t0 + 1250), 5 + 1);
        assert_eq!(r.max(), 7);
        r.reset_max();
        assert_eq!(r.max(), 0);
    }

    #[test]
    fn rate_after_a_long_pause_starts_from_zero() {
        let r = Rate::default();
        r.hit(10_000);
        r.hit(10_001);
        r.hit(20_000);
        assert_eq!(r.read(20_000), 1);
        assert_eq!(r.max(), 2);
    }

    #[test]
    fn rate_is_exact_under_concurrent_hits() {
        let r = std::sync::Arc::new(Rate::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        r.hit(7_000);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(r.read(7_000), 4000);
        assert_eq!(r.max(), 4000);
    }

    #[test]
    fn swrate_matches_haproxy_arithmetic() {
        let t = TimeStat::default();
        // First sample: the sum is the value; its average over one sample is the value.
        t.add(10);
        assert_eq!(t.avg(1), 10);
        // sum = 10 - ceil(10/1024) + 20 = 29; over two samples: ceil(29/2) = 15.
        t.add(20);
        assert_eq!(t.avg(2), 15);
        assert_eq!(t.max(), 20);
        // With zero samples seen the full window divides.
        assert_eq!(TimeStat::default().avg(0), 0);
        let long = TimeStat::default();
        for _ in 0..5000 {
            long.add(3);
        }
        // The steady state of a constant input is that input.
        assert_eq!(long.avg(5000), 3);
    }
}

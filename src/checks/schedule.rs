//! When checks run, on an injected clock: HAProxy's `srv_getinter` (inter, fastinter and
//! downinter chosen from the health counter), the start-up spreading of all checks over the
//! smallest interval, `spread-checks` jitter, and the check deadline (`inter`, or `timeout
//! connect` then `timeout check` once connected). Pure: times are milliseconds from any origin.

use crate::engine::health::Health;

/// HAProxy's threshold under which an interval does not dictate the start-up spreading.
pub const INTER_THRESHOLD: u64 = 1000;

/// A check's intervals in milliseconds; `fastinter`/`downinter` fall back to `inter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub inter: u64,
    pub fastinter: Option<u64>,
    pub downinter: Option<u64>,
}

impl Intervals {
    /// `srv_getinter`: `inter` when fully up, `downinter` when down, `fastinter` in between.
    pub fn get(&self, health: &Health, server_stopped: bool) -> u64 {
        if health.is_full() {
            return self.inter;
        }
        if server_stopped && health.health == 0 {
            return self.downinter.unwrap_or(self.inter);
        }
        self.fastinter.unwrap_or(self.inter)
    }
}

/// `spread-checks`: a random shift within ±`pct`% of the interval; `r` is uniform in [0, 1].
pub fn spread(inter: u64, pct: u32, r: f64) -> i64 {
    if pct == 0 {
        return 0;
    }
    let rnd = (inter as i64) * i64::from(pct) / 100;
    rnd - (2.0 * rnd as f64 * r) as i64
}

/// The delay before the first run of check number `pos` out of `count` (HAProxy's
/// `start_check_task`): checks are spread over the smallest interval of at least
/// [`INTER_THRESHOLD`], each never before its own interval allows.
pub fn first_delay(
    global_min: u64,
    own: u64,
    pos: usize,
    count: usize,
    spread_shift: i64,
    max_spread: Option<u64>,
) -> u64 {
    let mut mininter = global_min.max(own) as i64 + spread_shift;
    if let Some(m) = max_spread {
        if m > 0 && mininter > m as i64 {
            mininter = m as i64;
        }
    }
    if count == 0 {
        return 0;
    }
    (mininter.max(0) as u64) * pos as u64 / count as u64
}

/// The smallest current interval of at least [`INTER_THRESHOLD`] among all checks, 0 if none.
pub fn global_min(intervals: impl IntoIterator<Item = u64>) -> u64 {
    intervals.into_iter().filter(|&i| i >= INTER_THRESHOLD).min().unwrap_or(0)
}

/// The next run after a check that ended at `end`: its interval plus jitter from the end.
pub fn next_after(end: u64, interval: u64, jitter: i64) -> u64 {
    (end as i64 + interval as i64 + jitter).max(end as i64) as u64
}

/// Where a check's next run lands, in milliseconds from a clock origin shared by all checks:
/// rounded up to a grain of 1/64th of its interval (1 to 16 ms). Checks that end close together
/// then wake together, and thousands of checks cost tens of wake-ups per interval instead of one
/// per millisecond. HAProxy gets the same batching from its loop clock, cached once per wake-up:
/// checks that end in one loop are all due again at one tick, and batches merge as they meet.
pub fn coalesce(at: u64, interval: u64) -> u64 {
    let grain = (interval / 64).clamp(1, 16);
    at.div_ceil(grain) * grain
}

/// When a check that could not run (disabled, in maintenance) comes back: HAProxy keeps the
/// grid and moves the expiry forward by `inter` until it is in the future.
pub fn skip_ahead(expire: u64, now: u64, inter: u64) -> u64 {
    if inter == 0 {
        return now;
    }
    let mut e = expire;
    while e <= now {
        e += inter;
    }
    e
}

/// The check's timeouts, from the backend's `timeout connect`/`timeout check` and `inter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub inter: u64,
    pub connect: Option<u64>,
    pub check: Option<u64>,
}

impl Deadlines {
    /// Deadline for a connection started at `start`: `min(inter, timeout connect)` when
    /// `timeout check` is set, else `inter` for the whole check.
    pub fn connect_deadline(&self, start: u64) -> u64 {
        match (self.check, self.connect) {
            (Some(c), Some(t)) if c > 0 && t > 0 => start + self.inter.min(t),
            _ => start + self.inter,
        }
    }

    /// Deadline once connected at `connected`: HAProxy re-arms its timer with `timeout check`
    /// but only looks at it when the first deadline fires, so the later of the two wins.
    pub fn after_connect(&self, first: u64, connected: u64) -> u64 {
        match self.check {
            Some(c) if c > 0 => first.max(connected + c),
            _ => first,
        }
    }
}

/// A small xorshift generator for `spread-checks`, seeded once.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Jitter {
        Jitter(seed | 1)
    }
    /// Uniform in [0, 1].
    pub fn sample(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / ((1u64 << 53) - 1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalescing_grain_follows_the_interval() {
        // Short intervals keep millisecond precision.
        assert_eq!(coalesce(1234, 100), 1234);
        assert_eq!(coalesce(1234, 20), 1234);
        // inter 1s: 15 ms grain; 2s and longer: 16 ms at most.
        assert_eq!(coalesce(1000, 1000), 1005);
        assert_eq!(coalesce(1005, 1000), 1005);
        assert_eq!(coalesce(1006, 1000), 1020);
        assert_eq!(coalesce(1001, 60_000), 1008);
        // Never earlier than asked.
        for at in 0..200 {
            assert!(coalesce(at, 1000) >= at && coalesce(at, 1000) < at + 15);
        }
    }
    use proptest::prelude::*;

    fn iv(inter: u64, fast: Option<u64>, down: Option<u64>) -> Intervals {
        Intervals { inter, fastinter: fast, downinter: down }
    }

    /// The timeline measured on HAProxy: inter 400, fastinter 100, downinter 1000, rise 3,
    /// fall 2 (checks at 0.0, 0.4, 0.8, 1.2 fail, 1.3 fail -> DOWN, 2.3, 3.3, 4.3 ok, 4.4 ok,
    /// 4.5 ok -> UP, then 400 again).
    #[test]
    fn haproxy_timeline() {
        let i = iv(400, Some(100), Some(1000));
        let mut h = Health::new(3, 2);
        assert_eq!(i.get(&h, false), 100, "starting at rise is not full: fastinter");
        h.pass();
        assert_eq!(i.get(&h, false), 400);
        h.fail();
        assert_eq!(i.get(&h, false), 100, "going down: fastinter");
        h.fail();
        assert_eq!(i.get(&h, true), 1000, "down: downinter");
        h.pass();
        assert_eq!(i.get(&h, true), 100, "going up: fastinter");
        h.pass();
        h.pass();
        assert_eq!(i.get(&h, false), 400);
    }

    #[test]
    fn start_spreading() {
        // Three checks, all under 1s: spread over their own intervals.
        assert_eq!(first_delay(0, 100, 0, 3, 0, None), 0);
        assert_eq!(first_delay(0, 400, 1, 3, 0, None), 133);
        assert_eq!(first_delay(0, 400, 2, 3, 0, None), 266);
        // A 5s check among others: the min interval >= 1s dictates.
        assert_eq!(global_min([2000, 500, 5000]), 2000);
        assert_eq!(first_delay(2000, 5000, 1, 4, 0, None), 1250);
        assert_eq!(first_delay(2000, 5000, 1, 4, 0, Some(1000)), 250);
    }

    #[test]
    fn deadlines_measured_on_haproxy() {
        // connect 1000, check 200, inter 2000: L7TOUT at 1001ms.
        let d = Deadlines { inter: 2000, connect: Some(1000), check: Some(200) };
        let first = d.connect_deadline(0);
        assert_eq!(d.after_connect(first, 1), 1000);
        // connect 300, check 700: L7TOUT at ~702ms.
        let d = Deadlines { inter: 2000, connect: Some(300), check: Some(700) };
        assert_eq!(d.after_connect(d.connect_deadline(0), 2), 702);
        // No timeout check: inter governs, connect ignored (L4TOUT at 1501 with inter 1500).
        let d = Deadlines { inter: 1500, connect: Some(300), check: None };
        assert_eq!(d.connect_deadline(0), 1500);
        // No timeout connect: inter.
        let d = Deadlines { inter: 700, connect: None, check: Some(5000) };
        assert_eq!(d.connect_deadline(0), 700);
    }

    #[test]
    fn skipping_keeps_the_grid() {
        assert_eq!(skip_ahead(1000, 1000, 300), 1300);
        assert_eq!(skip_ahead(1000, 2000, 300), 2200);
        assert_eq!(skip_ahead(5000, 2000, 300), 5000);
    }

    proptest! {
        #[test]
        fn spread_stays_within_bounds(inter in 1u64..100_000, pct in 0u32..51, r in 0.0f64..=1.0) {
            let s = spread(inter, pct, r);
            let bound = (inter as i64) * i64::from(pct) / 100;
            prop_assert!(s.abs() <= bound);
        }

        #[test]
        fn jitter_in_unit_interval(seed in any::<u64>()) {
            let mut j = Jitter::new(seed);
            for _ in 0..100 {
                let v = j.sample();
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }

        #[test]
        fn next_is_never_in_the_past(end in 0u64..1_000_000, inter in 0u64..100_000, jitter in -100_000i64..100_000) {
            prop_assert!(next_after(end, inter, jitter) >= end);
        }
    }
}

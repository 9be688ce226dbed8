//! HAProxy's frequency counter over a sliding period (`struct freq_ctr` with
//! `update_freq_ctr_period` / `read_freq_ctr_period`): events are counted in the current
//! period; once it is over they become the previous period's count, which fades out linearly
//! over the next period. Time is a wrapping millisecond tick, always passed in by the caller.

/// A millisecond clock tick, wrapping like HAProxy's `now_ms`.
pub type Tick = u32;

/// One frequency counter. Plain data: callers serialise access (the table shard lock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreqCtr {
    /// Start of the current period (always even: HAProxy keeps bit 0 as a lock bit).
    pub curr_tick: Tick,
    pub curr: u32,
    pub prev: u32,
}

impl FreqCtr {
    /// Count `inc` events at `now` for a period of `period` ms; returns the current period's
    /// count, as `update_freq_ctr_period` does.
    pub fn update(&mut self, now: Tick, period: u32, inc: u32) -> u32 {
        if now.wrapping_sub(self.curr_tick) < period {
            self.curr = self.curr.wrapping_add(inc);
            return self.curr;
        }
        // Rotate: the current period becomes the previous one.
        self.prev = self.curr;
        self.curr = inc;
        let mut tick = self.curr_tick.wrapping_add(period);
        if now.wrapping_sub(tick) >= period {
            // At least two periods were missed.
            self.prev = 0;
            tick = now;
        }
        self.curr_tick = tick & !1;
        inc
    }

    /// Events over the last `period` ms at `now`: the current count plus the share of the
    /// previous period that still overlaps (`read_freq_ctr_period`, rounded down).
    pub fn read(&self, now: Tick, period: u32) -> u32 {
        if period == 0 {
            return self.curr;
        }
        let mut curr = u64::from(self.curr);
        let mut past = u64::from(self.prev);
        let mut remain = i64::from(self.curr_tick.wrapping_add(period).wrapping_sub(now) as i32);
        if remain < 0 {
            // Past the current period: can part of it still be reported as the previous one?
            remain += i64::from(period);
            past = if remain >= 0 { curr } else { 0 };
            curr = 0;
        }
        let remain = remain.max(0) as u64;
        let total = past * remain + curr * u64::from(period);
        (total / u64::from(period)) as u32
    }

    /// What `set table ... data.<rate> <v>` stores: the value for the whole current period.
    pub fn set(&mut self, now: Tick, value: u32) {
        self.curr_tick = now & !1;
        self.prev = 0;
        self.curr = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_period() {
        let mut f = FreqCtr::default();
        let t0 = 1_000_000;
        for i in 0..5 {
            f.update(t0 + i * 10, 10_000, 1);
        }
        assert_eq!(f.read(t0 + 100, 10_000), 5);
        assert_eq!(f.read(t0 + 9_999, 10_000), 5);
    }

    #[test]
    fn previous_period_fades_out_linearly() {
        let mut f = FreqCtr::default();
        let t0 = 1_000_000;
        for _ in 0..10 {
            f.update(t0, 1000, 1);
        }
        // Half-way through the next period, half of the previous count is still reported.
        assert_eq!(f.read(t0 + 1000, 1000), 10);
        assert_eq!(f.read(t0 + 1500, 1000), 5);
        assert_eq!(f.read(t0 + 1900, 1000), 1);
        assert_eq!(f.read(t0 + 2000, 1000), 0);
        assert_eq!(f.read(t0 + 5000, 1000), 0);
        // A new event in the next period rotates: prev=10, curr=1.
        f.update(t0 + 1250, 1000, 1);
        assert_eq!(f.read(t0 + 1250, 1000), 7 + 1);
    }

    #[test]
    fn two_missed_periods_forget_everything() {
        let mut f = FreqCtr::default();
        f.update(5000, 1000, 3);
        f.update(8000, 1000, 1);
        assert_eq!(f.prev, 0);
        assert_eq!(f.curr_tick, 8000);
        assert_eq!(f.read(8000, 1000), 1);
    }

    #[test]
    fn ticks_wrap() {
        let mut f = FreqCtr::default();
        let t0 = u32::MAX - 100;
        f.update(t0, 1000, 2);
        f.update(t0.wrapping_add(200), 1000, 1);
        assert_eq!(f.read(t0.wrapping_add(300), 1000), 3);
    }

    #[test]
    fn set_holds_for_a_period_then_fades() {
        let mut f = FreqCtr::default();
        f.set(10_001, 7);
        assert_eq!(f.curr_tick, 10_000);
        assert_eq!(f.read(10_500, 10_000), 7);
        assert_eq!(f.read(25_000, 10_000), 3);
    }
}

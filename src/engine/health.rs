//! HAProxy's check vocabulary and its single saturating health counter, as pure data and
//! functions: the check statuses (`L4OK`, `L7STS`, ...) with their results and descriptions,
//! the passive-check ("Health analyze") statuses, and [`Health`], the counter that walks between
//! 0 and `rise + fall - 1`. The server state machine in `state.rs` is built on these; the probes
//! in `checks/` only produce [`CheckStatus`] values.

/// `enum healthcheck_status`, with HAProxy's numbers (`show servers state` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CheckStatus {
    #[default]
    Unknown = 0,
    Ini = 1,
    Start = 2,
    Checked = 3,
    Hana = 4,
    SockErr = 5,
    L4Ok = 6,
    L4Tout = 7,
    L4Con = 8,
    L6Ok = 9,
    L6Tout = 10,
    L6Rsp = 11,
    L7Tout = 12,
    L7Rsp = 13,
    L7Ok = 15,
    L7OkC = 16,
    L7Sts = 17,
    ProcErr = 18,
    ProcTout = 19,
    ProcOk = 20,
}

/// What a status means for the health counter (`enum chk_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CheckResult {
    #[default]
    Unknown = 0,
    Neutral = 1,
    Failed = 2,
    Passed = 3,
    CondPass = 4,
}

impl CheckStatus {
    /// The short name shown in `show stat` (`check_status`).
    pub fn info(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown | Start => "UNK",
            Ini => "INI",
            Checked => "CHECKED",
            Hana => "HANA",
            SockErr => "SOCKERR",
            L4Ok => "L4OK",
            L4Tout => "L4TOUT",
            L4Con => "L4CON",
            L6Ok => "L6OK",
            L6Tout => "L6TOUT",
            L6Rsp => "L6RSP",
            L7Tout => "L7TOUT",
            L7Rsp => "L7RSP",
            L7Ok => "L7OK",
            L7OkC => "L7OKC",
            L7Sts => "L7STS",
            ProcErr => "PROCERR",
            ProcTout => "PROCTOUT",
            ProcOk => "PROCOK",
        }
    }

    /// The long description used after `reason:` in logs and in `check_desc`.
    pub fn desc(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown | Start => "Unknown",
            Ini => "Initializing",
            Checked => "No status change",
            Hana => "Health analyze",
            SockErr => "Socket error",
            L4Ok => "Layer4 check passed",
            L4Tout => "Layer4 timeout",
            L4Con => "Layer4 connection problem",
            L6Ok => "Layer6 check passed",
            L6Tout => "Layer6 timeout",
            L6Rsp => "Layer6 invalid response",
            L7Tout => "Layer7 timeout",
            L7Rsp => "Layer7 invalid response",
            L7Ok => "Layer7 check passed",
            L7OkC => "Layer7 check conditionally passed",
            L7Sts => "Layer7 wrong status",
            ProcErr => "External check error",
            ProcTout => "External check timeout",
            ProcOk => "External check passed",
        }
    }

    /// The result a status carries; `Unknown` for the ones that do not conclude a check.
    pub fn result(self) -> CheckResult {
        use CheckStatus::*;
        match self {
            Unknown | Ini | Start => CheckResult::Unknown,
            Checked => CheckResult::Neutral,
            L4Ok | L6Ok | L7Ok | ProcOk => CheckResult::Passed,
            L7OkC => CheckResult::CondPass,
            _ => CheckResult::Failed,
        }
    }

    /// Statuses from L7 data on (HAProxy's `>= HCHK_STATUS_L57DATA`) print a `code:`.
    pub fn has_code(self) -> bool {
        (self as u8) > 14
    }
}

/// Passive-check outcomes reported by the traffic path (`enum healthcheck_analyze_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hana {
    L4Ok,
    L4Err,
    HttpOk,
    HttpSts,
    HttpHdrRsp,
    HttpRsp,
    HttpReadError,
    HttpReadTimeout,
    HttpBrokenPipe,
}

impl Hana {
    pub fn desc(self) -> &'static str {
        match self {
            Hana::L4Ok => "L4 successful connection",
            Hana::L4Err => "L4 unsuccessful connection",
            Hana::HttpOk => "Correct http response",
            Hana::HttpSts => "Wrong http response",
            Hana::HttpHdrRsp => "Invalid http response (headers)",
            Hana::HttpRsp => "Invalid http response",
            Hana::HttpReadError => "Read error (http)",
            Hana::HttpReadTimeout => "Read timeout (http)",
            Hana::HttpBrokenPipe => "Close from server (http)",
        }
    }

    /// What the event means under `observe layer4` / `observe layer7`: `Some(true)` is an error,
    /// `Some(false)` a success that clears the error count, `None` is ignored.
    pub fn verdict(self, layer7: bool) -> Option<bool> {
        match (self, layer7) {
            (Hana::L4Ok, false) => Some(false),
            (Hana::L4Ok, true) => None,
            (Hana::L4Err, _) => Some(true),
            (_, false) => None,
            (Hana::HttpOk, true) => Some(false),
            (_, true) => Some(true),
        }
    }

    /// What a failed exchange tells a passive check, by its termination flags: an invalid
    /// response head (`PH`) and a response timeout (`sH`) count; a server closing before its
    /// response does not (HAProxy 2.6 reports nothing then).
    pub fn for_failure(term: &[u8; 4]) -> Option<Hana> {
        match (term[0], term[1]) {
            (b'P', b'H') => Some(Hana::HttpHdrRsp),
            (b's', b'H') => Some(Hana::HttpReadTimeout),
            _ => None,
        }
    }

    /// The observe verdict for an HTTP response status: 5xx except 501 and 505 are errors.
    pub fn for_status(status: u16) -> Hana {
        if status >= 100 && (status < 500 || status == 501 || status == 505) {
            Hana::HttpOk
        } else {
            Hana::HttpSts
        }
    }
}

/// HAProxy's single health counter for one check. Between 0 and `rise + fall - 1`: the upper
/// `fall` values mean "up" (`UP n/fall` while falling), the lower `rise` values mean "down"
/// (`DOWN n/rise` while rising). A failure below `rise` drops straight to 0, and reaching `rise`
/// jumps straight to the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Health {
    pub health: u32,
    pub rise: u32,
    pub fall: u32,
}

impl Health {
    /// A new counter starts at `rise`: up, and down at the first failure.
    pub fn new(rise: u32, fall: u32) -> Health {
        let rise = rise.max(1);
        let fall = fall.max(1);
        Health { health: rise, rise, fall }
    }

    pub fn max(&self) -> u32 {
        self.rise + self.fall - 1
    }

    /// In the upper ("up") region.
    pub fn is_up(&self) -> bool {
        self.health >= self.rise
    }

    pub fn is_full(&self) -> bool {
        self.health == self.max()
    }

    /// Count a failure; true when the counter moved.
    pub fn fail(&mut self) -> bool {
        if self.health == 0 {
            return false;
        }
        self.health -= 1;
        if self.health < self.rise {
            self.health = 0;
        }
        true
    }

    /// Count a success; true when the counter moved.
    pub fn pass(&mut self) -> bool {
        if self.health >= self.max() {
            return false;
        }
        self.health += 1;
        if self.health >= self.rise {
            self.health = self.max();
        }
        true
    }

    pub fn set_up(&mut self) {
        self.health = self.max();
    }

    pub fn set_down(&mut self) {
        self.health = 0;
    }

    /// The `n/m` pair HAProxy prints in transitional statuses and `log-health-checks` lines.
    pub fn fraction(&self) -> (u32, u32) {
        if self.is_up() {
            (self.health - self.rise + 1, self.fall)
        } else {
            (self.health, self.rise)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn starts_up_and_first_failure_marks_down() {
        let mut h = Health::new(2, 3);
        assert_eq!(h.health, 2);
        assert!(h.is_up());
        assert!(h.fail());
        assert_eq!(h.health, 0);
    }

    #[test]
    fn full_up_needs_fall_failures() {
        let mut h = Health::new(2, 3);
        h.pass();
        assert_eq!(h.health, 4);
        h.fail();
        assert_eq!((h.health, h.fraction()), (3, (2, 3)));
        h.fail();
        assert_eq!((h.health, h.fraction()), (2, (1, 3)));
        h.fail();
        assert_eq!(h.health, 0);
        assert!(!h.fail());
    }

    #[test]
    fn rising_jumps_to_top() {
        let mut h = Health { health: 0, rise: 3, fall: 2 };
        h.pass();
        h.pass();
        assert_eq!((h.health, h.fraction()), (2, (2, 3)));
        h.pass();
        assert_eq!(h.health, 4);
        assert!(!h.pass());
    }

    #[test]
    fn status_table() {
        assert_eq!(CheckStatus::L7Sts as u8, 17);
        assert!(CheckStatus::L7Sts.has_code());
        assert!(!CheckStatus::L7Rsp.has_code());
        assert!(!CheckStatus::L4Con.has_code());
        assert_eq!(CheckStatus::L7OkC.result(), CheckResult::CondPass);
        assert_eq!(CheckStatus::Checked.result(), CheckResult::Neutral);
    }

    #[test]
    fn observe_verdicts() {
        assert_eq!(Hana::for_status(500), Hana::HttpSts);
        assert_eq!(Hana::for_status(501), Hana::HttpOk);
        assert_eq!(Hana::for_status(505), Hana::HttpOk);
        assert_eq!(Hana::for_status(404), Hana::HttpOk);
        assert_eq!(Hana::L4Ok.verdict(true), None);
        assert_eq!(Hana::HttpSts.verdict(false), None);
        assert_eq!(Hana::L4Err.verdict(true), Some(true));
    }

    proptest! {
        /// Whatever the sequence, the counter stays in range, never sits strictly between 0 and
        /// rise after a failure, and never sits strictly between rise and max after a success
        /// from below rise.
        #[test]
        fn counter_invariants(rise in 1u32..6, fall in 1u32..6, seq in proptest::collection::vec(any::<bool>(), 0..60)) {
            let mut h = Health::new(rise, fall);
            for ok in seq {
                let before = h.health;
                if ok { h.pass(); } else { h.fail(); }
                prop_assert!(h.health <= h.max());
                if !ok {
                    prop_assert!(h.health == 0 || h.health >= h.rise);
                    prop_assert!(h.health <= before);
                } else {
                    prop_assert!(h.health >= before);
                    if before < rise && h.health >= rise { prop_assert_eq!(h.health, h.max()); }
                }
            }
        }

        /// From any state, `fall` consecutive failures take an up server down, and `rise`
        /// consecutive successes take a down server up.
        #[test]
        fn fall_and_rise_are_enough(rise in 1u32..6, fall in 1u32..6, start in 0u32..11) {
            let mut h = Health { health: start % (rise + fall), rise, fall };
            for _ in 0..fall { h.fail(); }
            prop_assert!(!h.is_up());
            for _ in 0..rise { h.pass(); }
            prop_assert!(h.is_full());
        }
    }
}

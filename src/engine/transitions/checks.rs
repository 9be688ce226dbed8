//! The check half of the state machine: `set_server_check_status`, the `check_notify_*`
//! family, `__health_adjust` (passive checks), the agent's replies, and the weight / maxconn
//! changes an agent or a command asks for.

use super::*;

impl Machine<'_, '_> {
    /// `set_server_check_status`: record a check's status and move its health counter.
    pub(super) fn set_check_status(&mut self, agent: bool, status: CheckStatus, code: i32, desc: &str, duration: i64) {
        let lhc = self.ctx.log_health_checks;
        let has_observe = self.sr().observe.is_some();
        let c = self.check_mut(agent);
        let prev_status = c.status;
        c.desc = truncate_desc(desc);
        c.status = status;
        c.code = code;
        if status.result() != CheckResult::Unknown {
            c.result = status.result();
        }
        c.duration = if status == CheckStatus::Hana { -1 } else { duration };
        if c.result == CheckResult::Neutral {
            return;
        }
        let mut report = false;
        match c.result {
            // A failing agent connection is not a verdict on the server.
            CheckResult::Failed if (!agent || status.has_code()) && c.health.health > 0 => {
                report = c.health.fail();
                self.s().counters.failed_checks += 1;
            }
            CheckResult::Passed | CheckResult::CondPass => {
                report = c.health.pass();
                if has_observe {
                    self.s().consecutive_errors = 0;
                }
            }
            _ => {}
        }
        if lhc && (status != prev_status || report) {
            let c = self.check_ref(agent);
            let ev = Event::CheckReport {
                agent,
                result: c.result,
                info: CheckInfo::of(c),
                health: c.health,
                uweight: self.sr().uweight,
            };
            self.events.push(ev);
        }
    }

    /// The reason attached to a state change caused by a check: none when the check already
    /// logged itself (`log-health-checks`) or for a tracking server.
    pub(super) fn check_reason(&self, agent: bool) -> Reason {
        if self.sr().track.is_none() && !self.ctx.log_health_checks {
            Reason::Check(CheckInfo::of(self.check_ref(agent)))
        } else {
            Reason::None
        }
    }

    pub(super) fn notify(&mut self, agent: bool) {
        match self.check_ref(agent).result {
            CheckResult::Failed => self.notify_failure(agent),
            CheckResult::CondPass => self.notify_stopping(agent),
            CheckResult::Passed => self.notify_success(agent),
            _ => {}
        }
    }

    pub(super) fn others_allow_up(&self) -> bool {
        let s = self.sr();
        if s.in_maint() {
            return false;
        }
        if s.track.is_some() && self.ctx.track_op == Some(OpState::Stopped) {
            return false;
        }
        if s.check.enabled && !s.check.health.is_up() {
            return false;
        }
        if s.agent.enabled && !s.agent.health.is_up() {
            return false;
        }
        true
    }

    pub(super) fn notify_failure(&mut self, agent: bool) {
        let c = self.check_ref(agent);
        if agent && c.status != CheckStatus::L7Sts {
            return;
        }
        if c.health.health > 0 {
            return;
        }
        let reason = self.check_reason(agent);
        self.set_stopped(reason);
    }

    pub(super) fn notify_success(&mut self, agent: bool) {
        if !self.others_allow_up() {
            return;
        }
        if agent && self.sr().op == OpState::Stopping {
            return;
        }
        let reason = self.check_reason(agent);
        self.set_running(reason);
    }

    pub(super) fn notify_stopping(&mut self, agent: bool) {
        if agent || !self.others_allow_up() {
            return;
        }
        let reason = self.check_reason(agent);
        self.set_stopping(reason);
    }

    /// `__health_adjust`: count a passive-check observation and act on `on-error`.
    pub(super) fn health_adjust(&mut self, h: crate::engine::health::Hana) {
        let Some(obs) = self.sr().observe else { return };
        let Some(failed) = h.verdict(obs.layer7) else { return };
        if !failed {
            self.s().consecutive_errors = 0;
            return;
        }
        self.s().consecutive_errors += 1;
        let n = self.sr().consecutive_errors;
        if n < obs.error_limit {
            return;
        }
        let desc = format!("Detected {n} consecutive errors, last one was: {}", h.desc());
        self.s().check.fastinter_forced = true;
        match obs.on_error {
            OnErrorAction::FastInter => {}
            OnErrorAction::SuddenDeath | OnErrorAction::FailCheck => {
                if obs.on_error == OnErrorAction::SuddenDeath {
                    let hl = &mut self.s().check.health;
                    if hl.health > hl.rise {
                        hl.health = hl.rise + 1;
                    }
                }
                self.set_check_status(false, CheckStatus::Hana, 0, &desc, -1);
                self.notify_failure(false);
            }
            OnErrorAction::MarkDown => {
                let hl = &mut self.s().check.health;
                hl.health = hl.rise;
                self.set_check_status(false, CheckStatus::Hana, 0, &desc, -1);
                self.notify_failure(false);
            }
        }
        let s = self.s();
        s.consecutive_errors = 0;
        s.counters.failed_hana += 1;
        self.wake_check = true;
    }

    /// Act on an agent reply, in HAProxy's order: admin word, weight, maxconn, then health.
    pub(super) fn agent_reply(&mut self, r: &AgentReply, duration: i64) {
        if !self.sr().agent.enabled {
            return;
        }
        if r.incomplete {
            let status = self.sr().agent.status;
            let code = self.sr().agent.code;
            self.set_check_status(true, status, code, "Ignoring incomplete line from agent", duration);
            return;
        }
        let mut status = CheckStatus::Checked;
        if let Some((_, h)) = &r.health {
            match h {
                AgentHealth::Up => {
                    self.s().agent.health.set_up();
                    status = CheckStatus::L7Ok;
                }
                _ => {
                    self.s().agent.health.set_down();
                    status = CheckStatus::L7Sts;
                }
            }
        }
        match r.admin {
            Some(AgentAdmin::Drain) => {
                self.clr_admin_flag(admin::FMAINT);
                self.set_admin_flag(admin::FDRAIN);
            }
            Some(AgentAdmin::Maint) => {
                self.set_admin_flag(admin::FMAINT);
                self.clr_admin_flag(admin::FDRAIN);
            }
            Some(AgentAdmin::Ready) => {
                self.clr_admin_flag(admin::FMAINT);
                self.clr_admin_flag(admin::FDRAIN);
            }
            None => {}
        }
        let mut warning: Option<String> = None;
        if let Some(w) = &r.weight {
            if let Err(msg) = self.weight_change(w) {
                warning.get_or_insert(msg);
            }
        }
        if let Some(m) = &r.maxconn {
            if let Err(msg) = self.maxconn_change(m) {
                if warning.as_deref().is_none_or(str::is_empty) {
                    warning = Some(msg);
                }
            }
        }
        let err = r.error.as_deref().filter(|e| !e.is_empty());
        let wrn = warning.as_deref().filter(|w| !w.is_empty());
        if let Some((word, _)) = &r.health {
            let mut msg: &str = &r.description;
            if msg.is_empty() || status == CheckStatus::L7Ok {
                if let Some(e) = err {
                    msg = e;
                } else if let Some(w) = wrn {
                    msg = w;
                }
            }
            let text =
                if msg.is_empty() { format!("via agent : {word}") } else { format!("via agent : {word} ({msg})") };
            self.set_check_status(true, status, 0, &text, duration);
        } else if let Some(e) = err {
            self.set_check_status(true, status, 0, &format!("agent reports an error : {e}"), duration);
        } else if let Some(w) = wrn {
            self.set_check_status(true, status, 0, &format!("agent warns : {w}"), duration);
        } else {
            self.set_check_status(true, status, 0, "", duration);
        }
        self.warning = warning;
    }

    /// `server_parse_weight_change_request` for an agent `N%` word.
    pub(super) fn weight_change(&mut self, word: &str) -> Result<(), String> {
        let (num, rest) = split_number(word);
        let Some(mut w) = num else {
            return Err("Empty weight string empty or preceded by garbage".into());
        };
        if rest == "%" {
            if w < 0 {
                return Err("Relative weight must be positive.\n".into());
            }
            w = w.min(25600);
            w = i64::from(self.sr().iweight) * w / 100;
            w = w.min(i64::from(MAX_WEIGHT));
        } else if !(0..=i64::from(MAX_WEIGHT)).contains(&w) {
            return Err("Absolute weight can only be between 0 and 256 inclusive.\n".into());
        } else if !rest.is_empty() {
            return Err("Trailing garbage in weight string".into());
        }
        let w = w as u32;
        if w != 0 && w != self.sr().iweight && !self.sr().dynamic_lb {
            return Err("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n".into());
        }
        self.s().uweight = w;
        self.recalc_weight_and_update();
        Ok(())
    }

    pub(super) fn maxconn_change(&mut self, text: &str) -> Result<(), String> {
        let (num, rest) = split_number(text);
        let Some(v) = num else {
            return Err("maxconn string empty or preceded by garbage".into());
        };
        if !rest.is_empty() {
            return Err("Trailing garbage in maxconn string".into());
        }
        self.s().maxconn = v.clamp(0, i64::from(u32::MAX)) as u32;
        Ok(())
    }
}

/// `strtol` base 10: the number (None when no digit was read) and what follows.
pub(super) fn split_number(s: &str) -> (Option<i64>, &str) {
    let (v, rest) = crate::ir::keywords::global::strtol(s);
    // strtol hands the whole text back when it read no digit.
    if rest.len() == s.len() {
        (None, s)
    } else {
        (Some(v), rest)
    }
}

/// HAProxy keeps at most HCHK_DESC_LEN - 1 (127) bytes of check text.
pub(super) fn truncate_desc(desc: &str) -> String {
    if desc.len() <= 127 {
        return desc.to_string();
    }
    let mut end = 127;
    while !desc.is_char_boundary(end) {
        end -= 1;
    }
    desc[..end].to_string()
}

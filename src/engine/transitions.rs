//! HAProxy's server state machine, ported function by function (`srv_set_stopped`,
//! `srv_set_running`, `srv_set_stopping`, `srv_set_admin_flag`, `srv_clr_admin_flag`,
//! `srv_update_status`, `set_server_check_status`, `check_notify_*`, `__health_adjust`, the agent
//! reply handling and the slow-start weight). Each function records the log events in the order
//! HAProxy emits them, with the server counts taken at that moment. Pure: the caller holds the
//! backend lock.

use std::sync::Arc;

use super::state::{
    admin, AgentAdmin, AgentHealth, AgentReply, ApplyCtx, Cause, CheckInfo, CheckOutcome, CheckResult, CheckState,
    CheckStatus, Event, OnErrorAction, OpState, Reason, ServerOp, ServerState, Tail, TrackOp, Transition, WEIGHT_SCALE,
};

/// Largest user weight.
pub const MAX_WEIGHT: u32 = 256;

struct Machine<'a, 'c> {
    states: &'a mut [ServerState],
    idx: usize,
    ctx: &'a ApplyCtx<'c>,
    events: Vec<Event>,
    shutdown_sessions: bool,
    shutdown_backup_sessions: bool,
    grab_queue: usize,
    wake_check: bool,
    warning: Option<String>,
}

pub fn apply(states: &mut [ServerState], idx: usize, op: &ServerOp, cause: Cause, ctx: &ApplyCtx) -> Transition {
    let before = states[idx].clone();
    let mut m = Machine {
        states,
        idx,
        ctx,
        events: Vec::new(),
        shutdown_sessions: false,
        shutdown_backup_sessions: false,
        grab_queue: 0,
        wake_check: false,
        warning: None,
    };
    m.run(op, &cause);
    Transition {
        before,
        after: m.states[idx].clone(),
        cause,
        events: m.events,
        shutdown_sessions: m.shutdown_sessions,
        shutdown_backup_sessions: m.shutdown_backup_sessions,
        grab_queue: m.grab_queue,
        wake_check: m.wake_check,
        warning: m.warning,
    }
}

impl Machine<'_, '_> {
    fn s(&mut self) -> &mut ServerState {
        &mut self.states[self.idx]
    }
    fn sr(&self) -> &ServerState {
        &self.states[self.idx]
    }

    fn run(&mut self, op: &ServerOp, cause: &Cause) {
        match op {
            ServerOp::SetAdmin { set, clear } => {
                for bit in 0..8 {
                    let m = 1u8 << bit;
                    if clear & m != 0 {
                        self.clr_admin_flag(m);
                    }
                }
                for bit in 0..8 {
                    let m = 1u8 << bit;
                    if set & m != 0 {
                        self.set_admin_flag(m);
                    }
                }
            }
            ServerOp::SetWeight(w) => {
                self.s().uweight = (*w).min(MAX_WEIGHT);
                self.recalc_weight_and_update();
            }
            ServerOp::SetOp(o) => {
                let reason = cause.text().map(|t| Reason::Text(t.to_string())).unwrap_or(Reason::None);
                match o {
                    OpState::Running | OpState::Starting => {
                        self.s().check.health.set_up();
                        self.set_running(reason);
                    }
                    OpState::Stopping => {
                        self.s().check.health.set_up();
                        self.set_stopping(reason);
                    }
                    OpState::Stopped => {
                        self.s().check.health.set_down();
                        self.set_stopped(reason);
                    }
                }
            }
            ServerOp::SetMaxconn(m) => self.s().maxconn = *m,
            ServerOp::CheckStart { agent } => {
                let c = self.check_mut(*agent);
                c.running = true;
                c.result = CheckResult::Unknown;
                c.desc.clear();
            }
            ServerOp::CheckResult { agent, outcome } => {
                self.check_mut(*agent).running = false;
                self.set_check_status(*agent, outcome.status, outcome.code, &outcome.desc, outcome.duration);
                self.notify(*agent);
            }
            ServerOp::Agent { reply, duration } => {
                self.check_mut(true).running = false;
                self.agent_reply(reply, *duration);
                self.notify(true);
            }
            ServerOp::Observe(h) => self.health_adjust(*h),
            ServerOp::Warmup => {
                if self.sr().in_maint() || self.sr().op != OpState::Starting {
                    return;
                }
                self.recalc_weight_and_update();
            }
            ServerOp::Track(t) => match t {
                TrackOp::Stopped => self.set_stopped(Reason::None),
                TrackOp::Running => self.set_running(Reason::None),
                TrackOp::Stopping => self.set_stopping(Reason::None),
                TrackOp::SetAdmin(m) => self.set_admin_flag(*m),
                TrackOp::ClrAdmin(m) => self.clr_admin_flag(*m),
            },
            ServerOp::SetAgentHealth { up } => {
                let reason = cause.text().map(|t| Reason::Text(t.to_string())).unwrap_or(Reason::None);
                if *up {
                    self.s().agent.health.set_up();
                    self.set_running(reason);
                } else {
                    self.s().agent.health.set_down();
                    self.set_stopped(reason);
                }
            }
            ServerOp::SetCheckEnabled { agent, enabled } => {
                let c = self.check_mut(*agent);
                if c.configured {
                    c.enabled = *enabled;
                }
            }
        }
    }

    fn check_mut(&mut self, agent: bool) -> &mut CheckState {
        if agent {
            &mut self.s().agent
        } else {
            &mut self.s().check
        }
    }
    fn check_ref(&self, agent: bool) -> &CheckState {
        if agent {
            &self.sr().agent
        } else {
            &self.sr().check
        }
    }

    // ---- counting -------------------------------------------------------------------------

    fn up_counts(&self) -> (usize, usize) {
        let act = self.states.iter().filter(|s| s.counts_as_up() && !s.backup).count();
        let bck = self.states.iter().filter(|s| s.counts_as_up() && s.backup).count();
        (act, bck)
    }

    fn tail(&self, xferred: usize) -> Tail {
        let (active, backup) = self.up_counts();
        Tail {
            down: self.sr().op == OpState::Stopped,
            active,
            backup,
            cur_sess: (self.ctx.cur_sess)(self.idx),
            xferred,
            queue: 0,
        }
    }

    fn via(&self, forced: bool) -> Option<Arc<str>> {
        if forced {
            None
        } else {
            self.sr().track.as_ref().map(|t| t.name.clone())
        }
    }

    // ---- srv_set_* ---------------------------------------------------------------------------

    fn set_stopped(&mut self, reason: Reason) {
        let s = self.sr();
        if s.in_maint() || s.op == OpState::Stopped {
            return;
        }
        let admin = s.admin;
        self.update_status(OpState::Stopped, admin, reason);
        self.events.push(Event::Propagate(TrackOp::Stopped));
    }

    fn set_running(&mut self, reason: Reason) {
        let s = self.sr();
        if s.in_maint() || matches!(s.op, OpState::Starting | OpState::Running) {
            return;
        }
        let next = if s.slowstart > 0 { OpState::Starting } else { OpState::Running };
        let admin = s.admin;
        self.update_status(next, admin, reason);
        self.events.push(Event::Propagate(TrackOp::Running));
    }

    fn set_stopping(&mut self, reason: Reason) {
        let s = self.sr();
        if s.in_maint() || s.op == OpState::Stopping {
            return;
        }
        let admin = s.admin;
        self.update_status(OpState::Stopping, admin, reason);
        self.events.push(Event::Propagate(TrackOp::Stopping));
    }

    fn set_admin_flag(&mut self, mode: u8) {
        let s = self.sr();
        if mode == 0 || s.admin & mode != 0 {
            return;
        }
        let next_admin = s.admin | mode;
        let op = s.op;
        self.update_status(op, next_admin, Reason::None);
        if (mode & admin::MAINT != 0 && next_admin & !mode & admin::MAINT != 0)
            || (mode & admin::DRAIN != 0 && next_admin & !mode & admin::DRAIN != 0)
        {
            return;
        }
        let inherited = if mode & admin::MAINT != 0 {
            admin::IMAINT
        } else if mode & admin::DRAIN != 0 {
            admin::IDRAIN
        } else {
            return;
        };
        self.events.push(Event::Propagate(TrackOp::SetAdmin(inherited)));
    }

    fn clr_admin_flag(&mut self, mode: u8) {
        let s = self.sr();
        if mode == 0 || s.admin & mode == 0 {
            return;
        }
        let next_admin = s.admin & !mode;
        let op = s.op;
        self.update_status(op, next_admin, Reason::None);
        if (mode & admin::MAINT != 0 && next_admin & admin::MAINT != 0)
            || (mode & admin::DRAIN != 0 && next_admin & admin::DRAIN != 0)
        {
            return;
        }
        let inherited = if mode & admin::MAINT != 0 {
            admin::IMAINT
        } else if mode & admin::DRAIN != 0 {
            admin::IDRAIN
        } else {
            return;
        };
        self.events.push(Event::Propagate(TrackOp::ClrAdmin(inherited)));
    }

    // ---- srv_update_status -------------------------------------------------------------------

    fn backend_down_check(&mut self, prev_count: usize) {
        let (a, b) = self.up_counts();
        if prev_count > 0 && a + b == 0 {
            self.events.push(Event::BackendDown);
        }
    }

    fn update_status(&mut self, next_op: OpState, next_admin: u8, reason: Reason) {
        let now = self.ctx.now;
        let (a, b) = self.up_counts();
        let prev_count = a + b;
        let was_stopping = {
            let s = self.sr();
            s.op == OpState::Stopping || s.in_drain()
        };
        let cur_admin = self.sr().admin;
        let mut next_op = next_op;

        // Operational changes apply only outside maintenance.
        if cur_admin & admin::MAINT == 0 {
            let cur_op = self.sr().op;
            if cur_op != OpState::Stopped && next_op == OpState::Stopped {
                let s = self.s();
                s.last_change = now;
                s.op = OpState::Stopped;
                s.counters.down_trans += 1;
                if s.on_marked_down_shutdown {
                    self.shutdown_sessions = true;
                }
                let via = if reason == Reason::None { self.via(false) } else { None };
                let tail = self.tail(0);
                self.events.push(Event::Op {
                    to: OpState::Stopped,
                    reason: reason.clone(),
                    via,
                    tail,
                    alert: !was_stopping,
                });
                self.backend_down_check(prev_count);
            } else if cur_op != OpState::Stopping && next_op == OpState::Stopping {
                let s = self.s();
                s.last_change = now;
                s.op = OpState::Stopping;
                let via = if reason == Reason::None { self.via(false) } else { None };
                let tail = self.tail(0);
                self.events.push(Event::Op { to: OpState::Stopping, reason: reason.clone(), via, tail, alert: false });
                self.backend_down_check(prev_count);
            } else if (cur_op != OpState::Running && next_op == OpState::Running)
                || (cur_op != OpState::Starting && next_op == OpState::Starting)
            {
                let s = self.s();
                if cur_op == OpState::Stopped && s.last_change < now {
                    s.counters.down_time += now - s.last_change;
                }
                s.last_change = now;
                s.op = next_op;
                self.recalc_weight();
                let s = self.sr();
                if s.on_marked_up_shutdown_backup && !s.backup && s.weight > 0 {
                    self.shutdown_backup_sessions = true;
                }
                let xferred = self.grab(next_admin);
                let via = if reason == Reason::None { self.via(false) } else { None };
                let tail = self.tail(xferred);
                self.events.push(Event::Op { to: OpState::Running, reason: reason.clone(), via, tail, alert: false });
                self.backend_down_check(prev_count);
            }
            next_op = self.sr().op;
        }

        // Administrative changes.
        let cur_admin = self.sr().admin;
        if cur_admin & admin::MAINT == 0 && next_admin & admin::MAINT != 0 {
            {
                let s = self.s();
                if s.check.enabled {
                    s.check.paused = true;
                    s.check.health.set_down();
                }
            }
            let forced = next_admin & admin::FMAINT != 0;
            if self.sr().op == OpState::Stopped {
                let via = self.via(forced);
                self.s().admin = next_admin;
                self.events.push(Event::MaintWasDown { via });
            } else {
                {
                    let s = self.s();
                    s.check.health.set_down();
                    s.last_change = now;
                    s.op = OpState::Stopped;
                    s.admin = next_admin;
                    s.counters.down_trans += 1;
                    if s.on_marked_down_shutdown {
                        self.shutdown_sessions = true;
                    }
                }
                let via = self.via(forced);
                let tail = self.tail(0);
                self.events.push(Event::MaintGoingDown { via, tail, alert: !was_stopping });
                self.backend_down_check(prev_count);
            }
        } else if cur_admin & admin::MAINT != 0 && next_admin & admin::MAINT == 0 {
            // Leaving maintenance: up at once unless a check or the tracked server says otherwise.
            {
                let s = self.s();
                if s.check.enabled {
                    s.check.paused = false;
                    s.check.health.health = s.check.health.rise;
                }
            }
            let track_op = self.ctx.track_op;
            let s = self.sr();
            let has_track = s.track.is_some();
            let track_ok = !has_track || track_op != Some(OpState::Stopped);
            let agent_ok = !s.agent.enabled || s.agent.health.is_up();
            let check_ok = !s.check.enabled || s.check.health.is_up();
            if track_ok && agent_ok && check_ok {
                if has_track && track_op == Some(OpState::Stopping) {
                    next_op = OpState::Stopping;
                } else {
                    let ss = s.slowstart;
                    self.s().last_change = now;
                    next_op = if ss > 0 { OpState::Starting } else { OpState::Running };
                }
            }
            let up = next_op != OpState::Stopped;
            let drain = next_admin & admin::DRAIN != 0;
            // HAProxy rewrites the line for each flag that went away; the last one wins.
            let mut ev = None;
            if cur_admin & admin::FMAINT != 0 && next_admin & admin::FMAINT == 0 {
                ev = Some(Event::MaintLeave { inherited: false, up, drain });
            }
            if cur_admin & admin::IMAINT != 0 && next_admin & admin::IMAINT == 0 {
                ev = Some(Event::MaintLeave { inherited: true, up, drain });
            }
            {
                let s = self.s();
                s.op = next_op;
                s.admin = next_admin;
            }
            if let Some(e) = ev {
                self.events.push(e);
            }
            self.recalc_weight();
            let (a, b) = self.up_counts();
            if prev_count > 0 && a + b == 0 {
                self.events.push(Event::BackendDown);
            }
            let s = self.sr();
            if s.on_marked_up_shutdown_backup && !s.backup && s.weight > 0 {
                self.shutdown_backup_sessions = true;
            }
            self.grab(next_admin);
        } else if next_admin & admin::MAINT != 0 {
            if cur_admin & admin::FMAINT != 0 && next_admin & admin::FMAINT == 0 {
                let via = self.via(false);
                self.events.push(Event::MaintRemainsVia { via });
            } else if cur_admin & admin::IMAINT != 0 && next_admin & admin::IMAINT == 0 {
                self.events.push(Event::MaintRemainsForced);
            }
            self.s().admin = next_admin;
        }

        if next_admin & admin::MAINT == 0 {
            let cur_admin = self.sr().admin;
            if cur_admin & admin::DRAIN == 0 && next_admin & admin::DRAIN != 0 {
                {
                    let s = self.s();
                    s.last_change = now;
                    s.admin = next_admin;
                }
                let via = self.via(next_admin & admin::FDRAIN != 0);
                let tail = self.tail(0);
                self.events.push(Event::DrainEnter { via, tail });
                self.backend_down_check(prev_count);
            } else if cur_admin & admin::DRAIN != 0 && next_admin & admin::DRAIN == 0 {
                {
                    let s = self.s();
                    if s.last_change < now {
                        s.counters.down_time += now - s.last_change;
                    }
                    s.last_change = now;
                    s.admin = next_admin;
                }
                self.recalc_weight();
                let up = self.sr().op != OpState::Stopped;
                self.events.push(Event::DrainLeave { up });
            } else if next_admin & admin::DRAIN != 0 {
                if next_admin & admin::FDRAIN == 0 {
                    let via = self.via(false);
                    self.events.push(Event::DrainRemainsVia { via });
                } else {
                    self.events.push(Event::DrainRemainsForced);
                }
                self.s().admin = next_admin;
            } else {
                self.s().admin = next_admin;
            }
        }
    }

    /// Queued requests an up server takes (`pendconn_grab_from_px`); the backend hands them
    /// over after the call.
    fn grab(&mut self, next_admin: u8) -> usize {
        let s = self.sr();
        if next_admin & (admin::MAINT | admin::DRAIN) != 0 || !s.usable() || s.weight == 0 {
            return 0;
        }
        let max = s.dynamic_maxconn(self.ctx.beconn, self.ctx.fullconn, || self.ctx.now);
        let room =
            if max == 0 { usize::MAX } else { (max as usize).saturating_sub((self.ctx.cur_sess)(self.idx) as usize) };
        let n = self.ctx.queued.min(room);
        self.grab_queue = n;
        n
    }

    // ---- weights -----------------------------------------------------------------------------

    /// `server_recalc_eweight`: the effective weight, ramping during slow start, and the end of
    /// the slow start.
    fn recalc_weight(&mut self) {
        let now = self.ctx.now;
        let s = self.s();
        let ss = u64::from(s.slowstart);
        if (now < s.last_change || now >= s.last_change + ss) && s.op == OpState::Starting {
            s.op = OpState::Running;
        }
        let w = if s.op == OpState::Starting && s.dynamic_lb && ss > 0 {
            ((u64::from(WEIGHT_SCALE) * (now - s.last_change) + ss) / ss) as u32
        } else {
            WEIGHT_SCALE
        };
        s.weight = s.uweight * w;
    }

    /// `server_recalc_eweight(s, 1)`: recompute, then run `srv_update_status`, which logs a
    /// slow start that just ended (`is UP.` once more) and, as HAProxy does, says "remains in
    /// forced drain mode" again when the server is drained.
    fn recalc_weight_and_update(&mut self) {
        let now = self.ctx.now;
        let s = self.s();
        let ss = u64::from(s.slowstart);
        let ends = s.op == OpState::Starting && (now < s.last_change || now >= s.last_change + ss);
        let next_op = if ends { OpState::Running } else { s.op };
        let w = if next_op == OpState::Starting && s.dynamic_lb && ss > 0 {
            ((u64::from(WEIGHT_SCALE) * (now - s.last_change) + ss) / ss) as u32
        } else {
            WEIGHT_SCALE
        };
        s.weight = s.uweight * w;
        let admin = s.admin;
        self.update_status(next_op, admin, Reason::None);
    }
}

/// The outcome of a check as the state stores it (used by tests and callers).
pub fn outcome(status: CheckStatus, code: i32, desc: &str, duration: i64) -> CheckOutcome {
    CheckOutcome { status, code, desc: desc.to_string(), duration }
}

mod checks;

#[cfg(test)]
mod tests;

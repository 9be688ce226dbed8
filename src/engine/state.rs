//! Server state and its single writer, [`apply`]. Config load, health checks, agent checks,
//! passive observation and the runtime API all describe a change as a [`ServerOp`] with a
//! [`Cause`]; `apply` validates it, updates the state, and returns a [`Transition`] the caller
//! logs. Pure: no I/O, no locks (the backend holds its lock around the call).

/// HAProxy's operational state (`srv_op_state`, the numbers `show servers state` prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpState {
    Stopped = 0,
    Starting = 1,
    #[default]
    Running = 2,
    Stopping = 3,
}

/// Administrative flags (`srv_admin_state` bits).
pub mod admin {
    /// Forced maintenance (CLI, agent, stats page).
    pub const FMAINT: u8 = 0x01;
    /// Maintenance inherited from a tracked server.
    pub const IMAINT: u8 = 0x02;
    /// Maintenance from the configuration (`disabled`).
    pub const CMAINT: u8 = 0x04;
    /// Forced drain.
    pub const FDRAIN: u8 = 0x08;
    /// Drain inherited from a tracked server.
    pub const IDRAIN: u8 = 0x10;
    /// Maintenance because the address does not resolve.
    pub const RMAINT: u8 = 0x20;
    /// Maintenance because the host name is being resolved.
    pub const HMAINT: u8 = 0x40;
    pub const MAINT: u8 = FMAINT | IMAINT | CMAINT | RMAINT | HMAINT;
    pub const DRAIN: u8 = FDRAIN | IDRAIN;
}

/// Why a change happened; it decides the wording of the log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    Config,
    Health,
    Agent,
    Observe,
    Cli,
    StateFile,
    StatsPage,
    Tracked,
}

/// A requested change to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOp {
    /// Set or clear administrative flags (`state maint|drain|ready`, `disable server` ...).
    SetAdmin { set: u8, clear: u8 },
    /// Change the user weight (`set server ... weight`, agent `N%`).
    SetWeight(u32),
    /// Force the operational state (`set server ... health up|stopping|down`, check outcomes).
    SetOp(OpState),
    /// Change maxconn (`set maxconn server`, agent `maxconn:N`).
    SetMaxconn(u32),
}

/// The state of one server that changes at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    pub op: OpState,
    pub admin: u8,
    /// Initial weight from the configuration.
    pub iweight: u32,
    /// Current user weight.
    pub uweight: u32,
    pub maxconn: u32,
    pub backup: bool,
    /// Seconds since epoch of the last op/admin change (`lastchg`).
    pub last_change: u64,
}

impl ServerState {
    pub fn new(iweight: u32, maxconn: u32, backup: bool, disabled: bool, now: u64) -> Self {
        ServerState {
            op: OpState::Running,
            admin: if disabled { admin::CMAINT } else { 0 },
            iweight,
            uweight: iweight,
            maxconn,
            backup,
            last_change: now,
        }
    }
    pub fn in_maint(&self) -> bool {
        self.admin & admin::MAINT != 0
    }
    pub fn in_drain(&self) -> bool {
        self.admin & admin::DRAIN != 0
    }
    /// Weight the load balancer uses: zero in drain or while stopping.
    pub fn eweight(&self) -> u32 {
        if self.in_drain() || self.op == OpState::Stopping {
            0
        } else {
            self.uweight
        }
    }
    /// Can take new traffic from the load balancer.
    pub fn usable(&self) -> bool {
        !self.in_maint() && matches!(self.op, OpState::Running | OpState::Starting)
    }
    pub fn lb(&self) -> crate::engine::lb::LbServer {
        crate::engine::lb::LbServer { eweight: self.eweight(), backup: self.backup, usable: self.usable() }
    }
}

/// What `apply` changed, for logs and for the balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub before: ServerState,
    pub after: ServerState,
    pub cause: Cause,
}

impl Transition {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
    pub fn lb_changed(&self) -> bool {
        self.before.lb() != self.after.lb()
    }
    pub fn went_down(&self) -> bool {
        self.before.usable() && !self.after.usable()
    }
    pub fn came_up(&self) -> bool {
        !self.before.usable() && self.after.usable()
    }
}

/// Apply one operation. Returns the transition (possibly a no-op).
pub fn apply(state: &mut ServerState, op: &ServerOp, cause: Cause, now: u64) -> Transition {
    let before = state.clone();
    match op {
        ServerOp::SetAdmin { set, clear } => {
            state.admin = (state.admin | set) & !clear;
            // Leaving maintenance makes a server usable at once; checks take it down again if needed.
            if before.in_maint() && !state.in_maint() && state.op == OpState::Stopped {
                state.op = OpState::Running;
            }
        }
        ServerOp::SetWeight(w) => state.uweight = (*w).min(256),
        ServerOp::SetOp(o) => state.op = *o,
        ServerOp::SetMaxconn(m) => state.maxconn = *m,
    }
    if before.op != state.op || before.admin != state.admin {
        state.last_change = now;
    }
    Transition { before, after: state.clone(), cause }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maint_and_ready() {
        let mut s = ServerState::new(100, 0, false, false, 0);
        assert!(s.usable());
        let t = apply(&mut s, &ServerOp::SetAdmin { set: admin::FMAINT, clear: 0 }, Cause::Cli, 5);
        assert!(t.went_down());
        assert_eq!(s.last_change, 5);
        let t = apply(&mut s, &ServerOp::SetAdmin { set: 0, clear: admin::FMAINT | admin::FDRAIN }, Cause::Cli, 6);
        assert!(t.came_up());
    }

    #[test]
    fn drain_zeroes_effective_weight_only() {
        let mut s = ServerState::new(10, 0, false, false, 0);
        apply(&mut s, &ServerOp::SetAdmin { set: admin::FDRAIN, clear: 0 }, Cause::Cli, 1);
        assert_eq!((s.eweight(), s.uweight, s.usable()), (0, 10, true));
    }

    #[test]
    fn config_disabled_is_maint() {
        let s = ServerState::new(1, 0, false, true, 0);
        assert_eq!(s.admin, admin::CMAINT);
        assert!(!s.usable());
    }
}

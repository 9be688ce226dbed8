//! Server state and its single writer, [`apply`]. Config load, health checks, agent checks,
//! passive observation, tracking and the runtime API all describe a change as a [`ServerOp`]
//! with a [`Cause`]; `apply` validates it, updates the state with HAProxy's rules (the port of
//! `srv_update_status` lives in `transitions.rs`), and returns a [`Transition`] listing the
//! events to log, in order, and the changes to pass on to tracking servers. Pure: no I/O, no
//! locks (the backend holds its lock around the call).

use std::sync::Arc;

pub use super::health::{CheckResult, CheckStatus, Hana, Health};

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
    /// Forced maintenance (CLI, agent, stats page, `disabled`).
    pub const FMAINT: u8 = 0x01;
    /// Maintenance inherited from a tracked server.
    pub const IMAINT: u8 = 0x02;
    /// Marks a server put in maintenance by the configuration (`disabled`); alone it does not
    /// mean maintenance, as in HAProxy (`disabled` sets it together with FMAINT).
    pub const CMAINT: u8 = 0x04;
    /// Forced drain.
    pub const FDRAIN: u8 = 0x08;
    /// Drain inherited from a tracked server.
    pub const IDRAIN: u8 = 0x10;
    /// Maintenance because the address does not resolve.
    pub const RMAINT: u8 = 0x20;
    /// Maintenance because the host name is being resolved.
    pub const HMAINT: u8 = 0x40;
    pub const MAINT: u8 = FMAINT | IMAINT | RMAINT | HMAINT;
    pub const DRAIN: u8 = FDRAIN | IDRAIN;
}

/// HAProxy's weight scale: effective weights are user weights times this (BE_WEIGHT_SCALE).
pub const WEIGHT_SCALE: u32 = 16;

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

impl Cause {
    /// The free-text reason HAProxy prints for forced operational changes.
    pub fn text(&self) -> Option<&'static str> {
        match self {
            Cause::Cli => Some("changed from CLI"),
            Cause::StateFile => Some("changed from server-state after a reload"),
            Cause::StatsPage => Some("changed from Web interface"),
            _ => None,
        }
    }
}

/// The end of one check: what the probe concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub status: CheckStatus,
    /// L7 status code (HTTP status, SMTP code, ...); 0 when there is none.
    pub code: i32,
    /// Free text (`info:` in logs, `last_chk` in stats).
    pub desc: String,
    /// Milliseconds from the start of the check.
    pub duration: i64,
}

/// The health words an agent may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHealth {
    Up,
    Down,
    Stopped,
    Fail,
}

/// The admin words an agent may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentAdmin {
    Ready,
    Drain,
    Maint,
}

/// One parsed agent reply line (the parser lives in `checks::agent`). The last word of each
/// category wins, as in HAProxy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentReply {
    /// The health word as received (its case is kept for the log text) and its meaning.
    pub health: Option<(String, AgentHealth)>,
    pub admin: Option<AgentAdmin>,
    /// `N%` word, as received.
    pub weight: Option<String>,
    /// Value after `maxconn:`.
    pub maxconn: Option<String>,
    /// The first word nobody understood.
    pub error: Option<String>,
    /// Text after `#`.
    pub description: String,
    /// The connection closed before a full line: HAProxy keeps the previous status and says so.
    pub incomplete: bool,
}

/// The change a tracked server passes on to the servers tracking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackOp {
    Stopped,
    Running,
    Stopping,
    SetAdmin(u8),
    ClrAdmin(u8),
}

/// A requested change to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOp {
    /// Set or clear administrative flags (`state maint|drain|ready`, `disable server` ...),
    /// one flag at a time in bit order, clears first.
    SetAdmin { set: u8, clear: u8 },
    /// Change the user weight (`set server ... weight`, agent `N%`).
    SetWeight(u32),
    /// Force the operational state (`set server ... health up|stopping|down`): the health
    /// check counter follows, and the log says why (the cause's text).
    SetOp(OpState),
    /// Change maxconn (`set maxconn server`, agent `maxconn:N`).
    SetMaxconn(u32),
    /// A check starts: its previous text is cleared and it shows as running.
    CheckStart { agent: bool },
    /// A check finished.
    CheckResult { agent: bool, outcome: CheckOutcome },
    /// The agent answered (its probe duration travels with it).
    Agent { reply: AgentReply, duration: i64 },
    /// A passive-check observation from the traffic path.
    Observe(Hana),
    /// Slow start tick: recompute the ramping weight.
    Warmup,
    /// A change coming from the tracked server.
    Track(TrackOp),
    /// `enable/disable health|agent`.
    SetCheckEnabled { agent: bool, enabled: bool },
    /// `set server ... agent up|down`: the agent's health counter is forced and the server
    /// follows, with the cause's text in the log.
    SetAgentHealth { up: bool },
}

/// One check (health or agent) as HAProxy keeps it in `struct check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckState {
    /// The server has this check in its configuration.
    pub configured: bool,
    pub enabled: bool,
    /// Suspended while the server is in maintenance (health checks only).
    pub paused: bool,
    /// A check is in progress.
    pub running: bool,
    pub health: Health,
    pub status: CheckStatus,
    pub result: CheckResult,
    pub code: i32,
    pub desc: String,
    /// Milliseconds, -1 when not applicable (Health analyze).
    pub duration: i64,
    /// An observed error asked for the next check to come at `fastinter`.
    pub fastinter_forced: bool,
}

impl CheckState {
    pub fn new(configured: bool, rise: u32, fall: u32) -> Self {
        CheckState {
            configured,
            enabled: configured,
            paused: false,
            running: false,
            health: Health::new(rise, fall),
            status: if configured { CheckStatus::Ini } else { CheckStatus::Unknown },
            result: CheckResult::Unknown,
            code: 0,
            desc: String::new(),
            duration: -1,
            fastinter_forced: false,
        }
    }
    /// Running and not suspended by maintenance.
    pub fn active(&self) -> bool {
        self.enabled && !self.paused
    }
}

/// `observe` settings of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObserveSpec {
    pub layer7: bool,
    pub error_limit: u32,
    pub on_error: OnErrorAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnErrorAction {
    FastInter,
    FailCheck,
    SuddenDeath,
    MarkDown,
}

/// The server a server tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub backend: usize,
    pub server: usize,
    /// `be/srv`, as printed after `via`.
    pub name: Arc<str>,
}

/// State-change counters (`chkfail`, `chkdown`, `hanafail`, `downtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateCounters {
    pub failed_checks: u64,
    pub down_trans: u64,
    pub failed_hana: u64,
    /// Seconds spent down before the current period.
    pub down_time: u64,
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
    /// Effective weight in HAProxy's units (`uweight * WEIGHT_SCALE`, less during slow start).
    pub weight: u32,
    pub maxconn: u32,
    /// `minconn`: the floor of the dynamic limit while the backend is below `fullconn`
    /// (equal to `maxconn` when not set: a static limit).
    pub minconn: u32,
    pub backup: bool,
    /// Seconds since epoch of the last op/admin change (`lastchg`).
    pub last_change: u64,
    pub check: CheckState,
    pub agent: CheckState,
    /// `slowstart`, in seconds (HAProxy rounds the configured time up to a second).
    pub slowstart: u32,
    /// The backend's algorithm follows weight changes at once (slow start ramps only there).
    pub dynamic_lb: bool,
    pub track: Option<TrackRef>,
    pub observe: Option<ObserveSpec>,
    pub consecutive_errors: u32,
    pub on_marked_down_shutdown: bool,
    pub on_marked_up_shutdown_backup: bool,
    pub counters: StateCounters,
}

impl ServerState {
    pub fn new(iweight: u32, maxconn: u32, backup: bool, disabled: bool, now: u64) -> Self {
        let mut s = ServerState {
            op: OpState::Running,
            admin: 0,
            iweight,
            uweight: iweight,
            weight: iweight * WEIGHT_SCALE,
            maxconn,
            minconn: maxconn,
            backup,
            last_change: now,
            check: CheckState::new(false, 2, 3),
            agent: CheckState::new(false, 1, 1),
            slowstart: 0,
            dynamic_lb: true,
            track: None,
            observe: None,
            consecutive_errors: 0,
            on_marked_down_shutdown: false,
            on_marked_up_shutdown_backup: false,
            counters: StateCounters::default(),
        };
        if disabled {
            s.set_disabled();
        }
        s
    }

    /// The connection limit in force now (HAProxy's `srv_dynamic_maxconn`): between `minconn`
    /// and `maxconn` in proportion to the backend's connections (`beconn`) over `fullconn`,
    /// and ramped up during slow start. 0 means no limit. `now` (seconds) is only read during
    /// slow start.
    pub fn dynamic_maxconn(&self, beconn: u32, fullconn: u32, now: impl FnOnce() -> u64) -> u32 {
        if self.maxconn == 0 {
            return 0;
        }
        let mut max = if beconn >= fullconn || self.minconn == self.maxconn {
            self.maxconn
        } else {
            self.minconn.max((u64::from(beconn) * u64::from(self.maxconn) / u64::from(fullconn.max(1))) as u32)
        };
        if self.op != OpState::Starting || self.slowstart == 0 {
            return max;
        }
        let now = now();
        if now < self.last_change + u64::from(self.slowstart) && now >= self.last_change {
            let ratio = 100 * (now - self.last_change) / u64::from(self.slowstart);
            max = 1.max((u64::from(max) * ratio / 100) as u32);
        }
        max
    }

    /// `disabled` in the configuration: forced maintenance from the start, checks paused.
    pub fn set_disabled(&mut self) {
        self.admin |= admin::CMAINT | admin::FMAINT;
        self.op = OpState::Stopped;
        // HAProxy pauses the health check and zeroes its counter whether or not a check is
        // configured (`show servers state` then reads check_state 8, check_health 0).
        self.check.paused = true;
        self.check.health.set_down();
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
            self.weight
        }
    }
    /// The weight `show stat` prints (HAProxy rounds the effective weight up).
    pub fn shown_weight(&self) -> u32 {
        self.weight.div_ceil(WEIGHT_SCALE)
    }
    /// Slow-start throttle in percent, when ramping (`throttle` in show stat).
    pub fn throttle(&self) -> Option<u32> {
        if self.op != OpState::Starting || self.uweight == 0 {
            return None;
        }
        Some((100 * self.weight).div_ceil(WEIGHT_SCALE * self.uweight))
    }
    /// Can take new traffic from the load balancer.
    pub fn usable(&self) -> bool {
        !self.in_maint() && matches!(self.op, OpState::Running | OpState::Starting)
    }
    /// Counted in "N active and M backup servers" (HAProxy's `srv_willbe_usable`).
    pub fn counts_as_up(&self) -> bool {
        self.usable() && !self.in_drain() && self.weight > 0
    }
    /// What the balancer sees. It takes user weights and scales them itself, so a slow-start
    /// ramp reaches it rounded up to whole user-weight steps.
    pub fn lb(&self) -> crate::engine::lb::LbServer {
        let eweight = self.eweight().div_ceil(WEIGHT_SCALE);
        crate::engine::lb::LbServer { eweight, backup: self.backup, usable: self.usable() }
    }

    /// The `status` column of `show stat` for this server (`UP`, `DOWN 1/2`, `NOLB`, `MAINT`,
    /// `DRAIN (agent)`, `no check` ...). `tracked` is the tracked server's state, if any: HAProxy
    /// shows the health of the server at the end of the tracking chain.
    pub fn status_text(&self, tracked: Option<&ServerState>) -> String {
        let r = tracked.unwrap_or(self);
        if self.admin & admin::RMAINT != 0 {
            return "MAINT (resolution)".into();
        }
        if self.admin & admin::IMAINT != 0 {
            if let Some(t) = &self.track {
                return format!("MAINT (via {})", t.name);
            }
        }
        if self.in_maint() {
            return "MAINT".into();
        }
        let (n, m) = r.check.health.fraction();
        let full = r.check.health.is_full();
        match self.op {
            OpState::Running | OpState::Starting => {
                let going_down = r.check.enabled && !full;
                if self.in_drain() {
                    if r.agent.enabled {
                        return "DRAIN (agent)".into();
                    }
                    return if going_down { format!("DRAIN {n}/{m}") } else { "DRAIN".into() };
                }
                if going_down {
                    format!("UP {n}/{m}")
                } else if !r.check.enabled {
                    "no check".into()
                } else {
                    "UP".into()
                }
            }
            OpState::Stopping => {
                if (!self.check.enabled && self.track.is_none()) || full {
                    "NOLB".into()
                } else {
                    format!("NOLB {n}/{m}")
                }
            }
            OpState::Stopped => {
                if r.agent.enabled && r.agent.health.health == 0 {
                    "DOWN (agent)".into()
                } else if r.check.enabled && r.check.health.health == 0 {
                    "DOWN".into()
                } else if r.agent.enabled || r.check.enabled {
                    format!("DOWN {n}/{m}")
                } else {
                    "DOWN".into()
                }
            }
        }
    }
}

/// Build a server's state from its configuration: check and agent settings, slow start,
/// passive checks, and `disabled`.
pub fn from_spec(spec: &crate::ir::types::Server, px: &crate::ir::types::Proxy, weight: u32, now: u64) -> ServerState {
    use crate::ir::types::{Balance, HashMethod, Observe, OnError};
    let o = &spec.opts;
    // HAProxy's start-up normalisation: a `minconn` above `maxconn` (or alone) becomes the
    // limit; a `maxconn` alone is a static limit.
    let (max, min) = (o.maxconn.unwrap_or(0), o.minconn.unwrap_or(0));
    let mut s = ServerState::new(weight, max.max(min), o.backup, false, now);
    s.minconn = if min > max || min == 0 { max.max(min) } else { min };
    let rise = o.rise.unwrap_or(2).max(1) as u32;
    let fall = o.fall.unwrap_or(3).max(1) as u32;
    s.check = CheckState::new(o.check && px.caps.backend, rise, fall);
    s.agent = CheckState::new(o.agent_check && o.agent_port.is_some() && px.caps.backend, 1, 1);
    s.slowstart = o.slowstart.map(|ms| ms.div_ceil(1000)).unwrap_or(0);
    s.dynamic_lb = match &px.balance {
        Balance::StaticRr => false,
        Balance::Source
        | Balance::Uri { .. }
        | Balance::UrlParam { .. }
        | Balance::Hdr { .. }
        | Balance::Rdp { .. }
        | Balance::Hash { .. } => px.hash_type.method == HashMethod::Consistent,
        _ => true,
    };
    s.observe = match o.observe {
        Some(Observe::Layer4) | Some(Observe::Layer7) => Some(ObserveSpec {
            layer7: o.observe == Some(Observe::Layer7),
            error_limit: o.error_limit.unwrap_or(10).max(1) as u32,
            on_error: match o.on_error.unwrap_or(OnError::FailCheck) {
                OnError::FastInter => OnErrorAction::FastInter,
                OnError::FailCheck => OnErrorAction::FailCheck,
                OnError::SuddenDeath => OnErrorAction::SuddenDeath,
                OnError::MarkDown => OnErrorAction::MarkDown,
            },
        }),
        _ => None,
    };
    s.on_marked_down_shutdown = o.on_marked_down.as_deref() == Some("shutdown-sessions");
    s.on_marked_up_shutdown_backup = o.on_marked_up.as_deref() == Some("shutdown-backup-sessions");
    if o.disabled {
        s.set_disabled();
    }
    s
}

/// A tracking server inherits its target's maintenance and drain at startup, without logs.
pub fn inherit_at_start(s: &mut ServerState, target: &ServerState) {
    if target.admin & (admin::MAINT | admin::CMAINT) != 0 && s.admin & admin::IMAINT == 0 {
        s.admin |= admin::IMAINT;
        s.op = OpState::Stopped;
        if s.check.enabled {
            s.check.paused = true;
            s.check.health.set_down();
        }
    }
    if target.admin & admin::DRAIN != 0 {
        s.admin |= admin::IDRAIN;
    }
}

/// Check details printed after `reason:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInfo {
    pub status: CheckStatus,
    pub code: i32,
    pub desc: String,
    pub duration: i64,
}

impl CheckInfo {
    pub fn of(c: &CheckState) -> CheckInfo {
        CheckInfo { status: c.status, code: c.code, desc: c.desc.clone(), duration: c.duration }
    }
}

/// Why an operational state changed, as `srv_append_status` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Nothing: the line may still say ` via be/srv` for a tracking server.
    None,
    /// `, reason: <desc>[, code: N][, info: "..."][, check duration: Nms]`.
    Check(CheckInfo),
    /// `, changed from CLI` and friends.
    Text(String),
}

/// The "N active and M backup servers left/online ..." tail of a state line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    /// The server ends up stopped: "left" and "sessions active" wording.
    pub down: bool,
    pub active: usize,
    pub backup: usize,
    pub cur_sess: u32,
    pub xferred: usize,
    pub queue: usize,
}

/// Something to log, in the order HAProxy logs it. Rendered by `engine::events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `option log-health-checks`: `Health check for server be/s failed, ...`.
    CheckReport { agent: bool, result: CheckResult, info: CheckInfo, health: Health, uweight: u32 },
    /// `is DOWN` / `is UP` / `is stopping`.
    Op { to: OpState, reason: Reason, via: Option<Arc<str>>, tail: Tail, alert: bool },
    /// `was DOWN and now enters maintenance`.
    MaintWasDown { via: Option<Arc<str>> },
    /// `is going DOWN for maintenance`.
    MaintGoingDown { via: Option<Arc<str>>, tail: Tail, alert: bool },
    /// `is UP/READY (leaving forced maintenance)` and its variants.
    MaintLeave { inherited: bool, up: bool, drain: bool },
    /// `is leaving forced maintenance but remains in maintenance[ via be/s]`.
    MaintRemainsVia { via: Option<Arc<str>> },
    /// `remains in forced maintenance`.
    MaintRemainsForced,
    /// `enters drain state`.
    DrainEnter { via: Option<Arc<str>>, tail: Tail },
    /// `is UP (leaving forced drain)`.
    DrainLeave { up: bool },
    /// `is leaving forced drain but remains in drain mode[ via be/s]`.
    DrainRemainsVia { via: Option<Arc<str>> },
    /// `remains in forced drain mode`.
    DrainRemainsForced,
    /// `backend be has no server available!`.
    BackendDown,
    /// Not a line: the change to pass on to the servers tracking this one, at this point of
    /// the sequence (their lines come right after this server's earlier ones, as in HAProxy).
    Propagate(TrackOp),
}

/// What `apply` changed, for logs, for the balancer and for the servers tracking this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub before: ServerState,
    pub after: ServerState,
    pub cause: Cause,
    /// Lines to log and changes to propagate, in order.
    pub events: Vec<Event>,
    /// `on-marked-down shutdown-sessions`: kill this server's sessions.
    pub shutdown_sessions: bool,
    /// `on-marked-up shutdown-backup-sessions`: kill the backup servers' sessions.
    pub shutdown_backup_sessions: bool,
    /// Queued requests this server should take now that it is up.
    pub grab_queue: usize,
    /// The health check should run again soon (an observed error forced fastinter).
    pub wake_check: bool,
    /// The agent refused a weight/maxconn change; its text (`agent warns : ...`).
    pub warning: Option<String>,
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

/// Inputs `apply` needs beyond the backend's states.
pub struct ApplyCtx<'a> {
    /// Seconds since the epoch.
    pub now: u64,
    /// `option log-health-checks` on the backend.
    pub log_health_checks: bool,
    /// The operational state of the server this one tracks, read by the caller beforehand.
    pub track_op: Option<OpState>,
    /// Sessions currently attached to a server of this backend.
    pub cur_sess: &'a dyn Fn(usize) -> u32,
    /// Requests waiting in the backend's queue.
    pub queued: usize,
    /// The backend's connections and its `fullconn`, for the dynamic `minconn` limit.
    pub beconn: u32,
    pub fullconn: u32,
}

impl ApplyCtx<'_> {
    /// A context for a lone server with no sessions and no queue (tests, simple callers).
    pub fn simple(now: u64) -> ApplyCtx<'static> {
        ApplyCtx { now, log_health_checks: false, track_op: None, cur_sess: &|_| 0, queued: 0, beconn: 0, fullconn: 1 }
    }
}

/// Apply one operation to server `idx` of a backend whose servers are `states`.
pub fn apply_in(states: &mut [ServerState], idx: usize, op: &ServerOp, cause: Cause, ctx: &ApplyCtx) -> Transition {
    super::transitions::apply(states, idx, op, cause, ctx)
}

/// Apply one operation to a lone server (no neighbours to count). Returns the transition.
pub fn apply(state: &mut ServerState, op: &ServerOp, cause: Cause, now: u64) -> Transition {
    let mut one = [state.clone()];
    let t = apply_in(&mut one, 0, op, cause, &ApplyCtx::simple(now));
    let [s] = one;
    *state = s;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_maxconn_follows_the_backend_load() {
        // minconn 2, maxconn 6, fullconn 10 (measured against HAProxy in compat runtime_api::minconn).
        let mut s = ServerState::new(100, 6, false, false, 0);
        s.minconn = 2;
        let at = |s: &ServerState, beconn| s.dynamic_maxconn(beconn, 10, || unreachable!("no slow start"));
        assert_eq!([at(&s, 0), at(&s, 1), at(&s, 5), at(&s, 8), at(&s, 10), at(&s, 50)], [2, 2, 3, 4, 6, 6]);
        s.minconn = 6;
        assert_eq!(at(&s, 1), 6, "minconn == maxconn is a static limit");
        s.maxconn = 0;
        assert_eq!(at(&s, 1), 0, "no maxconn, no limit");
        // Slow start ramps the limit over its seconds, never below 1.
        let mut s = ServerState::new(100, 10, false, false, 100);
        s.op = OpState::Starting;
        s.slowstart = 4;
        assert_eq!(s.dynamic_maxconn(20, 10, || 100), 1);
        assert_eq!(s.dynamic_maxconn(20, 10, || 102), 5);
        assert_eq!(s.dynamic_maxconn(20, 10, || 104), 10);
    }

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
        assert_eq!(s.admin, admin::CMAINT | admin::FMAINT);
        assert!(!s.usable());
        assert_eq!(s.status_text(None), "MAINT");
    }

    #[test]
    fn cmaint_alone_is_not_maintenance() {
        let mut s = ServerState::new(1, 0, false, true, 0);
        apply(&mut s, &ServerOp::SetAdmin { set: 0, clear: admin::FMAINT }, Cause::Cli, 1);
        assert_eq!(s.admin, admin::CMAINT);
        assert!(s.usable());
    }
}

//! Backends and servers at run time. A backend owns its servers' changing state and its
//! balancer behind one lock (taken briefly, never across `.await`); per-server connection counts
//! and counters are atomics outside the lock so the proxy path reads them without locking.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::sync::{Arc, OnceLock};

use std::collections::VecDeque;
use std::time::Duration;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::counters::Counters;
use super::lb::{self, Balancer, ConnView, PickRequest};
use super::state::{self, ApplyCtx, Cause, ServerOp, ServerState, TrackRef, Transition};
use crate::ir::addr::{Host, PortSpec};
use crate::ir::types::{Balance, Proxy, Server as ServerSpec};

/// The parts of a server that never change at run time, plus its live address.
pub struct Server {
    pub idx: usize,
    /// Server id (`sid` in show stat), forced by `id` or assigned in order from 1.
    pub id: u32,
    pub name: String,
    pub spec: ServerSpec,
    /// Where to connect; changed by `set server addr`. `None` port means the client's port.
    pub addr: ArcSwap<ServerAddr>,
    /// The server's own `source` address, parsed once (see [`Backend::source_of`]).
    pub source: Option<std::net::SocketAddr>,
    /// Idle HTTP connections to this server, for reuse.
    pub idle: super::proxy::http::pool::IdlePool,
    /// Connections currently established or being established to this server.
    pub cur_conns: AtomicU32,
    pub counters: Counters,
    /// Woken by `on-marked-down shutdown-sessions` (and `on-marked-up shutdown-backup-sessions`
    /// on backups) and `shutdown sessions server`: sessions on this server end. Use
    /// [`Server::kill_sessions`], which records the cause first.
    pub shutdown: tokio::sync::Notify,
    /// The termination cause of the last shutdown (HAProxy's `K`, `D` or `U`).
    shutdown_cause: std::sync::atomic::AtomicU8,
    /// Woken when an observed error asks for the next health check at `fastinter`.
    pub check_wake: tokio::sync::Notify,
    /// Where and what the checks send; the runtime API may change it.
    pub check_params: ArcSwap<CheckParams>,
    /// Added at run time (`add server`).
    pub dynamic: bool,
    /// Removed at run time (`del server`): it keeps its slot but is gone for every purpose.
    pub deleted: AtomicBool,
    /// The server this one tracks, resolved at start (read without locking).
    pub track: std::sync::OnceLock<TrackRef>,
    /// The servers tracking this one, most recently declared first, fixed at start.
    pub trackers: std::sync::OnceLock<Vec<(usize, usize)>>,
}

impl Server {
    /// End every session on this server; `cause` is HAProxy's termination flag for them
    /// (`K` killed from the runtime API, `D` marked down, `U` a backup when a server came up).
    pub fn kill_sessions(&self, cause: u8) {
        self.shutdown_cause.store(cause, std::sync::atomic::Ordering::Relaxed);
        self.shutdown.notify_waiters();
    }

    /// The cause recorded by the last [`Server::kill_sessions`].
    pub fn shutdown_cause(&self) -> u8 {
        self.shutdown_cause.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Servers per chunk of a [`ServerList`].
const CHUNK: usize = 64;
/// Room for servers added at run time beyond the configured ones, in chunks.
const DYNAMIC_CHUNKS: usize = 16;

/// A backend's servers: the configured ones, then those added at run time. It only grows, so
/// an index stays valid and `list[idx]` needs no lock; appends are serialized by the backend.
/// One chunk of slots, allocated when first needed.
type Chunk = OnceLock<Box<[OnceLock<Arc<Server>>]>>;

pub struct ServerList {
    chunks: Vec<Chunk>,
    len: AtomicUsize,
}

impl ServerList {
    fn new(servers: Vec<Arc<Server>>) -> ServerList {
        let n = servers.len();
        let chunks = (0..n.div_ceil(CHUNK) + DYNAMIC_CHUNKS).map(|_| OnceLock::new()).collect();
        let l = ServerList { chunks, len: AtomicUsize::new(0) };
        for s in servers {
            let _ = l.push(s);
        }
        l
    }
    fn slot(&self, i: usize) -> Option<&OnceLock<Arc<Server>>> {
        let chunk = self.chunks.get(i / CHUNK)?.get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect());
        chunk.get(i % CHUNK)
    }
    /// Append a server; None when the list is full. Callers serialize appends.
    fn push(&self, s: Arc<Server>) -> Option<usize> {
        let i = self.len.load(Acquire);
        self.slot(i)?.set(s).ok()?;
        self.len.store(i + 1, Release);
        Some(i)
    }
    pub fn len(&self) -> usize {
        self.len.load(Acquire)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> Option<&Arc<Server>> {
        if i >= self.len() {
            return None;
        }
        self.chunks.get(i / CHUNK)?.get()?.get(i % CHUNK)?.get()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Server>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

impl std::ops::Index<usize> for ServerList {
    type Output = Arc<Server>;
    fn index(&self, i: usize) -> &Arc<Server> {
        self.get(i).expect("server index out of range")
    }
}

/// Check and agent settings that `set server ... check-addr | check-port | agent-addr |
/// agent-port | agent-send` change at run time. Addresses keep their configured text form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckParams {
    pub check_addr: Option<String>,
    pub check_port: Option<u16>,
    pub agent_addr: Option<String>,
    pub agent_port: Option<u16>,
    pub agent_send: Option<String>,
}

impl CheckParams {
    pub fn from_spec(s: &ServerSpec) -> CheckParams {
        let o = &s.opts;
        CheckParams {
            check_addr: o.check_addr.clone(),
            check_port: o.check_port,
            agent_addr: o.agent_addr.clone(),
            agent_port: o.agent_port,
            agent_send: o.agent_send.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddr {
    pub ip: Option<std::net::IpAddr>,
    pub port: PortSpec,
}

impl ServerAddr {
    /// The address to connect to for a client whose destination port was `dst_port`.
    pub fn target(&self, dst_port: u16) -> Option<SocketAddr> {
        let ip = self.ip?;
        let port = match self.port {
            PortSpec::Fixed(p) => p,
            PortSpec::None => dst_port,
            PortSpec::Offset(o) => (i32::from(dst_port) + o).clamp(0, 65535) as u16,
            PortSpec::Range(a, _) => a,
        };
        Some(SocketAddr::new(ip, port))
    }
}

struct Inner {
    states: Vec<ServerState>,
    balancer: Box<dyn Balancer>,
    /// Requests waiting for a slot, served in arrival order. Kept under the same lock as the
    /// balancer so a slot freed between a failed pick and the enqueue cannot be lost.
    waiters: VecDeque<Waiter>,
}

struct Waiter {
    tx: oneshot::Sender<Arc<Server>>,
    /// Only this server may serve the waiter (persistence); `None` = any server.
    only: Option<usize>,
}

/// The outcome of asking for a server.
pub enum Acquired {
    Server(Arc<Server>),
    /// No usable server at all (503 without queueing).
    NoServer,
    /// Waited in the queue until `timeout queue` (503, `sQ` in logs).
    QueueTimeout,
    /// The queue is at `maxqueue`.
    QueueFull,
}

pub struct Backend {
    pub idx: usize,
    pub id: u32,
    pub name: String,
    pub spec: Arc<Proxy>,
    pub servers: ServerList,
    inner: Mutex<Inner>,
    pub counters: Counters,
    /// Current and max queue length (qcur/qmax).
    pub queued: super::counters::Gauge,
    /// HAProxy's default `fullconn`, computed once the frontends are known
    /// (`engine::default_fullconn`); used when the backend sets none.
    pub default_fullconn: AtomicU32,
    /// `use-server` rules, compiled when the engine starts.
    pub rules: super::rules::switching::BackendRules,
    /// Where state-change lines go, resolved on first use.
    pub log_targets: std::sync::OnceLock<Vec<crate::log::Target>>,
    /// Where passive-check observations go (`engine::events` installs it at start).
    pub observer: std::sync::OnceLock<Box<dyn Fn(usize, super::health::Hana) + Send + Sync>>,
    /// TCP keep-alive for server connections (`option srvtcpka`), built once.
    pub server_keepalive: Option<socket2::TcpKeepalive>,
    /// The proxy's `source` address (servers without their own bind to it), parsed once.
    pub source: Option<std::net::SocketAddr>,
}

/// What the balancer sees of the servers: live connection counts and the limits in force.
struct Conns<'a> {
    servers: &'a ServerList,
    states: &'a [ServerState],
    /// The backend's connections now (HAProxy's `beconn`) and its `fullconn`, for the dynamic
    /// limit.
    beconn: u32,
    fullconn: u32,
}

impl ConnView for Conns<'_> {
    fn cur_conns(&self, idx: usize) -> u32 {
        self.servers[idx].cur_conns.load(Relaxed)
    }
    fn maxconn(&self, idx: usize) -> u32 {
        self.states[idx].dynamic_maxconn(self.beconn, self.fullconn, super::unix_now)
    }
    fn maxqueue(&self, idx: usize) -> u32 {
        self.servers[idx].spec.opts.maxqueue.unwrap_or(0)
    }
}

impl Backend {
    pub fn new(idx: usize, id: u32, spec: Arc<Proxy>, now: u64) -> Backend {
        let mut next_id = 1u32;
        let mut servers = Vec::new();
        let mut states = Vec::new();
        for (i, s) in spec.servers.iter().enumerate() {
            let id = match s.opts.id {
                Some(v) if v > 0 => v as u32,
                _ => {
                    // Auto ids skip the ones forced by `id`.
                    while spec.servers.iter().any(|o| o.opts.id == Some(next_id as i32)) {
                        next_id += 1;
                    }
                    next_id += 1;
                    next_id - 1
                }
            };
            let ip = match &s.addr.host {
                Host::Ip(ip) | Host::Resolved { ip, .. } => Some(*ip),
                _ => None,
            };
            let weight = s.opts.weight.unwrap_or(1).max(0) as u32;
            states.push(state::from_spec(s, &spec, weight, now));
            servers.push(Arc::new(Server {
                idx: i,
                id,
                name: s.name.clone(),
                spec: s.clone(),
                addr: ArcSwap::from_pointee(ServerAddr { ip, port: s.addr.port }),
                source: s.opts.source.as_deref().and_then(|t| crate::ir::types::source_bind(t).ok()),
                idle: Default::default(),
                cur_conns: AtomicU32::new(0),
                counters: Counters::default(),
                shutdown: tokio::sync::Notify::new(),
                shutdown_cause: std::sync::atomic::AtomicU8::new(b'K'),
                check_wake: tokio::sync::Notify::new(),
                check_params: ArcSwap::from_pointee(CheckParams::from_spec(s)),
                dynamic: false,
                deleted: AtomicBool::new(false),
                track: std::sync::OnceLock::new(),
                trackers: std::sync::OnceLock::new(),
            }));
        }
        let lb_view: Vec<_> = states.iter().map(|s| s.lb()).collect();
        let ids: Vec<u32> = servers.iter().map(|s| s.id).collect();
        let balancer = lb::for_proxy(&spec, &lb_view, &ids);
        Backend {
            idx,
            id,
            name: spec.name.clone(),
            server_keepalive: super::proxy::sockopt::server_keepalive(&spec),
            source: spec.source.as_ref().and_then(|s| crate::ir::types::source_bind(&s.addr).ok()),
            spec,
            servers: ServerList::new(servers),
            inner: Mutex::new(Inner { states, balancer, waiters: VecDeque::new() }),
            counters: Counters::default(),
            queued: Default::default(),
            default_fullconn: AtomicU32::new(0),
            rules: Default::default(),
            log_targets: std::sync::OnceLock::new(),
            observer: std::sync::OnceLock::new(),
        }
    }

    /// Pick a server for a new request and count the connection against it; when every usable
    /// server is full, wait in the queue up to `queue_timeout`.
    pub async fn acquire(&self, req: &PickRequest<'_>, queue_timeout: Duration, maxqueue: u32) -> Acquired {
        let rx = {
            let mut inner = self.inner.lock();
            let Inner { states, balancer, waiters } = &mut *inner;
            let conns = self.conns(states);
            // The algorithm may insist on a full server (hashing, the first backup): then the
            // request waits for a slot on that one, as HAProxy queues it on the server.
            let mut only = None;
            // With requests already waiting in the backend's queue, the round-robin family and
            // `first` know every server is full and queue this one behind them (HAProxy's
            // assign_server); a limit that grew meanwhile is served from the queue, in order.
            let queue_first = !waiters.is_empty() && {
                let backend_queue = waiters.iter().filter(|w| w.only.is_none()).count();
                backend_queue > 0
                    && backend_queue != conns.beconn as usize
                    && matches!(self.spec.balance, Balance::RoundRobin | Balance::StaticRr | Balance::First)
            };
            let picked = if queue_first { None } else { balancer.pick(req, &conns) };
            if let Some(idx) = picked {
                if !conns.is_full(idx) {
                    balancer.conn_taken(idx);
                    let srv = self.servers[idx].clone();
                    srv.cur_conns.fetch_add(1, Relaxed);
                    return Acquired::Server(srv);
                }
                only = Some(idx);
            }
            // HAProxy answers at once when no server has weight left (tot_weight == 0).
            if !states.iter().any(|s| s.lb().eligible()) {
                return Acquired::NoServer;
            }
            if maxqueue > 0 && waiters.len() >= maxqueue as usize {
                return Acquired::QueueFull;
            }
            let (tx, rx) = oneshot::channel();
            waiters.push_back(Waiter { tx, only });
            self.queued.inc();
            rx
        };
        match tokio::time::timeout(queue_timeout, rx).await {
            Ok(Ok(srv)) => Acquired::Server(srv),
            _ => {
                let mut inner = self.inner.lock();
                let before = inner.waiters.len();
                inner.waiters.retain(|w| !w.tx.is_closed());
                for _ in inner.waiters.len()..before {
                    self.queued.dec();
                }
                Acquired::QueueTimeout
            }
        }
    }

    /// The view the balancer gets, with the dynamic limits as of now.
    fn conns<'a>(&'a self, states: &'a [ServerState]) -> Conns<'a> {
        Conns { servers: &self.servers, states, beconn: self.beconn(), fullconn: self.fullconn() }
    }

    /// The backend's current connections (HAProxy's `beconn`).
    fn beconn(&self) -> u32 {
        self.counters.sessions.get().min(u64::from(u32::MAX)) as u32
    }

    /// `fullconn`: configured, or HAProxy's default computed when the engine started.
    pub fn fullconn(&self) -> u32 {
        self.spec.fullconn.filter(|f| *f > 0).unwrap_or_else(|| self.default_fullconn.load(Relaxed)).max(1)
    }

    /// Release a connection slot; the oldest waiters that accept this server take the room
    /// the server has under its limit now (usually just this slot; more when the dynamic
    /// `minconn` limit grew, none when it shrank).
    pub fn release(&self, srv: &Arc<Server>) {
        let mut inner = self.inner.lock();
        let Inner { states, balancer, waiters } = &mut *inner;
        let conns = self.conns(states);
        let usable = states[srv.idx].usable();
        let max = conns.maxconn(srv.idx);
        // The slot being released still counts until it is handed over or dropped.
        let mut cur = srv.cur_conns.load(Relaxed);
        let mut kept = false;
        let mut i = 0;
        while usable && i < waiters.len() && (max == 0 || cur <= max) {
            if waiters[i].only.is_some_and(|o| o != srv.idx) {
                i += 1;
                continue;
            }
            let Some(w) = waiters.remove(i) else { break };
            self.queued.dec();
            if w.tx.send(srv.clone()).is_ok() {
                if kept {
                    srv.cur_conns.fetch_add(1, Relaxed);
                    balancer.conn_taken(srv.idx);
                }
                // The first hand-over reuses the released slot; the count stays.
                kept = true;
                cur += 1;
            }
        }
        if !kept {
            srv.cur_conns.fetch_sub(1, Relaxed);
            balancer.conn_dropped(srv.idx);
        }
    }

    /// Count a connection to a server chosen without the balancer (persistence, use-server).
    pub fn take(&self, srv: &Server) {
        srv.cur_conns.fetch_add(1, Relaxed);
        self.inner.lock().balancer.conn_taken(srv.idx);
    }

    /// The single writer of server state: apply an op, tell the balancer, return what changed.
    /// Callers that log or track use `engine::events::apply`, which also supplies the tracked
    /// server's state.
    pub fn apply(&self, idx: usize, op: &ServerOp, cause: Cause, now: u64) -> Transition {
        self.apply_ctx(idx, op, cause, now, None)
    }

    /// `apply` with the tracked server's operational state, read by the caller beforehand.
    /// Under the lock: apply, update the balancer, hand queued requests to a server that came
    /// up.
    pub fn apply_ctx(
        &self,
        idx: usize,
        op: &ServerOp,
        cause: Cause,
        now: u64,
        track_op: Option<state::OpState>,
    ) -> Transition {
        let mut inner = self.inner.lock();
        let servers = &self.servers;
        let cur_sess = |i: usize| servers[i].cur_conns.load(Relaxed);
        let ctx = ApplyCtx {
            now,
            log_health_checks: self.spec.options.is_on("log-health-checks"),
            track_op,
            cur_sess: &cur_sess,
            queued: inner.waiters.len(),
            beconn: self.beconn(),
            fullconn: self.fullconn(),
        };
        let t = state::apply_in(&mut inner.states, idx, op, cause, &ctx);
        if t.lb_changed() {
            let lbs = inner.states[idx].lb();
            inner.balancer.update(idx, lbs);
        }
        let mut n = t.grab_queue;
        while n > 0 {
            let Some(w) = inner.waiters.pop_front() else { break };
            self.queued.dec();
            let srv = self.servers[idx].clone();
            srv.cur_conns.fetch_add(1, Relaxed);
            inner.balancer.conn_taken(idx);
            if w.tx.send(srv.clone()).is_err() {
                srv.cur_conns.fetch_sub(1, Relaxed);
                inner.balancer.conn_dropped(idx);
                continue;
            }
            n -= 1;
        }
        t
    }

    /// Passive checks: report what the traffic path saw on server `idx` (a connection that
    /// failed or succeeded, a response status...). Free when the server does not `observe`.
    pub fn observe(&self, idx: usize, what: super::health::Hana) {
        use crate::ir::types::Observe;
        if !matches!(self.servers[idx].spec.opts.observe, Some(Observe::Layer4 | Observe::Layer7)) {
            return;
        }
        if let Some(hook) = self.observer.get() {
            hook(idx, what);
        }
    }

    /// The server `idx` tracks, if any (no lock).
    pub fn track_of(&self, idx: usize) -> Option<&TrackRef> {
        self.servers[idx].track.get()
    }

    /// The servers tracking server `idx`, in the order changes reach them (no lock).
    pub fn trackers_of(&self, idx: usize) -> &[(usize, usize)] {
        self.servers[idx].trackers.get().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Startup only: server `idx` tracks `r`.
    pub fn set_track(&self, idx: usize, r: TrackRef) {
        self.inner.lock().states[idx].track = Some(r.clone());
        let _ = self.servers[idx].track.set(r);
    }

    /// Read a server's state under the lock without copying it.
    pub fn with_state<R>(&self, idx: usize, f: impl FnOnce(&ServerState) -> R) -> R {
        f(&self.inner.lock().states[idx])
    }

    /// A check starts: mark it running and clear its last text (no transition, no log).
    pub fn check_started(&self, idx: usize, agent: bool) {
        let mut inner = self.inner.lock();
        let s = &mut inner.states[idx];
        let c = if agent { &mut s.agent } else { &mut s.check };
        c.running = true;
        c.result = state::CheckResult::Unknown;
        c.desc.clear();
    }

    /// Startup only: a tracking server inherits the maintenance or drain of the server at the
    /// end of its tracking chain, silently.
    pub fn inherit_at_start(&self, idx: usize, target: &ServerState) {
        let mut inner = self.inner.lock();
        state::inherit_at_start(&mut inner.states[idx], target);
        let lbs = inner.states[idx].lb();
        inner.balancer.update(idx, lbs);
    }

    pub fn state(&self, idx: usize) -> ServerState {
        self.inner.lock().states[idx].clone()
    }

    /// Look at every server's state under the lock, without copying them.
    pub fn with_states<R>(&self, f: impl FnOnce(&[ServerState]) -> R) -> R {
        f(&self.inner.lock().states)
    }

    pub fn states(&self) -> Vec<ServerState> {
        self.inner.lock().states.clone()
    }

    /// Usable active and backup servers (`act`/`bck` columns, "servers left" in logs).
    pub fn usable_counts(&self) -> (usize, usize) {
        let inner = self.inner.lock();
        let act = inner.states.iter().filter(|s| s.usable() && !s.backup).count();
        let bck = inner.states.iter().filter(|s| s.usable() && s.backup).count();
        (act, bck)
    }

    pub fn server_by_name(&self, name: &str) -> Option<&Arc<Server>> {
        self.servers.iter().find(|s| s.name == name && !s.deleted.load(Relaxed))
    }

    /// Removed by `del server`.
    pub fn is_deleted(&self, idx: usize) -> bool {
        self.servers.get(idx).is_some_and(|s| s.deleted.load(Relaxed))
    }

    /// Added by `add server`.
    pub fn is_dynamic(&self, idx: usize) -> bool {
        self.servers.get(idx).is_some_and(|s| s.dynamic)
    }

    /// `add server`: append a server built from `spec` with its initial `state` (HAProxy starts
    /// dynamic servers in maintenance). The balancer is rebuilt with the new server. Returns the
    /// server's index, or None when the list is full.
    /// Where `srv`'s connections (traffic and checks) are bound before connecting: its own
    /// `source`, else the proxy's; `None`: the system picks.
    pub fn source_of(&self, srv: &Server) -> Option<std::net::SocketAddr> {
        srv.source.or(self.source)
    }

    pub fn add_server(&self, spec: ServerSpec, id: u32, state: ServerState) -> Option<usize> {
        let mut inner = self.inner.lock();
        let ip = match &spec.addr.host {
            Host::Ip(ip) | Host::Resolved { ip, .. } => Some(*ip),
            _ => None,
        };
        let idx = self.servers.len();
        let srv = Arc::new(Server {
            idx,
            id,
            name: spec.name.clone(),
            addr: ArcSwap::from_pointee(ServerAddr { ip, port: spec.addr.port }),
            source: spec.opts.source.as_deref().and_then(|t| crate::ir::types::source_bind(t).ok()),
            cur_conns: AtomicU32::new(0),
            counters: Counters::default(),
            shutdown: tokio::sync::Notify::new(),
            shutdown_cause: std::sync::atomic::AtomicU8::new(b'K'),
            check_wake: tokio::sync::Notify::new(),
            check_params: ArcSwap::from_pointee(CheckParams::from_spec(&spec)),
            dynamic: true,
            deleted: AtomicBool::new(false),
            idle: Default::default(),
            track: std::sync::OnceLock::new(),
            trackers: std::sync::OnceLock::new(),
            spec,
        });
        self.servers.push(srv)?;
        inner.states.push(state);
        let lb_view: Vec<_> = inner.states.iter().map(|s| s.lb()).collect();
        let ids: Vec<u32> = self.servers.iter().map(|s| s.id).collect();
        inner.balancer = lb::for_proxy(&self.spec, &lb_view, &ids);
        Some(idx)
    }

    /// `del server`: the server leaves for good. It must be in maintenance with no connection
    /// (the caller checked, under this lock's protection the check is repeated).
    pub fn delete_server(&self, idx: usize) -> bool {
        let inner = self.inner.lock();
        let Some(srv) = self.servers.get(idx) else { return false };
        if !inner.states[idx].in_maint() || srv.cur_conns.load(Relaxed) > 0 {
            return false;
        }
        srv.deleted.store(true, Relaxed);
        true
    }
}

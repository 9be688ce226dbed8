//! IR to running state: frontends, backends and servers with their balancers and counters, the
//! single writer of server state, and (in `proxy`) the traffic path. The only module holding
//! Arcs, atomics, locks and tokio handles.

pub mod backend;
pub mod counters;
pub mod email;
pub mod events;
pub mod health;
pub mod lb;
pub mod peers;
pub mod persist;
pub mod proxy;
pub mod rules;
pub mod run;
pub mod state;
pub mod stick;
pub mod transitions;
pub mod unique_id;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use thiserror::Error;
use tokio::sync::{watch, Semaphore};

use crate::ir::types::{Config, Proxy};
use crate::log::Logger;
use backend::Backend;
use counters::Counters;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("Starting {kind} {name}: cannot bind socket [{addr}]: {reason}")]
    Bind { kind: &'static str, name: String, addr: String, reason: String },
    #[error("{0}")]
    Other(String),
}

/// A frontend (or the frontend half of a listen section) at run time.
pub struct Frontend {
    pub idx: usize,
    pub id: u32,
    pub name: String,
    pub spec: Arc<Proxy>,
    pub counters: Counters,
    /// The backend used when no `use_backend` rule matches (for a listen: itself).
    pub default_backend: Option<usize>,
    /// Frontend `maxconn`: accept only while a permit is available.
    pub conn_limit: Arc<Semaphore>,
    /// The current `maxconn` (`set maxconn frontend` changes it together with `conn_limit`).
    pub maxconn: AtomicU32,
    pub disabled: AtomicBool,
    /// `disable frontend`: listeners stop accepting until `enable frontend`.
    pub paused: AtomicBool,
    /// `shutdown frontend`: listeners are closed for good.
    pub stopped: AtomicBool,
    /// Woken when `paused`/`stopped` change, so accept loops notice at once.
    pub listen_state: tokio::sync::Notify,
    /// Log targets and format, compiled when the engine starts.
    pub log: std::sync::OnceLock<proxy::FrontendLog>,
    /// Switching rules and monitor conditions, compiled when the engine starts.
    pub rules: rules::switching::FrontendRules,
    /// `unique-id-format` / `unique-id-header`, compiled once.
    pub unique_id: Option<unique_id::UniqueId>,
    /// Log lines sent so far (`%lc`).
    pub log_count: counters::Counter,
    /// TCP keep-alive for accepted connections (`option clitcpka`), built once.
    pub client_keepalive: Option<socket2::TcpKeepalive>,
}

/// How the process is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    /// SIGUSR1: stop listening, finish the current connections.
    SoftStop,
    /// SIGINT/SIGTERM: stop now.
    HardStop,
}

pub struct Engine {
    pub config: Arc<Config>,
    pub frontends: Vec<Arc<Frontend>>,
    pub backends: Vec<Arc<Backend>>,
    backend_by_name: HashMap<String, usize>,
    pub log: Arc<Logger>,
    pub started: Instant,
    pub started_unix: u64,
    pub global_conn_limit: Arc<Semaphore>,
    /// The current global `maxconn` (`set maxconn global` changes it with `global_conn_limit`).
    pub global_maxconn: AtomicU32,
    /// The global `maxconn` at start (`Hard_maxconn` in `show info`).
    pub hard_maxconn: u32,
    pub run_state: watch::Sender<RunState>,
    /// Connections currently being served, all frontends together.
    pub active_conns: counters::Gauge,
    pub total_conns: counters::Counter,
    pub total_requests: counters::Counter,
    /// Proxied connections and sessions per second (`ConnRate`/`MaxConnRate`,
    /// `SessRate`/`MaxSessRate`); the stats socket's own connections do not count.
    pub conn_rate: counters::Rate,
    pub sess_rate: counters::Rate,
    /// `proc.*` variables.
    pub proc_vars: parking_lot::Mutex<rules::vars::Vars>,
    /// Stick tables, by name.
    pub tables: stick::Tables,
    /// `userlist` sections, for `http_auth` and `http_auth_group` (read-only: no lock).
    pub userlists: Vec<crate::acl::auth::Userlist>,
    /// Called (backend, server) when a server enters slow start; the checks start its warmup.
    pub on_starting: std::sync::OnceLock<Box<dyn Fn(usize, usize) + Send + Sync>>,
    /// Called (backend, server) when a server is added at run time (`add server`); the checks
    /// start its health and agent check tasks.
    pub on_server_added: std::sync::OnceLock<Box<dyn Fn(usize, usize) + Send + Sync>>,
    /// Each backend's email alerts (by backend index), and their mailers' senders until the
    /// runtime starts them.
    pub email_alerts: Vec<Option<Arc<email::Alerts>>>,
    email_senders: parking_lot::Mutex<Vec<email::PendingSender>>,
    /// `tune.bufsize`, `tune.maxrewrite` and `tune.http.maxhdr` as they apply, read once.
    pub buffers: crate::ir::types::Buffers,
    /// The size limits HTTP heads must fit, from `buffers`.
    pub http_limits: proxy::http::parse::Limits,
}

/// The userlists of the configuration (their names are unique: a repeated section adds to the
/// first, as in HAProxy).
fn userlists(cfg: &Config) -> Vec<crate::acl::auth::Userlist> {
    cfg.userlists
        .iter()
        .filter_map(|s| match &s.detail {
            crate::ir::types::AuxDetail::Userlist(spec) => Some(crate::acl::auth::Userlist::new(&s.name, spec)),
            _ => None,
        })
        .collect()
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// HAProxy's default global maxconn when none is configured, derived from the file limit.
fn default_maxconn() -> u32 {
    let nofile = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    // Each proxied connection uses two descriptors, plus a small reserve.
    ((nofile.saturating_sub(20)) / 2).clamp(100, 1_000_000) as u32
}

impl Engine {
    /// Build the running state from a validated configuration (no sockets yet).
    pub fn new(config: Config, log: Arc<Logger>) -> Arc<Engine> {
        let config = Arc::new(config);
        let userlists = userlists(&config);
        let now = unix_now();
        let global_maxconn = config.global.maxconn.unwrap_or_else(default_maxconn);
        // Proxy ids: forced with `id`, else assigned in declaration order from 2 (HAProxy keeps 1
        // for an internal proxy). A listen section is one proxy with both halves.
        let mut used: Vec<u32> = config.proxies.iter().filter_map(|p| p.id.map(|i| i as u32)).collect();
        let mut next = 2u32;
        let mut ids = Vec::new();
        for p in &config.proxies {
            let id = match p.id {
                Some(i) => i as u32,
                None => {
                    while used.contains(&next) {
                        next += 1;
                    }
                    used.push(next);
                    next
                }
            };
            ids.push(id);
        }
        let tables = stick::Tables::build(&config);
        let mut backends = Vec::new();
        let mut backend_by_name = HashMap::new();
        for (i, p) in config.proxies.iter().enumerate() {
            if p.caps.backend {
                let idx = backends.len();
                backend_by_name.insert(p.name.clone(), idx);
                let mut b = Backend::new(idx, ids[i], Arc::new(p.clone()), now);
                b.rules = rules::switching::BackendRules::build(&config, p);
                b.rules.stick = stick::backend::BackendStick::build(&config, p, &b, &tables);
                backends.push(Arc::new(b));
            }
        }
        let mut frontends = Vec::new();
        for (i, p) in config.proxies.iter().enumerate() {
            if !p.caps.frontend {
                continue;
            }
            let default_backend = if p.caps.backend {
                backend_by_name.get(&p.name).copied()
            } else {
                p.default_backend.as_ref().and_then(|r| backend_by_name.get(&r.name).copied())
            };
            let maxconn = p.maxconn.filter(|m| *m > 0).unwrap_or(global_maxconn);
            frontends.push(Arc::new(Frontend {
                idx: frontends.len(),
                id: ids[i],
                name: p.name.clone(),
                spec: Arc::new(p.clone()),
                counters: Counters::default(),
                default_backend,
                conn_limit: Arc::new(Semaphore::new(maxconn as usize)),
                maxconn: AtomicU32::new(maxconn),
                disabled: AtomicBool::new(p.disabled),
                paused: AtomicBool::new(false),
                stopped: AtomicBool::new(false),
                listen_state: tokio::sync::Notify::new(),
                log: std::sync::OnceLock::new(),
                rules: rules::switching::FrontendRules::build(&config, p, &|n| backend_by_name.get(n).copied()),
                client_keepalive: proxy::sockopt::client_keepalive(p),
                log_count: counters::Counter::default(),
                unique_id: unique_id::UniqueId::build(&config, p),
            }));
        }
        let (run_state, _) = watch::channel(RunState::Running);
        let by_backend: Vec<(usize, &crate::ir::types::Proxy)> = backends.iter().map(|b| (b.idx, &*b.spec)).collect();
        let (email_alerts, email_senders) = email::build_all(&config, &by_backend);
        let buffers = config.global.buffers();
        buffers.set_running();
        let eng = Arc::new(Engine {
            buffers,
            http_limits: proxy::http::parse::Limits::from(buffers),
            config,
            frontends,
            backends,
            backend_by_name,
            log,
            started: Instant::now(),
            started_unix: now,
            global_conn_limit: Arc::new(Semaphore::new(global_maxconn as usize)),
            global_maxconn: AtomicU32::new(global_maxconn),
            hard_maxconn: global_maxconn,
            run_state,
            active_conns: counters::Gauge::default(),
            total_conns: counters::Counter::default(),
            total_requests: counters::Counter::default(),
            conn_rate: counters::Rate::default(),
            sess_rate: counters::Rate::default(),
            proc_vars: Default::default(),
            tables,
            userlists,
            on_starting: std::sync::OnceLock::new(),
            on_server_added: std::sync::OnceLock::new(),
            email_alerts,
            email_senders: parking_lot::Mutex::new(email_senders),
        });
        for b in &eng.backends {
            b.default_fullconn.store(default_fullconn(&eng, b), std::sync::atomic::Ordering::Relaxed);
        }
        events::init(&eng);
        eng
    }

    /// Start the email alert senders (on the running tokio runtime).
    pub fn start_email_senders(&self) {
        for (sender, alerts) in self.email_senders.lock().drain(..) {
            sender.spawn(alerts);
        }
    }

    pub fn backend(&self, name: &str) -> Option<&Arc<Backend>> {
        self.backend_by_name.get(name).map(|&i| &self.backends[i])
    }

    pub fn state(&self) -> RunState {
        *self.run_state.borrow()
    }

    pub fn stop(&self, how: RunState) {
        self.run_state.send_if_modified(|s| {
            // A hard stop overrides a soft one, never the reverse.
            if *s == RunState::HardStop || *s == how {
                false
            } else {
                *s = how;
                true
            }
        });
    }

    pub fn is_stopping(&self) -> bool {
        self.state() != RunState::Running
    }

    pub fn frontend_stopping(&self, fe: &Frontend) -> bool {
        self.is_stopping() || fe.disabled.load(Ordering::Relaxed) || fe.stopped.load(Ordering::Relaxed)
    }

    pub fn frontend(&self, name: &str) -> Option<&Arc<Frontend>> {
        self.frontends.iter().find(|f| f.name == name)
    }
}

/// Change the size of a connection limit at run time: more permits are added at once; fewer
/// are taken back as connections end (a background task holds on to the surplus).
pub fn resize_limit(sem: &Arc<Semaphore>, from: u32, to: u32) {
    if to > from {
        sem.add_permits((to - from) as usize);
    } else if to < from {
        let surplus = from - to;
        let forgotten = sem.forget_permits(surplus as usize) as u32;
        let owed = surplus - forgotten;
        if owed > 0 {
            let sem = sem.clone();
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    if let Ok(p) = sem.acquire_many(owed).await {
                        p.forget();
                    }
                });
            }
        }
    }
}

/// HAProxy's default `fullconn`: a tenth of the sum of the maxconn of the frontends that can
/// reach the backend, or of the global maxconn when none can.
pub fn default_fullconn(eng: &Engine, be: &Backend) -> u32 {
    let mut sum: u64 = 0;
    for fe in &eng.frontends {
        if fe.spec.disabled {
            continue;
        }
        let reaches = fe.default_backend == Some(be.idx)
            || fe.spec.use_backend.iter().any(|r| r.words.iter().any(|a| a == &be.name));
        if reaches {
            // The configured value: HAProxy computes fullconn once, at start.
            sum += u64::from(fe.spec.maxconn.filter(|m| *m > 0).unwrap_or(eng.hard_maxconn));
        }
    }
    sum.div_ceil(10).clamp(1, u64::from(u32::MAX)) as u32
}

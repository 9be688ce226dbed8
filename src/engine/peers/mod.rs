//! Stick-table replication with the `peers` sections (HAProxy's peers protocol, as 2.6
//! speaks it): which sections replicate which tables, the listener for the local peer, one
//! connector per remote peer, the task that turns local table changes into update messages,
//! and the registry of live sessions (at most one per remote peer: a new one replaces the old,
//! as in HAProxy).
//!
//! * [`codec`]: framing, integers, hello and status lines (pure).
//! * [`wire`]: our tables as definitions and updates, and a peer's updates applied (pure
//!   apart from the table).
//! * [`session`]: the I/O of one session once connected.
//!
//! Not done: the resync of a new process from the old one over the local peer on reload, and
//! SSL between peers (refused when the configuration is checked).

pub mod codec;
pub mod session;
pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use thiserror::Error;
use tokio::sync::{broadcast, watch, Notify};

use super::stick::{self, Tables};
use super::{Engine, RunState};
use crate::config::ast::Span;
use crate::ir::types::{AuxDetail, Config};
use wire::WireTable;

/// How often local changes are gathered into update messages.
const PUSH_EVERY: Duration = Duration::from_millis(20);
/// The pause before connecting again to a peer after a failure or a closed session.
const RECONNECT: Duration = Duration::from_millis(1000);

#[derive(Debug, Error)]
pub enum PeersError {
    #[error("Starting peers {section}: cannot resolve address '{addr}'")]
    Addr { section: String, addr: String },
    /// HAProxy's words, at the line that declares the listener; the local peer names the proxy.
    #[error("Binding [{file}:{line}] for proxy {local}: cannot bind socket ({reason}) for [{addr}]")]
    Bind { file: String, line: u32, local: String, addr: String, reason: String },
}

/// A remote peer of a section.
pub struct Peer {
    pub name: String,
    pub addr: Option<SocketAddr>,
}

/// The live session with one remote peer.
struct Slot {
    gen: u64,
    kill: watch::Sender<bool>,
}

/// One `peers` section this process takes part in.
pub struct Section {
    pub name: String,
    pub local: String,
    pub listen: Option<SocketAddr>,
    /// Where the listener is declared (the local `peer` line or `bind`).
    pub listen_at: Option<Span>,
    pub peers: Vec<Peer>,
    pub tables: Vec<WireTable>,
    /// Update messages for local changes, as encoded once for every session.
    pub updates: broadcast::Sender<Arc<Vec<u8>>>,
    /// The last update id used, per table.
    pub update_ids: Vec<AtomicU32>,
    /// Not yet taught by a peer since start: the next session asks for a full resync.
    pub resync_pending: AtomicBool,
    slots: Mutex<HashMap<usize, Slot>>,
    next_gen: AtomicU64,
    /// Woken when a session ends, so that its connector may try again.
    ended: Notify,
    /// Peers we had a session with already (a new session re-teaches them everything).
    seen: Mutex<Vec<bool>>,
}

fn resolve(section: &str, addr: &str) -> Result<SocketAddr, PeersError> {
    use std::net::ToSocketAddrs;
    let text = addr.strip_prefix("ipv4@").or_else(|| addr.strip_prefix("ipv6@")).unwrap_or(addr);
    let text = text.strip_prefix("tcp@").unwrap_or(text);
    text.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| PeersError::Addr { section: section.to_string(), addr: addr.to_string() })
}

/// The sections that replicate: enabled, naming this process, with their tables (`table`
/// lines, and proxies' tables bound by `peers <section>`).
pub fn sections(cfg: &Config, tables: &Tables) -> Result<Vec<Arc<Section>>, PeersError> {
    let mut out = Vec::new();
    for sec in &cfg.peers {
        let AuxDetail::Peers(spec) = &sec.detail else { continue };
        if spec.disabled || !spec.has_local {
            continue;
        }
        let mut listen = None;
        let mut listen_at = None;
        let mut peers = Vec::new();
        for p in &spec.peers {
            let addr = match &p.addr {
                Some(a) => Some(resolve(&sec.name, a)?),
                None => None,
            };
            if p.local {
                listen = addr;
                listen_at = Some(p.span.clone());
            } else {
                peers.push(Peer { name: p.name.clone(), addr });
            }
        }
        if let Some((b, at)) = &spec.bind {
            listen = Some(resolve(&sec.name, b)?);
            listen_at = Some(at.clone());
        }
        let mut names: Vec<String> = spec.tables.iter().map(|t| format!("{}/{t}", sec.name)).collect();
        for p in cfg.proxies.iter().filter(|p| !p.disabled) {
            if p.stick_table.as_ref().is_some_and(|t| t.peers.as_deref() == Some(sec.name.as_str())) {
                names.push(p.name.clone());
            }
        }
        let mut wts = Vec::new();
        for n in names {
            if let Some(t) = tables.get(&n) {
                t.set_replicated();
                let id = wts.len() as u64 + 1;
                wts.push(WireTable { table: t.clone(), id, name: wire::wire_name(&n, &sec.name) });
            }
        }
        let mut s = Section::new(&sec.name, &spec.local_name, listen, peers, wts);
        s.listen_at = listen_at;
        out.push(Arc::new(s));
    }
    Ok(out)
}

impl Section {
    pub fn new(
        name: &str,
        local: &str,
        listen: Option<SocketAddr>,
        peers: Vec<Peer>,
        tables: Vec<WireTable>,
    ) -> Section {
        let (updates, _) = broadcast::channel(1024);
        Section {
            name: name.to_string(),
            local: local.to_string(),
            listen,
            listen_at: None,
            update_ids: tables.iter().map(|_| AtomicU32::new(0)).collect(),
            seen: Mutex::new(vec![false; peers.len()]),
            peers,
            tables,
            updates,
            resync_pending: AtomicBool::new(true),
            slots: Mutex::new(HashMap::new()),
            next_gen: AtomicU64::new(1),
            ended: Notify::new(),
        }
    }

    /// Make the session with peer `p` the live one, ending any other. Returns its
    /// generation and the signal that ends it, and whether we had a session with it before.
    fn register(&self, p: usize) -> (u64, watch::Receiver<bool>, bool) {
        let gen = self.next_gen.fetch_add(1, Relaxed);
        let (kill, rx) = watch::channel(false);
        if let Some(old) = self.slots.lock().insert(p, Slot { gen, kill }) {
            let _ = old.kill.send(true);
        }
        let before = std::mem::replace(&mut self.seen.lock()[p], true);
        (gen, rx, before)
    }

    fn unregister(&self, p: usize, gen: u64) {
        let mut slots = self.slots.lock();
        if slots.get(&p).is_some_and(|s| s.gen == gen) {
            slots.remove(&p);
        }
        drop(slots);
        self.ended.notify_waiters();
    }

    fn connected(&self, p: usize) -> bool {
        self.slots.lock().contains_key(&p)
    }

    pub fn peer_index(&self, name: &str) -> Option<usize> {
        self.peers.iter().position(|p| p.name == name)
    }

    /// Encode every local change since the last call, and hand the messages to the sessions.
    fn push_changes(&self, scratch: &mut Vec<u8>) {
        let now = stick::now_ms();
        let mut out = Vec::new();
        for (i, wt) in self.tables.iter().enumerate() {
            let mut defined = false;
            let ids = &self.update_ids[i];
            wt.table.drain_changes(|key, d, _| {
                if !defined {
                    wire::put_define(&mut out, wt);
                    defined = true;
                }
                let id = ids.fetch_add(1, Relaxed).wrapping_add(1);
                wire::put_update(&mut out, scratch, &wt.table, id, None, key, d, now);
            });
        }
        if !out.is_empty() {
            // Nobody listening: the peers are taught everything when they connect again.
            let _ = self.updates.send(Arc::new(out));
        }
    }

    /// Every entry of every table, as update messages (a full resync).
    pub fn teach_all(&self) -> Vec<u8> {
        let now = stick::now_ms();
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        for (i, wt) in self.tables.iter().enumerate() {
            wire::put_define(&mut out, wt);
            let ids = &self.update_ids[i];
            let timed = wt.table.expire.is_some();
            wt.table.for_each_live(now, |key, d, exp| {
                let id = ids.fetch_add(1, Relaxed).wrapping_add(1);
                let left = timed.then(|| (exp.wrapping_sub(now) as i32).max(0) as u32);
                wire::put_update(&mut out, &mut scratch, &wt.table, id, left, key, d, now);
            });
        }
        out
    }
}

/// A pseudo-random pause of up to `max_ms`, so that two peers connecting to each other at
/// the same moment (each session then replacing the other) do not retry in step.
fn jitter(max_ms: u64) -> Duration {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let x = u64::from(n ^ std::process::id().wrapping_mul(2_654_435_761));
    Duration::from_millis(x % max_ms.max(1))
}

/// Resolve when the process leaves the running state.
async fn stopping(mut state: watch::Receiver<RunState>) {
    loop {
        if *state.borrow_and_update() != RunState::Running {
            return;
        }
        if state.changed().await.is_err() {
            return;
        }
    }
}

/// Bind the local peers' listeners and start replicating. Sessions end when the process
/// stops (a soft stop included: the new process takes over the port).
pub fn start(eng: &Arc<Engine>) -> Result<(), PeersError> {
    let sections = sections(&eng.config, &eng.tables)?;
    for sec in sections {
        if let Some(addr) = sec.listen {
            let l = bind(&sec, addr)?;
            tokio::spawn(session::listen(sec.clone(), l, eng.run_state.subscribe()));
        }
        for p in 0..sec.peers.len() {
            if sec.peers[p].addr.is_some() {
                tokio::spawn(session::connect_loop(sec.clone(), p, eng.run_state.subscribe()));
            }
        }
        let state = eng.run_state.subscribe();
        tokio::spawn(async move {
            let stop = stopping(state);
            tokio::pin!(stop);
            let mut scratch = Vec::new();
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(PUSH_EVERY) => sec.push_changes(&mut scratch),
                }
            }
        });
    }
    Ok(())
}

fn bind(sec: &Section, addr: SocketAddr) -> Result<tokio::net::TcpListener, PeersError> {
    let err = |e: std::io::Error| PeersError::Bind {
        file: sec.listen_at.as_ref().map(|s| s.file.to_string()).unwrap_or_default(),
        line: sec.listen_at.as_ref().map(|s| s.line).unwrap_or(0),
        local: sec.local.clone(),
        addr: addr.to_string(),
        reason: crate::config::parse::io_reason(&e),
    };
    let s = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None).map_err(err)?;
    s.set_reuse_address(true).map_err(err)?;
    // As for frontends: a new process binds while the old one still listens (reloads).
    s.set_reuse_port(true).map_err(err)?;
    s.set_nonblocking(true).map_err(err)?;
    s.bind(&addr.into()).map_err(err)?;
    s.listen(128).map_err(err)?;
    tokio::net::TcpListener::from_std(s.into()).map_err(err)
}

//! Load-balancing algorithms. Each keeps its own incremental structure and is told when a server
//! changes (up, down, weight) instead of rebuilding on every pick. `pick` does not allocate.
//!
//! Active and backup servers: a balancer serves active servers while any is usable; otherwise
//! the first usable backup (in declaration order), or all usable backups with `option allbackups`.

pub mod roundrobin;

use crate::ir::types::{Balance, Proxy};

/// What a balancer needs to know about one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LbServer {
    /// Effective weight (0 = takes no new traffic).
    pub eweight: u32,
    pub backup: bool,
    /// Up (running or starting) and not in maintenance.
    pub usable: bool,
}

impl LbServer {
    pub fn eligible(&self) -> bool {
        self.usable && self.eweight > 0
    }
}

/// Per-request inputs for the algorithms that need them.
#[derive(Debug, Default, Clone, Copy)]
pub struct PickRequest<'a> {
    /// Hash input (source address bytes, URI, header value, URL parameter...).
    pub hash_key: Option<&'a [u8]>,
    /// A server to avoid (the one that just failed, when redispatching).
    pub avoid: Option<usize>,
}

/// Live per-server numbers the connection-aware algorithms read (leastconn, first).
pub trait ConnView {
    fn cur_conns(&self, idx: usize) -> u32;
    fn maxconn(&self, idx: usize) -> u32;
    /// At its `maxconn`: HAProxy takes such a server out of the rotation until a slot frees.
    fn is_full(&self, idx: usize) -> bool {
        let max = self.maxconn(idx);
        max > 0 && self.cur_conns(idx) >= max
    }
}

pub trait Balancer: Send {
    /// Choose a server, or None when no server can take the request.
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize>;
    /// A server's weight, backup flag or usability changed.
    fn update(&mut self, idx: usize, srv: LbServer);
    /// A connection was assigned to / released from a server (leastconn needs it).
    fn conn_taken(&mut self, _idx: usize) {}
    fn conn_dropped(&mut self, _idx: usize) {}
}

/// Build the balancer a backend's `balance` line asks for.
pub fn for_proxy(p: &Proxy, servers: &[LbServer]) -> Box<dyn Balancer> {
    let allbackups = p.options.is_on("allbackups");
    match &p.balance {
        Balance::StaticRr => Box::new(roundrobin::RoundRobin::new(servers, allbackups)),
        _ => Box::new(roundrobin::RoundRobin::new(servers, allbackups)),
    }
}

/// Which group serves now: the active servers if any is eligible, else the backups.
pub fn serving_backups(servers: &[LbServer]) -> bool {
    !servers.iter().any(|s| !s.backup && s.eligible())
}

//! Load-balancing algorithms, each a port of HAProxy 2.6's so that servers are picked in exactly
//! HAProxy's order (pinned by the golden sequences in testdata/golden/2.6/lb). Each keeps its own
//! incremental structure and is told when a server changes (up, down, weight, connections)
//! instead of rebuilding on every pick. `pick` does not allocate.
//!
//! | `balance`                   | HAProxy file | here                       |
//! |-----------------------------|--------------|----------------------------|
//! | roundrobin                  | lb_fwrr.c    | [`roundrobin`]             |
//! | static-rr, map-based hashes | lb_map.c     | [`map`]                    |
//! | leastconn                   | lb_fwlc.c    | [`leastconn`]              |
//! | first                       | lb_fas.c     | [`first`]                  |
//! | consistent hashes, random   | lb_chash.c   | [`chash`], [`random`]      |
//! | source/uri/url_param/hdr... | backend.c    | [`hashing`], [`hash`]      |
//!
//! Weights: a server's user weight (0-256) is scaled into an effective weight the way HAProxy
//! does it: times 16 (`BE_WEIGHT_SCALE`) for the dynamic algorithms, divided by the GCD of the
//! configured weights for the map-based ones. The scale matters for the order, not only the
//! ratio.
//!
//! Active and backup servers: active servers serve while any is usable; otherwise the first
//! usable backup in declaration order, or all usable backups with `option allbackups`.

pub mod chash;
pub mod first;
pub mod hash;
pub mod hashing;
mod heap;
pub mod leastconn;
pub mod map;
pub mod random;
pub mod roundrobin;

#[cfg(test)]
mod golden;

use crate::ir::types::{Balance, HashMethod, Proxy};

/// HAProxy's `BE_WEIGHT_SCALE`: effective weight per unit of user weight (dynamic algorithms).
pub const WEIGHT_SCALE: u32 = 16;
/// HAProxy's `SRV_EWGHT_MAX` (and `SRV_EWGHT_RANGE`): the largest effective weight, 256 * 16.
pub const EWEIGHT_MAX: u32 = 256 * WEIGHT_SCALE;

/// What a balancer needs to know about one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LbServer {
    /// The user weight (0-256), or 0 while the server takes no new traffic (drain, stopping).
    /// Each algorithm scales it into its own effective weight.
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
    /// The hash algorithm's input, as [`hash::hash_input`] describes it: the client address
    /// bytes for `source`, the request target for `uri` / `url_param`, a header's value for
    /// `hdr(<name>)`. `None` when the request has none: hashing falls back to round robin.
    pub hash_key: Option<&'a [u8]>,
    /// The server that just failed (redispatch): picked again only if nothing else can serve.
    pub avoid: Option<usize>,
}

/// Live per-server numbers the algorithms read (HAProxy's `served`, `maxconn`, `maxqueue`).
pub trait ConnView {
    fn cur_conns(&self, idx: usize) -> u32;
    fn maxconn(&self, idx: usize) -> u32;
    fn maxqueue(&self, _idx: usize) -> u32 {
        0
    }
    /// At its `maxconn`: the round-robin family skips such a server until a slot frees.
    fn is_full(&self, idx: usize) -> bool {
        let max = self.maxconn(idx);
        max > 0 && self.cur_conns(idx) >= max
    }
}

/// A load-balancing algorithm. Callers hold the backend's lock around every call.
pub trait Balancer: Send {
    /// Choose a server, or None when no server can take the request now. The chosen server may
    /// be full (at its maxconn) when the algorithm insists on it (hashing, the first backup): the
    /// request then waits for a slot on that server, as HAProxy queues it there.
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize>;
    /// A server's weight, backup flag or usability changed.
    fn update(&mut self, idx: usize, srv: LbServer);
    /// A connection was assigned to / released from a server (leastconn needs it).
    fn conn_taken(&mut self, _idx: usize) {}
    fn conn_dropped(&mut self, _idx: usize) {}
}

/// Build the balancer a backend's `balance` line asks for. `servers` is each server's initial
/// state and `ids` its server id (`puid`), both in declaration order.
pub fn for_proxy(p: &Proxy, servers: &[LbServer], ids: &[u32]) -> Box<dyn Balancer> {
    let allbackups = p.options.is_on("allbackups");
    let consistent = p.hash_type.method == HashMethod::Consistent;
    match &p.balance {
        Balance::RoundRobin => Box::new(roundrobin::RoundRobin::new(servers, allbackups)),
        Balance::StaticRr => Box::new(map::StaticRr::new(servers, allbackups)),
        Balance::LeastConn => Box::new(leastconn::LeastConn::new(servers, allbackups)),
        Balance::First => Box::new(first::First::new(servers, ids, allbackups)),
        Balance::Random { draws } => Box::new(random::Random::new(servers, ids, allbackups, *draws, random::seed())),
        b => {
            let key = hashing::Key::for_balance(b);
            let hasher = hash::Hasher::new(&p.hash_type);
            Box::new(hashing::Hashing::new(key, hasher, consistent, servers, ids, allbackups))
        }
    }
}

/// The group that serves now (HAProxy's `srv_act` / `fbck` / `srv_bck` test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serving {
    Active,
    /// Only the first usable backup (no `option allbackups`).
    FirstBackup(usize),
    Backups,
    Nothing,
}

/// A server's state as HAProxy's algorithms see it: effective weight and usability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Lb {
    pub eweight: u32,
    pub usable: bool,
}

/// How a server's state moved, which decides the algorithm's update path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Same,
    /// Was not usable and still is not: only its values change.
    StillDown,
    Up,
    Down,
    /// Usable before and after, with another weight.
    Weight,
}

/// HAProxy's backend-wide counts of usable servers (`srv_act`, `srv_bck`, `fbck`, `tot_wact`,
/// `tot_wbck`, `tot_weight`, `tot_used`), shared by every algorithm.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub backup: Vec<bool>,
    pub cur: Vec<Lb>,
    pub allbackups: bool,
    pub srv_act: u32,
    pub srv_bck: u32,
    pub tot_wact: u32,
    pub tot_wbck: u32,
    pub fbck: Option<usize>,
    pub tot_weight: u32,
    pub tot_used: u32,
}

impl Pool {
    /// `scale` turns a user weight into the algorithm's effective weight.
    pub fn new(servers: &[LbServer], allbackups: bool, scale: impl Fn(u32) -> u32) -> Pool {
        let mut p = Pool {
            backup: servers.iter().map(|s| s.backup).collect(),
            cur: servers.iter().map(|s| Pool::lb(s, &scale)).collect(),
            allbackups,
            srv_act: 0,
            srv_bck: 0,
            tot_wact: 0,
            tot_wbck: 0,
            fbck: None,
            tot_weight: 0,
            tot_used: 0,
        };
        p.recount();
        p
    }

    pub fn lb(s: &LbServer, scale: impl Fn(u32) -> u32) -> Lb {
        let eweight = scale(s.eweight);
        Lb { eweight, usable: s.usable && eweight > 0 }
    }

    pub fn len(&self) -> usize {
        self.cur.len()
    }

    /// Record a server's new state and say how it moved. The counts are recomputed. (A server's
    /// group, active or backup, is fixed by the configuration.)
    pub fn set(&mut self, idx: usize, new: Lb) -> (Lb, Change) {
        let old = self.cur[idx];
        self.cur[idx] = new;
        self.recount();
        let change = match (old.usable, new.usable) {
            _ if old == new => Change::Same,
            (false, false) => Change::StillDown,
            (false, true) => Change::Up,
            (true, false) => Change::Down,
            (true, true) => Change::Weight,
        };
        (old, change)
    }

    /// HAProxy's `recount_servers` + `update_backend_weight`, in declaration order.
    fn recount(&mut self) {
        let (mut act, mut bck, mut wact, mut wbck, mut fbck) = (0, 0, 0u32, 0u32, None);
        for (i, s) in self.cur.iter().enumerate() {
            if !s.usable {
                continue;
            }
            if self.backup[i] {
                if bck == 0 && !self.allbackups {
                    fbck = Some(i);
                }
                bck += 1;
                wbck += s.eweight;
            } else {
                act += 1;
                wact += s.eweight;
            }
        }
        (self.srv_act, self.srv_bck, self.tot_wact, self.tot_wbck, self.fbck) = (act, bck, wact, wbck, fbck);
        (self.tot_weight, self.tot_used) = if act > 0 {
            (wact, act)
        } else if let Some(f) = fbck {
            (self.cur[f].eweight, 1)
        } else {
            (wbck, bck)
        };
    }

    pub fn serving(&self) -> Serving {
        if self.srv_act > 0 {
            Serving::Active
        } else if let Some(f) = self.fbck {
            Serving::FirstBackup(f)
        } else if self.srv_bck > 0 {
            Serving::Backups
        } else {
            Serving::Nothing
        }
    }
}

/// The effective weight of the dynamic algorithms: user weight times [`WEIGHT_SCALE`].
pub(crate) fn scaled(w: u32) -> u32 {
    w.min(256) * WEIGHT_SCALE
}

/// HAProxy's `ha_random32`-like generator for `balance random`: xorshift32.
#[derive(Debug, Clone)]
pub(crate) struct Prng(u32);

impl Prng {
    pub fn new(seed: u32) -> Prng {
        Prng(if seed == 0 { 0x9e3779b9 } else { seed })
    }
    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// Connection counts kept by the test itself.
    #[derive(Default)]
    pub struct Conns {
        pub cur: Vec<u32>,
        pub max: Vec<u32>,
    }

    impl ConnView for Conns {
        fn cur_conns(&self, idx: usize) -> u32 {
            self.cur.get(idx).copied().unwrap_or(0)
        }
        fn maxconn(&self, idx: usize) -> u32 {
            self.max.get(idx).copied().unwrap_or(0)
        }
    }

    pub fn srv(w: u32) -> LbServer {
        LbServer { eweight: w, backup: false, usable: true }
    }

    pub fn bck(w: u32) -> LbServer {
        LbServer { eweight: w, backup: true, usable: true }
    }

    pub fn picks(b: &mut dyn Balancer, n: usize) -> Vec<usize> {
        let c = Conns::default();
        (0..n).map(|_| b.pick(&PickRequest::default(), &c).unwrap()).collect()
    }
}

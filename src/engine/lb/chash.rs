//! Consistent hashing (lb_chash.c): `hash-type consistent` and `balance random`.
//!
//! Every usable server owns one point on a 32-bit ring per unit of effective weight (user weight
//! times 16); point `i` of the server with id `puid` sits at `full_hash(puid * 4096 + i)`. A hash
//! goes to the nearer of the points around it (ties to the one before), skipping the server to
//! avoid. Round robin over the ring (the fallback when a request has no hash key) walks the points
//! in order from the last one used. Active and backup servers have separate rings.
//!
//! The rings are sorted vectors: updates (server up, down, weight) shift entries, lookups and
//! walks are binary searches and index steps, so picks never allocate.

use super::hash::full_hash;
use super::{scaled, Change, ConnView, LbServer, Pool, Serving, EWEIGHT_MAX};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Point {
    key: u32,
    /// Insertion order among equal keys (ebtree duplicates keep insertion order).
    seq: u64,
    srv: u32,
}

/// A point, found again by its ring and ordering key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PointRef {
    ring: usize,
    key: u32,
    seq: u64,
}

#[derive(Debug, Clone)]
pub struct Chash {
    pub(crate) pool: Pool,
    rings: [Vec<Point>; 2],
    puid: Vec<u32>,
    /// Points placed in the ring per server, and the most it has had (HAProxy's
    /// `lb_nodes_now` / `lb_nodes_tot`).
    now: Vec<u32>,
    tot: Vec<u32>,
    /// Where the round-robin walk stopped (HAProxy's `lbprm.chash.last`).
    last: Option<PointRef>,
    seq: u64,
}

impl Chash {
    pub fn new(servers: &[LbServer], ids: &[u32], allbackups: bool) -> Chash {
        let pool = Pool::new(servers, allbackups, scaled);
        let n = servers.len();
        let mut c = Chash {
            pool,
            rings: [Vec::new(), Vec::new()],
            puid: (0..n).map(|i| ids.get(i).copied().unwrap_or(i as u32 + 1)).collect(),
            now: vec![0; n],
            tot: servers.iter().map(|s| scaled(s.eweight)).collect(),
            last: None,
            seq: 0,
        };
        for s in 0..n {
            if c.pool.cur[s].usable {
                c.requeue(s);
            }
        }
        c
    }

    fn ring_of(&self, s: usize) -> usize {
        usize::from(self.pool.backup[s])
    }

    fn point_key(&self, s: usize, i: u32) -> u32 {
        full_hash(self.puid[s].wrapping_mul(EWEIGHT_MAX).wrapping_add(i))
    }

    fn find(&self, r: PointRef) -> Option<usize> {
        let ring = &self.rings[r.ring];
        let i = ring.partition_point(|p| (p.key, p.seq) < (r.key, r.seq));
        (i < ring.len() && ring[i].key == r.key && ring[i].seq == r.seq).then_some(i)
    }

    fn to_ref(&self, ring: usize, i: usize) -> PointRef {
        let p = self.rings[ring][i];
        PointRef { ring, key: p.key, seq: p.seq }
    }

    /// `chash_skip_node`: the point after `r` (wrapping), or None if it is alone.
    fn skip(&self, r: PointRef) -> Option<PointRef> {
        let i = self.find(r)?;
        let len = self.rings[r.ring].len();
        let n = if i + 1 < len { i + 1 } else { 0 };
        (n != i).then(|| self.to_ref(r.ring, n))
    }

    fn insert_point(&mut self, s: usize, i: u32) {
        self.seq += 1;
        let p = Point { key: self.point_key(s, i), seq: self.seq, srv: s as u32 };
        let ring = &mut self.rings[self.ring_of(s)];
        let at = ring.partition_point(|q| (q.key, q.seq) < (p.key, p.seq));
        ring.insert(at, p);
    }

    fn remove_point(&mut self, s: usize, i: u32) {
        let r = self.ring_of(s);
        let key = self.point_key(s, i);
        let ring = &self.rings[r];
        let start = ring.partition_point(|q| q.key < key);
        let Some(at) = (start..ring.len()).take_while(|&j| ring[j].key == key).find(|&j| ring[j].srv == s as u32)
        else {
            return;
        };
        let here = self.to_ref(r, at);
        if self.last == Some(here) {
            self.last = self.skip(here);
        }
        self.rings[r].remove(at);
    }

    /// `chash_queue_dequeue_srv`: as many points as the server's effective weight.
    fn requeue(&mut self, s: usize) {
        let want = self.pool.cur[s].eweight;
        while self.now[s] > want {
            self.now[s] -= 1;
            self.remove_point(s, self.now[s]);
        }
        if self.tot[s] < want {
            // HAProxy reallocates the points, re-inserting them all.
            self.dequeue(s);
            self.tot[s] = want;
        }
        while self.now[s] < want && self.now[s] < self.tot[s] {
            self.insert_point(s, self.now[s]);
            self.now[s] += 1;
        }
    }

    /// `chash_dequeue_srv`: remove all of a server's points, last ones first.
    fn dequeue(&mut self, s: usize) {
        while self.now[s] > 0 {
            self.now[s] -= 1;
            self.remove_point(s, self.now[s]);
        }
    }

    pub fn update(&mut self, idx: usize, srv: LbServer) {
        if idx >= self.pool.len() {
            return;
        }
        let (_, change) = self.pool.set(idx, Pool::lb(&srv, scaled));
        match change {
            Change::Same | Change::StillDown => {}
            Change::Up | Change::Weight => self.requeue(idx),
            Change::Down => self.dequeue(idx),
        }
    }

    fn ring_to_use(&self) -> Result<usize, Option<usize>> {
        match self.pool.serving() {
            Serving::Active => Ok(0),
            Serving::FirstBackup(f) => Err(Some(f)),
            Serving::Backups => Ok(1),
            Serving::Nothing => Err(None),
        }
    }

    /// `chash_get_server_hash`: the server nearest to `hash`, moving on past `avoid`.
    pub fn by_hash(&self, hash: u32, avoid: Option<usize>) -> Option<usize> {
        let r = match self.ring_to_use() {
            Ok(r) => r,
            Err(s) => return s,
        };
        let ring = &self.rings[r];
        if ring.is_empty() {
            return None;
        }
        let ge = ring.partition_point(|p| p.key < hash);
        let next = if ge < ring.len() { ge } else { 0 };
        let prev = if next > 0 { next - 1 } else { ring.len() - 1 };
        let dp = hash.wrapping_sub(ring[prev].key);
        let dn = ring[next].key.wrapping_sub(hash);
        let mut at = if dp <= dn { prev } else { next };
        let mut srv = ring[at].srv as usize;
        let mut wrapped = 0;
        while Some(srv) == avoid {
            at += 1;
            if at == ring.len() {
                at = 0;
                wrapped += 1;
                if wrapped > 1 {
                    break;
                }
            }
            srv = ring[at].srv as usize;
        }
        Some(srv)
    }

    /// `chash_get_next_server`: round robin over the ring's points, skipping full servers and
    /// `avoid` (used only if nothing else can serve).
    pub fn next_rr(&mut self, avoid: Option<usize>, conns: &dyn ConnView) -> Option<usize> {
        let r = match self.ring_to_use() {
            Ok(r) => r,
            Err(s) => return s,
        };
        // The walk continues from the last point in its own ring, as HAProxy's pointer does.
        let mut node: Option<PointRef> = self.last;
        let mut stop = node;
        let mut avoided: Option<(usize, PointRef)> = None;
        loop {
            node = node.and_then(|n| {
                let i = self.find(n)?;
                (i + 1 < self.rings[n.ring].len()).then(|| self.to_ref(n.ring, i + 1))
            });
            if node.is_none() && !self.rings[r].is_empty() {
                node = Some(self.to_ref(r, 0));
            }
            self.last = node;
            let here = node?;
            if stop.is_none() {
                stop = Some(here);
            }
            let i = self.find(here)?;
            let s = self.rings[here.ring][i].srv as usize;
            if !conns.is_full(s) {
                if Some(s) != avoid {
                    return Some(s);
                }
                avoided = Some((s, here));
            }
            if Some(here) == stop {
                break;
            }
        }
        self.last = avoided.map(|a| a.1);
        avoided.map(|a| a.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn points_follow_weights() {
        let c = Chash::new(&[srv(1), srv(3), bck(2)], &[1, 2, 3], false);
        assert_eq!(c.rings[0].len(), 64);
        assert_eq!(c.rings[1].len(), 32);
        assert!(c.rings[0].windows(2).all(|w| (w[0].key, w[0].seq) < (w[1].key, w[1].seq)));
    }

    #[test]
    fn down_and_up_keep_the_others_in_place() {
        let mut c = Chash::new(&[srv(1), srv(1), srv(1)], &[1, 2, 3], false);
        let before: Vec<_> = (0..200u32).map(|h| c.by_hash(h.wrapping_mul(0x9e3779b9), None)).collect();
        c.update(1, LbServer { usable: false, ..srv(1) });
        let during: Vec<_> = (0..200u32).map(|h| c.by_hash(h.wrapping_mul(0x9e3779b9), None)).collect();
        for (b, d) in before.iter().zip(&during) {
            if *b != Some(1) {
                assert_eq!(b, d);
            } else {
                assert_ne!(*d, Some(1));
            }
        }
        c.update(1, srv(1));
        let after: Vec<_> = (0..200u32).map(|h| c.by_hash(h.wrapping_mul(0x9e3779b9), None)).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn rr_walk_visits_points_in_order() {
        let mut c = Chash::new(&[srv(1), srv(1)], &[1, 2], false);
        let conns = Conns::default();
        let got: Vec<_> = (0..32).map(|_| c.next_rr(None, &conns).unwrap()).collect();
        let ring: Vec<_> = c.rings[0].iter().map(|p| p.srv as usize).collect();
        assert_eq!(got, ring);
    }
}

//! Map-based balancing (lb_map.c): `balance static-rr`, and the lookup of `hash-type map-based`.
//!
//! The serving group's servers are laid out in a table with one slot per unit of effective
//! weight, interleaved by HAProxy's scoring pass that favours declaration order. static-rr walks
//! the table; hashing indexes it with `hash % total weight`. Effective weights are the user
//! weights divided by the GCD of the configured weights (rounded up), so the table stays small.
//! The table is rebuilt on every state change (the algorithms are static: only 0% and 100%
//! weight changes are accepted at run time, by the runtime API).

use super::{Balancer, ConnView, LbServer, PickRequest, Pool};

#[derive(Debug, Clone)]
pub struct Map {
    pub(crate) pool: Pool,
    /// The GCD of the configured weights (HAProxy's `wmult`).
    wmult: u32,
    table: Vec<usize>,
    wscore: Vec<i64>,
    rr_idx: usize,
}

impl Map {
    pub fn new(servers: &[LbServer], allbackups: bool) -> Map {
        // Euclid over the configured weights, starting at the first non-zero one.
        let mut it = servers.iter().map(|s| s.eweight).skip_while(|&w| w == 0);
        let mut gcd = it.next().unwrap_or(1);
        for mut w in it {
            if gcd <= 1 {
                break;
            }
            while w != 0 {
                (gcd, w) = (w, gcd % w);
            }
        }
        let wmult = gcd.max(1);
        let pool = Pool::new(servers, allbackups, |w| w.div_ceil(wmult));
        let mut m = Map { pool, wmult, table: Vec::new(), wscore: vec![0; servers.len()], rr_idx: 0 };
        m.recalc();
        m
    }

    fn scale(&self, w: u32) -> u32 {
        w.div_ceil(self.wmult)
    }

    /// `recalc_server_map`.
    fn recalc(&mut self) {
        if self.pool.tot_used == 0 {
            return;
        }
        let tot = self.pool.tot_weight as usize;
        if self.table.len() < tot {
            self.table.resize(tot, 0);
        }
        let backups = self.pool.srv_act == 0;
        self.wscore.iter_mut().for_each(|w| *w = 0);
        let n = self.pool.len();
        for o in 0..tot {
            let mut best: Option<usize> = None;
            let mut max = 0i64;
            for cur in 0..n {
                if self.pool.backup[cur] != backups || !self.pool.cur[cur].usable {
                    continue;
                }
                // A single slot: the first server, without scoring (HAProxy avoids a divide
                // overflow that way).
                if tot == 1 {
                    best = Some(cur);
                    break;
                }
                self.wscore[cur] += i64::from(self.pool.cur[cur].eweight);
                let v = (self.wscore[cur] + tot as i64) / tot as i64;
                if best.is_none() || v > max {
                    max = v;
                    best = Some(cur);
                }
            }
            let Some(b) = best else { return };
            self.table[o] = b;
            self.wscore[b] -= tot as i64;
        }
    }

    pub fn update(&mut self, idx: usize, srv: LbServer) {
        if idx >= self.pool.len() {
            return;
        }
        let new = Pool::lb(&srv, |w| self.scale(w));
        let (_, change) = self.pool.set(idx, new);
        if change != super::Change::Same {
            self.recalc();
        }
    }

    /// `map_get_server_rr`: the next slot whose server is not full, skipping `avoid` unless
    /// nothing else is left.
    pub fn rr(&mut self, avoid: Option<usize>, conns: &dyn ConnView) -> Option<usize> {
        let tot = self.pool.tot_weight as usize;
        if tot == 0 {
            return None;
        }
        if self.rr_idx >= tot {
            self.rr_idx = 0;
        }
        let mut newidx = self.rr_idx;
        let mut avoided = None;
        let mut avoididx = 0;
        loop {
            let srv = self.table[newidx];
            newidx += 1;
            if !conns.is_full(srv) {
                avoided = Some(srv);
                avoididx = newidx;
                if Some(srv) != avoid {
                    self.rr_idx = newidx;
                    return Some(srv);
                }
            }
            if newidx == tot {
                newidx = 0;
            }
            if newidx == self.rr_idx {
                break;
            }
        }
        if avoided.is_some() {
            self.rr_idx = avoididx;
        }
        avoided
    }

    /// `map_get_server_hash`: the slot `hash % total weight`, full or not.
    pub fn by_hash(&self, hash: u32) -> Option<usize> {
        match self.pool.tot_weight {
            0 => None,
            tot => Some(self.table[(hash % tot) as usize]),
        }
    }
}

/// `balance static-rr`.
pub struct StaticRr(Map);

impl StaticRr {
    pub fn new(servers: &[LbServer], allbackups: bool) -> StaticRr {
        StaticRr(Map::new(servers, allbackups))
    }
}

impl Balancer for StaticRr {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        self.0.rr(req.avoid, conns)
    }
    fn update(&mut self, idx: usize, srv: LbServer) {
        self.0.update(idx, srv);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn table_order() {
        let mut m = StaticRr::new(&[srv(1), srv(2), srv(3)], false);
        assert_eq!(picks(&mut m, 6), vec![0, 2, 1, 2, 1, 2]);
        // The common divisor shrinks the table but keeps the order.
        let mut m = StaticRr::new(&[srv(2), srv(4), srv(6)], false);
        assert_eq!(picks(&mut m, 6), vec![0, 2, 1, 2, 1, 2]);
    }

    #[test]
    fn first_backup_weight_sizes_the_table() {
        // HAProxy lays the table out over every usable backup but sizes it by the first one.
        let mut m = StaticRr::new(&[srv(1), bck(2), bck(2), bck(3)], false);
        m.update(0, LbServer { usable: false, ..srv(1) });
        assert_eq!(picks(&mut m, 4), vec![1, 3, 1, 3]);
    }
}

//! `balance roundrobin`: HAProxy's fast weighted round robin (lb_fwrr.c), with its exact order.
//!
//! Each group (active, backup) has three trees. "curr" holds the servers of the current window
//! sorted by their next position (`npos`); "init" holds servers waiting to enter, heaviest
//! first; "next" collects the servers pushed past the window. The window spans the group's
//! total effective weight; a pick takes the first server whose position is reached (or pulls one
//! from "init"), advances its position by `total / weight` (with the remainder carried in
//! `rweight`), and requeues it. When everything is consumed, "init" and "next" swap. A server
//! coming back up is placed at the current position plus its share of the remaining window,
//! which is where HAProxy re-enters it.

use super::heap::Heap;
use super::{scaled, Balancer, Change, ConnView, LbServer, PickRequest, Pool, Serving, EWEIGHT_MAX, WEIGHT_SCALE};

/// HAProxy's `SRV_UWGHT_RANGE`: position units in the "curr" tree key.
const UWEIGHT_RANGE: i64 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    None,
    Curr,
    /// One of the group's two weight-sorted trees ("init" or "next", they swap).
    Weight(usize),
}

#[derive(Debug, Clone, Copy)]
struct Pos {
    tree: Tree,
    /// Next and last positions, and the weight remainder carried between picks.
    npos: i64,
    lpos: i64,
    rweight: i64,
}

#[derive(Debug, Clone)]
struct Group {
    curr: Heap,
    weights: [Heap; 2],
    /// Which of `weights` is "init"; the other is "next".
    init: usize,
    curr_pos: i64,
    curr_weight: i64,
    next_weight: i64,
}

impl Group {
    fn new(n: usize, weight: u32) -> Group {
        let w = i64::from(weight);
        Group {
            curr: Heap::new(n),
            weights: [Heap::new(n), Heap::new(n)],
            init: 0,
            curr_pos: w,
            curr_weight: w,
            next_weight: w,
        }
    }
    fn next(&self) -> usize {
        1 - self.init
    }
}

pub struct RoundRobin {
    pool: Pool,
    pos: Vec<Pos>,
    groups: [Group; 2],
    seq: u64,
    /// Saturated or avoided servers taken out during a pick (preallocated).
    full: Vec<usize>,
}

impl RoundRobin {
    pub fn new(servers: &[LbServer], allbackups: bool) -> RoundRobin {
        let n = servers.len();
        let pool = Pool::new(servers, allbackups, scaled);
        let groups = [Group::new(n, pool.tot_wact), Group::new(n, pool.tot_wbck)];
        let pos = vec![Pos { tree: Tree::None, npos: 0, lpos: 0, rweight: 0 }; n];
        let mut rr = RoundRobin { pool, pos, groups, seq: 0, full: Vec::with_capacity(n) };
        for s in 0..n {
            if rr.pool.cur[s].usable {
                let g = rr.gi(s);
                let init = rr.groups[g].init;
                rr.queue_by_weight(s, init);
            }
        }
        rr
    }

    fn gi(&self, s: usize) -> usize {
        usize::from(self.pool.backup[s])
    }

    fn eweight(&self, s: usize) -> i64 {
        i64::from(self.pool.cur[s].eweight)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// `fwrr_queue_by_weight`: heaviest first.
    fn queue_by_weight(&mut self, s: usize, t: usize) {
        let key = EWEIGHT_MAX - self.pool.cur[s].eweight;
        let seq = self.next_seq();
        let g = self.gi(s);
        self.groups[g].weights[t].insert(s, key, seq);
        self.pos[s].tree = Tree::Weight(t);
    }

    /// `fwrr_dequeue_srv`: out of whichever tree holds it (the tree tag stays, as in HAProxy).
    fn dequeue(&mut self, s: usize) {
        let g = self.gi(s);
        let grp = &mut self.groups[g];
        match self.pos[s].tree {
            Tree::None => {}
            Tree::Curr => {
                grp.curr.remove(s);
            }
            Tree::Weight(t) => {
                grp.weights[t].remove(s);
            }
        }
    }

    /// `fwrr_queue_srv`: into "curr" at its position, or "next" if beyond the window.
    fn queue_srv(&mut self, s: usize) {
        let g = self.gi(s);
        let (usable, e) = (self.pool.cur[s].usable, self.eweight(s));
        let grp = &self.groups[g];
        let (cw, nw) = (grp.curr_weight, grp.next_weight);
        if !usable {
            self.pos[s].tree = Tree::None;
        } else if e <= 0 || self.pos[s].npos >= 2 * cw || self.pos[s].npos >= cw + nw {
            self.pos[s].npos -= cw;
            let next = grp.next();
            self.queue_by_weight(s, next);
        } else {
            let p = self.pos[s];
            let key = ((UWEIGHT_RANGE * p.npos) as u32)
                .wrapping_add(((i64::from(EWEIGHT_MAX) + p.rweight - e) as u32) / WEIGHT_SCALE);
            let seq = self.next_seq();
            self.groups[g].curr.insert(s, key, seq);
            self.pos[s].tree = Tree::Curr;
        }
    }

    /// `fwrr_get_srv`: prepare a server taken out of its tree.
    fn get_srv(&mut self, s: usize) {
        let grp = &self.groups[self.gi(s)];
        let p = &mut self.pos[s];
        match p.tree {
            Tree::Weight(t) if t == grp.init => {
                p.npos = 0;
                p.rweight = 0;
            }
            Tree::Weight(_) => p.npos += grp.curr_weight,
            Tree::None => p.npos = grp.curr_pos,
            Tree::Curr => {}
        }
    }

    /// `fwrr_get_server_from_group`.
    fn first_of_group(&mut self, g: usize) -> Option<usize> {
        let grp = &self.groups[g];
        let s1 = grp.curr.first();
        if let Some(s) = s1 {
            if self.pool.cur[s].eweight > 0 && self.pos[s].npos <= grp.curr_pos {
                return Some(s);
            }
        }
        if let Some(s) = grp.weights[grp.init].first() {
            if self.pool.cur[s].eweight > 0 {
                self.pos[s].npos = 0;
                self.pos[s].rweight = 0;
                return Some(s);
            }
        }
        s1
    }

    /// `fwrr_update_position`.
    fn update_position(&mut self, g: usize, s: usize) {
        let e = self.eweight(s);
        if e == 0 {
            return;
        }
        let grp = &self.groups[g];
        let p = &mut self.pos[s];
        if p.npos == 0 {
            p.npos = grp.curr_pos;
        }
        p.lpos = p.npos;
        p.npos += grp.next_weight / e;
        p.rweight += grp.next_weight % e;
        if p.rweight >= e {
            p.rweight -= e;
            p.npos += 1;
        }
    }

    fn switch_trees(&mut self, g: usize) {
        let grp = &mut self.groups[g];
        grp.init = grp.next();
        grp.curr_weight = grp.next_weight;
        grp.curr_pos = grp.curr_weight;
    }

    fn status_up(&mut self, s: usize) {
        let g = self.gi(s);
        let e = self.eweight(s);
        self.groups[g].next_weight += e;
        self.get_srv(s);
        let grp = &self.groups[g];
        self.pos[s].npos = grp.curr_pos + (grp.next_weight + grp.curr_weight - grp.curr_pos) / e;
        self.queue_srv(s);
    }

    fn status_down(&mut self, s: usize, old_eweight: u32) {
        let g = self.gi(s);
        self.groups[g].next_weight -= i64::from(old_eweight);
        self.dequeue(s);
        self.pos[s].tree = Tree::None;
    }

    /// `fwrr_update_server_weight` for a server usable before and after.
    fn weight_changed(&mut self, s: usize, old_eweight: u32) {
        let g = self.gi(s);
        let e = self.eweight(s);
        self.groups[g].next_weight += e - i64::from(old_eweight);
        let init = self.groups[g].init;
        match self.pos[s].tree {
            Tree::Weight(t) if t == init => {
                self.dequeue(s);
                self.queue_by_weight(s, init);
            }
            Tree::None => {
                self.get_srv(s);
                let grp = &self.groups[g];
                self.pos[s].npos = grp.curr_pos + (grp.next_weight + grp.curr_weight - grp.curr_pos) / e;
                self.queue_srv(s);
            }
            _ => {
                self.get_srv(s);
                let grp = &self.groups[g];
                let p = &mut self.pos[s];
                if e > 0 {
                    let prev_next = p.npos;
                    let step = grp.next_weight / e;
                    p.npos = (p.lpos + step).min(prev_next);
                    p.rweight = 0;
                    if p.npos < grp.curr_pos + 2 {
                        p.npos = grp.curr_pos + step;
                    }
                } else {
                    p.npos = grp.curr_pos + grp.curr_weight;
                }
                self.dequeue(s);
                self.queue_srv(s);
            }
        }
    }
}

impl Balancer for RoundRobin {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        let g = match self.pool.serving() {
            Serving::Active => 0,
            Serving::FirstBackup(f) => return Some(f),
            Serving::Backups => 1,
            Serving::Nothing => return None,
        };
        let mut switched = false;
        let mut avoided: Option<usize> = None;
        self.full.clear();
        let chosen = 'outer: loop {
            if self.groups[g].curr_weight == 0 {
                let grp = &mut self.groups[g];
                grp.curr_weight = grp.next_weight;
                grp.curr_pos = grp.next_weight;
            }
            let s = loop {
                if let Some(s) = self.first_of_group(g) {
                    break s;
                }
                if switched {
                    break 'outer avoided;
                }
                switched = true;
                self.switch_trees(g);
            };
            self.update_position(g, s);
            self.dequeue(s);
            self.groups[g].curr_pos += 1;
            if !conns.is_full(s) {
                if Some(s) != req.avoid || avoided.is_some() {
                    break Some(s);
                }
                avoided = Some(s);
            }
            self.full.push(s);
        };
        if let Some(s) = chosen {
            self.queue_srv(s);
        }
        // Put back the servers taken out on the way, most recent first as HAProxy's list does:
        // at their new place, or by weight into "init" if the trees switched meanwhile.
        let init = self.groups[g].init;
        for i in (0..self.full.len()).rev() {
            let f = self.full[i];
            if Some(f) == chosen {
                continue;
            }
            if switched {
                self.queue_by_weight(f, init);
            } else {
                self.queue_srv(f);
            }
        }
        self.full.clear();
        chosen
    }

    fn update(&mut self, idx: usize, srv: LbServer) {
        if idx >= self.pool.len() {
            return;
        }
        let (old, change) = self.pool.set(idx, Pool::lb(&srv, scaled));
        match change {
            Change::Same | Change::StillDown => {}
            Change::Up => self.status_up(idx),
            Change::Down => self.status_down(idx, old.eweight),
            Change::Weight => self.weight_changed(idx, old.eweight),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn equal_weights_alternate() {
        let mut rr = RoundRobin::new(&[srv(1), srv(1)], false);
        assert_eq!(picks(&mut rr, 4), vec![0, 1, 0, 1]);
    }

    #[test]
    fn heaviest_first_and_interleaved() {
        let mut rr = RoundRobin::new(&[srv(1), srv(2), srv(3)], false);
        assert_eq!(picks(&mut rr, 12), vec![2, 1, 2, 0, 2, 1, 2, 1, 2, 0, 2, 1]);
    }

    #[test]
    fn backup_only_when_actives_are_gone() {
        let mut rr = RoundRobin::new(&[srv(1), bck(1), bck(1)], false);
        assert_eq!(picks(&mut rr, 2), vec![0, 0]);
        rr.update(0, LbServer { usable: false, ..srv(1) });
        assert_eq!(picks(&mut rr, 2), vec![1, 1]);
        let mut rr = RoundRobin::new(&[srv(1), bck(1), bck(1)], true);
        rr.update(0, LbServer { usable: false, ..srv(1) });
        assert_eq!(picks(&mut rr, 2), vec![1, 2]);
    }

    #[test]
    fn weight_zero_takes_nothing() {
        let mut rr = RoundRobin::new(&[srv(0), srv(1)], false);
        assert_eq!(picks(&mut rr, 3), vec![1, 1, 1]);
    }

    #[test]
    fn avoid_and_full() {
        let mut rr = RoundRobin::new(&[srv(1), srv(1), srv(1)], false);
        let mut c = Conns { cur: vec![1, 0, 0], max: vec![1, 0, 0] };
        let req = PickRequest { hash_key: None, avoid: Some(1) };
        assert_eq!(rr.pick(&req, &c), Some(2));
        // Only the avoided server is left: it is used rather than failing.
        c.max = vec![1, 0, 1];
        c.cur = vec![1, 0, 1];
        assert_eq!(rr.pick(&req, &c), Some(1));
    }
}

//! `balance leastconn`: HAProxy's fast weighted least connections (lb_fwlc.c).
//!
//! Each group's usable servers sit in a tree keyed by `(conns + 1) * 4096 / eweight`, or 0 when
//! idle, so idle servers come first and ties go to the server queued earliest (a server that
//! just took or released a connection goes behind its equals). The key moves when a connection
//! is taken or released. A pick takes the first server that is not full and not avoided.

use super::heap::{Heap, Walk};
use super::{scaled, Balancer, Change, ConnView, LbServer, PickRequest, Pool, Serving, EWEIGHT_MAX};

pub struct LeastConn {
    pool: Pool,
    trees: [Heap; 2],
    /// Connections each server is serving (HAProxy's `served`), as the hooks report them.
    served: Vec<u32>,
    seq: u64,
    scratch: Vec<(usize, (u32, u64))>,
}

impl LeastConn {
    pub fn new(servers: &[LbServer], allbackups: bool) -> LeastConn {
        let n = servers.len();
        let mut lc = LeastConn {
            pool: Pool::new(servers, allbackups, scaled),
            trees: [Heap::new(n), Heap::new(n)],
            served: vec![0; n],
            seq: 0,
            scratch: Vec::with_capacity(n),
        };
        for s in 0..n {
            if lc.pool.cur[s].usable {
                lc.queue(s);
            }
        }
        lc
    }

    fn key(&self, s: usize) -> u32 {
        let inflight = self.served[s];
        let e = self.pool.cur[s].eweight.max(1);
        if inflight == 0 {
            0
        } else {
            ((u64::from(inflight) + 1) * u64::from(EWEIGHT_MAX) / u64::from(e)) as u32
        }
    }

    fn queue(&mut self, s: usize) {
        self.seq += 1;
        let key = self.key(s);
        self.trees[usize::from(self.pool.backup[s])].insert(s, key, self.seq);
    }

    /// `fwlc_srv_reposition`: only when the key really changes.
    fn reposition(&mut self, s: usize) {
        let t = usize::from(self.pool.backup[s]);
        if self.trees[t].contains(s) && self.trees[t].key(s) != self.key(s) {
            self.trees[t].remove(s);
            self.queue(s);
        }
    }
}

impl Balancer for LeastConn {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        let t = match self.pool.serving() {
            Serving::Active => 0,
            Serving::FirstBackup(f) => return Some(f),
            Serving::Backups => 1,
            Serving::Nothing => return None,
        };
        let mut avoided = None;
        for s in Walk::new(&mut self.trees[t], &mut self.scratch) {
            let max = conns.maxconn(s);
            // HAProxy still picks a full server whose queue has room (it then waits there).
            if max == 0 || conns.cur_conns(s) < max.saturating_add(conns.maxqueue(s)) {
                if Some(s) != req.avoid {
                    return Some(s);
                }
                avoided = Some(s);
            }
        }
        avoided
    }

    fn update(&mut self, idx: usize, srv: LbServer) {
        if idx >= self.pool.len() {
            return;
        }
        let (_, change) = self.pool.set(idx, Pool::lb(&srv, scaled));
        let t = usize::from(self.pool.backup[idx]);
        match change {
            Change::Same | Change::StillDown => {}
            Change::Up => self.queue(idx),
            Change::Down => {
                self.trees[t].remove(idx);
            }
            Change::Weight => {
                self.trees[t].remove(idx);
                self.queue(idx);
            }
        }
    }

    fn conn_taken(&mut self, idx: usize) {
        if let Some(c) = self.served.get_mut(idx) {
            *c += 1;
            self.reposition(idx);
        }
    }

    fn conn_dropped(&mut self, idx: usize) {
        if let Some(c) = self.served.get_mut(idx) {
            *c = c.saturating_sub(1);
            self.reposition(idx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn least_loaded_then_oldest() {
        let mut lc = LeastConn::new(&[srv(1), srv(1), srv(1)], false);
        let c = Conns::default();
        let hold = |lc: &mut LeastConn| {
            let s = lc.pick(&PickRequest::default(), &c).unwrap();
            lc.conn_taken(s);
            s
        };
        assert_eq!((0..5).map(|_| hold(&mut lc)).collect::<Vec<_>>(), vec![0, 1, 2, 0, 1]);
        lc.conn_dropped(1);
        // s2 and s3 have one connection each; s3 has been there longer.
        assert_eq!(hold(&mut lc), 2);
        assert_eq!(hold(&mut lc), 1);
    }

    #[test]
    fn weights_divide_the_load() {
        let mut lc = LeastConn::new(&[srv(1), srv(3)], false);
        let c = Conns::default();
        let got: Vec<_> = (0..8)
            .map(|_| {
                let s = lc.pick(&PickRequest::default(), &c).unwrap();
                lc.conn_taken(s);
                s
            })
            .collect();
        assert_eq!(got.iter().filter(|&&s| s == 1).count(), 6);
    }
}

//! `balance first` (lb_fas.c): the first server by id that is not full gets the request, so
//! servers fill up one after the other up to their `maxconn`. Weights are not used.

use super::heap::{Heap, Walk};
use super::{scaled, Balancer, Change, ConnView, LbServer, PickRequest, Pool, Serving};

pub struct First {
    pool: Pool,
    trees: [Heap; 2],
    puid: Vec<u32>,
    seq: u64,
    scratch: Vec<(usize, (u32, u64))>,
}

impl First {
    pub fn new(servers: &[LbServer], ids: &[u32], allbackups: bool) -> First {
        let n = servers.len();
        let mut f = First {
            pool: Pool::new(servers, allbackups, scaled),
            trees: [Heap::new(n), Heap::new(n)],
            puid: (0..n).map(|i| ids.get(i).copied().unwrap_or(i as u32 + 1)).collect(),
            seq: 0,
            scratch: Vec::with_capacity(n),
        };
        for s in 0..n {
            if f.pool.cur[s].usable {
                f.queue(s);
            }
        }
        f
    }

    fn queue(&mut self, s: usize) {
        self.seq += 1;
        self.trees[usize::from(self.pool.backup[s])].insert(s, self.puid[s], self.seq);
    }
}

impl Balancer for First {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        let t = match self.pool.serving() {
            Serving::Active => 0,
            Serving::FirstBackup(f) => return Some(f),
            Serving::Backups => 1,
            Serving::Nothing => return None,
        };
        let mut avoided = None;
        for s in Walk::new(&mut self.trees[t], &mut self.scratch) {
            if !conns.is_full(s) {
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
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn fills_in_id_order() {
        let mut f = First::new(&[srv(1), srv(1), srv(1)], &[3, 1, 2], false);
        let mut c = Conns { cur: vec![0; 3], max: vec![1, 1, 1] };
        let mut got = vec![];
        for _ in 0..3 {
            let s = f.pick(&PickRequest::default(), &c).unwrap();
            c.cur[s] += 1;
            got.push(s);
        }
        assert_eq!(got, vec![1, 2, 0]);
        assert_eq!(f.pick(&PickRequest::default(), &c), None);
    }
}

//! `balance random [<draws>]` (backend.c's `get_server_rnd` over lb_chash.c's ring): each draw
//! lands a random 32-bit value on the consistent-hashing ring (so servers are drawn in proportion
//! to their weight); of the drawn servers, the one with the fewest connections relative to its
//! weight wins ("power of two choices" with the default 2 draws). If the winner is full the
//! request waits in the backend queue. The order cannot match HAProxy's (its generator is
//! seeded at random); the algorithm and the distribution do.

use super::chash::Chash;
use super::{Balancer, ConnView, LbServer, PickRequest, Prng};

pub struct Random {
    ring: Chash,
    draws: u32,
    rng: Prng,
}

/// A seed from the clock, for production use.
pub fn seed() -> u32 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (t as u32) ^ ((t >> 32) as u32) ^ std::process::id()
}

impl Random {
    pub fn new(servers: &[LbServer], ids: &[u32], allbackups: bool, draws: u32, seed: u32) -> Random {
        Random { ring: Chash::new(servers, ids, allbackups), draws: draws.max(1), rng: Prng::new(seed) }
    }
}

impl Balancer for Random {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        if self.ring.pool.tot_weight == 0 {
            return None;
        }
        let mut curr: Option<usize> = None;
        for _ in 0..self.draws {
            let prev = curr;
            curr = self.ring.by_hash(self.rng.next(), req.avoid);
            let Some(c) = curr else { break };
            if let Some(p) = prev {
                let (ce, pe) = (u64::from(self.ring.pool.cur[c].eweight), u64::from(self.ring.pool.cur[p].eweight));
                if p != c && u64::from(conns.cur_conns(c)) * pe > u64::from(conns.cur_conns(p)) * ce {
                    curr = prev;
                }
            }
        }
        curr.filter(|&c| !conns.is_full(c))
    }

    fn update(&mut self, idx: usize, srv: LbServer) {
        self.ring.update(idx, srv);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn weighted_draws() {
        let mut r = Random::new(&[srv(1), srv(3)], &[1, 2], false, 1, 7);
        let got = picks(&mut r, 4000);
        let s1 = got.iter().filter(|&&s| s == 1).count();
        assert!((2700..3300).contains(&s1), "{s1}");
    }

    #[test]
    fn two_draws_prefer_the_idle_server() {
        let mut r = Random::new(&[srv(1), srv(1)], &[1, 2], false, 2, 7);
        let c = Conns { cur: vec![5, 0], max: vec![0, 0] };
        let got: Vec<_> = (0..1000).map(|_| r.pick(&PickRequest::default(), &c).unwrap()).collect();
        let s0 = got.iter().filter(|&&s| s == 0).count();
        // Only when both draws land on the busy server.
        assert!((150..350).contains(&s0), "{s0}");
    }
}

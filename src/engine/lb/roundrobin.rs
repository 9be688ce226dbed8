//! Weighted round robin (`balance roundrobin` and `static-rr`): smooth interleaving so a server of
//! weight w gets w picks out of every sum-of-weights picks, spread out rather than in bursts.

use super::{serving_backups, Balancer, ConnView, LbServer, PickRequest};

pub struct RoundRobin {
    servers: Vec<LbServer>,
    /// Smooth-WRR running score per server.
    current: Vec<i64>,
    allbackups: bool,
}

impl RoundRobin {
    pub fn new(servers: &[LbServer], allbackups: bool) -> Self {
        RoundRobin { servers: servers.to_vec(), current: vec![0; servers.len()], allbackups }
    }
}

impl Balancer for RoundRobin {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        let backups = serving_backups(&self.servers);
        if backups && !self.allbackups {
            // Only the first eligible backup serves.
            return self.servers.iter().position(|s| s.backup && s.eligible()).filter(|&i| !conns.is_full(i));
        }
        let candidate =
            |i: usize, s: &LbServer| s.backup == backups && s.eligible() && Some(i) != req.avoid && !conns.is_full(i);
        let mut total: i64 = 0;
        let mut best: Option<usize> = None;
        for (i, s) in self.servers.iter().enumerate() {
            if !candidate(i, s) {
                continue;
            }
            self.current[i] += i64::from(s.eweight);
            total += i64::from(s.eweight);
            if best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let b = match best {
            Some(b) => b,
            // Only the avoided server is left: use it rather than fail.
            None => req.avoid.filter(|&a| self.servers.get(a).is_some_and(|s| s.eligible()) && !conns.is_full(a))?,
        };
        self.current[b] -= total;
        Some(b)
    }

    fn update(&mut self, idx: usize, srv: LbServer) {
        if let Some(s) = self.servers.get_mut(idx) {
            *s = srv;
            if !srv.eligible() {
                self.current[idx] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoConns;
    impl ConnView for NoConns {
        fn cur_conns(&self, _: usize) -> u32 {
            0
        }
        fn maxconn(&self, _: usize) -> u32 {
            0
        }
    }

    fn srv(w: u32, backup: bool) -> LbServer {
        LbServer { eweight: w, backup, usable: true }
    }

    fn picks(rr: &mut RoundRobin, n: usize) -> Vec<usize> {
        (0..n).map(|_| rr.pick(&PickRequest::default(), &NoConns).unwrap()).collect()
    }

    #[test]
    fn equal_weights_alternate() {
        let mut rr = RoundRobin::new(&[srv(1, false), srv(1, false)], false);
        assert_eq!(picks(&mut rr, 4), vec![0, 1, 0, 1]);
    }

    #[test]
    fn weights_are_respected() {
        let mut rr = RoundRobin::new(&[srv(3, false), srv(1, false)], false);
        let p = picks(&mut rr, 8);
        assert_eq!(p.iter().filter(|&&i| i == 0).count(), 6);
    }

    #[test]
    fn backup_only_when_actives_are_gone() {
        let mut rr = RoundRobin::new(&[srv(1, false), srv(1, true), srv(1, true)], false);
        assert_eq!(picks(&mut rr, 2), vec![0, 0]);
        rr.update(0, LbServer { usable: false, ..srv(1, false) });
        assert_eq!(picks(&mut rr, 2), vec![1, 1]);
        let mut rr = RoundRobin::new(&[srv(1, false), srv(1, true), srv(1, true)], true);
        rr.update(0, LbServer { usable: false, ..srv(1, false) });
        assert_eq!(picks(&mut rr, 2), vec![1, 2]);
    }

    #[test]
    fn weight_zero_takes_nothing() {
        let mut rr = RoundRobin::new(&[srv(0, false), srv(1, false)], false);
        assert_eq!(picks(&mut rr, 3), vec![1, 1, 1]);
    }
}

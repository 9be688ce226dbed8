//! Stick-table replication between peers: HAProxy and haproxide as the two peers of one
//! `peers` section (each named with `-L`), compared with two HAProxy peers on the same
//! traffic: what `show table` shows on each side, after traffic through either, after a peer
//! restarts (it learns everything back by a full resync), and the handshake's status codes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::runtime_api::{Cli, ADMIN_HTTP};
use crate::harness::client::Request;
use crate::harness::compare::assert_same;
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::free_port;
use crate::harness::proc::Impl;
use crate::harness::wait::wait_until;

/// Follows [`ADMIN_HTTP`]. Both peers run this; `${PORT_0}` and `${DIR}` differ, the peers' ports are shared. The `be`
/// table is a proxy's bound with `peers`, `st` is declared in the section (`mesh/st`).
const CFG: &str = "\
peers mesh
    peer a 127.0.0.1:${PA}
    peer b 127.0.0.1:${PB}
    table st type string len 16 size 100 expire 10m store conn_cnt,http_req_cnt,http_req_rate(1d),bytes_in_cnt,gpc(2),gpc_rate(2,1d)
frontend fe
    bind 127.0.0.1:${PORT_0}
    http-request track-sc0 req.hdr(x-k) table mesh/st
    http-request sc-inc-gpc(1,0)
    default_backend be
backend be
    balance roundrobin
    stick-table type string len 8 size 100 expire 5m peers mesh
    stick on req.hdr(x-k)
    server s1 127.0.0.1:${WEB}
    server s2 127.0.0.1:${WEB}
";

/// Follows [`ADMIN_HTTP`]. The same section in HAProxy 2.x's `bind` + `server` form.
const CFG_BIND: &str = "\
peers mesh
    bind 127.0.0.1:${PL}
    server ${ME}
    server ${OTHER} 127.0.0.1:${PO}
    table st type ip size 100 expire 10m store http_req_cnt,server_id
frontend fe
    bind 127.0.0.1:${PORT_0}
    http-request track-sc0 src table mesh/st
    http-request return status 200
";

struct Peer {
    cli: Cli,
    name: &'static str,
    fe: u16,
    vars: Vec<(&'static str, String)>,
    cfg: &'static str,
}

fn start(imp: Impl, name: &'static str, cfg: &'static str, web: &MockHttp, vars: Vec<(&'static str, String)>) -> Peer {
    let cli = Cli::start_args(imp, &format!("{ADMIN_HTTP}{cfg}"), web, &vars, &["-L", name]);
    let fe = cli.ports.clone().port(0);
    Peer { cli, name, fe, vars, cfg }
}

impl Peer {
    fn get(&self, key: &str) {
        let r = Request::get("/").header("X-K", key).send(self.fe);
        assert!(r.is_ok_and(|r| r.status == 200), "{}: request for {key}", self.name);
    }

    fn table(&self, t: &str) -> String {
        super::persistence::table_norm_in(&self.cli.cmd(&format!("show table {t}")), 60_000)
    }

    /// Wait until table `t` shows `n` entries, none in use, and the same text twice in a row
    /// (the updates in flight have landed); returns it.
    fn settled(&self, t: &str, n: usize) -> String {
        let mut last = String::new();
        let used = format!("used:{n}\n");
        wait_until(Duration::from_secs(15), || {
            let now = self.table(t);
            let done = now.contains(&used) && !now.contains("use=1") && now == last;
            last = now;
            done
        });
        last
    }

    fn restart(self, imp: Impl, web: &MockHttp) -> Peer {
        let (name, cfg, vars) = (self.name, self.cfg, self.vars);
        drop(self.cli);
        start(imp, name, cfg, web, vars)
    }
}

fn pair(ia: Impl, ib: Impl, web: &MockHttp) -> (Peer, Peer) {
    let vars = vec![("PA", free_port().to_string()), ("PB", free_port().to_string())];
    (start(ia, "a", CFG, web, vars.clone()), start(ib, "b", CFG, web, vars))
}

/// Traffic through both peers, then both tables on both sides.
fn exchange(a: &Peer, b: &Peer) -> String {
    for k in ["k1", "k2", "k1"] {
        a.get(k);
    }
    b.get("k3");
    b.get("k3");
    let mut out = String::new();
    for p in [a, b] {
        out.push_str(&format!("== {}\n{}{}", p.name, p.settled("mesh/st", 3), p.settled("be", 3)));
    }
    out
}

/// The traffic of [`exchange`], a restart of peer `b` (which learns everything back from `a`
/// by a full resync), then traffic through the new `b`, seen on `a`.
fn scenario(ia: Impl, ib: Impl) -> String {
    let web = MockHttp::start("web");
    let (a, b) = pair(ia, ib, &web);
    let mut out = exchange(&a, &b);
    let b = b.restart(ib, &web);
    out.push_str(&format!("== b restarted\n{}{}", b.settled("mesh/st", 3), b.settled("be", 3)));
    b.get("k4");
    out.push_str(&format!("== a after k4\n{}{}", a.settled("mesh/st", 4), a.settled("be", 4)));
    out
}

/// [`scenario`] with peers `a` and `b` run by `ia` and `ib`, against two HAProxy peers.
fn compare(ia: Impl, ib: Impl) {
    crate::require_haproxy!();
    let theirs = scenario(Impl::HAProxy, Impl::HAProxy);
    let ours = scenario(ia, ib);
    assert_same(&format!("show table on peers a ({ia}) and b ({ib})"), &theirs, &ours);
}

#[test]
fn haproxide_replicates_with_haproxy() {
    compare(Impl::HAProxy, Impl::Haproxide);
}

#[test]
fn haproxy_restarts_and_learns_from_haproxide() {
    compare(Impl::Haproxide, Impl::HAProxy);
}

#[test]
fn haproxide_replicates_with_itself() {
    compare(Impl::Haproxide, Impl::Haproxide);
}

/// The `bind` + `server` form, with an `ip` table keyed by the client address.
#[test]
fn bind_and_server_form() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    let run = |ib: Impl| {
        let (pa, pb) = (free_port().to_string(), free_port().to_string());
        let va = vec![("PL", pa.clone()), ("ME", "a".into()), ("OTHER", "b".into()), ("PO", pb.clone())];
        let vb = vec![("PL", pb), ("ME", "b".into()), ("OTHER", "a".into()), ("PO", pa)];
        let a = start(Impl::HAProxy, "a", CFG_BIND, &web, va);
        let b = start(ib, "b", CFG_BIND, &web, vb);
        b.get("x");
        b.get("x");
        format!("{}{}", a.settled("mesh/st", 1), b.settled("mesh/st", 1))
    };
    let theirs = run(Impl::HAProxy);
    let ours = run(Impl::Haproxide);
    assert_same("show table after the bind + server form replicated", &theirs, &ours);
}

/// What a peer answers to hellos: wrong protocol, version, names, then a good one.
#[test]
fn handshake_status_codes() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    let run = |imp: Impl| {
        // Peer `b` is listed but never runs: the hellos come from it.
        let vars = vec![("PA", free_port().to_string()), ("PB", free_port().to_string())];
        let a = start(imp, "a", CFG, &web, vars.clone());
        let port: u16 = vars[0].1.parse().unwrap();
        let mut out = String::new();
        for hello in [
            "HAProxyX 2.1\na\nb 1 1\n",
            "HAProxyS 3.0\na\nb 1 1\n",
            "HAProxyS 2.1\nz\nb 1 1\n",
            "HAProxyS 2.1\na\nc 1 1\n",
            "HAProxyS 2.1\na\nb\n",
            "HAProxyS 2.1\na\n\n",
            "HAProxyS 2.1 x\na\nb 1 1\n",
            "HAProxyS 2.1\r\na\nb 1 1\n",
            "HAProxyS 2.1\na\nb 1 1\n",
        ] {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the peer");
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(hello.as_bytes()).unwrap();
            let mut got = Vec::new();
            let mut b = [0u8; 1];
            while got.last() != Some(&b'\n') && matches!(s.read(&mut b), Ok(1)) {
                got.push(b[0]);
            }
            out.push_str(&format!("{:?} -> {:?}\n", hello, String::from_utf8_lossy(&got)));
        }
        drop(a);
        out
    };
    let theirs = run(Impl::HAProxy);
    let ours = run(Impl::Haproxide);
    assert_same("status lines answered to hellos", &theirs, &ours);
}

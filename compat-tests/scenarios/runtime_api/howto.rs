//! The how-to from the issue: a `server-template` of 100 disabled slots, one pointed at a real
//! backend and enabled from a script, traffic flowing, then drained and put in maintenance; and
//! the same commands keeping two haproxide instances in step.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{blank_traffic, Cli};
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::mock_tcp::MockTcp;
use crate::harness::proc::Impl;
use crate::harness::{client, wait};

const CFG: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock level admin
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    mode http
    bind 127.0.0.1:${PORT_0}
    default_backend be
frontend tfe
    mode tcp
    bind 127.0.0.1:${PORT_1}
    default_backend tbe
backend be
    mode http
    balance roundrobin
    server-template websrv 1-100 192.168.122.1:80 check disabled
backend tbe
    mode tcp
    server-template tsrv 1-3 192.168.122.1:80 disabled
";

fn status(port: u16) -> String {
    client::get(port, "/").map(|r| format!("{} {}", r.status, r.body_text())).unwrap_or_else(|e| format!("error {e}"))
}

/// Send a line through a held TCP session and read its echo.
fn echo(s: &mut TcpStream, msg: &str) -> String {
    if s.write_all(msg.as_bytes()).is_err() {
        return "closed".into();
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) | Err(_) => "closed".into(),
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
    }
}

fn run(imp: Impl) -> String {
    let web = MockHttp::start("web50");
    let tcp = MockTcp::echo();
    let mut c = Cli::start(imp, CFG, &web);
    let (http, tport) = (c.ports.port(0), c.ports.port(1));
    let p = web.port().to_string();
    let tp = tcp.port().to_string();
    let n = |s: String| s.replace(&p, "WEBPORT").replace(&tp, "TCPPORT");
    let mut out = vec![format!("before: {}", status(http))];
    out.push(n(c.cmd(&format!("set server be/websrv50 addr 127.0.0.1 port {p}"))));
    out.push(n(c.cmd("set server be/websrv50 state ready")));
    // The check runs against the real backend and keeps the server up.
    out.push(format!("ready: {}", status(http)));
    wait::wait_until(Duration::from_secs(5), || c.cmd("show stat be 4 50").contains(",UP,"));
    out.push(blank_traffic(&n(c.cmd("show stat be 4 50"))));
    out.push(
        n(c.cmd("show servers state be"))
            .lines()
            .filter(|l| l.contains("websrv50") || l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    out.push(n(c.cmd("set server be/websrv50 state drain")));
    out.push(format!("drain: {}", status(http)));
    out.push(n(c.cmd("set server be/websrv50 state maint")));
    out.push(format!("maint: {}", status(http)));
    out.push(blank_traffic(&n(c.cmd("show stat be 4 50"))));
    // TCP: an established session lives on through drain and maintenance; new ones do not get
    // the server.
    out.push(n(c.cmd(&format!("set server tbe/tsrv2 addr 127.0.0.1 port {tp}"))));
    out.push(n(c.cmd("set server tbe/tsrv2 state ready")));
    let mut held = TcpStream::connect(("127.0.0.1", tport)).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    out.push(format!("tcp ready: {}", echo(&mut held, "a")));
    c.cmd("set server tbe/tsrv2 state drain");
    out.push(format!("tcp drain, held: {}", echo(&mut held, "b")));
    let mut fresh = TcpStream::connect(("127.0.0.1", tport)).unwrap();
    fresh.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    out.push(format!("tcp drain, new: {}", echo(&mut fresh, "c")));
    c.cmd("set server tbe/tsrv2 state maint");
    out.push(format!("tcp maint, held: {}", echo(&mut held, "d")));
    out.push(n(c.cmd("show servers state tbe")));
    out.join("\n")
}

#[test]
fn howto_server_template_driven_by_a_script() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert_same("how-to transcript", &theirs, &ours);
}

/// The same commands sent to two haproxide instances keep them in step.
#[test]
fn two_instances_stay_in_step() {
    let web = MockHttp::start("web");
    let a = Cli::start(Impl::Haproxide, CFG, &web);
    let b = Cli::start(Impl::Haproxide, CFG, &web);
    let script = [
        format!("set server be/websrv7 addr 127.0.0.1 port {}", web.port()),
        "set server be/websrv7 state ready".to_string(),
        "set server be/websrv8 state drain".to_string(),
        "set server be/websrv7 weight 42".to_string(),
        "set server be/websrv9 state maint".to_string(),
        "disable health be/websrv7".to_string(),
    ];
    for cmd in &script {
        let (ra, rb) = (a.cmd(cmd), b.cmd(cmd));
        assert_eq!(ra, rb, "replies to {cmd}");
    }
    let state = |c: &Cli| c.norm(&c.cmd("show servers state"));
    // A check may be running in one instance at the moment of the dump: compare once both are
    // between checks (the states converge within a check interval).
    let same = wait::wait_until(Duration::from_secs(5), || state(&a) == state(&b));
    assert!(same, "instances differ:\n{}\n---\n{}", state(&a), state(&b));
    assert!(state(&a).contains(" websrv7 127.0.0.1 "));
    // Both serve through websrv7.
    for c in [&a, &b] {
        let port = c.ports.clone().port(0);
        assert!(wait::wait_until(Duration::from_secs(10), || status(port).starts_with("200 ")), "{}", status(port));
    }
}

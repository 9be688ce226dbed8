//! `minconn` with `fullconn`: the server's limit grows from `minconn` toward `maxconn` with the
//! backend's load, requests already queued in the backend keep their turn, and a slot that
//! frees lets as many queued requests through as the grown limit allows.

use std::time::Duration;

use super::Cli;
use crate::harness::client;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::proc::Impl;
use crate::harness::wait;

const CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout queue 30s
frontend fe
    bind 127.0.0.1:${PORT_0}
    maxconn 100
    default_backend be
backend be
    fullconn 10
    server s1 127.0.0.1:${WEB} minconn 2 maxconn 6
";

/// qcur, scur of the server and of the backend.
fn load(c: &Cli) -> String {
    c.cmd("show stat be -1 -1")
        .lines()
        .filter(|l| l.starts_with("be,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} qcur={} scur={}", f[1], f[2], f[4])
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn run(imp: Impl) -> String {
    let web = MockHttp::start("slow");
    // Long enough for all eight clients to be queued before the first two finish, even on a
    // loaded machine (the views below are taken between those moments).
    web.slow(Duration::from_millis(4000));
    let mut c = Cli::start(imp, CFG, &web);
    let port = c.ports.port(0);
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(30));
            std::thread::spawn(move || client::get(port, "/").map(|r| r.status).unwrap_or(0))
        })
        .collect();
    let mut out = Vec::new();
    wait::wait_until(Duration::from_secs(10), || load(&c).contains("BACKEND qcur=6 scur=8") || web.requests() > 2);
    out.push(format!("all arrived: {}", load(&c)));
    wait::wait_until(Duration::from_secs(10), || web.requests() >= 6);
    std::thread::sleep(Duration::from_millis(100));
    out.push(format!("first two done: {} (requests at the server: {})", load(&c), web.requests()));
    let statuses: Vec<u16> = clients.into_iter().map(|h| h.join().unwrap_or(0)).collect();
    out.push(format!("statuses: {statuses:?}"));
    out.join("\n")
}

#[test]
fn minconn_limit_grows_with_the_backend_load() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert!(theirs.contains("s1 qcur=0 scur=2"), "{theirs}");
    assert_same("minconn/fullconn", &theirs, &ours);
}

//! `shutdown sessions server` — the same kill that `on-marked-down shutdown-sessions` does — on
//! sessions in flight: an HTTP request waiting for its response gets HAProxy's 502 and `KH--`
//! in its log line, a TCP session is cut and logged `KD--`; `on-marked-down shutdown-sessions` and
//! `on-marked-up shutdown-backup-sessions` in HTTP (`DH--`, `UH--`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Cli;
use crate::harness::client;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::mock_tcp::MockTcp;
use crate::harness::proc::Impl;
use crate::harness::syslog::UdpSyslog;
use crate::harness::wait;
use crate::scenarios::http_kit::mask_log;

const CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    log 127.0.0.1:${SYSLOG} local0
defaults
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    mode http
    option httplog
    bind 127.0.0.1:${PORT_0}
    default_backend be
frontend tfe
    mode tcp
    option tcplog
    bind 127.0.0.1:${PORT_1}
    default_backend tbe
backend be
    mode http
    server s1 127.0.0.1:${WEB}
backend tbe
    mode tcp
    server t1 127.0.0.1:${ECHO}
";

fn run(imp: Impl) -> String {
    let web = MockHttp::start("slow");
    web.slow(Duration::from_millis(2000));
    let echo = MockTcp::echo();
    let syslog = UdpSyslog::start();
    let vars = [("SYSLOG", syslog.port().to_string()), ("ECHO", echo.port().to_string())];
    let mut c = Cli::start_with(imp, CFG, &web, &vars);
    let (http, tcp) = (c.ports.port(0), c.ports.port(1));
    let mut out = Vec::new();

    let req = b"GET /slow HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".to_vec();
    let pending = std::thread::spawn(move || client::tcp_roundtrip(http, &req));
    wait::wait_until(Duration::from_secs(5), || web.requests() == 1);
    out.push(c.cmd("shutdown sessions server be/s1"));
    let reply = pending.join().expect("client thread").map(|r| String::from_utf8_lossy(&r).into_owned());
    out.push(format!("http reply: {reply:?}"));

    let mut s = TcpStream::connect(("127.0.0.1", tcp)).expect("tcp frontend");
    s.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    s.write_all(b"ping").expect("write");
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).unwrap_or(0);
    out.push(format!("echo: {:?}", String::from_utf8_lossy(&buf[..n])));
    out.push(c.cmd("shutdown sessions server tbe/t1"));
    let after = match s.read(&mut buf) {
        Ok(0) => "closed".to_string(),
        Ok(n) => format!("data {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => format!("error {:?}", e.kind()),
    };
    out.push(format!("tcp after kill: {after}"));
    drop(s);

    for (what, needle) in [("http", " fe be/s1 "), ("tcp", " tfe tbe/t1 ")] {
        let line = syslog.messages().wait_contains(needle, Duration::from_secs(5)).map(|l| mask_log(&l));
        out.push(format!("{what} log: {line:?}"));
    }
    out.join("\n")
}

#[test]
fn shutdown_sessions_kills_http_and_tcp_sessions() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert_same("shutdown sessions server", &theirs, &ours);
}

const MARKED_CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    log 127.0.0.1:${SYSLOG} local0
defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    default_backend be
backend be
    server s1 127.0.0.1:${WEB} check inter 100ms on-marked-down shutdown-sessions
    server b1 127.0.0.1:${WEB} backup
frontend fe2
    bind 127.0.0.1:${PORT_1}
    default_backend be2
backend be2
    server a1 127.0.0.1:${DOWN} check inter 100ms rise 1 on-marked-up shutdown-backup-sessions
    server b2 127.0.0.1:${WEB} backup
";

/// `on-marked-down shutdown-sessions` and `on-marked-up shutdown-backup-sessions` in HTTP: a
/// request in flight on the server that goes down (or on the backup when an active server
/// comes up) is killed as HAProxy kills it.
fn run_marked(imp: Impl) -> String {
    let web = MockHttp::start("slow");
    web.slow(Duration::from_millis(2000));
    let down = MockHttp::start("down");
    down.stop();
    let syslog = UdpSyslog::start();
    let vars = [("SYSLOG", syslog.port().to_string()), ("DOWN", down.port().to_string())];
    let mut c = Cli::start_with(imp, MARKED_CFG, &web, &vars);
    let (p0, p1) = (c.ports.port(0), c.ports.port(1));
    let mut out = Vec::new();
    wait::wait_until(Duration::from_secs(5), || c.cmd("show servers state be2").contains(" a1 127.0.0.1 0 "));

    let req = b"GET /slow HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".to_vec();
    let r1 = req.clone();
    let pending = std::thread::spawn(move || client::tcp_roundtrip(p0, &r1));
    wait::wait_until(Duration::from_secs(5), || web.requests() == 1);
    out.push(c.cmd("set server be/s1 health down"));
    let reply = pending.join().expect("client thread").map(|r| String::from_utf8_lossy(&r).into_owned());
    out.push(format!("marked down, reply: {reply:?}"));

    let pending = std::thread::spawn(move || client::tcp_roundtrip(p1, &req));
    wait::wait_until(Duration::from_secs(5), || web.requests() == 2);
    down.restart();
    let reply = pending.join().expect("client thread").map(|r| String::from_utf8_lossy(&r).into_owned());
    out.push(format!("active came up, backup reply: {reply:?}"));

    for (what, needle) in [("down", " fe be/s1 "), ("backup", " fe2 be2/b2 ")] {
        let line = syslog.messages().wait_contains(needle, Duration::from_secs(5)).map(|l| mask_log(&l));
        out.push(format!("{what} log: {line:?}"));
    }
    out.join("\n")
}

#[test]
fn marked_down_and_up_kill_http_sessions() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run_marked);
    assert_same("on-marked-down / on-marked-up in http", &theirs, &ours);
}

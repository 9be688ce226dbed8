//! Passive checks (`observe layer4|layer7`, `error-limit`, `on-error`) and slow start, end to
//! end; the expected lines were recorded from HAProxy 2.6.12 with the same configuration.

#[path = "checks_support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::*;

/// One HTTP/1.0 request through the frontend; returns the status line's code.
fn request(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n.min(12)]).into_owned()
}

fn listen(name: &str, port: u16, server: &str) -> String {
    format!("listen {name}\n  bind 127.0.0.1:{port}\n  {server}\n")
}

#[test]
fn observe_layer4_on_error_actions() {
    let log = Syslog::start();
    let ok = Mock::start(Mode::Http("200 OK".into()));
    let dead = free_port();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let mut cfg = format!(
        "global\n  log 127.0.0.1:{} local0\ndefaults\n  mode http\n  log global\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  retries 0\n",
        log.port
    );
    // Start-up spreads the first checks over `inter` (0, 1/4, 2/4, 3/4 of it); a passing check
    // between a server's two errors resets its count, so the interval is long enough that no
    // check but l0's (at start) runs while a slow machine is still starting the binary.
    let srv = |action: &str| {
        format!("server o1 127.0.0.1:{dead} check port {} inter 60000 observe layer4 error-limit 2 on-error {action} rise 2 fall 3", ok.port)
    };
    cfg += &listen("l0", ports[0], &srv("fastinter"));
    cfg += &listen("l1", ports[1], &srv("fail-check"));
    cfg += &listen("l2", ports[2], &srv("sudden-death"));
    cfg += &listen("l3", ports[3], &srv("mark-down"));
    let _px = Proxy::start(&cfg);
    wait_until(10, "listeners", || TcpStream::connect(("127.0.0.1", ports[3])).is_ok(), |ok| *ok);
    for _ in 0..2 {
        for p in &ports {
            assert_eq!(request(*p), "HTTP/1.1 503");
        }
    }
    let l = wait_lines(&log, 6, 10);
    let mut expect = Vec::new();
    for px in ["l1", "l2", "l3"] {
        expect.push(format!("<129>Server {px}/o1 is DOWN, reason: Health analyze, info: \"Detected 2 consecutive errors, last one was: L4 unsuccessful connection\". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue."));
        expect.push(format!("<128>proxy {px} has no server available!"));
    }
    assert_eq!(l, expect, "fastinter changes nothing by itself; the other actions take the server down");
}

#[test]
fn observe_layer7_counts_http_errors() {
    let log = Syslog::start();
    let ok = Mock::start(Mode::Http("200 OK".into()));
    let e500 = Mock::start(Mode::Http("500 Oops".into()));
    let e501 = Mock::start(Mode::Http("501 NI".into()));
    let garbage = Mock::start(Mode::Reply(b"garbage\r\n\r\n".to_vec()));
    let silent = Mock::start(Mode::Silent);
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let mut cfg = format!(
        "global\n  log 127.0.0.1:{} local0\ndefaults\n  mode http\n  log global\n  timeout connect 1s\n  timeout client 5s\n  timeout server 300ms\n  retries 3\n",
        log.port
    );
    let srv = |port: u16| {
        format!(
            "server o1 127.0.0.1:{port} check port {} inter 60000 observe layer7 error-limit 3 on-error mark-down",
            ok.port
        )
    };
    cfg += &listen("l0", ports[0], &srv(e500.port));
    cfg += &listen("l1", ports[1], &srv(e501.port));
    cfg += &listen("l3", ports[2], &srv(silent.port));
    cfg += &listen("l4", ports[3], &srv(garbage.port));
    let _px = Proxy::start(&cfg);
    wait_until(10, "listeners", || TcpStream::connect(("127.0.0.1", ports[3])).is_ok(), |ok| *ok);
    // One round more than error-limit: a health check passing in between resets the count.
    for _ in 0..4 {
        for p in &ports {
            request(*p);
        }
    }
    let expect = [
        "<129>Server l0/o1 is DOWN, reason: Health analyze, info: \"Detected 3 consecutive errors, last one was: Wrong http response\". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.",
        "<129>Server l3/o1 is DOWN, reason: Health analyze, info: \"Detected 3 consecutive errors, last one was: Read timeout (http)\". 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<129>Server l4/o1 is DOWN, reason: Health analyze, info: \"Detected 3 consecutive errors, last one was: Invalid http response (headers)\". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.",
    ];
    let l = wait_until(15, "observe lines", || log.lines(), |l| expect.iter().all(|e| l.contains(&e.to_string())));
    assert!(!l.iter().any(|x| x.contains("l1/o1")), "501 is not an error: {l:#?}");
}

#[test]
fn slowstart_logs_up_again_when_fully_up() {
    let log = Syslog::start();
    let a = Mock::start(Mode::Http("500 x".into()));
    let b = Mock::start(Mode::Http("200 OK".into()));
    let cfg = format!(
        "{}backend be\n  option httpchk\n  server a1 127.0.0.1:{} check inter 200 rise 1 fall 1 slowstart 2s weight 100\n  server b1 127.0.0.1:{} check inter 200 rise 1 fall 1 weight 20\n",
        head(log.port),
        a.port,
        b.port
    );
    let _px = Proxy::start(&cfg);
    wait_lines(&log, 1, 10);
    a.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 3, 10);
    assert_eq!(
        l,
        vec![
            "<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"x\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "<133>Server be/a1 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
            "<133>Server be/a1 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
        ]
    );
}

#[test]
fn on_marked_down_shuts_tcp_sessions() {
    let log = Syslog::start();
    let web = Mock::start(Mode::Silent);
    let ag = Mock::start(Mode::Reply(b"up\n".to_vec()));
    let fe = free_port();
    let cfg = format!(
        "global\n  log 127.0.0.1:{} local0\ndefaults\n  mode tcp\n  log global\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nlisten l\n  bind 127.0.0.1:{fe}\n  server a1 127.0.0.1:{} check inter 300 agent-check agent-port {} agent-inter 100 agent-send \"x\\n\" on-marked-down shutdown-sessions\n",
        log.port, web.port, ag.port
    );
    let _px = Proxy::start(&cfg);
    let mut c = wait_until(10, "listener", || TcpStream::connect(("127.0.0.1", fe)).ok(), Option::is_some).unwrap();
    c.write_all(b"hello").unwrap();
    wait_until(10, "session on the server", || web.hits.load(std::sync::atomic::Ordering::Relaxed), |n| *n >= 1);
    ag.set(Mode::Reply(b"down\n".to_vec()));
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(c.read(&mut buf).unwrap_or(0), 0, "the session is closed");
    let l = wait_lines(&log, 2, 10);
    assert_eq!(
        l,
        vec![
            "<129>Server l/a1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : down\", check duration: Nms. 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.",
            "<128>proxy l has no server available!"
        ]
    );
}

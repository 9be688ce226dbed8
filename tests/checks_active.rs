//! Active health checks, end to end against the built binary: every expected line below was
//! recorded from HAProxy 2.6.12 on the same configuration and the same server behaviour.

#[path = "checks_support/mod.rs"]
mod support;

use support::*;

#[test]
fn tcp_check_refused_then_back_with_backup() {
    let log = Syslog::start();
    let s1 = Mock::start(Mode::Http("200 OK".into()));
    let s2 = Mock::start(Mode::Http("200 OK".into()));
    let cfg = format!(
        "{}backend be\n  server s1 127.0.0.1:{} check inter 100 rise 2 fall 3\n  server s2 127.0.0.1:{} check inter 100 backup\n",
        head(log.port),
        s1.port,
        s2.port
    );
    // Servers start up: the very first failed check takes s1 down.
    s1.set(Mode::Refuse);
    let px = Proxy::start(&cfg);
    let l = wait_lines(&log, 1, 10);
    assert_eq!(
        l,
        vec!["<129>Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."]
    );
    s1.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 2, 10);
    assert_eq!(
        l[1],
        "<133>Server be/s1 is UP, reason: Layer4 check passed, check duration: Nms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."
    );
    let err = wait_until(5, "stderr", || px.stderr_lines(), |e| e.len() >= 2);
    assert_eq!(
        err,
        vec![
            "[WARNING]  (PID) : Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "[WARNING]  (PID) : Server be/s1 is UP, reason: Layer4 check passed, check duration: Nms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."
        ]
    );
}

#[test]
fn http_check_wrong_status_and_no_server_available() {
    let log = Syslog::start();
    let a = Mock::start(Mode::Http("200 OK".into()));
    let cfg = format!(
        "{}backend be\n  option httpchk GET /health\n  server s1 127.0.0.1:{} check inter 100 rise 2 fall 3\n",
        head(log.port),
        a.port
    );
    let px = Proxy::start(&cfg);
    wait_until(10, "first check", || a.hits.load(std::sync::atomic::Ordering::Relaxed), |n| *n >= 1);
    a.set(Mode::Http("500 Internal Server Error".into()));
    let l = wait_lines(&log, 2, 10);
    assert_eq!(
        l,
        vec![
            "<129>Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "<128>backend be has no server available!"
        ]
    );
    a.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 3, 10);
    assert_eq!(
        l[2],
        "<133>Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
    );
    let err = px.stderr_lines();
    assert_eq!(err[1], "[ALERT]    (PID) : backend 'be' has no server available!");
}

#[test]
fn check_timeout_and_garbage() {
    let log = Syslog::start();
    let silent = Mock::start(Mode::Silent);
    let garbage = Mock::start(Mode::Reply(b"garbage\r\n\r\n".to_vec()));
    let cfg = format!(
        "{}backend be\n  option httpchk\n  server s1 127.0.0.1:{} check inter 300 rise 1 fall 1\nbackend be2\n  option httpchk\n  server s4 127.0.0.1:{} check inter 300 rise 1 fall 1\n",
        head(log.port),
        silent.port,
        garbage.port
    );
    let _px = Proxy::start(&cfg);
    let l = wait_lines(&log, 4, 10);
    assert!(l.contains(&"<129>Server be2/s4 is DOWN, reason: Layer7 invalid response, check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string()), "{l:#?}");
    assert!(l.contains(&"<129>Server be/s1 is DOWN, reason: Layer7 timeout, check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string()), "{l:#?}");
}

#[test]
fn disable_on_404_track_and_log_health_checks() {
    let log = Syslog::start();
    let a = Mock::start(Mode::Http("200 OK".into()));
    let b = Mock::start(Mode::Http("200 OK".into()));
    let c = Mock::start(Mode::Http("200 OK".into()));
    let cfg = format!(
        "{}backend be\n  option httpchk\n  http-check disable-on-404\n  server a1 127.0.0.1:{a} check inter 100 rise 2 fall 2\n  server tr 127.0.0.1:{b} track a1\n  server bk 127.0.0.1:{c} check inter 100 backup rise 1 fall 1\nbackend be2\n  option httpchk\n  option log-health-checks\n  http-check disable-on-404\n  server c1 127.0.0.1:{c} check inter 100 rise 2 fall 2\n  server t2 127.0.0.1:{b} track be/a1\n",
        head(log.port),
        a = a.port,
        b = b.port,
        c = c.port
    );
    let _px = Proxy::start(&cfg);
    let l = wait_lines(&log, 1, 10);
    assert_eq!(l[0], "<133>Health check for server be2/c1 succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 2/2 UP.");
    a.set(Mode::Http("404 Not Found".into()));
    let l = wait_lines(&log, 4, 10);
    assert_eq!(
        l[1..4],
        [
            "<133>Server be/a1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: Nms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue.",
            "<133>Server be2/t2 is stopping via be/a1. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
            "<133>Server be/tr is stopping via be/a1. 0 active and 1 backup servers online. Running on backup. 0 sessions requeued, 0 total in queue.",
        ]
    );
    a.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 7, 10);
    assert_eq!(
        l[4..7],
        [
            "<133>Server be/a1 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue.",
            "<133>Server be2/t2 is UP via be/a1. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
            "<133>Server be/tr is UP via be/a1. 2 active and 1 backup servers online. 0 sessions requeued, 0 total in queue.",
        ]
    );
    a.set(Mode::Http("500 Err".into()));
    let l = wait_lines(&log, 10, 10);
    assert_eq!(
        l[7..10],
        [
            "<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Err\", check duration: Nms. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "<129>Server be2/t2 is DOWN via be/a1. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "<129>Server be/tr is DOWN via be/a1. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.",
        ]
    );
    // A 404 while down is a failure, not a conditional success.
    a.set(Mode::Http("404 Not Found".into()));
    std::thread::sleep(std::time::Duration::from_millis(400));
    a.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 13, 10);
    assert_eq!(l[10], "<133>Server be/a1 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue.");
    // be2/c1 and be/bk share a server: with log-health-checks, c1 logs each step.
    c.set(Mode::Refuse);
    let l = wait_until(10, "c1 down", || log.lines(), |l| l.iter().any(|x| x.contains("Server be2/c1 is DOWN")));
    let c1: Vec<&String> = l.iter().filter(|x| x.contains("be2/c1")).collect();
    assert_eq!(
        c1[1..],
        [
            "<133>Health check for server be2/c1 failed, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms, status: 1/2 UP.",
            "<133>Health check for server be2/c1 failed, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms, status: 0/2 DOWN.",
            "<129>Server be2/c1 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        ]
    );
    assert!(l.contains(&"<129>Backup Server be/bk is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string()));
}

#[test]
fn tcp_check_rules_and_protocol_checks() {
    let log = Syslog::start();
    let t2 = Mock::start(Mode::Reply(b"hello world\r\n".to_vec()));
    let t3 = Mock::start(Mode::Reply(Vec::new()));
    let rd2 = Mock::start(Mode::Reply(b"-ERR nope\r\n".to_vec()));
    let sm2 = Mock::start(Mode::Reply(b"554 go away\r\n".to_vec()));
    let dead = free_port();
    let cfg = format!(
        "{}backend be\n  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n  server t2 127.0.0.1:{t2} check inter 300 rise 1 fall 1\n  server t3 127.0.0.1:{t3} check inter 300 rise 1 fall 1\nbackend b2\n  option tcp-check\n  tcp-check comment \"first step\"\n  tcp-check connect\n  tcp-check send-binary 50494e470d0a comment \"send ping\"\n  tcp-check expect rstring ^hello\n  tcp-check expect ! string world comment \"no world\"\n  server t2 127.0.0.1:{t2} check inter 300 rise 1 fall 1\nbackend b4\n  option redis-check\n  server rd2 127.0.0.1:{rd2} check inter 300 rise 1 fall 1\nbackend b5\n  option smtpchk EHLO example.com\n  server sm2 127.0.0.1:{sm2} check inter 300 rise 1 fall 1\nbackend b6\n  option tcp-check\n  tcp-check connect port {dead} comment \"cc\"\n  server d 127.0.0.1:{t2} check inter 300 rise 1 fall 1\n",
        head(log.port),
        t2 = t2.port,
        t3 = t3.port,
        rd2 = rd2.port,
        sm2 = sm2.port,
        dead = dead
    );
    let _px = Proxy::start(&cfg);
    let expect = [
        "<129>Server be/t2 is DOWN, reason: Layer7 invalid response, info: \"TCPCHK did not match content '+PONG' at step 2\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string(),
        "<129>Server b2/t2 is DOWN, reason: Layer7 invalid response, info: \"TCPCHK matched unwanted content 'world' at step 5 comment: no world\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string(),
        "<129>Server b4/rd2 is DOWN, reason: Layer7 wrong status, code: 0, info: \"-ERR nope\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string(),
        "<129>Server b5/sm2 is DOWN, reason: Layer7 wrong status, code: 554, info: \"go away\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string(),
        format!("<129>Server b6/d is DOWN, reason: Layer4 connection problem, info: \"Connection refused at step 1 of tcp-check (connect port {dead}) comment: 'cc'\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."),
    ];
    let l = wait_until(15, "all protocol lines", || log.lines(), |l| expect.iter().all(|e| l.contains(e)));
    assert!(
        l.iter().any(|x| x.starts_with(
            "<129>Server be/t3 is DOWN, reason: Layer7 invalid response, info: \"TCPCHK got an empty response at step 2\""
        )),
        "{l:#?}"
    );
}

#[test]
fn mysql_pgsql_ldap_ssl_hello_checks() {
    let log = Syslog::start();
    let mut hs = vec![0x0a];
    hs.extend_from_slice(b"5.7.1-test\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x21\x02\x00");
    hs.extend_from_slice(&[0; 13]);
    let mut mysql_ok = vec![hs.len() as u8, 0, 0, 0];
    mysql_ok.extend_from_slice(&hs);
    let mut mysql_err = vec![9, 0, 0, 0, 0xff, 0x15, 0x04];
    mysql_err.extend_from_slice(b"denied");
    let m = |b: &[u8]| Mock::start(Mode::Reply(b.to_vec()));
    let my = m(&mysql_ok);
    let my2 = m(&mysql_err);
    let pg = m(b"R\x00\x00\x00\x08\x00\x00\x00\x00");
    let pg2 = m(b"E\x00\x00\x00\x20SFATAL\x00Mpassword required\x00\x00");
    let ld = m(&[0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
    let ld2 = m(&[0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x31, 0x04, 0x00, 0x04, 0x00]);
    let ss = m(b"\x16\x03\x01\x00\x05abcde");
    let ss2 = m(b"HTTP/1.0 400 x\r\n\r\n");
    let srv = |n: &str, p: u16| format!("  server {n} 127.0.0.1:{p} check inter 400 rise 1 fall 1\n");
    let cfg = format!(
        "{}backend be\n  option log-health-checks\n  option mysql-check\n{}{}backend pg\n  option log-health-checks\n  option pgsql-check user bob\n{}{}backend ld\n  option log-health-checks\n  option ldap-check\n{}{}backend ss\n  option log-health-checks\n  option ssl-hello-chk\n{}{}",
        head(log.port),
        srv("my", my.port),
        srv("my2", my2.port),
        srv("pg", pg.port),
        srv("pg2", pg2.port),
        srv("ld", ld.port),
        srv("ld2", ld2.port),
        srv("ss", ss.port),
        srv("ss2", ss2.port)
    );
    let _px = Proxy::start(&cfg);
    let expect = [
        "<133>Health check for server be/my succeeded, reason: Layer7 check passed, code: 0, info: \"5.7.1-test\", check duration: Nms, status: 1/1 UP.",
        "<133>Health check for server be/my2 failed, reason: Layer7 wrong status, code: 1045, info: \"denied\", check duration: Nms, status: 0/1 DOWN.",
        "<133>Health check for server pg/pg succeeded, reason: Layer7 check passed, code: 0, info: \"PostgreSQL server is ok\", check duration: Nms, status: 1/1 UP.",
        "<133>Health check for server pg/pg2 failed, reason: Layer7 invalid response, info: \"FATAL\", check duration: Nms, status: 0/1 DOWN.",
        "<133>Health check for server ld/ld succeeded, reason: Layer7 check passed, code: 0, info: \"Success\", check duration: Nms, status: 1/1 UP.",
        "<133>Health check for server ld/ld2 failed, reason: Layer7 wrong status, code: 49, info: \"See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9\", check duration: Nms, status: 0/1 DOWN.",
        "<133>Health check for server ss/ss succeeded, reason: Layer6 check passed, check duration: Nms, status: 1/1 UP.",
        "<133>Health check for server ss/ss2 failed, reason: Layer6 invalid response, check duration: Nms, status: 0/1 DOWN.",
        "<129>Server ss/ss2 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    ];
    wait_until(15, "protocol check lines", || log.lines(), |l| expect.iter().all(|e| l.contains(&e.to_string())));
}

#[test]
fn soft_stop_says_goodbye_per_proxy() {
    let log = Syslog::start();
    let a = Mock::start(Mode::Http("200 OK".into()));
    let fe = free_port();
    let li = free_port();
    let cfg = format!(
        "global\n  log 127.0.0.1:{} local0\ndefaults\n  mode http\n  log global\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:{fe}\n  default_backend be\nbackend be\n  server s 127.0.0.1:{} check inter 300\nlisten li\n  bind 127.0.0.1:{li}\n  server s 127.0.0.1:{}\n",
        log.port, a.port, a.port
    );
    let px = Proxy::start(&cfg);
    let mut c =
        wait_until(10, "listener", || std::net::TcpStream::connect(("127.0.0.1", fe)).ok(), Option::is_some).unwrap();
    use std::io::{Read, Write};
    c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    let _ = c.read(&mut buf);
    drop(c);
    px.signal(nix::sys::signal::Signal::SIGUSR1);
    let l = wait_until(10, "stop lines", || log.lines(), |l| l.len() >= 4);
    assert_eq!(
        l,
        vec![
            "<132>Proxy fe stopped (cumulated conns: FE: 1, BE: 0).",
            "<132>Proxy li stopped (cumulated conns: FE: 0, BE: 0).",
            "<132>Proxy be stopped (cumulated conns: FE: 0, BE: 1).",
            "<132>Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).",
        ]
    );
}

//! Tests of the harness itself: the mocks, receivers and clients behave as documented, and an
//! end-to-end run of real haproxy through them (which also shows how a scenario is written).

use std::time::Duration;

use super::client::{self, Request};
use super::mock_http::{Behavior, MockHttp};
use super::mock_tcp::MockTcp;
use super::ports::Template;
use super::proc::{self, Impl};
use super::syslog::{UdpSyslog, UnixSyslog};
use super::tempdir::TempDir;
use super::wait::{self, DEFAULT_TIMEOUT};
use super::{agent::MockAgent, cli, normalize};

#[test]
fn mock_http_answers_with_its_name_and_counts() {
    let s = MockHttp::start("s1");
    let r = client::get(s.port(), "/hello?x=1").unwrap();
    assert_eq!((r.status, r.body_text().as_str(), r.header("x-server")), (200, "s1", Some("s1")));
    let r = Request::get("/post").method("POST").header("X-Test", "1").body("abc").send(s.port()).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!((s.connections(), s.requests()), (2, 2));
    let log = s.request_log();
    assert_eq!(log[0].path, "/hello?x=1");
    assert_eq!(
        (log[1].method.as_str(), log[1].body.as_slice(), log[1].header("x-test")),
        ("POST", &b"abc"[..], Some("1"))
    );
    s.reset_counters();
    assert_eq!((s.connections(), s.requests(), s.request_log().len()), (0, 0, 0));
}

#[test]
fn mock_http_failure_modes() {
    let s = MockHttp::start("s2");
    s.fail_500();
    let r = client::get(s.port(), "/").unwrap();
    assert_eq!((r.status, r.body_text().as_str()), (500, "s2"));
    s.close_without_answer();
    assert_eq!(client::tcp_roundtrip(s.port(), &Request::get("/").to_bytes()).unwrap(), b"");
    s.reset();
    let e = client::tcp_roundtrip(s.port(), &Request::get("/").to_bytes());
    assert!(matches!(&e, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset), "{e:?}");
    s.normal();
    s.on_path("/health", Behavior::Status(503));
    assert_eq!(client::get(s.port(), "/health").unwrap().status, 503);
    assert_eq!(client::get(s.port(), "/app").unwrap().status, 200);
    assert_eq!(s.requests_to("/health"), 1);
    s.clear_path_overrides();
    s.slow(Duration::from_millis(50));
    let t = std::time::Instant::now();
    assert_eq!(client::get(s.port(), "/").unwrap().status, 200);
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[test]
fn mock_http_keep_alive_and_pipelining() {
    let s = MockHttp::start("ka");
    let two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let out = String::from_utf8(client::tcp_roundtrip(s.port(), two).unwrap()).unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    let chunked = b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    client::tcp_roundtrip(s.port(), chunked).unwrap();
    assert_eq!(s.connections(), 2);
    assert_eq!(s.request_log()[2].body, b"abc");
}

#[test]
fn mock_http_stop_and_restart_on_same_port() {
    let s = MockHttp::start("s3");
    let port = s.port();
    // An idle keep-alive connection must be closed by stop() too.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(wait::wait_until(DEFAULT_TIMEOUT, || s.connections() == 1));
    s.stop();
    assert!(!s.is_running());
    assert!(!wait::port_open(port));
    idle.set_read_timeout(Some(DEFAULT_TIMEOUT)).unwrap();
    use std::io::Read;
    assert!(matches!(idle.read(&mut [0u8; 16]), Ok(0) | Err(_)));
    s.restart();
    assert_eq!(s.port(), port);
    assert_eq!(client::get(port, "/").unwrap().body_text(), "s3");
}

#[test]
fn mock_tcp_echo_and_banner() {
    let e = MockTcp::echo();
    assert_eq!(client::tcp_roundtrip_half_close(e.port(), b"ping").unwrap(), b"ping");
    let b = MockTcp::banner("t1\n");
    assert_eq!(client::tcp_roundtrip_half_close(b.port(), b"x").unwrap(), b"t1\nx");
    assert_eq!((b.connections(), b.bytes_received()), (1, 1));
    b.stop();
    assert!(!wait::port_open(b.port()));
    b.restart();
    assert!(wait::port_open(b.port()));
}

#[test]
fn mock_agent_replies_and_records() {
    let a = MockAgent::start("up\n");
    assert_eq!(client::tcp_roundtrip_half_close(a.port(), b"hello\n").unwrap(), b"up\n");
    a.set_reply("drain 50%\n");
    assert_eq!(client::tcp_roundtrip_half_close(a.port(), b"").unwrap(), b"drain 50%\n");
    assert!(wait::wait_until(DEFAULT_TIMEOUT, || a.received().len() == 2));
    assert!(a.received().contains(&"hello\n".to_string()));
    assert_eq!(a.connections(), 2);
}

#[test]
fn syslog_receivers_collect_datagrams() {
    let u = UdpSyslog::start();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"<134>Nov 21 01:00:00 haproxy[1]: hello\n", u.target()).unwrap();
    assert!(u.messages().wait_contains("hello", DEFAULT_TIMEOUT).is_some());
    let dir = TempDir::new("syslog");
    let x = UnixSyslog::start(&dir.join("log.sock"));
    let c = std::os::unix::net::UnixDatagram::unbound().unwrap();
    c.send_to(b"<134>unix one", x.path()).unwrap();
    c.send_to(b"<134>unix two", x.path()).unwrap();
    assert_eq!(x.messages().wait_count(2, DEFAULT_TIMEOUT).unwrap(), vec!["<134>unix one", "<134>unix two"]);
}

/// The whole harness against the oracle: two mock servers behind haproxy, round robin seen in
/// the bodies, the runtime socket in one-shot and prompt mode, and logs over UDP syslog.
#[test]
fn end_to_end_with_haproxy() {
    crate::require_haproxy!();
    let (s1, s2) = (MockHttp::start("s1"), MockHttp::start("s2"));
    let syslog = UdpSyslog::start();
    let dir = TempDir::new("e2e");
    let mut t = Template::new();
    t.set_port(1, s1.port()).set_port(2, s2.port()).set_port(3, syslog.port()).set("DIR", dir.path().to_string_lossy());
    let cfg = t.render(
        "global\n  stats socket ${DIR}/admin.sock level admin\n  log 127.0.0.1:${PORT_3} local0\n\
         defaults\n  mode http\n  log global\n  option httplog\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
         frontend fe\n  bind 127.0.0.1:${PORT_0}\n  default_backend be\n\
         backend be\n  balance roundrobin\n  server s1 127.0.0.1:${PORT_1}\n  server s2 127.0.0.1:${PORT_2}\n",
    );
    let sock = dir.join("admin.sock");
    let mut h = proc::start_in(Impl::HAProxy, dir, &cfg, &[]);
    h.wait_ready(&[t.port(0)], &[&sock]);
    let bodies: Vec<String> = (0..4).map(|_| client::get(t.port(0), "/").unwrap().body_text()).collect();
    assert_eq!(bodies, ["s1", "s2", "s1", "s2"]);

    let info = cli::cmd(sock.as_path(), "show info").unwrap();
    assert!(info.contains("Name: HAProxy\n"), "{info}");
    assert!(normalize::volatile(&info).contains("Pid: PID\n"));
    let mut p = cli::PromptSession::open(sock.as_path()).unwrap();
    assert_eq!(p.cmd("get weight be/s1").unwrap(), "1 (initial 1)\n\n");
    assert_eq!(p.cmd("set weight be/s1 abc").unwrap(), "Empty weight string empty or preceded by garbage\n");
    p.send_raw(b"quit\n").unwrap();
    assert_eq!(p.read_to_eof().unwrap(), "");

    // Four requests, four log lines; their order may vary across haproxy's threads.
    let lines = syslog.messages().wait_count(4, DEFAULT_TIMEOUT).expect("four httplog lines");
    let lines: Vec<String> = lines.iter().map(|l| normalize::volatile(l)).collect();
    for n in &lines {
        assert!(n.starts_with("<134>SYSLOGDATE haproxy[PID]: 127.0.0.1:"), "{n}");
        assert!(n.ends_with("\"GET / HTTP/1.1\""), "{n}");
    }
    assert_eq!(lines.iter().filter(|n| n.contains("[DATE] fe be/s1 ")).count(), 2, "{lines:#?}");
    let (_, stderr) = h.kill();
    assert!(!stderr.contains("[ALERT]"), "{stderr}");
}

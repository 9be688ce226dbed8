//! The PROXY protocol compared with HAProxy: what `accept-proxy` and `expect-proxy layer4`
//! make of v1/v2/LOCAL/UNKNOWN headers (log lines, `option forwardfor`, ACLs, `balance
//! source`), how bad, truncated, missing and late headers end (reset or close, and the log
//! line HAProxy writes for them), and the exact bytes servers get from `send-proxy`,
//! `send-proxy-v2`, `proxy-v2-options` and health checks. Only the client's source port (and
//! the proxy's own ports) are masked, in text and in binary headers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::http_kit::{run_batch, send, tx, Case, C, S};
use crate::harness::compare::{both, text_diff};
use crate::harness::proc;

const REQ: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";

/// A v2 header: command (0 LOCAL, 1 PROXY), family byte, body.
fn v2(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut v = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    v.extend([0x20 | cmd, fam]);
    v.extend((body.len() as u16).to_be_bytes());
    v.extend(body);
    v
}

/// 10.1.2.3:1234 -> 10.9.9.9:80, then `tlvs`.
fn v2_ip4(tlvs: &[u8]) -> Vec<u8> {
    let mut b = vec![10, 1, 2, 3, 10, 9, 9, 9, 0x04, 0xd2, 0, 80];
    b.extend(tlvs);
    v2(1, 0x11, &b)
}

fn v2_ip6() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend("2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    b.extend(std::net::Ipv6Addr::LOCALHOST.octets());
    b.extend([0x04, 0xd2, 0, 80]);
    v2(1, 0x21, &b)
}

fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = a.to_vec();
    v.extend(b);
    v
}

const V1: &[u8] = b"PROXY TCP4 10.1.2.3 10.9.9.9 1234 80\r\n";

/// Mask the ports of the proxy's own connections in PROXY headers a server received: v1
/// lines between 127.0.0.1 addresses and v2 IPv4 headers between 127.0.0.1 addresses (as
/// the transcripts escape them).
fn mask(t: &str) -> String {
    let v1 = regex::Regex::new(r"PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+").unwrap();
    let t = v1.replace_all(t, "PROXY TCP4 127.0.0.1 127.0.0.1 PORT PORT");
    let byte = r"(?:\\x[0-9a-f]{2}|\\\\|\\r|\\t|\\n\n|[ -~])";
    let v2 = regex::Regex::new(&format!(r"(\\x7f\\x00\\x00\\x01\\x7f\\x00\\x00\\x01){byte}{{4}}")).unwrap();
    v2.replace_all(&t, "${1}<PORTS>").into_owned()
}

/// Run a batch through both implementations; fail with every case whose masked transcript
/// differs.
#[track_caller]
fn check(defaults_extra: &str, cases: &[Case]) {
    let [theirs, ours] = both(|imp| run_batch(imp, defaults_extra, cases));
    let mut report = String::new();
    let mut failed = 0;
    for (i, c) in cases.iter().enumerate() {
        let (t, o) = (mask(&theirs[i]), mask(&ours[i]));
        if let Some(d) = text_diff(&t, &o) {
            failed += 1;
            report.push_str(&format!("\n=== case '{}' differs\n{d}--- haproxy:\n{t}\n--- haproxide:\n{o}\n", c.name));
        }
    }
    assert!(failed == 0, "{failed} of {} cases differ from haproxy:{report}", cases.len());
}

/// One request through an `accept-proxy` listener after `head` (a header or garbage).
fn accepted(name: &str, head: &[u8]) -> Case {
    Case::new(name).bind("accept-proxy").client(vec![tx(&cat(head, REQ)), C::Resp(1), C::UntilClose(1000)])
}

fn http_cases() -> Vec<Case> {
    vec![
        accepted("v1 tcp4", V1),
        accepted("v1 tcp6", b"PROXY TCP6 ::1 2001:db8::5 1234 80\r\n"),
        accepted("v1 unknown keeps the real addresses", b"PROXY UNKNOWN\r\n"),
        accepted("v1 lenient dotted quads and ports", b"PROXY TCP4 999.1.1.1 1.2.3 70000 2\r\n"),
        accepted("v2 tcp4 with tlvs", &v2_ip4(b"\x04\x00\x02ab\x02\x00\x05hosta")),
        accepted("v2 tcp6", &v2_ip6()),
        accepted("v2 local keeps the real addresses", &v2(0, 0, b"")),
        accepted("no header", b""),
        accepted("v1 bad protocol", b"PROXY FOO\r\n"),
        accepted("v1 unknown with addresses", b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n"),
        accepted("v1 bare LF", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
        accepted("v2 unspec family", &v2(1, 0, b"")),
        accepted("v2 bad command", &v2(2, 0x11, &[0; 12])),
        accepted("v2 short addresses", &v2(1, 0x11, &[1, 2, 3])),
        Case::new("truncated")
            .bind("accept-proxy")
            .client(vec![tx(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), C::UntilClose(1000)]),
        Case::new("header split across segments").bind("accept-proxy").client(vec![
            tx(b"PROXY TCP4 1.2.3.4"),
            C::Sleep(200),
            tx(&cat(b" 5.6.7.8 1 2\r\n", REQ)),
            C::UntilClose(1000),
        ]),
        Case::new("short garbage").bind("accept-proxy").client(vec![tx(b"garbage"), C::UntilClose(1000)]),
        Case::new("nothing until timeout client")
            .bind("accept-proxy")
            .fe("timeout client 600ms")
            .client(vec![C::UntilClose(2000)]),
        Case::new("closed before the header").bind("accept-proxy").client(vec![C::ShutWr, C::UntilClose(1000)]),
        accepted("acl on the header's source", V1).fe("http-request deny if { src 10.1.2.3 }"),
        accepted("log-format addresses", V1).fe("log-format \"%ci:%cp %fi:%fp %b/%s %ST\""),
        accepted("balance source follows the header", V1).be("balance source").nsrv(3),
        accepted("session rules see the header", V1).fe("tcp-request session reject if { src 10.0.0.0/8 }"),
        accepted("connection rules see the real address", V1).fe("tcp-request connection reject if { src 10.0.0.0/8 }"),
        Case::new("expect-proxy when a rule says so")
            .fe("tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }")
            .client(vec![tx(&cat(V1, REQ)), C::Resp(1), C::UntilClose(1000)]),
        Case::new("expect-proxy when the rule does not match")
            .fe("tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }")
            .client(vec![tx(REQ), C::Resp(1), C::UntilClose(1000)]),
        Case::new("expect-proxy, garbage")
            .fe("tcp-request connection expect-proxy layer4")
            .client(vec![tx(REQ), C::UntilClose(1000)]),
        accepted("send-proxy passes the header's addresses on", V1).srv("send-proxy"),
        accepted("send-proxy-v2 passes the header's addresses on", V1).srv("send-proxy-v2"),
        accepted("send-proxy-v2 over IPv6", b"PROXY TCP6 ::1 2001:db8::5 1234 80\r\n").srv("send-proxy-v2"),
        accepted("send-proxy-v2 options", &v2_ip4(b"\x02\x00\x05hosta"))
            .srv("send-proxy-v2 proxy-v2-options crc32c,authority proxy-v2-options unique-id"),
        accepted("send-proxy-v2 unique-id from unique-id-format", V1)
            .fe("unique-id-format %{+X}o%ci_%rt")
            .srv("send-proxy-v2 proxy-v2-options unique-id"),
        accepted("proxy-v2-options alone sends v1", &v2_ip4(b"\x02\x00\x05hosta")).srv("proxy-v2-options authority"),
        accepted("send-proxy after LOCAL", &v2(0, 0, b"")).srv("send-proxy"),
        accepted("send-proxy-v2 after UNKNOWN", b"PROXY UNKNOWN\r\n").srv("send-proxy-v2"),
        Case::new("send-proxy without accept-proxy").srv("send-proxy"),
        Case::new("send-proxy-v2 without accept-proxy").srv("send-proxy-v2"),
        Case::new("no-send-proxy cancels default-server").be("default-server send-proxy").srv("no-send-proxy"),
        Case::new("keep-alive: one header per server connection").srv("send-proxy").client(vec![
            tx(REQ),
            C::Resp(1),
            tx(REQ),
            C::Resp(1),
            C::Idle(150),
        ]),
    ]
}

#[test]
fn accept_and_send_http() {
    crate::require_haproxy!();
    check("  option httplog\n  option forwardfor\n", &http_cases());
}

#[test]
fn dontlognull_and_log_separate_errors() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("closed before the header").bind("accept-proxy").client(vec![C::ShutWr, C::UntilClose(1000)]),
        Case::new("truncated").bind("accept-proxy").client(vec![tx(b"PROXY "), C::UntilClose(1000)]),
        accepted("good", V1),
    ];
    check("  option httplog\n  option dontlognull\n", &cases);
    check("  option httplog\n  option log-separate-errors\n", &cases);
    // Without a log format only the "Connect from" line is written, with the header's addresses.
    check("", &cases);
}

fn tcp_case(name: &str, head: &[u8]) -> Case {
    Case::new(name).bind("accept-proxy").server(vec![S::Echo]).client(vec![
        tx(&cat(head, b"hello")),
        C::Idle(150),
        C::ShutWr,
        C::UntilClose(1000),
    ])
}

#[test]
fn accept_and_send_tcp() {
    crate::require_haproxy!();
    let cases = vec![
        tcp_case("v1", V1).srv("send-proxy"),
        tcp_case("v2", &v2_ip4(b"")).srv("send-proxy-v2"),
        tcp_case("v2 local", &v2(0, 0, b"")).srv("send-proxy-v2"),
        tcp_case("v1 to v2 crc", V1).srv("send-proxy-v2 proxy-v2-options crc32c"),
        tcp_case("garbage", b"SSH-2.0-OpenSSH_9.2\r\n"),
        Case::new("server speaks first")
            .bind("accept-proxy")
            .srv("send-proxy")
            .server(vec![send(b"banner\r\n"), S::Echo])
            .client(vec![tx(V1), C::Idle(200), C::ShutWr, C::UntilClose(1000)]),
        Case::new("expect-proxy not applied: the header is data")
            .fe("tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }")
            .server(vec![S::Echo])
            .client(vec![tx(&cat(V1, b"hello")), C::Idle(150), C::ShutWr, C::UntilClose(1000)]),
    ];
    check("  mode tcp\n  option tcplog\n", &cases);
}

/// A listening socket on a port no other scenario was handed.
fn listener() -> (TcpListener, u16) {
    crate::harness::ports::reserved_listener()
}

/// The bytes of the first connection made to `l` (escaped, ports masked), or why none came.
fn first_connection(h: proc::Instance, l: &TcpListener) -> String {
    match first_connection_bytes(l) {
        Some(b) => {
            let _ = h.kill();
            mask(&super::http_kit::esc(&b))
        }
        None => format!("no connection; stderr:\n{}", h.kill().1),
    }
}

/// A server that records the first bytes of the first connection made to it.
fn first_connection_bytes(l: &TcpListener) -> Option<Vec<u8>> {
    l.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut s: TcpStream = loop {
        match l.accept() {
            Ok((s, _)) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return None,
        }
    };
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend(&buf[..n]);
        // An HTTP check waits for an answer; give it one so it ends cleanly.
        if out.ends_with(b"\r\n\r\n") {
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
        }
    }
    Some(out)
}

/// What a server receives from the first health check of `server` (options after the
/// address) in a backend with `extra` lines.
fn check_bytes(imp: proc::Impl, extra: &str, server: &str) -> String {
    let (l, port) = listener();
    let fe = crate::harness::ports::free_port();
    let cfg = format!(
        "defaults\n  mode tcp\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 2s\n\
         frontend f\n  bind 127.0.0.1:{fe}\n  default_backend b\nbackend b\n{extra}  server s1 127.0.0.1:{port} check inter 200ms {}\n",
        server.replace("${PORT}", &port.to_string())
    );
    let mut h = proc::start(imp, &cfg, &[]);
    h.wait_ready(&[fe], &[]);
    first_connection(h, &l)
}

#[test]
fn health_checks_send_the_header() {
    crate::require_haproxy!();
    let cases: &[(&str, &str)] = &[
        ("", "send-proxy"),
        ("", "send-proxy-v2"),
        ("", "send-proxy port ${PORT}"),
        ("", "send-proxy port ${PORT} check-send-proxy"),
        ("", "check-send-proxy"),
        ("", "send-proxy-v2 check-send-proxy no-check-send-proxy port ${PORT}"),
        ("  option httpchk\n", "send-proxy"),
        ("  option tcp-check\n  tcp-check connect\n  tcp-check send hello\\r\\n\n", "send-proxy"),
        ("  option tcp-check\n  tcp-check connect send-proxy\n  tcp-check send hello\\r\\n\n", "send-proxy-v2"),
        ("  option tcp-check\n  tcp-check connect send-proxy\n  tcp-check send hello\\r\\n\n", ""),
    ];
    let mut report = String::new();
    for (extra, server) in cases {
        let [theirs, ours] = both(|imp| check_bytes(imp, extra, server));
        if let Some(d) = text_diff(&theirs, &ours) {
            report.push_str(&format!("\n=== '{}' / '{server}' differs\n{d}", extra.trim()));
        }
    }
    assert!(report.is_empty(), "health check headers differ from haproxy:{report}");
}

#[test]
fn pp2_never_send_local() {
    crate::require_haproxy!();
    let run = |imp| {
        let (l, port) = listener();
        let fe = crate::harness::ports::free_port();
        let cfg = format!(
            "global\n  pp2-never-send-local\ndefaults\n  mode tcp\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 2s\n\
             frontend f\n  bind 127.0.0.1:{fe}\n  default_backend b\nbackend b\n  server s1 127.0.0.1:{port} check inter 200ms send-proxy-v2\n"
        );
        let mut h = proc::start(imp, &cfg, &[]);
        h.wait_ready(&[fe], &[]);
        first_connection(h, &l)
    };
    let [theirs, ours] = both(run);
    crate::harness::compare::assert_same("pp2-never-send-local check header", &theirs, &ours);
}

//! TCP content inspection compared with HAProxy: `tcp-request inspect-delay` with content rules
//! that wait for a TLS ClientHello (`req.ssl_hello_type`), SNI routing (`req.ssl_sni`), payload
//! fetches (`req.payload`, `req.payload_lv`, `req.len`) in rules, `use_backend` and stick
//! tables, with hellos sent whole, in pieces, late, or not at all, and plain text.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use super::runtime_api::ADMIN_TCP as HEAD;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_tcp::MockTcp;

use haproxide::acl::payload::tls_client_hello as client_hello;

/// Send `parts` with a pause (ms) before each, half-close, and read everything back.
fn exchange(port: u16, parts: &[(u64, &[u8])]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    for (pause, bytes) in parts {
        std::thread::sleep(Duration::from_millis(*pause));
        s.write_all(bytes)?;
    }
    let _ = s.shutdown(Shutdown::Write);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    Ok(got)
}

/// [`exchange`], telling which backend answered (its banner line) and how many bytes came back.
fn session(port: u16, parts: &[(u64, &[u8])]) -> String {
    match exchange(port, parts) {
        Ok(got) => {
            let banner = got.split(|&b| b == b'\n').next().unwrap_or(&[]).to_vec();
            format!("{} ({} bytes)", String::from_utf8_lossy(&banner), got.len())
        }
        Err(e) => format!("error: {}", e.kind()),
    }
}

/// Three TCP backends answering with their banner (`A`, `B`, `D`), and the unused HTTP one the
/// CLI harness wants.
fn backends() -> (MockTcp, MockTcp, MockTcp, crate::harness::mock_http::MockHttp) {
    let web = crate::harness::mock_http::MockHttp::start("unused");
    (MockTcp::banner("A\n"), MockTcp::banner("B\n"), MockTcp::banner("D\n"), web)
}

/// Follows [`HEAD`] (the admin socket and TCP defaults).
const CFG: &str = "\
frontend sni
    bind 127.0.0.1:${PORT_0}
    tcp-request inspect-delay 400ms
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend a if { req.ssl_sni -i a.example.com }
    use_backend b if { req.ssl_sni -m end .b.example.com }
    default_backend dflt
frontend strict
    bind 127.0.0.1:${PORT_1}
    tcp-request inspect-delay 400ms
    tcp-request content reject unless { req.ssl_hello_type 1 }
    default_backend a
frontend bytes
    bind 127.0.0.1:${PORT_2}
    tcp-request inspect-delay 400ms
    tcp-request content accept if { req.len ge 6 }
    use_backend a if { req.payload(0,3) -m bin 474554 }
    use_backend b if { req.payload_lv(3,1) -m str xyz }
    default_backend dflt
frontend nodelay
    bind 127.0.0.1:${PORT_3}
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend a if { req.ssl_sni -i a.example.com }
    default_backend dflt
listen sticky
    bind 127.0.0.1:${PORT_4}
    tcp-request inspect-delay 400ms
    tcp-request content accept if { req.len ge 4 }
    balance roundrobin
    stick-table type binary len 4 size 10
    stick on req.payload(0,4)
    server s1 127.0.0.1:${A}
    server s2 127.0.0.1:${B}
backend a
    server a 127.0.0.1:${A}
backend b
    server b 127.0.0.1:${B}
backend dflt
    server d 127.0.0.1:${D}
";

#[test]
fn content_inspection() {
    crate::require_haproxy!();
    let (a, b, d, web) = backends();
    let vars = [("A", a.port().to_string()), ("B", b.port().to_string()), ("D", d.port().to_string())];
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_with(imp, &format!("{HEAD}{CFG}"), &web, &vars);
        let mut ports = c.ports.clone();
        let p: Vec<u16> = (0..5).map(|i| ports.port(i)).collect();
        let ha = client_hello("a.example.com");
        let hb = client_hello("x.b.example.com");
        let hx = client_hello("other.com");
        let mut out = Vec::new();
        let mut run = |name: &str, port: u16, parts: &[(u64, &[u8])]| {
            out.push(format!("{name}: {}", session(port, parts)));
        };
        run("sni a", p[0], &[(0, &ha)]);
        run("sni b", p[0], &[(0, &hb)]);
        run("sni other", p[0], &[(0, &hx)]);
        run("sni in two parts", p[0], &[(0, &ha[..20]), (100, &ha[20..])]);
        run("sni after the delay", p[0], &[(600, &ha)]);
        run("plain text", p[0], &[(0, b"hello there\n")]);
        run("nothing", p[0], &[]);
        run("strict, tls", p[1], &[(0, &hb)]);
        run("strict, plain", p[1], &[(0, b"hello there\n")]);
        run("strict, partial then rest", p[1], &[(0, &hb[..7]), (100, &hb[7..])]);
        run("strict, partial only", p[1], &[(0, &hb[..7]), (600, b"")]);
        run("bytes GET", p[2], &[(0, b"GET / x")]);
        run("bytes lv", p[2], &[(0, b"abc\x03xyz...")]);
        run("bytes lv in pieces", p[2], &[(0, b"ab"), (100, b"c\x03x"), (100, b"yz...")]);
        run("bytes short", p[2], &[(0, b"ab")]);
        // Without a delay the rules do not wait (what is there at once is racy, in HAProxy too).
        run("nodelay, hello a moment later", p[3], &[(200, &ha)]);
        for key in ["k1..", "k2..", "k1..", "k2..", "k1.."] {
            run(&format!("sticky {key}"), p[4], &[(0, key.as_bytes())]);
        }
        out.push(super::persistence::table_norm_in(&c.cmd("show table sticky"), 60_000));
        out.join("\n")
    });
    assert_same("tcp content inspection", &theirs, &ours);
}

const SSLID_CFG: &str = "\
listen sslid
    bind 127.0.0.1:${PORT_0}
    balance roundrobin
    stick-table type binary len 32 size 30k expire 30m
    acl clienthello req.ssl_hello_type 1
    acl serverhello rep_ssl_hello_type 2
    tcp-request inspect-delay 400ms
    tcp-request content accept if clienthello
    tcp-response inspect-delay 400ms
    tcp-response content accept if serverhello
    stick on payload_lv(43,1) if clienthello
    stick store-response payload_lv(43,1) if serverhello
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2}
listen guard
    bind 127.0.0.1:${PORT_1}
    tcp-response inspect-delay 400ms
    tcp-response content reject if { res.len gt 40 }
    tcp-response content accept if { res.payload(0,1) -m bin 16 }
    server s1 127.0.0.1:${S1}
";

/// HAProxy's SSL session stickiness example: the session ID a server hands out in its
/// ServerHello is learnt from the response (`tcp-response` rules waiting for it), and a client
/// hello resuming that session goes back to the same server; response rules that reject.
#[test]
fn ssl_session_id_stickiness() {
    use haproxide::acl::payload::tls_hello;
    crate::require_haproxy!();
    let sid = |b: u8| vec![b; 32];
    let s1 = MockTcp::start(0, Some(tls_hello(2, None, &sid(0x11))), true);
    let s2 = MockTcp::start(0, Some(tls_hello(2, None, &sid(0x22))), true);
    let vars = [("S1", s1.port().to_string()), ("S2", s2.port().to_string())];
    let web = crate::harness::mock_http::MockHttp::start("unused");
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_with(imp, &format!("{HEAD}{SSLID_CFG}"), &web, &vars);
        let mut ports = c.ports.clone();
        let (p0, p1) = (ports.port(0), ports.port(1));
        let mut out = Vec::new();
        let hello = |s: &[u8]| tls_hello(1, Some("x.example.com"), s);
        for (name, h) in [
            ("new", hello(&[])),
            ("new", hello(&[])),
            ("resume 22", hello(&sid(0x22))),
            ("resume 11", hello(&sid(0x11))),
            ("resume 22", hello(&sid(0x22))),
            ("unknown", hello(&sid(0x33))),
        ] {
            out.push(format!("{name}: {}", session_sid(p0, &h)));
        }
        out.push(super::persistence::table_norm_in(&c.cmd("show table sslid"), 60_000));
        out.push(format!("guard: {}", session_sid(p1, b"hello")));
        out.join("\n")
    });
    assert_same("ssl session id stickiness", &theirs, &ours);
}

/// Send a hello, and tell which session ID the answering server handed out.
fn session_sid(port: u16, hello: &[u8]) -> String {
    match exchange(port, &[(0, hello)]) {
        Ok(got) => match got.get(44) {
            Some(b) => format!("server {b:02x} ({} bytes)", got.len()),
            None => format!("{} bytes", got.len()),
        },
        Err(e) => format!("error: {}", e.kind()),
    }
}

/// An RDP connection request (TPKT, X.224 CR) carrying `cookie_line` (`Cookie: name=value`).
fn rdp_request(cookie_line: &str) -> Vec<u8> {
    let mut body = vec![0, 0xe0, 0, 0, 0, 0, 0];
    body.extend_from_slice(cookie_line.as_bytes());
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(&[1, 0, 8, 0, 3, 0, 0, 0]);
    body[0] = (body.len() - 1) as u8;
    let mut pkt = vec![3, 0];
    pkt.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    pkt.extend_from_slice(&body);
    pkt
}

const RDP_CFG: &str = "\
listen rdp
    bind 127.0.0.1:${PORT_0}
    balance rdp-cookie
    persist rdp-cookie
    tcp-request inspect-delay 400ms
    tcp-request content accept if RDP_COOKIE
    server s1 127.0.0.1:${A}
    server s2 127.0.0.1:${B}
    server s3 127.0.0.1:${D}
listen rdp_stick
    bind 127.0.0.1:${PORT_1}
    balance roundrobin
    tcp-request inspect-delay 400ms
    tcp-request content reject if { req.rdp_cookie_cnt(user) eq 0 }
    stick-table type string len 32 size 10
    stick on req.rdp_cookie(user)
    server s1 127.0.0.1:${A}
    server s2 127.0.0.1:${B}
";

/// RDP: `balance rdp-cookie` hashes the `mstshash` cookie (round robin without one),
/// `persist rdp-cookie` sends a `msts=<addr>.<port>.0000` cookie to that server, and
/// `req.rdp_cookie`/`req.rdp_cookie_cnt` in rules and stick tables.
#[test]
fn rdp_cookies() {
    crate::require_haproxy!();
    let (a, b, d, web) = backends();
    let vars = [("A", a.port().to_string()), ("B", b.port().to_string()), ("D", d.port().to_string())];
    // What a broker writes for 127.0.0.1 and server B's port: both in network byte order.
    let msts_for = |port: u16| format!("msts={}.{}.0000", u32::from_ne_bytes([127, 0, 0, 1]), port.swap_bytes());
    let msts = [msts_for(b.port()), msts_for(d.port()), msts_for(1), msts_for(b.port())];
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_with(imp, &format!("{HEAD}{RDP_CFG}"), &web, &vars);
        let mut ports = c.ports.clone();
        let (p0, p1) = (ports.port(0), ports.port(1));
        let mut out = Vec::new();
        for line in
            ["Cookie: mstshash=alice", "Cookie: mstshash=bob", "Cookie: mstshash=carol", "Cookie: mstshash=alice"]
        {
            out.push(format!("{line}: {}", session(p0, &[(0, &rdp_request(line))])));
        }
        for m in &msts {
            out.push(format!("{m}: {}", session(p0, &[(0, &rdp_request(&format!("Cookie: {m}")))])));
        }
        out.push(format!(
            "no cookie: {}",
            session(p0, &[(0, b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00")])
        ));
        let split = rdp_request("Cookie: mstshash=dave");
        out.push(format!("in pieces: {}", session(p0, &[(0, &split[..15]), (100, &split[15..])])));
        for line in ["Cookie: user=u1", "Cookie: user=u2", "Cookie: user=u1", "Cookie: other=x"] {
            out.push(format!("stick {line}: {}", session(p1, &[(0, &rdp_request(line))])));
        }
        out.push(super::persistence::table_norm_in(&c.cmd("show table rdp_stick"), 60_000));
        out.join("\n")
    });
    assert_same("rdp cookies", &theirs, &ours);
}

//! `log-forward` sections: the same messages, received over UDP and TCP (lines and
//! octet-counted), come out of HAProxy and haproxide alike to targets of every format, with
//! no format (relayed unchanged), and behind a level filter.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use crate::harness::compare::{assert_same, both};
use crate::harness::normalize;
use crate::harness::ports::{reserve, Template};
use crate::harness::proc::{self, Impl};

const FORMATS: &[&str] = &["rfc3164", "rfc5424", "raw", "short", "timed", "iso", "priority", "local"];

/// Messages as senders write them: RFC 3164 and 5424 ones, partial headers, none at all.
const MESSAGES: &[&str] = &[
    "<134>Nov 21 10:00:00 myhost app[12]: hello 3164",
    "<134>Nov  1 10:00:00 myhost app: no pid",
    "<134>Nov 21 10:00:00 myhost app[12] missing colon",
    "<165>1 2026-11-21T10:00:00.123Z host2 app2 99 ID7 - hello 5424",
    "<165>1 2026-11-21T10:00:00.123Z host2 app2 99 ID7 [ex@1 a=\"b\"] sd 5424",
    "hello no header",
    "<13>short pri only",
    "<999>bad pri",
    "<134>Nov 21 10:00:00 app: notag pid",
    "<134>Nov 21 10:00:00",
    "<134>",
    "<134>2026-11-21T10:00:00Z host x",
    "<7>Nov 21 10:00:00 h t[1]: trailing newline\n",
    "<134>Nov 21 10:00:00 myhost app[12]: a long one 0123456789 0123456789 0123456789 0123456789 0123456789 end",
];

fn udp_receiver() -> (UdpSocket, u16) {
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        if reserve(port) {
            s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            return (s, port);
        }
    }
}

fn drain(s: &UdpSocket, out: &mut Vec<String>) {
    let mut buf = [0u8; 65536];
    while let Ok(n) = s.recv(&mut buf) {
        out.push(normalize::volatile(&String::from_utf8_lossy(&buf[..n])));
    }
}

/// Wait until the relay-everything target (the last one) has received `n` messages.
fn wait_count(s: &UdpSocket, seen: &mut Vec<String>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && seen.len() < n {
        drain(s, seen);
    }
}

#[test]
fn relayed_messages_match() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp: Impl| {
        let mut t = Template::new();
        let (udp_in, tcp_in) = (t.port(0), t.port(1));
        let mut receivers: Vec<(String, UdpSocket, u16)> = Vec::new();
        for f in FORMATS {
            let (s, p) = udp_receiver();
            receivers.push((format!("format {f} local3"), s, p));
        }
        let (s, p) = udp_receiver();
        receivers.push(("format raw local3 notice".into(), s, p));
        let (s, p) = udp_receiver();
        receivers.push(("len 80 local3".into(), s, p));
        // Last: no format, every level, relays messages unchanged; its markers pace the run.
        let (s, p) = udp_receiver();
        receivers.push(("local3".into(), s, p));
        let mut cfg = String::from("log-forward relay\n    dgram-bind 127.0.0.1:${PORT_0}\n    bind 127.0.0.1:${PORT_1}\n    timeout client 5s\n");
        for (opts, _, port) in &receivers {
            cfg.push_str(&format!("    log 127.0.0.1:{port} {opts}\n"));
        }
        cfg.push_str("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend fe\n    bind 127.0.0.1:${PORT_2}\n    http-request return status 200\n");
        let fe = t.port(2);
        let mut h = proc::start(imp, &t.render(&cfg), &[]);
        h.wait_ready(&[tcp_in, fe], &[]);
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut got: Vec<Vec<String>> = vec![Vec::new(); receivers.len()];
        let last = receivers.len() - 1;
        for (k, m) in MESSAGES.iter().enumerate() {
            sender.send_to(m.as_bytes(), ("127.0.0.1", udp_in)).unwrap();
            // One at a time (HAProxy may reorder datagrams that come together): each target's
            // line for a message comes before the next message's.
            wait_count(&receivers[last].1, &mut got[last], k + 1);
        }
        let mut tcp = TcpStream::connect(("127.0.0.1", tcp_in)).unwrap();
        tcp.write_all(b"<134>Nov 21 10:00:00 myhost app[12]: over tcp\n18 <134>octet counted<6>third\n10 <7>END-TCP")
            .unwrap();
        wait_count(&receivers[last].1, &mut got[last], MESSAGES.len() + 4);
        drop(tcp);
        let mut out = String::new();
        for (k, (opts, s, _)) in receivers.iter().enumerate() {
            drain(s, &mut got[k]);
            out.push_str(&format!("== log {opts}\n"));
            for l in &got[k] {
                out.push_str(&format!("{l:?}\n"));
            }
        }
        let (_, stderr) = h.kill();
        out.push_str(&normalize::check_stderr(&stderr).replace("haproxide", "haproxy"));
        out
    });
    assert!(theirs.contains("hello 5424"), "{theirs}");
    assert_same("log-forward", &theirs, &ours);
}

//! Logging through rings: `ring` sections forwarding over TCP (`log-proto legacy` and
//! `octet-count`, the ring's own `format` and `maxlen`), the implicit ring of `log tcp@...`,
//! messages kept until a server that was down comes up, `show events`, and the start-up alerts
//! for `log ring@<name>` naming no ring.

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::runtime_api::Cli;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::normalize;
use crate::harness::ports::{free_port, reserved_listener};
use crate::harness::proc::Impl;
use crate::harness::wait::wait_until;

/// A log server: every byte it receives, over any number of connections.
struct Collector {
    port: u16,
    got: Arc<Mutex<Vec<u8>>>,
}

impl Collector {
    fn start() -> Collector {
        let (l, port) = reserved_listener();
        Collector::serve(l, port)
    }

    /// Listen on a port handed out earlier (a server that comes up late).
    fn start_on(port: u16) -> Collector {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.set_reuse_address(true).unwrap();
        sock.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into()).unwrap();
        sock.listen(16).unwrap();
        Collector::serve(sock.into(), port)
    }

    fn serve(l: TcpListener, port: u16) -> Collector {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        // Detached: the thread ends with the test binary; a proxy gone leaves it blocked in
        // accept, harmless.
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { return };
                let sink = sink.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = c.read(&mut buf) {
                        if n == 0 {
                            return;
                        }
                        sink.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                });
            }
        });
        Collector { port, got }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.got.lock().unwrap()).into_owned()
    }

    /// Wait until a received message mentions `needle`.
    fn wait_for(&self, needle: &str) -> String {
        wait_until(Duration::from_secs(10), || self.text().contains(needle));
        self.text()
    }
}

/// Log text made comparable: dates and pids as the other scenarios mask them, the RFC 5424
/// pid field, client ports and timers, and octet-count prefixes checked then masked.
fn norm(s: &str) -> String {
    let s = normalize::volatile(s);
    let mut out = String::new();
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let w = if word.starts_with("127.0.0.1:") && word[10..].chars().all(|c| c.is_ascii_digit()) {
            "127.0.0.1:PORT".to_string()
        } else if out.ends_with("- haproxy ") && word.chars().all(|c| c.is_ascii_digit()) {
            "PID".to_string()
        } else if word.contains('/') && word.split('/').all(|p| p.parse::<i64>().is_ok()) && word.contains("/-1/") {
            word.split('/').map(|p| if p == "-1" { "-1" } else { "N" }).collect::<Vec<_>>().join("/")
        } else {
            word.to_string()
        };
        out.push_str(&w);
    }
    out
}

/// `<len> <msg>` frames: each length must be its message's, then the lengths are masked.
fn octet_frames(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let Some((len, after)) = rest.split_once(' ') else {
            out.push_str(&format!("trailing bytes: {rest:?}\n"));
            break;
        };
        let Ok(n) = len.parse::<usize>() else {
            out.push_str(&format!("bad length {len:?}\n"));
            break;
        };
        let msg = &after[..n.min(after.len())];
        out.push_str(&format!("LEN {}\n", norm(msg)));
        rest = &after[n.min(after.len())..];
    }
    out
}

const CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    log ring@r1 local0
    log ring@r2 format rfc5424 local1 info
    log tcp@127.0.0.1:${C} local2
ring r1
    description \"first ring\"
    format rfc5424
    size 32764
    timeout connect 1s
    timeout server 2s
    server a 127.0.0.1:${A}
    server b 127.0.0.1:${B} log-proto octet-count
ring r2
    maxlen 52
    timeout connect 1s
    timeout server 2s
    server late 127.0.0.1:${LATE}
defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    http-request return status 200
";

#[test]
fn rings_forward_and_show_events() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    let [theirs, ours] = both(|imp: Impl| {
        let (a, b, c) = (Collector::start(), Collector::start(), Collector::start());
        let late_port = free_port();
        let vars = [
            ("A", a.port.to_string()),
            ("B", b.port.to_string()),
            ("C", c.port.to_string()),
            ("LATE", late_port.to_string()),
        ];
        let mut cli = Cli::start_with(imp, CFG, &web, &vars);
        let port = cli.ports.port(0);
        let r = crate::harness::client::get(port, "/logged").map(|r| r.status);
        let mut out = vec![format!("request: {r:?}")];
        out.push(format!("a (legacy, rfc5424):\n{}", norm(&a.wait_for("/logged"))));
        out.push(format!("b (octet-count):\n{}", octet_frames(&b.wait_for("/logged"))));
        out.push(format!("c (tcp@, rfc3164):\n{}", norm(&c.wait_for("/logged"))));
        for cmd in [
            "show events",
            "show events r1",
            "show events r2",
            "show events ring#1",
            "show events r1 -n",
            "show events buf0",
            "show events nope",
            "show events r1 -x",
            "show events stderr",
        ] {
            out.push(format!("{cmd}:\n{}", norm(&cli.cmd(cmd))));
        }
        // The server of r2 comes up now: what the ring kept reaches it.
        let late = Collector::start_on(late_port);
        out.push(format!("late (raw, maxlen 52):\n{}", norm(&late.wait_for("127.0.0.1:"))));
        out.join("\n")
    });
    assert!(theirs.contains("GET /logged"), "{theirs}");
    assert_same("log rings", &theirs, &ours);
}

#[test]
fn unknown_rings_are_start_alerts() {
    crate::require_haproxy!();
    let cfg = "\
global
    log ring@nope local0
defaults
    mode http
    log global
    timeout client 1s
    timeout server 1s
    timeout connect 1s
frontend fe
    bind 127.0.0.1:${PORT_0}
    log ring@nope2 local0
backend be
";
    let [theirs, ours] = both(|imp: Impl| {
        let dir = crate::harness::tempdir::TempDir::new("rings");
        let mut t = crate::harness::ports::Template::new();
        dir.write("haproxy.cfg", t.render(cfg));
        let checked = crate::harness::proc::check_file(imp, dir.path(), "haproxy.cfg");
        let started = crate::harness::proc::run(imp, &["-db", "-f", "haproxy.cfg"], dir.path());
        format!(
            "-c: {:?}\n{}\nstart: {:?}\n{}",
            checked.code,
            normalize::check_stderr(&checked.stderr),
            started.code,
            normalize::check_stderr(&started.stderr)
        )
    });
    assert!(theirs.contains("unknown ring named 'nope'"), "{theirs}");
    assert_same("unknown rings", &theirs, &ours);
}

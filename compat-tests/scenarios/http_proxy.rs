//! `mode http` proxying compared byte for byte with HAProxy: what the server receives, what the
//! client receives (including HAProxy's own error pages and monitor-uri answers), keep-alive and
//! connection reuse, malformed requests, timeouts, and the httplog line.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl};
use crate::harness::syslog::UdpSyslog;
use crate::harness::wait::DEFAULT_TIMEOUT;
use crate::harness::{client, normalize};

const DEFAULTS: &str = "defaults\n  mode http\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 2s\n";

/// A backend that records the raw bytes of each request head (and body, by Content-Length or
/// chunked end) on each connection and answers a fixed response.
struct RawBackend {
    port: u16,
    conns: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RawBackend {
    fn start(response: &'static [u8]) -> RawBackend {
        let (l, port) = loop {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            if crate::harness::ports::reserve(port) {
                break (l, port);
            }
        };
        let conns: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let c2 = conns.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let idx = {
                    let mut c = c2.lock().unwrap();
                    c.push(Vec::new());
                    c.len() - 1
                };
                let c3 = c2.clone();
                std::thread::spawn(move || {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 16384];
                    loop {
                        let n = match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&buf[..n]);
                        c3.lock().unwrap()[idx].extend_from_slice(&buf[..n]);
                        // Answer once per complete request head (bodies in these tests are tiny and
                        // arrive with the head).
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
                            let body_len = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                                .unwrap_or(0usize);
                            let total = end + 4 + body_len;
                            if pending.len() < total {
                                break;
                            }
                            pending.drain(..total);
                            if s.write_all(response).is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        RawBackend { port, conns }
    }
    fn received(&self) -> Vec<Vec<u8>> {
        self.conns.lock().unwrap().clone()
    }
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\r', "\\r")
}

/// Send raw bytes on one connection, reading until the proxy closes or `idle` passes with
/// nothing more to read. Returns (bytes received, closed by the proxy).
fn exchange(port: u16, input: &[u8], idle: Duration) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(input).unwrap();
    s.set_read_timeout(Some(idle)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// Run `scenario` against a proxy started on `cfg` (with `${PORT_0}` as the frontend port).
fn with_proxy<T>(imp: Impl, t: &mut Template, cfg: &str, scenario: impl FnOnce(u16) -> T) -> T {
    let text = t.render(cfg);
    let mut h = proc::start(imp, &text, &[]);
    h.wait_ready(&[t.port(0)], &[]);
    let out = scenario(t.port(0));
    let (_, stderr) = h.kill();
    assert!(!stderr.contains("[ALERT]"), "{imp:?}: {stderr}");
    out
}

#[test]
fn forwarded_request_and_response_bytes() {
    crate::require_haproxy!();
    let req: &[u8] = b"GET /a?b=c HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: Probe/1.0\r\nX-Mixed-CASE: Value With  Spaces \r\naccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n";
    let [o, h] = both(|imp| {
        let be = RawBackend::start(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Upper: A\r\nContent-Length: 2\r\n\r\nok",
        );
        let mut t = Template::new();
        t.set_port(1, be.port);
        let cfg = format!("{DEFAULTS}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${{PORT_1}}\n");
        let (got, _) = with_proxy(imp, &mut t, &cfg, |port| exchange(port, req, Duration::from_millis(300)));
        (show(&got), be.received().iter().map(|c| show(c)).collect::<Vec<_>>())
    });
    assert_same("response to the client", &o.0, &h.0);
    assert_same("request as the server got it", &o.1.join("\n--\n"), &h.1.join("\n--\n"));
}

#[test]
fn connection_header_handling() {
    crate::require_haproxy!();
    let cases: &[(&str, &[u8])] = &[
        ("1.0 close", b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        ("1.0 keep-alive", b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"),
        ("1.1 close", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        ("tokens", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo, Keep-Alive\r\nX-Foo: bar\r\n\r\n"),
    ];
    for mode in ["", "  option http-server-close\n", "  option httpclose\n"] {
        for (name, req) in cases {
            let [o, h] = both(|imp| {
                let be = RawBackend::start(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                let mut t = Template::new();
                t.set_port(1, be.port);
                let cfg = format!("{DEFAULTS}{mode}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${{PORT_1}}\n");
                let (got, closed) =
                    with_proxy(imp, &mut t, &cfg, |port| exchange(port, req, Duration::from_millis(300)));
                (
                    format!("{}\nclosed={closed}", show(&got)),
                    be.received().iter().map(|c| show(c)).collect::<Vec<_>>().join("\n--\n"),
                )
            });
            assert_same(&format!("{name} [{}] client side", mode.trim()), &o.0, &h.0);
            assert_same(&format!("{name} [{}] server side", mode.trim()), &o.1, &h.1);
        }
    }
}

#[test]
fn forwardfor_variants() {
    crate::require_haproxy!();
    for opt in [
        "option forwardfor",
        "option forwardfor header X-Real-IP",
        "option forwardfor except 127.0.0.0/8",
        "option forwardfor if-none",
    ] {
        let req: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n";
        let [o, h] = both(|imp| {
            let be = RawBackend::start(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            let mut t = Template::new();
            t.set_port(1, be.port);
            let cfg = format!("{DEFAULTS}  {opt}\nfrontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${{PORT_1}}\n");
            with_proxy(imp, &mut t, &cfg, |port| {
                exchange(port, req, Duration::from_millis(200));
                // A loaded machine may take longer than the client waited: the request still
                // reaches the server before the proxy is stopped.
                let head_in = || be.received().iter().any(|c| c.windows(4).any(|w| w == b"\r\n\r\n"));
                crate::harness::wait::wait_until(Duration::from_secs(5), head_in);
            });
            be.received().iter().map(|c| show(c)).collect::<Vec<_>>().join("\n--\n")
        });
        assert_same(opt, &o, &h);
    }
}

#[test]
fn own_responses_are_byte_identical() {
    crate::require_haproxy!();
    // (label, config tail, request)
    let cases: &[(&str, &str, &[u8])] = &[
        ("503 no server", "backend be\n", b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("monitor-uri", "backend be\n", b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("400 http/0.9", "backend be\n", b"GET /\r\n\r\n"),
        ("400 no colon", "backend be\n", b"GET / HTTP/1.1\r\nHost h\r\n\r\n"),
        ("400 space before colon", "backend be\n", b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        (
            "400 two lengths",
            "backend be\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        ),
        ("400 bad length", "backend be\n", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n"),
        ("400 bad te", "backend be\n", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
    ];
    for (label, tail, req) in cases {
        let [o, h] = both(|imp| {
            let mut t = Template::new();
            let cfg = format!("{DEFAULTS}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  monitor-uri /healthz\n  default_backend be\n{tail}");
            let (got, closed) = with_proxy(imp, &mut t, &cfg, |port| exchange(port, req, Duration::from_millis(300)));
            format!("{}\nclosed={closed}", show(&got))
        });
        assert_same(label, &o, &h);
    }
}

#[test]
fn timeouts_give_408_and_504() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let mut t = Template::new();
        let cfg = format!("{DEFAULTS}  timeout http-request 200ms\nfrontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n");
        let (got, closed) = with_proxy(imp, &mut t, &cfg, |port| {
            exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n", Duration::from_secs(2))
        });
        format!("{}\nclosed={closed}", show(&got))
    });
    assert_same("408", &o, &h);
    let [o, h] = both(|imp| {
        let s1 = MockHttp::start("s1");
        s1.slow(Duration::from_millis(800));
        let mut t = Template::new();
        t.set_port(1, s1.port());
        let cfg = "defaults\n  mode http\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 300ms\nfrontend fe\n  bind 127.0.0.1:${PORT_0}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${PORT_1}\n";
        // The idle client connection closes `timeout client` after the 504: wait longer.
        let (got, closed) = with_proxy(imp, &mut t, cfg, |port| {
            exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", Duration::from_secs(3))
        });
        format!("{}\nclosed={closed}", show(&got))
    });
    assert_same("504", &o, &h);
}

#[test]
fn server_failures_give_502() {
    crate::require_haproxy!();
    for (label, setup) in [("close without answer", 0), ("garbage", 1)] {
        let [o, h] = both(|imp| {
            let be = if setup == 0 { RawBackend::start(b"") } else { RawBackend::start(b"garbage\r\n\r\n") };
            let mut t = Template::new();
            t.set_port(1, be.port);
            let cfg = format!("{DEFAULTS}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${{PORT_1}}\n");
            let (got, closed) = with_proxy(imp, &mut t, &cfg, |port| {
                // The empty-response backend keeps the connection open: the server timeout answers.
                exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", Duration::from_secs(3))
            });
            format!("{}\nclosed={closed}", show(&got))
        });
        assert_same(label, &o, &h);
    }
}

#[test]
fn roundrobin_and_backup_order() {
    crate::require_haproxy!();
    for servers in [
        "  server s1 ${S1}\n  server s2 ${S2}\n  server s3 ${S3}\n",
        "  server s1 ${S1} weight 1\n  server s2 ${S2} weight 2\n  server s3 ${S3} weight 3\n",
        "  server s1 ${S1} weight 100\n  server s2 ${S2} weight 1\n  server s3 ${S3} weight 0\n",
        "  server s1 ${S1}\n  server s2 ${S2} backup\n  server s3 ${S3} backup\n",
    ] {
        let [o, h] = both(|imp| {
            let mocks = [MockHttp::start("s1"), MockHttp::start("s2"), MockHttp::start("s3")];
            let mut t = Template::new();
            let mut cfg = format!("{DEFAULTS}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  balance roundrobin\n{servers}");
            for (i, m) in mocks.iter().enumerate() {
                cfg = cfg.replace(&format!("${{S{}}}", i + 1), &format!("127.0.0.1:{}", m.port()));
            }
            with_proxy(imp, &mut t, &cfg, |port| {
                (0..12).map(|_| client::get(port, "/").unwrap().body_text()).collect::<Vec<_>>().join(",")
            })
        });
        assert_same(servers, &o, &h);
    }
}

#[test]
fn keep_alive_reuses_the_server_connection() {
    crate::require_haproxy!();
    let req: &[u8] = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    for mode in ["", "  option http-server-close\n"] {
        let [o, h] = both(|imp| {
            let s1 = MockHttp::start("s1");
            let mut t = Template::new();
            t.set_port(1, s1.port());
            let cfg = format!("{DEFAULTS}{mode}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${{PORT_1}}\n");
            let (got, closed) = with_proxy(imp, &mut t, &cfg, |port| exchange(port, req, Duration::from_secs(2)));
            let text = String::from_utf8_lossy(&got).to_string();
            format!(
                "responses={} closed={closed} backend_conns={} requests={}",
                text.matches("HTTP/1.1 200").count(),
                s1.connections(),
                s1.requests()
            )
        });
        assert_same(&format!("keep-alive [{}]", mode.trim()), &o, &h);
    }
}

#[test]
fn httplog_line() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let s1 = MockHttp::start("s1");
        let syslog = UdpSyslog::start();
        let mut t = Template::new();
        t.set_port(1, s1.port()).set_port(2, syslog.port());
        let cfg = "global\n  log 127.0.0.1:${PORT_2} local0\ndefaults\n  mode http\n  log global\n  option httplog\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 2s\nfrontend fe\n  bind 127.0.0.1:${PORT_0}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${PORT_1}\nbackend empty\n";
        with_proxy(imp, &mut t, cfg, |port| {
            client::get(port, "/x?y=1").unwrap();
            let lines = syslog.messages().wait_count(1, DEFAULT_TIMEOUT).unwrap_or_default();
            lines.iter().map(|l| mask_timers(&normalize::volatile(l))).collect::<Vec<_>>().join("\n")
        })
    });
    assert_same("httplog", &o, &h);
}

/// Replace the client port and the timer fields, which differ from run to run.
fn mask_timers(line: &str) -> String {
    let mut words: Vec<String> = line.split(' ').map(String::from).collect();
    for w in words.iter_mut() {
        if w.starts_with("127.0.0.1:") {
            *w = "127.0.0.1:PORT".into();
        } else if w.split('/').count() == 5
            && w.split('/').all(|p| p.trim_start_matches('+').parse::<i64>().is_ok())
            && w.contains('/')
        {
            // TR/Tw/Tc/Tr/Ta: keep which ones are -1 (did not happen), mask the values.
            *w = w.split('/').map(|p| if p == "-1" { "-1" } else { "N" }).collect::<Vec<_>>().join("/");
        }
    }
    words.join(" ")
}

/// Hash-based algorithms pick the same server for the same key as HAProxy, end to end.
#[test]
fn hash_balancing_end_to_end() {
    crate::require_haproxy!();
    let algos = [
        ("balance uri", "/a/b?x=1 /c /d/e/f /g?y /h /i/j /k /l?m=n"),
        ("balance uri whole\n  hash-type consistent", "/a/b?x=1 /c /d/e/f /g?y /h /i/j /k /l?m=n"),
        ("balance url_param id", "/p?id=1 /p?id=2 /p?id=3 /p?id=4 /p?x=1 /p?id=abc /p?id=7 /p?id=8"),
        ("balance hdr(X-Key)", "1 2 3 4 5 6 7 8"),
        ("balance source", "/ / / /"),
    ];
    for (algo, inputs) in algos {
        let [o, h] = both(|imp| {
            let mocks = [MockHttp::start("s1"), MockHttp::start("s2"), MockHttp::start("s3")];
            let mut t = Template::new();
            let mut cfg = format!(
                "{DEFAULTS}frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\nbackend be\n  {algo}\n"
            );
            for m in &mocks {
                cfg += &format!("  server {} 127.0.0.1:{}\n", m.name(), m.port());
            }
            with_proxy(imp, &mut t, &cfg, |port| {
                inputs
                    .split(' ')
                    .map(|i| {
                        let req = if algo.contains("hdr(") {
                            client::Request::get("/").header("X-Key", i)
                        } else {
                            client::Request::get(i)
                        };
                        req.send(port).map(|r| r.body_text()).unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
        });
        assert_same(algo, &o, &h);
    }
}

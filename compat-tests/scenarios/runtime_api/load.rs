//! Load: a thousand clients at once, and many clients changing weights and states while
//! traffic flows and checks run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Cli;
use crate::harness::compare::both;
use crate::harness::mock_http::MockHttp;
use crate::harness::proc::Impl;
use crate::harness::{cli, client};

const CFG: &str = "\
global
    maxconn 4000
    stats socket ${DIR}/admin.sock level admin
    stats maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:${WEB} check inter 50
    server s2 127.0.0.1:${WEB} check inter 50
    server s3 127.0.0.1:${WEB}
    server s4 127.0.0.1:${WEB} weight 3
";

/// 1,000 clients connect at once, each with a one-shot command; every one gets its full reply.
#[test]
fn a_thousand_clients_at_once() {
    let run = |imp: Impl| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, CFG, &web);
        let sock = c.sock("admin.sock");
        let ok = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(1000));
        let threads: Vec<_> = (0..1000)
            .map(|i| {
                let (sock, ok, barrier) = (sock.clone(), ok.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let (cmd, want) = match i % 3 {
                        0 => ("get weight be/s4", "3 (initial 3)\n\n"),
                        1 => ("show cli level", "admin\n\n"),
                        _ => ("show backend", "# name\nbe\n\n"),
                    };
                    for _ in 0..20 {
                        match cli::cmd(sock.as_path(), cmd) {
                            Ok(r) if r == want => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                return;
                            }
                            Ok(r) => panic!("{cmd}: {r:?}"),
                            // The listen queue may overflow for a moment: retry like a client.
                            Err(_) => std::thread::sleep(Duration::from_millis(50)),
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        format!("{} of 1000 answered", ok.load(Ordering::Relaxed))
    };
    if crate::harness::haproxy_installed() {
        let [theirs, ours] = both(run);
        crate::harness::compare::assert_same("1000 clients", &theirs, &ours);
    }
    assert_eq!(run(Impl::Haproxide), "1000 of 1000 answered");
}

/// Many clients change weights and states while requests flow and checks run: no panic, no
/// stuck session, every reply well-formed, and the final state is exactly what the last
/// commands asked for.
#[test]
fn commands_racing_traffic_and_checks() {
    let web = MockHttp::start("web");
    let c = Cli::start(Impl::Haproxide, CFG, &web);
    let mut ports = c.ports.clone();
    let http = ports.port(0);
    let sock = c.sock("admin.sock");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let traffic: Vec<_> = (0..4)
        .map(|_| {
            let (stop, served) = (stop.clone(), served.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(r) = client::get(http, "/") {
                        assert!(r.status == 200 || r.status == 503, "status {}", r.status);
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let admins: Vec<_> = (0..16)
        .map(|t| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let mut x: u32 = 7 + t;
                for _ in 0..60 {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let srv = (x >> 8) % 4 + 1;
                    let cmd = match (x >> 16) % 7 {
                        0 => format!("set server be/s{srv} weight {}", (x >> 4) % 257),
                        1 => format!("set server be/s{srv} state maint"),
                        2 => format!("set server be/s{srv} state drain"),
                        3 => format!("set server be/s{srv} state ready"),
                        4 => format!("set weight be/s{srv} {}%", (x >> 4) % 200),
                        5 => "show stat".to_string(),
                        _ => format!("get weight be/s{srv};show servers state be"),
                    };
                    let r = cli::cmd(sock.as_path(), &cmd).unwrap();
                    assert!(r.ends_with('\n'), "{cmd}: {r:?}");
                    assert!(!r.contains("Unknown command"), "{cmd}: {r:?}");
                }
            })
        })
        .collect();
    for a in admins {
        a.join().unwrap();
    }
    for i in 1..=4 {
        assert_eq!(
            cli::cmd(sock.as_path(), &format!("set server be/s{i} state ready;set server be/s{i} weight 10")).unwrap(),
            "\n\n"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for t in traffic {
        t.join().unwrap();
    }
    assert!(served.load(Ordering::Relaxed) > 0);
    let state = cli::cmd(sock.as_path(), "show servers state be").unwrap();
    let lines: Vec<&str> = state.lines().filter(|l| l.starts_with("3 be ")).collect();
    assert_eq!(lines.len(), 4, "{state}");
    for l in lines {
        let w: Vec<&str> = l.split(' ').collect();
        // admin state 0, user weight 10.
        assert_eq!((w[6], w[7]), ("0", "10"), "{l}");
    }
    for _ in 0..8 {
        assert_eq!(client::get(http, "/").unwrap().status, 200);
    }
    let (_, stderr) = c.inst.kill();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

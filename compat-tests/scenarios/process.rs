//! Process behaviour on signals, compared with HAProxy: SIGTERM and SIGINT end the process at
//! once (killed by the signal), SIGUSR1 stops listening, lets the request in flight finish,
//! prints "Proxy X stopped" for each proxy, and exits 0 (or, past `hard-stop-after`, hard-stops).

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl};
use crate::harness::{client, normalize, wait};

const CFG: &str = "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
                   frontend fe\n  bind 127.0.0.1:${PORT_0}\n  default_backend be\n\
                   backend be\n  server s1 127.0.0.1:${PORT_1}\n";

fn run(imp: Impl, sig: Signal) -> String {
    run_with(imp, sig, "", 600)
}

/// [`run`] with a `global` section (`global` lines, empty for none) and a server that takes
/// `slow_ms` to answer.
fn run_with(imp: Impl, sig: Signal, global: &str, slow_ms: u64) -> String {
    let s1 = MockHttp::start("s1");
    s1.slow(Duration::from_millis(slow_ms));
    let mut t = Template::new();
    t.set_port(1, s1.port());
    let cfg = t.render(&format!("{global}{CFG}"));
    let mut h = proc::start(imp, &cfg, &[]);
    h.wait_ready(&[t.port(0)], &[]);
    let port = t.port(0);
    // A request in flight when the signal arrives.
    let inflight = std::thread::spawn(move || client::get(port, "/").map(|r| r.status).unwrap_or(0));
    assert!(wait::wait_until(wait::DEFAULT_TIMEOUT, || s1.requests() == 1));
    h.signal(sig);
    let status = h.child.wait_timeout(Duration::from_secs(5));
    let inflight = inflight.join().unwrap();
    let refused_after = !wait::port_open(port);
    let (_, stderr) = h.kill();
    let lines: Vec<String> = normalize::pids(&normalize::drop_banner(&stderr)).lines().map(String::from).collect();
    let st = status.map(|s| format!("code={:?} signal={:?}", s.code(), s.signal())).unwrap_or_else(|| "running".into());
    format!("{st}\ninflight={inflight}\nrefused_after={refused_after}\n{}", lines.join("\n"))
}

#[test]
fn sigterm_and_sigint_kill_at_once() {
    crate::require_haproxy!();
    for sig in [Signal::SIGTERM, Signal::SIGINT] {
        let [o, h] = both(|imp| run(imp, sig));
        assert_same(&format!("{sig}"), &o, &h);
    }
}

#[test]
fn sigusr1_finishes_in_flight_requests_then_exits() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| run(imp, Signal::SIGUSR1));
    assert_same("SIGUSR1", &o, &h);
}

/// `hard-stop-after`: a soft stop that outlasts it ends with HAProxy's hard-stop warnings, the
/// request in flight cut, exit 0.
#[test]
fn hard_stop_after_ends_a_long_soft_stop() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| run_with(imp, Signal::SIGUSR1, "global\n  hard-stop-after 300ms\n", 3000));
    assert_same("hard-stop-after", &o, &h);
}

/// A reload as init scripts do it: a second process on the same config with `-sf <old pid>`
/// binds next to the old one (SO_REUSEPORT), then tells it to finish; the old one exits 0 and the
/// new one serves.
#[test]
fn reload_with_sf_hands_over() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let s1 = MockHttp::start("s1");
        let mut t = Template::new();
        t.set_port(1, s1.port());
        let cfg = t.render(CFG);
        let mut old = proc::start(imp, &cfg, &[]);
        old.wait_ready(&[t.port(0)], &[]);
        let pid = old.pid().to_string();
        let mut new = proc::start(imp, &cfg, &["-sf", &pid]);
        let old_status = old.child.wait_timeout(Duration::from_secs(5));
        let served = client::get(t.port(0), "/").map(|r| r.status).unwrap_or(0);
        let new_running = new.child.try_status().is_none();
        drop(new.kill());
        format!("old exit={:?} new running={new_running} served={served}", old_status.and_then(|s| s.code()))
    });
    assert_eq!(o, "old exit=Some(0) new running=true served=200", "haproxy itself");
    assert_same("-sf reload", &o, &h);
}

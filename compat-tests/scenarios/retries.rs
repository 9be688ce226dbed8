//! Connection failures: `retries`, the turn-around delay between attempts, `option redispatch`
//! and what the client and the log see, compared with HAProxy.

use std::time::Instant;

use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::{free_port, Template};
use crate::harness::proc::{self, Impl};
use crate::harness::syslog::UdpSyslog;
use crate::harness::wait::DEFAULT_TIMEOUT;
use crate::harness::{client, normalize};

/// Status, body and the log fields that matter (server, retries, termination state), plus the
/// time taken rounded to whole seconds (the turn-around delay is one second per retry).
fn run(imp: Impl, redispatch: &str, retries: u32) -> String {
    run_with(imp, redispatch, retries, "")
}

fn run_with(imp: Impl, redispatch: &str, retries: u32, alive_flags: &str) -> String {
    let alive = MockHttp::start("alive");
    let dead = free_port();
    let syslog = UdpSyslog::start();
    let mut t = Template::new();
    t.set_port(1, dead).set_port(2, alive.port()).set_port(3, syslog.port());
    let cfg = t.render(&format!(
        "global\n  log 127.0.0.1:${{PORT_3}} local0\ndefaults\n  mode http\n  log global\n  option httplog\n  \
         timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  retries {retries}\n{redispatch}\
         frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  default_backend be\n\
         backend be\n  balance roundrobin\n  server dead 127.0.0.1:${{PORT_1}}\n  server alive 127.0.0.1:${{PORT_2}}{alive_flags}\n"
    ));
    let mut h = proc::start(imp, &cfg, &[]);
    h.wait_ready(&[t.port(0)], &[]);
    let t0 = Instant::now();
    let r = client::get(t.port(0), "/").unwrap();
    let secs = (t0.elapsed().as_millis() + 500) / 1000;
    let line = syslog.messages().wait_count(1, DEFAULT_TIMEOUT).unwrap_or_default().join("");
    let line = normalize::volatile(&line);
    // Keep "backend/server", status, termination state and the retries field.
    let words: Vec<&str> = line.split(' ').collect();
    let pick = |i: usize| words.get(i).copied().unwrap_or("?");
    let pos = words.iter().position(|w| w.starts_with("be/")).unwrap_or(0);
    let conns = pick(pos + 7);
    let retries_field = conns.rsplit('/').next().unwrap_or("?");
    let (_, stderr) = h.kill();
    assert!(!stderr.contains("[ALERT]"), "{stderr}");
    format!(
        "status={} body={} server={} log_status={} term={} retries={} seconds~{}",
        r.status,
        if r.status == 200 { r.body_text() } else { String::new() },
        pick(pos),
        pick(pos + 2),
        pick(pos + 6),
        retries_field,
        secs
    )
}

#[test]
fn retries_without_redispatch_end_in_503() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| run(imp, "", 2));
    assert_same("retries 2, no redispatch", &o, &h);
}

#[test]
fn redispatch_moves_to_another_server_on_the_last_retry() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| run(imp, "  option redispatch\n", 2));
    assert_same("retries 2, redispatch", &o, &h);
    let [o, h] = both(|imp| run(imp, "  option redispatch 1\n", 3));
    assert_same("retries 3, redispatch every retry", &o, &h);
}

/// The rolling-restart trap: the only active server is dead but not yet marked down, the other
/// is a backup. HAProxy retries the dead server (redispatch finds no other active one) and
/// answers 503; so must we.
#[test]
fn dead_active_with_backup_gives_503() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| run_with(imp, "  option redispatch\n", 3, " backup"));
    assert_same("active dead, backup alive", &o, &h);
}

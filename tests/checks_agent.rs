//! Agent checks end to end: each reply form and the lines HAProxy 2.6.12 logged for the same
//! sequence (the agent's state is kept apart from the health check's).

#[path = "checks_support/mod.rs"]
mod support;

use std::sync::atomic::Ordering;
use support::*;

/// Set the agent's reply and wait until it answered twice with it.
fn reply(ag: &Mock, text: &[u8]) {
    ag.set(Mode::Reply(text.to_vec()));
    let from = ag.hits.load(Ordering::Relaxed);
    wait_until(10, "agent checks", || ag.hits.load(Ordering::Relaxed), |n| *n >= from + 2);
}

#[test]
fn agent_reply_forms() {
    let log = Syslog::start();
    let web = Mock::start(Mode::Http("200 OK".into()));
    let ag = Mock::start(Mode::Reply(b"up\n".to_vec()));
    let cfg = format!(
        "{}backend be\n  server a1 127.0.0.1:{w} check inter 300 agent-check agent-port {a} agent-inter 100 agent-send \"hello\\n\" weight 50\n  server a2 127.0.0.1:{w} weight 10\n",
        head(log.port),
        w = web.port,
        a = ag.port
    );
    let _px = Proxy::start(&cfg);
    reply(&ag, b"up\n");
    let steps: &[(&[u8], Option<&str>)] = &[
        (b"down\n", Some("<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : down\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
        (b"drain\n", Some("<133>Server be/a1 enters drain state. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
        (b"down\n", None),
        (b"ready\n", Some("<133>Server be/a1 is DOWN (leaving forced drain).")),
        (b"up\n", Some("<133>Server be/a1 is UP, reason: Layer7 check passed, code: 0, info: \"via agent : up\", check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")),
        (b"maint\n", Some("<129>Server be/a1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
        (b"down\n", None),
        (b"ready\n", Some("<133>Server be/a1 is DOWN/READY (leaving forced maintenance).")),
        (b"up\n", Some("<133>Server be/a1 is UP, reason: Layer7 check passed, code: 0, info: \"via agent : up\", check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")),
        (b"50%\n", None),
        (b"maxconn:10\n", None),
        (b"junk\n", None),
        (b"incomplete", None),
        (b"down # backend overloaded\n", Some("<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : down (backend overloaded)\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
        (b"fail\n", None),
        (b"up 75%\n", Some("<133>Server be/a1 is UP, reason: Layer7 check passed, code: 0, info: \"via agent : up\", check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")),
        (b"stopped\n", Some("<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : stopped\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
    ];
    let mut expected: Vec<String> = Vec::new();
    for (text, line) in steps {
        reply(&ag, text);
        if let Some(l) = line {
            expected.push(l.to_string());
        }
        let got = wait_lines(&log, expected.len(), 10);
        assert_eq!(got, expected, "after agent reply {:?}", String::from_utf8_lossy(text));
    }
}

#[test]
fn agent_up_does_not_override_a_failing_health_check() {
    let log = Syslog::start();
    let web = Mock::start(Mode::Http("200 OK".into()));
    let ag = Mock::start(Mode::Reply(b"up\n".to_vec()));
    let cfg = format!(
        "{}backend be\n  option httpchk\n  server a1 127.0.0.1:{w} check inter 100 rise 2 fall 2 agent-check agent-port {a} agent-inter 100 agent-send \"x\\n\"\n",
        head(log.port),
        w = web.port,
        a = ag.port
    );
    let _px = Proxy::start(&cfg);
    web.set(Mode::Http("500 x".into()));
    let l = wait_lines(&log, 2, 10);
    assert_eq!(l[0], "<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"x\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
    reply(&ag, b"down\n");
    reply(&ag, b"up\n");
    assert_eq!(log.lines().len(), 2, "the agent's up does not bring the server back");
    web.set(Mode::Http("200 OK".into()));
    let l = wait_lines(&log, 3, 10);
    assert_eq!(l[2], "<133>Server be/a1 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
    reply(&ag, b"down\n");
    let l = wait_lines(&log, 5, 10);
    assert_eq!(l[3], "<129>Server be/a1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : down\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
}

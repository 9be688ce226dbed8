//! Sequences measured on HAProxy 2.6.12, replayed on the pure state machine.

use super::*;
use crate::engine::events;
use crate::engine::state::{AgentAdmin, AgentHealth, CheckState, Hana, Health, ObserveSpec};

fn srv(rise: u32, fall: u32) -> ServerState {
    let mut s = ServerState::new(1, 0, false, false, 0);
    s.check = CheckState::new(true, rise, fall);
    s
}

fn ctx(now: u64) -> ApplyCtx<'static> {
    ApplyCtx::simple(now)
}

/// Apply to server `i` and return the rendered lines (names be/s<i+1>).
fn run(states: &mut [ServerState], i: usize, op: ServerOp, cause: Cause, c: &ApplyCtx) -> Vec<String> {
    let t = apply(states, i, &op, cause, c);
    let name = format!("s{}", i + 1);
    events::lines("be", "backend", &name, &t).into_iter().map(|l| l.text).collect()
}

fn chk(status: CheckStatus, code: i32, desc: &str) -> ServerOp {
    ServerOp::CheckResult { agent: false, outcome: outcome(status, code, desc, 0) }
}

#[test]
fn first_failure_marks_down_and_backup_takes_over() {
    let mut st = vec![srv(2, 3), srv(2, 3)];
    st[1].backup = true;
    let l = run(&mut st, 0, chk(CheckStatus::L4Con, 0, "Connection refused"), Cause::Health, &ctx(10));
    assert_eq!(
        l,
        vec!["Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."]
    );
    assert_eq!(st[0].check.health.health, 0);
    assert_eq!(st[0].status_text(None), "DOWN");
    // Rise 2: one success is DOWN 1/2, the second brings it back.
    assert!(run(&mut st, 0, chk(CheckStatus::L4Ok, 0, ""), Cause::Health, &ctx(11)).is_empty());
    assert_eq!(st[0].status_text(None), "DOWN 1/2");
    let l = run(&mut st, 0, chk(CheckStatus::L4Ok, 0, ""), Cause::Health, &ctx(12));
    assert_eq!(
        l,
        vec!["Server be/s1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."]
    );
    assert_eq!(st[0].check.health.health, 4);
    assert_eq!(st[0].status_text(None), "UP");
}

#[test]
fn last_server_down_logs_backend_down() {
    let mut st = vec![srv(2, 3)];
    let t = apply(&mut st, 0, &chk(CheckStatus::L7Sts, 500, "Internal Server Error"), Cause::Health, &ctx(1));
    let lines = events::lines("be", "backend", "s1", &t);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].level, events::LOG_ALERT);
    assert!(lines[0].text.starts_with(
        "Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: 0ms. 0 active"
    ));
    assert_eq!((lines[1].level, lines[1].text.as_str()), (events::LOG_EMERG, "backend be has no server available!"));
}

#[test]
fn going_down_counts_fall() {
    let mut st = vec![srv(3, 2)];
    st[0].check.health.set_up();
    assert!(run(&mut st, 0, chk(CheckStatus::L7Sts, 503, "Down"), Cause::Health, &ctx(1)).is_empty());
    assert_eq!(st[0].status_text(None), "UP 1/2");
    assert_eq!(run(&mut st, 0, chk(CheckStatus::L7Sts, 503, "Down"), Cause::Health, &ctx(2)).len(), 2);
}

#[test]
fn log_health_checks_lines() {
    // be2/c1 of the disable-on-404 scenario: rise 2 fall 2, option log-health-checks.
    let mut st = vec![srv(2, 2), srv(2, 2)];
    let c = ApplyCtx { log_health_checks: true, ..ctx(1) };
    let l = run(&mut st, 0, chk(CheckStatus::L7Ok, 200, ""), Cause::Health, &c);
    assert_eq!(
        l,
        vec!["Health check for server be/s1 succeeded, reason: Layer7 check passed, code: 200, check duration: 0ms, status: 2/2 UP."]
    );
    let l = run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "Err"), Cause::Health, &c);
    assert_eq!(
        l,
        vec!["Health check for server be/s1 failed, reason: Layer7 wrong status, code: 500, info: \"Err\", check duration: 0ms, status: 1/2 UP."]
    );
    let l = run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "Err"), Cause::Health, &c);
    assert_eq!(
        l,
        vec![
            "Health check for server be/s1 failed, reason: Layer7 wrong status, code: 500, info: \"Err\", check duration: 0ms, status: 0/2 DOWN.",
            "Server be/s1 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        ]
    );
    // Same status again, counter already at 0: nothing to report.
    assert!(run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "Err"), Cause::Health, &c).is_empty());
    let l = run(&mut st, 0, chk(CheckStatus::L7Ok, 200, ""), Cause::Health, &c);
    assert_eq!(l[0], "Health check for server be/s1 succeeded, reason: Layer7 check passed, code: 200, check duration: 0ms, status: 1/2 DOWN.");
}

#[test]
fn disable_on_404_stops_then_recovers() {
    let mut st = vec![srv(2, 2)];
    // A stopping server no longer counts: with no other server the backend is down.
    let l = run(&mut st, 0, chk(CheckStatus::L7OkC, 404, ""), Cause::Health, &ctx(1));
    assert_eq!(
        l,
        vec![
            "Server be/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 0ms. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
            "backend be has no server available!"
        ]
    );
    assert_eq!(st[0].status_text(None), "NOLB");
    let l = run(&mut st, 0, chk(CheckStatus::L7Ok, 200, ""), Cause::Health, &ctx(2));
    assert_eq!(l[0], "Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
}

fn agent_srv() -> ServerState {
    let mut s = srv(2, 2);
    s.check.health.set_up();
    s.agent = CheckState::new(true, 1, 1);
    s.iweight = 50;
    s.uweight = 50;
    s.weight = 50 * WEIGHT_SCALE;
    s
}

fn agent(words: &[&str], health: Option<AgentHealth>, adm: Option<AgentAdmin>) -> ServerOp {
    let mut r = AgentReply::default();
    for w in words {
        if w.ends_with('%') {
            r.weight = Some(w.to_string());
        }
    }
    if let Some(h) = health {
        let word = match h {
            AgentHealth::Up => "up",
            AgentHealth::Down => "down",
            AgentHealth::Stopped => "stopped",
            AgentHealth::Fail => "fail",
        };
        r.health = Some((word.to_string(), h));
    }
    r.admin = adm;
    ServerOp::Agent { reply: r, duration: 0 }
}

#[test]
fn agent_sequence_matches_haproxy() {
    // The second agent scenario: up, down, drain, down, ready, up, maint, down, ready, up, 50%, stopped.
    let mut st = vec![agent_srv(), srv(2, 2)];
    st[1].check.health.set_up();
    let c = ctx(1);
    assert!(run(&mut st, 0, agent(&[], Some(AgentHealth::Up), None), Cause::Agent, &c).is_empty());
    let l = run(&mut st, 0, agent(&[], Some(AgentHealth::Down), None), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : down\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."]);
    assert_eq!(st[0].status_text(None), "DOWN (agent)");
    assert_eq!(st[0].check.health.health, 3, "the agent leaves the health check alone");
    let l = run(&mut st, 0, agent(&[], None, Some(AgentAdmin::Drain)), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 enters drain state. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."]);
    assert!(run(&mut st, 0, agent(&[], Some(AgentHealth::Down), None), Cause::Agent, &c).is_empty());
    let l = run(&mut st, 0, agent(&[], None, Some(AgentAdmin::Ready)), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 is DOWN (leaving forced drain)."]);
    let l = run(&mut st, 0, agent(&[], Some(AgentHealth::Up), None), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 is UP, reason: Layer7 check passed, code: 0, info: \"via agent : up\", check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."]);
    let l = run(&mut st, 0, agent(&[], None, Some(AgentAdmin::Maint)), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."]);
    assert_eq!(st[0].status_text(None), "MAINT");
    assert!(run(&mut st, 0, agent(&[], Some(AgentHealth::Down), None), Cause::Agent, &c).is_empty());
    let l = run(&mut st, 0, agent(&[], None, Some(AgentAdmin::Ready)), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 is DOWN/READY (leaving forced maintenance)."]);
    let l = run(&mut st, 0, agent(&[], Some(AgentHealth::Up), None), Cause::Agent, &c);
    assert_eq!(l.len(), 1);
    assert!(run(&mut st, 0, agent(&["50%"], None, None), Cause::Agent, &c).is_empty());
    assert_eq!((st[0].uweight, st[0].shown_weight()), (25, 25));
    assert_eq!(st[0].agent.status, CheckStatus::Checked);
    let l = run(&mut st, 0, agent(&[], Some(AgentHealth::Stopped), None), Cause::Agent, &c);
    assert!(l[0].contains("info: \"via agent : stopped\""));
}

#[test]
fn agent_weights_and_errors() {
    let mut st = vec![agent_srv()];
    let c = ctx(1);
    run(&mut st, 0, agent(&["200%"], None, None), Cause::Agent, &c);
    assert_eq!(st[0].uweight, 100);
    run(&mut st, 0, agent(&["1000%"], None, None), Cause::Agent, &c);
    assert_eq!(st[0].uweight, 256);
    run(&mut st, 0, agent(&["0%"], None, None), Cause::Agent, &c);
    assert_eq!((st[0].uweight, st[0].status_text(None).as_str()), (0, "UP"));
    let mut r = AgentReply { error: Some("junk".into()), ..Default::default() };
    r.weight = Some("75%".into());
    apply(&mut st, 0, &ServerOp::Agent { reply: r, duration: 0 }, Cause::Agent, &c);
    assert_eq!(st[0].agent.desc, "agent reports an error : junk");
    assert_eq!(st[0].uweight, 37);
    let r = AgentReply {
        health: Some(("down".into(), AgentHealth::Down)),
        description: "backend overloaded".into(),
        ..Default::default()
    };
    let t = apply(&mut st, 0, &ServerOp::Agent { reply: r, duration: 0 }, Cause::Agent, &c);
    assert!(events::lines("be", "backend", "s1", &t)[0]
        .text
        .contains("info: \"via agent : down (backend overloaded)\""));
    // An incomplete line keeps the previous status and says so.
    let r = AgentReply { incomplete: true, ..Default::default() };
    apply(&mut st, 0, &ServerOp::Agent { reply: r, duration: 0 }, Cause::Agent, &c);
    assert_eq!(
        (st[0].agent.status, st[0].agent.desc.as_str()),
        (CheckStatus::L7Sts, "Ignoring incomplete line from agent")
    );
}

#[test]
fn drained_server_keeps_saying_so() {
    let mut st = vec![agent_srv(), srv(2, 2)];
    st[1].check.health.set_up();
    let c = ctx(1);
    run(&mut st, 0, agent(&[], None, Some(AgentAdmin::Drain)), Cause::Agent, &c);
    let l = run(&mut st, 0, agent(&["50%"], None, Some(AgentAdmin::Drain)), Cause::Agent, &c);
    assert_eq!(l, vec!["Server be/s1 remains in forced drain mode."]);
    // A failure that does not change the state logs nothing.
    assert!(run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "x"), Cause::Health, &c).is_empty());
    let l = run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "x"), Cause::Health, &c);
    assert_eq!(l[1], "Server be/s1 remains in forced drain mode.");
    assert!(l[0].starts_with(
        "Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"x\", check duration: 0ms. 1 active"
    ));
}

#[test]
fn observe_mark_down() {
    let mut st = vec![srv(2, 3)];
    st[0].observe = Some(ObserveSpec { layer7: false, error_limit: 2, on_error: OnErrorAction::MarkDown });
    let c = ApplyCtx { cur_sess: &|_| 1, ..ctx(1) };
    assert!(run(&mut st, 0, ServerOp::Observe(Hana::L4Err), Cause::Observe, &c).is_empty());
    let l = run(&mut st, 0, ServerOp::Observe(Hana::L4Err), Cause::Observe, &c);
    assert_eq!(
        l,
        vec![
            "Server be/s1 is DOWN, reason: Health analyze, info: \"Detected 2 consecutive errors, last one was: L4 unsuccessful connection\". 0 active and 0 backup servers left. 1 sessions active, 0 requeued, 0 remaining in queue.",
            "backend be has no server available!"
        ]
    );
    assert_eq!((st[0].check.health.health, st[0].consecutive_errors), (0, 0));
}

#[test]
fn observe_fail_check_needs_fall_when_fully_up() {
    let mut st = vec![srv(2, 3)];
    st[0].check.health.set_up();
    st[0].observe = Some(ObserveSpec { layer7: true, error_limit: 1, on_error: OnErrorAction::FailCheck });
    let c = ctx(1);
    // layer7 ignores successful connections and counts 5xx.
    assert!(run(&mut st, 0, ServerOp::Observe(Hana::L4Ok), Cause::Observe, &c).is_empty());
    assert!(run(&mut st, 0, ServerOp::Observe(Hana::HttpSts), Cause::Observe, &c).is_empty());
    assert_eq!(st[0].check.health.health, 3);
    // sudden-death would have left it one failure away.
    st[0].observe = Some(ObserveSpec { layer7: true, error_limit: 1, on_error: OnErrorAction::SuddenDeath });
    st[0].check.health.set_up();
    run(&mut st, 0, ServerOp::Observe(Hana::HttpSts), Cause::Observe, &c);
    assert_eq!(st[0].check.health.health, 2);
    let l = run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "x"), Cause::Health, &c);
    assert!(l[0].starts_with("Server be/s1 is DOWN"));
}

#[test]
fn slowstart_ramp_and_final_up() {
    let mut st = vec![srv(1, 1), srv(1, 1)];
    st[0].slowstart = 4;
    st[0].iweight = 100;
    st[0].uweight = 100;
    st[0].weight = 1600;
    run(&mut st, 0, chk(CheckStatus::L7Sts, 500, "x"), Cause::Health, &ctx(100));
    let l = run(&mut st, 0, chk(CheckStatus::L7Ok, 200, ""), Cause::Health, &ctx(101));
    assert_eq!(l.len(), 1);
    assert_eq!(st[0].op, OpState::Starting);
    assert_eq!((st[0].shown_weight(), st[0].throttle()), (7, Some(7)));
    let mut seen = Vec::new();
    for now in 102..=105 {
        let l = run(&mut st, 0, ServerOp::Warmup, Cause::Health, &ctx(now));
        seen.push((st[0].shown_weight(), l));
    }
    assert_eq!(seen[0].0, 32);
    assert_eq!(seen[1].0, 57);
    assert_eq!(seen[2].0, 82);
    assert_eq!(seen[3].0, 100);
    assert_eq!(
        seen[3].1,
        vec!["Server be/s1 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."]
    );
    assert_eq!(st[0].op, OpState::Running);
}

#[test]
fn maint_from_down_and_leaving() {
    let mut st = vec![srv(2, 2)];
    run(&mut st, 0, chk(CheckStatus::L4Con, 0, "Connection refused"), Cause::Health, &ctx(1));
    let l = run(&mut st, 0, ServerOp::SetAdmin { set: admin::FMAINT, clear: 0 }, Cause::Cli, &ctx(2));
    assert_eq!(l, vec!["Server be/s1 was DOWN and now enters maintenance."]);
    let l = run(&mut st, 0, ServerOp::SetAdmin { set: 0, clear: admin::FMAINT }, Cause::Cli, &ctx(3));
    assert_eq!(l, vec!["Server be/s1 is UP/READY (leaving forced maintenance)."]);
    // Up at once with health = rise: the next failure takes it down.
    assert_eq!((st[0].op, st[0].check.health.health), (OpState::Running, 2));
    assert_eq!(st[0].status_text(None), "UP 1/2");
    assert_eq!(run(&mut st, 0, chk(CheckStatus::L4Con, 0, "Connection refused"), Cause::Health, &ctx(4)).len(), 2);
}

#[test]
fn cli_health_changes() {
    let mut st = vec![srv(2, 2), srv(2, 2)];
    let l = run(&mut st, 0, ServerOp::SetOp(OpState::Stopped), Cause::Cli, &ctx(1));
    assert_eq!(l, vec!["Server be/s1 is DOWN, changed from CLI. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."]);
    let l = run(&mut st, 0, ServerOp::SetOp(OpState::Stopping), Cause::Cli, &ctx(1));
    assert_eq!(l, vec!["Server be/s1 is stopping, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."]);
}

#[test]
fn tracked_changes_propagate_in_order() {
    let mut st = vec![srv(2, 2)];
    let t = apply(&mut st, 0, &chk(CheckStatus::L7Sts, 500, "x"), Cause::Health, &ctx(1));
    let props: Vec<_> = t.events.iter().filter(|e| matches!(e, Event::Propagate(_))).collect();
    assert_eq!(props, vec![&Event::Propagate(TrackOp::Stopped)]);
    // A tracker logs "via".
    let mut tr = vec![ServerState::new(1, 0, false, false, 0)];
    tr[0].track = Some(crate::engine::state::TrackRef { backend: 0, server: 0, name: "be/a1".into() });
    let l = run(&mut tr, 0, ServerOp::Track(TrackOp::Stopped), Cause::Tracked, &ctx(1));
    assert_eq!(l[0], "Server be/s1 is DOWN via be/a1. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
}

#[test]
fn health_fraction_in_reports_uses_drain_word() {
    let ev = Event::CheckReport {
        agent: true,
        result: CheckResult::Passed,
        info: CheckInfo { status: CheckStatus::L7Ok, code: 0, desc: "via agent : up".into(), duration: 1 },
        health: Health { health: 1, rise: 1, fall: 1 },
        uweight: 0,
    };
    let n = events::Names { backend: "be", backend_kind: "backend", server: "a", backup: true };
    assert_eq!(
        events::render(&n, &ev).unwrap().text,
        "Agent check for backup server be/a succeeded, reason: Layer7 check passed, code: 0, info: \"via agent : up\", check duration: 1ms, status: 1/1 DRAIN."
    );
}

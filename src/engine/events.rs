//! Server events: the engine's public entry point for changing a server's state from checks,
//! agents, passive observation and tracking ([`apply`]), and HAProxy's state-change log lines
//! built from a [`Transition`] ([`render`]), byte for byte after the syslog header. Lines go to
//! the backend's log targets and, as HAProxy's `ha_warning`/`ha_alert` do, to stderr.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::backend::Backend;
use super::state::{
    CheckInfo, CheckResult, Event, OpState, Reason, ServerOp, ServerState, Tail, TrackOp, TrackRef, Transition,
};
use super::{unix_now, Engine};
use crate::engine::state::Cause;

/// Syslog severities used by state lines.
pub const LOG_EMERG: u8 = 0;
pub const LOG_ALERT: u8 = 1;
pub const LOG_ERR: u8 = 3;
pub const LOG_NOTICE: u8 = 5;

static STDERR: AtomicBool = AtomicBool::new(true);

/// Whether state lines are also printed on stderr (HAProxy: not in quiet mode).
pub fn set_stderr(on: bool) {
    STDERR.store(on, Ordering::Relaxed);
}

/// Whether process messages go to stderr (false with `-q` or `quiet`).
pub fn stderr_on() -> bool {
    STDERR.load(Ordering::Relaxed)
}

/// One rendered log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub level: u8,
    /// The syslog message, without the trailing newline.
    pub text: String,
    /// What goes to stderr: `[WARNING]  (pid) : <text>` or the `[ALERT]` form.
    pub stderr: String,
}

/// Names a server's lines need.
pub struct Names<'a> {
    pub backend: &'a str,
    /// `backend` or `proxy` (a listen section), as HAProxy words the backend-down line.
    pub backend_kind: &'a str,
    pub server: &'a str,
    pub backup: bool,
}

/// HAProxy's `chunk_asciiencode` with `"` as the quote: non-printable bytes, `<`, `>` and the
/// quote become `<XX>`.
pub fn ascii_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if !(0x20..0x7f).contains(&b) || b == b'<' || b == b'>' || b == b'"' {
            out.push_str(&format!("<{b:02X}>"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// `, reason: ...` for a check.
pub fn check_info(out: &mut String, i: &CheckInfo) {
    out.push_str(", reason: ");
    out.push_str(i.status.desc());
    if i.status.has_code() {
        out.push_str(&format!(", code: {}", i.code));
    }
    if !i.desc.is_empty() {
        out.push_str(&format!(", info: \"{}\"", ascii_encode(&i.desc)));
    }
    if i.duration >= 0 {
        out.push_str(&format!(", check duration: {}ms", i.duration));
    }
}

fn append_status(out: &mut String, reason: &Reason, via: &Option<Arc<str>>, tail: Option<&Tail>) {
    match reason {
        Reason::Check(i) => check_info(out, i),
        Reason::Text(t) => {
            out.push_str(", ");
            out.push_str(t);
        }
        Reason::None => {
            if let Some(v) = via {
                out.push_str(" via ");
                out.push_str(v);
            }
        }
    }
    if let Some(t) = tail {
        let on_backup = if t.backup > 0 && t.active == 0 { " Running on backup." } else { "" };
        if t.down {
            out.push_str(&format!(
                ". {} active and {} backup servers left.{} {} sessions active, {} requeued, {} remaining in queue",
                t.active, t.backup, on_backup, t.cur_sess, t.xferred, t.queue
            ));
        } else {
            out.push_str(&format!(
                ". {} active and {} backup servers online.{} {} sessions requeued, {} total in queue",
                t.active, t.backup, on_backup, t.xferred, t.queue
            ));
        }
    }
}

/// Build the log line for one event; `None` for events that log nothing.
pub fn render(n: &Names, ev: &Event) -> Option<Line> {
    let srv = format!("{}Server {}/{}", if n.backup { "Backup " } else { "" }, n.backend, n.server);
    let (level, text) = match ev {
        Event::CheckReport { agent, result, info, health, uweight } => {
            let mut t = format!(
                "{} check for {}server {}/{} {}{}",
                if *agent { "Agent" } else { "Health" },
                if n.backup { "backup " } else { "" },
                n.backend,
                n.server,
                if *result == CheckResult::CondPass { "conditionally " } else { "" },
                if matches!(result, CheckResult::Passed | CheckResult::CondPass) { "succeeded" } else { "failed" }
            );
            check_info(&mut t, info);
            let (a, b) = health.fraction();
            let word = if health.is_up() {
                if *uweight > 0 {
                    "UP"
                } else {
                    "DRAIN"
                }
            } else {
                "DOWN"
            };
            t.push_str(&format!(", status: {a}/{b} {word}"));
            (LOG_NOTICE, t)
        }
        Event::Op { to, reason, via, tail, alert } => {
            let what = match to {
                OpState::Stopped => "is DOWN",
                OpState::Stopping => "is stopping",
                _ => "is UP",
            };
            let mut t = format!("{srv} {what}");
            append_status(&mut t, reason, via, Some(tail));
            (if *alert { LOG_ALERT } else { LOG_NOTICE }, t)
        }
        Event::MaintWasDown { via } => {
            let mut t = format!("{srv} was DOWN and now enters maintenance");
            append_status(&mut t, &Reason::None, via, None);
            (LOG_NOTICE, t)
        }
        Event::MaintGoingDown { via, tail, alert } => {
            let mut t = format!("{srv} is going DOWN for maintenance");
            append_status(&mut t, &Reason::None, via, Some(tail));
            (if *alert { LOG_ALERT } else { LOG_NOTICE }, t)
        }
        Event::MaintLeave { inherited, up, drain } => (
            LOG_NOTICE,
            format!(
                "{srv} is {}/{} (leaving {}maintenance)",
                if *up { "UP" } else { "DOWN" },
                if *drain { "DRAIN" } else { "READY" },
                if *inherited { "" } else { "forced " }
            ),
        ),
        Event::MaintRemainsVia { via } => {
            let mut t = format!("{srv} is leaving forced maintenance but remains in maintenance");
            if let Some(v) = via {
                t.push_str(&format!(" via {v}"));
            }
            (LOG_NOTICE, t)
        }
        Event::MaintRemainsForced => (LOG_NOTICE, format!("{srv} remains in forced maintenance")),
        Event::DrainEnter { via, tail } => {
            let mut t = format!("{srv} enters drain state");
            append_status(&mut t, &Reason::None, via, Some(tail));
            (LOG_NOTICE, t)
        }
        Event::DrainLeave { up } => {
            (LOG_NOTICE, format!("{srv} is {} (leaving forced drain)", if *up { "UP" } else { "DOWN" }))
        }
        Event::DrainRemainsVia { via } => {
            let mut t = format!("{srv} is leaving forced drain but remains in drain mode");
            if let Some(v) = via {
                t.push_str(&format!(" via {v}"));
            }
            (LOG_NOTICE, t)
        }
        Event::DrainRemainsForced => (LOG_NOTICE, format!("{srv} remains in forced drain mode")),
        Event::BackendDown => {
            let pid = std::process::id();
            return Some(Line {
                level: LOG_EMERG,
                text: format!("{} {} has no server available!", n.backend_kind, n.backend),
                stderr: format!("[ALERT]    ({pid}) : {} '{}' has no server available!", n.backend_kind, n.backend),
            });
        }
        Event::Propagate(_) => return None,
    };
    let text = format!("{text}.");
    let stderr = format!("[WARNING]  ({}) : {text}", std::process::id());
    Some(Line { level, text, stderr })
}

/// The names of a backend's server, for rendering.
pub fn names<'a>(be: &'a Backend, srv: usize, st: &ServerState) -> Names<'a> {
    Names {
        backend: &be.name,
        backend_kind: be.spec.caps.type_name(),
        server: &be.servers[srv].name,
        backup: st.backup,
    }
}

/// Send lines to the backend's log targets and, unless quiet, to stderr.
pub fn emit(eng: &Engine, be: &Backend, lines: &[Line]) {
    if lines.is_empty() {
        return;
    }
    let targets = be
        .log_targets
        .get_or_init(|| eng.log.targets_for(&be.spec.log.targets, be.spec.log.disabled, be.spec.log.tag.as_deref()));
    for l in lines {
        if STDERR.load(Ordering::Relaxed) {
            eprintln!("{}", l.stderr);
        }
        eng.log.emit(targets, l.level, &l.text);
    }
}

/// Apply an operation to server `srv` of backend `be`: update the state under the backend's
/// lock, log what HAProxy logs, and pass changes on to the servers tracking this one, in
/// HAProxy's order (the most recently declared tracker first, depth first).
pub fn apply(eng: &Engine, be: usize, srv: usize, op: ServerOp, cause: Cause) -> Transition {
    let backend = &eng.backends[be];
    let track_op = backend.track_of(srv).map(|t| eng.backends[t.backend].with_state(t.server, |s| s.op));
    let t = backend.apply_ctx(srv, &op, cause, unix_now(), track_op);
    let trackers = backend.trackers_of(srv);
    for ev in &t.events {
        match ev {
            Event::Propagate(p) => {
                for &(tb, ts) in trackers.iter() {
                    apply(eng, tb, ts, ServerOp::Track(p.clone()), Cause::Tracked);
                }
            }
            ev => {
                if let Some(line) = render(&names(backend, srv, &t.after), ev) {
                    if let (Some(mail), Some(level)) = (&eng.email_alerts[be], super::email::level_of(ev, line.level)) {
                        mail.send(level, &line.text);
                    }
                    emit(eng, backend, &[line]);
                }
            }
        }
    }
    if t.shutdown_sessions {
        backend.servers[srv].kill_sessions(b'D');
    }
    if t.shutdown_backup_sessions {
        for (i, s) in backend.servers.iter().enumerate() {
            if backend.state(i).backup {
                s.kill_sessions(b'U');
            }
        }
    }
    if t.wake_check {
        backend.servers[srv].check_wake.notify_one();
    }
    if t.after.op == OpState::Starting && t.before.op != OpState::Starting {
        if let Some(hook) = eng.on_starting.get() {
            hook(be, srv);
        }
    }
    t
}

/// Once all backends exist: link tracking servers and install the passive-check hooks.
pub fn init(eng: &Arc<Engine>) {
    link_tracking(eng);
    for b in &eng.backends {
        let weak = Arc::downgrade(eng);
        let be = b.idx;
        let _ = b.observer.set(Box::new(move |srv, what| {
            if let Some(eng) = weak.upgrade() {
                apply(&eng, be, srv, ServerOp::Observe(what), Cause::Observe);
            }
        }));
    }
}

/// Link tracking servers to the servers they track (HAProxy's `srv_apply_track`), and give
/// trackers the inherited maintenance/drain of their target.
pub fn link_tracking(eng: &Engine) {
    let mut trackers: std::collections::HashMap<(usize, usize), Vec<(usize, usize)>> = Default::default();
    for (bi, b) in eng.backends.iter().enumerate() {
        for (si, s) in b.servers.iter().enumerate() {
            let Some(track) = &s.spec.opts.track else { continue };
            let (pname, sname) = match track.split_once('/') {
                Some((p, s)) => (p, s),
                None => (b.name.as_str(), track.as_str()),
            };
            let Some(tb) = eng.backend(pname) else { continue };
            let Some(ts) = tb.servers.iter().position(|x| x.name == sname) else { continue };
            let r = TrackRef { backend: tb.idx, server: ts, name: format!("{}/{}", tb.name, sname).into() };
            b.set_track(si, r);
            trackers.entry((tb.idx, ts)).or_default().insert(0, (bi, si));
        }
    }
    for ((tb, ts), list) in trackers {
        let _ = eng.backends[tb].servers[ts].trackers.set(list);
    }
    // Inherited admin states at startup (no logs, as during HAProxy's startup).
    for b in &eng.backends {
        for si in 0..b.servers.len() {
            let Some(t) = b.track_of(si) else { continue };
            let mut cur = t.clone();
            // Follow the chain to its end: that server's admin state is what is inherited.
            for _ in 0..64 {
                match eng.backends[cur.backend].track_of(cur.server) {
                    Some(n) => cur = n.clone(),
                    None => break,
                }
            }
            let target = eng.backends[cur.backend].state(cur.server);
            b.inherit_at_start(si, &target);
        }
    }
}

/// The rendered lines of a transition, for tests and tools (propagations are left out).
pub fn lines(be: &str, kind: &str, srv: &str, t: &Transition) -> Vec<Line> {
    let n = Names { backend: be, backend_kind: kind, server: srv, backup: t.after.backup };
    t.events.iter().filter_map(|e| render(&n, e)).collect()
}

/// Describe a propagation, for debugging.
pub fn describe(op: &TrackOp) -> &'static str {
    match op {
        TrackOp::Stopped => "stopped",
        TrackOp::Running => "running",
        TrackOp::Stopping => "stopping",
        TrackOp::SetAdmin(_) => "set-admin",
        TrackOp::ClrAdmin(_) => "clear-admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::state::{CheckStatus, Health};

    fn n() -> Names<'static> {
        Names { backend: "be", backend_kind: "backend", server: "s1", backup: false }
    }

    #[test]
    fn down_line() {
        let ev = Event::Op {
            to: OpState::Stopped,
            reason: Reason::Check(CheckInfo {
                status: CheckStatus::L4Con,
                code: 0,
                desc: "Connection refused".into(),
                duration: 0,
            }),
            via: None,
            tail: Tail { down: true, active: 0, backup: 1, cur_sess: 0, xferred: 0, queue: 0 },
            alert: true,
        };
        let l = render(&n(), &ev).unwrap();
        assert_eq!(l.level, LOG_ALERT);
        assert_eq!(
            l.text,
            "Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
    }

    #[test]
    fn up_line_with_code() {
        let ev = Event::Op {
            to: OpState::Running,
            reason: Reason::Check(CheckInfo { status: CheckStatus::L7Ok, code: 200, desc: String::new(), duration: 1 }),
            via: None,
            tail: Tail { down: false, active: 1, backup: 0, cur_sess: 0, xferred: 0, queue: 0 },
            alert: false,
        };
        assert_eq!(
            render(&n(), &ev).unwrap().text,
            "Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
        );
    }

    #[test]
    fn report_line() {
        let ev = Event::CheckReport {
            agent: false,
            result: CheckResult::Failed,
            info: CheckInfo { status: CheckStatus::L4Con, code: 0, desc: "Connection refused".into(), duration: 0 },
            health: Health { health: 3, rise: 2, fall: 2 },
            uweight: 1,
        };
        assert_eq!(
            render(&Names { backend: "be2", server: "c1", ..n() }, &ev).unwrap().text,
            "Health check for server be2/c1 failed, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms, status: 2/2 UP."
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(ascii_encode("a\"b<c>\r\n\u{e9}"), "a<22>b<3C>c<3E><0D><0A><C3><A9>");
    }

    #[test]
    fn backend_down() {
        let l = render(&Names { backend_kind: "proxy", backend: "l1", ..n() }, &Event::BackendDown).unwrap();
        assert_eq!((l.level, l.text.as_str()), (LOG_EMERG, "proxy l1 has no server available!"));
        assert!(l.stderr.ends_with(") : proxy 'l1' has no server available!"));
    }
}

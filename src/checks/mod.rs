//! Active checks, agent checks and slow start at run time. One task per configured check
//! (health or agent) runs its rule set on HAProxy's schedule and hands each result to
//! `engine::events::apply`, the single writer of server state; a warmup task ramps the weight of
//! a server in slow start. Imports the IR and the engine's public handle only.

pub mod agent;
pub mod connector;
pub mod expect;
pub mod http;
pub mod poller;
pub mod probe;
pub mod rules;
pub mod schedule;

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use crate::engine::state::{Cause, OpState, ServerOp, ServerState, WEIGHT_SCALE};
use crate::engine::{events, Engine};
use connector::{Shared, SpareBudget};
use poller::Poller;
use probe::{Finish, Probe, Target};
use schedule::{Deadlines, Intervals, Jitter};

/// The origin of the grid checks are coalesced on (see [`schedule::coalesce`]).
static CHECK_CLOCK_ORIGIN: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

/// Default `inter` (HAProxy's DEF_CHKINTR).
const DEFAULT_INTER: u64 = 2000;

/// Start every configured check and the slow-start machinery. Call once, inside the runtime.
pub fn start(eng: &Arc<Engine>) {
    if eng.config.global.quiet {
        events::set_stderr(false);
    }
    let weak = Arc::downgrade(eng);
    let _ = eng.on_starting.set(Box::new(move |be, srv| {
        if let Some(eng) = weak.upgrade() {
            tokio::spawn(warmup(Arc::downgrade(&eng), be, srv));
        }
    }));
    // Without the checks' own poller (no descriptor left for it), connections go through
    // tokio's reactor: same results, a few more system calls.
    let nofile = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).map_or(1024, |l| l.0);
    let maxconn = u64::from(eng.global_maxconn.load(std::sync::atomic::Ordering::Relaxed));
    let conns = Poller::start()
        .map(|poller| Shared { poller, budget: Arc::new(SpareBudget::for_limits(nofile, maxconn)) })
        .map_err(|e| tracing::warn!("check poller unavailable: {e}"))
        .ok();
    let weak = Arc::downgrade(eng);
    let added = conns.clone();
    let _ = eng.on_server_added.set(Box::new(move |be, srv| {
        if let Some(eng) = weak.upgrade() {
            start_server(&eng, be, srv, added.clone());
        }
    }));
    let mut list = Vec::new();
    for (bi, b) in eng.backends.iter().enumerate() {
        if b.spec.disabled {
            continue;
        }
        for si in 0..b.servers.len() {
            let st = b.state(si);
            if st.check.configured {
                list.push((
                    bi,
                    si,
                    false,
                    intervals(eng, bi, si, false).get(&st.check.health, st.op == OpState::Stopped),
                ));
            }
            if st.agent.configured {
                list.push((
                    bi,
                    si,
                    true,
                    intervals(eng, bi, si, true).get(&st.agent.health, st.op == OpState::Stopped),
                ));
            }
        }
    }
    let count = list.len();
    let gmin = schedule::global_min(list.iter().map(|c| c.3));
    let spread_pct = eng.config.global.spread_checks.unwrap_or(0);
    let max_spread = eng.config.global.max_spread_checks.map(u64::from);
    let mut jitter = Jitter::new(seed());
    // One compiled health rule set per backend, shared by its servers' checks.
    let mut shared: std::collections::HashMap<usize, Arc<rules::Ruleset>> = std::collections::HashMap::new();
    for (pos, (bi, si, agent, own)) in list.into_iter().enumerate() {
        let shift = schedule::spread(own, spread_pct, jitter.sample());
        let first = schedule::first_delay(gmin, own, pos, count, shift, max_spread);
        let rules = if agent {
            Arc::new(rules::agent_ruleset(eng.backends[bi].servers[si].check_params.load().agent_send.as_deref()))
        } else {
            shared.entry(bi).or_insert_with(|| Arc::new(rules::health_ruleset(&eng.backends[bi].spec.checks))).clone()
        };
        tokio::spawn(run_check(Arc::downgrade(eng), bi, si, agent, rules, Duration::from_millis(first), conns.clone()));
    }
}

/// Start the check tasks of a server added at run time; they run once `enable health` /
/// `enable agent` enable them.
fn start_server(eng: &Arc<Engine>, be: usize, srv: usize, conns: Option<Shared>) {
    let b = &eng.backends[be];
    let st = b.state(srv);
    for (agent, c) in [(false, &st.check), (true, &st.agent)] {
        if !c.configured {
            continue;
        }
        let rules = if agent {
            Arc::new(rules::agent_ruleset(b.servers[srv].check_params.load().agent_send.as_deref()))
        } else {
            Arc::new(rules::health_ruleset(&b.spec.checks))
        };
        // The first check comes one interval after the server was added, as in HAProxy.
        let first = intervals(eng, be, srv, agent).get(&c.health, st.op == OpState::Stopped);
        tokio::spawn(run_check(
            Arc::downgrade(eng),
            be,
            srv,
            agent,
            rules,
            Duration::from_millis(first),
            conns.clone(),
        ));
    }
}

fn seed() -> u64 {
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    t ^ u64::from(std::process::id()).rotate_left(32)
}

fn intervals(eng: &Engine, be: usize, srv: usize, agent: bool) -> Intervals {
    let o = &eng.backends[be].servers[srv].spec.opts;
    let inter = o.inter.map(u64::from).filter(|v| *v > 0).unwrap_or(DEFAULT_INTER);
    if agent {
        return Intervals {
            inter: o.agent_inter.map(u64::from).filter(|v| *v > 0).unwrap_or(inter),
            fastinter: None,
            downinter: None,
        };
    }
    Intervals {
        inter,
        fastinter: o.fastinter.map(u64::from).filter(|v| *v > 0),
        downinter: o.downinter.map(u64::from).filter(|v| *v > 0),
    }
}

fn parse_ip_port(a: &str) -> Option<(std::net::IpAddr, Option<u16>)> {
    if let Ok(sa) = a.parse::<std::net::SocketAddr>() {
        return Some((sa.ip(), Some(sa.port()).filter(|p| *p > 0)));
    }
    if let Ok(ip) = a.parse() {
        return Some((ip, None));
    }
    let (h, p) = a.rsplit_once(':')?;
    Some((h.parse().ok()?, p.parse().ok()))
}

fn target(eng: &Engine, be: usize, srv: usize, agent: bool) -> Target {
    let s = &eng.backends[be].servers[srv];
    let addr = s.addr.load();
    let svc_port = match addr.port {
        crate::ir::addr::PortSpec::Fixed(p) => Some(p),
        _ => None,
    };
    // The runtime API may have changed these since the configuration was read.
    let p = s.check_params.load();
    let check_addr = p.check_addr.as_deref().and_then(parse_ip_port);
    if agent {
        let agent_addr = p.agent_addr.as_deref().and_then(parse_ip_port).or(check_addr);
        return Target { ip: addr.ip, svc_port, check_port: p.agent_port, check_addr: agent_addr.map(|a| (a.0, None)) };
    }
    Target { ip: addr.ip, svc_port, check_port: p.check_port.filter(|p| *p > 0), check_addr }
}

/// The PROXY header settings of a server's health checks, as HAProxy fixes them at start.
fn check_proxy(eng: &Engine, be: usize, srv: usize) -> probe::CheckProxy {
    let o = &eng.backends[be].servers[srv].spec.opts;
    let how = crate::engine::proxy::pp::encode::SendProxy::of(o);
    probe::CheckProxy {
        how,
        on_default: o.check_send_proxy || (how.enabled() && o.check_port.is_none() && o.check_addr.is_none()),
        never_local: eng.config.global.pp2_never_send_local,
    }
}

/// `http-check send-state`: the `X-Haproxy-Server-State` value (`httpchk_build_status_header`).
pub fn state_header(eng: &Engine, be: usize, srv: usize, st: &ServerState, now: u64) -> String {
    let b = &eng.backends[be];
    let s = &b.servers[srv];
    let h = st.check.health;
    let (n, m) =
        if st.op != OpState::Stopped { (h.health.saturating_sub(h.rise) + 1, h.fall) } else { (h.health, h.rise) };
    let state = if !st.check.enabled {
        "no check".to_string()
    } else if st.op != OpState::Stopped {
        let base = if st.op == OpState::Stopping { "NOLB" } else { "UP" };
        if h.is_full() {
            base.to_string()
        } else {
            format!("{base} {n}/{m}")
        }
    } else if h.health > 0 {
        format!("DOWN {n}/{m}")
    } else {
        "DOWN".to_string()
    };
    let addr = s.addr.load();
    let ip = addr.ip.map(|i| i.to_string()).unwrap_or_default();
    let port = match addr.port {
        crate::ir::addr::PortSpec::Fixed(p) => p.to_string(),
        _ => "0".into(),
    };
    let node = eng.config.global.node.clone().unwrap_or_else(crate::config::env::hostname);
    let states = b.states();
    let active = states.iter().any(|x| x.counts_as_up() && !x.backup);
    let tot: u32 = states.iter().filter(|x| x.counts_as_up() && x.backup != active).map(|x| x.eweight()).sum();
    let mut out = format!(
        "{state}; address={ip}; port={port}; name={}/{}; node={node}; weight={}/{}; scur={}/{}; qcur=0",
        b.name,
        s.name,
        st.eweight().div_ceil(WEIGHT_SCALE),
        tot.div_ceil(WEIGHT_SCALE),
        s.cur_conns.load(std::sync::atomic::Ordering::Relaxed),
        b.counters.sessions.get().saturating_sub(b.queued.get()),
    );
    if st.op == OpState::Starting
        && st.slowstart > 0
        && now >= st.last_change
        && now < st.last_change + u64::from(st.slowstart)
    {
        let ratio = (100 * (now - st.last_change) / u64::from(st.slowstart)).max(1);
        out.push_str(&format!("; throttle={ratio}%"));
    }
    out
}

/// One check's life: wait, run, report, reschedule.
async fn run_check(
    weak: Weak<Engine>,
    be: usize,
    srv: usize,
    agent: bool,
    rules: Arc<rules::Ruleset>,
    first: Duration,
    conns: Option<Shared>,
) {
    let Some(eng) = weak.upgrade() else { return };
    let b = &eng.backends[be];
    let mut rules = rules;
    let mut agent_send = b.servers[srv].check_params.load().agent_send.clone();
    let iv = intervals(&eng, be, srv, agent);
    let deadlines = Deadlines {
        inter: iv.inter,
        connect: b.spec.timeouts.connect.map(u64::from),
        check: b.spec.timeouts.check.map(u64::from),
    };
    let spread_pct = eng.config.global.spread_checks.unwrap_or(0);
    let mut jitter = Jitter::new(seed() ^ ((be as u64) << 20) ^ srv as u64);
    let cause = if agent { Cause::Agent } else { Cause::Health };
    drop(eng);
    let mut next = Instant::now() + first;
    // This check's connections (and its idle socket between runs).
    let connector = conns.map(|s| s.connector());
    // An observed error (`observe`) brings the next health check forward to `fastinter`; with
    // no `fastinter` it changes nothing, and the check does not wait for it (registering a
    // waiter on every run costs more than the rest of the scheduling).
    let observed = if agent { None } else { iv.fastinter };
    loop {
        if let Some(fast) = observed {
            let Some(eng) = weak.upgrade() else { return };
            let server = eng.backends[be].servers[srv].clone();
            drop(eng);
            tokio::select! {
                _ = sleep_until(next) => {}
                _ = server.check_wake.notified() => {
                    next = next.min(Instant::now() + Duration::from_millis(fast));
                    continue;
                }
            }
        } else {
            sleep_until(next).await;
        }
        let Some(eng) = weak.upgrade() else { return };
        if eng.is_stopping() {
            return;
        }
        let b = &eng.backends[be];
        let (active, stopped) =
            b.with_state(srv, |s| (if agent { &s.agent } else { &s.check }.active(), s.op == OpState::Stopped));
        if !active {
            let now = Instant::now();
            let mut n = next;
            while n <= now {
                n += Duration::from_millis(iv.inter.max(1));
            }
            next = n;
            continue;
        }
        if agent {
            // `set server ... agent-send` changes what the next agent check sends.
            let now_send = b.servers[srv].check_params.load().agent_send.clone();
            if now_send != agent_send {
                rules = Arc::new(rules::agent_ruleset(now_send.as_deref()));
                agent_send = now_send;
            }
        }
        b.check_started(srv, agent);
        let state_header = (!agent && b.spec.checks.send_state)
            .then(|| state_header(&eng, be, srv, &b.state(srv), crate::engine::unix_now()));
        let probe = Probe {
            rules: &rules,
            target: target(&eng, be, srv, agent),
            deadlines,
            disable_404: b.spec.checks.disable_on_404 && !stopped,
            state_header,
            connector: connector.as_ref(),
            source: b.source_of(&b.servers[srv]),
            proxy: if agent { Default::default() } else { check_proxy(&eng, be, srv) },
        };
        let finish = probe::run(probe).await;
        let op = match finish {
            Finish::Outcome(outcome) => ServerOp::CheckResult { agent, outcome },
            Finish::Agent { reply, duration } => ServerOp::Agent { reply, duration },
        };
        let t = events::apply(&eng, be, srv, op, cause.clone());
        let st = t.after;
        let c = if agent { &st.agent } else { &st.check };
        let interval = iv.get(&c.health, st.op == OpState::Stopped);
        let shift = schedule::spread(interval, spread_pct, jitter.sample());
        let origin = *CHECK_CLOCK_ORIGIN;
        let due = Instant::now().saturating_duration_since(origin).as_millis() as u64
            + (interval as i64 + shift).max(0) as u64;
        next = origin + Duration::from_millis(schedule::coalesce(due, interval));
    }
}

/// Slow start: every second, recompute the weight until the server is fully up.
async fn warmup(weak: Weak<Engine>, be: usize, srv: usize) {
    loop {
        let period = {
            let Some(eng) = weak.upgrade() else { return };
            let st = eng.backends[be].state(srv);
            if st.op != OpState::Starting {
                return;
            }
            // HAProxy: MAX(1000, slowstart / 20) with slowstart in seconds, i.e. every second.
            Duration::from_millis(1000.max(u64::from(st.slowstart) / 20))
        };
        tokio::time::sleep(period).await;
        let Some(eng) = weak.upgrade() else { return };
        let t = events::apply(&eng, be, srv, ServerOp::Warmup, Cause::Health);
        if t.after.op != OpState::Starting {
            return;
        }
    }
}

//! `show stat` rows from the running engine, field by field as HAProxy 2.6's
//! `stats_fill_fe_stats`, `stats_fill_sv_stats` and `stats_fill_be_stats` fill them: which
//! fields a frontend, backend or server row has, when a field stays empty (checks not enabled,
//! tcp mode, user level), and how statuses and weights are computed. Rates are read at the
//! time of the dump; timing averages over the samples seen, up to HAProxy's 1024.

use std::sync::atomic::Ordering::Relaxed;

use super::col::*;
use super::fields::{ObjType, STAT_STATIC};
use super::{Row, Value};
use crate::engine::backend::Backend;
use crate::engine::counters::Counters;
use crate::engine::state::{CheckState, CheckStatus, OpState, ServerState, WEIGHT_SCALE};
use crate::engine::{unix_now, Engine, Frontend};
use crate::ir::addr::PortSpec;
use crate::ir::types::{Balance, Mode, Proxy};

/// `show stat` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// Only this proxy id (`<iid>` of `show stat <iid> <type> <sid>`).
    pub iid: Option<i64>,
    /// Bit mask of row types: 1 frontend, 2 backend, 4 server, 8 listener.
    pub types: i64,
    /// Only this server id; -1 for all.
    pub sid: i64,
    /// `up`: leave out servers that are down or in maintenance.
    pub hide_down: bool,
    /// `no-maint`: leave out servers in maintenance.
    pub hide_maint: bool,
    /// Addresses and cookies are shown to operator and admin levels only.
    pub show_legends: bool,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter { iid: None, types: -1, sid: -1, hide_down: false, hide_maint: false, show_legends: true }
    }
}

/// ssl (3), h2 (13), h1 (8) module fields follow the static ones.
const SSL_FIELDS: usize = 3;
const H2H1_FIELDS: usize = 21;

fn mode_str(p: &Proxy) -> &'static str {
    match p.mode {
        Mode::Http => "http",
        _ => "tcp",
    }
}

/// `backend_lb_algo_str`.
pub fn algo_str(b: &Balance) -> &'static str {
    match b {
        Balance::RoundRobin => "roundrobin",
        Balance::StaticRr => "static-rr",
        Balance::LeastConn => "leastconn",
        Balance::First => "first",
        Balance::Source => "source",
        Balance::Uri { .. } => "uri",
        Balance::UrlParam { .. } => "url_param",
        Balance::Hdr { .. } => "hdr",
        Balance::Random { .. } => "random",
        Balance::Rdp { .. } => "rdp-cookie",
        Balance::Hash { .. } => "hash",
    }
}

fn http_fields(r: &mut Row, c: &Counters) {
    for (i, n) in c.http.by_class.iter().enumerate() {
        r.set(HRSP_1XX + i, n.get());
    }
}

fn module_fields(r: &mut Row, h2h1: bool) {
    for i in 0..SSL_FIELDS {
        r.set(STAT_STATIC + i, 0u64);
    }
    if h2h1 {
        for i in 0..H2H1_FIELDS {
            r.set(STAT_STATIC + SSL_FIELDS + i, 0u64);
        }
    }
}

/// qtime..ttime and qtime_max..ttime_max; `samples` is the requests (HTTP) or load-balanced
/// connections (TCP) seen, which sizes the averaging window until it reaches 1024.
fn time_fields(r: &mut Row, c: &Counters, samples: u64) {
    for (i, t) in c.times.all().into_iter().enumerate() {
        r.set(QTIME + i, t.avg(samples));
        r.set(QT_MAX + i, t.max());
    }
}

fn last_session(c: &Counters, now: u64) -> i64 {
    match c.last_session.load(Relaxed) {
        0 => -1,
        t => now.saturating_sub(t) as i64,
    }
}

/// The frontend row.
pub fn frontend_row(eng: &Engine, fe: &Frontend) -> Row {
    let p = &fe.spec;
    let c = &fe.counters;
    let http = p.mode == Mode::Http;
    let mut r = Row::new(ObjType::Frontend, fe.id, 0);
    r.set(PXNAME, p.name.as_str());
    r.set(SVNAME, "FRONTEND");
    r.set(SCUR, c.sessions.get());
    r.set(SMAX, c.sessions.max());
    r.set(SLIM, fe.maxconn.load(Relaxed));
    r.set(STOT, c.total.get());
    r.set(BIN, c.bytes_in.get());
    r.set(BOUT, c.bytes_out.get());
    r.set(DREQ, c.denied_req.get());
    r.set(DRESP, c.denied_resp.get());
    r.set(EREQ, c.req_errors.get());
    let status = if fe.disabled.load(Relaxed) || fe.stopped.load(Relaxed) || eng.is_stopping() {
        "STOP"
    } else if fe.paused.load(Relaxed) {
        "PAUSED"
    } else {
        "OPEN"
    };
    r.set(STATUS, status);
    r.set(PID, 1u32);
    r.set(IID, fe.id);
    r.set(SID, 0u32);
    r.set(TYPE, 0u32);
    let tick = crate::engine::stick::now_ms();
    r.set(RATE, c.sess_rate.read(tick));
    r.set(RATE_LIM, 0u32);
    r.set(RATE_MAX, c.sess_rate.max());
    http_fields(&mut r, c);
    // The request counters are shown (as 0) by tcp frontends too; intercepted is HTTP only.
    r.set(REQ_RATE, c.req_rate.read(tick));
    r.set(REQ_RATE_MAX, c.req_rate.max());
    r.set(REQ_TOT, c.requests.get());
    if !http {
        for i in 0..6 {
            r.set(HRSP_1XX + i, Value::Empty);
        }
    }
    for i in 0..4 {
        r.set(COMP_IN + i, 0u64);
    }
    r.set(MODE, mode_str(p));
    r.set(CONN_RATE, c.conn_rate.read(tick));
    r.set(CONN_RATE_MAX, c.conn_rate.max());
    r.set(CONN_TOT, c.connections.get());
    if http {
        r.set(INTERCEPTED, c.intercepted.get());
    }
    r.set(DCON, 0u64);
    r.set(DSES, 0u64);
    r.set(WREW, 0u64);
    if http {
        r.set(CACHE_LOOKUPS, 0u64);
        r.set(CACHE_HITS, 0u64);
    }
    r.set(EINT, 0u64);
    module_fields(&mut r, true);
    r
}

/// The server at the end of a tracking chain (HAProxy's `ref`).
fn chain_end(eng: &Engine, st: &ServerState) -> Option<ServerState> {
    let mut cur = st.track.clone()?;
    for _ in 0..64 {
        let s = eng.backends.get(cur.backend)?.state(cur.server);
        match s.track.clone() {
            Some(n) => cur = n,
            None => return Some(s),
        }
    }
    None
}

/// `check_state` of the typed and CSV check columns: enabled and not paused by maintenance.
fn check_shown(c: &CheckState) -> bool {
    c.configured && c.enabled && !c.paused
}

fn check_status_text(c: &CheckState) -> String {
    let s = c.status.info();
    if c.running {
        format!("* {s}")
    } else {
        s.to_string()
    }
}

/// Seconds a server has been down in total (`srv_downtime`).
fn downtime(st: &ServerState, now: u64) -> u64 {
    if st.op != OpState::Stopped || st.last_change >= now {
        st.counters.down_time
    } else {
        now - st.last_change + st.counters.down_time
    }
}

/// HAProxy's estimate of the connections a server needs: its health checks' connections count
/// as used ones, so a checked server reads at least 1 once a check ran.
pub fn est_need_conns(st: &ServerState, c: &Counters) -> u32 {
    let check_ran = st.check.configured && !matches!(st.check.status, CheckStatus::Unknown | CheckStatus::Ini);
    (c.sessions.max() as u32).max(u32::from(check_ran))
}

/// A server's address as `show stat` prints it.
pub fn addr_text(srv: &crate::engine::backend::Server) -> Option<String> {
    let a = srv.addr.load();
    let ip = a.ip?;
    let port = match a.port {
        PortSpec::Fixed(p) => p as i64,
        PortSpec::Offset(o) => o as i64,
        _ => 0,
    };
    Some(match ip {
        std::net::IpAddr::V4(v) => format!("{v}:{port}"),
        std::net::IpAddr::V6(v) => format!("[{v}]:{port}"),
    })
}

/// One server row.
pub fn server_row(eng: &Engine, be: &Backend, idx: usize, st: &ServerState, f: &Filter, now: u64) -> Row {
    let srv = &be.servers[idx];
    let p = &be.spec;
    let c = &srv.counters;
    let http = p.mode == Mode::Http;
    let end = chain_end(eng, st);
    let r_st = end.as_ref().unwrap_or(st);
    let mut r = Row::new(ObjType::Server, be.id, srv.id);
    r.set(PXNAME, p.name.as_str());
    r.set(SVNAME, srv.name.as_str());
    r.set(QCUR, c.queue.get());
    r.set(QMAX, c.queue.max());
    r.set(SCUR, c.sessions.get());
    r.set(SMAX, c.sessions.max());
    if st.maxconn > 0 {
        r.set(SLIM, st.maxconn);
    }
    r.set(STOT, c.total.get());
    r.set(BIN, c.bytes_in.get());
    r.set(BOUT, c.bytes_out.get());
    r.set(DRESP, c.denied_resp.get());
    r.set(ECON, c.conn_errors.get());
    r.set(ERESP, c.resp_errors.get());
    r.set(WRETR, c.retries.get());
    r.set(WREDIS, c.redispatches.get());
    r.set(STATUS, st.status_text(end.as_ref()));
    r.set(WEIGHT, st.shown_weight());
    r.set(ACT, u32::from(!st.backup));
    r.set(BCK, u32::from(st.backup));
    if st.check.enabled {
        r.set(CHKFAIL, st.counters.failed_checks);
        r.set(CHKDOWN, st.counters.down_trans);
    }
    r.set(LASTCHG, now.saturating_sub(st.last_change) as u32);
    if st.check.enabled {
        r.set(DOWNTIME, downtime(st, now) as u32);
    }
    if let Some(q) = srv.spec.opts.maxqueue.filter(|q| *q > 0) {
        r.set(QLIMIT, q);
    }
    r.set(PID, 1u32);
    r.set(IID, be.id);
    r.set(SID, srv.id);
    if let Some(t) = st.throttle().filter(|_| !st.in_drain()) {
        r.set(THROTTLE, t);
    }
    r.set(LBTOT, c.lb_total.get());
    if let Some(t) = &st.track {
        r.set(TRACKED, t.name.to_string());
    }
    r.set(TYPE, 2u32);
    r.set(RATE, c.sess_rate.read(crate::engine::stick::now_ms()));
    r.set(RATE_MAX, c.sess_rate.max());
    if check_shown(&st.check) {
        r.set(CHECK_STATUS, check_status_text(&st.check));
        if st.check.status.has_code() {
            r.set(CHECK_CODE, st.check.code as u32);
        }
        if st.check.status as u8 >= CheckStatus::Checked as u8 {
            r.set(CHECK_DURATION, st.check.duration.max(0) as u64);
        }
        r.set(CHECK_DESC, st.check.status.desc());
        r.set(LAST_CHK, st.check.desc.as_str());
        r.set(CHECK_RISE, r_st.check.health.rise);
        r.set(CHECK_FALL, r_st.check.health.fall);
        r.set(CHECK_HEALTH, r_st.check.health.health);
    }
    if check_shown(&st.agent) {
        r.set(AGENT_STATUS, check_status_text(&st.agent));
        if st.agent.status.has_code() {
            r.set(AGENT_CODE, st.agent.code as u32);
        }
        r.set(AGENT_DURATION, st.agent.duration.max(0) as u64);
        r.set(AGENT_DESC, st.agent.status.desc());
        r.set(LAST_AGT, st.agent.desc.as_str());
        r.set(AGENT_RISE, st.agent.health.rise);
        r.set(AGENT_FALL, st.agent.health.fall);
        r.set(AGENT_HEALTH, st.agent.health.health);
    }
    if http {
        // Every HTTP request is a session of its own on the server side.
        r.set(REQ_TOT, c.requests.get().max(c.total.get().saturating_sub(c.redirected.get())));
        http_fields(&mut r, c);
    }
    if r_st.observe.is_some() {
        r.set(HANAFAIL, st.counters.failed_hana);
    }
    r.set(CLI_ABRT, c.cli_aborts.get());
    r.set(SRV_ABRT, c.srv_aborts.get());
    r.set(LASTSESS, last_session(c, now));
    time_fields(&mut r, c, if http { c.requests.get().max(c.total.get()) } else { c.lb_total.get() });
    if f.show_legends {
        r.set(ADDR, addr_text(srv).map(Value::from).unwrap_or_default());
        if let Some(ck) = &srv.spec.opts.cookie {
            r.set(COOKIE, ck.as_str());
        }
    }
    r.set(MODE, mode_str(p));
    r.set(WREW, 0u64);
    r.set(CONNECT, c.total.get().saturating_sub(c.redirected.get()));
    r.set(REUSE, 0u64);
    let idle = srv.idle.len() as u32;
    r.set(SRV_ICUR, idle);
    if srv.dynamic {
        // Dynamic servers get no idle-connection pool (`max_idle_conns` 0) in 2.6.
        r.set(SRV_ICUR + 1, 0u32);
    }
    r.set(EINT, 0u64);
    for i in 0..=NEED_CONN_EST - IDLE_CONN_CUR {
        r.set(IDLE_CONN_CUR + i, 0u32);
    }
    r.set(IDLE_CONN_CUR, idle);
    r.set(NEED_CONN_EST, est_need_conns(st, c));
    r.set(UWEIGHT, st.uweight);
    module_fields(&mut r, false);
    r
}

/// The totals a backend row shows (`recount_servers` / `update_backend_weight`).
pub struct BackendTotals {
    pub act: u32,
    pub bck: u32,
    /// Effective weight, in HAProxy's scaled units.
    pub tot_weight: u32,
    pub tot_uweight: u32,
}

pub fn backend_totals(be: &Backend, states: &[ServerState]) -> BackendTotals {
    let usable = |s: &&ServerState| s.counts_as_up();
    let act: Vec<&ServerState> = states.iter().filter(|s| !s.backup).filter(usable).collect();
    let bck: Vec<&ServerState> = states.iter().filter(|s| s.backup).filter(usable).collect();
    let all_backups = be.spec.options.is_on("allbackups");
    let (tot_weight, tot_uweight) = if !act.is_empty() {
        (act.iter().map(|s| s.eweight()).sum(), act.iter().map(|s| s.uweight).sum())
    } else if !all_backups && !bck.is_empty() {
        (bck[0].eweight(), bck[0].uweight)
    } else {
        (bck.iter().map(|s| s.eweight()).sum(), bck.iter().map(|s| s.uweight).sum())
    };
    BackendTotals { act: act.len() as u32, bck: bck.len() as u32, tot_weight, tot_uweight }
}

/// The backend row. `nb` is (servers up, servers) for the `up` / `no-maint` variants.
pub fn backend_row(eng: &Engine, be: &Backend, states: &[ServerState], f: &Filter, now: u64) -> Row {
    let p = &be.spec;
    let c = &be.counters;
    let http = p.mode == Mode::Http;
    let t = backend_totals(be, states);
    let mut r = Row::new(ObjType::Backend, be.id, 0);
    r.set(PXNAME, p.name.as_str());
    r.set(SVNAME, "BACKEND");
    r.set(QCUR, be.queued.get());
    r.set(QMAX, be.queued.max());
    r.set(SCUR, c.sessions.get());
    r.set(SMAX, c.sessions.max());
    r.set(SLIM, be.fullconn());
    r.set(STOT, c.total.get());
    r.set(BIN, c.bytes_in.get());
    r.set(BOUT, c.bytes_out.get());
    r.set(DREQ, c.denied_req.get());
    r.set(DRESP, c.denied_resp.get());
    r.set(ECON, c.conn_errors.get());
    r.set(ERESP, c.resp_errors.get());
    r.set(WRETR, c.retries.get());
    r.set(WREDIS, c.redispatches.get());
    let mut status = if t.tot_weight > 0 || states.is_empty() { "UP".to_string() } else { "DOWN".to_string() };
    if f.hide_down || f.hide_maint {
        let up = states.iter().filter(|s| s.op != OpState::Stopped).count();
        status.push_str(&format!(" ({up}/{})", states.len()));
    }
    r.set(STATUS, status);
    r.set(WEIGHT, t.tot_weight.div_ceil(WEIGHT_SCALE));
    r.set(ACT, t.act);
    r.set(BCK, t.bck);
    r.set(CHKDOWN, 0u64);
    r.set(LASTCHG, now.saturating_sub(eng.started_unix) as u32);
    if !states.is_empty() {
        let down = t.tot_weight == 0;
        r.set(DOWNTIME, if down { now.saturating_sub(eng.started_unix) as u32 } else { 0u32 });
    }
    r.set(PID, 1u32);
    r.set(IID, be.id);
    r.set(SID, 0u32);
    r.set(LBTOT, c.lb_total.get());
    r.set(TYPE, 1u32);
    r.set(RATE, c.sess_rate.read(crate::engine::stick::now_ms()));
    r.set(RATE_MAX, c.sess_rate.max());
    if http {
        http_fields(&mut r, c);
        r.set(REQ_TOT, c.requests.get());
        r.set(CACHE_LOOKUPS, 0u64);
        r.set(CACHE_HITS, 0u64);
    }
    r.set(CLI_ABRT, c.cli_aborts.get());
    r.set(SRV_ABRT, c.srv_aborts.get());
    for i in 0..4 {
        r.set(COMP_IN + i, 0u64);
    }
    r.set(LASTSESS, last_session(c, now));
    time_fields(&mut r, c, if http { c.requests.get() } else { c.lb_total.get() });
    if f.show_legends {
        if let Some(ck) = &p.cookie {
            r.set(COOKIE, ck.name.as_str());
        }
    }
    r.set(MODE, mode_str(p));
    if f.show_legends {
        r.set(ALGO, algo_str(&p.balance));
    }
    r.set(WREW, 0u64);
    r.set(CONNECT, c.total.get().saturating_sub(c.redirected.get()));
    r.set(REUSE, 0u64);
    r.set(EINT, 0u64);
    r.set(UWEIGHT, t.tot_uweight);
    for i in AGG_SRV_STATUS..=AGG_CHECK_STATUS {
        r.set(i, 0u32);
    }
    module_fields(&mut r, true);
    r
}

/// Whether `up` / `no-maint` leave this server out.
fn hidden(eng: &Engine, st: &ServerState, f: &Filter) -> bool {
    if f.hide_maint && st.in_maint() {
        return true;
    }
    if f.hide_down {
        if st.in_maint() {
            return true;
        }
        if st.op == OpState::Stopped {
            let end = chain_end(eng, st);
            let r = end.as_ref().unwrap_or(st);
            let checked = r.agent.enabled || r.check.enabled;
            let agent_down = r.agent.enabled && r.agent.health.health == 0;
            let check_down = r.check.enabled && r.check.health.health == 0;
            if !checked || agent_down || check_down {
                return true;
            }
        }
    }
    false
}

/// Every row of `show stat`, proxies in configuration order.
pub fn collect(eng: &Engine, f: &Filter) -> Vec<Row> {
    let now = unix_now();
    let mut rows = Vec::new();
    let (mut fi, mut bi) = (0, 0);
    for p in &eng.config.proxies {
        let fe = if p.caps.frontend {
            fi += 1;
            eng.frontends.get(fi - 1)
        } else {
            None
        };
        let be = if p.caps.backend {
            bi += 1;
            eng.backends.get(bi - 1)
        } else {
            None
        };
        if p.disabled {
            continue;
        }
        let id = fe.map(|x| x.id).or(be.map(|x| x.id)).unwrap_or(0);
        if f.iid.is_some_and(|i| i != -1 && i != i64::from(id)) {
            continue;
        }
        if let Some(fe) = fe {
            if f.types & 1 != 0 {
                rows.push(frontend_row(eng, fe));
            }
        }
        if let Some(be) = be {
            let states = be.states();
            if f.types & 4 != 0 {
                for (i, st) in states.iter().enumerate() {
                    if be.is_deleted(i) {
                        continue;
                    }
                    if f.sid != -1 && i64::from(be.servers[i].id) != f.sid {
                        continue;
                    }
                    if hidden(eng, st, f) {
                        continue;
                    }
                    rows.push(server_row(eng, be, i, st, f, now));
                }
            }
            if f.types & 2 != 0 {
                rows.push(backend_row(eng, be, &states, f, now));
            }
        }
    }
    rows
}

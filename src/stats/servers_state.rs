//! `show servers state` (format version 1, also the `server-state-file` format) and
//! `show servers conn`, and the parser of a state file's lines.

use crate::engine::backend::Backend;
use crate::engine::state::{admin, CheckState, ServerState};
use crate::engine::unix_now;
use crate::ir::addr::PortSpec;

pub const STATE_HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

/// `check.state` bits as `show servers state` prints them.
const CHK_ST_INPROGRESS: u8 = 0x01;
const CHK_ST_CONFIGURED: u8 = 0x02;
const CHK_ST_ENABLED: u8 = 0x04;
const CHK_ST_PAUSED: u8 = 0x08;
const CHK_ST_AGENT: u8 = 0x10;

pub fn check_state_bits(c: &CheckState, agent: bool) -> u8 {
    let mut b = 0;
    if c.running {
        b |= CHK_ST_INPROGRESS;
    }
    if c.configured {
        b |= CHK_ST_CONFIGURED;
    }
    if c.enabled {
        b |= CHK_ST_ENABLED;
    }
    if c.paused {
        b |= CHK_ST_PAUSED;
    }
    if agent && c.configured {
        b |= CHK_ST_AGENT;
    }
    b
}

fn dash(s: Option<String>) -> String {
    match s {
        Some(s) if !s.is_empty() => s,
        _ => "-".into(),
    }
}

/// The lines of one backend for `show servers state`.
pub fn backend_state_lines(be: &Backend) -> String {
    let now = unix_now();
    let states = be.states();
    let mut out = String::new();
    for (i, st) in states.iter().enumerate() {
        let srv = &be.servers[i];
        if srv.deleted.load(std::sync::atomic::Ordering::Relaxed) {
            continue;
        }
        let a = srv.addr.load();
        let addr = a.ip.map(|ip| ip.to_string());
        let port = match a.port {
            PortSpec::Fixed(p) => i64::from(p),
            PortSpec::Offset(o) => i64::from(o),
            _ => 0,
        };
        let params = srv.check_params.load();
        let fqdn = match &srv.spec.addr.host {
            crate::ir::addr::Host::Resolved { name, .. } | crate::ir::addr::Host::Unresolved(name) => {
                Some(name.clone())
            }
            _ => None,
        };
        // A server without checks still reports HAProxy's initial check status (INI).
        let check_status = if st.check.configured { st.check.status as u8 } else { 1 };
        out.push_str(&format!(
            "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
            be.id,
            be.name,
            srv.id,
            srv.name,
            dash(addr),
            st.op as u8,
            st.admin,
            st.uweight,
            st.iweight,
            now.saturating_sub(st.last_change),
            check_status,
            st.check.result as u8,
            st.check.health.health,
            check_state_bits(&st.check, false) & 0x0F,
            check_state_bits(&st.agent, true) & 0x1F,
            u8::from(be.spec.id.is_some()),
            u8::from(srv.spec.opts.id.is_some()),
            dash(fqdn),
            port,
            "-",
            u8::from(srv.spec.opts.ssl),
            params.check_port.unwrap_or(0),
            dash(params.check_addr.clone()),
            dash(params.agent_addr.clone()),
            params.agent_port.unwrap_or(0),
        ));
    }
    out
}

/// The header of `show servers conn` (one idle count column per thread).
pub fn conn_header(threads: u32) -> String {
    format!(
        "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[{threads}]\n"
    )
}

/// The lines of one backend for `show servers conn`.
pub fn backend_conn_lines(be: &Backend, threads: u32) -> String {
    let mut out = String::new();
    let states = be.states();
    for srv in be.servers.iter() {
        if srv.deleted.load(std::sync::atomic::Ordering::Relaxed) {
            continue;
        }
        let need = crate::stats::rows::est_need_conns(&states[srv.idx], &srv.counters);
        let a = srv.addr.load();
        let port = match a.port {
            PortSpec::Fixed(p) => u32::from(p),
            _ => 0,
        };
        let used = srv.cur_conns.load(std::sync::atomic::Ordering::Relaxed);
        out.push_str(&format!(
            "{}/{} {}/{} {} {} - {} {} {} {} {} {} {} {}",
            be.name,
            srv.name,
            be.id,
            srv.id,
            dash(a.ip.map(|i| i.to_string())),
            port,
            5000,
            used,
            need,
            need,
            srv.idle.len(),
            0,
            -1,
            srv.idle.len()
        ));
        for _ in 0..threads {
            out.push_str(" 0");
        }
        out.push('\n');
    }
    out
}

/// One line of a state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateLine {
    pub be_id: i64,
    pub be_name: String,
    pub srv_id: i64,
    pub srv_name: String,
    pub addr: Option<String>,
    pub op_state: u8,
    pub admin_state: u8,
    pub uweight: u32,
    pub iweight: u32,
    pub time_since_last_change: u64,
    pub check_status: u8,
    pub check_result: u8,
    pub check_health: u32,
    pub check_state: u8,
    pub agent_state: u8,
    pub port: Option<u16>,
    pub check_port: u16,
    pub check_addr: Option<String>,
    pub agent_addr: Option<String>,
    pub agent_port: u16,
}

/// Parse a state file: the version line must be `1`; comment lines are skipped; lines with
/// the wrong number of fields are ignored, as HAProxy ignores them.
pub fn parse(text: &str) -> Result<Vec<StateLine>, String> {
    let mut lines = text.lines();
    match lines.next().map(str::trim) {
        Some("1") => {}
        Some(v) => return Err(format!("unknown version '{v}'")),
        None => return Ok(Vec::new()),
    }
    let mut out = Vec::new();
    for l in lines {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() < 19 {
            continue;
        }
        let num = |i: usize| -> i64 { w.get(i).and_then(|x| x.parse().ok()).unwrap_or(0) };
        let opt = |i: usize| -> Option<String> { w.get(i).filter(|x| **x != "-").map(|x| x.to_string()) };
        out.push(StateLine {
            be_id: num(0),
            be_name: w[1].to_string(),
            srv_id: num(2),
            srv_name: w[3].to_string(),
            addr: opt(4),
            op_state: num(5) as u8,
            admin_state: num(6) as u8,
            uweight: num(7) as u32,
            iweight: num(8) as u32,
            time_since_last_change: num(9).max(0) as u64,
            check_status: num(10) as u8,
            check_result: num(11) as u8,
            check_health: num(12) as u32,
            check_state: num(13) as u8,
            agent_state: num(14) as u8,
            port: w.get(18).and_then(|x| x.parse().ok()),
            check_port: num(21) as u16,
            check_addr: opt(22),
            agent_addr: opt(23),
            agent_port: num(24) as u16,
        });
    }
    Ok(out)
}

/// Whether the saved admin state asks for forced maintenance or drain.
pub fn forced_maint(a: u8) -> bool {
    a & admin::FMAINT != 0
}
pub fn forced_drain(a: u8) -> bool {
    a & admin::FDRAIN != 0
}

/// Keep `ServerState` in scope for doc links.
#[allow(dead_code)]
fn _doc(_: &ServerState) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_haproxy_dump() {
        let text = format!(
            "{STATE_HEADER}3 be 1 s1 127.0.0.1 2 0 100 100 7 15 3 2 6 0 0 0 - 18081 - 0 0 - - 0\n\
             3 be 3 websrv1 127.0.0.1 0 5 1 1 9 1 0 0 14 0 0 0 - 18090 - 0 0 - - 0\n"
        );
        let l = parse(&text).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].be_name.as_str(), l[0].srv_name.as_str(), l[0].uweight), ("be", "s1", 100));
        assert_eq!((l[1].admin_state, l[1].port), (5, Some(18090)));
        assert!(forced_maint(l[1].admin_state));
        assert!(parse("2\n").is_err());
    }
}

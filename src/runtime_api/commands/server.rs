//! Server commands (`server.c`): `set server`, `set weight`, `get weight`, `set maxconn server`,
//! `enable|disable server|health|agent`, `shutdown sessions server`, and the dynamic servers'
//! `add server` / `del server` (in `dynamic.rs`). State changes go through
//! `engine::events::apply` with `Cause::Cli`, so logs, tracking servers and balancers follow.

use std::net::IpAddr;
use std::sync::Arc;

use super::{Args, Ctx, Out, LOG_WARNING};
use crate::engine::backend::{Backend, ServerAddr};
use crate::engine::events;
use crate::engine::state::{admin, Cause, OpState, ServerOp};
use crate::engine::Engine;
use crate::ir::addr::PortSpec;
use crate::need_level;

pub use super::dynamic::{add_server, del_server};

/// A server found from a `<backend>/<server>` argument.
pub struct Found {
    pub be: Arc<Backend>,
    pub idx: usize,
}

fn lookup(ctx: &Ctx, bk: &str, sv: &str) -> Result<Found, Out> {
    let Some(be) = super::views::find_backend(ctx.eng, bk) else {
        return Err(Out::err("No such backend.\n"));
    };
    let idx = match sv.strip_prefix('#') {
        Some(n) => {
            let id = crate::ir::values::atoi(n);
            be.servers.iter().position(|s| i64::from(s.id) == id && !be.is_deleted(s.idx))
        }
        None => be.servers.iter().position(|s| s.name == sv && !be.is_deleted(s.idx)),
    };
    match idx {
        Some(idx) => Ok(Found { be: be.clone(), idx }),
        None => Err(Out::err("No such server.\n")),
    }
}

/// `cli_find_server`: `<backend>/<server>` with HAProxy's messages.
pub fn find_server(ctx: &Ctx, arg: &str) -> Result<Found, Out> {
    let (bk, sv) = arg.split_once('/').unwrap_or((arg, ""));
    if bk.is_empty() || sv.is_empty() {
        return Err(Out::err("Require 'backend/server'.\n"));
    }
    let f = lookup(ctx, bk, sv)?;
    if f.be.spec.disabled {
        return Err(Out::err("Proxy is disabled.\n"));
    }
    Ok(f)
}

fn apply(ctx: &Ctx, f: &Found, op: ServerOp) {
    events::apply(ctx.eng, f.be.idx, f.idx, op, Cause::Cli);
}

/// `srv_adm_set_maint`: set forced maintenance, then drop forced drain. `cause`: who asks
/// (the CLI or the stats page).
pub fn adm_set_maint(eng: &Engine, f: &Found, cause: Cause) {
    set_admin(eng, f, admin::FMAINT, 0, cause.clone());
    set_admin(eng, f, 0, admin::FDRAIN, cause);
    f.be.servers[f.idx].idle.purge();
}

/// `srv_adm_set_drain`: set forced drain, then leave forced maintenance.
pub fn adm_set_drain(eng: &Engine, f: &Found, cause: Cause) {
    set_admin(eng, f, admin::FDRAIN, 0, cause.clone());
    set_admin(eng, f, 0, admin::FMAINT, cause);
}

/// `srv_adm_set_ready`: leave forced drain, then forced maintenance.
pub fn adm_set_ready(eng: &Engine, f: &Found, cause: Cause) {
    set_admin(eng, f, 0, admin::FDRAIN, cause.clone());
    set_admin(eng, f, 0, admin::FMAINT, cause);
}

fn set_admin(eng: &Engine, f: &Found, set: u8, clear: u8, cause: Cause) {
    events::apply(eng, f.be.idx, f.idx, ServerOp::SetAdmin { set, clear }, cause);
}

/// C `strtol(s, &end, 10)`: the value and how many bytes it used (0 when there is no number).
pub fn strtol(s: &str) -> (i64, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(b[i] - b'0'));
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    (if neg { -v } else { v }, i)
}

/// `server_parse_weight_change_request`: the new user weight, or HAProxy's message (some lack
/// a trailing newline, as in HAProxy).
pub fn parse_weight(text: &str, iweight: u32, dynamic_lb: bool) -> Result<u32, &'static str> {
    if text.is_empty() {
        return Err("Require <weight> or <weight%>.\n");
    }
    let (mut w, used) = strtol(text);
    let rest = &text[used..];
    if used == 0 {
        return Err("Empty weight string empty or preceded by garbage");
    } else if rest == "%" {
        if w < 0 {
            return Err("Relative weight must be positive.\n");
        }
        w = w.min(25600);
        w = (i64::from(iweight) * w / 100).min(256);
    } else if !(0..=256).contains(&w) {
        return Err("Absolute weight can only be between 0 and 256 inclusive.\n");
    } else if !rest.is_empty() {
        return Err("Trailing garbage in weight string");
    }
    if w != 0 && w != i64::from(iweight) && !dynamic_lb {
        return Err("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n");
    }
    Ok(w as u32)
}

fn change_weight(ctx: &Ctx, f: &Found, text: &str) -> Out {
    let st = f.be.state(f.idx);
    match parse_weight(text, st.iweight, st.dynamic_lb) {
        Ok(w) => {
            apply(ctx, f, ServerOp::SetWeight(w));
            Out::Nothing
        }
        Err(m) => Out::err(m),
    }
}

/// `str2ip2(addr, resolve=0)`: an IP literal only.
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// `str2ip` with resolution, as `check-addr` / `agent-addr` use it.
fn resolve_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    use std::net::ToSocketAddrs;
    (s, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
}

/// `strl2irc`: a whole signed integer, or None.
fn strl2irc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = matches!(b.first(), Some(b'-'));
    if matches!(b.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    let mut v: i64 = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return None;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b[i] - b'0'));
        i += 1;
    }
    Some(if neg { -v } else { v })
}

/// `srv_update_addr_port`: the reply text, always ending in ` by '<updater>'\n`.
pub fn update_addr_port(f: &Found, addr: Option<&str>, port: Option<&str>, updater: &str) -> String {
    let srv = &f.be.servers[f.idx];
    let cur = srv.addr.load_full();
    let mut msg = String::new();
    let mut new = (*cur).clone();
    let mut changed = false;
    let mut ok = true;
    if let Some(a) = addr {
        match parse_ip(a) {
            None => {
                msg = format!("Invalid addr '{a}'");
                ok = false;
            }
            Some(ip) => match cur.ip {
                None => {
                    msg = "Update for the current server address family is only supported through configuration file"
                        .into();
                    ok = false;
                }
                Some(old) if old == ip => msg.push_str("no need to change the addr"),
                Some(old) => {
                    new.ip = Some(ip);
                    changed = true;
                    msg = format!("IP changed from '{old}' to '{a}'");
                }
            },
        }
    }
    if ok {
        if let Some(p) = port {
            if addr.is_some() {
                msg.push_str(", ");
            }
            let mapports = matches!(cur.port, PortSpec::Offset(_));
            let current: u16 = match cur.port {
                PortSpec::Fixed(p) => p,
                PortSpec::Offset(o) => o as u16,
                _ => 0,
            };
            let sign = p.as_bytes().first().copied();
            let (v, used) = strtol(p);
            if used == 0 {
                msg.push_str(&format!("problem converting port '{p}' to an int"));
            } else {
                let new_port = v as u16;
                let required = if sign == Some(b'-') || sign == Some(b'+') {
                    if !mapports {
                        let check_port = srv.check_params.load().check_port.unwrap_or(0);
                        if check_port == 0 {
                            msg.push_str("can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.");
                            msg.push_str(&format!(" by '{updater}'\n"));
                            return msg;
                        }
                        true
                    } else {
                        current != new_port
                    }
                } else {
                    mapports || current != new_port
                };
                if required {
                    changed = true;
                    msg.push_str("port changed from '");
                    if mapports {
                        msg.push('+');
                    }
                    msg.push_str(&format!("{current}' to '"));
                    match sign {
                        Some(b'-') => {
                            let shown = (new_port as i64).wrapping_neg() as u16;
                            msg.push_str(&format!("-{shown}'"));
                            new.port = PortSpec::Offset(-i32::from(shown));
                        }
                        Some(b'+') => {
                            msg.push_str(&format!("+{new_port}'"));
                            new.port = PortSpec::Offset(i32::from(new_port));
                        }
                        _ => {
                            msg.push_str(&format!("{new_port}'"));
                            new.port = PortSpec::Fixed(new_port);
                        }
                    }
                } else {
                    msg.push_str("no need to change the port");
                }
            }
        }
    }
    if changed {
        srv.addr.store(Arc::new(ServerAddr { ip: new.ip, port: new.port }));
        srv.idle.purge();
        if let Some(ip) = new.ip {
            let svc_port = if let PortSpec::Fixed(p) = new.port { p } else { 0 };
            f.be.rules.persist.address_changed(f.idx, ip, svc_port);
        }
    }
    msg.push_str(&format!(" by '{updater}'\n"));
    msg
}

/// `srv_update_check_addr_port` / `srv_update_agent_addr_port`.
fn update_check_addr_port(f: &Found, agent: bool, addr: Option<&str>, port: Option<&str>) -> Option<String> {
    let st = f.be.state(f.idx);
    let enabled = if agent { st.agent.enabled } else { st.check.enabled };
    if !enabled {
        return Some(if agent {
            "agent checks are not enabled on this server".into()
        } else {
            "health checks are not enabled on this server".into()
        });
    }
    let mut new_addr = None;
    if let Some(a) = addr {
        if resolve_ip(a).is_none() {
            return Some(format!("invalid addr '{a}'"));
        }
        new_addr = Some(a.to_string());
    }
    let mut new_port = None;
    if let Some(p) = port {
        let Some(v) = strl2irc(p) else {
            return Some("provided port is not an integer".into());
        };
        if !(0..=65535).contains(&v) {
            return Some("provided port is invalid".into());
        }
        new_port = Some(v as u16);
    }
    let srv = &f.be.servers[f.idx];
    let mut p = (**srv.check_params.load()).clone();
    if agent {
        if new_addr.is_some() {
            p.agent_addr = new_addr;
        }
        if new_port.is_some() {
            p.agent_port = new_port;
        }
    } else {
        if new_addr.is_some() {
            p.check_addr = new_addr;
        }
        if new_port.is_some() {
            p.check_port = new_port;
        }
    }
    srv.check_params.store(Arc::new(p));
    None
}

const SET_SERVER_USAGE: &str = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n";

/// `set server <be>/<srv> <what> ...`.
pub fn set_server(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let f = match find_server(ctx, &args.str(2)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let what = args.str(3);
    let val = args.str(4);
    match what.as_ref() {
        "weight" => change_weight(ctx, &f, &val),
        "state" => {
            match val.as_ref() {
                "ready" => adm_set_ready(ctx.eng, &f, Cause::Cli),
                "drain" => adm_set_drain(ctx.eng, &f, Cause::Cli),
                "maint" => adm_set_maint(ctx.eng, &f, Cause::Cli),
                _ => return Out::err("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"),
            }
            Out::Nothing
        }
        "health" => {
            if f.be.state(f.idx).track.is_some() {
                return Out::err("cannot change health on a tracking server.\n");
            }
            let op = match val.as_ref() {
                "up" => OpState::Running,
                "stopping" => OpState::Stopping,
                "down" => OpState::Stopped,
                _ => return Out::err("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"),
            };
            apply(ctx, &f, ServerOp::SetOp(op));
            Out::Nothing
        }
        "agent" => {
            if !f.be.state(f.idx).agent.enabled {
                return Out::err("agent checks are not enabled on this server.\n");
            }
            match val.as_ref() {
                "up" => apply(ctx, &f, ServerOp::SetAgentHealth { up: true }),
                "down" => apply(ctx, &f, ServerOp::SetAgentHealth { up: false }),
                _ => return Out::err("'set server <srv> agent' expects 'up' or 'down'.\n"),
            }
            Out::Nothing
        }
        "agent-addr" | "check-addr" => {
            let agent = what == "agent-addr";
            if val.is_empty() {
                return Out::err(format!("set server <b>/<s> {what} requires an address and optionally a port.\n"));
            }
            let port = args.is(5, "port").then(|| args.str(6).into_owned());
            match update_check_addr_port(&f, agent, Some(&val), port.as_deref()) {
                Some(w) => Out::msg(LOG_WARNING, w),
                None => Out::Nothing,
            }
        }
        "agent-port" | "check-port" => {
            let agent = what == "agent-port";
            if val.is_empty() {
                return Out::err(format!("set server <b>/<s> {what} requires a port.\n"));
            }
            match update_check_addr_port(&f, agent, None, Some(&val)) {
                Some(w) => Out::msg(LOG_WARNING, w),
                None => Out::Nothing,
            }
        }
        "agent-send" => {
            if !f.be.state(f.idx).agent.enabled {
                return Out::err("agent checks are not enabled on this server.\n");
            }
            let srv = &f.be.servers[f.idx];
            let mut p = (**srv.check_params.load()).clone();
            p.agent_send = Some(val.into_owned());
            srv.check_params.store(Arc::new(p));
            Out::Nothing
        }
        "addr" => {
            if val.is_empty() {
                return Out::err("set server <b>/<s> addr requires an address and optionally a port.\n");
            }
            let port = args.is(5, "port").then(|| args.str(6).into_owned());
            let msg = update_addr_port(&f, Some(&val), port.as_deref(), "stats socket command");
            set_admin(ctx.eng, &f, 0, admin::RMAINT, Cause::Cli);
            Out::msg(LOG_WARNING, msg)
        }
        "fqdn" => {
            if val.is_empty() {
                return Out::err("set server <b>/<s> fqdn requires a FQDN.\n");
            }
            Out::err("set server <b>/<s> fqdn failed because no resolution is configured.\n")
        }
        "ssl" => {
            if f.be.is_dynamic(f.idx) {
                return Out::err("'set server <srv> ssl' not supported on dynamic servers\n");
            }
            Out::err("'set server <srv> ssl' cannot be set.  default-server should define ssl settings\n")
        }
        _ => Out::err(SET_SERVER_USAGE),
    }
}

/// `get weight <be>/<srv>`: `<uweight> (initial <iweight>)`, written as plain output.
pub fn get_weight(ctx: &mut Ctx, args: &Args) -> Out {
    let arg = args.str(2);
    let (bk, sv) = arg.split_once('/').unwrap_or((arg.as_ref(), ""));
    if sv.is_empty() {
        return Out::err("Require 'backend/server'.\n");
    }
    match lookup(ctx, bk, sv) {
        Ok(f) => {
            let st = f.be.state(f.idx);
            Out::raw(format!("{} (initial {})\n", st.uweight, st.iweight))
        }
        Err(o) => o,
    }
}

/// `set weight <be>/<srv> <weight>` (deprecated form of `set server ... weight`).
pub fn set_weight(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    match find_server(ctx, &args.str(2)) {
        Ok(f) => change_weight(ctx, &f, &args.str(3)),
        Err(o) => o,
    }
}

/// `set maxconn server <be>/<srv> <maxconn>`.
pub fn set_maxconn_server(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let f = match find_server(ctx, &args.str(3)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let text = args.str(4);
    if text.is_empty() {
        return Out::err("Require <maxconn>.\n");
    }
    let (v, used) = strtol(&text);
    if used == 0 {
        return Out::err("maxconn string empty or preceded by garbage");
    }
    if used != text.len() {
        return Out::err("Trailing garbage in maxconn string");
    }
    apply(ctx, &f, ServerOp::SetMaxconn(v.clamp(0, i64::from(u32::MAX)) as u32));
    Out::Nothing
}

fn server_cmd(ctx: &mut Ctx, args: &Args, run: impl FnOnce(&Ctx, &Found) -> Out) -> Out {
    need_level!(ctx, Admin);
    match find_server(ctx, &args.str(2)) {
        Ok(f) => run(ctx, &f),
        Err(o) => o,
    }
}

pub fn disable_server(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        adm_set_maint(ctx.eng, f, Cause::Cli);
        Out::Nothing
    })
}

pub fn enable_server(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        adm_set_ready(ctx.eng, f, Cause::Cli);
        Out::Nothing
    })
}

pub fn disable_health(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        apply(ctx, f, ServerOp::SetCheckEnabled { agent: false, enabled: false });
        Out::Nothing
    })
}

pub fn disable_agent(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        apply(ctx, f, ServerOp::SetCheckEnabled { agent: true, enabled: false });
        Out::Nothing
    })
}

pub fn enable_health(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        if !f.be.state(f.idx).check.configured {
            return Out::err("Health check was not configured on this server, cannot enable.\n");
        }
        apply(ctx, f, ServerOp::SetCheckEnabled { agent: false, enabled: true });
        Out::Nothing
    })
}

pub fn enable_agent(ctx: &mut Ctx, args: &Args) -> Out {
    server_cmd(ctx, args, |ctx, f| {
        if !f.be.state(f.idx).agent.configured {
            return Out::err("Agent was not configured on this server, cannot enable.\n");
        }
        apply(ctx, f, ServerOp::SetCheckEnabled { agent: true, enabled: true });
        Out::Nothing
    })
}

/// `shutdown sessions server <be>/<srv>`: end every session on the server.
pub fn shutdown_sessions(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    match find_server(ctx, &args.str(3)) {
        Ok(f) => {
            f.be.servers[f.idx].kill_sessions(b'K');
            Out::Nothing
        }
        Err(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_like_haproxy() {
        assert_eq!(parse_weight("50", 100, true), Ok(50));
        assert_eq!(parse_weight("50%", 50, true), Ok(25));
        assert_eq!(parse_weight("1000%", 50, true), Ok(256));
        assert_eq!(parse_weight("300", 1, true), Err("Absolute weight can only be between 0 and 256 inclusive.\n"));
        assert_eq!(parse_weight("-1", 1, true), Err("Absolute weight can only be between 0 and 256 inclusive.\n"));
        assert_eq!(parse_weight("abc", 1, true), Err("Empty weight string empty or preceded by garbage"));
        assert_eq!(parse_weight("5x", 1, true), Err("Trailing garbage in weight string"));
        assert_eq!(parse_weight("300x", 1, true), Err("Absolute weight can only be between 0 and 256 inclusive.\n"));
        assert_eq!(parse_weight("", 1, true), Err("Require <weight> or <weight%>.\n"));
        assert_eq!(parse_weight("-5%", 1, true), Err("Relative weight must be positive.\n"));
        assert_eq!(
            parse_weight("5", 10, false),
            Err("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n")
        );
        assert_eq!(parse_weight("0", 10, false), Ok(0));
        assert_eq!(parse_weight("100%", 10, false), Ok(10));
        assert_eq!(parse_weight(" 7", 10, true), Ok(7));
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol("42"), (42, 2));
        assert_eq!(strtol("  -3x"), (-3, 4));
        assert_eq!(strtol("x"), (0, 0));
        assert_eq!(strtol("-"), (0, 0));
        assert_eq!(strl2irc("80"), Some(80));
        assert_eq!(strl2irc("8a"), None);
        assert_eq!(strl2irc(""), Some(0));
    }
}

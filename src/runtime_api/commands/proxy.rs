//! Proxy-wide commands (`proxy.c`, `stats.c`, `cli.c`): `enable|disable|shutdown frontend`,
//! `set maxconn frontend|global`, `clear counters [all]`, `set dynamic-cookie-key backend`,
//! `enable|disable dynamic-cookie backend`.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::{Args, Ctx, Out, LOG_NOTICE};
use crate::engine::counters::Counters;
use crate::engine::{resize_limit, Engine, Frontend};
use crate::need_level;

/// Syslog severity of proxy state lines.
const LOG_WARNING: u8 = 4;

/// `cli_find_frontend`: by name or `#<id>`.
fn find_frontend(ctx: &Ctx, arg: &str) -> Result<Arc<Frontend>, Out> {
    if arg.is_empty() {
        return Err(Out::err("A frontend name is expected.\n"));
    }
    let found = match arg.strip_prefix('#') {
        Some(n) => {
            let id = crate::ir::values::atoi(n);
            ctx.eng.frontends.iter().find(|f| i64::from(f.id) == id)
        }
        None => ctx.eng.frontend(arg),
    };
    found.cloned().ok_or_else(|| Out::err("No such frontend.\n"))
}

/// A proxy state line: on stderr as HAProxy's warning, and to the proxy's log targets.
fn proxy_log(eng: &Engine, fe: &Frontend, text: &str) {
    if !eng.config.global.quiet {
        eprintln!("[WARNING]  ({}) : {text}", std::process::id());
    }
    let targets = eng.log.targets_for(&fe.spec.log.targets, fe.spec.log.disabled, fe.spec.log.tag.as_deref());
    eng.log.emit(&targets, LOG_WARNING, text);
}

fn shut(fe: &Frontend) -> bool {
    fe.disabled.load(Relaxed) || fe.stopped.load(Relaxed)
}

pub fn disable_frontend(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let fe = match find_frontend(ctx, &args.str(2)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    if shut(&fe) {
        return Out::msg(LOG_NOTICE, "Frontend was previously shut down, cannot disable.\n");
    }
    if fe.paused.swap(true, Relaxed) {
        return Out::msg(LOG_NOTICE, "All sockets are already disabled.\n");
    }
    fe.listen_state.notify_waiters();
    proxy_log(ctx.eng, &fe, &format!("Paused {} {}.", fe.spec.caps.type_name(), fe.name));
    Out::Nothing
}

pub fn enable_frontend(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let fe = match find_frontend(ctx, &args.str(2)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    if shut(&fe) {
        return Out::msg(LOG_NOTICE, "Frontend was previously shut down, cannot enable.\n");
    }
    if !fe.paused.swap(false, Relaxed) {
        return Out::msg(LOG_NOTICE, "All sockets are already enabled.\n");
    }
    fe.listen_state.notify_waiters();
    proxy_log(ctx.eng, &fe, &format!("Resumed {} {}.", fe.spec.caps.type_name(), fe.name));
    Out::Nothing
}

pub fn shutdown_frontend(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let fe = match find_frontend(ctx, &args.str(2)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    if shut(&fe) {
        return Out::msg(LOG_NOTICE, "Frontend was already shut down.\n");
    }
    fe.stopped.store(true, Relaxed);
    fe.listen_state.notify_waiters();
    let be_conns =
        if fe.spec.caps.backend { ctx.eng.backend(&fe.name).map(|b| b.counters.total.get()).unwrap_or(0) } else { 0 };
    proxy_log(
        ctx.eng,
        &fe,
        &format!(
            "Proxy {} stopped (cumulated conns: FE: {}, BE: {}).",
            fe.name,
            fe.counters.connections.get(),
            be_conns
        ),
    );
    Out::Nothing
}

pub fn set_maxconn_frontend(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let fe = match find_frontend(ctx, &args.str(3)) {
        Ok(f) => f,
        Err(o) => return o,
    };
    if !args.has(4) {
        return Out::err("Integer value expected.\n");
    }
    let v = crate::ir::values::atoi(&args.str(4));
    if v < 0 {
        return Out::err("Value out of range.\n");
    }
    let old = fe.maxconn.swap(v as u32, Relaxed);
    resize_limit(&fe.conn_limit, old, v as u32);
    Out::Nothing
}

pub fn set_maxconn_global(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    if !args.has(3) {
        return Out::err("Expects an integer value.\n");
    }
    let mut v = crate::ir::values::atoi(&args.str(3));
    let hard = i64::from(ctx.eng.hard_maxconn);
    if v > hard {
        return Out::err("Value out of range.\n");
    }
    if v <= 0 {
        v = hard;
    }
    let old = ctx.eng.global_maxconn.swap(v as u32, Relaxed);
    resize_limit(&ctx.eng.global_conn_limit, old, v as u32);
    Out::Nothing
}

fn clear(c: &Counters, all: bool) {
    c.reset_maxima();
    if !all {
        return;
    }
    for x in [
        &c.total,
        &c.bytes_in,
        &c.bytes_out,
        &c.denied_req,
        &c.denied_resp,
        &c.req_errors,
        &c.conn_errors,
        &c.resp_errors,
        &c.retries,
        &c.redispatches,
        &c.lb_total,
        &c.requests,
        &c.cli_aborts,
        &c.srv_aborts,
        &c.intercepted,
        &c.connections,
    ] {
        x.reset();
    }
    for x in &c.http.by_class {
        x.reset();
    }
    for t in c.times.all() {
        t.reset();
    }
    c.last_session.store(0, Relaxed);
}

/// `clear counters`: maximums (operator); `clear counters all`: every counter (admin).
pub fn clear_counters(ctx: &mut Ctx, args: &Args) -> Out {
    let all = args.is(2, "all");
    if all {
        need_level!(ctx, Admin);
    } else {
        need_level!(ctx, Operator);
    }
    ctx.eng.conn_rate.reset_max();
    ctx.eng.sess_rate.reset_max();
    for fe in &ctx.eng.frontends {
        clear(&fe.counters, all);
    }
    for be in &ctx.eng.backends {
        clear(&be.counters, all);
        be.queued.reset_max();
        for s in be.servers.iter() {
            clear(&s.counters, all);
        }
    }
    Out::Nothing
}

/// The backend a dynamic-cookie command names (`proxy_be_by_name`), with HAProxy's replies.
fn dyncookie_backend(ctx: &Ctx, arg: &str) -> Result<Arc<crate::engine::backend::Backend>, Out> {
    if arg.is_empty() {
        return Err(Out::err("A backend name is expected.\n"));
    }
    super::views::find_backend(ctx.eng, arg).cloned().ok_or_else(|| Out::err("No such backend.\n"))
}

/// Each server's address as a dynamic cookie hashes it: the IP and the service port (0 when
/// the server follows the client's port).
fn cookie_addrs(be: &crate::engine::backend::Backend) -> Vec<Option<(std::net::IpAddr, u16)>> {
    be.servers
        .iter()
        .map(|s| {
            let a = s.addr.load();
            let port = if let crate::ir::addr::PortSpec::Fixed(p) = a.port { p } else { 0 };
            a.ip.map(|ip| (ip, port))
        })
        .collect()
}

/// `set dynamic-cookie-key backend <backend> <key>`: servers' dynamic cookies follow at once.
pub fn set_dynamic_cookie_key(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let be = match dyncookie_backend(ctx, &args.str(3)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    if !args.has(4) {
        return Out::err("String value expected.\n");
    }
    be.rules.persist.set_dynamic_key(&args.str(4), &cookie_addrs(&be));
    Out::Nothing
}

/// `enable|disable dynamic-cookie backend <backend>`.
fn set_dynamic_cookie(ctx: &mut Ctx, args: &Args, on: bool) -> Out {
    need_level!(ctx, Admin);
    let be = match dyncookie_backend(ctx, &args.str(3)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    be.rules.persist.set_dynamic(on, &cookie_addrs(&be));
    Out::Nothing
}

pub fn enable_dynamic_cookie(ctx: &mut Ctx, args: &Args) -> Out {
    set_dynamic_cookie(ctx, args, true)
}

pub fn disable_dynamic_cookie(ctx: &mut Ctx, args: &Args) -> Out {
    set_dynamic_cookie(ctx, args, false)
}

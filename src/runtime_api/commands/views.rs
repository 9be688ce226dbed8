//! Read-only views (`stats.c`, `proxy.c`): `show stat`, `show info`, `show schema json`,
//! `show servers state|conn`, `show backend`.

use std::sync::atomic::Ordering::Relaxed;

use super::{Args, Ctx, Level, Out};
use crate::engine::Engine;
use crate::stats::{self, fields, info, rows, servers_state};

/// `proxy_find_by_name`: a proxy by name, or by `#<id>`.
pub fn proxy_id_by_name(eng: &Engine, name: &str, want_backend: bool, want_frontend: bool) -> Option<u32> {
    let by_id = name.strip_prefix('#').map(crate::ir::values::atoi);
    for fe in &eng.frontends {
        if want_frontend && (by_id == Some(i64::from(fe.id)) || (by_id.is_none() && fe.name == name)) {
            return Some(fe.id);
        }
    }
    for be in &eng.backends {
        if want_backend && (by_id == Some(i64::from(be.id)) || (by_id.is_none() && be.name == name)) {
            return Some(be.id);
        }
    }
    None
}

/// `show stat [<iid|px> <type> <sid>] [up|no-maint|typed|json|desc]*`.
pub fn show_stat(ctx: &mut Ctx, args: &Args) -> Out {
    let mut f = rows::Filter { show_legends: ctx.sess.level >= Level::Operator, ..Default::default() };
    let mut first_opt = 2;
    if args.has(2) && args.has(3) && args.has(4) {
        let name = args.str(2);
        let iid = proxy_id_by_name(ctx.eng, &name, true, true)
            .map(i64::from)
            .unwrap_or_else(|| crate::ir::values::atoi(&name));
        if iid == 0 {
            return Out::err("No such proxy.\n");
        }
        f.iid = Some(iid);
        f.types = crate::ir::values::atoi(&args.str(3));
        f.sid = crate::ir::values::atoi(&args.str(4));
        first_opt = 5;
    }
    let mut format = stats::Format::Csv;
    let mut desc = false;
    for i in first_opt..args.words.len() {
        match args.get(i) {
            b"up" => f.hide_down = true,
            b"no-maint" => f.hide_maint = true,
            b"json" => format = stats::Format::Json,
            b"typed" => format = stats::Format::Typed,
            b"desc" => desc = true,
            _ => {}
        }
    }
    let rows = rows::collect(ctx.eng, &f);
    Out::raw(stats::render(&rows, format, desc))
}

/// `show info [typed|json|desc|float]*`.
pub fn show_info(ctx: &mut Ctx, args: &Args) -> Out {
    let mut o = info::InfoOpts::default();
    for i in 2..args.words.len() {
        match args.get(i) {
            b"typed" => o.typed = true,
            b"json" => o.json = true,
            b"desc" => o.desc = true,
            b"float" => o.float = true,
            _ => {}
        }
    }
    let extra =
        info::Extra { cli_listeners: ctx.shared.sockets.len() as u64, cli_sessions: ctx.shared.active.load(Relaxed) };
    let values = info::values(ctx.eng, extra, o.float);
    Out::raw(info::render(&values, o))
}

pub fn show_schema_json(_ctx: &mut Ctx, _args: &Args) -> Out {
    Out::raw(fields::json_schema())
}

/// `proxy_be_by_name`: a backend by name or `#<id>`.
pub fn find_backend<'e>(eng: &'e Engine, name: &str) -> Option<&'e std::sync::Arc<crate::engine::backend::Backend>> {
    if let Some(n) = name.strip_prefix('#') {
        let id = crate::ir::values::atoi(n);
        return eng.backends.iter().find(|b| i64::from(b.id) == id);
    }
    eng.backend(name)
}

fn servers_dump(ctx: &mut Ctx, args: &Args, conn: bool) -> Out {
    let backends: Vec<_> = if args.has(3) {
        match find_backend(ctx.eng, &args.str(3)) {
            Some(b) => vec![b.clone()],
            None => return Out::err("Can't find backend.\n"),
        }
    } else {
        ctx.eng.backends.to_vec()
    };
    let threads = ctx
        .eng
        .config
        .global
        .nbthread
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1));
    let mut out = if conn { servers_state::conn_header(threads) } else { servers_state::STATE_HEADER.to_string() };
    for b in backends {
        if conn {
            out.push_str(&servers_state::backend_conn_lines(&b, threads));
        } else {
            out.push_str(&servers_state::backend_state_lines(&b));
        }
    }
    Out::raw(out)
}

pub fn show_servers_state(ctx: &mut Ctx, args: &Args) -> Out {
    servers_dump(ctx, args, false)
}

pub fn show_servers_conn(ctx: &mut Ctx, args: &Args) -> Out {
    servers_dump(ctx, args, true)
}

pub fn show_backend(ctx: &mut Ctx, _args: &Args) -> Out {
    let mut out = String::from("# name\n");
    for b in &ctx.eng.backends {
        out.push_str(&b.name);
        out.push('\n');
    }
    Out::raw(out)
}

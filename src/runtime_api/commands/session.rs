//! Commands about the CLI session itself (`cli.c`): `help`, `prompt`, `quit`, the level
//! commands, `set severity-output`, `set timeout cli`, and the process facts `show version`,
//! `show env`, `show cli sockets`.

use std::time::Duration;

use super::{usage, Args, Ctx, Level, Out, Severity, LOG_INFO};
use crate::ir::values::{parse_time, TimeUnit};
use crate::need_level;

pub fn help(ctx: &mut Ctx, args: &Args) -> Out {
    Out::info(usage(ctx.sess, args.words))
}

/// `prompt` toggles interactive mode; its own reply is empty.
pub fn prompt(ctx: &mut Ctx, _args: &Args) -> Out {
    ctx.sess.prompt = !ctx.sess.prompt;
    Out::Nothing
}

pub fn quit(ctx: &mut Ctx, _args: &Args) -> Out {
    ctx.sess.quit = true;
    Out::Nothing
}

/// `_getsocks` hands the listening sockets to a new process with `expose-fd listeners`;
/// haproxide does not pass file descriptors yet, and HAProxy ends the session either way.
pub fn getsocks(ctx: &mut Ctx, _args: &Args) -> Out {
    ctx.sess.quit = true;
    Out::Nothing
}

/// `expert-mode` / `experimental-mode [on|off]`.
pub fn expert_mode(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let expert = args.is(0, "expert-mode");
    let name = if expert { "expert-mode" } else { "experimental-mode" };
    let flag = if expert { &mut ctx.sess.expert } else { &mut ctx.sess.experimental };
    if !args.has(1) {
        return Out::info(format!("{name} is {}\n", if *flag { "ON" } else { "OFF" }));
    }
    *flag = args.is(1, "on");
    Out::Nothing
}

/// `operator` / `user`: lower the session's level (never raise it). `-` as an argument drops
/// the terminator of this reply.
pub fn set_level(ctx: &mut Ctx, args: &Args) -> Out {
    if args.is(1, "-") {
        ctx.sess.nolf = true;
    }
    let want = if args.is(0, "operator") { Level::Operator } else { Level::User };
    if ctx.sess.level < want {
        return Out::err(super::PERMISSION_DENIED);
    }
    ctx.sess.level = want;
    ctx.sess.expert = false;
    ctx.sess.experimental = false;
    Out::Nothing
}

pub fn show_cli_level(ctx: &mut Ctx, _args: &Args) -> Out {
    Out::info(format!("{}\n", ctx.sess.level.name()))
}

pub fn show_cli_sockets(ctx: &mut Ctx, _args: &Args) -> Out {
    let mut out = String::from("# socket lvl processes\n");
    for s in &ctx.shared.sockets {
        out.push_str(&format!("{} {} all\n", s.name, s.level.name()));
    }
    Out::raw(out)
}

pub fn show_version(_ctx: &mut Ctx, _args: &Args) -> Out {
    Out::info(format!("{}\n", crate::VERSION))
}

pub fn set_severity_output(ctx: &mut Ctx, args: &Args) -> Out {
    let s = match args.get(2) {
        b"none" => Severity::None,
        b"number" => Severity::Number,
        b"string" => Severity::String,
        _ => return Out::err("one of 'none', 'number', 'string' is a required argument\n"),
    };
    ctx.sess.severity = s;
    Out::Nothing
}

/// `set timeout cli <delay>`: seconds by default, any HAProxy time unit accepted.
pub fn set_timeout(ctx: &mut Ctx, args: &Args) -> Out {
    if !args.is(2, "cli") {
        return Out::err("'set timeout' only supports 'cli'.\n");
    }
    if !args.has(3) {
        return Out::err("Expects an integer value.\n");
    }
    match parse_time(&args.str(3), TimeUnit::S) {
        Ok(secs) if secs >= 1 => {
            ctx.sess.timeout = Duration::from_secs(secs);
            Out::Nothing
        }
        _ => Out::err("Invalid timeout value.\n"),
    }
}

/// `show env [<name>]`: the process environment, in its order.
pub fn show_env(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Operator);
    use std::os::unix::ffi::OsStrExt;
    let vars: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut l = k.as_bytes().to_vec();
            l.push(b'=');
            l.extend_from_slice(v.as_bytes());
            l
        })
        .collect();
    if args.has(2) {
        let name = args.get(2);
        let Some(v) = vars.iter().find(|l| l.starts_with(name) && l.get(name.len()) == Some(&b'=')) else {
            return Out::err("Variable not found\n");
        };
        let mut out = v.clone();
        out.push(b'\n');
        return Out::Raw(out);
    }
    let mut out = Vec::new();
    for v in vars {
        out.extend_from_slice(&v);
        out.push(b'\n');
    }
    Out::Raw(out)
}

/// Messages at LOG_INFO, for handlers elsewhere that only say something informative.
pub fn info(s: impl Into<String>) -> Out {
    Out::msg(LOG_INFO, s)
}

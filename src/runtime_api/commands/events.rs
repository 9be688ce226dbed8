//! `show events`: the event sinks and the log rings' messages.

use std::sync::atomic::Ordering;

use super::{Args, Ctx, Out};

/// `show events [<sink>] [-w] [-n]`: the event sinks (stdout, stderr, HAProxy's in-memory
/// `buf0`, then the rings), or the messages a ring holds. Its errors come without the empty
/// line other replies end with, as in HAProxy.
pub fn show_events(ctx: &mut Ctx, args: &Args) -> Out {
    let log = &ctx.eng.log;
    if !args.has(2) {
        let mut out = String::from("Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n");
        let mut line = |name: &str, kind: &str, dropped: u64, desc: &str| {
            out.push_str(&format!("    {name:<10} : type={kind}, {dropped} dropped, {desc}\n"));
        };
        line("stdout", "fd", log.dropped_stdout.load(Ordering::Relaxed), "standard output (fd#1)");
        line("stderr", "fd", log.dropped_stderr.load(Ordering::Relaxed), "standard output (fd#2)");
        line("buf0", "buffer", 0, "in-memory ring buffer");
        for r in &log.rings.list {
            line(&r.settings.name, "buffer", r.dropped.load(Ordering::Relaxed), &r.settings.description);
        }
        return Out::raw(out);
    }
    let name = args.str(2);
    let ring = log.rings.get(&name).cloned();
    if ring.is_none() && !matches!(name.as_ref(), "stdout" | "stderr" | "buf0") {
        ctx.sess.nolf = true;
        return Out::err("No such event sink\n");
    }
    let (mut wait, mut only_new) = (false, false);
    let mut i = 3;
    while args.has(i) {
        match args.str(i).as_ref() {
            "-w" => wait = true,
            "-n" => only_new = true,
            _ => {
                ctx.sess.nolf = true;
                return Out::err("unknown option\n");
            }
        }
        i += 1;
    }
    if matches!(name.as_ref(), "stdout" | "stderr") {
        ctx.sess.nolf = true;
        return Out::err("Nothing to report for this sink\n");
    }
    if wait {
        ctx.sess.nolf = true;
        return Out::err("'show events -w' (waiting for new events) is not supported yet by haproxide.\n");
    }
    let mut out = Vec::new();
    if let (Some(r), false) = (ring, only_new) {
        for m in r.snapshot() {
            out.extend_from_slice(&m);
            out.push(b'\n');
        }
    }
    Out::Raw(out)
}

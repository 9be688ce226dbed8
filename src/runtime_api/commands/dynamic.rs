//! Dynamic servers: `add server <be>/<srv> <addr> [keywords]` and `del server <be>/<srv>`, with
//! HAProxy 2.6's rules: only backends with a dynamic load-balancing algorithm take them, the
//! keywords go through the same server keyword parser as the configuration (minus the few
//! HAProxy refuses at run time, and without `default-server`), a new server starts in forced
//! maintenance with its checks configured but not enabled, and only a server in maintenance with
//! no connection left can be deleted.

use super::{Args, Ctx, Out};
use crate::config::diag::{Diags, Severity};
use crate::config::parse::{self, Source};
use crate::engine::state::{self, admin, OpState};
use crate::ir::types::Balance;
use crate::need_level;

/// Server keywords HAProxy does not accept on `add server`.
const NOT_DYNAMIC: &[&str] = &[
    "cookie",
    "redir",
    "init-addr",
    "resolvers",
    "resolve-prefer",
    "resolve-opts",
    "resolve-net",
    "namespace",
    "source",
    "usesrc",
];

/// Quote a word for the configuration reader.
fn quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\\''"))
}

/// Whether `balance` can take servers at run time (`BE_LB_PROP_DYN`).
fn dynamic_lb(p: &crate::ir::types::Proxy) -> bool {
    use crate::ir::types::HashMethod;
    match &p.balance {
        Balance::StaticRr => false,
        Balance::Source
        | Balance::Uri { .. }
        | Balance::UrlParam { .. }
        | Balance::Hdr { .. }
        | Balance::Rdp { .. }
        | Balance::Hash { .. } => p.hash_type.method == HashMethod::Consistent,
        _ => true,
    }
}

/// A diagnostic's text without its configuration location, as the CLI prints it.
fn cli_text(msg: &str) -> String {
    let mut m = msg;
    if let Some(rest) = m.strip_prefix("parsing [") {
        if let Some(i) = rest.find("] : ") {
            m = &rest[i + 4..];
        }
    }
    if let Some(rest) = m.strip_prefix("config: ") {
        m = rest;
    }
    // `'server be/x' : <msg>` loses its prefix too.
    if m.starts_with("'server ") {
        if let Some(i) = m.find("' : ") {
            m = &m[i + 4..];
        }
    }
    m.to_string()
}

/// HAProxy's message for a port that is not a number (`str2sa_range`), with the extra blank
/// line its CLI reply carries.
fn bad_port_char(addr: &str) -> Option<String> {
    let a = addr.rsplit_once('@').map(|(_, a)| a).unwrap_or(addr);
    let port = if let Some(rest) = a.strip_prefix('[') {
        rest.split_once("]:").map(|(_, p)| p)?
    } else if a.matches(':').count() == 1 {
        a.split_once(':').map(|(_, p)| p)?
    } else {
        return None;
    };
    let body = port.trim_start_matches(['+', '-']);
    let c = body.chars().find(|c| !c.is_ascii_digit() && *c != '-')?;
    Some(format!("invalid character '{c}' in port number '{port}' in '{addr}'\n\n"))
}

pub fn add_server(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let arg = args.str(2);
    let (bk, sv) = arg.split_once('/').unwrap_or((arg.as_ref(), ""));
    if sv.is_empty() {
        return Out::err("Require 'backend/server'.");
    }
    let Some(be) = super::views::find_backend(ctx.eng, bk).cloned() else {
        return Out::err("No such backend.");
    };
    if !dynamic_lb(&be.spec) {
        return Out::err("Backend must use a dynamic load balancing to support dynamic servers.");
    }
    if !args.has(3) {
        return Out::err("'server' expects <name> and <addr>[:<port>] as arguments.\n");
    }
    let words: Vec<String> = (3..args.words.len()).map(|i| args.str(i).into_owned()).collect();
    if let Some(kw) = words.iter().skip(1).find(|w| NOT_DYNAMIC.contains(&w.as_str())) {
        return Out::err(format!("'{kw}' option is not accepted for dynamic server\n"));
    }
    if let Some(m) = bad_port_char(&words[0]) {
        return Out::err(m);
    }
    // Build the server with the configuration's own keyword parser, in a backend of the same
    // mode and without default-server settings (HAProxy ignores them for dynamic servers).
    let mode = if be.spec.mode == crate::ir::types::Mode::Http { "http" } else { "tcp" };
    let text = format!(
        "backend {}\n    mode {mode}\n    server {} {}\n",
        quote(&be.name),
        quote(sv),
        words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
    );
    let ast = parse::parse(&[Source { name: "CLI".into(), text: text.into_bytes() }]);
    let mut diags = Diags::default();
    let lowered = crate::ir::lower::lower(&ast, &mut diags);
    if let Some(d) = diags.list.iter().find(|d| d.severity == Severity::Alert) {
        return Out::err(format!("{}\n", cli_text(&d.msg)));
    }
    let Some(spec) = lowered.config.proxies.first().and_then(|p| p.servers.first()).cloned() else {
        return Out::err("'server' expects <name> and <addr>[:<port>] as arguments.\n");
    };
    if be.server_by_name(sv).is_some() {
        return Out::err("Already exists a server with the same name in backend.\n");
    }
    if spec.opts.check && spec.addr.fixed_port().is_none() && spec.opts.check_port.unwrap_or(0) == 0 {
        return Out::err(format!(
            "config: backend '{}': server '{sv}' has neither service port nor check port nor tcp_check rule 'connect' with port information.\n",
            be.name
        ));
    }
    // Ids: the one asked for, else the lowest free one.
    let used: Vec<u32> =
        be.servers.iter().filter(|s| !s.deleted.load(std::sync::atomic::Ordering::Relaxed)).map(|s| s.id).collect();
    let id = match spec.opts.id {
        Some(i) if i > 0 => {
            let i = i as u32;
            if let Some(other) =
                be.servers.iter().find(|s| s.id == i && !s.deleted.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Out::err(format!("'id' : custom id {i} already used at (null):0 ('server {}').\n", other.name));
            }
            i
        }
        _ => (1..).find(|i| !used.contains(i)).unwrap_or(1),
    };
    if let Some(t) = &spec.opts.track {
        let (tp, ts) = t.split_once('/').unwrap_or((be.name.as_str(), t.as_str()));
        let target = ctx.eng.backend(tp).and_then(|b| b.server_by_name(ts).map(|s| (b.clone(), s.idx)));
        match target {
            None => return Out::err(format!("unable to find required server '{ts}' for tracking.\n")),
            Some((tb, ti)) => {
                let st = tb.state(ti);
                if !st.check.configured && !st.agent.configured {
                    return Out::err(format!(
                        "unable to use {tp}/{ts} for tracking as it does not have any check nor agent enabled.\n"
                    ));
                }
            }
        }
    }
    let weight = spec.opts.weight.unwrap_or(1).clamp(0, 256) as u32;
    let mut st = state::from_spec(&spec, &be.spec, weight, crate::engine::unix_now());
    // HAProxy starts a dynamic server in forced maintenance, down, its checks off until
    // `enable health` / `enable agent`.
    st.admin |= admin::FMAINT;
    st.op = OpState::Stopped;
    st.check.enabled = false;
    st.check.health.set_down();
    st.agent.enabled = false;
    // Until its weight is first recomputed (leaving maintenance, a weight change), HAProxy
    // shows a new server's effective weight as 1.
    st.weight = crate::engine::state::WEIGHT_SCALE;
    if spec.opts.disabled {
        // A `disabled` server's checks are paused, configured or not (`check_state` 8).
        st.check.paused = true;
    }
    match be.add_server(spec, id, st) {
        Some(idx) => {
            if let Some(hook) = ctx.eng.on_server_added.get() {
                hook(be.idx, idx);
            }
            eprintln!("[NOTICE]   ({}) : CLI : 'server {}/{sv}' : New server registered.", std::process::id(), be.name);
            Out::info("New server registered.\n")
        }
        None => Out::err("Out of memory error.\n"),
    }
}

pub fn del_server(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Admin);
    let arg = args.str(2);
    let (bk, sv) = arg.split_once('/').unwrap_or((arg.as_ref(), ""));
    if sv.is_empty() {
        return Out::err("Require 'backend/server'.");
    }
    let Some(be) = super::views::find_backend(ctx.eng, bk).cloned() else {
        return Out::err("No such backend.");
    };
    let Some(srv) = be.server_by_name(sv).cloned() else {
        return Out::err("No such server.");
    };
    if !be.trackers_of(srv.idx).is_empty() {
        return Out::err(
            "This server cannot be removed at runtime due to other configuration elements pointing to it.",
        );
    }
    if !be.state(srv.idx).in_maint() {
        return Out::err("Only servers in maintenance mode can be deleted.");
    }
    if srv.cur_conns.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        return Out::err("Server still has connections attached to it, cannot remove it.");
    }
    if !be.delete_server(srv.idx) {
        return Out::err("Server still has connections attached to it, cannot remove it.");
    }
    eprintln!("[NOTICE]   ({}) : CLI : Server deleted.", std::process::id());
    Out::info("Server deleted.")
}

//! `peers` sections: the peers (one of them this process, named by `localpeer` or the host
//! name), an optional `bind` for it, server and bind defaults, stick tables, and the warning
//! for a section where this process is not listed.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, Global, PeerSpec, PeersSpec};
use crate::ir::values::{self, TimeError};

use super::adapters::{bind_options, check_addr, default_server_line, server_line};
use super::Cx;

pub const KEYWORDS: &[&str] =
    &["peer", "server", "bind", "default-bind", "default-server", "table", "disabled", "enabled", "log"];

/// The typed part of a new section: the local peer name in force now.
pub fn spec(g: &Global) -> PeersSpec {
    let local_name = crate::ir::keywords::global::cmdline_localpeer()
        .map(str::to_string)
        .or_else(|| g.localpeer.clone())
        .unwrap_or_else(crate::config::env::hostname);
    PeersSpec { local_name, ..Default::default() }
}

fn spec_mut<'a>(cx: &'a mut Cx) -> &'a mut PeersSpec {
    match &mut cx.aux.detail {
        AuxDetail::Peers(s) => s,
        _ => unreachable!("a peers section has a peers detail"),
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "peer" | "server" => peer(cx, d),
        "bind" => bind(cx, d),
        "default-bind" => {
            let who = format!("'default-bind {}' in section 'peers'", d.arg(1));
            bind_options(cx, d, 1, &who);
        }
        "default-server" => {
            let owner = spec_mut(cx).local_name.clone();
            default_server_line(cx, &owner, d);
        }
        "table" => table(cx, d),
        "disabled" => spec_mut(cx).disabled = true,
        "enabled" => spec_mut(cx).disabled = false,
        "log" => {
            if d.arg(1) != "global" || d.has_arg(2) {
                if let Err(e) = crate::ir::keywords::global::parse_target(d, false) {
                    cx.log_error(d, "log", &e);
                }
            }
        }
        _ => cx.unknown(d),
    }
    Flow::Continue
}

/// Options HAProxy reads on peer lines but ignores there.
fn ignored_options(d: &Directive) -> bool {
    d.args_from(3).any(|w| matches!(w, "check" | "agent-check" | "init-addr" | "resolvers"))
}

fn peer(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    let name = d.arg(1).to_string();
    if kw == "peer" && cx.st.listener.as_ref().is_some_and(|(_, from_peer)| !from_peer) {
        cx.alert(d, "mixing \"peer\" and \"bind\" line is forbidden");
        return;
    }
    if name.is_empty() {
        return;
    }
    let local_name = spec_mut(cx).local_name.clone();
    let local = name == local_name;
    if local {
        if let Some(at) = cx.st.local_at.clone() {
            let msg = format!("'{kw} {name}' : local peer name already referenced at {}:{}. {name}", at.file, at.line);
            cx.alert(d, msg);
            return;
        }
        if kw == "server" && d.has_arg(2) {
            let msg = format!(
                "'server {local_name}/{name}' : unknown keyword '{}'. Hint: no address was expected for this server.",
                d.arg(2)
            );
            cx.alert_bracket(d, msg);
            return;
        }
    }
    if d.has_arg(2) {
        if !server_line(cx, &local_name, d) {
            return;
        }
        if local {
            if let Err(e) = check_addr(d.arg(2), true) {
                cx.alert(d, format!("'peer {name}' : {e}"));
                return;
            }
        }
        if ignored_options(d) {
            cx.warning(d, format!("'peer {name}' : init_addr, resolvers, check and agent are ignored for peers."));
        }
    }
    if kw == "peer" && cx.st.listener.is_none() {
        cx.st.listener = Some((d.span.clone(), true));
    }
    if local {
        cx.st.local_at = Some(d.span.clone());
        spec_mut(cx).has_local = true;
    }
    let span = d.span.clone();
    let addr = d.has_arg(2).then(|| d.arg(2).to_string());
    spec_mut(cx).peers.push(PeerSpec { name, addr, local, span });
}

fn bind(cx: &mut Cx, d: &Directive) {
    match &cx.st.listener {
        Some((_, true)) => {
            cx.alert(d, "mixing \"peer\" and \"bind\" line is forbidden");
            return;
        }
        Some((at, false)) => {
            let msg = format!(
                "One listener per \"peers\" section is authorized but another is already configured at [{}:{}].",
                at.file, at.line
            );
            cx.alert(d, msg);
            return;
        }
        None => {}
    }
    if !d.has_arg(1) {
        return;
    }
    if let Err(e) = check_addr(d.arg(1), true) {
        cx.alert(d, format!("'bind {}' : {e}", d.arg(1)));
        return;
    }
    cx.st.listener = Some((d.span.clone(), false));
    spec_mut(cx).bind = Some((d.arg(1).to_string(), d.span.clone()));
    let who = format!("'bind {}' in section 'peers'", d.arg(1));
    bind_options(cx, d, 2, &who);
}

const TABLE_TYPES: &[&str] = &["ip", "ipv6", "integer", "string", "binary"];
const TABLE_DATA: &[&str] = &[
    "server_id",
    "gpt0",
    "gpt",
    "gpc0",
    "gpc0_rate",
    "gpc1",
    "gpc1_rate",
    "gpc",
    "gpc_rate",
    "conn_cnt",
    "conn_cur",
    "conn_rate",
    "sess_cnt",
    "sess_rate",
    "http_req_cnt",
    "http_req_rate",
    "http_err_cnt",
    "http_err_rate",
    "http_fail_cnt",
    "http_fail_rate",
    "bytes_in_cnt",
    "bytes_in_rate",
    "bytes_out_cnt",
    "bytes_out_rate",
    "server_key",
    "server_name",
];

/// `table <name> type <type> [len <n>] size <size> [expire <time>] [nopurge] [store <data>,...]`.
fn table(cx: &mut Cx, d: &Directive) {
    let mut has_type = false;
    let mut has_size = false;
    let mut i = 2;
    while d.has_arg(i) {
        let w = d.arg(i);
        match w {
            "type" => {
                let t = d.arg(i + 1);
                if !TABLE_TYPES.contains(&t) {
                    cx.alert(d, format!("table: unknown type '{t}'."));
                    return;
                }
                has_type = true;
                i += 2;
                if matches!(t, "string" | "binary") && d.arg(i) == "len" {
                    let l = d.arg(i + 1);
                    if l.is_empty() || !l.bytes().all(|b| b.is_ascii_digit()) {
                        cx.alert(d, format!("table: unknown type '{l}'."));
                        return;
                    }
                    i += 2;
                }
            }
            "size" => {
                if let Err(c) = values::parse_size(d.arg(i + 1)) {
                    cx.alert(d, format!("table: unexpected character '{c}' in argument of 'size'."));
                    return;
                }
                has_size = true;
                i += 2;
            }
            "expire" => {
                if let Err(TimeError::Unexpected(c)) = values::parse_ms(d.arg(i + 1)) {
                    cx.alert(d, format!("table: unexpected character '{c}' in argument of 'expire'."));
                    return;
                }
                i += 2;
            }
            "nopurge" => i += 1,
            "store" => {
                for item in top_level_items(d.arg(i + 1)) {
                    let name = item.split('(').next().unwrap_or("");
                    if !TABLE_DATA.contains(&name) {
                        cx.alert(d, format!("table: unknown store option '{name}'."));
                        return;
                    }
                }
                i += 2;
            }
            _ => {
                cx.alert(d, format!("table: unknown argument '{w}'."));
                return;
            }
        }
    }
    if !has_size {
        cx.alert(d, "table: missing size.");
        return;
    }
    if !has_type {
        cx.alert(d, "table: missing type.");
        return;
    }
    let name = d.arg(1).to_string();
    spec_mut(cx).tables.push(name);
}

/// The items of a `store` list: commas inside parentheses (`gpc_rate(2,5s)`) do not split.
fn top_level_items(list: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0i32;
    list.split(move |c| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        c == ',' && depth == 0
    })
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for p in &cfg.peers {
        let AuxDetail::Peers(s) = &p.detail else { continue };
        if !s.has_local {
            let msg = format!("Removing incomplete section 'peers {}' (no peer named '{}').", p.name, s.local_name);
            super::warning(diags, msg);
        }
    }
}

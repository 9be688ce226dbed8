//! The few places where an auxiliary section reuses a proxy-section parser (server and bind
//! options of `peers`, `ring` and `log-forward` lines) or the address reader, kept together so
//! that a change to those parsers' signatures is one edit here.

use crate::config::ast::{Directive, Span};
use crate::ir::addr::{self, AddrOpts};
use crate::ir::keywords::proxy::SectionState;
use crate::ir::keywords::{bind, proxy, server};
use crate::ir::types::{Caps, Proxy};

use super::Cx;

/// Check an address the way HAProxy's `str2sa_range` words its errors (the part after
/// `'<keyword> <name>' : `).
pub fn check_addr(text: &str, port_required: bool) -> Result<(), String> {
    let rest = text.split_once('@').map_or(text, |(_, r)| r);
    let is_path = rest.starts_with('/') || text.starts_with("unix@") || text.starts_with("abns@");
    if !is_path {
        let port = match rest.strip_prefix('[') {
            Some(inner) => inner.split_once(']').map(|(_, p)| p.trim_start_matches(':')).unwrap_or(""),
            None => rest.rsplit_once(':').map_or("", |(_, p)| p),
        };
        if let Some(c) = port.chars().find(|c| !c.is_ascii_digit() && *c != '-' && *c != '+') {
            return Err(format!("invalid character '{c}' in port number '{port}' in '{text}'"));
        }
    }
    let opts = AddrOpts { port_required, resolve: true, dgram: true, ..Default::default() };
    addr::parse_address(text, opts).map(|_| ()).map_err(|e| e.to_string())
}

/// A `server` line parsed by the proxy server parser on a stand-in backend named `owner` (the
/// name HAProxy gives the section's internal proxy), with its words as `server <name> ...`.
/// Returns true when it added no error.
pub fn server_line(cx: &mut Cx, owner: &str, d: &Directive) -> bool {
    parsed_server_line(cx, owner, d).is_some()
}

/// [`server_line`], returning the server it parsed when the line had no error.
pub fn parsed_server_line(cx: &mut Cx, owner: &str, d: &Directive) -> Option<crate::ir::types::Server> {
    let mut words = d.all_words.clone();
    if let Some(w) = words.first_mut() {
        w.text = "server".to_string();
    }
    let line = Directive::new(d.span.clone(), words, d.raw.clone());
    let mut p = Proxy::new(owner, Caps::BACKEND, Span { file: d.span.file.clone(), line: d.span.line });
    let mut st = SectionState::default();
    let before = cx.r.diags.errors();
    let mut pcx = proxy::Cx { r: cx.r, p: &mut p, st: &mut st, global: cx.g };
    server::server(&mut pcx, &line);
    if cx.r.diags.errors() != before {
        return None;
    }
    p.servers.pop()
}

/// Bind options from word `from`, read by the proxy bind parser; `who` names the line in
/// messages. Returns true when it added no error.
pub fn bind_options(cx: &mut Cx, d: &Directive, from: usize, who: &str) -> bool {
    let mut p = Proxy::new(&cx.aux.name, Caps::FRONTEND, d.span.clone());
    let mut st = SectionState::default();
    let before = cx.r.diags.errors();
    let mut pcx = proxy::Cx { r: cx.r, p: &mut p, st: &mut st, global: cx.g };
    bind::bind_options(&mut pcx, d, from, who, 1);
    cx.r.diags.errors() == before
}

/// A `default-server` line parsed by the proxy parser on a stand-in backend. Returns true when
/// it added no error.
pub fn default_server_line(cx: &mut Cx, owner: &str, d: &Directive) -> bool {
    let mut p = Proxy::new(owner, Caps::BACKEND, d.span.clone());
    let mut st = SectionState::default();
    let before = cx.r.diags.errors();
    let mut pcx = proxy::Cx { r: cx.r, p: &mut p, st: &mut st, global: cx.g };
    server::default_server(&mut pcx, d);
    cx.r.diags.errors() == before
}

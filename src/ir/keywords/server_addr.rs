//! The address word of `server` lines and the `source` option's addresses: what HAProxy's
//! `str2sa_range` and name-resolution preparation accept, with the messages of its server
//! parser (line feeds and indentation included).

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::addr::{self, AddrError, AddrOpts};
use crate::ir::types::ServerOpts;
use crate::ir::values;

use super::proxy::Cx;
use super::server::{server_alert, server_name};

/// Parse the address word of a server; names are resolved later (after parsing), as HAProxy
/// does. Anything HAProxy cannot read as an address or a family prefix is a name to resolve.
pub(super) fn parse_server_addr(cx: &mut Cx, d: &Directive, i: usize, who: &str) -> Option<addr::Address> {
    let text = addr::env_expand(d.arg(i));
    if text.is_empty() {
        let msg = format!("'{}' resolves to an empty address (environment variable missing?)\n", d.arg(i));
        server_alert(cx, d, who, i, &msg);
        return None;
    }
    let opts = AddrOpts { allow_offset: true, resolve: false, connect: true, ..Default::default() };
    let parsed = parse_server_addr_text(cx, d, i, who, &text, opts)?;
    if let addr::Host::Unresolved(fqdn) = &parsed.host {
        // HAProxy prepares the name's DNS resolution now: an empty label fails.
        let empty_label = fqdn.starts_with('.') || fqdn.contains("..");
        if empty_label {
            let name = server_name(who);
            let msg = if fqdn.starts_with('_') {
                format!("{} '{}', server '{name}': failed to parse FQDN '{fqdn}'", cx.p.caps.type_name(), cx.p.name)
            } else {
                format!("Can't create DNS resolution for server '{name}'")
            };
            server_alert(cx, d, who, i, &msg);
            return None;
        }
    }
    Some(parsed)
}

fn parse_server_addr_text(
    cx: &mut Cx,
    d: &Directive,
    i: usize,
    who: &str,
    text: &str,
    opts: AddrOpts,
) -> Option<addr::Address> {
    let text = text.to_string();
    match addr::parse_address(&text, opts).map_err(|e| e.quoting(d.arg(i))) {
        Ok(a) => Some(a),
        Err(AddrError::InvalidAddress { .. }) => {
            let (host, port) = text.rsplit_once(':').unwrap_or((&text, ""));
            let port = match addr::parse_address(&format!("0.0.0.0:{port}"), opts) {
                Ok(a) => a.port,
                Err(e) => {
                    let e = e.quoting(d.arg(i));
                    server_alert(cx, d, who, i, &format!("{e}{}", e.trailing_lf()));
                    return None;
                }
            };
            let host = addr::Host::Unresolved(host.to_string());
            Some(addr::Address { family: addr::Family::Inet, host, port, text })
        }
        Err(e) => {
            // Messages ending in a line feed show an empty line after them.
            server_alert(cx, d, who, i, &format!("{e}{}", e.trailing_lf()));
            None
        }
    }
}

/// HAProxy's `indent_msg(msg, 2)`, applied to a server option's error before it is printed with
/// a final `.`: a single line loses its trailing line feed, several lines are each put on a new
/// line indented by two spaces.
pub(super) fn indent_msg(msg: &str) -> String {
    let lf = msg.matches('\n').count();
    if lf == 0 {
        return msg.to_string();
    }
    if lf == 1 && msg.ends_with('\n') {
        return msg[..msg.len() - 1].to_string();
    }
    let mut out = String::new();
    let mut rest = msg.trim_start_matches('\n');
    while !rest.is_empty() {
        out.push_str("\n  ");
        // At least one character is copied, even the line feed of an empty line.
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let end = rest[first..].find('\n').map_or(rest.len(), |p| p + first);
        out.push_str(&rest[..end]);
        rest = rest[end..].strip_prefix('\n').unwrap_or(&rest[end..]);
    }
    out
}

/// `source <addr>[:<port>[-<port>]] [usesrc <addr>|client|clientip|hdr_ip(<h>[,<occ>])]
/// [interface <name>]` on a server line; returns the index of the next option.
pub(super) fn source(cx: &mut Cx, d: &Directive, at: usize, o: &mut ServerOpts, who: &str) -> Result<usize, ()> {
    let v = d.arg(at + 1);
    if v.is_empty() {
        let msg = "'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument..";
        server_alert(cx, d, who, at, msg);
        return Err(());
    }
    let opts = AddrOpts { allow_range: true, resolve: true, connect: true, ..Default::default() };
    if let Err(e) = addr::parse_address_env(v, opts) {
        let msg = indent_msg(&format!("'source {v}' : {e}{}\n", e.trailing_lf()));
        server_alert(cx, d, who, at + 1, &format!("{msg}."));
        return Err(());
    }
    if let Err(form) = crate::ir::types::source_bind(v) {
        cx.r.not_yet(d, format!("server option 'source' with {form}"));
    }
    o.source = Some(v.to_string());
    let mut i = at + 2;
    loop {
        match d.arg(i) {
            "usesrc" => {
                let u = d.arg(i + 1);
                // These errors are printed at once, then the option fails without a message.
                let failed = |cx: &mut Cx, at: usize, msg: String| {
                    server_alert(cx, d, who, at, &msg);
                    let msg = format!("error encountered while processing '{}'.", d.arg(i));
                    cx.r.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
                    Err(())
                };
                if u.is_empty() {
                    let msg =
                        "'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.";
                    return failed(cx, i, msg.to_string());
                }
                if let Some(hdr) = u.strip_prefix("hdr_ip(") {
                    let name = hdr.trim_start();
                    let end = name.find(|c: char| c.is_whitespace() || c == ',' || c == ')').unwrap_or(name.len());
                    let after = name[end..].trim_start();
                    if let Some(occ) = after.strip_prefix(',') {
                        let len = usize::from(occ.starts_with('-'))
                            + occ.trim_start_matches('-').bytes().take_while(u8::is_ascii_digit).count();
                        if values::atoi(&occ[..len.min(occ.len())]) < -10 {
                            let msg =
                                "usesrc hdr_ip(name,num) does not support negative occurrences values smaller than 10.";
                            return failed(cx, i + 1, msg.to_string());
                        }
                    }
                } else if !matches!(u, "client" | "clientip") {
                    let opts = AddrOpts { resolve: true, connect: true, ..Default::default() };
                    if let Err(e) = addr::parse_address_env(u, opts) {
                        return failed(cx, i + 1, format!("'usesrc {u}' : {e}{}", e.trailing_lf()));
                    }
                }
                // Presenting another address needs transparent proxying (and root).
                cx.r.not_yet(d, "server option 'source ... usesrc'");
                i += 2;
            }
            "interface" => {
                if !d.has_arg(i + 1) {
                    let msg = format!("'{}' : missing interface name.", d.keyword());
                    server_alert(cx, d, who, i, &msg);
                    let msg = "error encountered while processing 'interface'.";
                    cx.r.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
                    return Err(());
                }
                // Binding to a device needs root.
                cx.r.not_yet(d, "server option 'source ... interface'");
                i += 2;
            }
            _ => return Ok(i),
        }
    }
}

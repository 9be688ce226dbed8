//! Rendering rules' log-format arguments (header values, redirect targets, reply bodies,
//! `set-var-fmt`) as HAProxy's `build_logline` does for them: samples as text, control bytes of
//! HTTP values %-encoded, a missing sample as nothing, and the `%` variables a stream knows.

use std::io::Write as _;

use crate::acl::{eval_expr, SmpType};
use crate::ir::rules::{FmtNode, FmtOpts, LogFmt};

use super::source::Stream;

fn push_encoded(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b {
        if c < 0x20 || c == 0x7f {
            let _ = write!(out, "%{c:02X}");
        } else {
            out.push(c);
        }
    }
}

fn push_text(out: &mut Vec<u8>, b: &[u8], opts: FmtOpts, http: bool) {
    if opts.quote {
        out.push(b'"');
    }
    if http {
        push_encoded(out, b);
    } else {
        out.extend_from_slice(b);
    }
    if opts.quote {
        out.push(b'"');
    }
}

/// Append the rendering of `fmt` to `out`. `http`: HAProxy's `LOG_OPT_HTTP` (header values,
/// replies, redirects).
pub fn render(fmt: &LogFmt, s: &Stream<'_>, http: bool, out: &mut Vec<u8>) {
    for n in &fmt.nodes {
        match n {
            FmtNode::Text(t) => out.extend_from_slice(t.as_bytes()),
            FmtNode::Expr { expr, opts } => {
                let Some(v) = eval_expr(expr, s) else { continue };
                let Some(v) = v.convert(SmpType::Str) else { continue };
                let bytes = v.as_bytes().unwrap_or_default();
                // Header values are not quoted.
                let opts = if http { FmtOpts { quote: false, ..*opts } } else { *opts };
                push_text(out, bytes, opts, http);
            }
            FmtNode::Var { name, opts } => var(name, *opts, s, http, out),
        }
    }
}

fn uri_parts(uri: &[u8]) -> (&[u8], &[u8]) {
    // (path with query, query with its '?') as %HP and %HQ show them.
    let q = uri.iter().position(|&c| c == b'?');
    let path = &uri[..q.unwrap_or(uri.len())];
    let query = q.map(|q| &uri[q..]).unwrap_or(b"");
    (path, query)
}

fn var(name: &str, opts: FmtOpts, s: &Stream<'_>, http: bool, out: &mut Vec<u8>) {
    let mut tmp: Vec<u8> = Vec::new();
    let text: &[u8] = match name {
        "ci" | "fi" => {
            let a = if name == "ci" { s.client } else { s.local };
            let ip = match a.ip() {
                std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(a.ip()),
                ip => ip,
            };
            if opts.hex {
                let _ = write!(tmp, "{}", crate::log::format::HexIp(ip));
            } else {
                let _ = write!(tmp, "{ip}");
            }
            &tmp
        }
        "cp" | "fp" => {
            let p = if name == "cp" { s.client.port() } else { s.local.port() };
            if opts.hex {
                let _ = write!(tmp, "{p:04X}");
            } else {
                let _ = write!(tmp, "{p}");
            }
            &tmp
        }
        "f" | "ft" => s.fe.name.as_bytes(),
        "b" => s.be.map(|b| b.name.as_bytes()).unwrap_or(s.fe.name.as_bytes()),
        "H" => s.eng.log.hostname.as_deref().unwrap_or("").as_bytes(),
        "pid" => {
            let _ = write!(tmp, "{}", std::process::id());
            &tmp
        }
        "rt" => {
            let n = s.txn.stream_id;
            let _ = if opts.hex { write!(tmp, "{n:04X}") } else { write!(tmp, "{n}") };
            &tmp
        }
        "Ts" => {
            let t = s.txn.accept_us.div_euclid(1_000_000);
            let _ = if opts.hex { write!(tmp, "{t:08X}") } else { write!(tmp, "{t}") };
            &tmp
        }
        "ms" => {
            let ms = s.txn.accept_us.div_euclid(1000).rem_euclid(1000);
            let _ = if opts.hex { write!(tmp, "{ms:02X}") } else { write!(tmp, "{ms:03}") };
            &tmp
        }
        "ID" => match s.txn.unique_id.get() {
            Some(id) => id,
            None => return,
        },
        "HM" | "HU" | "HP" | "HPO" | "HQ" | "HV" => {
            let Some(r) = s.req else { return };
            let uri = &r.buf[r.head.uri.clone()];
            match name {
                "HM" => &r.buf[r.head.method.clone()],
                "HU" => uri,
                "HP" => uri_parts(uri).0,
                "HPO" => uri_parts(uri).0,
                "HQ" => uri_parts(uri).1,
                _ => &r.buf[r.head.version_text.clone()],
            }
        }
        _ => return,
    };
    push_text(out, text, opts, http);
}

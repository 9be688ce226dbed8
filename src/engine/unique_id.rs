//! Unique request IDs (`unique-id-format`, `unique-id-header`, the `unique-id` fetch and
//! `%ID`): a frontend's format, compiled once, rendered for a stream when something first asks
//! for the ID (a rule's fetch, the request on its way to the server, or the log line), as
//! HAProxy's `stream_generate_unique_id` does; the ID then stays the stream's.

use crate::ir::rules::{FmtNode, LogFmt};
use crate::ir::types::{Config, Proxy};

use super::rules::source::Stream;

/// The longest ID: HAProxy renders it into a `UNIQUEID_LEN` (128) buffer with its NUL.
pub const MAX_LEN: usize = 127;

/// A frontend's `unique-id-format` and `unique-id-header`.
pub struct UniqueId {
    format: LogFmt,
    /// The header that carries the ID to the server.
    pub header: Option<Vec<u8>>,
}

impl UniqueId {
    /// The frontend's settings, its expressions resolved; `None` without a format (or with one
    /// the configuration check refused).
    pub fn build(cfg: &Config, p: &Proxy) -> Option<UniqueId> {
        let text = p.unique_id_format.as_deref()?;
        let place = crate::ir::keywords::rules::fmt::FmtPlace {
            cap: crate::acl::Ctx::FE_HRQ_HDR,
            http_proxy: p.mode == crate::ir::types::Mode::Http,
            http_opt: true,
        };
        let mut format = crate::ir::keywords::rules::fmt::parse(text, place, &mut Vec::new()).ok()?;
        let px = crate::acl::ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
        let look = crate::ir::validate::lookup(cfg);
        for n in &mut format.nodes {
            if let FmtNode::Expr { expr, .. } = n {
                let kw = expr.fetch.name;
                let _ = crate::acl::resolve_expr(expr, kw, crate::acl::ArgCtx::UNIQUE_ID, &px, &look);
            }
        }
        Some(UniqueId { format, header: p.unique_id_header.as_ref().map(|h| h.as_bytes().to_vec()) })
    }

    /// The stream's ID, rendered now unless it already has one (HTTP-encoded, as HAProxy
    /// renders it with `LOG_OPT_HTTP`).
    pub fn of<'a>(&self, s: &Stream<'a>) -> &'a [u8] {
        s.txn.unique_id.get_or_init(|| {
            let mut out = Vec::with_capacity(64);
            super::rules::render::render(&self.format, s, true, &mut out);
            out.truncate(MAX_LEN);
            out
        })
    }
}

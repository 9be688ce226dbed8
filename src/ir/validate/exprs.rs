//! Expressions HAProxy parses and resolves after reading the whole configuration, shared by
//! the configuration check and the engine (which keeps what they return): dynamic
//! `use_backend` names and `balance hash <expr>`.

use crate::ir::types::{Config, Proxy};

/// A `use_backend` name with `%[...]`: the format as HAProxy parses it after reading the
/// configuration, its expressions resolved (maps loaded). The error is HAProxy's text.
pub fn dynamic_name(cfg: &Config, p: &Proxy, name: &str) -> Result<crate::ir::rules::LogFmt, String> {
    let place = crate::ir::keywords::rules::fmt::FmtPlace {
        cap: crate::acl::Ctx::FE_SET_BCK,
        http_proxy: p.mode == crate::ir::types::Mode::Http,
        http_opt: false,
    };
    let mut f = crate::ir::keywords::rules::fmt::parse(name, place, &mut Vec::new())?;
    let px = crate::acl::ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
    let look = crate::ir::validate::lookup(cfg);
    for n in &mut f.nodes {
        if let crate::ir::rules::FmtNode::Expr { expr, .. } = n {
            let kw = expr.fetch.name;
            let _ = crate::acl::resolve_expr(expr, kw, crate::acl::ArgCtx::USE_BACKEND, &px, &look);
        }
    }
    Ok(f)
}

/// `balance hash <expr>` of a proxy, parsed and resolved (`Err`: HAProxy's parse error).
pub fn balance_expr(cfg: &Config, p: &Proxy) -> Option<Result<crate::acl::SampleExpr, String>> {
    let crate::ir::types::Balance::Hash { expr } = &p.balance else { return None };
    let mut i = 0;
    Some(crate::acl::parse_sample_expr(&[expr.as_str()], &mut i).map_err(|e| e.msg).map(|mut e| {
        let px = crate::acl::ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
        let kw = e.fetch.name;
        let _ = crate::acl::resolve_expr(
            &mut e,
            kw,
            crate::acl::ArgCtx::USE_SERVER,
            &px,
            &crate::ir::validate::lookup(cfg),
        );
        e
    }))
}

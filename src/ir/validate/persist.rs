//! Post-parse checks and compilation of the persistence rules' conditions and expressions
//! (`stick` rules, `force-persist` / `ignore-persist`), against the proxy's ACL lines in
//! configuration order. The engine builds its rules from [`conditions`] and [`stick_expr`].

use crate::acl::{self, ArgCtx, Line, ProxyCtx};
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::types::{Condition, Config, Proxy};

use super::Lookup;

fn words(c: &Condition) -> Vec<String> {
    let mut w = vec![if c.negate { "unless" } else { "if" }.to_string()];
    w.extend(c.terms.iter().cloned());
    w
}

/// Build and resolve conditions of `p` written at the given lines, each against the ACLs
/// declared before it. Returns one entry per input (`None` without a condition or when it
/// failed to build) and the reference errors as (line, message).
pub fn conditions(
    cfg: &Config,
    p: &Proxy,
    conds: &[(u32, Option<&Condition>)],
) -> (Vec<Option<acl::Condition>>, Vec<(u32, String)>) {
    let cw: Vec<(usize, u32, Vec<String>)> =
        conds.iter().enumerate().filter_map(|(i, (l, c))| c.map(|c| (i, *l, words(c)))).collect();
    let mut out = vec![None; conds.len()];
    if cw.is_empty() {
        return (out, Vec::new());
    }
    let mut lines: Vec<(u32, Option<usize>, Line<String>)> =
        p.acls.iter().map(|a| (a.span.line, None, Line::Acl { name: &a.name, words: &a.words })).collect();
    lines.extend(cw.iter().enumerate().map(|(k, (_, l, w))| (*l, Some(k), Line::Cond { words: w.as_slice() })));
    lines.sort_by_key(|(l, _, _)| *l);
    let px = ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
    let only: Vec<Line<String>> = lines.iter().map(|(_, _, l)| *l).collect();
    let compiled = acl::compile_proxy(&only, &px, &Lookup(cfg));
    let errors = compiled.errors.into_iter().map(|(i, m)| (lines[i].0, m)).collect();
    let ids = lines.iter().filter_map(|(_, id, _)| *id);
    for (k, c) in ids.zip(compiled.conditions) {
        out[cw[k].0] = c;
    }
    (out, errors)
}

/// The stick rule's expression with its arguments resolved, and the resolution errors.
pub fn stick_expr(cfg: &Config, p: &Proxy, e: &acl::SampleExpr) -> (acl::SampleExpr, Vec<String>) {
    let mut e = e.clone();
    let px = ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
    let kw = e.fetch.name;
    let errs = acl::resolve_expr(&mut e, kw, ArgCtx::STICK, &px, &Lookup(cfg));
    (e, errs)
}

/// Report the reference errors of a proxy's persistence rules as HAProxy groups them.
pub fn check(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    if p.stick_rules.is_empty() && p.persist_rules.is_empty() {
        return;
    }
    let mut errors: Vec<(String, u32, String)> = Vec::new();
    let file = p.span.file.to_string();
    let mut conds: Vec<(u32, Option<&Condition>)> = Vec::new();
    for r in &p.persist_rules {
        conds.push((r.span.line, r.cond.as_ref()));
    }
    for r in &p.stick_rules {
        if let Some(e) = &r.parsed {
            for m in stick_expr(cfg, p, e).1 {
                errors.push((file.clone(), r.span.line, m));
            }
        }
        conds.push((r.span.line, r.cond.as_ref()));
    }
    for (l, m) in conditions(cfg, p, &conds).1 {
        errors.push((file.clone(), l, m));
    }
    if let Some((headline, detail)) = acl::format_errors(&errors) {
        let mut d = Diagnostic::new(Severity::Alert, Loc::None, headline);
        d.detail_raw = detail;
        diags.push(d);
    }
}

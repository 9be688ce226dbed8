//! One proxy's ACL lines and rule conditions taken together, in the order HAProxy read them:
//! conditions are built against the ACLs known at their line, references are resolved in
//! declaration order, and the errors come out as HAProxy reports them. Used after parsing (the
//! `-c` check of references) and by the engine at start (typed, resolved conditions).

use super::cond::{AclTable, Condition};
use super::parse::AclExpr;
use super::resolve::{resolve_expr, ArgCtx, ConfigLookup, ProxyCtx};

/// A line of a proxy that carries sample expressions.
#[derive(Debug)]
pub enum Line<'a, S: AsRef<str>> {
    /// `acl <name> <words...>` (words from the criterion on).
    Acl { name: &'a str, words: &'a [S] },
    /// A rule's condition, from its `if`/`unless` on.
    Cond { words: &'a [S] },
}

impl<S: AsRef<str>> Clone for Line<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: AsRef<str>> Copy for Line<'_, S> {}

/// What [`compile_proxy`] produced.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// One condition per `Line::Cond`, in order; `None` where the condition failed to build.
    pub conditions: Vec<Option<Condition>>,
    /// Problems as (index of the line in the input, HAProxy's message), in HAProxy's order.
    /// Resolution errors are printed `parsing [file:line]: <msg>` (see
    /// [`super::resolve::format_errors`]).
    pub errors: Vec<(usize, String)>,
    /// Problems found once references are resolved (HAProxy's `acl_find_targets`: groups of
    /// `http_auth_group`), printed as alerts without location. Only checked without `errors`.
    pub target_errors: Vec<String>,
}

/// Build and resolve every condition of a proxy. `lines` must be in configuration order.
pub fn compile_proxy<S: AsRef<str>>(lines: &[Line<'_, S>], px: &ProxyCtx, look: &dyn ConfigLookup) -> Compiled {
    let acl_lines: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| matches!(l, Line::Acl { .. })).map(|(i, _)| i).collect();
    let defs = lines.iter().filter_map(|l| match l {
        Line::Acl { name, words } => Some((*name, *words)),
        Line::Cond { .. } => None,
    });
    let mut out = Compiled::default();
    let mut table = match AclTable::build(defs) {
        Ok(t) => t,
        Err((i, e)) => {
            out.errors.push((acl_lines.get(i).copied().unwrap_or(0), e.msg));
            return out;
        }
    };
    // Each ACL line's expression is resolved once, where it was declared.
    for (k, e) in table.exprs_mut().enumerate() {
        let kw = e.smp.fetch.name;
        for m in resolve_expr(&mut e.smp, kw, ArgCtx::ACL, px, look) {
            out.errors.push((acl_lines[k], m));
        }
    }
    let mut seen_acls = 0;
    for (idx, l) in lines.iter().enumerate() {
        match l {
            Line::Acl { .. } => seen_acls += 1,
            Line::Cond { words } => match table.condition(seen_acls, words) {
                Ok(mut c) => {
                    // Anonymous ACLs belong to the rule's line.
                    for t in c.suites.iter_mut().flatten().filter(|t| t.acl.name.is_empty()) {
                        for e in &mut t.acl.exprs {
                            let kw = e.smp.fetch.name;
                            for m in resolve_expr(&mut e.smp, kw, ArgCtx::ACL, px, look) {
                                out.errors.push((idx, m));
                            }
                        }
                    }
                    out.conditions.push(Some(c));
                }
                Err(e) => {
                    out.errors.push((idx, e.msg));
                    out.conditions.push(None);
                }
            },
        }
    }
    // HAProxy resolves arguments in the order they were declared.
    out.errors.sort_by_key(|(i, _)| *i);
    if out.errors.is_empty() {
        out.target_errors = auth_group_targets(lines, &table, &out.conditions, px, look);
    }
    out
}

/// `acl_find_targets`: every `http_auth_group` expression needs groups, and they must exist in
/// its userlist. ACLs are visited in the order HAProxy created them.
fn auth_group_targets<S: AsRef<str>>(
    lines: &[Line<'_, S>],
    table: &AclTable,
    conds: &[Option<Condition>],
    px: &ProxyCtx,
    look: &dyn ConfigLookup,
) -> Vec<String> {
    use super::args::Arg;
    use super::pattern::Pattern;
    let mut out = Vec::new();
    let mut check = |name: &str, e: &AclExpr| {
        if e.kw != "http_auth_group" {
            return;
        }
        let ul = e.smp.args.first().and_then(Arg::as_str).unwrap_or("");
        for set in &e.matcher.sets {
            if set.patterns.is_empty() {
                out.push(format!("proxy {}: acl {name} {}(): no groups specified.", px.name, e.kw));
                continue;
            }
            for p in &set.patterns {
                if let Pattern::Bytes(g) = p {
                    let g = String::from_utf8_lossy(g);
                    if !look.userlist_group(ul, &g) {
                        out.push(format!("proxy {}: acl {name} {}(): invalid group '{g}'.", px.name, e.kw));
                    }
                }
            }
        }
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut conds = conds.iter();
    for l in lines {
        match l {
            Line::Acl { name, .. } => {
                if !seen.contains(name) {
                    seen.push(name);
                    for e in table.named(name) {
                        check(name, e);
                    }
                }
            }
            Line::Cond { .. } => {
                if let Some(Some(c)) = conds.next() {
                    for t in c.suites.iter().flatten().filter(|t| t.acl.name.is_empty()) {
                        for e in &t.acl.exprs {
                            check("", e);
                        }
                    }
                }
            }
        }
    }
    out
}

//! After parsing: HAProxy's per-rule checks (`check_action_rules`: stick tables of `track-sc`,
//! capture slots, caches, SPOE groups, resolvers, http-errors sections), the filter checks, the
//! argument resolution of rule expressions, and the conditions and resolved expressions the
//! engine runs, stored back into the rules (and into `http-error` replies).

use crate::acl::{self, ArgCtx, ConfigLookup, ProxyCtx, SmpType};
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::rules::{Action, ActionRule, FmtNode, LateCheck, LogFmt, RedirectTarget, Reply, ReplyBody, RuleSet};
use crate::ir::types::{Config, ErrorRule, Mode, Proxy, TableKey};

/// Every rule set of a proxy, in HAProxy's `check_action_rules` order.
pub const SETS: [RuleSet; 8] = [
    RuleSet::TcpReqConn,
    RuleSet::TcpReqSess,
    RuleSet::TcpReqCont,
    RuleSet::TcpResCont,
    RuleSet::HttpReq,
    RuleSet::HttpRes,
    RuleSet::HttpAfter,
    RuleSet::Redirect,
];

/// Whether a rule was written in this proxy (rules of a named defaults section are copied into
/// the proxies that use it).
pub fn is_own(p: &Proxy, r: &ActionRule) -> bool {
    r.span.file == p.span.file && r.span.line > p.span.line
}

/// The type a stick table stores its keys as.
fn table_type(cfg: &Config, name: &str) -> Option<SmpType> {
    let key = |k: &TableKey| match k {
        TableKey::Ip => SmpType::Ipv4,
        TableKey::Ipv6 => SmpType::Ipv6,
        TableKey::Integer => SmpType::Sint,
        TableKey::String { .. } => SmpType::Str,
        TableKey::Binary { .. } => SmpType::Bin,
    };
    if let Some(t) = cfg.proxies.iter().find(|p| p.name == name).and_then(|p| p.stick_table.as_ref()) {
        return Some(key(&t.key));
    }
    for peers in &cfg.peers {
        for (_, w) in &peers.entries {
            if w.first().is_some_and(|k| k == "table")
                && w.get(1).is_some_and(|t| t == name || format!("{}/{t}", peers.name) == name)
            {
                let ty = w.windows(2).find(|p| p[0] == "type").map(|p| p[1].as_str()).unwrap_or("ip");
                return Some(match ty {
                    "ipv6" => SmpType::Ipv6,
                    "integer" => SmpType::Sint,
                    "string" => SmpType::Str,
                    "binary" => SmpType::Bin,
                    _ => SmpType::Ipv4,
                });
            }
        }
    }
    None
}

/// The sources HAProxy's `SMP_USE_L6REQ | SMP_USE_HRQH* | SMP_USE_HRQBO` stand for.
fn uses_request_contents(e: &acl::SampleExpr) -> bool {
    e.fetch.uses == acl::types::Uses::L6REQ
        || acl::fetch_source(e.fetch.name).is_some_and(|s| s.contains("HTTP request") || s.contains("request buffer"))
}

fn alert(diags: &mut Diags, msg: String) {
    diags.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
}

fn warning(diags: &mut Diags, msg: String) {
    diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
}

/// HAProxy's `check_action_rules` over every rule set of `p`, then the filters' checks.
pub fn check(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    for set in SETS {
        if set == RuleSet::Redirect {
            continue;
        }
        for r in super::rules_of(p, set) {
            let Some(c) = &r.check else { continue };
            if let Err(e) = check_one(cfg, p, set, r, c, diags) {
                alert(diags, format!("Proxy '{}': {e}.", p.name));
            }
        }
    }
    check_filters(cfg, p, diags);
}

fn check_one(
    cfg: &Config,
    p: &Proxy,
    set: RuleSet,
    r: &ActionRule,
    c: &LateCheck,
    diags: &mut Diags,
) -> Result<(), String> {
    match c {
        LateCheck::Track { sc, table, key } => {
            let name = table.as_deref().unwrap_or(&p.name);
            let ty =
                if table.is_some() { table_type(cfg, name) } else { p.stick_table.as_ref().and(table_type(cfg, name)) };
            let Some(ty) = ty else {
                return Err(format!("unable to find table '{name}' referenced by track-sc{sc}"));
            };
            if !key.out_type().can_cast(ty) {
                return Err(format!("stick-table '{name}' uses a type incompatible with the 'track-sc{sc}' rule"));
            }
            if set == RuleSet::TcpReqCont && p.caps.frontend {
                let who = format!("{} '{}'", p.caps.type_name(), p.name);
                if p.tcp_request_inspect_delay.unwrap_or(0) == 0 && !key.fetch.val.intersects(acl::Ctx::FE_SES_ACC) {
                    warning(diags, format!("{who} : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay."));
                }
                let cond_uses = r
                    .cond
                    .as_ref()
                    .and_then(|c| c.compiled.as_ref())
                    .is_some_and(|c| c.exprs().any(|e| uses_request_contents(&e.smp)));
                if p.mode == Mode::Http && !uses_request_contents(key) && !cond_uses {
                    warning(diags, format!("{who} : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests)."));
                }
            }
            Ok(())
        }
        LateCheck::CaptureId { id, response } => {
            let declared = p.captures.iter().filter(|c| c.request != *response).count() as i64
                + if *response {
                    0
                } else {
                    p.http_request.iter().filter(|r| r.check == Some(LateCheck::CaptureSlot)).count() as i64
                };
            if p.caps.frontend && *id >= declared {
                let which = if *response { "http-response" } else { "http-request" };
                return Err(format!("unable to find capture id '{id}' referenced by {which} capture rule"));
            }
            Ok(())
        }
        LateCheck::Resolvers(name) => {
            if cfg.resolvers.iter().any(|s| &s.name == name) {
                Ok(())
            } else {
                Err(format!("Can't find resolvers section '{name}' for do-resolve action"))
            }
        }
        LateCheck::HttpErrors(name) => {
            let Some(sec) = cfg.http_errors.iter().find(|s| &s.name == name) else {
                return Err(format!("unknown http-errors section '{name}' referenced by an http reply "));
            };
            let status = match &r.action {
                Action::Deny(rep) | Action::Return(rep) => rep.status,
                _ => 0,
            };
            let declared = match &sec.detail {
                crate::ir::types::AuxDetail::HttpErrors(spec) => spec.errorfiles.iter().any(|f| f.status == status),
                _ => false,
            };
            if !declared {
                warning(
                    diags,
                    format!(
                        "Proxy '{}': status '{status}' referenced by an http reply not declared in http-errors section '{name}'.",
                        p.name
                    ),
                );
            }
            Ok(())
        }
        LateCheck::OtGroup { filter, group } => {
            Err(format!("unable to find the OpenTracing filter '{filter}' used by the ot-group '{group}'"))
        }
        LateCheck::SpoeGroup { engine, group } => {
            let f = p.filters.iter().find(|f| {
                f.words.first().is_some_and(|w| w == "spoe")
                    && f.words.windows(2).any(|w| w[0] == "engine" && &w[1] == engine)
            });
            let Some(f) = f else {
                return Err(format!("unable to find SPOE engine '{engine}' used by the send-spoe-group '{group}'"));
            };
            let file = f.words.windows(2).find(|w| w[0] == "config").map(|w| w[1].clone()).unwrap_or_default();
            if !spoe_has_group(&file, engine, group) {
                return Err(format!("unable to find SPOE group '{group}' into SPOE engine '{engine}' configuration"));
            }
            Ok(())
        }
        LateCheck::Cache(_) | LateCheck::CaptureSlot => Ok(()),
    }
}

fn spoe_has_group(file: &str, engine: &str, group: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else { return false };
    let mut scope = String::new();
    for line in text.lines() {
        let l = line.trim();
        if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            scope = s.trim().to_string();
            continue;
        }
        let mut w = l.split_whitespace();
        if scope == engine && w.next() == Some("spoe-group") && w.next() == Some(group) {
            return true;
        }
    }
    false
}

/// The caches a proxy uses (implicitly through `cache-use`/`cache-store`, or with `filter
/// cache`), and its `fcgi-app` filters: they must exist.
fn check_filters(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    let mut caches: Vec<&str> = Vec::new();
    for set in [RuleSet::HttpReq, RuleSet::HttpRes] {
        for r in super::rules_of(p, set) {
            if let Some(LateCheck::Cache(n)) = &r.check {
                if !caches.contains(&n.as_str()) {
                    caches.push(n);
                }
            }
        }
    }
    for f in &p.filters {
        match (f.words.first().map(String::as_str), f.words.get(1)) {
            (Some("cache"), Some(n)) if !caches.contains(&n.as_str()) => caches.push(n),
            (Some("fcgi-app"), Some(n)) if !cfg.fcgi_apps.iter().any(|a| &a.name == n) => {
                alert(diags, format!("proxy '{}' : fcgi-app '{n}' not found.", p.name));
            }
            // `use-fcgi-app` lines are checked with the proxy's other settings.
            (Some("fcgi-app"), Some(_))
                if p.fcgi_app.is_none() && !p.servers.iter().any(|s| s.opts.proto.as_deref() == Some("fcgi")) =>
            {
                alert(diags, format!("proxy '{}': FCGI app configured but no FCGI server found.", p.name));
            }
            _ => {}
        }
    }
    for c in caches {
        if !cfg.caches.iter().any(|s| s.name == c) {
            alert(
                diags,
                format!("config: proxy '{}': unable to find the cache '{c}' referenced by the filter 'cache'.", p.name),
            );
        }
    }
}

/// The argument context HAProxy names in resolution errors for a rule set's expressions.
fn arg_ctx(set: RuleSet) -> ArgCtx {
    match set {
        RuleSet::HttpReq => ArgCtx::HTTP_REQ,
        RuleSet::HttpRes | RuleSet::HttpAfter => ArgCtx::HTTP_RES,
        RuleSet::Redirect => ArgCtx::REDIRECT,
        RuleSet::TcpReqConn => {
            ArgCtx { kind: "sample fetch keyword", place: "in tcp-request connection expression in" }
        }
        RuleSet::TcpReqSess => ArgCtx { kind: "sample fetch keyword", place: "in tcp-request session expression in" },
        RuleSet::TcpReqCont => ArgCtx { kind: "sample fetch keyword", place: "in tcp-request content expression in" },
        RuleSet::TcpResCont => ArgCtx { kind: "sample fetch keyword", place: "in tcp-response content expression in" },
    }
}

/// Apply `f` to every sample expression an action carries (not its condition).
pub fn for_each_expr(a: &mut Action, f: &mut dyn FnMut(&mut acl::SampleExpr)) {
    let mut fmts: Vec<&mut LogFmt> = Vec::new();
    match a {
        Action::SetHeader { value, .. } => fmts.push(value),
        Action::ReplaceHeader { with, .. } | Action::ReplaceLine { with, .. } => fmts.push(with),
        Action::SetLine { value, .. } => fmts.push(value),
        Action::SetVarFmt { fmt, .. } => fmts.push(fmt),
        Action::SetVar { expr, .. }
        | Action::TrackSc { key: expr, .. }
        | Action::Capture { expr, .. }
        | Action::ScSetGpt { value: crate::ir::rules::GptValue::Expr(expr), .. } => f(expr),
        Action::Deny(r) | Action::Return(r) => fmts.extend(reply_fmts(r)),
        Action::Redirect(r) => {
            if let RedirectTarget::Fmt(t) = &mut r.target {
                fmts.push(t);
            }
        }
        _ => {}
    }
    for fm in fmts {
        for n in &mut fm.nodes {
            if let FmtNode::Expr { expr, .. } = n {
                f(expr);
            }
        }
    }
}

/// The log-formats of a reply: its headers, then its body.
fn reply_fmts(r: &mut Reply) -> Vec<&mut LogFmt> {
    let mut fmts: Vec<&mut LogFmt> = r.hdrs.iter_mut().map(|(_, v)| v).collect();
    if let ReplyBody::Fmt(b) = &mut r.body {
        fmts.push(b);
    }
    fmts
}

/// Resolution errors of the expressions rules carry in their actions, as (line, message).
pub fn action_arg_errors(p: &Proxy, look: &dyn ConfigLookup) -> Vec<(u32, String)> {
    let px = ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
    let mut out = Vec::new();
    for set in SETS {
        for r in super::rules_of(p, set).iter().filter(|r| is_own(p, r)) {
            let mut a = r.action.clone();
            let line = r.span.line;
            let ctx = if matches!(a, Action::Redirect(_)) { ArgCtx::REDIRECT } else { arg_ctx(set) };
            for_each_expr(&mut a, &mut |e| {
                let kw = e.fetch.name;
                for m in acl::resolve_expr(e, kw, ctx, &px, look) {
                    out.push((line, m));
                }
            });
        }
    }
    out
}

/// The conditions of a proxy's own rules, as (line, words, set, index in its set).
pub fn own_conditions(p: &Proxy) -> Vec<(u32, Vec<String>, RuleSet, usize)> {
    let mut out = Vec::new();
    for set in SETS {
        for (i, r) in super::rules_of(p, set).iter().enumerate() {
            if let Some(c) = r.cond.as_ref().filter(|_| is_own(p, r)) {
                out.push((r.span.line, c.words.clone(), set, i));
            }
        }
    }
    out
}

/// What the engine cannot evaluate or render in an action's arguments.
fn action_unsupported(a: &Action, out: &mut Vec<String>) {
    let mut fmts: Vec<&LogFmt> = Vec::new();
    match a {
        Action::SetHeader { value, .. } | Action::SetLine { value, .. } => fmts.push(value),
        Action::ReplaceHeader { with, .. } | Action::ReplaceLine { with, .. } => fmts.push(with),
        Action::SetVarFmt { fmt, .. } => fmts.push(fmt),
        Action::Deny(r) | Action::Return(r) => {
            fmts.extend(r.hdrs.iter().map(|(_, f)| f));
            if let ReplyBody::Fmt(f) = &r.body {
                fmts.push(f);
            }
        }
        Action::Redirect(r) => {
            if let RedirectTarget::Fmt(f) = &r.target {
                fmts.push(f);
            }
        }
        _ => {}
    }
    for f in fmts {
        super::fmt::unsupported(f, out);
    }
    if let Action::SetVar { expr, .. }
    | Action::TrackSc { key: expr, .. }
    | Action::Capture { expr, .. }
    | Action::ScSetGpt { value: crate::ir::rules::GptValue::Expr(expr), .. } = a
    {
        acl::eval::unsupported_in_expr(expr, out);
    }
}

/// Record what a proxy's rules use that the engine cannot run yet.
fn refuse_unsupported(cfg: &mut Config, pi: usize, conds: &crate::ir::validate::ProxyConditions) {
    let p = &cfg.proxies[pi];
    let mut found: Vec<(crate::config::ast::Span, String)> = Vec::new();
    let mut note = |span: &crate::config::ast::Span, what: Vec<String>| {
        for w in what {
            found.push((span.clone(), w));
        }
    };
    for set in SETS {
        for r in super::rules_of(p, set) {
            if matches!(r.action, Action::Unsupported) {
                continue;
            }
            let mut what = Vec::new();
            action_unsupported(&r.action, &mut what);
            if let Some(c) = r.cond.as_ref().and_then(|c| c.compiled.as_ref()) {
                what.extend(acl::unsupported(c));
            }
            note(&r.span, what.into_iter().map(|w| format!("{w} in '{} {}'", set.name(), r.keyword)).collect());
        }
    }
    for rule in &p.error_rules {
        if let ErrorRule::HttpError { reply, span } = rule {
            let mut what = Vec::new();
            action_unsupported(&Action::Return(reply.clone()), &mut what);
            note(span, what.into_iter().map(|w| format!("{w} in 'http-error'")).collect());
        }
    }
    // `balance hash <expr>` evaluates its expression for every server choice.
    if let Some(Ok(e)) = crate::ir::validate::exprs::balance_expr(cfg, p) {
        let mut what = Vec::new();
        acl::eval::unsupported_in_expr(&e, &mut what);
        note(&p.span, what.into_iter().map(|w| format!("{w} in 'balance hash'")).collect());
    }
    // Dynamic `use_backend` names run their expressions per request.
    for r in &p.use_backend {
        let name = r.words.first().map(String::as_str).unwrap_or("");
        if name.contains("%[") {
            if let Ok(f) = crate::ir::validate::exprs::dynamic_name(cfg, p, name) {
                let mut what = Vec::new();
                super::fmt::unsupported(&f, &mut what);
                note(&r.span, what.into_iter().map(|w| format!("{w} in 'use_backend'")).collect());
            }
        }
    }
    let families = [
        ("use_backend", &p.use_backend, &conds.use_backend),
        ("use-server", &p.use_server, &conds.use_server),
        ("monitor fail", &p.monitor_fail, &conds.monitor_fail),
        ("stats admin", &p.stats.admin, &conds.stats_admin),
    ];
    for (kw, rules, cs) in families {
        for (r, c) in rules.iter().zip(cs.iter()) {
            if let Some(c) = c {
                note(&r.span, acl::unsupported(c).into_iter().map(|w| format!("{w} in '{kw}'")).collect());
            }
        }
    }
    // `force-persist` / `ignore-persist` conditions, then `stick` rules (expression and condition).
    let mut persist_conds: Vec<(u32, Option<&crate::ir::types::Condition>)> =
        p.persist_rules.iter().map(|r| (r.span.line, r.cond.as_ref())).collect();
    persist_conds.extend(p.stick_rules.iter().map(|r| (r.span.line, r.cond.as_ref())));
    let (compiled, _) = crate::ir::validate::persist::conditions(cfg, p, &persist_conds);
    let (persist, stick) = compiled.split_at(p.persist_rules.len());
    for (r, c) in p.persist_rules.iter().zip(persist) {
        if let Some(c) = c {
            let kw = r.words.first().map(String::as_str).unwrap_or("force-persist");
            note(&r.span, acl::unsupported(c).into_iter().map(|w| format!("{w} in '{kw}'")).collect());
        }
    }
    for (r, c) in p.stick_rules.iter().zip(stick) {
        let mut what = Vec::new();
        if let Some(e) = &r.parsed {
            acl::eval::unsupported_in_expr(e, &mut what);
        }
        if let Some(c) = c {
            what.extend(acl::unsupported(c));
        }
        let kw = format!("stick {}", r.kind.keyword());
        note(&r.span, what.into_iter().map(|w| format!("{w} in '{kw}'")).collect());
    }
    for (span, what) in found {
        cfg.unsupported.push(crate::ir::types::Unsupported { span, what });
    }
}

/// Store what the engine runs: each own rule's condition (as built by `proxy_conditions`) and
/// its expressions resolved. Rules inherited from a defaults section keep the condition built
/// when they were read. What the engine cannot run is recorded as "not supported yet".
pub fn finalize(cfg: &mut Config) {
    let snapshot = cfg.clone();
    for (pi, p) in snapshot.proxies.iter().enumerate() {
        let conds = crate::ir::validate::proxy_conditions(&snapshot, p);
        let look = crate::ir::validate::lookup(&snapshot);
        let px = ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
        let target = &mut cfg.proxies[pi];
        for (set, i, c) in conds.rules.iter().cloned() {
            if let Some(rc) = super::rules_mut(target, set).get_mut(i).and_then(|r| r.cond.as_mut()) {
                rc.compiled = c;
            }
        }
        for set in SETS {
            for r in super::rules_mut(target, set).iter_mut() {
                for_each_expr(&mut r.action, &mut |e| {
                    let kw = e.fetch.name;
                    let _ = acl::resolve_expr(e, kw, arg_ctx(set), &px, &look);
                });
                if let Action::Deny(rep) | Action::Return(rep) = &mut r.action {
                    crate::ir::keywords::errors::resolve_reply_section(rep, &snapshot.http_errors);
                }
                if let Some(rc) = r.cond.as_mut().filter(|rc| rc.compiled.is_none()) {
                    rc.compiled = inherited_condition(rc);
                    if let Some(c) = rc.compiled.as_mut() {
                        let _ = acl::resolve_condition(c, &px, &look);
                    }
                }
            }
        }
        http_error_exprs(target, &px, &look);
        if !p.disabled {
            refuse_unsupported(cfg, pi, &conds);
        }
    }
}

/// `http-error` replies run their log-formats like a response rule's.
fn http_error_exprs(p: &mut Proxy, px: &ProxyCtx, look: &dyn ConfigLookup) {
    for rule in &mut p.error_rules {
        let ErrorRule::HttpError { reply, .. } = rule else { continue };
        for f in reply_fmts(reply) {
            for n in &mut f.nodes {
                if let FmtNode::Expr { expr, .. } = n {
                    let kw = expr.fetch.name;
                    let _ = acl::resolve_expr(expr, kw, arg_ctx(RuleSet::HttpRes), px, look);
                }
            }
        }
    }
}

fn inherited_condition(rc: &crate::ir::rules::RuleCond) -> Option<acl::Condition> {
    let acls = rc.acls.as_ref()?;
    let defs: Vec<(&str, &[String])> = acls.iter().map(|a| (a.name.as_str(), a.words.as_slice())).collect();
    acl::compile_condition(&defs, defs.len(), &rc.words).ok()
}

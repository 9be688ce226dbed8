//! HAProxy's checks after parsing (`check_config_validity`): references between proxies
//! (default_backend, use_backend, track), duplicate server names, mode compatibility, and the
//! warnings about missing timeouts. Then server address resolution, which HAProxy runs only when
//! everything else is valid.

use std::collections::HashMap;

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::addr::{self, Host};
use crate::ir::types::{Config, InitAddr, Mode, Proxy};

/// Run the post-parse checks in HAProxy's order, proxy by proxy.
pub fn validate(cfg: &mut Config, diags: &mut Diags) {
    let snapshot = cfg.clone();
    for p in &snapshot.proxies {
        if p.disabled {
            continue;
        }
        check_default_backend(&snapshot, p, diags);
        check_use_backend(&snapshot, p, diags);
        check_sample_args(&snapshot, p, diags);
        crate::ir::keywords::rules::post::check(&snapshot, p, diags);
        check_servers(&snapshot, p, diags);
        check_warnings(p, diags);
    }
    crate::ir::keywords::rules::post::finalize(cfg);
}

/// What the ACL module needs to resolve references against this configuration.
pub struct Lookup<'a>(pub &'a Config);

/// The configuration as the ACL module looks references up.
pub fn lookup(cfg: &Config) -> Lookup<'_> {
    Lookup(cfg)
}

impl crate::acl::ConfigLookup for Lookup<'_> {
    fn backend(&self, name: &str) -> bool {
        self.0.backend(name).is_some()
    }
    fn frontend(&self, name: &str) -> bool {
        self.0.proxies.iter().any(|p| p.name == name && p.caps.frontend)
    }
    fn server(&self, proxy: &str, server: &str) -> bool {
        self.0.backend(proxy).is_some_and(|b| b.servers.iter().any(|s| s.name == server))
    }
    fn table(&self, name: &str) -> bool {
        self.0.proxies.iter().any(|p| p.name == name && p.stick_table.is_some())
            || self.0.peers.iter().any(|peers| {
                peers.entries.iter().any(|(_, w)| {
                    w.first().is_some_and(|k| k == "table")
                        && w.get(1).is_some_and(|t| t == name || format!("{}/{t}", peers.name) == name)
                })
            })
    }
    fn userlist(&self, name: &str) -> bool {
        self.0.userlists.iter().any(|u| u.name == name)
    }
    fn userlist_group(&self, userlist: &str, group: &str) -> bool {
        self.0.userlists.iter().filter(|u| u.name == userlist).any(|u| {
            u.entries
                .iter()
                .any(|(_, w)| w.first().is_some_and(|k| k == "group") && w.get(1).is_some_and(|g| g == group))
        })
    }
}

/// The typed conditions of a proxy's rules, built and resolved by the acl module: one entry per
/// rule of `use_backend`, `use_server` and `monitor_fail`, in the same order (`None` for a rule
/// without condition, or whose condition failed to build). The engine evaluates these.
#[derive(Debug, Clone, Default)]
pub struct ProxyConditions {
    pub use_backend: Vec<Option<crate::acl::Condition>>,
    pub use_server: Vec<Option<crate::acl::Condition>>,
    pub monitor_fail: Vec<Option<crate::acl::Condition>>,
    /// The conditions of the proxy's own action rules (http-request ..., tcp-request ...,
    /// redirect), as (rule set, index in the set, condition).
    pub rules: Vec<(crate::ir::rules::RuleSet, usize, Option<crate::acl::Condition>)>,
    /// Reference errors, as (line, HAProxy's message), in HAProxy's order.
    pub errors: Vec<(u32, String)>,
    /// `http_auth_group` target errors, checked only without reference errors.
    pub target_errors: Vec<String>,
}

/// Build and resolve the conditions of `p`'s rules against its ACL lines, in line order.
pub fn proxy_conditions(cfg: &Config, p: &Proxy) -> ProxyConditions {
    use crate::acl::Line;
    use crate::ir::types::Rule;
    let cond_words = |r: &Rule| {
        r.cond.as_ref().map(|c| {
            let mut w = vec![if c.negate { "unless" } else { "if" }.to_string()];
            w.extend(c.terms.iter().cloned());
            w
        })
    };
    let families = [&p.use_backend, &p.use_server, &p.monitor_fail];
    // (family, rule index, line, words)
    let mut conds: Vec<(usize, usize, u32, Vec<String>)> = Vec::new();
    for (f, rules) in families.iter().enumerate() {
        for (i, r) in rules.iter().enumerate() {
            if let Some(w) = cond_words(r) {
                conds.push((f, i, r.span.line, w));
            }
        }
    }
    // Action rules: family 3, the index pointing into `rule_ids`.
    let own = crate::ir::keywords::rules::post::own_conditions(p);
    let mut rule_ids = Vec::new();
    for (line, words, set, i) in own {
        conds.push((3, rule_ids.len(), line, words));
        rule_ids.push((set, i));
    }
    let mut lines: Vec<(u32, Option<usize>, Line<String>)> =
        p.acls.iter().map(|a| (a.span.line, None, Line::Acl { name: &a.name, words: &a.words })).collect();
    lines.extend(conds.iter().enumerate().map(|(k, (_, _, l, w))| (*l, Some(k), Line::Cond { words: w.as_slice() })));
    lines.sort_by_key(|(l, _, _)| *l);
    let px = crate::acl::ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
    let only: Vec<Line<String>> = lines.iter().map(|(_, _, l)| *l).collect();
    let compiled = crate::acl::compile_proxy(&only, &px, &Lookup(cfg));
    let mut out = ProxyConditions {
        use_backend: vec![None; p.use_backend.len()],
        use_server: vec![None; p.use_server.len()],
        monitor_fail: vec![None; p.monitor_fail.len()],
        rules: rule_ids.iter().map(|(s, i)| (*s, *i, None)).collect(),
        errors: compiled.errors.into_iter().map(|(i, m)| (lines[i].0, m)).collect(),
        target_errors: compiled.target_errors,
    };
    // The expressions of actions are resolved too, before the condition of their line.
    let mut errors = crate::ir::keywords::rules::post::action_arg_errors(p, &Lookup(cfg));
    errors.extend(std::mem::take(&mut out.errors));
    errors.sort_by_key(|(l, _)| *l);
    out.errors = errors;
    let cond_ids = lines.iter().filter_map(|(_, id, _)| *id);
    for (k, c) in cond_ids.zip(compiled.conditions) {
        let (f, i, _, _) = conds[k];
        let slot = match f {
            0 => &mut out.use_backend,
            1 => &mut out.use_server,
            3 => {
                out.rules[i].2 = c;
                continue;
            }
            _ => &mut out.monitor_fail,
        };
        slot[i] = c;
    }
    out
}

/// Conditions and sample-fetch arguments, in HAProxy's order: the L6 warning of use_backend
/// conditions, use-server targets, then the references of ACLs and conditions (backends,
/// servers, tables, userlists, regexes), checked in declaration order like HAProxy's
/// `smp_resolve_args`, which reports all of a proxy's errors in one alert.
fn check_sample_args(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    let rules =
        crate::ir::keywords::rules::post::SETS.iter().any(|s| !crate::ir::keywords::rules::rules_of(p, *s).is_empty());
    if !rules
        && p.acls.is_empty()
        && p.use_backend.iter().chain(&p.use_server).chain(&p.monitor_fail).all(|r| r.cond.is_none())
    {
        return;
    }
    let conds = proxy_conditions(cfg, p);
    let dynamic = |r: &crate::ir::types::Rule| r.words.first().is_some_and(|w| w.contains("%["));
    let l6 = |diags: &mut Diags, r: &crate::ir::types::Rule, c: &Option<crate::acl::Condition>| {
        if !dynamic(r) && p.mode == Mode::Http && c.as_ref().is_some_and(|c| c.uses_l6()) {
            let msg = format!(
                "Proxy '{}': L6 sample fetches ignored on HTTP proxies (declared at {}:{}).",
                p.name, r.span.file, r.span.line
            );
            diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
        }
    };
    for (r, c) in p.use_backend.iter().zip(&conds.use_backend) {
        l6(diags, r, c);
    }
    for (r, c) in p.use_server.iter().zip(&conds.use_server) {
        l6(diags, r, c);
        let name = r.words.first().map(String::as_str).unwrap_or("");
        if !dynamic(r) && !p.servers.iter().any(|s| s.name == name) {
            let msg = format!(
                "{} '{}' : unable to find server '{name}' referenced in a 'use-server' rule.",
                p.caps.type_name(),
                p.name
            );
            alert(diags, Loc::None, msg);
        }
    }
    let errors: Vec<(String, u32, String)> =
        conds.errors.into_iter().map(|(l, m)| (p.span.file.to_string(), l, m)).collect();
    if let Some((headline, detail)) = crate::acl::format_errors(&errors) {
        let mut d = Diagnostic::new(Severity::Alert, Loc::None, headline);
        d.detail_raw = detail;
        diags.push(d);
    }
    for m in conds.target_errors {
        alert(diags, Loc::None, m);
    }
}

fn alert(diags: &mut Diags, loc: Loc, msg: String) {
    diags.push(Diagnostic::new(Severity::Alert, loc, msg));
}

fn check_default_backend(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    let Some(r) = &p.default_backend else { return };
    // A proxy cannot be its own default backend.
    match cfg.backend(&r.name).filter(|b| b.name != p.name) {
        Some(b) => {
            if p.mode == Mode::Http && b.mode != Mode::Http {
                let msg = format!(
                    "{} {} '{}' ({}:{}) tries to use incompatible {} {} '{}' ({}:{}) as its default backend (see 'mode').",
                    p.mode.name(),
                    p.caps.type_name(),
                    p.name,
                    p.span.file,
                    p.span.line,
                    b.mode.name(),
                    b.caps.type_name(),
                    b.name,
                    b.span.file,
                    b.span.line
                );
                alert(diags, Loc::None, msg);
            }
        }
        _ => alert(
            diags,
            Loc::None,
            format!("Proxy '{}': unable to find required default_backend: '{}'.", p.name, r.name),
        ),
    }
}

fn check_use_backend(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    for rule in &p.use_backend {
        let Some(name) = rule.words.first() else {
            continue;
        };
        if name.contains("%[") {
            continue; // dynamic: resolved per request
        }
        match cfg.backend(name) {
            Some(b) if p.mode == Mode::Http && b.mode != Mode::Http => {
                let msg = format!(
                    "{} {} '{}' ({}:{}) tries to use incompatible {} {} '{}' ({}:{}) in a 'use_backend' rule (see 'mode').",
                    p.mode.name(),
                    p.caps.type_name(),
                    p.name,
                    p.span.file,
                    p.span.line,
                    b.mode.name(),
                    b.caps.type_name(),
                    b.name,
                    b.span.file,
                    b.span.line
                );
                alert(diags, Loc::None, msg);
            }
            Some(_) => {}
            None => {
                alert(diags, Loc::None, format!("Proxy '{}': unable to find required use_backend: '{}'.", p.name, name))
            }
        }
    }
}

fn check_servers(cfg: &Config, p: &Proxy, diags: &mut Diags) {
    let mut first_seen: HashMap<&str, u32> = HashMap::new();
    for s in &p.servers {
        if let Some(line) = first_seen.get(s.name.as_str()) {
            let msg = format!(
                "backend '{}', another server named '{}' was already defined at line {}, please use distinct names.",
                p.name, s.name, line
            );
            alert(diags, s.span.parsing(), msg);
        } else {
            first_seen.insert(&s.name, s.span.line);
        }
    }
    for s in &p.servers {
        let who = format!("'server {}/{}'", p.name, s.name);
        if let Some(track) = &s.opts.track {
            let (px_name, srv_name) = match track.split_once('/') {
                Some((a, b)) => (a, b),
                None => (p.name.as_str(), track.as_str()),
            };
            match cfg.backend(px_name) {
                None => {
                    alert(
                        diags,
                        s.span.bracket(),
                        format!("{who} : unable to find required proxy '{px_name}' for tracking."),
                    );
                }
                Some(tp) => match tp.servers.iter().find(|t| t.name == srv_name) {
                    None => alert(
                        diags,
                        s.span.bracket(),
                        format!("{who} : unable to find required server '{srv_name}' for tracking."),
                    ),
                    Some(_) => {
                        if tracking_loops(cfg, px_name, srv_name, &p.name, &s.name) {
                            alert(
                                diags,
                                s.span.bracket(),
                                format!(
                                    "{who} : unable to track {px_name}/{srv_name} as it belongs to a tracking chain looping back to {}/{}.",
                                    p.name, s.name
                                ),
                            );
                        }
                    }
                },
            }
        }
        if s.opts.agent_check && s.opts.agent_port.is_none() {
            alert(
                diags,
                s.span.bracket(),
                format!("{who} : server {} does not have agent port. Agent check has been disabled.", s.name),
            );
        }
    }
}

/// Follow `track` links from (px, srv); true if they come back to (start_px, start_srv).
fn tracking_loops(cfg: &Config, px: &str, srv: &str, start_px: &str, start_srv: &str) -> bool {
    let mut cur = (px.to_string(), srv.to_string());
    for _ in 0..10_000 {
        if cur.0 == start_px && cur.1 == start_srv {
            return true;
        }
        let Some(s) = cfg.backend(&cur.0).and_then(|b| b.servers.iter().find(|s| s.name == cur.1)) else {
            return false;
        };
        let Some(t) = &s.opts.track else { return false };
        cur = match t.split_once('/') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (cur.0.clone(), t.clone()),
        };
    }
    false
}

fn check_warnings(p: &Proxy, diags: &mut Diags) {
    let t = &p.timeouts;
    let fe_missing = p.caps.frontend && t.client.is_none();
    let be_missing = p.caps.backend && (t.connect.is_none() || t.server.is_none());
    if (fe_missing || be_missing) && p.mode != Mode::Log {
        let kind = p.caps.type_name();
        let kind = if kind == "proxy" { "proxy" } else { kind };
        diags.push(
            Diagnostic::new(Severity::Warning, Loc::None, format!("missing timeouts for {kind} '{}'.", p.name))
                .with_detail(&[
                    "While not properly invalid, you will certainly encounter various problems",
                    "with such a configuration. To fix this, please ensure that all following",
                    "timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
                ]),
        );
    }
    if p.cookie.is_some() && p.mode != Mode::Http && p.caps.backend {
        diags.push(Diagnostic::new(
            Severity::Warning,
            Loc::None,
            format!("cookie will be ignored for {} (needs 'mode http').", p.describe()),
        ));
    }
}

/// Resolve server names (HAProxy's `srv_init_addr`), run after all checks passed.
pub fn resolve_servers(cfg: &mut Config, diags: &mut Diags) {
    let mut failed = false;
    for p in &mut cfg.proxies {
        for s in &mut p.servers {
            let Host::Unresolved(name) = s.addr.host.clone() else {
                continue;
            };
            let methods = s.opts.init_addr.clone().unwrap_or_else(|| vec![InitAddr::Last, InitAddr::Libc]);
            let mut done = false;
            for m in &methods {
                match m {
                    InitAddr::Last => {}
                    InitAddr::Libc => {
                        if let Some(ip) = addr::resolve(&name, s.addr.family) {
                            s.addr.host = Host::Resolved { name: name.clone(), ip };
                            done = true;
                        }
                    }
                    InitAddr::None => done = true,
                    InitAddr::Ip(ip) => {
                        s.addr.host = Host::Resolved { name: name.clone(), ip: *ip };
                        done = true;
                    }
                }
                if done {
                    break;
                }
            }
            if !done {
                let msg = format!("'server {}/{}' : could not resolve address '{}'.", p.name, s.name, name);
                diags.push(Diagnostic::new(Severity::Alert, s.span.bracket(), msg));
                failed = true;
            }
        }
    }
    if failed {
        diags.push(Diagnostic::new(Severity::Alert, Loc::None, "Failed to initialize server(s) addr."));
    }
}

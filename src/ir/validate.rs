//! HAProxy's checks after parsing (`check_config_validity`, then the per-proxy post checks),
//! in HAProxy's order, since the order decides which alert comes first: for each enabled proxy
//! in configuration order, mode and listener warnings, balance/transparent/dispatch, external
//! checks, email alerts, default_backend, use_backend, use-server, stick rules, peers and
//! mailers references, stats, log formats, timeouts, captures, server-state, duplicate server
//! names, per-server checks (SSL, tracking), non-HTTP leftovers and MUX protocols; then the SSL
//! preparation of every bind line; then the post-proxy checks (http-errors sections) and server
//! resolvers. Server address resolution comes last, only when everything else is valid.

use std::collections::HashMap;

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::addr::{self, Host, PortSpec};
use crate::ir::keywords::bind::MUX_PROTOS;
use crate::ir::keywords::options::FLAG_OPTIONS;
use crate::ir::types::{
    AuxDetail, Balance, Config, ErrorRule, InitAddr, LogFormat, Mode, Proxy, Server, ServerStateFrom, StickKind,
    Unsupported,
};

pub mod exprs;
pub mod persist;
mod ssl;
mod state;

/// Run the post-parse checks in HAProxy's order.
pub fn validate(cfg: &mut Config, diags: &mut Diags) {
    let snapshot = cfg.clone();
    let cx = Checks { cfg: &snapshot, unsupported: Default::default(), tracks: Default::default() };
    for p in snapshot.proxies.iter().filter(|p| !p.disabled) {
        cx.proxy(p, diags);
    }
    cfg.unsupported.extend(cx.unsupported.take());
    peers_sections(cfg, &snapshot);
    for p in snapshot.proxies.iter().filter(|p| !p.disabled) {
        ssl::binds(p, &snapshot, diags);
    }
    for p in snapshot.proxies.iter().filter(|p| !p.disabled) {
        cx.errorfiles(p, diags);
    }
    for p in snapshot.proxies.iter().filter(|p| !p.disabled) {
        cx.resolvers(p, diags);
    }
    crate::ir::checks::validate(cfg, diags);
    crate::ir::keywords::rules::post::finalize(cfg);
    crate::ir::keywords::errors::resolve(cfg);
    if !diags.has_errors() {
        state::apply(&snapshot, diags);
    }
}

/// A `peers` section that names the local peer replicates (engine::peers), over plain TCP
/// only: SSL between peers is refused. (A section without the local peer is removed by
/// HAProxy with a warning from the section parser; its tables stay.)
fn peers_sections(cfg: &mut Config, snapshot: &Config) {
    for sec in &snapshot.peers {
        let AuxDetail::Peers(spec) = &sec.detail else { continue };
        if spec.disabled || !spec.has_local {
            continue;
        }
        for (span, words) in &sec.entries {
            let kw = words.first().map(String::as_str).unwrap_or("");
            let lines = matches!(kw, "peer" | "server" | "bind" | "default-server" | "default-bind");
            if lines && words.iter().skip(1).any(|w| w == "ssl") {
                cfg.unsupported.push(Unsupported { span: span.clone(), what: "SSL between peers".into() });
            }
        }
    }
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
    /// `stats admin` conditions, one per line.
    pub stats_admin: Vec<Option<crate::acl::Condition>>,
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
    // Family 3 is the action rules below; `stats admin` is family 4.
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
    for (i, r) in p.stats.admin.iter().enumerate() {
        if let Some(w) = cond_words(r) {
            conds.push((4, i, r.span.line, w));
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
        stats_admin: vec![None; p.stats.admin.len()],
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
            4 => &mut out.stats_admin,
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
        && p.use_backend
            .iter()
            .chain(&p.use_server)
            .chain(&p.monitor_fail)
            .chain(&p.stats.admin)
            .all(|r| r.cond.is_none())
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

fn warning(diags: &mut Diags, loc: Loc, msg: String) {
    diags.push(Diagnostic::new(Severity::Warning, loc, msg));
}

/// A setting of the global section kept as its words (`external-check`, `ssl-server-verify` ...).
pub fn global_setting<'a>(cfg: &'a Config, kw: &str) -> Option<&'a [String]> {
    cfg.global.other.iter().rev().find(|(k, _)| k == kw).map(|(_, v)| v.as_slice())
}

struct Checks<'a> {
    cfg: &'a Config,
    /// Valid settings found while checking that haproxide cannot run yet.
    unsupported: std::cell::RefCell<Vec<Unsupported>>,
    /// `track` links resolved so far, in HAProxy's order: (proxy, server) -> (proxy, server).
    tracks: std::cell::RefCell<HashMap<(String, String), (String, String)>>,
}

/// The `%` variables of HAProxy 2.6 log formats.
const LOG_VARS: &[&str] = &[
    "o", "B", "CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T", "Ta", "Tc", "Td", "Th", "Ti",
    "Tq", "TR", "Tr", "Ts", "Tt", "Tu", "Tw", "U", "ac", "b", "bc", "bi", "bp", "bq", "ci", "cp", "f", "fc", "fi",
    "fp", "ft", "hr", "hrl", "hs", "hsl", "ms", "pid", "r", "rc", "rt", "s", "sc", "si", "sp", "sq", "sslc", "sslv",
    "t", "tr", "trg", "trl", "ts", "tsc",
];

/// Where a format's post-parsing alert points: the line that set it.
fn format_loc(s: &Option<crate::config::ast::Span>) -> Loc {
    s.as_ref().map(|s| Loc::CapParsing { file: s.file.clone(), line: s.line }).unwrap_or(Loc::None)
}

/// Whether `%<name>` is one of HAProxy's log-format variables.
pub fn is_log_var(name: &str) -> bool {
    LOG_VARS.contains(&name)
}

/// The proxy a `default_backend` / `use_backend` name designates (HAProxy's `proxy_be_by_name`).
fn backend_by_name<'a>(cfg: &'a Config, name: &str) -> Option<&'a Proxy> {
    cfg.proxies.iter().find(|p| p.name == name && p.caps.backend)
}

/// HAProxy's rule for switching from `p` to backend `b`: same mode, or a TCP frontend to an
/// HTTP backend.
fn modes_compatible(p: &Proxy, b: &Proxy) -> bool {
    p.mode == b.mode || (p.mode == Mode::Tcp && b.mode == Mode::Http)
}

fn incompatible(p: &Proxy, b: &Proxy, what: &str) -> String {
    format!(
        "{} {} '{}' ({}:{}) tries to use incompatible {} {} '{}' ({}:{}) {what} (see 'mode').",
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
    )
}

/// The number of threads HAProxy starts: `nbthread`, else the CPUs this process may run on
/// (its affinity), at most 64.
fn nbthread(cfg: &Config) -> u32 {
    if let Some(n) = cfg.global.nbthread {
        return n;
    }
    let from_affinity = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        let list = s.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim().to_string();
        let mut n = 0u32;
        for part in list.split(',').filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            n += b.parse::<u32>().ok()?.checked_sub(a.parse::<u32>().ok()?)? + 1;
        }
        Some(n)
    });
    let n = from_affinity.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
    n.clamp(1, 64)
}

impl Checks<'_> {
    /// `thread` sets on bind lines must name threads that exist (`thread_resolve_group_mask`).
    fn bind_threads(&self, p: &Proxy, diags: &mut Diags) {
        let all = match nbthread(self.cfg) {
            64 => u64::MAX,
            n => (1u64 << n) - 1,
        };
        let mut seen = Vec::new();
        for b in p.binds.iter().filter(|b| b.opts.thread.is_some()) {
            if seen.contains(&(&b.span, &b.opts.arg)) {
                continue;
            }
            seen.push((&b.span, &b.opts.arg));
            if b.opts.thread_mask & all != 0 {
                continue;
            }
            let what = if b.opts.thread_group.is_some() {
                "'thread' directive only references threads not belonging to the group"
            } else {
                "'thread' directive contains threads that belong to no group"
            };
            let msg =
                format!("Proxy '{}': {what} in 'bind {}' at [{}:{}].", p.name, b.opts.arg, b.span.file, b.span.line);
            alert(diags, Loc::None, msg);
        }
    }

    fn proxy(&self, p: &Proxy, diags: &mut Diags) {
        let kind = p.caps.type_name();
        let http = p.mode == Mode::Http;
        self.bind_threads(p, diags);
        if !http {
            self.ensure_no_http(p, diags);
        }
        if p.caps.frontend && p.binds.is_empty() {
            warning(
                diags,
                Loc::None,
                format!(
                    "{kind} '{}' has no 'bind' directive. Please declare it as a backend if this was intended.",
                    p.name
                ),
            );
        }
        if p.caps.backend && p.balance_set {
            if p.transparent {
                alert(diags, Loc::None, format!("{kind} '{}' cannot use both transparent and balance mode.", p.name));
            } else if p.dispatch.is_some() {
                warning(
                    diags,
                    Loc::None,
                    format!("dispatch address of {kind} '{}' will be ignored in balance mode.", p.name),
                );
            }
        }
        if p.caps.backend {
            self.balance_hash(p, diags);
        }
        self.external_check(p, diags);
        let mut email = p.email_alert.clone();
        if email.set && !(email.mailers.is_some() && email.from.is_some() && email.to.is_some()) {
            warning(diags, Loc::None, format!("'email-alert' will be ignored for {kind} '{}' (the presence any of 'email-alert from', 'email-alert level' 'email-alert mailers', 'email-alert myhostname', or 'email-alert to' requires each of 'email-alert from', 'email-alert mailers' and 'email-alert to' to be present).", p.name));
            email = Default::default();
        }
        self.default_backend(p, diags);
        self.use_backend(p, diags);
        // use-server targets, the L6 warning, and every ACL/condition argument reference.
        check_sample_args(self.cfg, p, diags);
        self.stick_rules(p, diags);
        crate::ir::keywords::rules::post::check(self.cfg, p, diags);
        persist::check(self.cfg, p, diags);
        if let Some(t) = &p.stick_table {
            if let Some(peers) = &t.peers {
                if !self.cfg.peers.iter().any(|s| &s.name == peers) {
                    alert(diags, Loc::None, format!("Proxy '{}': unable to find sync peers '{peers}'.", p.name));
                }
            }
        }
        if let Some(m) = &email.mailers {
            if !self.cfg.mailers.iter().any(|s| s.name == m.name) {
                alert(diags, Loc::None, format!("Proxy '{}': unable to find mailers '{}'.", p.name, m.name));
            }
        }
        if p.stats.enabled && !p.stats.http_request.is_empty() && (!p.stats.auth.is_empty() || p.stats.realm.is_some())
        {
            alert(
                diags,
                Loc::None,
                format!("proxy '{}': stats 'auth'/'realm' and 'http-request' can't be used at the same time.", p.name),
            );
        }
        self.log_formats(p, diags);
        self.timeouts(p, diags);
        if let Some((_, len)) = &p.capture_cookie {
            if *len >= 64 {
                warning(diags, Loc::None, format!("truncating capture length to 63 bytes for {kind} '{}'.", p.name));
            }
        }
        if p.caps.backend
            && p.load_server_state == Some(ServerStateFrom::Global)
            && self.cfg.global.server_state_file.is_none()
        {
            warning(diags, Loc::None, format!("backend '{}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!", p.name));
        }
        self.duplicate_servers(p, diags);
        for s in &p.servers {
            ssl::server(p, s, self.cfg, diags);
            self.track(p, s, diags);
        }
        if p.caps.frontend
            && p.log.targets.is_empty()
            && (p.log.format != LogFormat::Default || p.log.format_sd.is_some())
        {
            warning(
                diags,
                Loc::None,
                format!("log format ignored for {kind} '{}' since it has no log address.", p.name),
            );
        }
        if !http {
            self.http_only_settings(p, diags);
        }
        for s in &p.servers {
            if !http && s.opts.redir.is_some() {
                alert(
                    diags,
                    Loc::None,
                    format!("{kind} '{}' : server cannot have cookie or redirect prefix in non-HTTP mode.", p.name),
                );
            }
            if !http && s.opts.cookie.is_some() {
                warning(
                    diags,
                    Loc::None,
                    format!("{kind} '{}' : ignoring cookie for server '{}' as HTTP mode is disabled.", p.name, s.name),
                );
            }
            if p.rdp_cookie.is_some() && matches!(s.addr.port, PortSpec::None | PortSpec::Offset(_)) {
                warning(diags, Loc::None, format!("{kind} '{}' : RDP cookie persistence will not work for server '{}' because it lacks an explicit port number.", p.name, s.name));
            }
        }
        if let Some(app) = &p.fcgi_app {
            if !self.cfg.fcgi_apps.iter().any(|a| a.name == app.name) {
                alert(diags, Loc::None, format!("proxy '{}' : fcgi-app '{}' not found.", p.name, app.name));
            } else if !p.servers.iter().any(|s| s.opts.proto.as_deref() == Some("fcgi")) {
                alert(diags, Loc::None, format!("proxy '{}': FCGI app configured but no FCGI server found.", p.name));
            }
        }
        self.mux_protos(p, diags);
    }

    /// HAProxy's `proxy_cfg_ensure_no_http`: HTTP-only settings of a TCP proxy.
    fn ensure_no_http(&self, p: &Proxy, diags: &mut Diags) {
        let kind = p.caps.type_name();
        if p.cookie.is_some() {
            warning(diags, Loc::None, format!("cookie will be ignored for {kind} '{}' (needs 'mode http').", p.name));
        }
        if p.monitor_uri.is_some() {
            warning(
                diags,
                Loc::None,
                format!("monitor-uri will be ignored for {kind} '{}' (needs 'mode http').", p.name),
            );
        }
        if matches!(p.balance, Balance::Uri { .. } | Balance::UrlParam { .. } | Balance::Hdr { .. }) {
            warning(
                diags,
                Loc::None,
                format!(
                    "Layer 7 hash not possible for {kind} '{}' (needs 'mode http'). Falling back to round robin.",
                    p.name
                ),
            );
        }
        let at = |p: &Proxy| p.log.format_line.as_ref().map(|s| s.parsing()).unwrap_or(Loc::None);
        match p.log.format {
            LogFormat::Http | LogFormat::HttpClf => warning(
                diags,
                at(p),
                format!("'option httplog' not usable with {kind} '{}' (needs 'mode http'). Falling back to 'option tcplog'.", p.name),
            ),
            LogFormat::Https => warning(
                diags,
                at(p),
                format!("'option httpslog' not usable with {kind} '{}' (needs 'mode http'). Falling back to 'option tcplog'.", p.name),
            ),
            _ => {}
        }
    }

    fn external_check(&self, p: &Proxy, diags: &mut Diags) {
        let kind = p.caps.type_name();
        let ext = p.caps.backend && p.checks.kind == crate::ir::types::CheckKind::External;
        if ext {
            if global_setting(self.cfg, "external-check").is_none() {
                alert(
                    diags,
                    Loc::None,
                    format!(
                        "Proxy '{}' : 'option external-check' unable to find required 'global.external-check'.",
                        p.name
                    ),
                );
            }
            if p.external_check_command.is_none() {
                alert(
                    diags,
                    Loc::None,
                    format!(
                        "Proxy '{}' : 'option external-check' unable to find required 'external-check command'.",
                        p.name
                    ),
                );
            }
            if global_setting(self.cfg, "insecure-fork-wanted").is_none() {
                warning(diags, Loc::None, format!("Proxy '{}' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.", p.name));
            }
        }
        if let Some(cmd) = &p.external_check_command {
            if !ext {
                warning(
                    diags,
                    Loc::None,
                    format!(
                        "'external-check command' will be ignored for {kind} '{}' (requires 'option external-check').",
                        p.name
                    ),
                );
            }
            if !cmd.starts_with('/') && p.external_check_path.is_none() {
                alert(diags, Loc::None, format!("Proxy '{}': 'external-check command' does not have a leading '/' and 'external-check path' is not set.", p.name));
            }
        }
        if p.external_check_path.is_some() && !ext {
            warning(
                diags,
                Loc::None,
                format!(
                    "'external-check path' will be ignored for {kind} '{}' (requires 'option external-check').",
                    p.name
                ),
            );
        }
    }

    fn default_backend(&self, p: &Proxy, diags: &mut Diags) {
        let Some(r) = &p.default_backend else { return };
        match backend_by_name(self.cfg, &r.name) {
            None => alert(
                diags,
                Loc::None,
                format!("Proxy '{}': unable to find required default_backend: '{}'.", p.name, r.name),
            ),
            Some(b) if b.name == p.name && p.caps.backend => {
                alert(diags, Loc::None, format!("Proxy '{}': loop detected for default_backend: '{}'.", p.name, r.name))
            }
            Some(b) if !modes_compatible(p, b) => alert(diags, Loc::None, incompatible(p, b, "as its default backend")),
            Some(b) => {
                self.http_upgrade(p, b, &r.span);
                if !p.servers.is_empty() {
                    warning(
                        diags,
                        Loc::None,
                        format!("In proxy '{}', the 'default_backend' rule always has precedence over the servers, which will never be used.", p.name),
                    );
                }
            }
        }
    }

    /// A TCP frontend switching to an HTTP backend: HAProxy upgrades the stream to HTTP there,
    /// which haproxide does not do yet (it would relay the bytes untouched).
    fn http_upgrade(&self, p: &Proxy, b: &Proxy, span: &crate::config::ast::Span) {
        if p.mode == Mode::Tcp && b.mode == Mode::Http && p.name != b.name {
            let what = format!(
                "switching from mode tcp {} '{}' to mode http backend '{}'",
                p.caps.type_name(),
                p.name,
                b.name
            );
            self.unsupported.borrow_mut().push(Unsupported { span: span.clone(), what });
        }
    }

    /// `balance hash <expr>`: the expression must parse and be usable to pick a server.
    fn balance_hash(&self, p: &Proxy, diags: &mut Diags) {
        let Some(res) = exprs::balance_expr(self.cfg, p) else { return };
        let crate::ir::types::Balance::Hash { expr } = &p.balance else { return };
        let at = format!("{} '{}' [{}:{}]", p.caps.type_name(), p.name, p.span.file, p.span.line);
        match res {
            Err(e) => {
                alert(diags, Loc::None, format!("{at}: failed to parse 'balance hash' expression '{expr}' in : {e}."))
            }
            Ok(e) if !e.fetch.val.intersects(crate::acl::Ctx::BE_SET_SRV) => {
                let src = crate::acl::fetch_source(e.fetch.name).unwrap_or("internal state");
                alert(
                    diags,
                    Loc::None,
                    format!("{at}: error detected while parsing 'balance hash' expression '{expr}' which requires information from {src}, which is not available here."),
                );
            }
            Ok(_) => {}
        }
    }

    fn use_backend(&self, p: &Proxy, diags: &mut Diags) {
        for rule in &p.use_backend {
            let Some(name) = rule.words.first() else {
                continue;
            };
            if name.contains("%[") {
                // Dynamic: resolved per request; the format must parse.
                if let Err(e) = exprs::dynamic_name(self.cfg, p, name) {
                    let (file, line) = (&rule.span.file, rule.span.line);
                    alert(
                        diags,
                        Loc::None,
                        format!("Parsing [{file}:{line}]: failed to parse use_backend rule '{name}' : {e}."),
                    );
                }
                continue;
            }
            match backend_by_name(self.cfg, name) {
                None => alert(
                    diags,
                    Loc::None,
                    format!("Proxy '{}': unable to find required use_backend: '{}'.", p.name, name),
                ),
                Some(b) if b.name == p.name && p.caps.backend => {
                    alert(diags, Loc::None, format!("Proxy '{}': loop detected for use_backend: '{}'.", p.name, name))
                }
                Some(b) if !modes_compatible(p, b) => {
                    alert(diags, Loc::None, incompatible(p, b, "in a 'use_backend' rule"))
                }
                Some(b) => self.http_upgrade(p, b, &rule.span),
            }
        }
    }

    /// A stick table by name: a proxy's (named after it) or a `peers` section's (`<peers>/<t>`).
    fn table_exists(&self, name: &str) -> bool {
        if self.cfg.proxies.iter().any(|p| p.name == name && p.stick_table.is_some()) {
            return true;
        }
        let Some((peers, table)) = name.split_once('/') else {
            return false;
        };
        self.cfg.peers.iter().any(|s| {
            s.name == peers
                && s.entries
                    .iter()
                    .any(|(_, w)| w.first().is_some_and(|k| k == "table") && w.get(1).is_some_and(|t| t == table))
        })
    }

    /// The key type of a table by name (a proxy's, or a `peers` section's `<peers>/<t>`).
    fn table_key(&self, name: &str) -> Option<crate::ir::types::TableKey> {
        if let Some(t) = self.cfg.proxies.iter().find(|p| p.name == name).and_then(|p| p.stick_table.as_ref()) {
            return Some(t.key);
        }
        self.cfg.peers_tables.iter().find(|(n, _)| n == name).map(|(_, t)| t.key)
    }

    fn stick_rules(&self, p: &Proxy, diags: &mut Diags) {
        use crate::ir::types::TableKey;
        let request = p.stick_rules.iter().filter(|r| r.kind != StickKind::StoreResponse);
        let response = p.stick_rules.iter().filter(|r| r.kind == StickKind::StoreResponse);
        for (rules, what) in [(request.collect::<Vec<_>>(), "stick-table"), (response.collect(), "store table")] {
            for r in rules {
                let found = match &r.table {
                    Some(t) => self.table_exists(t),
                    None => p.stick_table.is_some(),
                };
                let name = r.table.as_deref().unwrap_or(&p.name);
                if !found {
                    alert(diags, Loc::None, format!("Proxy '{}': unable to find {what} '{name}'.", p.name));
                    continue;
                }
                // HAProxy's `stktable_compatible_sample`: a cast to the key type must exist.
                let key = if r.table.is_some() { self.table_key(name) } else { p.stick_table.as_ref().map(|t| t.key) };
                let to = match key {
                    Some(TableKey::Ip) => crate::acl::SmpType::Ipv4,
                    Some(TableKey::Ipv6) => crate::acl::SmpType::Ipv6,
                    Some(TableKey::Integer) => crate::acl::SmpType::Sint,
                    Some(TableKey::String { .. }) => crate::acl::SmpType::Str,
                    Some(TableKey::Binary { .. }) => crate::acl::SmpType::Bin,
                    None => continue,
                };
                if r.parsed.as_ref().is_some_and(|e| !e.out_type().can_cast(to)) {
                    alert(
                        diags,
                        Loc::None,
                        format!("Proxy '{}': type of fetch not usable with type of {what} '{name}'.", p.name),
                    );
                }
            }
        }
    }

    /// Log formats are compiled after parsing (HAProxy's order: the log-format, then the
    /// unique-id-format).
    fn log_formats(&self, p: &Proxy, diags: &mut Diags) {
        self.log_format(p, diags);
        self.unique_id_format(p, diags);
    }

    /// The `unique-id-format` of every proxy.
    fn unique_id_format(&self, p: &Proxy, diags: &mut Diags) {
        use crate::ir::keywords::rules::fmt;
        if let (Some(f), false) = (&p.unique_id_format, p.is_defaults()) {
            let cap = if p.caps.frontend { crate::acl::Ctx::FE_HRQ_HDR } else { crate::acl::Ctx::BE_HRQ_HDR };
            let place = fmt::FmtPlace { cap, http_proxy: p.mode == Mode::Http, http_opt: true };
            match fmt::parse(f, place, &mut Vec::new()) {
                Err(e) => {
                    alert(diags, format_loc(&p.unique_id_format_line), format!("failed to parse unique-id : {e}."))
                }
                Ok(parsed) if p.caps.frontend => {
                    let mut what = Vec::new();
                    fmt::unsupported_in_unique_id(&parsed, &mut what);
                    if let Some(span) = &p.unique_id_format_line {
                        for w in what {
                            self.unsupported.borrow_mut().push(Unsupported { span: span.clone(), what: w });
                        }
                    }
                }
                Ok(_) => {}
            }
        }
    }

    /// The log-format of a proxy that logs (a frontend).
    fn log_format(&self, p: &Proxy, diags: &mut Diags) {
        use crate::ir::keywords::rules::fmt;
        if !p.caps.frontend {
            return;
        }
        if let LogFormat::Custom(f) = &p.log.format {
            let place =
                fmt::FmtPlace { cap: crate::acl::Ctx::FE_LOG_END, http_proxy: p.mode == Mode::Http, http_opt: false };
            // HAProxy's parser decides validity; what parses but we cannot render is refused at
            // start.
            let e = match fmt::parse(f, place, &mut Vec::new()) {
                Err(e) => e,
                Ok(_) => match crate::log::format::LogFormat::compile(f) {
                    Ok(compiled) => {
                        let mut what = Vec::new();
                        for e in compiled.samples() {
                            crate::acl::eval::unsupported_in_expr(e, &mut what);
                        }
                        if let Some(span) = &p.log.format_line {
                            for w in what {
                                let what = format!("{w} in log-format");
                                self.unsupported.borrow_mut().push(Unsupported { span: span.clone(), what });
                            }
                        }
                        return;
                    }
                    Err(e) => {
                        let known = match &e {
                            crate::log::format::FormatError::Sample(_) => true,
                            crate::log::format::FormatError::UnknownVar(v) => LOG_VARS.contains(&v.as_str()),
                        };
                        if !known {
                            e.to_string()
                        } else {
                            if let Some(span) = &p.log.format_line {
                                let what = e.to_string();
                                self.unsupported.borrow_mut().push(Unsupported { span: span.clone(), what });
                            }
                            return;
                        }
                    }
                },
            };
            alert(diags, format_loc(&p.log.format_line), format!("failed to parse log-format : {e}."));
        }
    }

    fn timeouts(&self, p: &Proxy, diags: &mut Diags) {
        let t = &p.timeouts;
        let fe_missing = p.caps.frontend && t.client.is_none();
        let be_missing = p.caps.backend
            && !p.servers.is_empty()
            && (t.connect.is_none() || (t.server.is_none() && (p.mode == Mode::Http || t.tunnel.is_none())));
        if fe_missing || be_missing {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    Loc::None,
                    format!("missing timeouts for {} '{}'.", p.caps.type_name(), p.name),
                )
                .with_detail(&[
                    "While not properly invalid, you will certainly encounter various problems",
                    "with such a configuration. To fix this, please ensure that all following",
                    "timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
                ]),
            );
        }
    }

    /// Server names must be distinct, except for servers with an explicit `id`.
    fn duplicate_servers(&self, p: &Proxy, diags: &mut Diags) {
        let mut first_seen: HashMap<&str, u32> = HashMap::new();
        for s in p.servers.iter().filter(|s| s.opts.id.is_none()) {
            if let Some(line) = first_seen.get(s.name.as_str()) {
                let msg = format!(
                    "{} '{}', another server named '{}' was already defined at line {}, please use distinct names.",
                    p.caps.type_name(),
                    p.name,
                    s.name,
                    line
                );
                alert(diags, s.span.parsing(), msg);
            } else {
                first_seen.insert(&s.name, s.span.line);
            }
        }
    }

    /// HAProxy's `srv_apply_track`.
    fn track(&self, p: &Proxy, s: &Server, diags: &mut Diags) {
        let Some(track) = &s.opts.track else { return };
        let who = format!("'server {}/{}'", p.name, s.name);
        let (px_name, srv_name) = match track.split_once('/') {
            Some((a, b)) => (a, b),
            None => (p.name.as_str(), track.as_str()),
        };
        let tracked_px = if track.contains('/') { backend_by_name(self.cfg, px_name) } else { Some(p) };
        let Some(tp) = tracked_px else {
            alert(diags, s.span.bracket(), format!("{who} : unable to find required proxy '{px_name}' for tracking."));
            return;
        };
        let Some(target) = tp.servers.iter().find(|t| t.name == srv_name) else {
            alert(
                diags,
                s.span.bracket(),
                format!("{who} : unable to find required server '{srv_name}' for tracking."),
            );
            return;
        };
        if !target.opts.check && !target.opts.agent_check && target.opts.track.is_none() {
            let msg =
                format!("{who} : unable to use {px_name}/{srv_name} for tracking as it does not have any check nor agent enabled.");
            alert(diags, s.span.bracket(), msg);
            return;
        }
        // Only links already resolved count: a chain closes on its last server.
        let me = (p.name.clone(), s.name.clone());
        let target_key = (tp.name.clone(), target.name.clone());
        let mut cur = self.tracks.borrow().get(&target_key).cloned();
        let mut loops = target_key == me;
        while let Some(next) = cur {
            if next == me {
                loops = true;
                break;
            }
            cur = self.tracks.borrow().get(&next).cloned();
        }
        if loops {
            let msg = format!(
                "{who} : unable to track {px_name}/{srv_name} as it belongs to a tracking chain looping back to {}/{}.",
                p.name, s.name
            );
            alert(diags, s.span.bracket(), msg);
            return;
        }
        self.tracks.borrow_mut().insert(me, target_key);
    }

    /// Settings that need HTTP mode, in a proxy that is not in HTTP mode.
    fn http_only_settings(&self, p: &Proxy, diags: &mut Diags) {
        let kind = p.caps.type_name();
        let ignored = |what: &str| format!("{what} ignored for {kind} '{}' as it requires HTTP mode.", p.name);
        if p.stats.enabled {
            warning(diags, Loc::None, ignored("'stats' statement"));
        }
        if p.capture_cookie.is_some() {
            warning(diags, Loc::None, ignored("'capture' statement"));
        }
        let rules_ignored =
            |what: &str| format!("'{what}' rules ignored for {kind} '{}' as they require HTTP mode.", p.name);
        if !p.http_request.is_empty() {
            warning(diags, Loc::None, rules_ignored("http-request"));
        }
        if !p.http_response.is_empty() {
            warning(diags, Loc::None, rules_ignored("http-response"));
        }
        if !p.http_after_response.is_empty() {
            warning(diags, Loc::None, rules_ignored("http-after-response"));
        }
        if !p.redirects.is_empty() {
            warning(diags, Loc::None, rules_ignored("redirect"));
        }
        if p.forwardfor.is_some() {
            warning(diags, Loc::None, ignored("'option forwardfor'"));
        }
        if p.originalto.is_some() {
            warning(diags, Loc::None, ignored("'option originalto'"));
        }
        for o in FLAG_OPTIONS.iter().filter(|o| o.http_only) {
            let cap = match o.side {
                crate::ir::keywords::options::Side::Frontend => p.caps.frontend,
                crate::ir::keywords::options::Side::Backend => p.caps.backend,
                crate::ir::keywords::options::Side::Both => true,
            };
            if cap && p.options.is_on(o.name) {
                warning(diags, Loc::None, ignored(&format!("'option {}'", o.name)));
            }
        }
    }

    /// A MUX protocol must suit the proxy's mode.
    fn mux_protos(&self, p: &Proxy, diags: &mut Diags) {
        let http = p.mode == Mode::Http;
        let usable = |proto: &str, frontend: bool| {
            MUX_PROTOS.iter().any(|(name, http_only)| *name == proto && *http_only == http)
                && !(frontend && proto == "fcgi")
        };
        let mut seen_binds = Vec::new();
        for b in &p.binds {
            let Some(proto) = &b.opts.proto else { continue };
            if seen_binds.contains(&(&b.span, &b.opts.arg)) {
                continue;
            }
            seen_binds.push((&b.span, &b.opts.arg));
            if !usable(proto, true) {
                let msg = format!(
                    "{} '{}' : MUX protocol '{proto}' is not usable for 'bind {}' at [{}:{}].",
                    p.caps.type_name(),
                    p.name,
                    b.opts.arg,
                    b.span.file,
                    b.span.line
                );
                alert(diags, Loc::None, msg);
            }
        }
        for s in &p.servers {
            let Some(proto) = &s.opts.proto else { continue };
            if !usable(proto, false) {
                let msg = format!(
                    "{} '{}' : MUX protocol '{proto}' is not usable for server '{}' at [{}:{}].",
                    p.caps.type_name(),
                    p.name,
                    s.name,
                    s.span.file,
                    s.span.line
                );
                alert(diags, Loc::None, msg);
            }
        }
    }

    /// `errorfiles <name>` must name an `http-errors` section, and the statuses it lists
    /// should be declared there (HAProxy's `proxy_check_errors`).
    fn errorfiles(&self, p: &Proxy, diags: &mut Diags) {
        for r in &p.error_rules {
            let ErrorRule::Section { name, codes } = r else { continue };
            let Some(section) = self.cfg.http_errors.iter().find(|s| s.name == name.name) else {
                let msg = format!(
                    "proxy '{}': unknown http-errors section '{}' (at {}:{}).",
                    p.name, name.name, name.span.file, name.span.line
                );
                alert(diags, Loc::None, msg);
                continue;
            };
            let AuxDetail::HttpErrors(spec) = &section.detail else { continue };
            for code in codes {
                if !spec.errorfiles.iter().any(|f| f.status == *code) {
                    let msg = format!(
                        "config: proxy '{}' : status '{code}' not declared in http-errors section '{}' (at {}:{}).",
                        p.name, name.name, name.span.file, name.span.line
                    );
                    warning(diags, Loc::None, msg);
                }
            }
        }
    }

    /// `resolvers <id>` on servers must name a `resolvers` section.
    fn resolvers(&self, p: &Proxy, diags: &mut Diags) {
        for s in &p.servers {
            if let Some(r) = &s.opts.resolvers {
                if !self.cfg.resolvers.iter().any(|x| &x.name == r) {
                    let msg = format!(
                        "{} '{}', server '{}': unable to find required resolvers '{r}'",
                        p.caps.type_name(),
                        p.name,
                        s.name
                    );
                    alert(diags, Loc::None, msg);
                }
            }
        }
    }
}

/// Resolve server names (HAProxy's `srv_init_addr`), run after all checks passed. With
/// `dont_fail` (`-dr`), a server whose methods all failed is disabled with a warning.
pub fn resolve_servers(cfg: &mut Config, diags: &mut Diags, dont_fail: bool) {
    let mut failed = false;
    for p in cfg.proxies.iter_mut().filter(|p| !p.disabled) {
        for s in &mut p.servers {
            let Host::Unresolved(name) = s.addr.host.clone() else {
                continue;
            };
            // Without `init-addr`: last, then libc, then (with resolvers) none.
            let methods = s.opts.init_addr.clone().unwrap_or_else(|| {
                let mut m = vec![InitAddr::Last, InitAddr::Libc];
                if s.opts.resolvers.is_some() {
                    m.push(InitAddr::None);
                }
                m
            });
            let methods = if dont_fail { [methods, vec![InitAddr::None]].concat() } else { methods };
            let mut done = false;
            // Once libc failed, the fallbacks say so (no state file makes `last` fail silently).
            let mut libc_failed = false;
            let fallback = |what: &str| {
                let msg = format!("'server {}/{}' : could not resolve address '{}', {what}.", p.name, s.name, name);
                Diagnostic::new(Severity::Warning, s.span.bracket(), msg)
            };
            for m in &methods {
                match m {
                    InitAddr::Last => {}
                    InitAddr::Libc => {
                        if let Some(ip) = addr::resolve(&name, s.addr.family) {
                            s.addr.host = Host::Resolved { name: name.clone(), ip };
                            done = true;
                        } else {
                            libc_failed = true;
                        }
                    }
                    InitAddr::None => {
                        if libc_failed {
                            diags.push(fallback("disabling server"));
                        }
                        done = true;
                    }
                    InitAddr::Ip(ip) => {
                        if libc_failed {
                            diags.push(fallback("falling back to configured address"));
                        }
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

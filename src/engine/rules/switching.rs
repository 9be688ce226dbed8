//! Choosing where a request goes: `use_backend` rules (with dynamic names) then
//! `default_backend`, `use-server` rules, and `monitor fail` conditions, compiled once when the
//! engine starts and evaluated over a [`Stream`].

use std::sync::Arc;

use crate::acl::Condition;
use crate::engine::backend::{Backend, Server};
use crate::ir::types::Proxy;

use super::source::Stream;

/// The frontend's compiled switching rules, monitor conditions and the like, built once.
pub struct FrontendRules {
    /// `use_backend`: the condition (none: always) and the backend, by index, or a name format.
    pub switching: Vec<(Option<Condition>, Target)>,
    pub monitor_fail: Vec<Condition>,
    /// `stats admin` conditions of the proxy's frontend side.
    pub stats_admin: Vec<Condition>,
    /// `capture` lines, for the log.
    pub captures: crate::engine::proxy::http::capture::Captures,
}

pub enum Target {
    Backend(usize),
    Dynamic(crate::ir::rules::LogFmt),
    /// A name that is no backend (refused by -c; kept so indexes stay aligned).
    Missing,
}

/// `use-server` rules of a backend: condition and server index.
#[derive(Default)]
pub struct BackendRules {
    pub use_server: Vec<(Option<Condition>, usize)>,
    /// Cookie persistence and `force-persist` / `ignore-persist`.
    pub persist: crate::engine::persist::backend::BackendPersist,
    /// `stick` rules (built once the tables exist).
    pub stick: crate::engine::stick::backend::BackendStick,
    /// `stats admin` conditions, for a stats page served by the backend.
    pub stats_admin: Vec<Condition>,
    /// `balance hash <expr>`: the expression, resolved.
    pub balance_expr: Option<crate::acl::SampleExpr>,
}

/// The bytes `balance hash` hashes for this stream: the expression's sample as binary.
pub fn balance_key(be: &Backend, s: &Stream<'_>) -> Option<Vec<u8>> {
    let e = be.rules.balance_expr.as_ref()?;
    let v = crate::acl::eval_expr(e, s)?.convert(crate::acl::SmpType::Bin)?;
    v.as_bytes().map(<[u8]>::to_vec)
}

impl FrontendRules {
    pub fn build(
        cfg: &crate::ir::types::Config,
        p: &Proxy,
        backend_idx: &dyn Fn(&str) -> Option<usize>,
    ) -> FrontendRules {
        let conds = crate::ir::validate::proxy_conditions(cfg, p);
        let switching = p
            .use_backend
            .iter()
            .zip(conds.use_backend)
            .map(|(r, c)| {
                let name = r.words.first().map(String::as_str).unwrap_or("");
                let target = if name.contains('%') {
                    match crate::ir::validate::exprs::dynamic_name(cfg, p, name) {
                        Ok(f) => Target::Dynamic(f),
                        Err(_) => Target::Missing,
                    }
                } else {
                    backend_idx(name).map(Target::Backend).unwrap_or(Target::Missing)
                };
                (if r.cond.is_some() { c } else { None }, target)
            })
            .collect();
        let monitor_fail = conds.monitor_fail.into_iter().flatten().collect();
        let stats_admin = conds.stats_admin.into_iter().flatten().collect();
        let captures = crate::engine::proxy::http::capture::Captures::build(p);
        FrontendRules { switching, monitor_fail, stats_admin, captures }
    }
}

impl BackendRules {
    pub fn build(cfg: &crate::ir::types::Config, p: &Proxy) -> BackendRules {
        let conds = crate::ir::validate::proxy_conditions(cfg, p);
        let use_server = p
            .use_server
            .iter()
            .zip(conds.use_server)
            .filter_map(|(r, c)| {
                let name = r.words.first()?;
                let idx = p.servers.iter().position(|s| &s.name == name)?;
                Some((c, idx))
            })
            .collect();
        BackendRules {
            use_server,
            persist: crate::engine::persist::backend::BackendPersist::build(cfg, p),
            stick: Default::default(),
            stats_admin: conds.stats_admin.into_iter().flatten().collect(),
            balance_expr: crate::ir::validate::exprs::balance_expr(cfg, p).and_then(Result::ok),
        }
    }
}

fn pass(c: &Option<Condition>, s: &Stream<'_>) -> bool {
    c.as_ref().is_none_or(|c| c.eval(s))
}

/// `use_backend` rules in order, then `default_backend` (a listen section is its own).
pub fn choose_backend(s: &Stream<'_>) -> Option<Arc<Backend>> {
    let eng = s.eng;
    for (cond, target) in &s.fe.rules.switching {
        if !pass(cond, s) {
            continue;
        }
        match target {
            Target::Backend(i) => return Some(eng.backends[*i].clone()),
            Target::Dynamic(f) => {
                let mut name = Vec::new();
                super::render::render(f, s, false, &mut name);
                if let Some(b) = std::str::from_utf8(&name).ok().and_then(|n| eng.backend(n)) {
                    return Some(b.clone());
                }
            }
            Target::Missing => {}
        }
    }
    s.fe.default_backend.map(|i| eng.backends[i].clone())
}

/// `monitor fail`: does one of the conditions ask for a 503?
pub fn monitor_fails(s: &Stream<'_>) -> bool {
    s.fe.rules.monitor_fail.iter().any(|cond| cond.eval(s))
}

/// `stats admin`: does one of the conditions grant the admin level? `on_backend`: the page
/// is served by the backend's rules rather than the frontend's.
pub fn stats_admin(s: &Stream<'_>, on_backend: bool) -> bool {
    let conds = match (on_backend, s.be) {
        (true, Some(be)) => &be.rules.stats_admin,
        _ => &s.fe.rules.stats_admin,
    };
    conds.iter().any(|cond| cond.eval(s))
}

/// `use-server`: the first rule whose condition passes and whose server is up (or persistence
/// is forced with `option persist` or a matching `force-persist`).
/// `persist rdp-cookie(<name>)`: the server an RDP cookie `<addr>.<port>.` designates (the
/// IPv4 address and port as the client's broker wrote them, in network byte order), if it is
/// not stopped or `option persist` says to go anyway.
pub fn rdp_persist(be: &Backend, data: &[u8], name: &str) -> Option<usize> {
    let crate::acl::payload::Got::Yes((), v) = crate::acl::payload::rdp_cookie(data, name.as_bytes()) else {
        return None;
    };
    let c_strtol = crate::ir::keywords::rules::misc_act::c_strtol;
    let (addr, rest) = c_strtol(std::str::from_utf8(v).ok()?, 10);
    let (port, rest) = c_strtol(rest.strip_prefix('.')?, 10);
    rest.strip_prefix('.')?;
    let addr = addr as u32;
    let port = (port as u16).swap_bytes();
    let view = crate::engine::stick::backend::View { be, keys: &be.rules.stick.keys };
    (0..be.servers.len()).find(|&i| {
        let a = be.servers[i].addr.load();
        let same = matches!(a.ip, Some(std::net::IpAddr::V4(ip)) if u32::from_ne_bytes(ip.octets()) == addr)
            && matches!(a.port, crate::ir::addr::PortSpec::Fixed(p) if p == port);
        same && (crate::engine::stick::rules::Servers::running(&view, i) || be.rules.persist.persist)
    })
}

pub fn forced_server(be: &Backend, s: &Stream<'_>, force_persist: bool) -> Option<Arc<Server>> {
    for (cond, idx) in &be.rules.use_server {
        if !pass(cond, s) {
            continue;
        }
        if be.state(*idx).usable() || be.rules.persist.persist || force_persist {
            return Some(be.servers[*idx].clone());
        }
    }
    None
}

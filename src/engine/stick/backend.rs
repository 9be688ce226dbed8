//! A backend's `stick` rules as the traffic path runs them: compiled once when the engine
//! starts (expressions and conditions resolved, tables found, each server's `server_id` and
//! `server_key` dictionary entries), and the view of the backend's servers the rules need.

use super::dict;
use super::rules::{Rule, ServerKeys, Servers, StickRules};
use super::Tables;
use crate::engine::backend::Backend;
use crate::engine::state::OpState;
use crate::ir::types::{Config, Proxy, StickKind};

/// Compiled stick rules and server keys of one backend.
#[derive(Default)]
pub struct BackendStick {
    pub rules: StickRules,
    pub keys: Vec<ServerKeys>,
}

impl BackendStick {
    pub fn build(cfg: &Config, p: &Proxy, be: &Backend, tables: &Tables) -> BackendStick {
        if p.stick_rules.is_empty() {
            return BackendStick::default();
        }
        let conds: Vec<(u32, Option<&crate::ir::types::Condition>)> =
            p.stick_rules.iter().map(|r| (r.span.line, r.cond.as_ref())).collect();
        let (compiled, _) = crate::ir::validate::persist::conditions(cfg, p, &conds);
        let mut rules = StickRules::default();
        for (r, cond) in p.stick_rules.iter().zip(compiled) {
            let name = r.table.as_deref().unwrap_or(&p.name);
            // -c refused anything else: a rule without its table or expression cannot exist.
            let (Some(table), Some(e)) = (tables.get(name), &r.parsed) else { continue };
            let (expr, _) = crate::ir::validate::persist::stick_expr(cfg, p, e);
            let rule = Rule {
                on_match: matches!(r.kind, StickKind::On | StickKind::Match),
                on_store: !matches!(r.kind, StickKind::Match),
                expr,
                table: table.clone(),
                cond,
            };
            if r.kind == StickKind::StoreResponse {
                rules.response.push(rule);
            } else {
                rules.request.push(rule);
            }
        }
        let keys = be
            .servers
            .iter()
            .map(|s| {
                let addr = s.addr.load();
                let port = addr.target(0).map(|a| a.port()).unwrap_or(0);
                let addr_text = match addr.ip {
                    Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
                    Some(ip) => format!("{ip}:{port}"),
                    None => String::new(),
                };
                ServerKeys {
                    id: s.id as i32,
                    name_key: dict::intern(&s.name),
                    addr_key: if addr_text.is_empty() { 0 } else { dict::intern(&addr_text) },
                    non_stick: s.spec.opts.non_stick,
                }
            })
            .collect();
        BackendStick { rules, keys }
    }
}

/// The backend's servers for the rules: keys fixed at start, state read live.
pub struct View<'a> {
    pub be: &'a Backend,
    pub keys: &'a [ServerKeys],
}

impl Servers for View<'_> {
    fn keys(&self) -> &[ServerKeys] {
        self.keys
    }
    fn running(&self, idx: usize) -> bool {
        !self.be.is_deleted(idx)
            && self.be.with_states(|s| s.get(idx).is_some_and(|s| !s.in_maint() && s.op != OpState::Stopped))
    }
}

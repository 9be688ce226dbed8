//! `server-state-file` at start: the file `show servers state` wrote before a reload restores
//! each server's operational and administrative state, weight, address and port, and the
//! disabled checks, with HAProxy 2.6's rules (`srv_state_srv_update`): a configuration change
//! wins over the saved state, weights are restored only if the configured weight did not change.
//! Changes go through the single writer with `Cause::StateFile`.

use std::sync::Arc;

use crate::engine::backend::ServerAddr;
use crate::engine::state::{admin, Cause, OpState, ServerOp};
use crate::engine::{events, Engine};
use crate::ir::addr::PortSpec;
use crate::stats::servers_state::{self, StateLine};

/// Where a backend's saved state comes from (`load-server-state-from-file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadFrom {
    None,
    /// The global `server-state-file`.
    Global,
    /// The backend's own file (`server-state-file-name`, default the backend's name).
    Local,
}

/// The path of the global state file: relative names live under `server-state-base`.
pub fn global_path(eng: &Engine) -> Option<std::path::PathBuf> {
    let g = &eng.config.global;
    let file = g.server_state_file.as_ref()?;
    Some(resolve(g.server_state_base.as_deref(), file))
}

fn resolve(base: Option<&str>, file: &str) -> std::path::PathBuf {
    match base {
        Some(b) if !file.starts_with('/') => std::path::Path::new(b).join(file),
        _ => std::path::PathBuf::from(file),
    }
}

/// Where each backend's `load-server-state-from-file` (default `none`) says to look.
pub fn configured(p: &crate::ir::types::Proxy) -> LoadFrom {
    use crate::ir::types::ServerStateFrom;
    match p.load_server_state {
        Some(ServerStateFrom::Global) => LoadFrom::Global,
        Some(ServerStateFrom::Local) => LoadFrom::Local,
        _ => LoadFrom::None,
    }
}

/// Load saved states for every backend whose `mode` says so. Problems are warnings on stderr,
/// as in HAProxy; a missing file is not an error.
pub fn load(eng: &Arc<Engine>, mode: impl Fn(&crate::ir::types::Proxy) -> LoadFrom) {
    let wants_global = eng.backends.iter().any(|b| mode(&b.spec) == LoadFrom::Global);
    let global: Option<Vec<StateLine>> = match global_path(eng) {
        Some(p) if wants_global => {
            let l = read(&p);
            if l.is_none() {
                eprintln!(
                    "[WARNING]  ({}) : config : config: Can't get version of the global server state file '{}'.",
                    std::process::id(),
                    p.display()
                );
            }
            l
        }
        _ => None,
    };
    for (bi, be) in eng.backends.iter().enumerate() {
        let lines = match mode(&be.spec) {
            LoadFrom::None => continue,
            LoadFrom::Global => match &global {
                Some(l) => l.clone(),
                None => continue,
            },
            LoadFrom::Local => {
                let name = be.spec.server_state_file_name.as_deref().unwrap_or(&be.name);
                let p = resolve(eng.config.global.server_state_base.as_deref(), name);
                match read(&p) {
                    Some(l) => l,
                    None => continue,
                }
            }
        };
        for l in lines.iter().filter(|l| l.be_name == be.name) {
            if let Some(srv) = be.server_by_name(&l.srv_name) {
                apply_line(eng, bi, srv.idx, l);
            }
        }
    }
}

fn read(path: &std::path::Path) -> Option<Vec<StateLine>> {
    let text = std::fs::read_to_string(path).ok()?;
    match servers_state::parse(&text) {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!(
                "[WARNING]  ({}) : config : Can't load server state file '{}': {e}.",
                std::process::id(),
                path.display()
            );
            None
        }
    }
}

/// Apply one saved line to server `si` of backend `bi`.
pub fn apply_line(eng: &Engine, bi: usize, si: usize, l: &StateLine) {
    let be = &eng.backends[bi];
    let op = |o| {
        events::apply(eng, bi, si, o, Cause::StateFile);
    };
    // Operational state.
    match l.op_state {
        0 => op(ServerOp::SetOp(OpState::Stopped)),
        2 => op(ServerOp::SetOp(OpState::Running)),
        3 => op(ServerOp::SetOp(OpState::Stopping)),
        _ => {}
    }
    // Administrative state: a configuration change (`disabled` added or removed) wins.
    let cur = be.state(si);
    let cfg_maint = cur.admin & admin::CMAINT != 0;
    if (l.admin_state & admin::CMAINT != 0) != cfg_maint {
        if cfg_maint {
            op(ServerOp::SetAdmin { set: admin::FMAINT, clear: 0 });
        } else {
            op(ServerOp::SetAdmin { set: 0, clear: admin::FMAINT });
        }
    } else if servers_state::forced_maint(l.admin_state) && !cfg_maint {
        op(ServerOp::SetAdmin { set: admin::FMAINT, clear: 0 });
    } else if !servers_state::forced_maint(l.admin_state) && cfg_maint {
        op(ServerOp::SetAdmin { set: 0, clear: admin::FMAINT });
    }
    let cur = be.state(si);
    if cur.admin & admin::FMAINT == 0
        && servers_state::forced_drain(l.admin_state)
        && (l.iweight > 0 || cur.iweight == 0)
    {
        op(ServerOp::SetAdmin { set: admin::FDRAIN, clear: 0 });
    }
    // Checks disabled from the CLI stay disabled.
    if cur.check.configured && l.check_state & 0x02 != 0 && l.check_state & 0x04 == 0 {
        op(ServerOp::SetCheckEnabled { agent: false, enabled: false });
    }
    if cur.agent.configured && l.agent_state & 0x02 != 0 && l.agent_state & 0x04 == 0 {
        op(ServerOp::SetCheckEnabled { agent: true, enabled: false });
    }
    // The weight set at run time, unless the configured weight changed meanwhile.
    if l.iweight == cur.iweight && l.uweight != cur.uweight {
        op(ServerOp::SetWeight(l.uweight));
    }
    // The port set at run time comes back; the address does not (HAProxy 2.6 restores it only
    // for servers resolved at run time).
    let srv = &be.servers[si];
    let a = (**srv.addr.load()).clone();
    if let (Some(p), PortSpec::Fixed(_)) = (l.port, a.port) {
        if p != 0 {
            srv.addr.store(Arc::new(ServerAddr { ip: a.ip, port: PortSpec::Fixed(p) }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Diags;
    use crate::config::parse::{self, Source};

    fn engine(cfg: &str) -> Arc<Engine> {
        let ast = parse::parse(&[Source { name: "t.cfg".into(), text: cfg.as_bytes().to_vec() }]);
        let mut diags = Diags::default();
        let lowered = crate::ir::lower::lower(&ast, &mut diags);
        let log = Arc::new(crate::log::Logger::new(None, None, Vec::new()));
        Engine::new(lowered.config, log)
    }

    /// The file HAProxy 2.6.12 wrote after `set server be/s1 addr 127.0.0.9 port 9999`,
    /// `set server be/s2 weight 5`, `set server be/s3 state maint`, `set server be/s4 state
    /// ready` (s4 is `disabled` in the configuration), and what it restored from it.
    #[test]
    fn restores_like_haproxy() {
        crate::engine::events::set_stderr(false);
        let eng = engine(
            "backend be
    server s1 127.0.0.1:18081
    server s2 127.0.0.1:18082 weight 20
                 server s3 127.0.0.1:18083
    server s4 127.0.0.1:18084 disabled
",
        );
        let file = format!(
            "{}2 be 1 s1 127.0.0.9 2 0 1 1 1 1 0 2 0 0 0 0 - 9999 - 0 0 - - 0
             2 be 2 s2 127.0.0.1 2 0 5 20 1 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0
             2 be 3 s3 127.0.0.1 0 1 1 1 0 1 0 0 0 0 0 0 - 18083 - 0 0 - - 0
             2 be 4 s4 127.0.0.1 2 4 1 1 0 1 0 0 8 0 0 0 - 18084 - 0 0 - - 0
",
            servers_state::STATE_HEADER
        );
        for l in servers_state::parse(&file).unwrap() {
            let be = eng.backend(&l.be_name).unwrap();
            let idx = be.server_by_name(&l.srv_name).unwrap().idx;
            apply_line(&eng, be.idx, idx, &l);
        }
        let got = servers_state::backend_state_lines(eng.backend("be").unwrap());
        let fields: Vec<Vec<&str>> = got.lines().map(|l| l.split(' ').collect()).collect();
        // addr, op state, admin state, uweight, iweight, port
        let pick = |f: &Vec<&str>| [f[4], f[5], f[6], f[7], f[8], f[18]].join(" ");
        assert_eq!(pick(&fields[0]), "127.0.0.1 2 0 1 1 9999");
        assert_eq!(pick(&fields[1]), "127.0.0.1 2 0 5 20 18082");
        assert_eq!(pick(&fields[2]), "127.0.0.1 0 1 1 1 18083");
        assert_eq!(pick(&fields[3]), "127.0.0.1 2 4 1 1 18084");
    }
}

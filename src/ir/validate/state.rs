//! Server state files (`server-state-file`, `load-server-state-from-file`), which HAProxy opens
//! once the configuration is valid (`apply_server_state`, before resolving server addresses):
//! a file that cannot be opened or has no version line only warns.

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::types::{Config, ServerStateFrom};

/// `<base>/<name>` unless the name is absolute or no `server-state-base` is set.
fn path(cfg: &Config, name: &str) -> String {
    match &cfg.global.server_state_base {
        Some(base) if !name.starts_with('/') => {
            if base.ends_with('/') {
                format!("{base}{name}")
            } else {
                format!("{base}/{name}")
            }
        }
        _ => name.to_string(),
    }
}

/// Why a state file cannot be used: it cannot be opened (`Err(strerror)`), or its first line is
/// not version 1 (`Ok(false)`).
fn read_version(path: &str) -> Result<bool, String> {
    let text = std::fs::read(path).map_err(|e| {
        let text = e.to_string();
        text.split(" (os error").next().unwrap_or_default().to_string()
    })?;
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(std::str::from_utf8(first).ok().and_then(|l| l.parse::<i64>().ok()) == Some(1))
}

fn warning(diags: &mut Diags, msg: String) {
    diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
}

/// The global state file, then each backend's own file, in configuration order.
pub fn apply(cfg: &Config, diags: &mut Diags) {
    if let Some(name) = &cfg.global.server_state_file {
        let file = path(cfg, name);
        match read_version(&file) {
            Err(e) => warning(diags, format!("config: Can't open global server state file '{file}': {e}")),
            Ok(false) => warning(diags, format!("config: Can't get version of the global server state file '{file}'.")),
            Ok(true) => {}
        }
    }
    for p in cfg.proxies.iter().filter(|p| p.is_backend() && !p.disabled) {
        if p.load_server_state != Some(ServerStateFrom::Local) {
            continue;
        }
        let name = p.server_state_file_name.clone().unwrap_or_else(|| p.name.clone());
        let file = path(cfg, &name);
        match read_version(&file) {
            Err(e) => warning(diags, format!("Proxy '{}': Can't open server state file '{file}': {e}.", p.name)),
            Ok(false) => {
                warning(diags, format!("Proxy '{}': Can't get version of the server state file '{file}'.", p.name))
            }
            Ok(true) => {}
        }
    }
}

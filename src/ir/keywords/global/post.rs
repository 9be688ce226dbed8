//! Checks HAProxy makes on global settings once the whole configuration is read: the HTTP
//! client's resolvers and CA file, the header case file, and the server state file.

use crate::config::diag::{Diags, Loc};
use crate::config::parse::io_reason;
use crate::ir::types::Config;

/// The errors, in the order HAProxy reports them after its proxy checks.
pub fn check(cfg: &Config, diags: &mut Diags) {
    let g = &cfg.global;
    let bufsize = g.numeric.get("tune.bufsize").copied().unwrap_or(0);
    if bufsize >= 256 << 20 && cfg.proxies.iter().any(|p| p.mode == crate::ir::types::Mode::Http) {
        diags.alert(
            Loc::None,
            format!("global.tune.bufsize must be below 256 MB when HTTP is in use (current value = {bufsize})."),
        );
    }
    if let Some(q) = &g.ssl_propquery {
        if !matches!(q.as_str(), "provider=default" | "?provider=default" | "fips=no" | "-fips") {
            diags.alert(Loc::None, "'server <HTTPCLIENT>/<HTTPSCLIENT>' : unable to allocate ssl context.");
        }
    }
    if let Some(file) = &g.h1_case_adjust_file {
        if std::fs::File::open(file).is_err() {
            diags.alert(Loc::None, format!("h1-headers-case-adjust-file '{file}': failed to open file."));
        }
    }
    if let Some(id) = &g.httpclient_resolvers {
        if !cfg.resolvers.iter().any(|r| &r.name == id) {
            diags.alert(
                Loc::None,
                format!("Proxy '<HTTPCLIENT>': Can't find resolvers section '{id}' for do-resolve action."),
            );
        }
    }
    if let Some(file) = &g.httpclient_ca_file {
        let ok = std::fs::read(file).is_ok_and(|b| b.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"));
        if !ok {
            let why =
                std::fs::File::open(file).err().map_or("No such file or directory".to_string(), |e| io_reason(&e));
            diags.alert(Loc::None, format!("Couldn't open the ca-file '{file}' ({why})."));
            diags.alert(
                Loc::None,
                format!("httpclient: cannot initialize: cannot initialize SSL verify with 'ca-file \"{file}\"'."),
            );
        }
    }
}

/// The warning HAProxy gives when it cannot open the global server state file, printed once
/// everything else passed.
pub fn state_file(cfg: &Config, diags: &mut Diags) {
    let g = &cfg.global;
    let Some(file) = &g.server_state_file else { return };
    let path = match &g.server_state_base {
        Some(base) if !file.starts_with('/') => format!("{}/{file}", base.trim_end_matches('/')),
        _ => file.clone(),
    };
    if let Err(e) = std::fs::File::open(&path) {
        diags.warning(Loc::None, format!("config: Can't open global server state file '{path}': {}", io_reason(&e)));
    }
}

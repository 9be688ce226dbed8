//! The global `setenv`, `presetenv`, `unsetenv` and `resetenv` lines run while the
//! configuration is read: later `${VAR}` expansions (quoted words, `.if defined()`, addresses)
//! see them, and so does `show env` once the process runs.

use super::Cli;
use crate::harness::client;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::proc::Impl;

const CFG: &str = "\
global
    setenv FE_PORT ${PORT_0}
    presetenv FE_PORT 1
    presetenv HAPROXIDE_FRESH fresh
    setenv HAPROXIDE_GONE x
    unsetenv HAPROXIDE_GONE
    stats socket ${DIR}/admin.sock level admin
.if defined(HAPROXIDE_GONE)
    .alert \"unset variable still defined\"
.endif
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${FE_PORT}
    monitor-uri \"/m-${HAPROXIDE_FRESH}\"
";

fn run(imp: Impl) -> String {
    let web = MockHttp::start("unused");
    let mut c = Cli::start(imp, CFG, &web);
    let port = c.ports.port(0);
    let monitor = client::get(port, "/m-fresh").map(|r| r.status.to_string()).unwrap_or_else(|e| e.to_string());
    let mut out = vec![format!("monitor: {monitor}")];
    for v in ["FE_PORT", "HAPROXIDE_FRESH", "HAPROXIDE_GONE"] {
        out.push(c.cmd(&format!("show env {v}")).replace(&port.to_string(), "PORT"));
    }
    out.join("\n")
}

#[test]
fn setenv_lines_change_later_expansions() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert!(theirs.contains("monitor: 200") && theirs.contains("HAPROXIDE_FRESH=fresh"), "{theirs}");
    assert_same("setenv family", &theirs, &ours);
}

/// Names libc refuses (`=` inside) fail the line with HAProxy's alert, for every keyword of the
/// family; nothing panics.
#[test]
fn invalid_variable_names_are_refused() {
    crate::require_haproxy!();
    let cfg = "global\n  setenv A=B x\n  unsetenv C=D\n  presetenv E=F x\n  setenv G\ndefaults\n  mode http\n\
               frontend fe\n  bind 127.0.0.1:1\n";
    let [theirs, ours] = both(|imp| {
        let out = crate::harness::proc::check_config(imp, cfg);
        format!("exit {:?}\n{}", out.code, crate::harness::normalize::check_stderr(&out.stderr))
    });
    assert!(theirs.contains("'setenv' failed on variable 'A=B' : Invalid argument."), "{theirs}");
    assert_same("invalid setenv names", &theirs, &ours);
}

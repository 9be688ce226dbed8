//! `server-state-file`: the dump of `show servers state` written before a restart restores the
//! servers' states at start, as HAProxy restores them.

use super::Cli;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::tempdir::TempDir;

const CFG: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock level admin
    server-state-file ${STATE}/global.state
defaults
    mode http
    load-server-state-from-file global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend be
    server s1 127.0.0.1:${WEB}
    server s2 127.0.0.1:${WEB} weight 20
    server s3 127.0.0.1:${WEB}
    server s4 127.0.0.1:${WEB} disabled
    server s5 127.0.0.1:${WEB} weight 7
backend other
    load-server-state-from-file none
    server o1 127.0.0.1:${WEB}
";

#[test]
fn state_file_restores_servers_like_haproxy() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let web = MockHttp::start("web");
        let state = TempDir::new("state");
        let vars = [("STATE", state.path().display().to_string())];
        let c = Cli::start_with(imp, CFG, &web, &vars);
        for cmd in [
            "set server be/s1 addr 127.0.0.9 port 9999",
            "set server be/s2 weight 5",
            "set server be/s3 state maint",
            "set server be/s4 state ready",
            "set server be/s5 state drain",
            "set server other/o1 state maint",
        ] {
            c.cmd(cmd);
        }
        let dump = crate::harness::cli::cmd(c.sock("admin.sock"), "show servers state").unwrap();
        // The file as a reload script writes it: the reply without the terminator.
        state.write("global.state", dump.strip_suffix('\n').unwrap_or(&dump));
        drop(c);
        let c = Cli::start_with(imp, CFG, &web, &vars);
        c.cmd("show servers state")
    });
    assert_same("servers restored from the state file", &theirs, &ours);
}

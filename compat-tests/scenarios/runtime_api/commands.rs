//! Commands, reply for reply: views, server commands with every error, levels, frontends,
//! tables and the commands answered as for a configuration without the feature.

use super::{compare_lines, BASE};

#[test]
fn views_match() {
    crate::require_haproxy!();
    compare_lines(
        BASE,
        &[
            "show version",
            "show info",
            "show info typed",
            "show info json",
            "show info desc",
            "show info typed desc",
            "show stat",
            "show stat typed",
            "show stat json",
            "show stat desc",
            "show stat typed desc",
            "show stat up",
            "show stat no-maint",
            "show stat up typed",
            "show stat 3 -1 -1",
            "show stat be 2 -1",
            "show stat be -1 -1",
            "show stat #3 -1 -1",
            "show stat 3 4 -1",
            "show stat 3 4 1",
            "show stat 3 1 -1",
            "show stat 3 1 2",
            "show stat nosuch -1 -1",
            "show stat 999 -1 -1",
            "show stat 3",
            "show stat 3 x y",
            "show stat 3 1 -1 json",
            "show stat 3 1 -1 typed",
            "show stat fe 1 -1 json",
            "show schema json",
            "show servers state",
            "show servers state be",
            "show servers state #4",
            "show servers state fe",
            "show servers state nosuch",
            "show servers conn",
            "show servers conn tcpbe",
            "show servers conn nosuch",
            "show backend",
            "show cli sockets",
            "show cli level",
            "@oper show cli level",
            "@user show cli level",
            "@user show stat",
            "@user show servers state",
            "show env NOPE",
            "show env HOME x",
        ],
    );
}

#[test]
fn server_commands_match() {
    crate::require_haproxy!();
    compare_lines(
        BASE,
        &[
            "set server be/s2 addr 127.0.0.2",
            "set server be/s2 addr 127.0.0.2",
            "set server be/s2 addr 127.0.0.1 port 18090",
            "set server be/s2 addr 127.0.0.1 port 18090",
            "set server be/s2 addr foo",
            "set server be/s2 addr",
            "set server be/s2 addr 127.0.0.1 port x",
            "set server be/s2 addr 127.0.0.1 port",
            "set server be/s2 addr 127.0.0.1 port +80",
            "set server be/s2 addr ::1",
            "set server be/s2 addr 127.0.0.1 port 70000",
            "show servers state be",
            "set server be/s2 state foo",
            "set server be/s2 state",
            "set server be/s2 health foo",
            "set server be/s2 health up",
            "set server be/s2 agent up",
            "set server be/s2 agent foo",
            "set server be/s2 weight 300",
            "set server be/s2 weight -1",
            "set server be/s2 weight abc",
            "set server be/s2 weight 5x",
            "set server be/s2 weight",
            "set server be/s2 weight 50%",
            "get weight be/s2",
            "set server be/s2 weight 200%",
            "get weight be/s2",
            "set server be/s2 weight 1000%",
            "get weight be/s2",
            "set server be/s2",
            "set server be/s2 foo",
            "set server be/nosuch state ready",
            "set server nosuch/s2 state ready",
            "set server s2 state ready",
            "set server",
            "get weight",
            "get weight be",
            "get weight be/nosuch",
            "get weight #3/s1",
            "get weight be/#2",
            "get weight fe/s1",
            "get weight /s1",
            "get weight be/",
            "set weight be/s2",
            "set weight be/s2 10",
            "get weight be/s2",
            "set weight be/s2 100%",
            "get weight be/s2",
            "set server be/s2 check-port 80",
            "set server be/s2 check-addr 1.2.3.4",
            "set server be/s1 check-port ${WEB}",
            "set server be/s1 check-port x",
            "set server be/s1 check-port",
            "set server be/s1 check-port 70000",
            "set server be/s1 check-addr 127.0.0.1",
            "set server be/s1 check-addr foo.invalid",
            "set server be/s1 check-addr",
            "set server be/s1 check-port 0",
            "set server be/s2 fqdn foo.com",
            "set server be/s2 fqdn",
            "set server be/s2 agent-addr 1.2.3.4",
            "set server be/s2 agent-port 80",
            "set server be/s2 agent-send foo",
            "set server be/s2 ssl on",
            "show servers state be",
            "set server be/websrv1 state ready",
            "set server be/websrv2 state drain",
            "set server be/s2 state maint",
            "show servers state be",
            "show stat be 4 -1",
            "show stat be 2 -1",
            "disable server be/s2",
            "enable server be/s2",
            "disable health be/s1",
            "enable health be/s2",
            "enable agent be/s1",
            "disable agent be/s1",
            "show servers state be",
            "show stat be 4 -1",
            "enable health be/s1",
            "set maxconn server be/s1",
            "set maxconn server be/s1 x",
            "set maxconn server be/s1 5x",
            "set maxconn server be/s1 10",
            "show stat be 4 1",
            "shutdown sessions server be/s1",
            "shutdown sessions server be/nosuch",
            // Forced health on the unchecked server (no check may interfere).
            "set server be/s2 health down",
            "show servers state be",
            "show stat be 4 2",
            "set server be/s2 health stopping",
            "show stat be 4 2",
            "show stat be 2 -1",
            "set server be/s2 health up",
            "show stat be -1 -1",
        ],
    );
}

#[test]
fn levels_match() {
    crate::require_haproxy!();
    let mut lines = Vec::new();
    for who in ["@oper ", "@user "] {
        for c in [
            "show stat",
            "show info",
            "show servers state",
            "show servers conn",
            "show backend",
            "show table",
            "show env NOPE",
            "show cli sockets",
            "get weight be/s1",
            "set weight be/s1 1",
            "set server be/s1 weight 1",
            "disable server be/s1",
            "enable server be/s1",
            "enable health be/s1",
            "disable agent be/s1",
            "set maxconn server be/s1 1",
            "set maxconn frontend fe 1",
            "set maxconn global 1",
            "shutdown sessions server be/s1",
            "disable frontend fe",
            "shutdown frontend fe",
            "clear counters",
            "clear counters all",
            "set table t key 1",
            "clear table t",
            "add server be/x 1.1.1.1",
            "del server be/x",
            "set timeout cli 10",
            "set severity-output number",
            "expert-mode",
            "get var proc.x",
            "show map",
            "show peers",
            "show tls-keys",
            "show ssl cert",
            "show ssl crt-list",
            "show cache",
            "operator",
            "help",
            "operator;show cli level;user;show cli level;operator;show cli level",
        ] {
            lines.push(format!("{who}{c}"));
        }
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    compare_lines(BASE, &refs);
}

const FRONTENDS: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    default_backend be
frontend fe2
    bind 127.0.0.1:${PORT_1}
    maxconn 50
    default_backend be
frontend off
    bind 127.0.0.1:${PORT_2}
    disabled
    default_backend be
listen li
    bind 127.0.0.1:${PORT_3}
    server s1 127.0.0.1:${WEB}
backend be
    server s1 127.0.0.1:${WEB}
";

#[test]
fn frontend_and_maxconn_commands_match() {
    crate::require_haproxy!();
    compare_lines(
        FRONTENDS,
        &[
            "show stat -1 3 -1",
            "disable frontend fe",
            "disable frontend li",
            "disable frontend fe",
            "show stat -1 1 -1",
            "enable frontend fe",
            "enable frontend fe",
            "enable frontend off",
            "disable frontend off",
            "shutdown frontend off",
            "enable frontend",
            "enable frontend nosuch",
            "enable frontend be",
            "enable frontend #2",
            "shutdown frontend fe",
            "shutdown frontend fe",
            "enable frontend fe",
            "disable frontend fe",
            "show stat -1 1 -1",
            "show backend",
            "set maxconn frontend fe2",
            "set maxconn frontend fe2 -1",
            "set maxconn frontend fe2 x",
            "show stat fe2 1 -1",
            "set maxconn frontend fe2 100",
            "show stat fe2 1 -1",
            "set maxconn frontend nosuch 1",
            "set maxconn global",
            "set maxconn global x",
            "set maxconn global 99999999",
            "set maxconn global 500",
            "show info",
            "set maxconn global 0",
            "show info",
            "clear counters",
            "clear counters all",
            "clear counters foo",
            "show stat",
            "show servers state",
            "show servers conn",
        ],
    );
}

/// A paused frontend refuses connections, a resumed one serves again, a shut one is gone; both
/// implementations behave alike.
#[test]
fn paused_frontends_refuse_connections() {
    crate::require_haproxy!();
    use crate::harness::{client, mock_http::MockHttp, proc::Impl};
    let [theirs, ours] = crate::harness::compare::both(|imp: Impl| {
        let web = MockHttp::start("web");
        let mut c = super::Cli::start(imp, FRONTENDS, &web);
        let port = c.ports.port(0);
        let status = |p: u16| client::get(p, "/").map(|r| r.status.to_string()).unwrap_or_else(|_| "refused".into());
        let mut out = vec![status(port)];
        c.cmd("disable frontend fe");
        out.push(status(port));
        c.cmd("enable frontend fe");
        out.push(status(port));
        c.cmd("shutdown frontend fe");
        out.push(status(port));
        out.join(" ")
    });
    crate::harness::compare::assert_same("frontend availability", &theirs, &ours);
    assert_eq!(ours, "200 refused 200 refused");
}

#[test]
fn tables_and_absent_features_match() {
    crate::require_haproxy!();
    compare_lines(
        BASE,
        &[
            "show table",
            "show table foo",
            "set table foo key 1",
            "clear table foo",
            "clear table",
            "set table",
            "@user show table foo",
            "get var",
            "get var foo",
            "show tls-keys",
            "show ssl cert",
            "show ssl crt-list",
            "show cache",
            "show peers",
            "show map",
            "show map foo",
        ],
    );
}

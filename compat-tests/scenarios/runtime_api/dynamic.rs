//! Dynamic servers: `add server` and `del server` with HAProxy's rules and messages.

use super::compare_lines;

const CFG: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend be
    server s1 127.0.0.1:${WEB}
backend st
    balance static-rr
    server s1 127.0.0.1:${WEB}
backend hs
    balance source
    server s1 127.0.0.1:${WEB}
backend hc
    balance source
    hash-type consistent
    server s1 127.0.0.1:${WEB}
";

#[test]
fn add_and_del_server_match() {
    crate::require_haproxy!();
    compare_lines(
        CFG,
        &[
            "add server be/x 1.2.3.4:80",
            "add server be/x 1.2.3.4:80",
            "del server be/x",
            "set server be/x state maint",
            "del server be/x",
            "add server be",
            "add server",
            "add server be/y",
            "add server be/y 1.2.3.4 foo",
            "add server be/y 1.2.3.4 weight abc",
            "add server be/y 1.2.3.4:abc",
            "add server be/y 1.2.3.4:80-90",
            "add server st/y 1.2.3.4",
            "add server hs/y 1.2.3.4",
            "add server hc/y 1.2.3.4",
            "add server be/a.b 1.2.3.4",
            "add server be/a@b 1.2.3.4",
            "add server be/y2 1.2.3.4 redir http://x",
            "add server be/y3 1.2.3.4 init-addr none",
            "add server be/y4 1.2.3.4 disabled",
            "add server be/y5 1.2.3.4 id 9",
            "add server be/y6 1.2.3.4 id 9",
            "add server be/y7 1.2.3.4 track s1",
            "add server be/y8 1.2.3.4 weight 300",
            "add server be/y9 1.2.3.4 maxconn 10 maxqueue 5 backup",
            "add server be/ya 1.2.3.4:80 check inter 60s rise 3",
            "add server be/yb 1.2.3.4:80 agent-check agent-port 99 agent-inter 60s",
            "add server be/yc 1.2.3.4 check",
            "show servers state be",
            "show stat be 4 -1",
            "disable server be/y9",
            "set server be/y state ready",
            "del server be/y",
            "set server be/y state maint",
            "del server be/y",
            "add server be/ye 1.2.3.4",
            "show servers state be",
            "enable health be/ya",
            "enable agent be/yb",
            "show servers state be",
            "del server be/s1",
            "del server be/nosuch",
            "del server nosuch/x",
            "del server be",
            "set server be/a.b ssl on",
            "get weight be/y9",
            "show backend",
        ],
    );
}

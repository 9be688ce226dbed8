//! `track-sc0/1/2` and the `sc_*` / `src_*` fetches: HAProxy's classic request-rate limit,
//! what the fetches read during a burst, and the counters `show table` shows afterwards.

use crate::harness::client::Request;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::{Behavior, MockHttp};

/// `show table` of the 10s tables: expiry compared in 5s steps.
fn table_norm(s: &str) -> String {
    super::persistence::table_norm_in(s, 5_000)
}

const CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend st
    stick-table type ip size 1k expire 10s store http_req_rate(10s),conn_cur,gpc0
backend st2
    stick-table type string len 16 size 10 expire 10s store conn_cnt,conn_cur,conn_rate(10s),http_req_cnt,http_err_cnt,http_err_rate(10s),http_fail_cnt
frontend fe
    bind 127.0.0.1:${PORT_0}
    http-request track-sc0 src table st
    http-request deny if { sc_http_req_rate(0) gt 3 }
    http-request return status 200 content-type text/plain string \"rate=%[sc0_http_req_rate] cur=%[sc_conn_cur(0)] src=%[src_http_req_rate(st)] t1=%[sc1_tracked]\"
listen li
    bind 127.0.0.1:${PORT_1}
    http-request track-sc1 req.hdr(x-user) table st2 if { req.hdr(x-user) -m found }
    http-request track-sc2 req.hdr(x-user) table st2
    http-request deny deny_status 429 if { sc1_http_err_cnt(st2) gt 1 }
    http-response set-header x-seen %[sc_http_req_cnt(1)]/%[sc2_conn_cur]/%[sc1_trackers]
    server web 127.0.0.1:${WEB}
";

fn line(port: u16, req: &Request) -> String {
    match req.send(port) {
        Ok(r) => format!("{} {} seen={}", r.status, r.body_text(), r.header("x-seen").unwrap_or("-")),
        Err(e) => format!("error: {e}"),
    }
}

/// A burst of requests under the rate limit, then the entries as `show table` shows them.
#[test]
fn track_sc_rate_limit() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    web.on_path("/missing", Behavior::Status(404));
    web.on_path("/boom", Behavior::Status(500));
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start(imp, CFG, &web);
        let mut ports = c.ports.clone();
        let (p0, p1) = (ports.port(0), ports.port(1));
        let mut out = Vec::new();
        for _ in 0..6 {
            out.push(line(p0, &Request::get("/")));
        }
        for (user, path) in [
            ("ann", "/"),
            ("bob", "/"),
            ("ann", "/missing"),
            ("bob", "/boom"),
            ("ann", "/"),
            ("ann", "/"),
            ("bob", "/"),
        ] {
            out.push(format!("{user}: {}", line(p1, &Request::get(path).header("X-User", user))));
        }
        out.push(format!("none: {}", line(p1, &Request::get("/"))));
        for cmd in ["show table st", "show table st2", "show table"] {
            out.push(format!("> {cmd}\n{}", table_norm(&c.cmd(cmd))));
        }
        out.join("\n")
    });
    assert_same("track-sc rate limit", &theirs, &ours);
}

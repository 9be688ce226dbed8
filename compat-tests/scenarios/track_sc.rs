//! `track-sc0/1/2` and the `sc_*` / `src_*` fetches: HAProxy's classic request-rate limit,
//! what the fetches read during a burst, and the counters `show table` shows afterwards.

use crate::harness::client::Request;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::{Behavior, MockHttp};

/// `show table` once the sessions the client has finished are over in the proxy too (no entry
/// in use): either implementation may still be closing the last one when the client is done.
fn settled(c: &super::runtime_api::Cli, cmd: &str) -> String {
    let busy = regex::Regex::new(r"use=[1-9]").unwrap();
    let mut out = c.cmd(cmd);
    crate::harness::wait::wait_until(std::time::Duration::from_secs(2), || {
        out = c.cmd(cmd);
        !busy.is_match(&out)
    });
    table_norm(&out)
}

/// `show table` of the 10-minute tables: expiry compared in minutes, so a run slowed by load
/// (seconds between the last touch and the dump) reads like a fast one.
fn table_norm(s: &str) -> String {
    super::persistence::table_norm_in(s, 60_000)
}

/// Follows [`super::runtime_api::ADMIN_HTTP`].
const CFG: &str = "\
backend st
    stick-table type ip size 1k expire 10m store http_req_rate(60s),conn_cur,gpc0
backend st2
    stick-table type string len 16 size 10 expire 10m store conn_cnt,conn_cur,conn_rate(60s),http_req_cnt,http_err_cnt,http_err_rate(60s),http_fail_cnt
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
        let c = super::runtime_api::Cli::start_http(imp, CFG, &web, &[]);
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
            out.push(format!("> {cmd}\n{}", settled(&c, cmd)));
        }
        out.join("\n")
    });
    assert_same("track-sc rate limit", &theirs, &ours);
}

/// Follows [`super::runtime_api::ADMIN_HTTP`]. Rates over 60s: the scenario can outlast 10s on a
/// loaded machine, and a rate read after its period has decayed.
const LEVELS_CFG: &str = "\
backend st
    stick-table type ip size 10 expire 10m store conn_cnt,conn_cur,conn_rate(60s),sess_cnt,sess_rate(60s),http_req_cnt,http_req_rate(60s),http_err_cnt,gpc0,gpc0_rate(60s),gpt0
backend st2
    stick-table type string len 16 size 10 expire 10m store conn_cnt,conn_cur,sess_cnt,http_req_cnt,http_err_cnt,gpc(2),gpc_rate(2,60s),gpt(2)
backend tt
    stick-table type ip size 10 expire 10m store conn_cnt,conn_cur,sess_cnt,http_req_cnt,bytes_in_cnt,bytes_out_cnt,gpc1
backend st3
    stick-table type string len 16 size 10 expire 10m store conn_cnt,conn_cur,http_req_cnt,http_err_cnt,gpc0
frontend fe
    bind 127.0.0.1:${PORT_0}
    tcp-request connection track-sc0 src table st
    tcp-request connection reject if { sc0_conn_cnt gt 4 }
    tcp-request content track-sc1 src,ipmask(8) table st2
    http-request track-sc0 req.hdr(x-user) table st2
    http-request track-sc2 req.hdr(x-user) table st2
    http-request sc-inc-gpc0(0) if { path /bad }
    http-request sc-inc-gpc(1,2) if { path /bad }
    http-request sc-set-gpt0(0) 42 if { path /mark }
    http-request sc-set-gpt(1,2) req.hdr(x-v),add(1) if { req.hdr(x-v) -m found }
    http-request sc-set-gpt0 -1 if { path /neg }
    http-request deny if { sc0_get_gpc0 gt 1 }
    http-request return status 200 content-type text/plain lf-string \"c=%[sc0_conn_cur] r=%[sc0_http_req_cnt] s=%[sc0_sess_cnt] g=%[sc0_get_gpc0] t=%[sc0_get_gpt0] u1=%[sc1_http_req_cnt] u2=%[sc2_http_req_cnt] k2=%[sc_get_gpc(1,2)] v2=%[sc_get_gpt(1,2)] u=%[src_updt_conn_cnt(tt)]\"
listen tcp
    mode tcp
    bind 127.0.0.1:${PORT_1}
    tcp-request connection track-sc0 src table tt
    tcp-request content track-sc1 src table st
    tcp-request content sc-inc-gpc1(0)
    tcp-request content sc-inc-gpc0(1)
    server web 127.0.0.1:${WEB}
listen resp
    bind 127.0.0.1:${PORT_2}
    http-response track-sc0 res.hdr(x-server) table st3
    http-response sc-inc-gpc0(0) if { status 404 }
    http-response set-header x-seen %[sc0_get_gpc0]/%[sc0_conn_cur]/%[sc0_http_req_cnt]/%[sc0_conn_cnt]
    server web 127.0.0.1:${WEB}
";

fn pipelined(port: u16, reqs: &[(&str, &str)]) -> String {
    let mut raw = Vec::new();
    for (i, (path, headers)) in reqs.iter().enumerate() {
        let close = if i + 1 == reqs.len() { "Connection: close\r\n" } else { "" };
        raw.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: h\r\n{headers}{close}\r\n").as_bytes());
    }
    match crate::harness::client::tcp_roundtrip(port, &raw) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => format!("error: {e}"),
    }
}

/// Counters tracked at every level: `tcp-request connection` (the session's, counting each
/// HTTP request of a keep-alive connection), `tcp-request content` and `http-request` (the
/// stream's; a counter the session tracks is taken), `http-response`; `sc-inc-gpc*` and
/// `sc-set-gpt*` at each level; a rate limit on the session's counter; TCP mode with the bytes
/// relayed each way.
#[test]
fn track_sc_levels_and_gpc_actions() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    web.on_path("/missing", Behavior::Status(404));
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_http(imp, LEVELS_CFG, &web, &[]);
        let mut ports = c.ports.clone();
        let (p0, p1, p2) = (ports.port(0), ports.port(1), ports.port(2));
        let mut out = Vec::new();
        let ann = "X-User: ann\r\n";
        out.push(pipelined(p0, &[("/", ann), ("/bad", ann), ("/mark", "X-User: bob\r\nX-V: 6\r\n"), ("/", "")]));
        out.push(pipelined(p0, &[("/bad", ann), ("/", ann)]));
        out.push(pipelined(p0, &[("/neg", ""), ("/", "")]));
        for _ in 0..3 {
            out.push(pipelined(p0, &[("/", "")]));
        }
        for cmd in ["show table st", "show table st2"] {
            out.push(format!("> {cmd}\n{}", settled(&c, cmd)));
        }
        for _ in 0..2 {
            out.push(pipelined(p1, &[("/", "")]));
        }
        for path in ["/", "/missing", "/missing"] {
            out.push(line(p2, &Request::get(path)));
        }
        for cmd in ["show table tt", "show table st", "show table st3"] {
            out.push(format!("> {cmd}\n{}", settled(&c, cmd)));
        }
        out.join("\n")
    });
    assert_same("track-sc levels", &theirs, &ours);
}

/// Follows [`super::runtime_api::ADMIN_HTTP`].
const BYTES_CFG: &str = "\
backend bt
    stick-table type ip size 10 expire 10m store bytes_in_cnt,bytes_out_cnt,bytes_in_rate(60s),bytes_out_rate(60s)
listen li
    bind 127.0.0.1:${PORT_0}
    http-request track-sc0 src table bt
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string hello if { path /ret }
    http-request redirect location /elsewhere if { path /redir }
    http-request reject if { path /rej }
    http-response set-header x-in %[sc0_kbytes_in]
    use_backend empty if { path /empty }
    server web 127.0.0.1:${WEB}
backend empty
";

/// `bytes_in_*` / `bytes_out_*` counted by `http-request track-sc` over server responses,
/// request bodies, keep-alive, and the proxy's own answers (deny, return, redirect, reject, no
/// server), which count the request as received (and so do the proxies' byte counters).
#[test]
fn track_sc_counts_http_bytes() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    web.on_path("/missing", Behavior::Status(404));
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_http(imp, BYTES_CFG, &web, &[]);
        let p = c.ports.clone().port(0);
        let mut out = Vec::new();
        for path in ["/", "/missing", "/deny", "/ret", "/redir", "/rej", "/empty"] {
            out.push(line(p, &Request::get(path)));
            out.push(settled(&c, "show table bt"));
        }
        out.push(line(p, &Request::get("/post").method("POST").body("a=1&b=2")));
        out.push(line(p, &Request::get("/deny").method("POST").body("a=1&b=2")));
        out.push(settled(&c, "show table bt"));
        out.push(stat_columns(
            &c.cmd("show stat"),
            &["bin", "bout", "dreq", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "req_tot"],
        ));
        out.push(pipelined(p, &[("/", ""), ("/missing", "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), ("/", "")]));
        out.push(settled(&c, "show table bt"));
        out.join("\n")
    });
    assert_same("track-sc bytes", &theirs, &ours);
}

/// The named columns of `show stat`, one line per proxy or server.
fn stat_columns(csv: &str, names: &[&str]) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").trim_start_matches("# ").split(',').collect();
    let idx: Vec<usize> = names.iter().filter_map(|n| header.iter().position(|h| h == n)).collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let mut row = vec![f[0], f[1]];
            row.extend(idx.iter().map(|&i| f.get(i).copied().unwrap_or("?")));
            row.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

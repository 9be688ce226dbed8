//! `source` on server lines and in backends compared with HAProxy: the address servers see
//! for traffic and health checks, the `%bi`/`%bp` log fields (also after a failed attempt, with
//! and without `source`), a fixed source port already taken for the destination ("no free
//! ports"), and a source address this host does not have ("Cannot bind to source address").

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::{free_port, Template};
use crate::harness::proc::{self, Impl};
use crate::harness::syslog::UdpSyslog;
use crate::harness::wait::{wait_until, DEFAULT_TIMEOUT};
use crate::harness::{client, normalize};

/// PORT_0: frontend, PORT_1: the mock, PORT_2: syslog, PORT_3: a dead port, PORT_4: the fixed
/// source port.
const CFG: &str = "\
global
    log 127.0.0.1:${PORT_2} local0
defaults
    mode http
    log global
    log-format \"%b/%s bi=%bi bp=%bp %ST %tsc %rc\"
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    retries 1
frontend fe
    bind 127.0.0.1:${PORT_0}
    use_backend own if { path_beg /own }
    use_backend fixed if { path_beg /fixed }
    use_backend nonlocal if { path_beg /nonlocal }
    use_backend dead if { path_beg /dead }
    use_backend dead_plain if { path_beg /plain-dead }
    default_backend proxy_level
backend own
    option httpchk GET /chk-own
    server s 127.0.0.1:${PORT_1} source 127.0.0.42 check inter 200ms
backend proxy_level
    source 127.0.0.43
    server s 127.0.0.1:${PORT_1}
    server t 127.0.0.1:${PORT_1} source 127.0.0.44
backend fixed
    http-reuse never
    server s 127.0.0.1:${PORT_1} source 127.0.0.45:${PORT_4}
backend nonlocal
    server s 127.0.0.1:${PORT_1} source 192.0.2.1
backend dead
    server s 127.0.0.1:${PORT_3} source 127.0.0.46
backend dead_plain
    server s 127.0.0.1:${PORT_3}
";

/// What one implementation shows: per request, the status, the address the mock saw and the
/// log lines it caused; then the address health checks came from and the stderr lines about
/// source addresses.
fn run(imp: Impl) -> String {
    let mock = MockHttp::start("m");
    let syslog = UdpSyslog::start();
    let fixed = free_port();
    let mut t = Template::new();
    t.set_port(1, mock.port()).set_port(2, syslog.port()).set_port(3, free_port()).set_port(4, fixed);
    let cfg = t.render(CFG);
    let mut h = proc::start(imp, &cfg, &[]);
    let fe = t.port(0);
    h.wait_ready(&[fe], &[]);
    let norm = |s: &str| {
        let s = normalize::volatile(s).replace(&format!("bp={fixed}"), "bp=FIXED");
        // A port the system picked: only whether there is one matters.
        let s = s.split(' ').map(|w| if w.starts_with("bp=") && w[3..].parse::<u16>().is_ok() { "bp=N" } else { w });
        s.collect::<Vec<_>>().join(" ")
    };
    let get = |path: &str| client::get(fe, path).map(|r| r.status.to_string()).unwrap_or_else(|e| e.to_string());
    let mut out = Vec::new();
    let mut seen = 0;
    let mut step = |what: &str, status: String, lines: usize, out: &mut Vec<String>| {
        let got = syslog.messages().wait_count(seen + lines, DEFAULT_TIMEOUT).unwrap_or_default();
        let traffic: Vec<String> =
            got.iter().skip(seen).map(|m| norm(m.split_once("]: ").map_or(m, |x| x.1))).collect();
        let prio: Vec<&str> = got.iter().skip(seen).map(|m| m.split('>').next().unwrap_or("")).collect();
        seen = got.len();
        let peers: Vec<String> = mock
            .request_log()
            .iter()
            .filter(|r| !r.path.starts_with("/chk"))
            .map(|r| r.peer.ip().to_string())
            .collect();
        mock.reset_counters();
        out.push(format!("{what}: {status}, server saw {peers:?}, log {prio:?} {traffic:?}"));
    };
    for path in ["/", "/", "/own"] {
        let r = get(path);
        step(path, r, 1, &mut out);
    }
    // The fixed port: a first client holds its server connection (http-reuse never), a second
    // one needs the same source address and port towards the same server.
    let mut held = TcpStream::connect(("127.0.0.1", fe)).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    held.write_all(b"GET /fixed HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 12];
    let first = held.read_exact(&mut buf).map(|_| String::from_utf8_lossy(&buf[9..]).to_string()).unwrap_or_default();
    step("/fixed first", first, 1, &mut out);
    let second = get("/fixed");
    // Two attempts (retries 1), each with its error line, then the request's line.
    step("/fixed second", second, 3, &mut out);
    drop(held);
    let r = get("/nonlocal");
    step("/nonlocal", r, 3, &mut out);
    let r = get("/dead");
    step("/dead", r, 1, &mut out);
    let r = get("/plain-dead");
    step("/plain-dead", r, 1, &mut out);
    // Health checks come from the server's source address too.
    let checked = wait_until(DEFAULT_TIMEOUT, || mock.requests_to("/chk-own") > 0);
    let check_peers: Vec<String> =
        mock.request_log().iter().filter(|r| r.path.starts_with("/chk")).map(|r| r.peer.ip().to_string()).collect();
    out.push(format!("checks seen {checked}, from {:?}", check_peers.first()));
    let (_, stderr) = h.kill();
    let stderr = normalize::volatile(&stderr);
    let about: Vec<&str> =
        stderr.lines().filter(|l| l.contains("source address") || l.contains("Connect() failed")).collect();
    out.push(format!("stderr {about:?}"));
    out.join("\n")
}

#[test]
fn source_addresses_of_server_connections() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert_same("source addresses", &theirs, &ours);
}

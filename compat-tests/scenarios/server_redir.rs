//! Server `redir <prefix>` compared with HAProxy: GET and HEAD requests get its 302 to the
//! prefix and the path (absolute URIs lose scheme and host, a lone `/` prefix adds nothing),
//! the connection closes, the log says `LC--` with no connect time; POST reaches the server.

use crate::harness::client;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl};
use crate::harness::syslog::UdpSyslog;
use crate::harness::wait::DEFAULT_TIMEOUT;

/// PORT_0: frontend, PORT_1: the mock, PORT_2: syslog.
const CFG: &str = "\
global
    log 127.0.0.1:${PORT_2} local0
defaults
    mode http
    log global
    log-format \"%b/%s %Tc %Tr %ST %B %U %tsc %{+Q}r\"
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    use_backend slash if { path_beg /slash }
    default_backend be
backend be
    server s 127.0.0.1:${PORT_1} redir http://img.example.com
backend slash
    server s 127.0.0.1:${PORT_1} redir /
";

const REQUESTS: &[&[u8]] = &[
    b"GET /a/b?x=1 HTTP/1.1\r\nhost: x\r\n\r\nGET /second HTTP/1.1\r\nhost: x\r\n\r\n",
    b"HEAD /h HTTP/1.0\r\n\r\n",
    b"GET http://foo.bar/abs?q HTTP/1.1\r\nhost: foo.bar\r\n\r\n",
    b"GET /slash/x HTTP/1.1\r\nhost: x\r\n\r\n",
    b"POST /p HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 2\r\n\r\nab",
];

fn run(imp: Impl) -> String {
    let mock = MockHttp::start("m");
    let syslog = UdpSyslog::start();
    let mut t = Template::new();
    t.set_port(1, mock.port()).set_port(2, syslog.port());
    let cfg = t.render(CFG);
    let mut h = proc::start(imp, &cfg, &[]);
    let fe = t.port(0);
    h.wait_ready(&[fe], &[]);
    let mut out = Vec::new();
    for (i, req) in REQUESTS.iter().enumerate() {
        let answer = client::tcp_roundtrip(fe, req).unwrap_or_default();
        let log = syslog.messages().wait_count(i + 1, DEFAULT_TIMEOUT).unwrap_or_default();
        let line = log.get(i).map(|m| {
            let mut w: Vec<&str> = m.split_once("]: ").map_or(m.as_str(), |x| x.1).split(' ').collect();
            // A served request's connect and response times vary; a redirect's are always -1.
            if w.get(3) != Some(&"302") && w.len() > 3 {
                (w[1], w[2]) = ("T", "T");
            }
            w.join(" ")
        });
        out.push(format!("{:?}\n  log {line:?}", String::from_utf8_lossy(&answer)));
    }
    out.push(format!("server saw {:?}", mock.request_log().iter().map(|r| r.path.clone()).collect::<Vec<_>>()));
    drop(h);
    out.join("\n")
}

#[test]
fn redir_servers_answer_with_a_302() {
    crate::require_haproxy!();
    let [theirs, ours] = both(run);
    assert_same("server redir", &theirs, &ours);
}

//! Socket options on traffic connections compared with HAProxy: TCP keep-alive on the client
//! side (`option clitcpka`, `option tcpka`, `clitcpka-idle`) and the server side (`option
//! srvtcpka`, `srvtcpka-idle`), read from the kernel's own view of the proxy's sockets
//! (/proc/net/tcp: the keep-alive timer and when it fires).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::compare::{assert_same, both};
use crate::harness::mock_tcp::MockTcp;

/// Follows [`super::runtime_api::ADMIN_TCP`].
const CFG: &str = "\
frontend plain
    bind 127.0.0.1:${PORT_0}
    default_backend plain
frontend cli_ka
    bind 127.0.0.1:${PORT_1}
    option clitcpka
    default_backend srv_ka
frontend cli_ka_tuned
    bind 127.0.0.1:${PORT_2}
    option clitcpka
    clitcpka-idle 20s
    clitcpka-intvl 3
    clitcpka-cnt 4
    default_backend srv_ka_tuned
backend plain
    server s 127.0.0.1:${ECHO_0}
backend srv_ka
    option srvtcpka
    server s 127.0.0.1:${ECHO_1}
backend srv_ka_tuned
    option srvtcpka
    srvtcpka-idle 1m
    server s 127.0.0.1:${ECHO_2}
defaults both
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    option tcpka
    clitcpka-idle 30
    srvtcpka-idle 40
listen both_sides from both
    bind 127.0.0.1:${PORT_3}
    server s 127.0.0.1:${ECHO_3}
frontend fe_only from both
    bind 127.0.0.1:${PORT_4}
    default_backend plain_again
backend plain_again
    server s 127.0.0.1:${ECHO_4}
";

/// The keep-alive timer of the established socket with local port `lport` (or remote port
/// `rport`): `keepalive <seconds until it fires, rounded up>`, `none`, or `no socket`.
fn keepalive_timer(lport: Option<u16>, rport: Option<u16>) -> String {
    match crate::harness::sockets::established(lport, rport) {
        // USER_HZ ticks.
        Some(s) if s.timer.0 == 2 => format!("keepalive {}s", s.timer.1.div_ceil(100)),
        Some(s) if s.timer.0 == 0 => "none".into(),
        Some(s) => format!("timer {}", s.timer.0),
        None => "no socket".into(),
    }
}

#[test]
fn tcp_keepalive_on_both_sides() {
    crate::require_haproxy!();
    let echoes: Vec<MockTcp> = (0..5).map(|_| MockTcp::echo()).collect();
    let web = crate::harness::mock_http::MockHttp::start("unused");
    let vars: Vec<(String, String)> =
        echoes.iter().enumerate().map(|(i, e)| (format!("ECHO_{i}"), e.port().to_string())).collect();
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let [theirs, ours] = both(|imp| {
        let cfg = format!("{}{CFG}", super::runtime_api::ADMIN_TCP);
        let c = super::runtime_api::Cli::start_with(imp, &cfg, &web, &vars);
        let mut ports = c.ports.clone();
        let mut out = Vec::new();
        for (i, name) in ["plain", "cli_ka", "cli_ka_tuned", "both_sides", "fe_only"].iter().enumerate() {
            let port = ports.port(i);
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            // An echo round trip: both of the proxy's connections exist and are idle after it.
            s.write_all(b"ping").unwrap();
            let mut buf = [0u8; 4];
            let echoed = s.read_exact(&mut buf).is_ok();
            std::thread::sleep(Duration::from_millis(50));
            let client_side = keepalive_timer(Some(port), None);
            let server_side = keepalive_timer(None, Some(echoes[i].port()));
            out.push(format!("{name}: echoed {echoed}, client side {client_side}, server side {server_side}"));
        }
        out.join("\n")
    });
    assert_same("tcp keep-alive", &theirs, &ours);
}

/// The listen() backlog of the listening socket on `port`, as `ss` shows it (Send-Q).
fn listen_backlog(port: u16) -> String {
    let out = std::process::Command::new("ss").args(["-Hltn", &format!("sport = :{port}")]).output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).split_whitespace().nth(2).unwrap_or("no socket").to_string(),
        Err(e) => format!("ss failed: {e}"),
    }
}

/// `backlog` in a proxy (its own or its defaults') and on bind lines, with `maxconn` on both:
/// the bind line's backlog first, then the proxy's, then the bind line's maxconn, then the
/// frontend's; `nice` is accepted (ignored).
#[test]
fn listen_backlog_order() {
    crate::require_haproxy!();
    let cfg = "\
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    backlog 33
frontend own
    bind 127.0.0.1:${PORT_0}
    backlog 77
    maxconn 500
    default_backend b
frontend inherited
    bind 127.0.0.1:${PORT_1}
    bind 127.0.0.1:${PORT_2} backlog 55 nice 10
    bind 127.0.0.1:${PORT_3} maxconn 44
    maxconn 600
    default_backend b
defaults plain
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe_maxconn from plain
    bind 127.0.0.1:${PORT_4}
    bind 127.0.0.1:${PORT_5} maxconn 21
    maxconn 66
    default_backend b
backend b from plain
    server s 127.0.0.1:1
";
    let web = crate::harness::mock_http::MockHttp::start("unused");
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_with(imp, &format!("{}{cfg}", super::runtime_api::ADMIN_TCP), &web, &[]);
        let mut ports = c.ports.clone();
        (0..6)
            .map(|i| format!("listener {i}: backlog {}", listen_backlog(ports.port(i))))
            .collect::<Vec<_>>()
            .join("\n")
    });
    assert_same("listen backlog", &theirs, &ours);
}

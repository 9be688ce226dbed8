//! The proxy's own answers compared with HAProxy: the connection layer's raw 400/408/422 (never
//! replaced by `errorfile`, always closing) against the stream layer's 502/503/504 and
//! monitor-uri replies (re-serialised, `errorfile` parsed and rebuilt, the client connection kept
//! unless the message has no length or the client asked to close).

use super::http_kit::{check, send, tx, Case, C, GET, OK, S};
use crate::harness::tempdir::TempDir;

const LOG: &str = "  option httplog\n";

fn files() -> TempDir {
    let d = TempDir::new("errorfiles");
    d.write("400.http", "HTTP/1.1 400 Custom Bad\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbad!");
    d.write("408.http", "HTTP/1.1 408 Custom Slow\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nslow!");
    d.write(
        "503.http",
        "HTTP/1.1 503 Custom Down\r\nX-Custom: Yes\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\ndown!",
    );
    d.write("503nolen.http", "HTTP/1.1 503 Custom Down\r\nX-Custom: Yes\r\nContent-Type: text/plain\r\n\r\ndown!");
    d.write("502lf.http", "HTTP/1.1 502 LF Only\nX-Lf: yes\nContent-Length: 3\n\nlf!");
    d.write("504.http", "HTTP/1.0 504 Old\r\nConnection: close\r\nContent-Length: 4\r\n\r\nold!");
    d
}

#[test]
fn connection_layer_errors_ignore_errorfiles() {
    crate::require_haproxy!();
    let d = files();
    let ef = |code: u16, f: &str| format!("errorfile {code} {}", d.join(f).display());
    let cases = vec![
        Case::new("400 with errorfile").fe(&ef(400, "400.http")).request(b"BAD\r\n\r\n"),
        Case::new("400 errorfile in backend").be(&ef(400, "400.http")).request(b"BAD\r\n\r\n"),
        Case::new("408 with errorfile")
            .fe(&ef(408, "408.http"))
            .fe("timeout http-request 200ms")
            .client(vec![tx(b"GET / HT"), C::UntilClose(2000)]),
        Case::new("422")
            .fe(&ef(400, "400.http"))
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        Case::new("bad chunk later uses errorfile 400").fe(&ef(400, "400.http")).server(vec![S::Head, S::Req]).client(
            vec![
                tx(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
                C::Sleep(150),
                tx(b"zz\r\n"),
                C::Resp(1),
                C::Idle(150),
            ],
        ),
    ];
    check(LOG, &cases);
}

#[test]
fn stream_layer_replies_and_errorfiles() {
    crate::require_haproxy!();
    let d = files();
    let ef = |code: u16, f: &str| format!("errorfile {code} {}", d.join(f).display());
    let again = || vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)];
    let cases = vec![
        Case::new("503 no server").no_server().client(again()),
        Case::new("503 no server, http/1.0").no_server().request(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        Case::new("503 no server, head").no_server().request(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case::new("503 server disabled").srv("disabled").client(again()),
        Case::new("503 with a body to skip").no_server().client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        Case::new("503 stock errorfile").no_server().fe("errorfile 503 /etc/haproxy/errors/503.http").client(again()),
        Case::new("503 stock errorfile in backend").no_server().be("errorfile 503 /etc/haproxy/errors/503.http"),
        Case::new("503 custom with length").no_server().be(&ef(503, "503.http")).client(again()),
        Case::new("503 custom without length").no_server().be(&ef(503, "503nolen.http")).client(again()),
        Case::new("502 lf-only errorfile").be(&ef(502, "502lf.http")).server(vec![S::Req, S::Close]).client(again()),
        Case::new("504 http/1.0 errorfile")
            .be(&ef(504, "504.http"))
            .be("timeout server 200ms")
            .server(vec![S::Req])
            .client(again()),
        Case::new("502 after server close, then served")
            .servers(vec![vec![S::Req, S::Close], vec![S::Req, send(OK), S::Req]])
            .client(again()),
        Case::new("502 to http/1.0").server(vec![S::Req, S::Close]).request(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        Case::new("502 to close")
            .server(vec![S::Req, S::Close])
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    ];
    check(LOG, &cases);
}

#[test]
fn monitor_uri() {
    crate::require_haproxy!();
    let m = |name: &str| Case::new(name).fe("monitor-uri /health");
    let cases = vec![
        m("hit").client(vec![
            tx(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n"),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        m("hit, http/1.0").request(b"GET /health HTTP/1.0\r\n\r\n"),
        m("hit, head").client(vec![tx(b"HEAD /health HTTP/1.1\r\nHost: h\r\n\r\n"), C::Idle(200)]),
        m("query is not a hit").request(b"GET /health?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        m("other path").request(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"),
        m("hit, close").request(b"GET /health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        m("hit, httpclose").fe("option httpclose").request(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n"),
        m("hit with a body").client(vec![
            tx(b"POST /health HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        m("hit, no backend server").no_server().request(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n"),
    ];
    check(LOG, &cases);
}

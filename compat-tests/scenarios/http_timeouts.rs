//! Timeouts on the HTTP path compared with HAProxy: the idle client connection between requests
//! (`http-keep-alive`, then `http-request`, then `client`), heads that do not arrive in time
//! (408), servers that do not answer (504, also while the request body is still incomplete),
//! servers that stall after the head, and the connection state after each.

use super::http_kit::{check, send, tx, Case, C, GET, OK, S};

const LOG: &str = "  option httplog\n";

#[test]
fn idle_client_connections() {
    crate::require_haproxy!();
    let after_one = || vec![tx(GET), C::Resp(1), C::UntilClose(2500)];
    let cases = vec![
        Case::new("http-keep-alive")
            .fe("timeout http-keep-alive 300ms")
            .fe("timeout http-request 900ms")
            .client(after_one()),
        Case::new("http-request").fe("timeout http-request 600ms").client(after_one()),
        Case::new("client").fe("timeout client 900ms").client(after_one()),
        Case::new("nothing sent, http-request").fe("timeout http-request 300ms").client(vec![C::UntilClose(2500)]),
        Case::new("nothing sent, client").fe("timeout client 600ms").client(vec![C::UntilClose(2500)]),
        Case::new("partial line").fe("timeout http-request 300ms").client(vec![tx(b"GET / HT"), C::UntilClose(2500)]),
        Case::new("partial head")
            .fe("timeout http-request 300ms")
            .client(vec![tx(b"GET / HTTP/1.1\r\nHost: h\r\n"), C::UntilClose(2500)]),
        Case::new("second request partial").fe("timeout http-request 300ms").client(vec![
            tx(GET),
            C::Resp(1),
            tx(b"GET / HTTP/1.1\r\n"),
            C::UntilClose(2500),
        ]),
        // The head timer starts with the first byte: 900 ms after it, not 600 after the response.
        Case::new("second request partial, keep-alive timeout")
            .fe("timeout http-keep-alive 600ms")
            .fe("timeout http-request 900ms")
            .client(vec![tx(GET), C::Resp(1), C::Sleep(300), tx(b"GET / HTTP/1.1\r\n"), C::UntilClose(2500)]),
        Case::new("slow head is fine").fe("timeout http-request 600ms").client(vec![
            tx(b"GET / HTTP/1.1\r\n"),
            C::Sleep(200),
            tx(b"Host: h\r\n\r\n"),
            C::Resp(1),
            C::Idle(100),
        ]),
    ];
    check(LOG, &cases);
}

#[test]
fn server_timeouts() {
    crate::require_haproxy!();
    let post_partial = || vec![tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"), C::UntilClose(2500)];
    let cases = vec![
        Case::new("silent server").be("timeout server 300ms").server(vec![S::Req]).client(vec![
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("silent server, then another request")
            .be("timeout server 300ms")
            .servers(vec![vec![S::Req], vec![S::Req, send(OK), S::Req]])
            .client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(100)]),
        Case::new("silent server, httpclose").fe("option httpclose").be("timeout server 300ms").server(vec![S::Req]),
        Case::new("silent server, http/1.0")
            .be("timeout server 300ms")
            .server(vec![S::Req])
            .request(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        Case::new("answer after the timeout")
            .be("timeout server 300ms")
            .server(vec![S::Req, S::Sleep(500), send(OK), S::Req])
            .client(vec![tx(GET), C::Resp(1), C::Idle(400)]),
        Case::new("stall after the head")
            .be("timeout server 300ms")
            .server(vec![S::Req, send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), S::Req])
            .client(vec![C::Send(GET.to_vec()), C::UntilClose(2500)]),
        Case::new("incomplete body, client 300ms server 600ms")
            .fe("timeout client 300ms")
            .be("timeout server 600ms")
            .server(vec![S::Head, S::Req])
            .client(post_partial()),
        Case::new("incomplete body, client 600ms server 300ms")
            .fe("timeout client 600ms")
            .be("timeout server 300ms")
            .server(vec![S::Head, S::Req])
            .client(post_partial()),
        Case::new("incomplete body, http-request 200ms")
            .fe("timeout http-request 200ms")
            .be("timeout server 500ms")
            .server(vec![S::Head, S::Req])
            .client(post_partial()),
        Case::new("incomplete chunked body").be("timeout server 300ms").server(vec![S::Head, S::Req]).client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
            C::UntilClose(2500),
        ]),
    ];
    check(LOG, &cases);
}

#[test]
fn client_aborts() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("client closes mid-head").client(vec![
            tx(b"GET / HTTP/1.1\r\nHost"),
            C::Sleep(100),
            C::ShutWr,
            C::Idle(200),
        ]),
        Case::new("null connection").client(vec![C::ShutWr, C::Idle(200)]),
        Case::new("client closes mid-body").server(vec![S::Head, S::Req]).client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"),
            C::Sleep(100),
            C::ShutWr,
            C::Idle(300),
        ]),
        Case::new("client resets mid-body").server(vec![S::Head, S::Req]).client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"),
            C::Sleep(100),
            C::Reset,
        ]),
        Case::new("client half-closes after the request")
            .server(vec![S::Req, S::Sleep(200), send(OK), S::Req])
            .client(vec![tx(GET), C::ShutWr, C::Resp(1), C::Idle(200)]),
        Case::new("client leaves before the response")
            .server(vec![S::Req, S::Sleep(300), send(OK), S::Req])
            .client(vec![tx(GET), C::Sleep(100), C::Reset]),
    ];
    check(LOG, &cases);
}

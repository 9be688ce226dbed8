//! Responses as HAProxy relays them, compared byte for byte and with the httplog line (status,
//! HTX-sized byte count, termination flags): header rebuilding, framing (lengths, chunked,
//! close-delimited), what the client's version changes, bodiless responses, interim 1xx,
//! invalid responses, truncated ones, and tunnels after 101 and CONNECT.

use super::http_kit::{check, send, tx, Case, C, GET, S};

const LOG: &str = "  option httplog\n";

fn answer(name: &str, resp: &[u8]) -> Case {
    Case::new(name).answer(resp)
}

/// The server answers once, then closes.
fn answer_close(name: &str, resp: &[u8]) -> Case {
    Case::new(name).server(vec![S::Req, send(resp), S::Close])
}

const HTTP10: &[u8] = b"GET / HTTP/1.0\r\nHost: h\r\n\r\n";
const HTTP10_KA: &[u8] = b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n";
const CHUNKED: &[u8] =
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n005\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n";

#[test]
fn header_rebuilding_and_framing() {
    crate::require_haproxy!();
    let mixed: &[u8] = b"HTTP/1.1 200 Everything Fine\r\nContent-Type: text/plain\r\nX-Custom-HEADER:  v  \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello";
    let cases = vec![
        answer("mixed", mixed),
        answer("mixed to http/1.0", mixed).request(HTTP10),
        answer("chunked", CHUNKED),
        answer("chunked to http/1.0", CHUNKED).request(HTTP10),
        answer("500 one-byte chunks merge", &{
            let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for _ in 0..500 {
                r.extend_from_slice(b"1\r\nx\r\n");
            }
            r.extend_from_slice(b"0\r\n\r\n");
            r
        }),
        Case::new("3000-byte chunks apart").server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            send(&[b"BB8\r\n".as_slice(), &[b'a'; 3000], b"\r\n"].concat()),
            S::Sleep(50),
            send(&[b"bb8\r\n".as_slice(), &[b'b'; 3000], b"\r\n"].concat()),
            S::Sleep(50),
            send(b"0\r\n\r\n"),
            S::Req,
        ]),
        answer("chunked to http/1.0 keep-alive", CHUNKED).request(HTTP10_KA),
        answer_close("no length 1.1", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited body"),
        answer_close("no length 1.0", b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited body"),
        answer_close("no length to 1.0", b"HTTP/1.1 200 OK\r\n\r\nbody").request(HTTP10),
        answer_close("no length to 1.0 ka", b"HTTP/1.1 200 OK\r\n\r\nbody").request(HTTP10_KA),
        answer(
            "cl and te",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        ),
        answer("cl twice", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
        answer("cl list", b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"),
        answer("cl differ", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
        answer("cl negative", b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok"),
        answer("cl alpha", b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok"),
        answer("te gzip", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok"),
        answer("te gzip chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
        answer("te chunked gzip", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
        Case::new("http/1.0 te").server(vec![
            S::Req,
            send(b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
            S::Sleep(300),
            S::Close,
        ]),
        answer("extra after body", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").client(vec![
            tx(GET),
            C::Resp(1),
            C::Sleep(50),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        answer("empty values", b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Sp:   \r\nContent-Length: 2\r\n\r\nok"),
        answer("obs-fold", b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok"),
        answer("nul and 8bit", b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nY: a\xe9b\r\nContent-Length: 2\r\n\r\nok"),
        answer("lf only", b"HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nok"),
        answer("bad name", b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok"),
        answer("space before colon", b"HTTP/1.1 200 OK\r\nX : x\r\nContent-Length: 2\r\n\r\nok"),
        answer("no colon", b"HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 2\r\n\r\nok"),
        answer("lower version", b"http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        answer("http/2.0", b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        answer("status 600", b"HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok"),
        answer("no reason", b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"),
        answer("no reason sp", b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"),
        answer("reason spaces", b"HTTP/1.1 200  Very  Fine \r\nContent-Length: 2\r\n\r\nok"),
        answer(
            "date server",
            b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: x\r\nContent-Length: 2\r\n\r\nok",
        ),
        Case::new("garbage").server(vec![S::Req, send(b"just some bytes\r\n")]),
        Case::new("garbage, partial line").server(vec![S::Req, send(b"just some")]),
        answer(
            "101 without upgrade",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
    ];
    check(LOG, &cases);
}

/// The server answers a HEAD with `resp`, then a GET with a normal response.
fn head_then_get(name: &str, resp: &[u8]) -> Case {
    Case::new(name).server(vec![S::Req, send(resp), S::Req, send(super::http_kit::OK), S::Req])
}

#[test]
fn bodiless_and_interim_responses() {
    crate::require_haproxy!();
    let head = b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n";
    let twice = |r: &[u8]| vec![tx(r), C::Idle(200), tx(GET), C::Idle(200)];
    let cases = vec![
        answer("204 with cl", b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: b\r\n\r\n"),
        answer("204 with te", b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"),
        answer("304 with cl", b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 100\r\n\r\n"),
        head_then_get("head cl", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").client(twice(head)),
        head_then_get("head chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").client(twice(head)),
        head_then_get("head no length", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n").client(twice(head)),
        answer("100 continue", b"HTTP/1.1 100 Continue\r\nX-Info: a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        answer("103 early hints", b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        answer("100 to http/1.0", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").request(HTTP10),
        Case::new("100 then slow final")
            .server(vec![S::Req, send(b"HTTP/1.1 100 Continue\r\n\r\n"), S::Sleep(150), send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), S::Req]),
        Case::new("expect 100 from server").server(vec![S::Head, send(b"HTTP/1.1 100 Continue\r\n\r\n"), S::Req, send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]).client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
            C::Idle(150),
            tx(b"abc"),
            C::Resp(1),
            C::Idle(150),
        ]),
    ];
    check(LOG, &cases);
}

#[test]
fn failing_and_truncated_responses() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("close without answer").server(vec![S::Req, S::Close]),
        Case::new("reset without answer").server(vec![S::Req, S::Reset]),
        Case::new("partial head").server(vec![S::Req, send(b"HTTP/1.1 200 OK\r\nContent-"), S::Close]),
        Case::new("partial body close").server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
            S::Sleep(50),
            S::Close,
        ]),
        Case::new("partial body reset").server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
            S::Sleep(50),
            S::Reset,
        ]),
        Case::new("partial chunked close").server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
            S::Sleep(50),
            S::Close,
        ]),
        Case::new("bad chunk from server").server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"),
            S::Sleep(50),
            S::Close,
        ]),
        Case::new("response too big").server(vec![
            S::Req,
            send(&[b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; 17000], b"\r\nContent-Length: 2\r\n\r\nok"].concat()),
        ]),
        Case::new("second request dropped")
            .servers(vec![
                vec![S::Req, send(super::http_kit::OK), S::Req, S::Close],
                vec![S::Req, send(super::http_kit::OK), S::Sleep(500)],
            ])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(50), tx(GET), C::Idle(300)]),
        Case::new("server closed idle")
            .servers(vec![
                vec![S::Req, send(super::http_kit::OK), S::Sleep(50), S::Close],
                vec![S::Req, send(super::http_kit::OK), S::Sleep(500)],
            ])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(200), tx(GET), C::Resp(1), C::Idle(150)]),
    ];
    check(LOG, &cases);
}

#[test]
fn tunnels_after_upgrade_and_connect() {
    crate::require_haproxy!();
    let ws = b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let cases = vec![
        Case::new("websocket 101")
            .server(vec![S::Head, send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"), S::Echo])
            .client(vec![tx(ws), C::Idle(150), tx(b"hello tunnel"), C::Idle(150), C::ShutWr, C::Idle(300)]),
        Case::new("websocket refused")
            .answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
            .client(vec![tx(ws), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)]),
        Case::new("connect 200")
            .server(vec![S::Head, send(b"HTTP/1.1 200 Connection established\r\n\r\n"), S::Echo])
            .client(vec![tx(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), C::Idle(150), tx(b"\x16\x03\x01data"), C::Idle(150), C::ShutWr, C::Idle(300)]),
        Case::new("connect refused")
            .answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
            .client(vec![tx(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), C::Resp(1), C::Idle(150)]),
        Case::new("websocket 101 without accept")
            .server(vec![S::Head, send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), S::Echo])
            .client(vec![tx(ws), C::Resp(1), C::Idle(150)]),
        Case::new("tunnel timeout")
            .be("timeout tunnel 300ms")
            .server(vec![S::Head, send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"), S::Echo])
            .client(vec![tx(ws), C::Idle(100), tx(b"x"), C::UntilClose(2000)]),
        Case::new("tunnel server closes")
            .server(vec![S::Head, send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\nearly"), S::Sleep(100), S::Close])
            .client(vec![tx(ws), C::UntilClose(1000)]),
    ];
    check(LOG, &cases);
}

//! Requests as HAProxy parses, refuses and re-serialises them, compared byte for byte with
//! HAProxy: request line and header rules, Host and absolute URIs, Content-Length and
//! Transfer-Encoding rules, re-chunking, the head size limit, and Connection handling in every
//! mode and for HTTP/1.0 clients.

use super::http_kit::{check, send, serve, tx, Case, C, GET, OK, S};

fn req(name: &str, bytes: &[u8]) -> Case {
    Case::new(name).request(bytes)
}

#[test]
fn request_line_and_header_rules() {
    crate::require_haproxy!();
    let cases = vec![
        req("mixed case, trimmed values, duplicate cookies", b"GET /a?b=c HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: Probe/1.0\r\nX-Mixed-CASE: Value With  Spaces \r\naccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n"),
        req("empty values", b"GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Sp:   \r\n\r\n"),
        req("lf only", b"GET / HTTP/1.1\nHost: h\nX: y\n\n"),
        req("obs-fold 2 spaces", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n"),
        req("obs-fold 1 space", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\nY: c\r\n\r\n"),
        req("obs-fold tab lf", b"GET / HTTP/1.1\nHost: h\nX: a\n\tb\n\n"),
        req("first header folded", b"GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
        req("leading empty lines", b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("double space", b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("tabs", b"GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n"),
        req("http/1.2", b"GET / HTTP/1.2\r\nHost: h\r\n\r\n"),
        req("http/2.0 text", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n"),
        req("lower http", b"GET / http/1.1\r\nHost: h\r\n\r\n"),
        req("http/1.x", b"GET / HTTP/1.x\r\nHost: h\r\n\r\n"),
        req("http/0.9", b"GET /\r\n\r\n"),
        req("no slash", b"GET foo HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("weird method", b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("lower method", b"get / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("options star", b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("extra token", b"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"),
        req("ctl in uri", b"GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("space in uri", b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("hash in uri", b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("8bit in uri", b"GET /\xe9 HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("quote backslash braces in uri", b"GET /a\"b\\c{d} HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("cr only", b"GET / HTTP/1.1\rHost: h\r\r"),
        req("bare cr in value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"),
        req("ctl in name", b"GET / HTTP/1.1\r\nHost: h\r\nX\x01Y: v\r\n\r\n"),
        req("space in name", b"GET / HTTP/1.1\r\nHost: h\r\nX Y: v\r\n\r\n"),
        req("space before colon", b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        req("empty name", b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"),
        req("no colon", b"GET / HTTP/1.1\r\nHost: h\r\nNoColonHere\r\n\r\n"),
        req("nul del 8bit values", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\nY: a\x7fb\r\nZ: a\xe9b\r\n\r\n"),
        req("no space, tabs", b"GET / HTTP/1.1\r\nHost:h\r\nA:\t tabbed\t \r\n\r\n"),
        req("host twice same", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
        req("host twice case", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: A\r\n\r\n"),
        req("host twice different", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        req("empty host", b"GET / HTTP/1.1\r\nHost:\r\n\r\n"),
        req("http/1.0 no host", b"GET / HTTP/1.0\r\n\r\n"),
        req("http/1.1 no host", b"GET / HTTP/1.1\r\n\r\n"),
        req("pipelined", b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n").client(vec![
            tx(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
            C::Resp(2),
            C::Idle(150),
        ]),
    ];
    check("", &cases);
}

#[test]
fn host_and_absolute_uri() {
    crate::require_haproxy!();
    let cases = vec![
        req("absolute with port", b"GET http://Example.com:8080/p?q=1 HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n"),
        req("absolute no host", b"GET http://example.com/x HTTP/1.1\r\n\r\n"),
        req("absolute :80 no host", b"GET http://example.com:80/x HTTP/1.1\r\n\r\n"),
        req("absolute mismatch", b"GET http://example.com/x HTTP/1.1\r\nHost: other.com\r\n\r\n"),
        req("absolute case", b"GET http://EXAMPLE.com/x HTTP/1.1\r\nHost: example.COM\r\n\r\n"),
        req("absolute :80 both", b"GET http://example.com:80/x HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("absolute :80 host bare", b"GET http://example.com:80/x HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        req("absolute bare host :80", b"GET http://example.com/x HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("absolute :443 https", b"GET https://example.com:443/x HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        req("absolute :443 http", b"GET http://example.com:443/x HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        req("absolute :80 https", b"GET https://example.com:80/x HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("absolute no path", b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        req("absolute :80 no path", b"GET http://example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("absolute http/1.0", b"GET http://example.com/x HTTP/1.0\r\nHost: example.com\r\n\r\n"),
        req("origin host :80", b"GET / HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("connect 443", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        req("connect 80", b"CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
        req("connect 8443", b"CONNECT example.com:8443 HTTP/1.1\r\nHost: example.com:8443\r\n\r\n"),
        req("connect host bare", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        req("connect no host", b"CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
        req("connect mismatch", b"CONNECT example.com:443 HTTP/1.1\r\nHost: other.com:443\r\n\r\n"),
    ];
    check("", &cases);
}

#[test]
fn lengths_and_transfer_encodings() {
    crate::require_haproxy!();
    let post = |name: &str, hdrs: &str, body: &[u8]| {
        let mut b = format!("POST / HTTP/1.1\r\nHost: h\r\n{hdrs}\r\n").into_bytes();
        b.extend_from_slice(body);
        req(name, &b)
    };
    let cases = vec![
        post("cl leading zeros", "Content-Length: 005\r\n", b"hello"),
        post("cl zero", "Content-Length: 0\r\n", b""),
        post("cl same twice", "Content-Length: 3\r\nContent-Length: 3\r\n", b"abc"),
        post("cl list same", "Content-Length: 3, 3\r\n", b"abc"),
        post("cl list different", "Content-Length: 3, 4\r\n", b"abcd"),
        post("cl different", "Content-Length: 3\r\nContent-Length: 4\r\n", b"abcd"),
        post("cl negative", "Content-Length: -1\r\n", b""),
        post("cl plus", "Content-Length: +3\r\n", b"abc"),
        post("cl empty", "Content-Length:\r\n", b""),
        post("cl huge", "Content-Length: 99999999999999999999999\r\n", b""),
        post("cl alpha", "Content-Length: abc\r\n", b""),
        post("post no length", "", b""),
        req("get with body", b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
        post("te gzip", "Transfer-Encoding: gzip\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te chunked gzip", "Transfer-Encoding: chunked, gzip\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te chunked chunked", "Transfer-Encoding: chunked, chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te identity", "Transfer-Encoding: identity\r\n", b""),
        post("te gzip chunked 422", "Transfer-Encoding: gzip, chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te two headers 422", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te Chunked", "Transfer-Encoding: Chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("cl and te", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        post("te and cl", "Transfer-Encoding: chunked\r\nContent-Length: 30\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        req("http/1.0 te", b"POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        req("http/1.0 cl te", b"POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        post("chunks merged", "Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n5\r\nhello\r\n1\r\nX\r\n0\r\n\r\n"),
        post("chunk ext and zeros", "Transfer-Encoding: chunked\r\n", b"A;name=val\r\n0123456789\r\n00000003 \r\nabc\r\n0\r\n\r\n"),
        post("chunk big hex", "Transfer-Encoding: chunked\r\n", &[b"1a\r\n".as_slice(), &[b'x'; 26], b"\r\n0\r\n\r\n"].concat()),
        post("trailers", "Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\nX-Trailer: Foo\r\nOther-T:  bar \r\n\r\n"),
        post("bad chunk size", "Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
        post("bad chunk crlf", "Transfer-Encoding: chunked\r\n", b"3\r\nabcX\r\n0\r\n\r\n"),
        post("chunk lf only", "Transfer-Encoding: chunked\r\n", b"3\nabc\n0\n\n"),
        req("excess after body", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGARBAGE\r\n\r\n"),
        post("expect 100", "Expect: 100-continue\r\nContent-Length: 3\r\n", b"abc"),
        Case::new("chunks sent apart")
            .client(vec![
                tx(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
                C::Sleep(100),
                tx(b"5\r\nhel"),
                C::Sleep(100),
                tx(b"lo\r\n0\r\n\r\n"),
                C::Resp(1),
                C::Idle(150),
            ]),
        Case::new("bad chunk later").client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
            C::Sleep(150),
            tx(b"zz\r\n"),
            C::Resp(1),
            C::Idle(150),
        ]),
    ];
    check("", &cases);
}

#[test]
fn upgrades_and_websocket() {
    crate::require_haproxy!();
    let cases = vec![
        req("websocket without key", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
        req("websocket with key", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        req("h2c upgrade", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
        req("hop headers kept", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo, Keep-Alive\r\nX-Foo: bar\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: websocket\r\n\r\n"),
        req("keep-alive header", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n"),
    ];
    check("", &cases);
}

/// The request-head size limit: len(method) + len(uri) + len(version) + the sum over headers of
/// (len(name) + len(value) + 8) may not exceed 15275.
#[test]
fn request_head_size_limit() {
    crate::require_haproxy!();
    let build = |extra: usize, nhdr: usize| {
        // "GET" + "/" + "HTTP/1.1" = 12; Host: h = 4 + 1 + 8 = 13.
        let mut fixed = 12 + 13;
        let mut hdrs = String::from("Host: h\r\n");
        for i in 0..nhdr {
            hdrs.push_str(&format!("X-P{i:04}: v\r\n"));
            fixed += 7 + 1 + 8;
        }
        let pad = 15275 + extra - fixed - (6 + 8);
        hdrs.push_str(&format!("X-Pad: {}\r\n", "a".repeat(pad)));
        format!("GET / HTTP/1.1\r\n{hdrs}\r\n").into_bytes()
    };
    let uri_only = |extra: usize| {
        let path = "a".repeat(15275 + extra - 3 - 8 - 1);
        format!("GET /{path} HTTP/1.1\r\n\r\n").into_bytes()
    };
    let cases = vec![
        req("at the limit, 2 headers", &build(0, 0)),
        req("over the limit, 2 headers", &build(1, 0)),
        req("at the limit, 40 headers", &build(0, 38)),
        req("over the limit, 40 headers", &build(1, 38)),
        req("uri at the limit", &uri_only(0)),
        req("uri over the limit", &uri_only(1)),
        req("20k headers", &[b"GET / HTTP/1.1\r\nHost: h\r\nX: ".as_slice(), &[b'a'; 20000], b"\r\n\r\n"].concat()),
    ];
    check("", &cases);
}

#[test]
fn connection_modes_and_http10_clients() {
    crate::require_haproxy!();
    let reqs: &[(&str, &[u8])] = &[
        ("1.1", GET),
        ("1.1 close", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        ("1.1 tokens", b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo, Keep-Alive\r\nX-Foo: bar\r\n\r\n"),
        ("1.0", b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        ("1.0 keep-alive", b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"),
    ];
    let mut cases = Vec::new();
    for (mode, fe) in [
        ("default", ""),
        ("server-close", "option http-server-close"),
        ("httpclose", "option httpclose"),
        ("keep-alive", "option http-keep-alive"),
    ] {
        for (name, r) in reqs {
            let twice = [*r, *r].concat();
            let mut c = Case::new(&format!("{mode} {name}")).client(vec![tx(&twice), C::Resp(2), C::Idle(150)]);
            if !fe.is_empty() {
                c = c.fe(fe);
            }
            cases.push(c);
        }
    }
    // Backend-side modes and the server's own Connection header.
    cases.push(Case::new("be server-close").be("option http-server-close").client(vec![
        tx(&[GET, GET].concat()),
        C::Resp(2),
        C::Idle(150),
    ]));
    cases.push(Case::new("be httpclose").be("option httpclose").client(vec![
        tx(&[GET, GET].concat()),
        C::Resp(2),
        C::Idle(150),
    ]));
    cases.push(
        Case::new("fe ka be server-close").fe("option http-keep-alive").be("option http-server-close").client(vec![
            tx(&[GET, GET].concat()),
            C::Resp(2),
            C::Idle(150),
        ]),
    );
    cases.push(
        Case::new("server close")
            .server(vec![
                S::Req,
                send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
                S::Sleep(300),
                S::Close,
            ])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(100), tx(GET), C::Resp(1), C::Idle(150)]),
    );
    cases.push(
        Case::new("server close, 1.0 ka client")
            .server(vec![
                S::Req,
                send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
                S::Sleep(300),
                S::Close,
            ])
            .request(b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"),
    );
    cases.push(
        Case::new("server 1.0 with length").answer(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
    );
    cases.push(
        Case::new("server 1.0 keep-alive")
            .answer(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")
            .client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)]),
    );
    cases.push(Case::new("server keep-alive header").answer(
        b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 2\r\n\r\nok",
    ));
    cases.push(
        Case::new("server conn tokens")
            .answer(b"HTTP/1.1 200 OK\r\nConnection: X-Foo, close\r\nX-Foo: 1\r\nContent-Length: 2\r\n\r\nok")
            .client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)]),
    );
    cases.push(
        Case::new("proxy-connection close")
            .answer(b"HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok"),
    );
    let _ = serve;
    check("", &cases);
}

#[test]
fn forwardfor_placement_and_names() {
    crate::require_haproxy!();
    let with_xff = b"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nAccept: x\r\n\r\n";
    let cases = vec![
        Case::new("fe forwardfor").fe("option forwardfor"),
        Case::new("fe forwardfor existing").fe("option forwardfor").request(with_xff),
        Case::new("if-none existing").fe("option forwardfor if-none").request(with_xff),
        Case::new("if-none absent").fe("option forwardfor if-none"),
        Case::new("except").fe("option forwardfor except 127.0.0.0/8"),
        Case::new("except other").fe("option forwardfor except 10.0.0.0/8"),
        Case::new("header name").fe("option forwardfor header X-Real-IP"),
        Case::new("be forwardfor").be("option forwardfor"),
        Case::new("fe and be").fe("option forwardfor").be("option forwardfor header X-Client"),
        Case::new("fe and be same").fe("option forwardfor").be("option forwardfor"),
        Case::new("fe header be plain").fe("option forwardfor header X-A").be("option forwardfor"),
        Case::new("fe except be plain").fe("option forwardfor except 127.0.0.1").be("option forwardfor header X-B"),
        Case::new("with http/1.0").fe("option forwardfor").request(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        Case::new("with httpclose").fe("option forwardfor").fe("option httpclose"),
        Case::new("with server-close").fe("option forwardfor").fe("option http-server-close"),
        Case::new("send-name-header").be("http-send-name-header X-Server").be("option httplog"),
        Case::new("send-name-header replaces")
            .be("http-send-name-header X-Server")
            .fe("option httplog")
            .request(b"GET / HTTP/1.1\r\nX-Server: spoofed\r\nHost: h\r\nx-server: again\r\n\r\n"),
        Case::new("send-name-header after the others")
            .be("http-send-name-header X-Srv")
            .fe("option forwardfor")
            .fe("option originalto")
            .fe("unique-id-format %rt")
            .fe("unique-id-header X-ID"),
        Case::new("send-name-header keep-alive").be("http-send-name-header X-Server").client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("pretend-keepalive, server-close").be("option http-pretend-keepalive").fe("option http-server-close"),
        Case::new("pretend-keepalive, httpclose").be("option http-pretend-keepalive").be("option httpclose"),
        Case::new("pretend-keepalive, http/1.0")
            .be("option http-pretend-keepalive")
            .be("option http-server-close")
            .request(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"),
        Case::new("pretend-keepalive, server answers keep-alive")
            .be("option http-pretend-keepalive")
            .be("option http-server-close")
            .answer(b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")
            .client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(100)]),
        Case::new("pretend-keepalive alone").be("option http-pretend-keepalive"),
        Case::new("originalto").fe("option originalto"),
        Case::new("originalto and forwardfor").fe("option originalto").fe("option forwardfor"),
        Case::new("originalto existing")
            .fe("option originalto")
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nX-Original-To: 1.2.3.4\r\n\r\n"),
        Case::new("originalto except").fe("option originalto except 127.0.0.1"),
        Case::new("originalto be except").fe("option originalto").be("option originalto except 127.0.0.0/8"),
        Case::new("originalto names").fe("option originalto header X-Fe").be("option originalto header X-Be"),
        Case::new("originalto be only").be("option originalto header X-Dst").fe("option forwardfor"),
        Case::new("with body")
            .fe("option forwardfor")
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
    ];
    check("", &cases);
    let _ = OK;
}

/// The connection layer refuses a request as soon as one of its lines cannot be valid, without
/// waiting for the end of the head.
#[test]
fn refused_before_the_head_ends() {
    crate::require_haproxy!();
    let mut cases = Vec::new();
    for r in [
        &b"GARBAGE\r\n"[..],
        b"G@T / HTTP/1.1\r\n",
        b"GET / HTTP/1.1 extra\r\n",
        b"GET /\r\n",
        b"GET /a b HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n",
        b"GET / HTTP/1.1\rX",
        b"G@T",
        b"GET / HTTP/1.1\r\nBad Na",
        b"GET / HTTP/1.1\r\nHost: h\r\n",
    ] {
        cases.push(Case::new(&String::from_utf8_lossy(r)).client(vec![tx(r), C::UntilClose(600)]));
    }
    check("  option httplog\n", &cases);
}

/// At most 100 header lines; Connection tokens cut out in place; a response that comes before
/// the end of the request body, with the rest of the body still forwarded.
#[test]
fn header_count_connection_tokens_and_early_response() {
    crate::require_haproxy!();
    let hdrs = |n: usize| {
        let mut r = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for i in 1..n {
            r.push_str(&format!("X-H{i}: v\r\n"));
        }
        r.push_str("\r\n");
        r.into_bytes()
    };
    let cases = vec![
        req("101 headers", &hdrs(101)),
        req("102 headers", &hdrs(102)),
        req(
            "two connection headers",
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-A\r\nConnection: close, X-B\r\n\r\n",
        ),
        req("abs port mismatch", b"GET http://example.com:8080/x HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        req("conn spaces", b"GET / HTTP/1.1\r\nHost: h\r\nConnection:  X-A ,  keep-alive ,X-B \r\n\r\n"),
        Case::new("early response")
            .server(vec![S::Head, send(b"HTTP/1.1 413 Too Big\r\nContent-Length: 2\r\n\r\nno"), S::Req])
            .client(vec![
                tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc"),
                C::Idle(200),
                tx(b"def"),
                C::Idle(200),
                tx(GET),
                C::Idle(200),
            ]),
    ];
    check("  option httplog\n", &cases);
}

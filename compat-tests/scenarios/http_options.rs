//! HTTP proxy options compared with HAProxy: `option http-buffer-request` (the body awaited
//! before the server is connected: a client leaving or too slow never reaches the server, the
//! `100 Continue` HAProxy sends itself), `http-request silent-drop`, and the fetches
//! `srv_id`, `srv_name`, `env()` with the `be2dec` converter.

use super::http_kit::{check, send, tx, Case, C, OK, S};

const LOG: &str = "  option httplog\n  timeout http-request 400ms\n";

const POST_HEAD: &[u8] = b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";

/// Send `head` and `first`, wait (`pause`), send `rest`, read the response.
fn in_two(head: &[u8], first: &[u8], pause: C, rest: &[u8]) -> Vec<C> {
    vec![tx(head), tx(first), pause, tx(rest), C::Resp(1), C::Idle(100)]
}

fn post_in_two(pause: u64) -> Vec<C> {
    in_two(POST_HEAD, b"12345", C::Sleep(pause), b"67890")
}

#[test]
fn http_buffer_request() {
    crate::require_haproxy!();
    let buffered = |name: &str| Case::new(name).fe("option http-buffer-request");
    let chunked_head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    let big_head = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 30000\r\n\r\n";
    let cases = vec![
        buffered("slow body").answer(OK).client(post_in_two(150)),
        buffered("client leaves during the body").answer(OK).client(vec![
            tx(POST_HEAD),
            tx(b"12345"),
            C::Sleep(100),
            C::ShutWr,
            C::UntilClose(2500),
        ]),
        buffered("client resets during the body").answer(OK).client(vec![
            tx(POST_HEAD),
            tx(b"12345"),
            C::Sleep(100),
            C::Reset,
        ]),
        buffered("body too slow").answer(OK).client(vec![tx(POST_HEAD), tx(b"123"), C::UntilClose(2500)]),
        buffered("body too slow, errorfile")
            .fe("http-error status 408 content-type text/plain string late")
            .answer(OK)
            .client(vec![tx(POST_HEAD), C::UntilClose(2500)]),
        buffered("chunked body in two reads").answer(OK).client(in_two(
            chunked_head,
            b"5\r\nabcde\r\n",
            C::Sleep(150),
            b"3\r\nfgh\r\n0\r\n\r\n",
        )),
        // Past the buffer's room the server is connected and the rest streams through.
        buffered("body larger than the buffer").answer(OK).client(in_two(
            big_head,
            &[b'x'; 20000],
            C::Sleep(150),
            &[b'y'; 10000],
        )),
        buffered("expect 100-continue").answer(OK).client(in_two(
            b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
            b"",
            C::Idle(150),
            b"abcd",
        )),
        buffered("expect 100-continue with the body")
            .answer(OK)
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nexpect: 100-Continue\r\nContent-Length: 4\r\n\r\nabcd"),
        buffered("expect without a body")
            .answer(OK)
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"),
        buffered("expect over http/1.0").answer(OK).client(in_two(
            b"POST / HTTP/1.0\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
            b"",
            C::Idle(150),
            b"abcd",
        )),
        buffered("get").answer(OK),
        buffered("two requests").answer(OK).client(vec![
            tx(POST_HEAD),
            tx(b"12345"),
            C::Sleep(100),
            tx(b"67890"),
            C::Resp(1),
            tx(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            C::Resp(1),
            C::Idle(100),
        ]),
        // The backend's own option: the wait comes after the backend is chosen.
        Case::new("backend option, body too slow").be("option http-buffer-request").answer(OK).client(vec![
            tx(POST_HEAD),
            tx(b"123"),
            C::UntilClose(2500),
        ]),
        Case::new("backend option, client leaves").be("option http-buffer-request").answer(OK).client(vec![
            tx(POST_HEAD),
            C::Sleep(100),
            C::ShutWr,
            C::UntilClose(2500),
        ]),
        buffered("server answers early").server(vec![S::Head, send(OK), S::Req]).client(post_in_two(150)),
    ];
    check(LOG, &cases);
}

/// `srv_id`, `srv_name`, `env()` and `be2dec` where users put them: a header naming the server
/// that answered, a value from the environment, a binary value in decimal.
#[test]
fn server_and_environment_fetches() {
    crate::require_haproxy!();
    let lf = "a=%[str(ABCDEFGHIJ),be2dec(-,3)] b=%[str(ABCDEFGHIJ),be2dec(-,3,1)] c=%[str(ABC),be2dec(:,2)] \
              d=%[env(HOME)] e=%[env(HAPROXIDE_SURELY_UNSET)] f=%[req.hdr(x-b),be2dec(\\\",\\\",1)]";
    let cases = vec![
        Case::new("srv_id and srv_name")
            .be("http-response set-header X-Server %[srv_id]/%[srv_name]")
            .srv("id 7")
            .answer(OK),
        Case::new("srv_id in the log").fe("log-format \"%f %[srv_id] %[srv_name] %s\"").answer(OK),
        Case::new("env and be2dec")
            .fe(&format!("http-request return status 200 content-type text/plain lf-string \"{lf}\""))
            .no_server()
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nx-b: AZ\r\n\r\n"),
    ];
    check("  option httplog\n", &cases);
}

/// `http-request silent-drop`: nothing reaches the client (the socket vanishes), the request is
/// logged `PR--` without a status.
#[test]
fn silent_drop() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("silent-drop")
            .fe("http-request silent-drop if { path /drop }")
            .answer(OK)
            .client(vec![tx(b"GET /drop HTTP/1.1\r\nHost: h\r\n\r\n"), C::Idle(300)]),
        Case::new("silent-drop after a request").fe("http-request silent-drop if { path /drop }").answer(OK).client(
            vec![
                tx(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
                C::Resp(1),
                tx(b"GET /drop HTTP/1.1\r\nHost: h\r\n\r\n"),
                C::Idle(300),
            ],
        ),
    ];
    check("  option httplog\n", &cases);
}

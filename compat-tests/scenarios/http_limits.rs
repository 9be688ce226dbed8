//! HTTP message size limits under non-default `tune.bufsize`, `tune.maxrewrite` and
//! `tune.http.maxhdr`, compared with HAProxy: request and response heads just within and just
//! past the internal (HTX) size, the raw size the input buffer holds, and the header count. (The
//! defaults are covered in `http_requests` and `http_responses`.)

use super::http_kit::{check_in, send, Case, S};

const LOG: &str = "  option httplog\n";

/// A request whose X-Pad header value is `pad` bytes (`GET / HTTP/1.1` and `X-Pad` take 12 +
/// 13 bytes of the HTX size).
fn req_pad(pad: usize) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(pad)).into_bytes()
}

/// A request whose raw head is 28 bytes plus `blanks` trimmed blanks (a small HTX size).
fn req_blanks(blanks: usize) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nX-Pad: {}a\r\n\r\n", " ".repeat(blanks)).into_bytes()
}

fn req_headers(n: usize) -> Vec<u8> {
    let mut r = String::from("GET / HTTP/1.1\r\n");
    for i in 0..n {
        r.push_str(&format!("X-H{i}: v\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

fn resp_pad(pad: usize) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nX-Pad: {}\r\nContent-Length: 2\r\n\r\nok", "a".repeat(pad)).into_bytes()
}

fn resp_headers(n: usize) -> Vec<u8> {
    let mut r = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..n {
        r.push_str(&format!("X-H{i}: v\r\n"));
    }
    r.push_str("Content-Length: 2\r\n\r\nok");
    r.into_bytes()
}

fn req(name: &str, bytes: &[u8]) -> Case {
    Case::new(name).request(bytes)
}

fn answer(name: &str, bytes: &[u8]) -> Case {
    Case::new(name).server(vec![S::Req, send(bytes)])
}

/// `tune.bufsize 8192` (HTX room 8192 - 1024 - 85 = 7083, raw room 8192 - 64) and
/// `tune.http.maxhdr 20` (19 header lines).
#[test]
fn smaller_buffer_and_header_count() {
    crate::require_haproxy!();
    let cases = vec![
        req("request just within", &req_pad(7058)),
        req("request just past", &req_pad(7059)),
        req("raw request just within", &req_blanks(8100)),
        req("raw request just past", &req_blanks(8101)),
        req("19 headers", &req_headers(19)),
        req("20 headers", &req_headers(20)),
        answer("response just within", &resp_pad(7034)),
        answer("response just past", &resp_pad(7035)),
        answer("18 response headers and a length", &resp_headers(18)),
        answer("19 response headers and a length", &resp_headers(19)),
    ];
    check_in("  tune.bufsize 8192\n  tune.http.maxhdr 20\n", LOG, &cases);
}

/// A larger buffer with more room kept for rewrites (32768 - 4096 - 85 = 28587), and a
/// `tune.maxrewrite` above half the default buffer, which HAProxy caps at half (16384 - 8192 -
/// 85 = 8107).
#[test]
fn larger_buffer_and_capped_rewrite_room() {
    crate::require_haproxy!();
    let big = vec![
        req("request just within", &req_pad(28562)),
        req("request just past", &req_pad(28563)),
        req("raw request just past", &req_blanks(32677)),
        answer("response just within", &resp_pad(28538)),
        answer("response just past", &resp_pad(28539)),
    ];
    check_in("  tune.bufsize 32768\n  tune.maxrewrite 4096\n", LOG, &big);
    let capped = vec![
        req("request just within", &req_pad(8082)),
        req("request just past", &req_pad(8083)),
        answer("response just past", &resp_pad(8059)),
    ];
    check_in("  tune.maxrewrite 9000\n", LOG, &capped);
}

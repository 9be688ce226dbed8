//! HTTP checks, pure parts: the request bytes HAProxy's H1 layer sends for `option httpchk` /
//! `http-check send` (lower-case header names, `content-length` for a body, `connection:
//! close` for HTTP/1.1, last), the response parser, and the `http-check expect` matchers
//! (`status`, `rstatus`, `string`, `rstring`, `hdr`/`fhdr`, `!`) with HAProxy's results.

use std::collections::HashMap;

use super::expect::{bufsize, error_message, Cx, Eval};
use super::rules::{self, Expect, Matcher, Value};
use crate::engine::health::CheckStatus;
use crate::ir::checks::{HttpSend, MatchKind};

/// HAProxy marks the request HTTP/1.1 for these version strings, else HTTP/1.0.
fn is_11(ver: &str) -> bool {
    let v = ver.as_bytes();
    (v.len() == 6 && v[5] == b'2') || (v.len() == 8 && (v[5] > b'1' || (v[5] == b'1' && v[7] >= b'1')))
}

/// The request bytes of an HTTP check.
pub fn build_request(h: &HttpSend, state_header: Option<&str>, vars: &HashMap<String, Value>) -> Vec<u8> {
    let lf = |s: &str, is_lf: bool| -> String {
        if is_lf {
            crate::ir::checks::parse_fmt(s)
                .map(|p| String::from_utf8_lossy(&rules::eval_fmt(&p, vars)).into_owned())
                .unwrap_or_default()
        } else {
            s.to_string()
        }
    };
    let meth = h.meth.as_deref().unwrap_or("OPTIONS");
    let uri = h.uri.as_deref().map(|u| lf(u, h.uri_lf)).filter(|u| !u.is_empty()).unwrap_or_else(|| "/".into());
    let v11 = is_11(h.ver.as_deref().unwrap_or("HTTP/1.0"));
    let mut out = format!("{meth} {uri} {}\r\n", if v11 { "HTTP/1.1" } else { "HTTP/1.0" });
    let mut connection: Option<String> = None;
    for (n, v) in &h.hdrs {
        if n.eq_ignore_ascii_case("connection") {
            connection = Some(v.clone());
            continue;
        }
        out.push_str(&format!("{}: {}\r\n", n.to_ascii_lowercase(), v));
    }
    if let Some(s) = state_header {
        out.push_str(&format!("x-haproxy-server-state: {s}\r\n"));
    }
    let body = h.body.as_deref().map(|b| lf(b, h.body_lf)).unwrap_or_default();
    if !body.is_empty() {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    match connection {
        Some(c) => out.push_str(&format!("connection: {c}\r\n")),
        None if v11 => out.push_str("connection: close\r\n"),
        None => {}
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

/// A response as far as it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The whole message arrived.
    pub eom: bool,
}

/// The response is not valid HTTP (or the connection closed before a head).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Parse a response. `Ok(None)`: the head is not complete yet.
pub fn parse_response(buf: &[u8], last_read: bool) -> Result<Option<Response>, Invalid> {
    let Some((head_end, body_start)) = find_head_end(buf) else {
        return if last_read || buf.len() >= bufsize() { Err(Invalid) } else { Ok(None) };
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| Invalid)?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = lines.next().ok_or(Invalid)?;
    let mut parts = start.splitn(3, ' ');
    let ver = parts.next().ok_or(Invalid)?;
    let v = ver.as_bytes();
    if !(v.len() == 8 && v.starts_with(b"HTTP/") && v[5].is_ascii_digit() && v[6] == b'.' && v[7].is_ascii_digit()) {
        return Err(Invalid);
    }
    let code = parts.next().ok_or(Invalid)?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid);
    }
    let status: u16 = code.parse().map_err(|_| Invalid)?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for l in lines {
        if l.is_empty() {
            continue;
        }
        let (n, val) = l.split_once(':').ok_or(Invalid)?;
        if n.is_empty() || n.bytes().any(|b| b == b' ' || b == b'\t') {
            return Err(Invalid);
        }
        headers.push((n.to_string(), val.trim().to_string()));
    }
    let rest = &buf[body_start..];
    let hv = |name: &str| headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let bodyless = (100..200).contains(&status) || status == 204 || status == 304;
    let (body, eom) = if bodyless {
        (Vec::new(), true)
    } else if hv("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        dechunk(rest)
    } else if let Some(cl) = hv("content-length") {
        let n: usize = cl.trim().parse().map_err(|_| Invalid)?;
        let got = rest.len().min(n);
        (rest[..got].to_vec(), got == n)
    } else {
        (rest.to_vec(), last_read)
    };
    Ok(Some(Response { status, reason, headers, body, eom }))
}

fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        let next = &buf[nl + 1..];
        if next.starts_with(b"\r\n") {
            return Some((nl + 1, nl + 3));
        }
        if next.starts_with(b"\n") {
            return Some((nl + 1, nl + 2));
        }
        i = nl + 1;
    }
    None
}

/// Decode the chunks received so far; true when the last chunk arrived.
fn dechunk(mut b: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(p) = b.iter().position(|&c| c == b'\n') else { return (out, false) };
        let line = String::from_utf8_lossy(&b[..p]);
        let size = line.trim().split(';').next().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size else { return (out, false) };
        b = &b[p + 1..];
        if size == 0 {
            return (out, true);
        }
        if b.len() < size {
            out.extend_from_slice(b);
            return (out, false);
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size..];
        if b.starts_with(b"\r\n") {
            b = &b[2..];
        } else if b.starts_with(b"\n") {
            b = &b[1..];
        }
    }
}

/// What an HTTP expect rule needs from the check's context.
pub struct HttpCx {
    /// `http-check disable-on-404` and the server is not down: a 404 means "stopping".
    pub disable_404: bool,
}

/// Evaluate an HTTP expect rule (`tcpcheck_eval_expect_http`). Returns the evaluation and the
/// response status code (0 before a head arrived).
pub fn eval(e: &Expect, cx: &Cx, hcx: &HttpCx, buf: &[u8]) -> (Eval, i32) {
    let fail = |status: CheckStatus, code: i32, info: &str| {
        (Eval::Stop { status, code, desc: error_message(e, cx, false, info, buf) }, code)
    };
    let resp = match parse_response(buf, cx.last_read) {
        Err(Invalid) => return fail(CheckStatus::L7Rsp, 0, ""),
        Ok(None) => return (Eval::Wait, 0),
        Ok(Some(r)) => r,
    };
    let code = i32::from(resp.status);
    let last_read = cx.last_read || resp.eom || buf.len() >= bufsize();
    if hcx.disable_404 && resp.status == 404 {
        return (Eval::Continue, code);
    }
    let reason = if e.on_error.is_some() { String::new() } else { resp.reason.clone() };
    let (matched, status, desc) = match &e.matcher {
        Matcher::Status(ranges) => {
            let s = u32::from(resp.status);
            let m = ranges.iter().any(|(a, b)| s >= *a && s <= *b);
            (m, e.error_status.unwrap_or(CheckStatus::L7Sts), reason)
        }
        Matcher::StatusRegex(r) => {
            (r.is_match(format!("{:03}", resp.status).as_bytes()), e.error_status.unwrap_or(CheckStatus::L7Sts), reason)
        }
        Matcher::Header { name, name_match, name_re, value, full } => {
            let m = header_match(&resp.headers, name, *name_match, name_re.as_ref(), value.as_ref(), *full);
            (m, e.error_status.unwrap_or(CheckStatus::L7Sts), reason)
        }
        Matcher::Bytes { data: p, .. } => match body_eval(e, &resp.body, last_read, |b| find(b, p), p.len()) {
            Ok(m) => (m, e.error_status.unwrap_or(CheckStatus::L7Rsp), body_desc(e)),
            Err(ev) => return (ev_with(*ev, e, cx, buf, code), code),
        },
        Matcher::Fmt { parts, .. } => {
            let pat = rules::eval_fmt(parts, cx.vars);
            match body_eval(e, &resp.body, last_read, |b| find(b, &pat), pat.len()) {
                Ok(m) => (m, e.error_status.unwrap_or(CheckStatus::L7Rsp), body_desc(e)),
                Err(ev) => return (ev_with(*ev, e, cx, buf, code), code),
            }
        }
        Matcher::Regex(r) => match body_eval(e, &resp.body, last_read, |b| r.is_match(b), 0) {
            Ok(m) => (m, e.error_status.unwrap_or(CheckStatus::L7Rsp), body_desc(e)),
            Err(ev) => return (ev_with(*ev, e, cx, buf, code), code),
        },
        _ => (false, e.error_status.unwrap_or(CheckStatus::L7Rsp), String::new()),
    };
    if matched != e.inverse {
        (Eval::Continue, code)
    } else {
        fail(status, code, &desc)
    }
}

fn body_desc(e: &Expect) -> String {
    if e.on_error.is_some() {
        String::new()
    } else if e.inverse {
        "HTTP check matched unwanted content".into()
    } else {
        "HTTP content check did not match".into()
    }
}

/// Body matching: wait for enough body, or report a missing body.
fn body_eval(
    e: &Expect,
    body: &[u8],
    last_read: bool,
    m: impl Fn(&[u8]) -> bool,
    plen: usize,
) -> Result<bool, Box<Eval>> {
    if body.is_empty() {
        if !last_read {
            return Err(Box::new(Eval::Wait));
        }
        return Err(Box::new(Eval::Stop {
            status: e.error_status.unwrap_or(CheckStatus::L7Rsp),
            code: 0,
            desc: if e.on_error.is_some() {
                String::new()
            } else {
                "HTTP content check could not find a response body".into()
            },
        }));
    }
    if !last_read && (body.len() < plen || (e.min_recv > 0 && (body.len() as i64) < e.min_recv)) {
        return Err(Box::new(Eval::Wait));
    }
    let matched = m(body);
    if !matched && !last_read && e.min_recv == -1 {
        return Err(Box::new(Eval::Wait));
    }
    Ok(matched)
}

fn ev_with(ev: Eval, e: &Expect, cx: &Cx, buf: &[u8], code: i32) -> Eval {
    match ev {
        Eval::Stop { status, desc, .. } => Eval::Stop { status, code, desc: error_message(e, cx, false, &desc, buf) },
        other => other,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn str_match(hay: &str, pat: &str, m: MatchKind, re: Option<&crate::acl::regex::Regex>, nocase: bool) -> bool {
    let (h, p) =
        if nocase { (hay.to_ascii_lowercase(), pat.to_ascii_lowercase()) } else { (hay.to_string(), pat.to_string()) };
    match m {
        MatchKind::Str => h == p,
        MatchKind::Beg => h.starts_with(&p),
        MatchKind::End => h.ends_with(&p),
        MatchKind::Sub => h.contains(&p),
        MatchKind::Reg => re.is_some_and(|r| r.is_match(hay.as_bytes())),
    }
}

/// `hdr`/`fhdr`: a header whose name matches and, if asked, one of whose values (each
/// comma-separated value for `hdr`, the whole line for `fhdr`) matches.
fn header_match(
    headers: &[(String, String)],
    name: &str,
    nm: MatchKind,
    name_re: Option<&crate::acl::regex::Regex>,
    value: Option<&(String, MatchKind, Option<crate::acl::regex::Regex>)>,
    full: bool,
) -> bool {
    for (n, v) in headers {
        if !str_match(n, name, nm, name_re, true) {
            continue;
        }
        let Some((vp, vm, vre)) = value else { return true };
        let values: Vec<&str> = if full { vec![v.as_str()] } else { v.split(',').map(str::trim).collect() };
        if values.iter().any(|x| str_match(x, vp, *vm, vre.as_ref(), false)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rules::{compile_expect, Kind, Proto, Step};
    use crate::ir::checks::{parse_httpchk, parse_rule, RuleKind};

    fn req(h: &HttpSend, st: Option<&str>) -> String {
        String::from_utf8(build_request(h, st, &HashMap::new())).unwrap()
    }

    #[test]
    fn requests_measured_on_haproxy() {
        assert_eq!(req(&parse_httpchk(&[]).0, None), "OPTIONS / HTTP/1.0\r\n\r\n");
        assert_eq!(req(&parse_httpchk(&["/ping"]).0, None), "OPTIONS /ping HTTP/1.0\r\n\r\n");
        assert_eq!(
            req(&parse_httpchk(&["HEAD", "/ping", "HTTP/1.1"]).0, None),
            "HEAD /ping HTTP/1.1\r\nconnection: close\r\n\r\n"
        );
        assert_eq!(
            req(&parse_httpchk(&["GET", "/ping", "HTTP/1.1\r\nHost: www.example.com\r\nX-Foo: bar"]).0, None),
            "GET /ping HTTP/1.1\r\nhost: www.example.com\r\nx-foo: bar\r\nconnection: close\r\n\r\n"
        );
        let RuleKind::Send(crate::ir::checks::SendRule::Http(h)) = parse_rule(
            "http-check",
            &[
                "send",
                "meth",
                "POST",
                "uri",
                "/x",
                "ver",
                "HTTP/1.1",
                "hdr",
                "Host",
                "example.org",
                "hdr",
                "X-A",
                "b",
                "body",
                "hello",
            ],
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            req(&h, None),
            "POST /x HTTP/1.1\r\nhost: example.org\r\nx-a: b\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"
        );
        let h = HttpSend { ver: Some("HTTP/2.0".into()), ..Default::default() };
        assert_eq!(req(&h, None), "OPTIONS / HTTP/1.1\r\nconnection: close\r\n\r\n");
        let h = HttpSend {
            meth: Some("POST".into()),
            hdrs: vec![("X-A".into(), "b".into()), ("Connection".into(), "keep-alive".into())],
            body: Some("hello".into()),
            ..Default::default()
        };
        assert_eq!(
            req(&h, None),
            "POST / HTTP/1.0\r\nx-a: b\r\ncontent-length: 5\r\nconnection: keep-alive\r\n\r\nhello"
        );
        let (h, _) = parse_httpchk(&["GET", "/st"]);
        assert!(req(&h, Some("UP; address=127.0.0.1"))
            .starts_with("GET /st HTTP/1.0\r\nx-haproxy-server-state: UP; address"));
    }

    fn expect_step(words: &[&str]) -> Step {
        let RuleKind::Expect(e) = parse_rule("http-check", words).unwrap() else { panic!() };
        Step { index: 1, comment: None, kind: Kind::Expect(Box::new(compile_expect(&e))) }
    }

    fn run(s: &Step, resp: &[u8], last: bool, d404: bool) -> Eval {
        let Kind::Expect(e) = &s.kind else { panic!() };
        let vars = HashMap::new();
        let cx = Cx { proto: Proto::Http, step: s, vars: &vars, last_read: last, is_last: true };
        eval(e, &cx, &HttpCx { disable_404: d404 }, resp).0
    }

    #[test]
    fn status_expectations() {
        let s = expect_step(&["expect", "status", "200-399"]);
        assert_eq!(run(&s, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, false), Eval::Continue);
        assert_eq!(
            run(&s, b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", false, false),
            Eval::Stop { status: CheckStatus::L7Sts, code: 500, desc: "Internal Server Error".into() }
        );
        assert_eq!(run(&s, b"HTTP/1.1 404 Not Found\r\n\r\n", false, true), Eval::Continue);
        assert_eq!(run(&s, b"HTTP/1.1 20", false, false), Eval::Wait);
        assert_eq!(
            run(&s, b"garbage\r\n\r\n", false, false),
            Eval::Stop { status: CheckStatus::L7Rsp, code: 0, desc: String::new() }
        );
        assert_eq!(run(&s, b"", true, false), Eval::Stop { status: CheckStatus::L7Rsp, code: 0, desc: String::new() });
    }

    #[test]
    fn body_and_header_expectations() {
        let s = expect_step(&["expect", "string", "hello"]);
        assert_eq!(run(&s, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", false, false), Eval::Wait);
        assert_eq!(run(&s, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false), Eval::Continue);
        assert_eq!(
            run(&s, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye", false, false),
            Eval::Stop { status: CheckStatus::L7Rsp, code: 200, desc: "HTTP content check did not match".into() }
        );
        assert_eq!(
            run(&s, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, false),
            Eval::Stop {
                status: CheckStatus::L7Rsp,
                code: 200,
                desc: "HTTP content check could not find a response body".into()
            }
        );
        let s = expect_step(&["expect", "!", "rstring", "err(or)?"]);
        assert!(
            matches!(run(&s, b"HTTP/1.0 200 OK\r\n\r\nan error", true, false), Eval::Stop { desc, .. } if desc == "HTTP check matched unwanted content")
        );
        let s = expect_step(&["expect", "hdr", "name", "x-state", "value", "-m", "beg", "ok"]);
        assert_eq!(run(&s, b"HTTP/1.1 200 OK\r\nX-State: bad, ok-1\r\n\r\n", false, false), Eval::Continue);
        assert!(matches!(
            run(&s, b"HTTP/1.1 200 OK\r\nX-State: bad\r\n\r\n", false, false),
            Eval::Stop { status: CheckStatus::L7Sts, .. }
        ));
    }

    #[test]
    fn chunked_bodies() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false)
            .unwrap()
            .unwrap();
        assert_eq!((r.body.as_slice(), r.eom), (&b"hello"[..], true));
    }
}

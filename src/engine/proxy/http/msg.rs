//! What a parsed head means and how it is re-serialised: HAProxy never forwards header bytes
//! verbatim. Names are lowercased, values trimmed, `close`/`keep-alive` tokens leave the
//! Connection header (the header goes if nothing is left), duplicate Host and Content-Length
//! headers merge, Content-Length goes when Transfer-Encoding is there, the default port leaves
//! absolute URIs and their Host, and the proxy's own headers (X-Forwarded-For, then Connection)
//! come last. The rules for refusing a request (400, 422) or a response (502) live here too.

use std::ops::Range;

use super::body::Framing;
use super::parse::{scheme_len, trim, Head, Header, Kind, Version};

/// A request the mux refuses before anything is forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadRequest,
    Unprocessable,
}

/// What the proxy needs to know about a request.
#[derive(Debug, Clone, Default)]
pub struct ReqInfo {
    pub framing: Option<Framing>,
    pub version: Version,
    /// The client wants to keep its connection (1.1 without `close`, 1.0 with `keep-alive`).
    pub keep_alive: bool,
    /// Content-Length and Transfer-Encoding together: the client connection closes afterwards.
    pub cl_te: bool,
    /// An HTTP/1.0 request with Transfer-Encoding: both connections close afterwards.
    pub te_10: bool,
    /// `Connection: upgrade` with an Upgrade header: a 101 answer starts a tunnel.
    pub upgrade: bool,
    pub connect: bool,
    pub method_head: bool,
    /// Bytes of the URI to leave out (a default port).
    pub uri_cut: Option<Range<usize>>,
    /// Bytes of the first Host value to leave out (a default port).
    pub host_cut: Option<Range<usize>>,
}

fn tokens(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|t| !t.is_empty())
}

/// A Content-Length value: digits only, no overflow; a list must repeat one value.
fn content_length(v: &[u8]) -> Option<u64> {
    let mut len = None;
    for part in v.split(|&b| b == b',') {
        let p = trim(part);
        if p.is_empty() || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut n: u64 = 0;
        for &d in p {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        if len.is_some_and(|l| l != n) {
            return None;
        }
        len = Some(n);
    }
    len
}

/// Transfer-Encoding across all its headers: `Ok(true)` chunked last and once, `Ok(false)`
/// none at all, `Err(Unprocessable)` chunked last after other codings, `Err(BadRequest)` else.
fn transfer_encoding(head: &Head, buf: &[u8]) -> Result<bool, Refusal> {
    let mut seen = false;
    let mut chunked = false;
    let mut other = false;
    for v in head.values_of(buf, Kind::TransferEncoding) {
        seen = true;
        for t in tokens(v) {
            if chunked {
                return Err(Refusal::BadRequest);
            }
            if t.eq_ignore_ascii_case(b"chunked") {
                chunked = true;
            } else {
                other = true;
            }
        }
    }
    match (seen, chunked, other) {
        (false, _, _) => Ok(false),
        (true, true, false) => Ok(true),
        (true, true, true) => Err(Refusal::Unprocessable),
        _ => Err(Refusal::BadRequest),
    }
}

/// A trailing `:80` or `:443`, as a range of `v` (offset by `base`).
fn default_port_suffix(v: &[u8], base: usize, ports: &[&[u8]]) -> Option<Range<usize>> {
    let colon = v.iter().rposition(|&b| b == b':')?;
    let port = &v[colon + 1..];
    ports.contains(&port).then_some(base + colon..base + v.len())
}

fn strip_default_port(v: &[u8]) -> &[u8] {
    match default_port_suffix(v, 0, &[b"80", b"443"]) {
        Some(r) => &v[..r.start],
        None => v,
    }
}

pub fn analyze_request(head: &Head, buf: &[u8]) -> Result<ReqInfo, Refusal> {
    let method = &buf[head.method.clone()];
    let uri = &buf[head.uri.clone()];
    let mut info = ReqInfo {
        version: head.version,
        connect: method == b"CONNECT",
        method_head: method == b"HEAD",
        ..Default::default()
    };
    let close = head.has_token(buf, Kind::Connection, b"close");
    info.keep_alive = match head.version {
        Version::Http11 => !close,
        Version::Http10 => !close && head.has_token(buf, Kind::Connection, b"keep-alive"),
    };
    let chunked = transfer_encoding(head, buf)?;
    let mut length: Option<u64> = None;
    let mut has_cl = false;
    let mut host: Option<&Header> = None;
    let mut upgrade_hdr = false;
    let mut ws_key = false;
    let mut websocket = false;
    for h in &head.headers {
        let v = &buf[h.value.clone()];
        match h.kind {
            Kind::ContentLength => {
                has_cl = true;
                if !chunked {
                    let n = content_length(v).ok_or(Refusal::BadRequest)?;
                    if length.is_some_and(|l| l != n) {
                        return Err(Refusal::BadRequest);
                    }
                    length = Some(n);
                }
            }
            Kind::Host => match host {
                None => host = Some(h),
                Some(first) => {
                    if !buf[first.value.clone()].eq_ignore_ascii_case(v) {
                        return Err(Refusal::BadRequest);
                    }
                }
            },
            Kind::Upgrade => {
                upgrade_hdr = true;
                websocket |= tokens(v).any(|t| t.eq_ignore_ascii_case(b"websocket"));
            }
            Kind::WebSocketKey => ws_key = true,
            _ => {}
        }
    }
    let conn_upgrade = head.has_token(buf, Kind::Connection, b"upgrade");
    if conn_upgrade && websocket && !ws_key {
        return Err(Refusal::BadRequest);
    }
    info.upgrade = conn_upgrade && upgrade_hdr;
    if chunked {
        info.framing = Some(Framing::Chunked);
        info.cl_te = has_cl;
        info.te_10 = head.version == Version::Http10;
    } else {
        info.framing = Some(match length {
            Some(0) | None => Framing::None,
            Some(n) => Framing::Length(n),
        });
    }
    // The authority of an absolute or CONNECT URI must agree with Host (default ports aside).
    let authority: Option<(Range<usize>, Option<usize>)> = if info.connect {
        Some((head.uri.clone(), None))
    } else if let Some(sl) = scheme_len(uri) {
        let a = sl + 3;
        let end = uri[a..].iter().position(|&b| b == b'/' || b == b'?').map_or(uri.len(), |p| a + p);
        Some((head.uri.start + a..head.uri.start + end, Some(sl)))
    } else {
        None
    };
    if let Some((auth, scheme)) = authority {
        let a = &buf[auth.clone()];
        if let Some(h) = host {
            if !strip_default_port(a).eq_ignore_ascii_case(strip_default_port(&buf[h.value.clone()])) {
                return Err(Refusal::BadRequest);
            }
        }
        match scheme {
            None => {
                // CONNECT: Host loses a default port.
                if let Some(h) = host {
                    info.host_cut = default_port_suffix(&buf[h.value.clone()], h.value.start, &[b"80", b"443"]);
                }
            }
            Some(sl) => {
                let s = &uri[..sl];
                let port: &[u8] = if s.eq_ignore_ascii_case(b"http") {
                    b"80"
                } else if s.eq_ignore_ascii_case(b"https") {
                    b"443"
                } else {
                    b""
                };
                if !port.is_empty() {
                    if let Some(cut) = default_port_suffix(a, auth.start, &[port]) {
                        info.uri_cut = Some(cut);
                        if let Some(h) = host {
                            info.host_cut = default_port_suffix(&buf[h.value.clone()], h.value.start, &[port]);
                        }
                    }
                }
            }
        }
    }
    Ok(info)
}

/// Append `name: value\r\n` with the name lowercased; returns len(name) + len(value).
pub fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) -> usize {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    name.len() + value.len()
}

/// A Connection header without its `close`/`keep-alive` tokens; nothing if none is left. The
/// other comma-separated parts stay as they were written (HAProxy cuts the removed ones out in
/// place). Returns len(name) + len(value) of what was written.
fn push_connection(out: &mut Vec<u8>, value: &[u8]) -> usize {
    let start = out.len();
    let mut first = true;
    for part in value.split(|&b| b == b',') {
        let t = trim(part);
        if t.eq_ignore_ascii_case(b"close") || t.eq_ignore_ascii_case(b"keep-alive") {
            continue;
        }
        if first {
            out.extend_from_slice(b"connection: ");
            first = false;
        } else {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    if first {
        return 0;
    }
    // Trim what the removal left at the ends of the value.
    let v = start + 12;
    let lead = out[v..].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    out.drain(v..v + lead);
    while out.len() > v && matches!(out[out.len() - 1], b' ' | b'\t') {
        out.pop();
    }
    if out.len() == v {
        out.truncate(start);
        return 0;
    }
    out.extend_from_slice(b"\r\n");
    out.len() - start - 4
}

fn push_without(out: &mut Vec<u8>, v: &[u8], base: usize, cut: &Option<Range<usize>>) -> usize {
    match cut {
        Some(c) if c.start >= base && c.end <= base + v.len() => {
            out.extend_from_slice(&v[..c.start - base]);
            out.extend_from_slice(&v[c.end - base..]);
            v.len() - c.len()
        }
        _ => {
            out.extend_from_slice(v);
            v.len()
        }
    }
}

/// The request head as the server gets it, appended to `out`. `extra` are the headers the proxy
/// adds, in order (the unique ID, X-Forwarded-For, X-Original-To, the server name), `drop` a
/// header whose occurrences it removes (`http-send-name-header` replaces them), `conn` the
/// Connection value it adds. Returns the internal (HTX) size
/// of the head, the added Connection header excepted.
pub fn build_request(
    out: &mut Vec<u8>,
    head: &Head,
    buf: &[u8],
    info: &ReqInfo,
    extra: &[Option<(&[u8], &[u8])>],
    drop: Option<&[u8]>,
    conn: Option<&[u8]>,
) -> u64 {
    let mut size = 20 + 1 + head.method.len() + 8;
    out.extend_from_slice(&buf[head.method.clone()]);
    out.push(b' ');
    size += push_without(out, &buf[head.uri.clone()], head.uri.start, &info.uri_cut);
    out.push(b' ');
    out.extend_from_slice(info.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    let chunked = info.framing == Some(Framing::Chunked);
    let (mut host_done, mut cl_done) = (false, false);
    for h in &head.headers {
        let v = &buf[h.value.clone()];
        if drop.is_some_and(|d| buf[h.name.clone()].eq_ignore_ascii_case(d)) {
            continue;
        }
        size += match h.kind {
            Kind::Connection => push_connection(out, v),
            Kind::Host if host_done => 0,
            Kind::Host => {
                host_done = true;
                out.extend_from_slice(b"host: ");
                let n = push_without(out, v, h.value.start, &info.host_cut);
                out.extend_from_slice(b"\r\n");
                4 + n
            }
            Kind::ContentLength if chunked || cl_done => 0,
            Kind::ContentLength => {
                cl_done = true;
                let first = v.split(|&b| b == b',').next().map(trim).unwrap_or(v);
                push_header(out, b"content-length", first)
            }
            _ => push_header(out, &buf[h.name.clone()], v),
        };
    }
    for (n, v) in extra.iter().flatten() {
        size += push_header(out, n, v);
    }
    if let Some(c) = conn {
        push_header(out, b"connection", c);
    }
    out.extend_from_slice(b"\r\n");
    size as u64
}

/// What the proxy needs to know about a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RespInfo {
    pub framing: Framing,
    /// 1xx other than 101: forwarded, then the final response follows.
    pub interim: bool,
    /// The connection becomes a tunnel after this head (101 to an upgrade, 2xx to CONNECT).
    pub tunnel: bool,
    /// The server will not take another request on this connection.
    pub server_close: bool,
    /// Content-Length and Transfer-Encoding together.
    pub cl_te: bool,
    /// Leave Content-Length / Transfer-Encoding out (204, 1xx).
    pub drop_length: bool,
    /// The client connection closes after this response (HTTP/1.0 with Transfer-Encoding).
    pub client_close: bool,
}

/// Why a response is refused (the client gets a 502).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadResponse {
    /// The connection layer cannot use it (lengths, encodings, websocket key).
    Invalid,
    /// A well-formed message the stream layer refuses: a `101` to a request that asked for no
    /// upgrade, a websocket answer without its accept key.
    Refused,
}

/// Framing and connection rules of a response to `req`.
pub fn analyze_response(head: &Head, buf: &[u8], req: &ReqInfo) -> Result<RespInfo, BadResponse> {
    let status = head.status;
    // A websocket upgrade answer must carry its accept key.
    if head.has_token(buf, Kind::Connection, b"upgrade")
        && head.has_token(buf, Kind::Upgrade, b"websocket")
        && !head.headers.iter().any(|h| h.kind == Kind::WebSocketAccept)
    {
        return Err(BadResponse::Refused);
    }
    let mut info = RespInfo {
        framing: Framing::None,
        interim: false,
        tunnel: false,
        server_close: false,
        cl_te: false,
        drop_length: false,
        client_close: false,
    };
    if status < 200 {
        if status == 101 {
            if !req.upgrade {
                return Err(BadResponse::Refused);
            }
            info.tunnel = true;
            return Ok(info);
        }
        info.interim = true;
        info.drop_length = true;
        return Ok(info);
    }
    let mut te_seen = false;
    let mut chunked = false;
    let mut bad_te = false;
    for v in head.values_of(buf, Kind::TransferEncoding) {
        te_seen = true;
        for t in tokens(v) {
            if chunked {
                bad_te = true;
            }
            if t.eq_ignore_ascii_case(b"chunked") {
                chunked = true;
            } else {
                bad_te = true;
            }
        }
    }
    let mut length: Option<u64> = None;
    let mut has_cl = false;
    for v in head.values_of(buf, Kind::ContentLength) {
        has_cl = true;
        if !te_seen {
            let n = content_length(v).ok_or(BadResponse::Invalid)?;
            if length.is_some_and(|l| l != n) {
                return Err(BadResponse::Invalid);
            }
            length = Some(n);
        }
    }
    if te_seen && (bad_te || !chunked) {
        return Err(BadResponse::Invalid);
    }
    info.cl_te = te_seen && has_cl;
    // Transfer-Encoding in an HTTP/1.0 response: decoded as usual, but both connections close.
    info.client_close = te_seen && head.version == Version::Http10;
    let close_token = head.has_token(buf, Kind::Connection, b"close");
    info.server_close = match head.version {
        Version::Http11 => close_token,
        Version::Http10 => close_token || !head.has_token(buf, Kind::Connection, b"keep-alive"),
    } || info.cl_te;
    if req.connect && (200..300).contains(&status) {
        info.tunnel = true;
        return Ok(info);
    }
    if status == 204 {
        info.drop_length = true;
        return Ok(info);
    }
    if status == 304 || req.method_head {
        return Ok(info);
    }
    info.framing = if chunked {
        Framing::Chunked
    } else {
        match length {
            Some(0) => Framing::None,
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    if info.framing == Framing::UntilClose {
        info.server_close = true;
    }
    Ok(info)
}

/// The response head as the client gets it, appended to `out`. Returns the internal (HTX) size
/// of the head, the added Connection header excepted.
pub fn build_response(out: &mut Vec<u8>, head: &Head, buf: &[u8], info: &RespInfo, conn: Option<&[u8]>) -> u64 {
    let mut size = 20 + 8 + head.status_text.len() + head.reason.len() + 1;
    out.extend_from_slice(head.version.as_bytes());
    out.push(b' ');
    out.extend_from_slice(&buf[head.status_text.clone()]);
    out.push(b' ');
    out.extend_from_slice(&buf[head.reason.clone()]);
    out.extend_from_slice(b"\r\n");
    let chunked = info.framing == Framing::Chunked || info.cl_te;
    let mut cl_done = false;
    for h in &head.headers {
        let v = &buf[h.value.clone()];
        size += match h.kind {
            Kind::Connection if !info.tunnel => push_connection(out, v),
            // Left out on output only: HAProxy still counts them.
            Kind::ContentLength | Kind::TransferEncoding if info.drop_length => h.name.len() + v.len(),
            Kind::ContentLength if chunked || cl_done => 0,
            Kind::ContentLength => {
                cl_done = true;
                let first = v.split(|&b| b == b',').next().map(trim).unwrap_or(v);
                push_header(out, b"content-length", first)
            }
            _ => push_header(out, &buf[h.name.clone()], v),
        };
    }
    if let Some(c) = conn {
        push_header(out, b"connection", c);
    }
    out.extend_from_slice(b"\r\n");
    size as u64
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_request;
    use super::*;

    fn analyze(r: &[u8]) -> (Result<ReqInfo, Refusal>, Head, Vec<u8>) {
        let mut b = r.to_vec();
        let mut h = Head::default();
        assert!(parse_request(&mut b, &mut h).unwrap());
        (analyze_request(&h, &b), h, b)
    }

    fn rebuilt(r: &[u8]) -> String {
        let (i, h, b) = analyze(r);
        let mut out = Vec::new();
        build_request(&mut out, &h, &b, &i.unwrap(), &[], None, None);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn transfer_encodings() {
        let te = |v: &str| {
            analyze(format!("POST / HTTP/1.1\r\nTransfer-Encoding: {v}\r\n\r\n").as_bytes()).0.map(|i| i.framing)
        };
        assert_eq!(te("chunked").unwrap(), Some(Framing::Chunked));
        assert_eq!(te("Chunked").unwrap(), Some(Framing::Chunked));
        assert_eq!(te("gzip, chunked").unwrap_err(), Refusal::Unprocessable);
        assert_eq!(te("chunked, gzip").unwrap_err(), Refusal::BadRequest);
        assert_eq!(te("chunked, chunked").unwrap_err(), Refusal::BadRequest);
        assert_eq!(te("identity").unwrap_err(), Refusal::BadRequest);
    }

    #[test]
    fn lengths_merge_and_hosts_normalise() {
        assert_eq!(
            rebuilt(b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n"),
            "POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\n"
        );
        assert!(analyze(b"POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n").0.is_err());
        assert_eq!(
            rebuilt(b"GET http://e.com:80/x HTTP/1.1\r\nHost: e.com:80\r\nHost: E.com:80\r\n\r\n"),
            "GET http://e.com/x HTTP/1.1\r\nhost: e.com\r\n\r\n"
        );
        assert_eq!(
            rebuilt(b"CONNECT e.com:443 HTTP/1.1\r\nHost: e.com:443\r\n\r\n"),
            "CONNECT e.com:443 HTTP/1.1\r\nhost: e.com\r\n\r\n"
        );
        assert!(analyze(b"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n").0.is_err());
        assert_eq!(
            rebuilt(b"GET / HTTP/1.1\r\nConnection: X-Foo, Keep-Alive\r\nConnection: close\r\n\r\n"),
            "GET / HTTP/1.1\r\nconnection: X-Foo\r\n\r\n"
        );
    }
}

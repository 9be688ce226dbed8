//! A minimal blocking HTTP/1.1 client for scenarios: one request per connection
//! (`Connection: close`), the response read to EOF and split into status, headers and body.
//! Plus a raw TCP round trip helper. Everything talks to 127.0.0.1 only.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The status line as received, e.g. `HTTP/1.1 503 Service Unavailable`.
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The whole response, byte for byte (for byte-exact comparisons of error pages).
    pub raw: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn get(path: &str) -> Request {
        Request { method: "GET".into(), path: path.into(), headers: Vec::new(), body: Vec::new() }
    }
    pub fn method(mut self, m: &str) -> Request {
        self.method = m.into();
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Request {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Request {
        self.body = b.into();
        self
    }
    /// The bytes on the wire: `Host` defaults to `localhost`, `Connection: close` is always added.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if !self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            s.push_str("Host: localhost\r\n");
        }
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.body.is_empty() {
            s.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        s.push_str("Connection: close\r\n\r\n");
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
    /// Send to 127.0.0.1:`port` and read the response.
    pub fn send(&self, port: u16) -> io::Result<Response> {
        let raw = tcp_roundtrip(port, &self.to_bytes())?;
        parse_response(raw)
    }
}

/// `GET path` on 127.0.0.1:`port`.
pub fn get(port: u16, path: &str) -> io::Result<Response> {
    Request::get(path).send(port)
}

/// Write `input`, then read until the peer closes (or IO_TIMEOUT). A connection reset after
/// some data keeps the data.
pub fn tcp_roundtrip(port: u16, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_nodelay(true)?;
    s.write_all(input)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && !out.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Split a raw HTTP/1.x response. Bodies are taken as everything after the head (de-chunked when
/// `Transfer-Encoding: chunked`).
pub fn parse_response(raw: Vec<u8>) -> io::Result<Response> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{m}: {:?}", String::from_utf8_lossy(&raw)));
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_string();
    let status =
        status_line.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok()).ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Response { status, status_line, headers, body, raw })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let i = b.windows(2).position(|w| w == b"\r\n")?;
        let size_str = std::str::from_utf8(&b[..i]).ok()?;
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        b = &b[i + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// Write `input`, half-close, then read until the peer closes (echo and banner servers).
pub fn tcp_roundtrip_half_close(port: u16, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.write_all(input)?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

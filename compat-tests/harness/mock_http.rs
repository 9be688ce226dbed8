//! A mock HTTP/1.1 backend: answers every request with its own name as the body and in an
//! `X-Server` header, so a test sees which server served it. It can be stopped and restarted on
//! the same port, made slow, made to fail (status 500 or any status, close without answering,
//! reset), per path if needed (to fail health checks but not traffic, or the reverse), and it
//! counts connections and requests and keeps every request it parsed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::service::{Handler, Service};

/// How the server answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    /// `200 OK`, body = the server's name.
    Normal,
    /// Wait this long after reading the request, then answer normally.
    Slow(Duration),
    /// Answer with this status (body still the name): `Status(500)` is the usual failure.
    Status(u16),
    /// Read the request, then close the connection without a byte of answer.
    CloseWithoutAnswer,
    /// Read the request, then reset the connection (RST via SO_LINGER 0).
    Reset,
}

/// One request as the backend received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub peer: SocketAddr,
    pub method: String,
    /// The request target as sent (path and query).
    pub path: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct State {
    name: String,
    behavior: Mutex<Behavior>,
    /// (path prefix, behaviour) overrides, first match wins.
    by_path: Mutex<Vec<(String, Behavior)>>,
    extra_headers: Mutex<Vec<(String, String)>>,
    requests: AtomicU64,
    log: Mutex<Vec<Request>>,
}

impl State {
    fn behavior_for(&self, path: &str) -> Behavior {
        let by_path = self.by_path.lock().unwrap();
        match by_path.iter().find(|(p, _)| path.starts_with(p.as_str())) {
            Some((_, b)) => b.clone(),
            None => self.behavior.lock().unwrap().clone(),
        }
    }
}

pub struct MockHttp {
    svc: Service,
    state: Arc<State>,
}

impl MockHttp {
    /// Start on a fresh port.
    pub fn start(name: &str) -> MockHttp {
        MockHttp::start_on(name, 0)
    }

    /// Start on a given port (0 = fresh).
    pub fn start_on(name: &str, port: u16) -> MockHttp {
        let state = Arc::new(State {
            name: name.to_string(),
            behavior: Mutex::new(Behavior::Normal),
            by_path: Mutex::new(Vec::new()),
            extra_headers: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        let handler: Handler = Arc::new(move |s, peer| Box::pin(serve(s, peer, st.clone())));
        MockHttp { svc: Service::start(port, handler), state }
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }
    pub fn port(&self) -> u16 {
        self.svc.port()
    }
    pub fn addr(&self) -> SocketAddr {
        self.svc.addr()
    }

    /// Set how every request is answered (unless a path override matches).
    pub fn set_behavior(&self, b: Behavior) {
        *self.state.behavior.lock().unwrap() = b;
    }
    pub fn normal(&self) {
        self.set_behavior(Behavior::Normal)
    }
    pub fn slow(&self, delay: Duration) {
        self.set_behavior(Behavior::Slow(delay))
    }
    pub fn fail_500(&self) {
        self.set_behavior(Behavior::Status(500))
    }
    pub fn close_without_answer(&self) {
        self.set_behavior(Behavior::CloseWithoutAnswer)
    }
    pub fn reset(&self) {
        self.set_behavior(Behavior::Reset)
    }
    /// Answer requests whose target starts with `prefix` this way (e.g. the health-check URI).
    pub fn on_path(&self, prefix: &str, b: Behavior) {
        let mut by_path = self.state.by_path.lock().unwrap();
        by_path.retain(|(p, _)| p != prefix);
        by_path.push((prefix.to_string(), b));
    }
    pub fn clear_path_overrides(&self) {
        self.state.by_path.lock().unwrap().clear();
    }
    /// Add a header to every response (e.g. `Set-Cookie`).
    pub fn add_response_header(&self, name: &str, value: &str) {
        self.state.extra_headers.lock().unwrap().push((name.to_string(), value.to_string()));
    }

    /// Stop listening and close every connection (returns once closed).
    pub fn stop(&self) {
        self.svc.stop()
    }
    /// Listen again on the same port.
    pub fn restart(&self) {
        self.svc.restart()
    }
    pub fn is_running(&self) -> bool {
        self.svc.is_running()
    }

    /// Connections accepted.
    pub fn connections(&self) -> u64 {
        self.svc.connections()
    }
    /// Requests fully read (health checks included).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }
    /// Requests whose target starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> usize {
        self.state.log.lock().unwrap().iter().filter(|r| r.path.starts_with(prefix)).count()
    }
    /// Every request received so far, in order.
    pub fn request_log(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }
    /// Zero the counters and forget the request log.
    pub fn reset_counters(&self) {
        self.svc.reset_connections();
        self.state.requests.store(0, Ordering::SeqCst);
        self.state.log.lock().unwrap().clear();
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

const MAX_HEAD: usize = 64 * 1024;

/// Read more bytes into `buf`; false on EOF or error.
async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match s.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Read one `\r\n`-terminated line (without the terminator) from the front of `buf`.
async fn read_line(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(i) = find(buf, b"\r\n") {
            let line = String::from_utf8_lossy(&buf[..i]).into_owned();
            buf.drain(..i + 2);
            return Some(line);
        }
        if buf.len() > MAX_HEAD || !fill(s, buf).await {
            return None;
        }
    }
}

async fn read_exact_buf(s: &mut TcpStream, buf: &mut Vec<u8>, n: usize) -> Option<Vec<u8>> {
    while buf.len() < n {
        if !fill(s, buf).await {
            return None;
        }
    }
    Some(buf.drain(..n).collect())
}

/// Parse one request from the connection (`buf` keeps pipelined leftovers). None on EOF/garbage.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>, peer: SocketAddr) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD || !fill(s, buf).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path, version) = (first.next()?.to_string(), first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut req = Request { peer, method, path, version, headers, body: Vec::new() };
    let chunked = req.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let size_line = read_line(s, buf).await?;
            let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !read_line(s, buf).await?.is_empty() {}
                break;
            }
            let data = read_exact_buf(s, buf, size + 2).await?;
            req.body.extend_from_slice(&data[..size]);
        }
    } else if let Some(len) = req.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        req.body = read_exact_buf(s, buf, len).await?;
    }
    Some(req)
}

fn keep_alive(req: &Request) -> bool {
    let conn = req.header("connection").map(|v| v.to_ascii_lowercase()).unwrap_or_default();
    if req.version == "HTTP/1.0" {
        conn.contains("keep-alive")
    } else {
        !conn.contains("close")
    }
}

async fn serve(mut s: TcpStream, peer: SocketAddr, st: Arc<State>) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut s, &mut buf, peer).await else { return };
        st.requests.fetch_add(1, Ordering::SeqCst);
        let behavior = st.behavior_for(&req.path);
        let ka = keep_alive(&req);
        let head_only = req.method == "HEAD";
        st.log.lock().unwrap().push(req);
        let code = match behavior {
            Behavior::Normal => 200,
            Behavior::Slow(d) => {
                tokio::time::sleep(d).await;
                200
            }
            Behavior::Status(c) => c,
            Behavior::CloseWithoutAnswer => {
                let _ = s.shutdown().await;
                return;
            }
            Behavior::Reset => {
                let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
                return;
            }
        };
        let body = st.name.as_bytes();
        let mut resp = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nX-Server: {}\r\n",
            reason(code),
            body.len(),
            st.name
        );
        for (k, v) in st.extra_headers.lock().unwrap().iter() {
            resp.push_str(&format!("{k}: {v}\r\n"));
        }
        if !ka {
            resp.push_str("Connection: close\r\n");
        }
        resp.push_str("\r\n");
        let mut out = resp.into_bytes();
        if !head_only {
            out.extend_from_slice(body);
        }
        if s.write_all(&out).await.is_err() || !ka {
            let _ = s.shutdown().await;
            return;
        }
    }
}

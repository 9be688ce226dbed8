//! One finished session or request, with every value a log-format variable can show.

use std::net::SocketAddr;

/// Timers are in milliseconds; -1 means "did not happen" (HAProxy prints -1).
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub client: Option<SocketAddr>,
    pub frontend_addr: Option<SocketAddr>,
    pub backend_src: Option<SocketAddr>,
    pub server_addr: Option<SocketAddr>,
    /// Accept date, as unix time in microseconds.
    pub accept_us: i64,
    /// Date the request was received (first byte of the request), unix microseconds.
    pub request_us: i64,
    pub frontend: String,
    /// `~` suffix is added by the formatter for SSL frontends; we have none.
    pub backend: String,
    pub server: String,
    /// Th, Ti, TR, Tw, Tc, Tr, Td, Ta, Tt as in HAProxy's timing events.
    pub t_handshake: i64,
    pub t_idle: i64,
    pub t_request: i64,
    pub t_queue: i64,
    pub t_connect: i64,
    pub t_response: i64,
    pub t_active: i64,
    pub t_total: i64,
    pub status: i32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    /// `capture cookie` results, empty when nothing was captured.
    pub req_cookie: String,
    pub resp_cookie: String,
    /// Termination state, 4 chars (`----`, `SC--`, `cD--` ...); tcplog uses the first 2.
    pub term: [u8; 4],
    pub actconn: u64,
    pub feconn: u64,
    pub beconn: u64,
    pub srv_conn: u64,
    pub retries: u32,
    /// Set when the connection was redispatched (`+` before the retries count).
    pub redispatched: bool,
    pub srv_queue: u64,
    pub backend_queue: u64,
    pub captured_req_headers: Vec<String>,
    pub captured_resp_headers: Vec<String>,
    /// The request line as received (`GET /x HTTP/1.1`), empty when there was none.
    pub request_line: String,
    pub method: String,
    pub uri: String,
    pub version: String,
    pub pid: u32,
    pub unique_id: String,
    pub http: bool,
    /// `%rt`: the stream's number among all streams of the process (HAProxy's `uniq_id`).
    pub stream_id: u64,
    /// The values of the log format's `%[...]` expressions, in order (`None`: no value).
    pub samples: Vec<Option<String>>,
}

impl Default for LogRecord {
    fn default() -> Self {
        LogRecord {
            client: None,
            frontend_addr: None,
            backend_src: None,
            server_addr: None,
            accept_us: 0,
            request_us: 0,
            frontend: String::new(),
            backend: String::new(),
            server: String::new(),
            t_handshake: 0,
            t_idle: -1,
            t_request: -1,
            t_queue: -1,
            t_connect: -1,
            t_response: -1,
            t_active: 0,
            t_total: 0,
            status: -1,
            bytes_out: 0,
            bytes_in: 0,
            req_cookie: String::new(),
            resp_cookie: String::new(),
            term: *b"----",
            actconn: 0,
            feconn: 0,
            beconn: 0,
            srv_conn: 0,
            retries: 0,
            redispatched: false,
            srv_queue: 0,
            backend_queue: 0,
            captured_req_headers: Vec::new(),
            captured_resp_headers: Vec::new(),
            request_line: String::new(),
            method: String::new(),
            uri: String::new(),
            version: String::new(),
            pid: std::process::id(),
            unique_id: String::new(),
            http: false,
            stream_id: 0,
            samples: Vec::new(),
        }
    }
}

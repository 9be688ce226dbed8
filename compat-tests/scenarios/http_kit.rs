//! A small kit for byte-level HTTP scenarios, shared by the `http_*` scenario files.
//!
//! A [`Case`] is one frontend with its own backend and one scripted server: the client side is a
//! script of raw steps ([`C`]), the server side a script per accepted connection ([`S`]). Many
//! cases share one proxy process (one frontend/backend pair each, on their own ports), so a batch
//! of cases costs one start per implementation. Each case yields a transcript: the bytes the
//! client received and how its connection ended (FIN, RST or still open), each server
//! connection's received bytes and how it ended, and the case's log lines with the volatile
//! fields masked. [`check`] runs a batch through HAProxy and haproxide and reports every case
//! whose transcripts differ.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::compare::{both, text_diff};
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl};
use crate::harness::syslog::UdpSyslog;

/// A server step.
#[derive(Debug, Clone)]
pub enum S {
    /// Read one whole request (head, then a Content-Length or chunked body).
    Req,
    /// Read up to the end of a request head only.
    Head,
    Send(Vec<u8>),
    Sleep(u64),
    /// Close with a FIN (the connection is then only drained).
    Close,
    /// Close with an RST.
    Reset,
    /// Answer every request on the connection with these bytes until the peer closes.
    Serve(Vec<u8>),
    /// Send back whatever arrives until the peer closes (a tunnel's far end).
    Echo,
}

/// A client step.
#[derive(Debug, Clone)]
pub enum C {
    Send(Vec<u8>),
    Sleep(u64),
    /// Read until `n` more complete responses arrived (1xx not counted), the connection ends, or
    /// 3 s.
    Resp(usize),
    /// Read until nothing arrives for this many ms, or the connection ends.
    Idle(u64),
    /// Read until the connection ends (at most this many ms); the time it took is recorded,
    /// rounded to 300 ms.
    UntilClose(u64),
    ShutWr,
    /// Close with an RST.
    Reset,
}

pub fn send(b: &[u8]) -> S {
    S::Send(b.to_vec())
}
pub fn serve(b: &[u8]) -> S {
    S::Serve(b.to_vec())
}
pub fn tx(b: &[u8]) -> C {
    C::Send(b.to_vec())
}

/// A typical response: `HTTP/1.1 200 OK` with `Content-Length: 2` and `ok`.
pub const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
/// A typical request.
pub const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";

#[derive(Clone)]
pub struct Case {
    pub name: String,
    /// Extra lines for the frontend section (two-space indented, each ending in `\n`).
    pub fe: String,
    /// Options appended to the frontend's `bind` line.
    pub bind: String,
    /// Extra lines for the backend section.
    pub be: String,
    /// Options appended to the `server` line.
    pub srv: String,
    /// Scripts per accepted server connection; the last one serves any further connection.
    /// Empty: no server line at all.
    pub server: Vec<Vec<S>>,
    pub client: Vec<C>,
    /// Several clients, run one after the other (each a script); used instead of `client` when
    /// not empty.
    pub clients: Vec<Vec<C>>,
    /// Run the clients concurrently instead.
    pub concurrent: bool,
    /// Servers in the backend (s1, s2, ...), each running the same scripts.
    pub nsrv: usize,
    /// Log lines show every number rounded to 300 ms buckets (for formats made of timers).
    pub timers: bool,
}

impl Case {
    pub fn new(name: &str) -> Case {
        Case {
            name: name.to_string(),
            fe: String::new(),
            bind: String::new(),
            be: String::new(),
            srv: String::new(),
            server: vec![vec![serve(OK)]],
            client: vec![tx(GET), C::Resp(1), C::Idle(150)],
            clients: Vec::new(),
            concurrent: false,
            nsrv: 1,
            timers: false,
        }
    }
    /// Compare the log line's numbers in 300 ms buckets (a format of timers only).
    pub fn timers(mut self) -> Case {
        self.timers = true;
        self
    }
    /// Put `n` servers in the backend.
    pub fn nsrv(mut self, n: usize) -> Case {
        self.nsrv = n;
        self
    }
    pub fn fe(mut self, l: &str) -> Case {
        self.fe.push_str(&format!("  {l}\n"));
        self
    }
    pub fn bind(mut self, o: &str) -> Case {
        self.bind = format!(" {o}");
        self
    }
    pub fn be(mut self, l: &str) -> Case {
        self.be.push_str(&format!("  {l}\n"));
        self
    }
    pub fn srv(mut self, o: &str) -> Case {
        self.srv = format!(" {o}");
        self
    }
    /// Every server connection follows this script.
    pub fn server(mut self, steps: Vec<S>) -> Case {
        self.server = vec![steps];
        self
    }
    /// One script per server connection (the last one repeats).
    pub fn servers(mut self, scripts: Vec<Vec<S>>) -> Case {
        self.server = scripts;
        self
    }
    /// The server answers every request with `resp`.
    pub fn answer(self, resp: &[u8]) -> Case {
        self.server(vec![serve(resp)])
    }
    pub fn no_server(mut self) -> Case {
        self.server = Vec::new();
        self
    }
    pub fn client(mut self, steps: Vec<C>) -> Case {
        self.client = steps;
        self
    }
    /// Send `req`, read one response and 150 ms more.
    pub fn request(self, req: &[u8]) -> Case {
        self.client(vec![tx(req), C::Resp(1), C::Idle(150)])
    }
    pub fn clients(mut self, scripts: Vec<Vec<C>>, concurrent: bool) -> Case {
        self.clients = scripts;
        self.concurrent = concurrent;
        self
    }
}

/// Show bytes readably: printable ASCII as is, `\r`, `\n` (followed by a line break), `\t`,
/// `\\` and `\xNN` for the rest.
pub fn esc(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 16);
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    Fin,
    Rst,
}

impl End {
    fn name(self) -> &'static str {
        match self {
            End::Open => "open",
            End::Fin => "FIN",
            End::Rst => "RST",
        }
    }
}

#[derive(Default)]
struct ConnRec {
    rx: Vec<u8>,
    end: Option<End>,
}

/// A server that runs a script on each connection and records what it received.
struct ScriptServer {
    port: u16,
    conns: Arc<Mutex<Vec<Arc<Mutex<ConnRec>>>>>,
    stop: Arc<AtomicBool>,
}

/// Where a complete message ends in `b` (a request or a response), or None if incomplete.
/// `head_only`: the end of the head. Responses without a length end only with the connection.
fn message_end(b: &[u8], head_only: bool, response: bool) -> Option<usize> {
    let (start, hend) = head_end(b)?;
    if head_only {
        return Some(hend);
    }
    let head = String::from_utf8_lossy(&b[start..hend]).to_ascii_lowercase();
    let mut lines = head.lines();
    let first = lines.next().unwrap_or("");
    let status: u16 =
        if response { first.split(' ').nth(1).and_then(|s| s.get(..3)?.parse().ok()).unwrap_or(0) } else { 0 };
    let mut cl = None;
    let mut chunked = false;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            match k.trim() {
                "content-length" => cl = v.split(',').next().and_then(|x| x.trim().parse::<usize>().ok()),
                "transfer-encoding" => chunked = v.contains("chunked"),
                _ => {}
            }
        }
    }
    if response && ((100..200).contains(&status) || status == 204 || status == 304) {
        return Some(hend);
    }
    if chunked {
        return chunked_end(b, hend);
    }
    match cl {
        Some(n) => (b.len() >= hend + n).then_some(hend + n),
        None if response => None,
        None => Some(hend),
    }
}

/// (start of the head after leading empty lines, end of the head).
fn head_end(b: &[u8]) -> Option<(usize, usize)> {
    let start = b.iter().position(|&c| c != b'\r' && c != b'\n')?;
    let mut i = start;
    while let Some(off) = b[i..].iter().position(|&c| c == b'\n') {
        let nl = i + off;
        if nl + 1 < b.len() && b[nl + 1] == b'\n' {
            return Some((start, nl + 2));
        }
        if nl + 2 < b.len() && b[nl + 1] == b'\r' && b[nl + 2] == b'\n' {
            return Some((start, nl + 3));
        }
        i = nl + 1;
    }
    None
}

fn chunked_end(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let nl = pos + b[pos..].iter().position(|&c| c == b'\n')?;
        let line = String::from_utf8_lossy(&b[pos..nl]);
        let size = usize::from_str_radix(line.trim().split(';').next()?.trim(), 16).ok()?;
        pos = nl + 1;
        if size == 0 {
            loop {
                let nl = pos + b[pos..].iter().position(|&c| c == b'\n')?;
                let empty = nl == pos || (nl == pos + 1 && b[pos] == b'\r');
                pos = nl + 1;
                if empty {
                    return Some(pos);
                }
            }
        }
        pos += size;
        let nl = pos + b.get(pos..)?.iter().position(|&c| c == b'\n')?;
        pos = nl + 1;
    }
}

impl ScriptServer {
    fn start(scripts: Vec<Vec<S>>) -> ScriptServer {
        // A port another scenario was handed (and may bind any moment) is not ours to take.
        let (l, port) = loop {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            if crate::harness::ports::reserve(port) {
                break (l, port);
            }
        };
        l.set_nonblocking(true).unwrap();
        let conns: Arc<Mutex<Vec<Arc<Mutex<ConnRec>>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (c2, stop2) = (conns.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut idx = 0usize;
            while !stop2.load(Ordering::SeqCst) {
                let s = match l.accept() {
                    Ok((s, _)) => s,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                    Err(_) => continue,
                };
                let rec = Arc::new(Mutex::new(ConnRec::default()));
                c2.lock().unwrap().push(rec.clone());
                let script = scripts.get(idx.min(scripts.len().saturating_sub(1))).cloned().unwrap_or_default();
                idx += 1;
                let stop3 = stop2.clone();
                std::thread::spawn(move || run_server_conn(s, script, rec, stop3));
            }
        });
        ScriptServer { port, conns, stop }
    }

    fn transcript(&self, label: &str) -> String {
        let conns = self.conns.lock().unwrap();
        let mut out = String::new();
        for (i, c) in conns.iter().enumerate() {
            let c = c.lock().unwrap();
            let _ =
                write!(out, "--- {label}server conn {i} ({}):\n{}\n", c.end.unwrap_or(End::Open).name(), esc(&c.rx));
        }
        if conns.is_empty() {
            let _ = writeln!(out, "--- no {label}server connection");
        }
        out
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Read into `rec`; Err(()) once the connection ended (recorded).
fn srv_read(s: &mut TcpStream, pending: &mut Vec<u8>, rec: &Mutex<ConnRec>) -> Result<bool, ()> {
    if rec.lock().unwrap().end.is_some() {
        return Err(());
    }
    let mut buf = [0u8; 65536];
    match s.read(&mut buf) {
        Ok(0) => {
            rec.lock().unwrap().end = Some(End::Fin);
            Err(())
        }
        Ok(n) => {
            pending.extend_from_slice(&buf[..n]);
            rec.lock().unwrap().rx.extend_from_slice(&buf[..n]);
            Ok(true)
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(false),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            rec.lock().unwrap().end = Some(End::Rst);
            Err(())
        }
        Err(_) => {
            rec.lock().unwrap().end = Some(End::Rst);
            Err(())
        }
    }
}

fn run_server_conn(mut s: TcpStream, script: Vec<S>, rec: Arc<Mutex<ConnRec>>, stop: Arc<AtomicBool>) {
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
    let mut pending = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Read until a message is complete; false when the connection ended or we must stop.
    let read_msg = |s: &mut TcpStream, pending: &mut Vec<u8>, head_only: bool| -> bool {
        loop {
            if let Some(end) = message_end(pending, head_only, false) {
                pending.drain(..end);
                return true;
            }
            if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                return false;
            }
            if srv_read(s, pending, &rec).is_err() {
                return false;
            }
        }
    };
    for step in script {
        match step {
            S::Req => {
                if !read_msg(&mut s, &mut pending, false) {
                    return;
                }
            }
            S::Head => {
                if !read_msg(&mut s, &mut pending, true) {
                    return;
                }
            }
            S::Send(b) => {
                let _ = s.write_all(&b);
            }
            S::Sleep(ms) => {
                // Keep watching the connection meanwhile (what arrives waits in `pending`), so
                // that how the proxy ends it is seen when it happens.
                let until = Instant::now() + Duration::from_millis(ms);
                while Instant::now() < until {
                    if rec.lock().unwrap().end.is_some() {
                        std::thread::sleep(until.saturating_duration_since(Instant::now()));
                        break;
                    }
                    let _ = s.set_read_timeout(Some(
                        until.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)),
                    ));
                    if srv_read(&mut s, &mut pending, &rec).is_err() {
                        continue;
                    }
                }
                let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
            }
            S::Close => {
                let _ = s.shutdown(Shutdown::Write);
                break;
            }
            S::Reset => {
                let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
                return;
            }
            S::Echo => {
                if !pending.is_empty() {
                    let _ = s.write_all(&pending);
                    pending.clear();
                }
                loop {
                    match srv_read(&mut s, &mut pending, &rec) {
                        Err(()) => return,
                        Ok(_) => {
                            if !pending.is_empty() {
                                let _ = s.write_all(&pending);
                                pending.clear();
                            }
                        }
                    }
                    if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                        return;
                    }
                }
            }
            S::Serve(b) => loop {
                if !read_msg(&mut s, &mut pending, false) {
                    return;
                }
                if s.write_all(&b).is_err() {
                    return;
                }
            },
        }
    }
    // Drain until the proxy closes.
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        if srv_read(&mut s, &mut pending, &rec).is_err() {
            return;
        }
    }
}

/// Count complete final responses at the start of `b`.
fn responses_in(b: &[u8]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while pos < b.len() {
        let Some(end) = message_end(&b[pos..], false, true) else { break };
        let status = String::from_utf8_lossy(&b[pos..(pos + 12).min(b.len())]);
        let interim = status.trim_start().get(9..10) == Some("1");
        pos += end;
        if !interim {
            n += 1;
        }
    }
    n
}

/// Run a client script against `port`; returns its transcript.
fn run_client(port: u16, steps: &[C]) -> String {
    let mut s = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => return format!("connect failed: {e}\n"),
    };
    s.set_nodelay(true).unwrap();
    let mut rx = Vec::new();
    let mut end = End::Open;
    let mut notes = String::new();
    let start = Instant::now();
    let read_some = |s: &mut TcpStream, rx: &mut Vec<u8>, end: &mut End, wait: Duration| -> bool {
        let _ = s.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let mut buf = [0u8; 65536];
        match s.read(&mut buf) {
            Ok(0) => {
                *end = End::Fin;
                false
            }
            Ok(n) => {
                rx.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(_) => {
                *end = End::Rst;
                false
            }
        }
    };
    for step in steps {
        if end != End::Open {
            break;
        }
        match step {
            C::Send(b) => {
                if s.write_all(b).is_err() {
                    notes.push_str("(send failed)\n");
                }
            }
            C::Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            C::Resp(n) => {
                let want = responses_in(&rx) + n;
                let deadline = Instant::now() + Duration::from_secs(3);
                while responses_in(&rx) < want && end == End::Open && Instant::now() < deadline {
                    read_some(&mut s, &mut rx, &mut end, Duration::from_millis(50));
                }
            }
            C::Idle(ms) => {
                while end == End::Open && read_some(&mut s, &mut rx, &mut end, Duration::from_millis(*ms)) {}
            }
            C::UntilClose(ms) => {
                let t0 = Instant::now();
                let deadline = t0 + Duration::from_millis(*ms);
                while end == End::Open && Instant::now() < deadline {
                    read_some(&mut s, &mut rx, &mut end, Duration::from_millis(20));
                }
                if end != End::Open {
                    // Rounded to 300 ms: timeouts in scenarios are multiples of 300 ms apart, and
                    // a loaded machine delays either implementation by tens of ms.
                    let _ = writeln!(notes, "(ended after ~{} ms)", (t0.elapsed().as_millis() + 150) / 300 * 300);
                }
            }
            C::ShutWr => {
                let _ = s.shutdown(Shutdown::Write);
            }
            C::Reset => {
                let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
                drop(s);
                let _ = start;
                return format!("{}\n{notes}(client reset)\n", esc(&rx));
            }
        }
    }
    format!("{}\n{notes}client conn: {}\n", esc(&rx), end.name())
}

/// Mask what varies between runs in a log line: the syslog date and pid, the client port, the
/// accept date, the timer values (a timer that is -1 stays -1) and the process and frontend
/// connection counts.
pub fn mask_log(line: &str) -> String {
    let line = crate::harness::normalize::volatile(line);
    let mut words: Vec<String> = line.split(' ').map(String::from).collect();
    let mut timers_done = false;
    for i in 0..words.len() {
        let w = words[i].clone();
        if let Some(rest) = w.strip_prefix("127.0.0.1:") {
            if rest.chars().all(|c| c.is_ascii_digit()) {
                words[i] = "127.0.0.1:PORT".into();
            }
        }
        // The connection counts `%ac/%fc/%bc/%sc/%rc`: HAProxy now and then counts one more
        // connection on the frontend than the case ever opened (seen a few times per hundred
        // runs, with nothing else connected to the port, never in haproxide), so the process
        // and frontend counts are masked; the backend, server and retry counts stay compared.
        let parts: Vec<&str> = w.split('/').collect();
        if timers_done
            && parts.len() == 5
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            words[i] = format!("C/C/{}/{}/{}", parts[2], parts[3], parts[4]);
            continue;
        }
        // The first all-numeric slash-separated word after the server name is the timers.
        if !timers_done
            && w.contains('/')
            && w.split('/')
                .all(|p| !p.is_empty() && p.trim_start_matches(['-', '+']).chars().all(|c| c.is_ascii_digit()))
            && i > 0
            && words[i - 1].contains('/')
        {
            words[i] = w.split('/').map(|p| if p == "-1" { "-1" } else { "N" }).collect::<Vec<_>>().join("/");
            timers_done = true;
        }
    }
    words.join(" ")
}

/// Every whole number in the words after a `T` word, rounded to 300 ms (-1 stays).
fn bucket_numbers(line: &str) -> String {
    let mut after = false;
    line.split(' ')
        .map(|w| {
            if w == "T" {
                after = true;
                return w.to_string();
            }
            match w.parse::<i64>() {
                Ok(n) if after && n >= 0 => format!("~{}", (n + 150) / 300 * 300),
                _ => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Build the configuration for a batch: a global log target, `defaults` (mode http, the usual
/// timeouts and `extra`), and a frontend/backend pair per case. `${SYSLOG}` in case lines is
/// the log receiver's port.
fn config(global: &str, defaults_extra: &str, cases: &[Case], ports: &[(u16, Vec<u16>)], syslog: u16) -> String {
    let mut cfg = format!(
        "global\n  log 127.0.0.1:{syslog} local0\n{global}defaults\n  mode http\n  log global\n  timeout connect 500ms\n  timeout client 2s\n  timeout server 2s\n{defaults_extra}"
    );
    for (i, (c, (fe_port, srv_port))) in cases.iter().zip(ports).enumerate() {
        let _ = write!(
            cfg,
            "frontend f{i}\n  bind 127.0.0.1:{fe_port}{}\n{}  default_backend b{i}\nbackend b{i}\n{}",
            c.bind,
            c.fe.replace("${SYSLOG}", &syslog.to_string()),
            c.be
        );
        for (k, p) in srv_port.iter().enumerate() {
            let _ = writeln!(cfg, "  server s{} 127.0.0.1:{p}{}", k + 1, c.srv);
        }
    }
    cfg
}

/// Run every case of a batch against one implementation; one transcript per case.
pub fn run_batch(imp: Impl, defaults_extra: &str, cases: &[Case]) -> Vec<String> {
    run_batch_in(imp, "", defaults_extra, cases)
}

/// [`run_batch`] with extra `global` lines (two-space indented, each ending in `\n`).
pub fn run_batch_in(imp: Impl, global: &str, defaults_extra: &str, cases: &[Case]) -> Vec<String> {
    let syslog = UdpSyslog::start();
    let servers: Vec<Vec<ScriptServer>> = cases
        .iter()
        .map(|c| {
            if c.server.is_empty() {
                Vec::new()
            } else {
                (0..c.nsrv).map(|_| ScriptServer::start(c.server.clone())).collect()
            }
        })
        .collect();
    let mut t = Template::new();
    let ports: Vec<(u16, Vec<u16>)> =
        (0..cases.len()).map(|i| (t.port(i), servers[i].iter().map(|s| s.port).collect())).collect();
    let cfg = config(global, defaults_extra, cases, &ports, syslog.port());
    let mut h = proc::start(imp, &cfg, &[]);
    let fe_ports: Vec<u16> = ports.iter().map(|p| p.0).collect();
    h.wait_ready(&fe_ports, &[]);
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let port = ports[i].0;
        // Nothing else is connected to this case's frontend when it starts (its log lines
        // count the frontend's connections).
        crate::harness::wait::wait_until(Duration::from_secs(2), || !crate::harness::sockets::accepted_open(port));
        let mut text = String::new();
        if c.clients.is_empty() {
            text.push_str(&run_client(port, &c.client));
        } else if c.concurrent {
            let handles: Vec<_> = c
                .clients
                .iter()
                .map(|steps| {
                    let steps = steps.clone();
                    std::thread::spawn(move || run_client(port, &steps))
                })
                .collect();
            for (k, h) in handles.into_iter().enumerate() {
                let _ = write!(text, "client {k}: {}", h.join().unwrap_or_default());
            }
        } else {
            for (k, steps) in c.clients.iter().enumerate() {
                if k > 0 {
                    // Let the proxy see the previous client leave (its counters show it).
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = write!(text, "client {k}: {}", run_client(port, steps));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
        // The proxy has closed this case's client connections before the next case starts:
        // its log line counts the connections (`%ac`) the same way in both processes.
        crate::harness::wait::wait_until(Duration::from_secs(2), || !crate::harness::sockets::accepted_open(port));
        for (k, s) in servers[i].iter().enumerate() {
            let label = if servers[i].len() > 1 { format!("s{} ", k + 1) } else { String::new() };
            text.push_str(&s.transcript(&label));
        }
        out.push(text);
    }
    std::thread::sleep(Duration::from_millis(200));
    let logs = syslog.messages().all();
    for (i, text) in out.iter_mut().enumerate() {
        let tag = format!(" f{i} ");
        let tag2 = format!("(f{i}/");
        // `<client> [<date>] f0/<listener>: <why>`: a connection dropped before its session.
        let tag3 = format!(" f{i}/");
        for l in logs.iter().filter(|l| l.contains(&tag) || l.contains(&tag2) || l.contains(&tag3)) {
            let line = if cases[i].timers { bucket_numbers(&mask_log(l)) } else { mask_log(l) };
            let _ = writeln!(text, "log: {line}");
        }
    }
    let (_, stderr) = h.kill();
    if stderr.contains("[ALERT]") {
        for t in out.iter_mut() {
            let _ = write!(t, "\nALERT on stderr:\n{stderr}");
        }
    }
    out
}

/// Run a batch through both implementations and fail with every differing case.
#[track_caller]
pub fn check(defaults_extra: &str, cases: &[Case]) {
    check_in("", defaults_extra, cases);
}

/// [`check`] with extra `global` lines.
#[track_caller]
pub fn check_in(global: &str, defaults_extra: &str, cases: &[Case]) {
    let [theirs, ours] = both(|imp| run_batch_in(imp, global, defaults_extra, cases));
    let mut report = String::new();
    let mut failed = 0;
    for (i, c) in cases.iter().enumerate() {
        if let Some(d) = text_diff(&theirs[i], &ours[i]) {
            failed += 1;
            let _ = write!(
                report,
                "\n=== case '{}' differs\n{d}--- haproxy:\n{}\n--- haproxide:\n{}\n",
                c.name, theirs[i], ours[i]
            );
        }
    }
    if std::env::var_os("HTTP_KIT_SHOW").is_some() {
        for (i, c) in cases.iter().enumerate() {
            eprintln!("=== case '{}':\n{}", c.name, theirs[i]);
        }
    }
    if failed > 0 {
        panic!("{failed} of {} cases differ from haproxy:{report}", cases.len());
    }
}

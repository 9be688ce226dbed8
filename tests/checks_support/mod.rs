//! Small, self-contained helpers for the check scenarios: a syslog receiver, mock servers whose
//! behaviour can change mid-test, and the haproxide binary run in the foreground with its stderr
//! captured. Everything binds port 0 and is stopped on drop; waiting is done by deadline polling.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A UDP syslog receiver keeping every message (header stripped up to `]: `) with its priority.
pub struct Syslog {
    pub port: u16,
    lines: Arc<Mutex<Vec<(u8, String)>>>,
}

impl Syslog {
    pub fn start() -> Syslog {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = lines.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = sock.recv(&mut buf) {
                let s = String::from_utf8_lossy(&buf[..n]).into_owned();
                let pri: u8 = s[1..s.find('>').unwrap_or(1)].parse().unwrap_or(0);
                let msg = s.split_once("]: ").map(|x| x.1).unwrap_or(&s).trim_end_matches('\n').to_string();
                l2.lock().unwrap().push((pri, msg));
            }
        });
        Syslog { port, lines }
    }
    /// State-change lines (traffic lines left out), durations normalised.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, l)| !l.starts_with("Connect from"))
            .map(|(p, l)| format!("<{p}>{}", normalise(l)))
            .collect()
    }
}

/// Check durations vary from run to run.
pub fn normalise(l: &str) -> String {
    let mut out = String::new();
    let mut rest = l;
    while let Some(p) = rest.find("check duration: ") {
        out.push_str(&rest[..p + 16]);
        rest = &rest[p + 16..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        out.push('N');
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[derive(Clone, Debug)]
pub enum Mode {
    /// Not listening: connections are refused.
    Refuse,
    /// Read an HTTP request, answer this status line with a small body.
    Http(String),
    /// Read whatever comes (briefly), write these bytes, close.
    Reply(Vec<u8>),
    /// Accept and never answer.
    Silent,
}

/// A mock server on 127.0.0.1 whose behaviour can change.
pub struct Mock {
    pub port: u16,
    mode: Arc<Mutex<Mode>>,
    pub hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Mock {
    pub fn start(mode: Mode) -> Mock {
        // The listener is kept from the start so that no one else takes the port.
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        first.set_nonblocking(true).unwrap();
        let port = first.local_addr().unwrap().port();
        let m = Mock {
            port,
            mode: Arc::new(Mutex::new(mode)),
            hits: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (mode, hits, stop) = (m.mode.clone(), m.hits.clone(), m.stop.clone());
        thread::spawn(move || {
            let mut listener: Option<TcpListener> = Some(first);
            while !stop.load(Ordering::Relaxed) {
                let refuse = matches!(*mode.lock().unwrap(), Mode::Refuse);
                if refuse {
                    listener = None;
                    thread::sleep(Duration::from_millis(2));
                    continue;
                }
                if listener.is_none() {
                    match TcpListener::bind(("127.0.0.1", port)) {
                        Ok(l) => {
                            l.set_nonblocking(true).unwrap();
                            listener = Some(l);
                        }
                        Err(_) => {
                            thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                    }
                }
                match listener.as_ref().unwrap().accept() {
                    Ok((c, _)) => {
                        let cur = mode.lock().unwrap().clone();
                        let hits = hits.clone();
                        thread::spawn(move || serve(c, cur, hits));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        m
    }
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut c: TcpStream, mode: Mode, hits: Arc<AtomicUsize>) {
    let _ = c.set_nonblocking(false);
    hits.fetch_add(1, Ordering::Relaxed);
    match mode {
        Mode::Refuse => {}
        Mode::Silent => thread::sleep(Duration::from_secs(30)),
        Mode::Http(status) => {
            let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = c.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\nhello").as_bytes());
            thread::sleep(Duration::from_millis(20));
        }
        Mode::Reply(bytes) => {
            let _ = c.set_read_timeout(Some(Duration::from_millis(30)));
            let mut chunk = [0u8; 4096];
            let _ = c.read(&mut chunk);
            let _ = c.write_all(&bytes);
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A free TCP port on 127.0.0.1 (nothing listens on it afterwards).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// haproxide running in the foreground; killed on drop.
pub struct Proxy {
    child: Child,
    pub stderr: Arc<Mutex<Vec<String>>>,
    _cfg: TempFile,
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Proxy {
    /// Start with this configuration (the `{syslog}` placeholder becomes the receiver's port).
    pub fn start(cfg: &str) -> Proxy {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "haproxide-checks-{}-{}.cfg",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, cfg).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_haproxide"))
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let s2 = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                s2.lock().unwrap().push(line);
            }
        });
        Proxy { child, stderr, _cfg: TempFile(path) }
    }

    /// Send a signal to the process (SIGUSR1: soft stop).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig);
    }

    /// Stderr lines with the pid and durations normalised.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                let l = normalise(l);
                match (l.find('('), l.find(") :")) {
                    (Some(a), Some(b)) if a < b => format!("{}(PID{}", &l[..a], &l[b..]),
                    _ => l,
                }
            })
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll until `f` holds, or panic after `secs` with what was seen.
pub fn wait_until<T: std::fmt::Debug>(
    secs: u64,
    what: &str,
    mut probe: impl FnMut() -> T,
    f: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = probe();
        if f(&v) {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; last seen: {v:#?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Wait until the syslog has at least `n` state lines and return them.
pub fn wait_lines(log: &Syslog, n: usize, secs: u64) -> Vec<String> {
    wait_until(secs, &format!("{n} log lines"), || log.lines(), |l| l.len() >= n)
}

/// The usual head of a scenario configuration.
pub fn head(log_port: u16) -> String {
    format!(
        "global\n  log 127.0.0.1:{log_port} local0\ndefaults\n  mode http\n  log global\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:{}\n  default_backend be\n",
        free_port()
    )
}

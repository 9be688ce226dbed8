//! The stats socket listeners and sessions. Sockets are bound at start (before privileges are
//! dropped), each Unix socket through a temporary name renamed over the final path, so a stale
//! socket left by a previous run is replaced, with the configured mode and owner. A session reads
//! requests with [`super::framing`], runs them, and writes HAProxy's terminators: `"\n"` after
//! each reply, `"\n> "` in prompt mode, nothing while a payload is being gathered. Without
//! prompt mode the connection closes once no more input is waiting. `stats maxconn` (default
//! 10) bounds the sessions across all sockets; `stats timeout` (default 10s, or `set timeout
//! cli`) closes a session idle between requests (as in HAProxy, not one that stopped in the
//! middle of a line).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use super::commands::{self, Ctx, Level, Severity, SocketInfo};
use super::framing::{self, Frame, Framer, BUFSIZE};
use super::Shared;
use crate::engine::{Engine, EngineError};
use crate::ir::addr::Family;
use crate::ir::types::{Bind, CliLevel};

/// HAProxy's defaults for the CLI frontend (`cli_alloc_fe`).
const DEFAULT_MAXCONN: u32 = 10;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One bound stats socket.
pub struct BoundSocket {
    listener: std::sync::Mutex<Option<StdListener>>,
    level: Level,
    severity: Severity,
}

pub enum StdListener {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener),
}

/// Everything [`bind`] prepared, handed to [`spawn`] once the runtime runs.
pub struct Bound {
    sockets: Vec<BoundSocket>,
    shared: Arc<Shared>,
    maxconn: u32,
    timeout: Duration,
}

impl Bound {
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

fn level_of(l: Option<CliLevel>) -> Level {
    match l.unwrap_or(CliLevel::Operator) {
        CliLevel::User => Level::User,
        CliLevel::Operator => Level::Operator,
        CliLevel::Admin => Level::Admin,
    }
}

fn severity_of(s: Option<&str>) -> Severity {
    match s {
        Some("number") => Severity::Number,
        Some("string") => Severity::String,
        _ => Severity::None,
    }
}

/// HAProxy's start-up failure for a stats socket, both of its lines.
fn bind_error(b: &Bind, unix: bool, addr: &str, e: &std::io::Error) -> EngineError {
    let reason =
        e.raw_os_error().map(|c| nix::errno::Errno::from_raw(c).desc().to_string()).unwrap_or_else(|| e.to_string());
    let what = if unix { "UNIX socket" } else { "socket" };
    EngineError::Other(format!(
        "Binding [{}:{}] for frontend GLOBAL: cannot bind {what} ({reason}) [{addr}]\n[ALERT]    ({}) : [haproxy.main()] Some protocols failed to start their listeners! Exiting.",
        b.span.file,
        b.span.line,
        std::process::id()
    ))
}

/// Bind every `stats socket` of the configuration. Unix sockets get their mode and owner here,
/// while the process still may change them.
pub fn bind(eng: &Arc<Engine>) -> Result<Bound, EngineError> {
    let g = &eng.config.global;
    let mut sockets = Vec::new();
    let mut infos = Vec::new();
    for b in &g.stats_sockets {
        let (listener, name) = bind_one(b)?;
        infos.push(SocketInfo { name, level: level_of(b.opts.level) });
        sockets.push(BoundSocket {
            listener: std::sync::Mutex::new(Some(listener)),
            level: level_of(b.opts.level),
            severity: severity_of(b.opts.severity_output.as_deref()),
        });
    }
    let shared = Arc::new(Shared { sockets: infos, ..Default::default() });
    Ok(Bound {
        sockets,
        shared,
        maxconn: g.stats_maxconn.unwrap_or(DEFAULT_MAXCONN).max(1),
        timeout: g.stats_timeout.map(|ms| Duration::from_millis(u64::from(ms))).unwrap_or(DEFAULT_TIMEOUT),
    })
}

pub fn bind_one(b: &Bind) -> Result<(StdListener, String), EngineError> {
    let a = &b.addr;
    match a.family {
        Family::Unix => {
            let path = match &a.host {
                crate::ir::addr::Host::Path(p) => p.clone(),
                _ => a.text.trim_start_matches("unix@").to_string(),
            };
            let l = bind_unix(Path::new(&path), b).map_err(|e| bind_error(b, true, &path, &e))?;
            Ok((StdListener::Unix(l), format!("unix@{path}")))
        }
        Family::Inet | Family::Ipv4 | Family::Ipv6 => {
            let Some(sa) = a.socket_addrs().into_iter().next() else {
                return Err(EngineError::Other(format!("stats socket: no address to bind in '{}'", a.text)));
            };
            let l = bind_tcp(sa, b).map_err(|e| bind_error(b, false, &sa.to_string(), &e))?;
            let local = l.local_addr().unwrap_or(sa);
            let name = match local {
                std::net::SocketAddr::V4(v) => format!("ipv4@{}:{}", v.ip(), v.port()),
                std::net::SocketAddr::V6(v) => format!("ipv6@[{}]:{}", v.ip(), v.port()),
            };
            Ok((StdListener::Tcp(l), name))
        }
        _ => Err(EngineError::Other(format!(
            "stats socket: the address family of '{}' is not supported yet by haproxide",
            a.text
        ))),
    }
}

fn bind_tcp(sa: std::net::SocketAddr, b: &Bind) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    s.bind(&sa.into())?;
    s.listen(b.opts.backlog.unwrap_or(1024).clamp(1, 65535) as i32)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// HAProxy's Unix socket dance: bind a temporary name, give it its mode and owner, listen, then
/// rename it over the final path (which replaces a stale socket atomically).
fn bind_unix(path: &Path, b: &Bind) -> std::io::Result<std::os::unix::net::UnixListener> {
    let tmp = PathBuf::from(format!("{}.{}.tmp", path.display(), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let l = std::os::unix::net::UnixListener::bind(&tmp)?;
    let uid = b.opts.uid.or_else(|| {
        b.opts.user.as_deref().and_then(|u| nix::unistd::User::from_name(u).ok().flatten()).map(|u| u.uid.as_raw())
    });
    let gid = b.opts.gid.or_else(|| {
        b.opts.group.as_deref().and_then(|g| nix::unistd::Group::from_name(g).ok().flatten()).map(|g| g.gid.as_raw())
    });
    let done = (|| {
        if uid.is_some() || gid.is_some() {
            nix::unistd::chown(&tmp, uid.map(nix::unistd::Uid::from_raw), gid.map(nix::unistd::Gid::from_raw))
                .map_err(std::io::Error::from)?;
        }
        if let Some(mode) = b.opts.mode {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Start serving every bound socket. Call inside the runtime.
pub fn spawn(eng: Arc<Engine>, bound: Bound) {
    let limit = Arc::new(Semaphore::new(bound.maxconn as usize));
    for s in bound.sockets {
        let Some(l) = s.listener.lock().ok().and_then(|mut g| g.take()) else { continue };
        let conf = Arc::new(SocketConf { level: s.level, severity: s.severity });
        let eng = eng.clone();
        let shared = bound.shared.clone();
        let limit = limit.clone();
        let timeout = bound.timeout;
        tokio::spawn(async move {
            let res = match l {
                StdListener::Tcp(t) => match tokio::net::TcpListener::from_std(t) {
                    Ok(t) => {
                        accept_loop(eng, shared, limit, conf, timeout, || async {
                            t.accept().await.map(|(s, _)| {
                                let _ = s.set_nodelay(true);
                                CliStream::Tcp(s)
                            })
                        })
                        .await;
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                StdListener::Unix(u) => match tokio::net::UnixListener::from_std(u) {
                    Ok(u) => {
                        accept_loop(eng, shared, limit, conf, timeout, || async {
                            u.accept().await.map(|(s, _)| CliStream::Unix(s))
                        })
                        .await;
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = res {
                tracing::error!("stats socket: cannot register listener: {e}");
            }
        });
    }
}

struct SocketConf {
    level: Level,
    severity: Severity,
}

async fn accept_loop<F, Fut>(
    eng: Arc<Engine>,
    shared: Arc<Shared>,
    limit: Arc<Semaphore>,
    conf: Arc<SocketConf>,
    timeout: Duration,
    accept: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<CliStream>>,
{
    let mut state = eng.run_state.subscribe();
    loop {
        if eng.is_stopping() {
            return;
        }
        // Like any HAProxy listener: no accept while the frontend is full.
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = state.changed() => continue,
        };
        let conn = tokio::select! {
            c = accept() => c,
            _ = state.changed() => continue,
        };
        match conn {
            Ok(stream) => {
                let eng = eng.clone();
                let shared = shared.clone();
                let conf = conf.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    // Each CLI connection counts in CumConns and CumReq, as in HAProxy.
                    eng.total_conns.inc();
                    eng.total_requests.inc();
                    shared.active.fetch_add(1, Relaxed);
                    session(&eng, &shared, &conf, timeout, stream).await;
                    shared.active.fetch_sub(1, Relaxed);
                });
            }
            Err(e) => {
                tracing::warn!("stats socket: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

enum CliStream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl CliStream {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            CliStream::Tcp(s) => s.read(buf).await,
            CliStream::Unix(s) => s.read(buf).await,
        }
    }
    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            CliStream::Tcp(s) => s.write_all(buf).await,
            CliStream::Unix(s) => s.write_all(buf).await,
        }
    }
    async fn shutdown(&mut self) {
        let _ = match self {
            CliStream::Tcp(s) => s.shutdown().await,
            CliStream::Unix(s) => s.shutdown().await,
        };
    }
    /// Whatever input already sits in the socket, without waiting (HAProxy looks at the bytes
    /// it has already received to decide whether more commands follow).
    fn read_pending(&self, out: &mut Vec<u8>) -> bool {
        let sock = match self {
            CliStream::Tcp(s) => socket2::SockRef::from(s),
            CliStream::Unix(s) => socket2::SockRef::from(s),
        };
        let mut buf = [0u8; 4096];
        let mut got = false;
        while out.len() < crate::ir::types::Buffers::running_bufsize() {
            match (&*sock).read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    got = true;
                }
            }
        }
        got
    }
}

/// The reply to a line that can never fit in HAProxy's buffer (HAProxy itself stops reading).
fn too_long(max_line: usize) -> String {
    format!("Request line too long: the limit is {max_line} bytes, terminator included.\n")
}

/// One CLI session, until `quit`, the end of non-interactive input, an error or the timeout.
async fn session(eng: &Arc<Engine>, shared: &Shared, conf: &SocketConf, timeout: Duration, mut stream: CliStream) {
    let mut sess = commands::Session::new(conf.level, conf.severity, timeout);
    let mut framer = Framer::with_bufsize(eng.buffers.bufsize as usize);
    let mut input: Vec<u8> = Vec::with_capacity(1024);
    let mut eof = false;
    let mut buf = vec![0u8; BUFSIZE];
    loop {
        match framer.next(&mut input, eof) {
            Frame::Incomplete => {
                // As in HAProxy, the idle timeout runs while the session waits for a new
                // request; a client that stopped in the middle of a line is kept.
                let read = stream.read(&mut buf);
                let got =
                    if input.is_empty() { tokio::time::timeout(sess.timeout, read).await } else { Ok(read.await) };
                match got {
                    Ok(Ok(0)) => eof = true,
                    Ok(Ok(n)) => input.extend_from_slice(&buf[..n]),
                    Ok(Err(_)) | Err(_) => break,
                }
                continue;
            }
            Frame::Abort => {
                if !eof {
                    let _ = write(&mut stream, too_long(framer.max_line()).as_bytes(), sess.timeout).await;
                }
                break;
            }
            Frame::PayloadLine => {
                if sess.prompt && write(&mut stream, b"+ ", sess.timeout).await.is_err() {
                    break;
                }
                continue;
            }
            Frame::Request { line, payload } => {
                let words = framing::split_words(&line);
                let out = {
                    let mut ctx = Ctx { eng, sess: &mut sess, shared };
                    commands::dispatch(&mut ctx, &words, payload.as_deref())
                };
                if sess.quit {
                    break;
                }
                let mut bytes = out.render(sess.severity);
                bytes.extend_from_slice(framing::terminator(sess.prompt, false, sess.nolf));
                sess.nolf = false;
                if write(&mut stream, &bytes, sess.timeout).await.is_err() {
                    break;
                }
                if !sess.prompt && input.is_empty() && !stream.read_pending(&mut input) {
                    // Non-interactive: the session ends once no more input is waiting.
                    break;
                }
            }
        }
    }
    stream.shutdown().await;
}

async fn write(stream: &mut CliStream, bytes: &[u8], timeout: Duration) -> Result<(), ()> {
    if bytes.is_empty() {
        return Ok(());
    }
    match tokio::time::timeout(timeout, stream.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

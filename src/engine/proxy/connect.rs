//! Getting a server connection for a request: ask the balancer (queueing when every server is
//! full), connect with `timeout connect`, retry `retries` times, and redispatch to another server
//! as `option redispatch` says, counting wretr/wredis/econ as HAProxy does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::outgoing::{self, OpenFailure};
use super::pp::encode::{encode, Origin, SendProxy};

use crate::engine::backend::{Acquired, Backend, Server};
use crate::engine::lb::PickRequest;

/// Default `timeout connect` when none is set: HAProxy waits forever; we cap it so a missing
/// timeout cannot pin a task for ever, at a value no real deployment relies on.
const NO_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Why no server connection could be made; each maps to a 503 and a termination state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// No usable server (`SC` with `<NOSRV>` when none was ever assigned).
    NoServer,
    /// Waited in the queue until `timeout queue` (`sQ`).
    QueueTimeout,
    /// `maxqueue` reached.
    QueueFull,
    /// Every attempt failed (`SC`).
    Refused,
    /// The last attempt timed out (`sC`).
    Timeout,
}

/// A server connection and what it took to get it.
pub struct Connected {
    pub stream: TcpStream,
    pub server: Arc<Server>,
    pub addr: SocketAddr,
    pub retries: u32,
    pub redispatched: bool,
    pub t_queue: Duration,
    pub t_connect: Duration,
    /// Still on the server persistence chose (HAProxy's SF_DIRECT survived).
    pub direct: bool,
}

/// What happened, for logs and counters, when connecting failed.
pub struct Failed {
    pub why: ConnectFailure,
    /// The server last tried, if any (logged as the server name).
    pub server: Option<Arc<Server>>,
    /// The address the last connection attempt went to (logged as `%si:%sp`).
    pub addr: Option<std::net::SocketAddr>,
    /// The local address the last attempt was made from, once its `connect` started
    /// (logged as `%bi:%bp`).
    pub local: Option<std::net::SocketAddr>,
    pub retries: u32,
    pub redispatched: bool,
    pub t_queue: Duration,
}

fn ms(v: Option<u32>) -> Option<Duration> {
    v.map(|m| Duration::from_millis(u64::from(m)))
}

/// Does `option redispatch <interval>` ask for a redispatch after `retry` retries (1-based)?
/// HAProxy: a positive interval P redispatches every P-th retry; a negative N redispatches when
/// the number of retries made is a multiple of (retries + 1 + N) (-1, the default: the last retry).
pub fn redispatch_now(interval: i32, retry: u32, retries: u32) -> bool {
    if interval > 0 {
        retry.is_multiple_of(interval as u32)
    } else {
        let modulus = i64::from(retries) + 1 + i64::from(interval);
        modulus > 0 && i64::from(retry) % modulus == 0
    }
}

/// A server for a request: an idle connection the caller already had for the server the
/// balancer picked, or a new connection.
pub enum Got<R> {
    Reused { conn: R, server: Arc<Server>, t_queue: Duration },
    New(Connected),
}

pub async fn connect(
    eng: &crate::engine::Engine,
    be: &Backend,
    hash_key: Option<&[u8]>,
    dst_port: u16,
    forced: Option<Arc<Server>>,
    force_persist: bool,
    origin: &Origin<'_>,
) -> Result<Connected, Failed> {
    match connect_or_reuse(eng, be, hash_key, dst_port, forced, force_persist, origin, |_| None::<()>).await? {
        Got::New(c) => Ok(c),
        // Nothing is ever reused here.
        Got::Reused { server, t_queue, .. } => Err(Failed {
            why: ConnectFailure::NoServer,
            server: Some(server),
            addr: None,
            local: None,
            retries: 0,
            redispatched: false,
            t_queue,
        }),
    }
}

/// Pick a server and get a connection to it. `reuse` is asked first, for the server the
/// balancer picked, whether an idle connection to it can serve the request. `forced`: a server
/// chosen by persistence (`use-server`, a cookie), taken without asking the balancer;
/// `force_persist`: a `force-persist` rule matched, so it is never redispatched. A server
/// with `send-proxy*` gets the PROXY header about `origin` first on a new connection. New
/// connections are bound to the server's `source` first; what a failed bind or a lack of free
/// ports means goes to `eng`'s logs for the backend, as HAProxy says it.
#[allow(clippy::too_many_arguments)]
pub async fn connect_or_reuse<R>(
    eng: &crate::engine::Engine,
    be: &Backend,
    hash_key: Option<&[u8]>,
    dst_port: u16,
    forced: Option<Arc<Server>>,
    force_persist: bool,
    origin: &Origin<'_>,
    mut reuse: impl FnMut(&Arc<Server>) -> Option<R>,
) -> Result<Got<R>, Failed> {
    let p = &be.spec;
    let t_connect_max = ms(p.timeouts.connect).unwrap_or(NO_TIMEOUT);
    let queue_timeout = ms(p.timeouts.queue).or(ms(p.timeouts.connect)).unwrap_or(NO_TIMEOUT);
    let retries = p.retries.unwrap_or(3).max(0) as u32;
    let started = Instant::now();
    let mut avoid: Option<usize> = None;
    let mut attempt: u32 = 0;
    let mut redispatched = false;
    let mut t_queue = Duration::ZERO;
    let mut direct = forced.is_some();
    let mut server: Option<Arc<Server>> = forced.inspect(|s| be.take(s));
    let mut previous: Option<usize> = None;
    loop {
        let srv = match server.take() {
            Some(s) => s,
            None => {
                let req = PickRequest { hash_key, avoid };
                let q0 = Instant::now();
                let got = be.acquire(&req, queue_timeout, 0).await;
                t_queue += q0.elapsed();
                match got {
                    Acquired::Server(s) => {
                        if let Some(prev) = previous.take() {
                            if prev != s.idx {
                                s.counters.redispatches.inc();
                                be.counters.redispatches.inc();
                                redispatched = true;
                            } else {
                                s.counters.retries.inc();
                                be.counters.retries.inc();
                            }
                        }
                        s
                    }
                    other => {
                        let why = match other {
                            Acquired::QueueTimeout => ConnectFailure::QueueTimeout,
                            Acquired::QueueFull => ConnectFailure::QueueFull,
                            _ => ConnectFailure::NoServer,
                        };
                        return Err(Failed {
                            why,
                            server: None,
                            addr: None,
                            local: None,
                            retries: attempt,
                            redispatched,
                            t_queue,
                        });
                    }
                }
            }
        };
        if attempt == 0 && previous.is_none() {
            if let Some(conn) = reuse(&srv) {
                return Ok(Got::Reused { conn, server: srv, t_queue });
            }
        }
        let target = srv.addr.load().target(dst_port);
        let c0 = Instant::now();
        let mut local = None;
        let result = match target {
            Some(addr) => {
                let opened = outgoing::open(addr, be.source_of(&srv), t_connect_max).await;
                local = opened.local;
                match opened.result {
                    Ok(s) => Ok((s, addr)),
                    Err(why) => {
                        say(eng, be, why);
                        Err(if why == OpenFailure::Timeout { ConnectFailure::Timeout } else { ConnectFailure::Refused })
                    }
                }
            }
            None => Err(ConnectFailure::Refused),
        };
        match result {
            Ok((mut stream, addr)) => {
                be.observe(srv.idx, crate::engine::health::Hana::L4Ok);
                let _ = stream.set_nodelay(true);
                super::sockopt::apply_keepalive(&stream, be.server_keepalive.as_ref());
                let how = SendProxy::of(&srv.spec.opts);
                if how.enabled() {
                    // A failed write shows up as the connection failing when the stream uses it.
                    let _ = stream.write_all(encode(&how, origin).as_bytes()).await;
                }
                return Ok(Got::New(Connected {
                    stream,
                    server: srv,
                    addr,
                    retries: attempt,
                    redispatched,
                    t_queue,
                    t_connect: c0.elapsed(),
                    direct,
                }));
            }
            Err(why) => {
                be.observe(srv.idx, crate::engine::health::Hana::L4Err);
                if attempt >= retries {
                    srv.counters.conn_errors.inc();
                    be.counters.conn_errors.inc();
                    be.release(&srv);
                    let _ = started;
                    return Err(Failed {
                        why,
                        server: Some(srv),
                        addr: target,
                        local,
                        retries: attempt,
                        redispatched,
                        t_queue,
                    });
                }
                attempt += 1;
                // HAProxy redispatches when asked to, when the server is no longer running, and
                // at once with a round-robin algorithm when another active server exists (the
                // choice of server did not matter then).
                let rr_kind =
                    matches!(p.balance, crate::ir::types::Balance::RoundRobin | crate::ir::types::Balance::StaticRr);
                let several_active = be.usable_counts().0 > 1;
                // A persistent server is only left when it is down or the interval says so, and
                // never under `force-persist`.
                let redisp = !force_persist
                    && p.redispatch.is_some_and(|r| {
                        !be.state(srv.idx).usable()
                            || redispatch_now(r.interval, attempt, retries)
                            || (!direct && several_active && rr_kind)
                    });
                // A refused connection is retried after a turn-around delay of
                // min(1s, timeout connect), unless a round-robin redispatch can go elsewhere at
                // once; a timed out attempt is retried at once.
                if why == ConnectFailure::Refused && (!redisp || !rr_kind || !several_active) {
                    let delay = t_connect_max.min(Duration::from_secs(1));
                    let spent = c0.elapsed();
                    if delay > spent {
                        tokio::time::sleep(delay - spent).await;
                    }
                }
                if redisp {
                    direct = false;
                    // Counted as a redispatch only if another server gets picked (below).
                    avoid = Some(srv.idx);
                    be.release(&srv);
                    previous = Some(srv.idx);
                } else {
                    srv.counters.retries.inc();
                    be.counters.retries.inc();
                    server = Some(srv);
                }
            }
        }
    }
}

/// HAProxy's words for an attempt that failed on our side of the connection: an alert when
/// the source address cannot be bound, an error when no local port is free.
fn say(eng: &crate::engine::Engine, be: &Backend, why: OpenFailure) {
    let Some(text) = why.message(&be.name) else { return };
    use crate::engine::events::{LOG_EMERG, LOG_ERR};
    let (level, stderr) = match why {
        OpenFailure::Bind => (LOG_EMERG, format!("[ALERT]    ({}) : {text} Aborting.", std::process::id())),
        // Printed bare, without HAProxy's usual prefix.
        _ => (LOG_ERR, text.clone()),
    };
    crate::engine::events::emit(eng, be, &[crate::engine::events::Line { level, text, stderr }]);
}

#[cfg(test)]
mod tests {
    use super::redispatch_now;

    #[test]
    fn redispatch_schedule() {
        // Default (-1): only the last of 3 retries redispatches.
        let got: Vec<bool> = (1..=3).map(|r| redispatch_now(-1, r, 3)).collect();
        assert_eq!(got, vec![false, false, true]);
        // Every retry.
        assert!((1..=3).all(|r| redispatch_now(1, r, 3)));
        // Every second retry.
        let got: Vec<bool> = (1..=4).map(|r| redispatch_now(2, r, 4)).collect();
        assert_eq!(got, vec![false, true, false, true]);
        // -2 with 3 retries: every second retry (modulus 3 + 1 - 2).
        let got: Vec<bool> = (1..=3).map(|r| redispatch_now(-2, r, 3)).collect();
        assert_eq!(got, vec![false, true, false]);
        // No retries: nothing to redispatch.
        assert!(!redispatch_now(-1, 0, 0));
    }
}

//! Bidirectional byte relay with HAProxy's inactivity timeouts: the client side expires after
//! `timeout client` without data from the client, the server side after `timeout server`
//! (`timeout tunnel` replaces both once set); half-closes are propagated and the `*-fin`
//! timeouts apply to a side that has already closed. The two buffers come from the thread's
//! [`bufpool`](super::bufpool) and go back to it; nothing allocates per read.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Which side ended the relay, for termination flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayEnd {
    /// Both sides closed normally.
    Done,
    ClientTimeout,
    ServerTimeout,
    ClientError,
    ServerError,
    /// The process is stopping hard.
    Killed,
    /// The server's sessions were shut down; the byte is HAProxy's termination cause
    /// (`K` from the runtime API, `D` on-marked-down, `U` on-marked-up for backups).
    ServerKilled(u8),
}

impl RelayEnd {
    /// The termination flags HAProxy logs for a session that ended this way in its data phase.
    /// (A server shutdown shows no session state, as in HAProxy.)
    pub fn term(self) -> [u8; 4] {
        match self {
            RelayEnd::Done => *b"----",
            RelayEnd::ClientTimeout => *b"cD--",
            RelayEnd::ServerTimeout => *b"sD--",
            RelayEnd::ClientError => *b"CD--",
            RelayEnd::ServerError => *b"SD--",
            RelayEnd::Killed => *b"KD--",
            RelayEnd::ServerKilled(cause) => [cause, b'-', b'-', b'-'],
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RelayTimeouts {
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
}

pub struct RelayStats {
    /// Bytes from the client to the server.
    pub up: u64,
    /// Bytes from the server to the client.
    pub down: u64,
    pub end: RelayEnd,
}

const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Relay until both directions are closed or a timeout fires. `initial_up` and `initial_down`
/// are bytes already read from the client and the server (after an HTTP upgrade) that go out
/// first.
pub async fn relay<C, S>(
    client: &mut C,
    server: &mut S,
    t: RelayTimeouts,
    mut kill: tokio::sync::watch::Receiver<crate::engine::RunState>,
    srv: &crate::engine::backend::Server,
    initial_up: &[u8],
    initial_down: &[u8],
) -> RelayStats
where
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut up, mut down) = (initial_up.len() as u64, initial_down.len() as u64);
    if !initial_down.is_empty() && client.write_all(initial_down).await.is_err() {
        return RelayStats { up: 0, down: 0, end: RelayEnd::ClientError };
    }
    if !initial_up.is_empty() && server.write_all(initial_up).await.is_err() {
        return RelayStats { up: 0, down, end: RelayEnd::ServerError };
    }
    let mut up_buf = super::bufpool::take();
    let mut down_buf = super::bufpool::take();
    let mut client_open = true;
    let mut server_open = true;
    let now = Instant::now();
    let deadline = |d: Option<Duration>| now + d.unwrap_or(FAR);
    let mut client_deadline = deadline(t.client);
    let mut server_deadline = deadline(t.server);
    // Registered before the loop: a shutdown between two polls is not missed.
    let srv_killed = srv.shutdown.notified();
    tokio::pin!(srv_killed);
    let end = loop {
        if !client_open && !server_open {
            break RelayEnd::Done;
        }
        tokio::select! {
            r = client.read_buf(&mut up_buf), if client_open => match r {
                Ok(0) => {
                    client_open = false;
                    let _ = server.shutdown().await;
                    server_deadline = Instant::now() + t.server_fin.or(t.server).unwrap_or(FAR);
                    client_deadline = Instant::now() + FAR;
                }
                Ok(n) => {
                    let sent = server.write_all(&up_buf[..n]).await;
                    up_buf.clear();
                    if sent.is_err() {
                        break RelayEnd::ServerError;
                    }
                    up += n as u64;
                    client_deadline = Instant::now() + t.client.unwrap_or(FAR);
                }
                Err(_) => break RelayEnd::ClientError,
            },
            r = server.read_buf(&mut down_buf), if server_open => match r {
                Ok(0) => {
                    server_open = false;
                    let _ = client.shutdown().await;
                    client_deadline = Instant::now() + t.client_fin.or(t.client).unwrap_or(FAR);
                    server_deadline = Instant::now() + FAR;
                }
                Ok(n) => {
                    let sent = client.write_all(&down_buf[..n]).await;
                    down_buf.clear();
                    if sent.is_err() {
                        break RelayEnd::ClientError;
                    }
                    down += n as u64;
                    server_deadline = Instant::now() + t.server.unwrap_or(FAR);
                }
                Err(_) => break RelayEnd::ServerError,
            },
            // One timer for both sides: HAProxy reports the client side first when both expire
            // together.
            _ = tokio::time::sleep_until(client_deadline.min(server_deadline)) => {
                if client_deadline <= server_deadline {
                    break RelayEnd::ClientTimeout;
                }
                break RelayEnd::ServerTimeout;
            }
            _ = &mut srv_killed => break RelayEnd::ServerKilled(srv.shutdown_cause()),
            r = kill.changed() => {
                if r.is_err() || *kill.borrow() == crate::engine::RunState::HardStop {
                    break RelayEnd::Killed;
                }
            }
        }
    };
    super::bufpool::give(&mut up_buf);
    super::bufpool::give(&mut down_buf);
    RelayStats { up, down, end }
}

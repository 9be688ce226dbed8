//! The connection attempts of one check, through the checks' own [`Poller`]. Per check it keeps
//! whether `connect` completes the handshake by itself for this server (loopback and other
//! same-host paths do): then one `getpeername` replaces the epoll registration, the event and
//! the wake-up of the check. A server for which it did not is only looked at again every
//! [`LOOK_AGAIN_AFTER`] attempts, so a remote server pays that call rarely.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::poller::{Done, Poller};

/// How many attempts go straight to the epoll set after one that did not complete in `connect`.
pub const LOOK_AGAIN_AFTER: u8 = 16;

/// What the connectors of all checks share.
#[derive(Clone)]
pub struct Shared {
    pub poller: Arc<Poller>,
}

impl Shared {
    /// A connector for one check.
    pub fn connector(&self) -> Connector {
        Connector { poller: self.poller.clone(), skip_look: AtomicU8::new(0) }
    }
}

/// One check's way of connecting (see the module documentation).
pub struct Connector {
    poller: Arc<Poller>,
    /// Attempts left before looking whether `connect` completes by itself again (0: look).
    skip_look: AtomicU8,
}

/// A new non-blocking TCP socket; unless `linger`, closing it sends a reset (HAProxy's checks
/// do the same: no TIME_WAIT pile-up with thousands of checks, and a zero linger never blocks).
pub fn new_socket(v6: bool, linger: bool) -> io::Result<socket2::Socket> {
    let domain = if v6 { socket2::Domain::IPV6 } else { socket2::Domain::IPV4 };
    let sock = socket2::Socket::new(domain, socket2::Type::STREAM.nonblocking(), Some(socket2::Protocol::TCP))?;
    if !linger {
        sock.set_linger(Some(Duration::ZERO))?;
    }
    Ok(sock)
}

impl Connector {
    /// Whether this attempt looks for a handshake completed inside `connect`.
    fn should_look(&self) -> bool {
        let n = self.skip_look.load(Ordering::Relaxed);
        if n > 0 {
            self.skip_look.store(n - 1, Ordering::Relaxed);
        }
        n == 0
    }

    fn learn(&self, looked: bool, done: Done) {
        if looked && done == Done::Waited {
            self.skip_look.store(LOOK_AGAIN_AFTER - 1, Ordering::Relaxed);
        }
    }

    /// Connect to `addr`; `delack`: delay the handshake's last ACK so that it leaves with the
    /// first data (HAProxy's CONNECT_DELACK_ALWAYS), or never leaves when nothing is sent.
    /// `linger`: close with a FIN rather than a reset (`tcp-check connect linger`).
    pub async fn connect(&self, addr: SocketAddr, linger: bool, delack: bool) -> io::Result<socket2::Socket> {
        let sock = new_socket(addr.is_ipv6(), linger)?;
        if delack {
            let _ = sock.set_quickack(false);
        }
        let look = self.should_look();
        let done = self.poller.connect(&sock, addr, look).await?;
        self.learn(look, done);
        Ok(sock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector() -> Connector {
        Shared { poller: Poller::start().unwrap() }.connector()
    }

    #[tokio::test]
    async fn a_server_that_does_not_answer_at_once_is_looked_at_every_16th_attempt() {
        let c = connector();
        assert!(c.should_look());
        c.learn(true, Done::Waited);
        // A remote server: every attempt waits for its event.
        let looks: Vec<bool> = (0..2 * LOOK_AGAIN_AFTER as usize)
            .map(|_| {
                let look = c.should_look();
                c.learn(look, Done::Waited);
                look
            })
            .collect();
        assert_eq!(looks.iter().filter(|l| **l).count(), 2);
        assert!(looks[LOOK_AGAIN_AFTER as usize - 1] && looks[2 * LOOK_AGAIN_AFTER as usize - 1]);
        // A server whose handshakes complete in connect is looked at every time.
        let c = connector();
        for _ in 0..LOOK_AGAIN_AFTER {
            assert!(c.should_look());
            c.learn(true, Done::AtOnce);
        }
    }

    #[tokio::test]
    async fn loopback_attempts_complete_in_connect_and_failures_keep_their_error() {
        let c = connector();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        for _ in 0..3 {
            let s = c.connect(listener.local_addr().unwrap(), false, true).await.unwrap();
            assert!(s.peer_addr().is_ok());
            assert_eq!(c.skip_look.load(Ordering::Relaxed), 0, "still looking");
            let e = c.connect(closed, false, true).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        }
    }
}

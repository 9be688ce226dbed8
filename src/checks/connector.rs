//! The connection attempts of one check, through the checks' own [`Poller`]. Per check it keeps:
//!
//! - whether `connect` completes the handshake by itself for this server (loopback and other
//!   same-host paths do): then one `getpeername` replaces the epoll registration, the event and
//!   the wake-up. A server for which it did not is only looked at again every
//!   [`LOOK_AGAIN_AFTER`] attempts, so a remote server pays that call rarely;
//! - the socket of its last plain attempt, for the next one (see [`Attempt`]).
//!
//! Reuse: once a plain connection attempt is over, its socket is disconnected with
//! `connect(AF_UNSPEC)` instead of closed. The kernel runs the very same `tcp_disconnect` that
//! `close` runs on a socket with a zero linger (so the server sees the same reset, or nothing if
//! the handshake had not completed), but keeps the socket, its `SO_LINGER` and its place in the
//! poller's epoll set, and the next attempt connects it again: no `socket`, no `close`, one
//! `setsockopt` fewer, and none of the allocation and freeing of a socket, its file and its
//! inode, which is a quarter of the kernel's work on a loopback check.
//!
//! What differs from a fresh socket, and why a socket stays with its check: after a disconnect
//! the kernel does not draw a new random initial sequence number (RFC 6528) for the next
//! connection but continues past the previous one's. A socket only serves the check and the
//! destination (address and port) it was connected to, so what a server sees of its checks'
//! sequence numbers tells nothing about those of checks to other servers. Sockets are only reused after an established
//! connection (never after a failure, a timeout or a `linger` close), and never once they
//! joined tokio's reactor (checks that send or read).
//!
//! Cost: one idle descriptor (and about 3.6 KB of kernel memory: socket, inode, file) per
//! checked server between runs, within a process-wide [`SpareBudget`] that leaves the
//! descriptors of `maxconn` client and server connections alone. A check's idle socket is the
//! one its next run uses, so checks never hold more descriptors than they would with all of
//! them in flight at once.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::poller::{Done, Poller};

/// How many attempts go straight to the epoll set after one that did not complete in `connect`.
pub const LOOK_AGAIN_AFTER: u8 = 16;

/// The share of the descriptor limit left aside, beyond two per `maxconn` connection, before
/// checks keep idle sockets (an eighth, and at least [`FD_RESERVE_MIN`]).
const FD_RESERVE_SHARE: u64 = 8;
const FD_RESERVE_MIN: u64 = 100;

/// A process-wide bound on the sockets checks keep between runs.
#[derive(Debug)]
pub struct SpareBudget {
    limit: usize,
    used: AtomicUsize,
}

impl SpareBudget {
    pub fn new(limit: usize) -> SpareBudget {
        SpareBudget { limit, used: AtomicUsize::new(0) }
    }

    /// The budget for a descriptor limit and a global `maxconn`: what is left once every
    /// connection has its two descriptors and a reserve (an eighth of the limit, at least 100)
    /// is kept for listeners, logs, the CLI and checks in flight.
    pub fn for_limits(nofile: u64, maxconn: u64) -> SpareBudget {
        let reserve = (nofile / FD_RESERVE_SHARE).max(FD_RESERVE_MIN);
        let left = nofile.saturating_sub(maxconn.saturating_mul(2)).saturating_sub(reserve);
        SpareBudget::new(usize::try_from(left).unwrap_or(usize::MAX))
    }

    fn acquire(&self) -> bool {
        self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.limit).then_some(n + 1)).is_ok()
    }

    fn release(&self) {
        self.used.fetch_sub(1, Ordering::AcqRel);
    }

    /// Idle sockets held right now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// An idle socket: disconnected, `SO_LINGER` 0 set, maybe in the poller's epoll set.
struct Idle {
    sock: socket2::Socket,
    /// Where it was connected: the only destination it serves again.
    peer: SocketAddr,
    in_set: bool,
}

/// What the connectors of all checks share.
#[derive(Clone)]
pub struct Shared {
    pub poller: Arc<Poller>,
    pub budget: Arc<SpareBudget>,
}

impl Shared {
    /// A connector for one check.
    pub fn connector(&self) -> Connector {
        Connector {
            poller: self.poller.clone(),
            budget: self.budget.clone(),
            idle: Mutex::new(None),
            skip_look: AtomicU8::new(0),
        }
    }
}

/// One check's way of connecting (see the module documentation).
pub struct Connector {
    poller: Arc<Poller>,
    budget: Arc<SpareBudget>,
    idle: Mutex<Option<Idle>>,
    /// Attempts left before looking whether `connect` completes by itself again (0: look).
    skip_look: AtomicU8,
}

/// A new non-blocking TCP socket; unless `linger`, closing it sends a reset (HAProxy's checks
/// do the same: no TIME_WAIT pile-up with thousands of checks, and a zero linger never blocks).
pub fn new_socket(v6: bool, linger: bool) -> io::Result<socket2::Socket> {
    let domain = if v6 { socket2::Domain::IPV6 } else { socket2::Domain::IPV4 };
    let sock = socket2::Socket::new(domain, socket2::Type::STREAM.nonblocking(), Some(socket2::Protocol::TCP))?;
    set_linger(&sock, linger)?;
    Ok(sock)
}

/// Unless `linger`, closing `sock` sends a reset (see [`new_socket`]).
pub fn set_linger(sock: &socket2::Socket, linger: bool) -> io::Result<()> {
    if !linger {
        sock.set_linger(Some(Duration::ZERO))?;
    }
    Ok(())
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

    fn take_idle(&self, peer: SocketAddr) -> Option<Idle> {
        let idle = self.idle.lock().take()?;
        self.budget.release();
        // The server moved (`set server addr`, `check-port`...): a fresh socket, with a fresh
        // initial sequence number, for the new destination.
        (idle.peer == peer).then_some(idle)
    }

    fn keep(&self, idle: Idle) {
        if self.budget.acquire() {
            if let Some(old) = self.idle.lock().replace(idle) {
                drop(old);
                self.budget.release();
            }
        }
    }

    /// Connect to `addr`; `delack`: delay the handshake's last ACK so that it leaves with the
    /// first data (HAProxy's CONNECT_DELACK_ALWAYS), or never leaves when nothing is sent.
    /// `linger`: close with a FIN rather than a reset (`tcp-check connect linger`).
    pub async fn connect(&self, addr: SocketAddr, linger: bool, delack: bool) -> io::Result<Attempt<'_>> {
        let reusable = !linger;
        let (sock, in_set) = match reusable.then(|| self.take_idle(addr)).flatten() {
            Some(idle) => (idle.sock, idle.in_set),
            None => (new_socket(addr.is_ipv6(), linger)?, false),
        };
        if delack {
            // Per connection: a disconnect resets the socket's delayed-ACK mode.
            let _ = sock.set_quickack(false);
        }
        // Dropped unfinished (error, timeout), the attempt closes its socket.
        let (look, mut in_set) = (self.should_look(), in_set);
        let done = self.poller.connect(&sock, addr, look, &mut in_set).await?;
        self.learn(look, done);
        Ok(Attempt { home: self, sock: Some(sock), peer: addr, in_set, reusable })
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        if self.idle.get_mut().take().is_some() {
            self.budget.release();
        }
    }
}

/// An established connection of a check, not (yet) handed to tokio. Dropping it ends the
/// connection: disconnected and kept for the check's next attempt when it may be reused,
/// closed otherwise (a reset unless `linger`).
pub struct Attempt<'a> {
    home: &'a Connector,
    sock: Option<socket2::Socket>,
    peer: SocketAddr,
    in_set: bool,
    reusable: bool,
}

impl Attempt<'_> {
    /// The socket, for a tokio stream: it will not come back.
    pub fn into_socket(mut self) -> Option<socket2::Socket> {
        self.sock.take()
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let Some(sock) = self.sock.take() else { return };
        if self.reusable && rustix::net::connect_unspec(&sock).is_ok() {
            self.home.keep(Idle { sock, peer: self.peer, in_set: self.in_set });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_leaves_the_connections_their_descriptors() {
        assert_eq!(SpareBudget::for_limits(20_000, 2_000).limit, 13_500);
        // The common soft limit of 1024: room for a few hundred checks with a small maxconn,
        // none with the maxconn derived from the limit itself.
        assert_eq!(SpareBudget::for_limits(1_024, 100).limit, 696);
        assert_eq!(SpareBudget::for_limits(1_024, 502).limit, 0);
        assert_eq!(SpareBudget::for_limits(500, 100).limit, 200);
        assert_eq!(SpareBudget::for_limits(1_048_576, 100).limit, 917_304);
        let b = SpareBudget::new(2);
        assert!(b.acquire() && b.acquire());
        assert!(!b.acquire(), "full");
        b.release();
        assert!(b.acquire());
        assert_eq!(b.used(), 2);
    }

    async fn connector(limit: usize) -> (Connector, Arc<SpareBudget>) {
        let budget = Arc::new(SpareBudget::new(limit));
        (Shared { poller: Poller::start().unwrap(), budget: budget.clone() }.connector(), budget)
    }

    /// The socket's inode number: the same socket, or a new one (descriptor numbers are
    /// reused by the kernel, inode numbers are not).
    fn ino(a: &Attempt) -> u64 {
        use std::os::fd::AsRawFd;
        nix::sys::stat::fstat(a.sock.as_ref().unwrap().as_raw_fd()).unwrap().st_ino
    }

    #[tokio::test]
    async fn a_plain_attempt_reuses_its_socket_and_the_server_sees_a_reset() {
        let (c, budget) = connector(10).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // No delayed ACK: the server accepts, and sees how each connection ends.
        let a = c.connect(addr, false, false).await.unwrap();
        let first = ino(&a);
        drop(a);
        assert_eq!(budget.used(), 1);
        let (mut s1, _) = listener.accept().unwrap();
        let b = c.connect(addr, false, false).await.unwrap();
        assert_eq!(ino(&b), first, "the same socket, connected again");
        assert_eq!(budget.used(), 0, "in use, not idle");
        let (mut s2, peer2) = listener.accept().unwrap();
        assert_eq!(b.sock.as_ref().unwrap().local_addr().unwrap().as_socket(), Some(peer2));
        drop(b);
        use std::io::Read;
        for s in [&mut s1, &mut s2] {
            let e = s.read(&mut [0u8; 8]).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
        }
        // The socket left the epoll set never: the loopback handshake completed in connect.
        assert!(!c.idle.lock().as_ref().unwrap().in_set);
    }

    #[tokio::test]
    async fn failures_linger_and_a_full_budget_close_instead() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let (c, budget) = connector(10).await;
        let e = c.connect(closed, false, true).await.err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(budget.used(), 0);
        drop(c.connect(open, true, true).await.unwrap());
        assert_eq!(budget.used(), 0, "a linger close is a real close");
        drop(c.connect(open, false, true).await.unwrap());
        assert_eq!(budget.used(), 1);
        // The refused attempt after a reuse: the idle socket is spent, not kept.
        assert!(c.connect(closed, false, true).await.is_err());
        assert_eq!(budget.used(), 0);
        drop(c);
        let (c, budget) = connector(0).await;
        drop(c.connect(open, false, true).await.unwrap());
        assert_eq!(budget.used(), 0);
        assert!(c.idle.lock().is_none());
    }

    #[tokio::test]
    async fn another_destination_gets_a_fresh_socket_and_dropping_the_check_frees_its_share() {
        let (c, budget) = connector(10).await;
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let first = c.connect(a.local_addr().unwrap(), false, true).await.unwrap();
        let old = ino(&first);
        drop(first);
        assert_eq!(budget.used(), 1);
        // The server moved: the socket that served the old address is closed, not reused.
        let moved = c.connect(b.local_addr().unwrap(), false, true).await.unwrap();
        assert_eq!(budget.used(), 0);
        assert_ne!(ino(&moved), old);
        drop(moved);
        assert_eq!(c.idle.lock().as_ref().unwrap().peer, b.local_addr().unwrap());
        if let Ok(l6) = std::net::TcpListener::bind("[::1]:0") {
            drop(c.connect(l6.local_addr().unwrap(), false, true).await.unwrap());
            assert!(c.idle.lock().as_ref().unwrap().peer.is_ipv6());
            assert_eq!(budget.used(), 1);
        }
        drop(c);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn a_server_that_does_not_answer_at_once_is_looked_at_every_16th_attempt() {
        let (c, _) = connector(10).await;
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
        let (c, _) = connector(10).await;
        for _ in 0..LOOK_AGAIN_AFTER {
            assert!(c.should_look());
            c.learn(true, Done::AtOnce);
        }
    }

    #[tokio::test]
    async fn an_attempt_through_the_epoll_set_is_rearmed_next_time() {
        let (c, _) = connector(10).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Not looking: the attempt waits for its event and joins the set.
        c.skip_look.store(5, Ordering::Relaxed);
        let a = c.connect(addr, false, true).await.unwrap();
        assert!(a.in_set);
        drop(a);
        // Again through the set: re-armed with MOD (an ADD would fail with EEXIST).
        let b = c.connect(addr, false, true).await.unwrap();
        assert!(b.in_set);
        drop(b);
        assert!(c.idle.lock().as_ref().unwrap().in_set);
    }
}

//! Connection attempts of checks, watched by an epoll instance of our own instead of tokio's
//! reactor. A check that only connects (the plain `check`, the most common one by far) never
//! needs a tokio socket: registering one costs an `epoll_ctl(ADD)` on the way in, an
//! `epoll_ctl(DEL)` on the way out and a `getsockopt(SO_ERROR)` after connecting. Here a
//! socket is added once, one-shot, and leaves the epoll set by itself when it is closed (a
//! socket used again for the next attempt is re-armed with `epoll_ctl(MOD)`); its outcome is
//! read from the event (`EPOLLERR`/`EPOLLHUP` or not), and `SO_ERROR` is only asked on failure,
//! for the error text.
//!
//! Before waiting at all, an attempt may look whether the connection is already established
//! when `connect` returns: on loopback (and other same-host paths) the kernel runs the whole
//! handshake inside the call, and one `getpeername` then replaces the epoll registration, the
//! event and the wake-up of the check (see [`super::connector`], which decides when to look).
//!
//! The epoll descriptor itself is watched by tokio (it is readable when events are pending); a
//! dispatcher task drains it and wakes the waiting checks. Waiters live in a slab of slots
//! whose generation number travels in the event data, so an event for a slot that was freed
//! (its check timed out) is ignored. Once the slab is warm nothing here allocates.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use parking_lot::Mutex;
use tokio::io::unix::AsyncFd;

/// How many events one `epoll_wait` takes.
const BATCH: usize = 256;

struct EpollFd(Epoll);

impl AsRawFd for EpollFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0 .0.as_raw_fd()
    }
}

#[derive(Default)]
struct Slot {
    gen: u32,
    fired: Option<EpollFlags>,
    waker: Option<Waker>,
}

#[derive(Default)]
struct Slots {
    list: Vec<Slot>,
    free: Vec<u32>,
}

/// How a successful connection attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Established when `connect` returned (seen with `getpeername`): no event, no wake-up.
    AtOnce,
    /// Through the epoll set.
    Waited,
}

/// The checks' own epoll instance and its waiters.
pub struct Poller {
    fd: AsyncFd<EpollFd>,
    slots: Mutex<Slots>,
}

/// A slot held by one connection attempt; freeing it (drop) invalidates pending events.
struct Claim<'a> {
    poller: &'a Poller,
    idx: u32,
    gen: u32,
}

impl Claim<'_> {
    fn token(&self) -> u64 {
        (u64::from(self.gen) << 32) | u64::from(self.idx)
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<EpollFlags> {
        let mut slots = self.poller.slots.lock();
        let slot = &mut slots.list[self.idx as usize];
        if let Some(f) = slot.fired {
            return Poll::Ready(f);
        }
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut slots = self.poller.slots.lock();
        let slot = &mut slots.list[self.idx as usize];
        slot.gen = slot.gen.wrapping_add(1);
        slot.fired = None;
        slot.waker = None;
        slots.free.push(self.idx);
    }
}

fn token_parts(token: u64) -> (usize, u32) {
    ((token & 0xffff_ffff) as usize, (token >> 32) as u32)
}

impl Poller {
    /// A poller and its dispatcher task, on the current tokio runtime.
    pub fn start() -> io::Result<Arc<Poller>> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(io::Error::from)?;
        // Tokio 1.54 deprecates the safe constructor for an `unsafe fn register` whose contract
        // is that the descriptor stays open and the same while registered. `EpollFd` owns it
        // and returns that one descriptor until it is dropped with the `AsyncFd`, so the
        // contract holds by construction, without unsafe code of ours.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(EpollFd(epoll), tokio::io::Interest::READABLE)?;
        let poller = Arc::new(Poller { fd, slots: Mutex::default() });
        tokio::spawn(dispatch(poller.clone()));
        Ok(poller)
    }

    fn claim(&self) -> Claim<'_> {
        let mut slots = self.slots.lock();
        let idx = match slots.free.pop() {
            Some(i) => i,
            None => {
                slots.list.push(Slot::default());
                (slots.list.len() - 1) as u32
            }
        };
        let gen = slots.list[idx as usize].gen;
        Claim { poller: self, idx, gen }
    }

    /// Connect the non-blocking socket `sock` to `addr`. The error is the socket's own
    /// (`Connection refused`, ...) when the attempt fails.
    ///
    /// `look`: first ask whether `connect` completed the handshake by itself, and return
    /// `Ok(Done::AtOnce)` without waiting if it did. `in_set`: the socket is in this poller's
    /// epoll set already (a one-shot entry of an earlier attempt, which fired), so it is re-armed
    /// instead of added; set once the socket is in the set.
    pub async fn connect(
        &self,
        sock: &socket2::Socket,
        addr: SocketAddr,
        look: bool,
        in_set: &mut bool,
    ) -> io::Result<Done> {
        match sock.connect(&addr.into()) {
            Ok(()) => return Ok(Done::AtOnce),
            Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS as i32) => {}
            Err(e) => return Err(e),
        }
        // Established (or past it: CLOSE_WAIT) is exactly when EPOLLOUT would come without
        // EPOLLERR/EPOLLHUP; a refused or reset attempt goes on to the event and its error.
        if look && sock.peer_addr().is_ok() {
            return Ok(Done::AtOnce);
        }
        let claim = self.claim();
        let mut event = EpollEvent::new(EpollFlags::EPOLLOUT | EpollFlags::EPOLLONESHOT, claim.token());
        let epoll = &self.fd.get_ref().0;
        let armed = match *in_set {
            true => epoll.modify(sock, &mut event).or_else(|e| match e {
                Errno::ENOENT => epoll.add(sock, event),
                e => Err(e),
            }),
            false => epoll.add(sock, event),
        };
        armed.map_err(io::Error::from)?;
        *in_set = true;
        let fired = poll_fn(|cx| claim.poll(cx)).await;
        if fired.intersects(EpollFlags::EPOLLERR | EpollFlags::EPOLLHUP) {
            return Err(sock.take_error()?.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotConnected)));
        }
        Ok(Done::Waited)
    }

    /// Hand the events of one `epoll_wait` to their slots; the wakers to call are collected in
    /// `wake`, to be called once the lock is released.
    fn deliver(&self, events: &[EpollEvent], wake: &mut Vec<Waker>) {
        let mut slots = self.slots.lock();
        for ev in events {
            let (idx, gen) = token_parts(ev.data());
            let Some(slot) = slots.list.get_mut(idx) else { continue };
            if slot.gen != gen {
                continue;
            }
            slot.fired = Some(ev.events());
            wake.extend(slot.waker.take());
        }
    }
}

async fn dispatch(poller: Arc<Poller>) {
    let mut events = vec![EpollEvent::empty(); BATCH];
    let mut wake = Vec::new();
    loop {
        let Ok(mut ready) = poller.fd.readable().await else { return };
        loop {
            let n = match poller.fd.get_ref().0.wait(&mut events, EpollTimeout::ZERO) {
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    // Checks waiting here end at their deadline (L4TOUT) instead.
                    tracing::error!("check poller stopped: {e}");
                    return;
                }
            };
            if n == 0 {
                ready.clear_ready();
                break;
            }
            poller.deliver(&events[..n], &mut wake);
            for w in wake.drain(..) {
                w.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket() -> socket2::Socket {
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM.nonblocking(), None).unwrap()
    }

    #[tokio::test]
    async fn connects_and_refuses_like_the_kernel_says() {
        let poller = Poller::start().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        for _ in 0..3 {
            let done = poller.connect(&socket(), open, false, &mut false).await.unwrap();
            assert_eq!(done, Done::Waited);
            let e = poller.connect(&socket(), closed, false, &mut false).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        }
        // Slots are reused: three rounds of two attempts at a time.
        assert!(poller.slots.lock().list.len() <= 2);
    }

    #[tokio::test]
    async fn a_loopback_handshake_is_over_when_connect_returns() {
        let poller = Poller::start().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut in_set = false;
        let done = poller.connect(&socket(), listener.local_addr().unwrap(), true, &mut in_set).await.unwrap();
        assert_eq!(done, Done::AtOnce);
        assert!(!in_set, "no epoll registration");
        assert!(poller.slots.lock().list.is_empty(), "no waiter");
        // Looking does not turn a refusal into a success: the event brings the error.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let e = poller.connect(&socket(), closed, true, &mut false).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
    }

    #[tokio::test]
    async fn an_abandoned_attempt_frees_its_slot_and_its_late_event_is_ignored() {
        let poller = Poller::start().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sock = socket();
        {
            // Dropped before the dispatcher delivers anything.
            let mut in_set = false;
            let fut = poller.connect(&sock, addr, false, &mut in_set);
            let _ = tokio::time::timeout(std::time::Duration::ZERO, fut).await;
        }
        let gen_after = poller.slots.lock().list[0].gen;
        assert_eq!(gen_after, 1, "the slot was freed and its generation moved on");
        // A stale event for generation 0 changes nothing.
        let mut wake = Vec::new();
        poller.deliver(&[EpollEvent::new(EpollFlags::EPOLLOUT, 0)], &mut wake);
        assert!(poller.slots.lock().list[0].fired.is_none());
        // The slot serves the next attempt.
        poller.connect(&socket(), addr, false, &mut false).await.unwrap();
        assert_eq!(poller.slots.lock().list.len(), 1);
    }
}

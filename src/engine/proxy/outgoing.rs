//! Opening one server connection: a socket of our own (socket2), bound first to the `source`
//! address when there is one, then connected without blocking. Owning the socket is what makes
//! the attempt's local address known as soon as `connect` has started, even when the attempt
//! fails later (HAProxy logs it as `%bi`/`%bp` then too), and what lets `source` bind it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use nix::errno::Errno;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpStream;

/// Why an attempt failed, in HAProxy's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFailure {
    /// The socket could not be bound to the source address ("Cannot bind to source address
    /// before connect()"), or no socket could be made.
    Bind,
    /// `connect` said at once that no local port is free for this destination.
    NoFreePorts,
    /// `connect` said at once that the local address is in use.
    AddrInUse,
    /// Refused, unreachable, reset: the server side failed.
    Refused,
    /// No answer within `timeout connect`.
    Timeout,
}

impl OpenFailure {
    /// The line HAProxy sends to the backend's logs (and, prefixed, to stderr), if any.
    pub fn message(self, backend: &str) -> Option<String> {
        match self {
            OpenFailure::Bind => Some(format!("Cannot bind to source address before connect() for backend {backend}.")),
            OpenFailure::NoFreePorts => Some(format!("Connect() failed for backend {backend}: no free ports.")),
            OpenFailure::AddrInUse => {
                Some(format!("Connect() failed for backend {backend}: local address already in use."))
            }
            OpenFailure::Refused | OpenFailure::Timeout => None,
        }
    }
}

/// One attempt's outcome, with the local address it was made from once `connect` started
/// (`None` when it failed before).
pub struct Opened {
    pub local: Option<SocketAddr>,
    pub result: Result<TcpStream, OpenFailure>,
}

/// A non-blocking TCP socket for `peer`, bound to `source` if given. As HAProxy does, the
/// address is reusable (SO_REUSEADDR), and a source without a port leaves the port to
/// `connect` (IP_BIND_ADDRESS_NO_PORT), so that the 4-tuple, not the port alone, must be free.
pub fn socket_for(peer: SocketAddr, source: Option<SocketAddr>) -> io::Result<Socket> {
    let domain = if peer.is_ipv6() { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
    if let Some(src) = source {
        sock.set_reuse_address(true)?;
        if src.port() == 0 {
            // Older kernels lack it: the bind then takes a port, as it did before.
            let _ = nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::IpBindAddressNoPort, &true);
        }
        sock.bind(&src.into())?;
    }
    Ok(sock)
}

/// What an error of `connect` itself (not of the handshake) means.
fn immediate(e: &io::Error) -> OpenFailure {
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EAGAIN | Errno::EADDRNOTAVAIL) => OpenFailure::NoFreePorts,
        Some(Errno::EADDRINUSE) => OpenFailure::AddrInUse,
        Some(Errno::ETIMEDOUT) => OpenFailure::Timeout,
        _ => OpenFailure::Refused,
    }
}

/// Connect to `peer` from `source` (or wherever the system says), waiting at most `limit`.
pub async fn open(peer: SocketAddr, source: Option<SocketAddr>, limit: Duration) -> Opened {
    let fail = |local, why| Opened { local, result: Err(why) };
    let sock = match socket_for(peer, source) {
        Ok(s) => s,
        Err(_) => return fail(None, OpenFailure::Bind),
    };
    match sock.connect(&peer.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS as i32) => {}
        Err(e) => return fail(None, immediate(&e)),
    }
    // Read now: once an attempt fails, the kernel gives its automatic port back.
    let local = sock.local_addr().ok().and_then(|a| a.as_socket());
    let stream = match TcpStream::from_std(std::net::TcpStream::from(sock)) {
        Ok(s) => s,
        Err(_) => return fail(local, OpenFailure::Refused),
    };
    match tokio::time::timeout(limit, stream.writable()).await {
        Err(_) => fail(local, OpenFailure::Timeout),
        Ok(Err(_)) => fail(local, OpenFailure::Refused),
        Ok(Ok(())) => match stream.take_error() {
            Ok(None) => Opened { local, result: Ok(stream) },
            _ => fail(local, OpenFailure::Refused),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn binds_the_source_address_and_reports_it() {
        rt().block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let peer = l.local_addr().unwrap();
            let src: SocketAddr = "127.0.0.2:0".parse().unwrap();
            let o = open(peer, Some(src), Duration::from_secs(30)).await;
            let (_, seen) = l.accept().await.unwrap();
            assert_eq!(seen.ip(), src.ip());
            let local = o.local.unwrap();
            assert_eq!(local.ip(), src.ip());
            assert_eq!(o.result.unwrap().local_addr().unwrap(), local);
            assert_eq!(local.port(), seen.port());
        });
    }

    #[test]
    fn a_refused_attempt_keeps_its_local_address() {
        rt().block_on(async {
            // A port nobody listens on: bound, then closed.
            let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let o = open(peer, None, Duration::from_secs(30)).await;
            assert_eq!(o.result.err(), Some(OpenFailure::Refused));
            let local = o.local.expect("local address of the attempt");
            assert_eq!(local.ip(), peer.ip());
            assert_ne!(local.port(), 0);
        });
    }

    #[test]
    fn a_fixed_source_port_in_use_for_the_destination_means_no_free_ports() {
        rt().block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let peer = l.local_addr().unwrap();
            // Find a free port for the source, then hold one connection from it.
            let port = std::net::TcpListener::bind("127.0.0.3:0").unwrap().local_addr().unwrap().port();
            let src = SocketAddr::new("127.0.0.3".parse().unwrap(), port);
            let first = open(peer, Some(src), Duration::from_secs(30)).await;
            let _held = (first.result.unwrap(), l.accept().await.unwrap());
            let second = open(peer, Some(src), Duration::from_secs(30)).await;
            assert_eq!(second.result.err(), Some(OpenFailure::NoFreePorts));
            assert_eq!(second.local, None);
        });
    }

    #[test]
    fn a_source_that_is_not_local_cannot_be_bound() {
        rt().block_on(async {
            let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
            // TEST-NET-1: never an address of this host.
            let o = open(peer, Some("192.0.2.1:0".parse().unwrap()), Duration::from_secs(30)).await;
            assert_eq!(o.result.err(), Some(OpenFailure::Bind));
            assert_eq!(o.local, None);
            assert_eq!(
                OpenFailure::Bind.message("be").as_deref(),
                Some("Cannot bind to source address before connect() for backend be.")
            );
        });
    }
}

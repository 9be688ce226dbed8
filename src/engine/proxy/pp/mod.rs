//! The PROXY protocol: receiving the header a client connection starts with (`bind ...
//! accept-proxy`, `tcp-request connection expect-proxy layer4`) and the header sent to servers
//! (`send-proxy`, `send-proxy-v2`, `check-send-proxy`). The formats live in the pure
//! [`parse`] and [`encode`]; this module does the socket side the way HAProxy 2.6 does.

pub mod crc32c;
pub mod encode;
pub mod parse;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use parse::{Parsed, PpError};

/// Bytes looked at first: every v1 line and the usual v2 headers fit.
const FIRST_LOOK: usize = 512;

/// Why no header was taken from a connection: HAProxy's connection error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("Connection closed while waiting for PROXY protocol header")]
    Empty,
    #[error("Connection error while waiting for PROXY protocol header")]
    Abort,
    #[error("Timeout while waiting for PROXY protocol header")]
    Timeout,
    #[error("Truncated PROXY protocol header received")]
    Truncated,
    #[error("{0}")]
    Bad(PpError),
}

impl Failure {
    /// Nothing was exchanged: `option dontlognull` leaves such connections out of the logs.
    pub fn null(&self) -> bool {
        matches!(self, Failure::Empty | Failure::Abort)
    }
}

/// What a received header says about the connection.
#[derive(Debug, Default)]
pub struct Received {
    /// Source and destination to use from now on; `None` keeps the connection's own.
    pub addrs: Option<(SocketAddr, SocketAddr)>,
    /// The v2 authority TLV, if any (only then is anything allocated).
    pub authority: Option<Box<[u8]>>,
}

/// Take the PROXY header off the start of `stream`, waiting at most `timeout` (HAProxy uses
/// `timeout client`) for the first bytes.
///
/// Like HAProxy, the first bytes that arrive decide: they are looked at without being
/// consumed, and a header they do not hold entirely is "truncated" (the protocol requires
/// the header to come in one segment). Only the header is consumed; what follows stays in
/// the socket for the session.
pub async fn receive(stream: &TcpStream, timeout: Option<Duration>) -> Result<Received, Failure> {
    match timeout {
        Some(t) => tokio::time::timeout(t, take(stream)).await.unwrap_or(Err(Failure::Timeout)),
        None => take(stream).await,
    }
}

async fn take(stream: &TcpStream) -> Result<Received, Failure> {
    let mut first = [0u8; FIRST_LOOK];
    let n = stream.peek(&mut first).await.map_err(|_| Failure::Abort)?;
    if n == 0 {
        return Err(Failure::Empty);
    }
    match parse::parse(&first[..n]) {
        // A v2 header larger than the first look: look again with room for what HAProxy's
        // buffer (tune.bufsize) would have held.
        Ok(Parsed::Incomplete) if n == FIRST_LOOK => {
            let mut big = vec![0u8; crate::ir::types::Buffers::running_bufsize()];
            let n = stream.peek(&mut big).await.map_err(|_| Failure::Abort)?;
            consume(stream, &mut big, n).await
        }
        _ => consume(stream, &mut first, n).await,
    }
}

/// Decide on the `n` bytes peeked into `buf`, then read the header's bytes off the socket.
async fn consume(stream: &TcpStream, buf: &mut [u8], n: usize) -> Result<Received, Failure> {
    let h = match parse::parse(&buf[..n]) {
        Ok(Parsed::Complete(h)) => h,
        Ok(Parsed::Incomplete) => return Err(Failure::Truncated),
        Err(e) => return Err(Failure::Bad(e)),
    };
    let authority = h.authority.clone().map(|r| Box::<[u8]>::from(&buf[r]));
    // The bytes are already in the socket's buffer: this read returns at once.
    let mut got = 0;
    while got < h.len {
        match stream.try_read(&mut buf[got..h.len]) {
            Ok(0) => return Err(Failure::Abort),
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                stream.readable().await.map_err(|_| Failure::Abort)?;
            }
            Err(_) => return Err(Failure::Abort),
        }
    }
    Ok(Received { addrs: h.addrs, authority })
}

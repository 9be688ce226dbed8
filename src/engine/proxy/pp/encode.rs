//! Writing the PROXY protocol header a server gets first (`send-proxy`, `send-proxy-v2`,
//! `proxy-v2-options`), byte for byte as HAProxy 2.6 writes it. Pure, into a fixed buffer.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::parse::{V2_HEAD, V2_SIG};

/// Room for the largest header written here: v2 over IPv6 with the crc32c, a 255-byte
/// authority and the longest unique-id TLV (v1 lines need at most 107 bytes).
const ROOM: usize = V2_HEAD + 36 + 7 + 3 + super::parse::AUTHORITY_MAX + 3 + crate::engine::unique_id::MAX_LEN;

const TLV_AUTHORITY: u8 = 0x02;
const TLV_CRC32C: u8 = 0x03;
const TLV_UNIQUE_ID: u8 = 0x05;

/// Which header a server gets, from its `send-proxy*` and `proxy-v2-options` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendProxy {
    pub v1: bool,
    pub v2: bool,
    pub crc32c: bool,
    pub authority: bool,
    pub unique_id: bool,
}

impl SendProxy {
    /// A server's settings. `proxy-v2-options` alone turns the header on too (a v1 line,
    /// unless `send-proxy-v2`), as in HAProxy.
    pub fn of(o: &crate::ir::types::ServerOpts) -> SendProxy {
        let has = |v: &str| o.proxy_v2_options.iter().any(|x| x == v);
        SendProxy {
            v1: o.send_proxy || !o.proxy_v2_options.is_empty(),
            v2: o.send_proxy_v2,
            crc32c: has("crc32c"),
            authority: has("authority"),
            unique_id: has("unique-id"),
        }
    }

    /// Does the server get a header at all?
    pub fn enabled(&self) -> bool {
        self.v1 || self.v2
    }
}

/// What the header tells about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// Source and destination of the connection the header speaks for; `None` when unknown.
    pub addrs: Option<(SocketAddr, SocketAddr)>,
    /// The connection is the proxy's own (a health check): v2 says `LOCAL` (unless
    /// `pp2-never-send-local`, see [`Origin::never_local`]).
    pub own: bool,
    /// `pp2-never-send-local`: the proxy's own connections get a PROXY command too.
    pub never_local: bool,
    /// The authority TLV the client connection's own PROXY header carried.
    pub authority: Option<&'a [u8]>,
    /// A stream is behind the connection (not a health check): the unique-id TLV is sent.
    pub stream: bool,
    /// The stream's unique ID (`unique-id-format`); the TLV is empty without one.
    pub unique_id: Option<&'a [u8]>,
}

/// A header ready to send.
pub struct Encoded {
    buf: [u8; ROOM],
    len: usize,
}

impl Encoded {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    fn tlv(&mut self, kind: u8, value: &[u8]) {
        self.push(&[kind]);
        self.push(&(value.len() as u16).to_be_bytes());
        self.push(value);
    }
}

impl std::fmt::Write for Encoded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > ROOM {
            return Err(std::fmt::Error);
        }
        self.push(s.as_bytes());
        Ok(())
    }
}

/// The header for `how` (v2 when `send-proxy-v2` is set, else v1) about `o`.
pub fn encode(how: &SendProxy, o: &Origin<'_>) -> Encoded {
    let mut e = Encoded { buf: [0; ROOM], len: 0 };
    if how.v2 {
        v2(&mut e, how, o);
    } else {
        v1(&mut e, o.addrs);
    }
    e
}

/// An address as an IPv6 one: IPv4 becomes IPv4-mapped, as HAProxy's `v4tov6` does.
fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

fn v1(e: &mut Encoded, addrs: Option<(SocketAddr, SocketAddr)>) {
    let Some((src, dst)) = addrs else {
        e.push(b"PROXY UNKNOWN\r\n");
        return;
    };
    // The longest line (two full IPv6 addresses, two 5-digit ports) fits in ROOM.
    let _ = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => write!(e, "PROXY TCP4 {s} {d} {} {}\r\n", src.port(), dst.port()),
        (s, d) => {
            e.push(b"PROXY TCP6 ");
            ntop6(e, v6(s));
            e.push(b" ");
            ntop6(e, v6(d));
            write!(e, " {} {}\r\n", src.port(), dst.port())
        }
    };
}

/// glibc's `inet_ntop` text of an IPv6 address, which HAProxy's line carries.
fn ntop6(e: &mut Encoded, a: Ipv6Addr) {
    // Written without allocating when the address has no IPv4 tail, which glibc and Rust
    // print alike (longest zero run, first on ties, never a single word); otherwise glibc's
    // rules apply, through the stick-table key printer that implements them.
    let o = a.octets();
    let v4_tail = o[..10].iter().all(|&b| b == 0) && (o[10..12] == [0xff, 0xff] || o[10..12] == [0, 0]);
    if v4_tail {
        let mut s = String::new();
        crate::engine::stick::key::inet_ntop6(&o, &mut s);
        e.push(s.as_bytes());
    } else {
        let _ = write!(e, "{a}");
    }
}

fn v2(e: &mut Encoded, how: &SendProxy, o: &Origin<'_>) {
    e.push(&V2_SIG);
    match o.addrs.filter(|_| !o.own || o.never_local) {
        None => e.push(&[0x20, 0x00, 0, 0]),
        Some((src, dst)) => match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                e.push(&[0x21, 0x11, 0, 0]);
                e.push(&s.octets());
                e.push(&d.octets());
                e.push(&src.port().to_be_bytes());
                e.push(&dst.port().to_be_bytes());
            }
            (s, d) => {
                e.push(&[0x21, 0x21, 0, 0]);
                e.push(&v6(s).octets());
                e.push(&v6(d).octets());
                e.push(&src.port().to_be_bytes());
                e.push(&dst.port().to_be_bytes());
            }
        },
    }
    let crc_at = how.crc32c.then(|| {
        e.tlv(TLV_CRC32C, &[0; 4]);
        e.len - 4
    });
    if how.authority {
        if let Some(a) = o.authority {
            e.tlv(TLV_AUTHORITY, a);
        }
    }
    if how.unique_id && o.stream {
        let id = o.unique_id.unwrap_or_default();
        e.tlv(TLV_UNIQUE_ID, &id[..id.len().min(crate::engine::unique_id::MAX_LEN)]);
    }
    let body = (e.len - V2_HEAD) as u16;
    e.buf[14..16].copy_from_slice(&body.to_be_bytes());
    if let Some(at) = crc_at {
        let crc = super::crc32c::crc32c(e.as_bytes());
        e.buf[at..at + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;

//! Reading a PROXY protocol header (v1 text or v2 binary) from the first bytes of a client
//! connection, with HAProxy 2.6's verdicts: which input is "not a PROXY header", "invalid",
//! "an unhandled protocol", or still incomplete. Pure: bytes in, verdict out; it never panics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;

use crate::engine::stick::key::inetaddr_host_lim_ret;

/// The 12 bytes that open a v2 header.
pub const V2_SIG: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// Signature, version/command, family and length.
pub const V2_HEAD: usize = 16;
/// HAProxy's `PP2_AUTHORITY_MAX`: a longer authority TLV makes the header invalid.
pub const AUTHORITY_MAX: usize = 255;
/// HAProxy's `UNIQUEID_LEN`: a longer unique-id TLV makes the header invalid.
const UNIQUE_ID_MAX: usize = 128;

const TLV_AUTHORITY: u8 = 0x02;
const TLV_CRC32C: u8 = 0x03;
const TLV_UNIQUE_ID: u8 = 0x05;

/// Why a header was refused, as HAProxy's connection error codes say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PpError {
    #[error("Received something which does not look like a PROXY protocol header")]
    NotHeader,
    #[error("Received an invalid PROXY protocol header")]
    BadHeader,
    #[error("Received an unhandled protocol in the PROXY protocol header")]
    BadProto,
}

/// A complete header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Its length: the bytes to take off the stream before the client's own data.
    pub len: usize,
    /// Source and destination it announces; `None` (v1 `UNKNOWN`, v2 `LOCAL` or an address
    /// family other than TCP over IPv4/IPv6) keeps the connection's own addresses.
    pub addrs: Option<(SocketAddr, SocketAddr)>,
    /// Where the v2 authority TLV's value sits in the input, if there is one.
    pub authority: Option<Range<usize>>,
}

/// What the bytes received so far hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Complete(Header),
    /// A header may still follow: more bytes are needed to tell.
    Incomplete,
}

/// Read the header at the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parsed, PpError> {
    if buf.len() < 6 {
        // HAProxy waits for 6 bytes before deciding between the two versions.
        return Ok(Parsed::Incomplete);
    }
    if buf.starts_with(b"PROXY ") {
        v1(buf)
    } else {
        v2(buf)
    }
}

/// Is `have` (what arrived) the start of `want`, and shorter?
fn prefix_of(have: &[u8], want: &[u8]) -> bool {
    have.len() < want.len() && want.starts_with(have)
}

fn v1(buf: &[u8]) -> Result<Parsed, PpError> {
    let rest = &buf[6..];
    if buf.len() < 9 || prefix_of(rest, b"TCP4 ") || prefix_of(rest, b"TCP6 ") || prefix_of(rest, b"UNKNOWN\r\n") {
        return Ok(Parsed::Incomplete);
    }
    let parsed = if rest.starts_with(b"TCP4 ") {
        tcp4(buf, 11)?
    } else if rest.starts_with(b"TCP6 ") {
        tcp6(buf, 11)?
    } else if rest.starts_with(b"UNKNOWN\r\n") {
        // Whatever follows `UNKNOWN` up to the line end must be ignored, but HAProxy only
        // accepts the bare form; addresses after it are an unhandled protocol.
        Some((15, None))
    } else {
        return Err(PpError::BadProto);
    };
    Ok(match parsed {
        None => Parsed::Incomplete,
        Some((len, addrs)) => Parsed::Complete(Header { len, addrs, authority: None }),
    })
}

/// A v1 line's fields: `None` when more bytes are needed, else the line's length and addresses.
type Line = Option<(usize, Option<(SocketAddr, SocketAddr)>)>;

/// HAProxy's `read_uint`: digits up to the first other byte, wrapping like an unsigned int.
fn read_uint(b: &[u8], mut p: usize, end: usize) -> (u32, usize) {
    let mut v: u32 = 0;
    while p < end && b[p].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add(u32::from(b[p] - b'0'));
        p += 1;
    }
    (v, p)
}

/// `TCP4 <src> <dst> <sport> <dport>\r\n` from `p`. Addresses are read as HAProxy reads them
/// (lenient dotted quads), ports keep their low 16 bits.
fn tcp4(b: &[u8], mut p: usize) -> Result<Line, PpError> {
    let end = b.len();
    let mut ips = [0u32; 2];
    for ip in &mut ips {
        let (v, n) = inetaddr_host_lim_ret(&b[p..]);
        *ip = v;
        p += n;
        if p == end {
            return Ok(None);
        }
        if b[p] != b' ' {
            return Err(PpError::BadHeader);
        }
        p += 1;
    }
    let (sport, q) = read_uint(b, p, end);
    p = q;
    if p == end {
        return Ok(None);
    }
    if b[p] != b' ' {
        return Err(PpError::BadHeader);
    }
    let (dport, q) = read_uint(b, p + 1, end);
    p = q;
    if p + 2 > end {
        return Ok(None);
    }
    if &b[p..p + 2] != b"\r\n" {
        return Err(PpError::BadHeader);
    }
    let src = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ips[0])), sport as u16);
    let dst = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ips[1])), dport as u16);
    Ok(Some((p + 2, Some((src, dst)))))
}

/// `TCP6 <src> <dst> <sport> <dport>\r\n` from `p`: the line is cut at its spaces (extra spaces
/// cut the last field short, as HAProxy's in-place parsing does), each field read as a C string.
fn tcp6(b: &[u8], start: usize) -> Result<Line, PpError> {
    let end = b.len();
    let mut cuts: [Option<usize>; 3] = [None; 3];
    let mut p = start;
    let cr = loop {
        if p + 2 > end {
            return Ok(None);
        }
        if b[p] == b'\r' {
            if b[p + 1] != b'\n' {
                return Err(PpError::BadHeader);
            }
            break p;
        }
        if b[p] == b' ' {
            if let Some(slot) = cuts.iter_mut().find(|c| c.is_none()) {
                *slot = Some(p);
            }
        }
        p += 1;
    };
    let [Some(c1), Some(c2), Some(c3)] = cuts else { return Err(PpError::BadHeader) };
    // Each field runs to the next NUL: a space, the CR, or a NUL byte sent as such.
    let field = |from: usize, to: usize| {
        let f = &b[from..to];
        let n = f.iter().position(|&c| c == 0 || c == b' ').unwrap_or(f.len());
        &f[..n]
    };
    let port = |from: usize, to: usize| -> Result<u16, PpError> {
        let f = field(from, to);
        let (v, n) = read_uint(f, 0, f.len());
        // The byte after the digits must end the field.
        if n != f.len() {
            return Err(PpError::BadHeader);
        }
        Ok(v as u16)
    };
    let sport = port(c2 + 1, c3)?;
    let dport = port(c3 + 1, cr)?;
    let ip = |f: &[u8]| -> Result<Ipv6Addr, PpError> {
        std::str::from_utf8(f).ok().and_then(|s| s.parse().ok()).ok_or(PpError::BadHeader)
    };
    let src = ip(field(start, c1))?;
    let dst = ip(field(c1 + 1, c2))?;
    let src = SocketAddr::new(IpAddr::V6(src), sport);
    let dst = SocketAddr::new(IpAddr::V6(dst), dport);
    Ok(Some((cr + 2, Some((src, dst)))))
}

fn v2(buf: &[u8]) -> Result<Parsed, PpError> {
    if buf.len() < V2_HEAD {
        return Ok(Parsed::Incomplete);
    }
    if buf[..12] != V2_SIG || buf[12] & 0xf0 != 0x20 {
        return Err(PpError::NotHeader);
    }
    let body = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    let total = V2_HEAD + body;
    if buf.len() < total {
        return Ok(Parsed::Incomplete);
    }
    let h = &buf[..total];
    match h[12] & 0x0f {
        // LOCAL: the connection's own addresses stand.
        0x00 => Ok(Parsed::Complete(Header { len: total, addrs: None, authority: None })),
        0x01 => {
            let (addrs, tlvs) = match h[13] {
                0x11 => {
                    if body < 12 {
                        return Err(PpError::BadHeader);
                    }
                    let ip = |at: usize| Ipv4Addr::new(h[at], h[at + 1], h[at + 2], h[at + 3]);
                    let port = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]);
                    let src = SocketAddr::new(IpAddr::V4(ip(16)), port(24));
                    let dst = SocketAddr::new(IpAddr::V4(ip(20)), port(26));
                    (Some((src, dst)), V2_HEAD + 12)
                }
                0x21 => {
                    if body < 36 {
                        return Err(PpError::BadHeader);
                    }
                    let ip = |at: usize| {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(&h[at..at + 16]);
                        Ipv6Addr::from(o)
                    };
                    let port = |at: usize| u16::from_be_bytes([h[at], h[at + 1]]);
                    let src = SocketAddr::new(IpAddr::V6(ip(16)), port(48));
                    let dst = SocketAddr::new(IpAddr::V6(ip(32)), port(50));
                    (Some((src, dst)), V2_HEAD + 36)
                }
                // Another family keeps the connection's addresses, but HAProxy 2.6 then reads
                // TLVs from the very start of the header (the signature's bytes): such headers
                // are refused unless those bytes happen to chain up to the end.
                _ => (None, 0),
            };
            let authority = tlvs_check(h, tlvs)?;
            Ok(Parsed::Complete(Header { len: total, addrs, authority }))
        }
        _ => Err(PpError::BadHeader),
    }
}

/// Walk the TLVs of header `h` from `at`, checking them as HAProxy does; returns where the
/// authority TLV's value is.
fn tlvs_check(h: &[u8], mut at: usize) -> Result<Option<Range<usize>>, PpError> {
    let total = h.len();
    let mut authority = None;
    while at < total {
        if at + 3 > total {
            return Err(PpError::BadHeader);
        }
        let kind = h[at];
        let len = usize::from(u16::from_be_bytes([h[at + 1], h[at + 2]]));
        let value = at + 3..at + 3 + len;
        at = value.end;
        if at > total {
            return Err(PpError::BadHeader);
        }
        match kind {
            TLV_CRC32C => {
                if len != 4 {
                    return Err(PpError::BadHeader);
                }
                let sent =
                    u32::from_be_bytes([h[value.start], h[value.start + 1], h[value.start + 2], h[value.start + 3]]);
                // The checksum covers the whole header with its own value zeroed.
                let crc = super::crc32c::update(super::crc32c::update(!0, &h[..value.start]), &[0; 4]);
                let crc = !super::crc32c::update(crc, &h[value.end..]);
                if crc != sent {
                    return Err(PpError::BadHeader);
                }
            }
            TLV_AUTHORITY => {
                if len > AUTHORITY_MAX {
                    return Err(PpError::BadHeader);
                }
                authority = Some(value);
            }
            TLV_UNIQUE_ID if len > UNIQUE_ID_MAX => return Err(PpError::BadHeader),
            _ => {}
        }
    }
    Ok(authority)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

//! HAProxy's hash functions (`hash-type ... sdbm|djb2|wt6|crc32|none [avalanche]`), the integer
//! avalanche used by consistent hashing, and the pure parts of the hash-based algorithms: which
//! bytes of a request each one hashes. All allocation-free.

use crate::ir::types::{Balance, HashFunction, HashType};

/// Bob Jenkins' integer avalanche, then a multiplication spreading values over the 32-bit ring
/// (HAProxy's `full_hash`): consistent-hashing node keys and the `avalanche` modifier.
pub fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed55d16).wrapping_add(a << 12);
    a = (a ^ 0xc761c23c) ^ (a >> 19);
    a = a.wrapping_add(0x165667b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2646c) ^ (a << 9);
    a = a.wrapping_add(0xfd7046c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a4f09) ^ (a >> 16);
    a.wrapping_mul(3221225473)
}

pub fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| u32::from(c).wrapping_add(h << 6).wrapping_add(h << 16).wrapping_sub(h))
}

pub fn djb2(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &c| (h << 5).wrapping_add(h).wrapping_add(u32::from(c)))
}

pub fn wt6(key: &[u8]) -> u32 {
    let (mut h0, mut h1) = (0xa53c965au32, 0x5ca6953au32);
    let (mut step0, mut step1) = (6u32, 18u32);
    for &c in key {
        let t = u32::from(c);
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        let t = h1.rotate_left(step0);
        h1 = h0.rotate_left(step1);
        h0 = t;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

pub fn crc32(key: &[u8]) -> u32 {
    let mut h = !0u32;
    for &c in key {
        h ^= u32::from(c);
        for _ in 0..8 {
            h = (h >> 1) ^ if h & 1 != 0 { 0xedb88320 } else { 0 };
        }
    }
    !h
}

/// `hash-type ... none`: the key is read as a signed decimal number (HAProxy's `read_int64`,
/// saturating) and truncated to 32 bits. HAProxy 2.6.12 itself refuses `none` (it came later);
/// this follows the later versions for configurations that use it anyway.
pub fn none(key: &[u8]) -> u32 {
    let (neg, digits) = match key.first() {
        Some(b'-') => (true, &key[1..]),
        Some(b'+') => (false, &key[1..]),
        _ => (false, key),
    };
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(c - b'0'))).unwrap_or(u64::MAX);
    }
    let v: i64 = match (neg, v > i64::MAX as u64) {
        (false, false) => v as i64,
        (false, true) => i64::MAX,
        (true, false) => -(v as i64),
        (true, true) => i64::MIN,
    };
    v as u32
}

/// The configured hash function with its `avalanche` modifier (HAProxy's `gen_hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hasher {
    pub function: HashFunction,
    pub avalanche: bool,
}

impl Hasher {
    pub fn new(t: &HashType) -> Hasher {
        Hasher { function: t.function, avalanche: t.avalanche }
    }

    pub fn hash(&self, key: &[u8]) -> u32 {
        let h = match self.function {
            HashFunction::Sdbm => sdbm(key),
            HashFunction::Djb2 => djb2(key),
            HashFunction::Wt6 => wt6(key),
            HashFunction::Crc32 => crc32(key),
            HashFunction::None => none(key),
        };
        self.avalanche(h)
    }

    pub fn avalanche(&self, h: u32) -> u32 {
        if self.avalanche {
            full_hash(h)
        } else {
            h
        }
    }
}

/// `balance source`: the address's 32-bit big-endian words XORed together (the hash function is
/// not used, only `avalanche`). `None` for anything but an IPv4 or IPv6 address.
pub fn source(addr: &[u8]) -> Option<u32> {
    if addr.len() != 4 && addr.len() != 16 {
        return None;
    }
    Some(addr.chunks_exact(4).fold(0u32, |h, w| h ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]])))
}

/// `balance uri [whole] [len N] [depth N] [path-only]`: the part of the request target that is
/// hashed. `path-only` drops the scheme and authority of an absolute URI; the query string
/// stops the hash unless `whole`; `len` caps the length; `depth` stops at the (depth+1)th slash.
pub fn uri_part(uri: &[u8], whole: bool, len: Option<u32>, depth: Option<u32>, path_only: bool) -> &[u8] {
    let uri = if path_only { path_of(uri) } else { uri };
    let max = match len {
        Some(l) if l > 0 => uri.len().min(l as usize),
        _ => uri.len(),
    };
    let stop_slashes = depth.map(|d| d as usize + 1).unwrap_or(0);
    let mut slashes = 0usize;
    let mut end = 0;
    while end < max {
        match uri[end] {
            b'/' => {
                slashes += 1;
                if slashes == stop_slashes {
                    break;
                }
            }
            b'?' if !whole => break,
            _ => {}
        }
        end += 1;
    }
    &uri[..end]
}

/// The path of a request target (HAProxy's `http_parse_path`): origin-form as is; for an
/// absolute URI, from the first `/` after the authority (empty if none); `*` has no path.
fn path_of(uri: &[u8]) -> &[u8] {
    match uri.first() {
        Some(b'/') => uri,
        Some(b'*') | None => &uri[..0],
        Some(_) => {
            let Some(colon) = uri.windows(3).position(|w| w == b"://") else {
                return &uri[..0];
            };
            let auth = &uri[colon + 3..];
            match auth.iter().position(|&c| c == b'/') {
                Some(p) => &auth[p..],
                None => &auth[auth.len()..],
            }
        }
    }
}

/// `balance url_param <name>`: the value of the first `name=` parameter of the query string
/// (possibly empty), up to the next `&`. `None` without a query string or that parameter.
pub fn url_param<'a>(uri: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let q = uri.iter().position(|&c| c == b'?')?;
    let mut params = &uri[q + 1..];
    let plen = name.len();
    while params.len() > plen {
        if params[plen] == b'=' && &params[..plen] == name {
            let value = &params[plen + 1..];
            let end = value.iter().position(|&c| c == b'&').unwrap_or(value.len());
            return Some(&value[..end]);
        }
        let amp = params.iter().position(|&c| c == b'&')?;
        params = &params[amp + 1..];
    }
    None
}

/// The first value of a header field as HAProxy's `http_find_header` returns it: up to the
/// first comma outside quotes, without surrounding spaces and tabs.
pub fn first_header_value(raw: &[u8]) -> &[u8] {
    let mut quoted = false;
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b',' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    trim(&raw[..i.min(raw.len())])
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `hdr(<name>) use_domain_only`: the label before the last dot ("example" in
/// "www.example.com"), or the whole value when it has no dot. This walks backwards exactly like
/// HAProxy's `get_server_hh`, whose edge cases (a dot in first position) it keeps.
pub fn domain_only(v: &[u8]) -> &[u8] {
    let (mut p, mut left, mut end, mut dohash) = (v.len(), v.len(), v.len(), false);
    while left > 0 {
        if dohash {
            if v[p - 1] == b'.' {
                break;
            }
        } else if p < v.len() && v[p] == b'.' {
            end = p;
            dohash = true;
        }
        p -= 1;
        left -= 1;
    }
    &v[p..end]
}

/// What the proxy path passes as [`super::PickRequest::hash_key`] for a backend's algorithm:
/// the client address (its 4 or 16 address bytes) for `source`, the request target for `uri`
/// and `url_param`, the raw value of the first occurrence of the header for `hdr(<name>)`, and
/// nothing for the others. `header` looks a request header up by name, case-insensitively.
pub fn hash_input<'a>(
    balance: &Balance,
    client_addr: &'a [u8],
    request_target: Option<&'a [u8]>,
    header: &dyn Fn(&str) -> Option<&'a [u8]>,
) -> Option<&'a [u8]> {
    match balance {
        Balance::Source => Some(client_addr),
        Balance::Uri { .. } | Balance::UrlParam { .. } => request_target,
        Balance::Hdr { name, .. } => header(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(sdbm(b""), 0);
        assert_eq!(sdbm(b"a"), 97);
        assert_eq!(djb2(b""), 5381);
        assert_eq!(djb2(b"a"), 5381 * 33 + 97);
        // The standard CRC-32 check value.
        assert_eq!(crc32(b"123456789"), 0xcbf43926);
        assert_eq!(none(b"12345"), 12345);
        assert_eq!(none(b"-1"), u32::MAX);
        assert_eq!(none(b"abc"), 0);
        assert_eq!(none(b"4294967297"), 1);
        assert_eq!(none(b"99999999999999999999"), i64::MAX as u32);
        assert_ne!(full_hash(0), full_hash(1));
        assert_ne!(wt6(b"a"), wt6(b"b"));
    }

    #[test]
    fn uri_parts() {
        assert_eq!(uri_part(b"/a/b?x=1", false, None, None, false), b"/a/b");
        assert_eq!(uri_part(b"/a/b?x=1", true, None, None, false), b"/a/b?x=1");
        assert_eq!(uri_part(b"/a/b/c", false, Some(4), None, false), b"/a/b");
        assert_eq!(uri_part(b"/a/b/c", false, None, Some(2), false), b"/a/b");
        assert_eq!(uri_part(b"/a/b/c", false, None, Some(1), false), b"/a");
        assert_eq!(uri_part(b"http://h:8/x/y?q", false, None, None, true), b"/x/y");
        assert_eq!(uri_part(b"http://h:8", false, None, None, true), b"");
        assert_eq!(uri_part(b"http://h/x", false, None, None, false), b"http://h/x");
    }

    #[test]
    fn url_params() {
        assert_eq!(url_param(b"/?id=1", b"id"), Some(&b"1"[..]));
        assert_eq!(url_param(b"/x?idx=1&id=2&z", b"id"), Some(&b"2"[..]));
        assert_eq!(url_param(b"/x?id=", b"id"), Some(&b""[..]));
        assert_eq!(url_param(b"/x?id", b"id"), None);
        assert_eq!(url_param(b"/x?ID=5", b"id"), None);
        assert_eq!(url_param(b"/x", b"id"), None);
        assert_eq!(url_param(b"/x?id=1&id=2", b"id"), Some(&b"1"[..]));
    }

    #[test]
    fn header_values_and_domains() {
        assert_eq!(first_header_value(b" a , b"), b"a");
        assert_eq!(first_header_value(b"\"x,y\", z"), b"\"x,y\"");
        assert_eq!(first_header_value(b""), b"");
        assert_eq!(domain_only(b"www.example.com"), b"example");
        assert_eq!(domain_only(b"example.com"), b"example");
        assert_eq!(domain_only(b"localhost"), b"localhost");
        assert_eq!(domain_only(b"a.b.c.d"), b"c");
        assert_eq!(domain_only(b".leading"), b".leading");
        assert_eq!(domain_only(b"..x"), b".");
        assert_eq!(domain_only(b"trailing."), b"trailing");
    }

    #[test]
    fn source_words() {
        assert_eq!(source(&[127, 0, 0, 1]), Some(0x7f000001));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        v6[3] = 2;
        assert_eq!(source(&v6), Some(2 ^ 1));
        assert_eq!(source(b"abc"), None);
    }
}

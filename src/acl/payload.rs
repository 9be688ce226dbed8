//! Fetches over the raw bytes a TCP stream has buffered before it is relayed (content
//! inspection, both directions): `payload`, `payload_lv`, `req.len`/`res.len`,
//! `req.ssl_hello_type`/`res.ssl_hello_type`, `req.ssl_sni`, with
//! HAProxy 2.6's checks and its notion of "too short": a fetch that lacks bytes answers
//! [`Got::Short`], which lets a rule wait for more data until `tcp-request inspect-delay`
//! expires (HAProxy's `SMP_F_MAY_CHANGE`), while malformed data is final ([`Got::No`]).

/// HAProxy's `tune.bufsize`: offsets and lengths beyond it can never match.
fn bufsize() -> i64 {
    crate::ir::types::Buffers::running_bufsize() as i64
}

/// What a payload fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got<'a, T> {
    Yes(T, &'a [u8]),
    /// Not enough bytes yet: more data may change the answer.
    Short,
    /// Never (malformed, or out of the buffer's reach).
    No,
}

/// `payload(<offset>,<length>)`: `length` 0 takes the rest of the buffer (and may grow).
/// Returns the bytes and whether more data may change them.
pub fn payload(data: &[u8], offset: i64, length: i64) -> Got<'_, bool> {
    let bufsize = bufsize();
    if !(0..=bufsize).contains(&length) || offset < 0 || offset + length > bufsize {
        return Got::No;
    }
    let (off, len) = (offset as usize, length as usize);
    if off + len > data.len() {
        return Got::Short;
    }
    if len == 0 {
        return Got::Yes(true, &data[off..]);
    }
    Got::Yes(false, &data[off..off + len])
}

/// Where `payload_lv`'s third argument puts the data: absolute, or relative to the end of the
/// length field when written with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataOffset {
    AfterLength,
    Absolute(i64),
    Relative(i64),
}

impl DataOffset {
    pub fn parse(arg: &str) -> DataOffset {
        if arg.is_empty() {
            return DataOffset::AfterLength;
        }
        let n = crate::acl::args::read_int64(arg.trim_start_matches('+').as_bytes()).0;
        if arg.starts_with(['+', '-']) {
            DataOffset::Relative(n)
        } else {
            DataOffset::Absolute(n)
        }
    }
}

/// `payload_lv(<offset1>,<length1>[,<offset2>])`: a big-endian length of `len_size` bytes at
/// `len_offset`, then that many bytes.
pub fn payload_lv(data: &[u8], len_offset: i64, len_size: i64, at: DataOffset) -> Got<'_, ()> {
    let bufsize = bufsize();
    if !(1..=4).contains(&len_size) || len_offset < 0 || len_offset + len_size > bufsize {
        return Got::No;
    }
    let (lo, ls) = (len_offset as usize, len_size as usize);
    if lo + ls > data.len() {
        return Got::Short;
    }
    let size = data[lo..lo + ls].iter().fold(0i64, |acc, &b| (acc << 8) | i64::from(b));
    let end_of_len = len_offset + len_size;
    let start = match at {
        DataOffset::AfterLength => end_of_len,
        DataOffset::Absolute(n) => n,
        DataOffset::Relative(n) => end_of_len + n,
    };
    if size == 0 || size > bufsize || start < 0 || start + size > bufsize {
        return Got::No;
    }
    let (s, n) = (start as usize, size as usize);
    if s + n > data.len() {
        return Got::Short;
    }
    Got::Yes((), &data[s..s + n])
}

/// `req.ssl_hello_type`: the handshake type of a complete first TLS/SSLv3 record.
pub fn ssl_hello_type(data: &[u8]) -> Got<'_, i64> {
    let Some(&first) = data.first() else { return Got::Short };
    if !((0x14..=0x17).contains(&first) || first == 0xff) {
        return Got::No;
    }
    if data.len() < 9 {
        return Got::Short;
    }
    // SSLv3 or later, with room for the handshake type and length.
    if data[1] < 3 || u16::from_be_bytes([data[3], data[4]]) < 4 {
        return Got::No;
    }
    let hs_len = (usize::from(data[6]) << 16) | (usize::from(data[7]) << 8) | usize::from(data[8]);
    if data.len() < hs_len + 9 {
        return Got::Short;
    }
    Got::Yes(i64::from(data[5]), &[])
}

fn be16(b: &[u8], i: usize) -> Option<usize> {
    Some(usize::from(*b.get(i)?) << 8 | usize::from(*b.get(i + 1)?))
}

/// `req.ssl_sni`: the host name of the Server Name extension of a TLS ClientHello (TLS 1.0
/// or later in the hello), once the whole hello is in.
pub fn ssl_sni(data: &[u8]) -> Got<'_, ()> {
    let Some(&first) = data.first() else { return Got::Short };
    if first != 0x16 {
        return Got::No;
    }
    if data.len() < 3 {
        return Got::Short;
    }
    if data[1] < 3 {
        return Got::No;
    }
    if data.len() < 5 {
        return Got::Short;
    }
    // The smallest hello that can carry an extension.
    const MIN_BODY: usize = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2;
    if be16(data, 3).unwrap_or(0) < 1 + 3 + MIN_BODY {
        return Got::No;
    }
    let hs = &data[5..];
    let Some(&hs_type) = hs.first() else { return Got::Short };
    if hs_type != 0x01 {
        return Got::No;
    }
    if hs.len() < 4 {
        return Got::Short;
    }
    // Lengths are checked as HAProxy checks them, in signed arithmetic: a length that runs
    // past the message makes the remainder negative, and the next check refuses it.
    let mut left = (i64::from(hs[1]) << 16) | (i64::from(hs[2]) << 8) | i64::from(hs[3]);
    if left < MIN_BODY as i64 {
        return Got::No;
    }
    if (hs.len() as i64) < left {
        return Got::Short;
    }
    let body = &hs[4..];
    let get = |i: usize| body.get(i).copied().map(i64::from);
    let be = |i: usize| be16(body, i).map(|v| v as i64);
    let (Some(major), Some(minor)) = (get(0), get(1)) else { return Got::Short };
    if major < 3 || minor < 1 {
        return Got::No;
    }
    let Some(sid) = get(34) else { return Got::Short };
    if sid > 32 || sid > left - 35 {
        return Got::No;
    }
    left -= 35 + sid;
    let mut p = 35 + sid as usize;
    let Some(ciphers) = be(p) else { return Got::No };
    if left < 4 || ciphers < 2 || ciphers > left {
        return Got::No;
    }
    left -= 2 + ciphers;
    p += 2 + ciphers as usize;
    let Some(comp) = get(p) else { return Got::No };
    if left < 2 || comp < 1 || comp > left {
        return Got::No;
    }
    left -= 1 + comp;
    p += 1 + comp as usize;
    let Some(ext_total) = be(p) else { return Got::No };
    if left < 2 || ext_total > left - 2 {
        return Got::No;
    }
    let mut left = ext_total;
    p += 2;
    while left >= 4 {
        let (Some(ext_type), Some(ext_len)) = (be(p), be(p + 2)) else { return Got::No };
        if ext_len > left - 4 {
            return Got::No;
        }
        if ext_type == 0 {
            if ext_len < 2 {
                return Got::No;
            }
            let Some(list_len) = be(p + 4) else { return Got::No };
            if list_len < 4 || list_len > left - 6 {
                return Got::No;
            }
            let (Some(name_type), Some(name_len)) = (get(p + 6), be(p + 7)) else { return Got::No };
            if name_type == 0 {
                return match body.get(p + 9..p + 9 + name_len as usize) {
                    Some(name) => Got::Yes((), name),
                    None => Got::No,
                };
            }
        }
        left -= 4 + ext_len;
        p += 4 + ext_len as usize;
    }
    Got::No
}

/// The value of the RDP cookie `name` (any name when empty) on the `Cookie:` line that follows
/// the TPKT and X.224 headers of an RDP connection request, up to its CRLF.
pub fn rdp_cookie<'a>(data: &'a [u8], name: &[u8]) -> Got<'a, ()> {
    if data.len() <= 11 {
        return Got::Short;
    }
    let mut d = &data[11..];
    if d.len() <= 7 {
        return Got::Short;
    }
    if !d[..7].eq_ignore_ascii_case(b"Cookie:") {
        return Got::No;
    }
    d = &d[7..];
    while let [b' ', rest @ ..] = d {
        d = rest;
    }
    if !name.is_empty() {
        if d.len() <= name.len() {
            return Got::Short;
        }
        if d[name.len()] != b'=' || !d[..name.len()].eq_ignore_ascii_case(name) {
            return Got::No;
        }
        d = &d[name.len() + 1..];
    } else {
        let Some(eq) = d.iter().position(|&c| matches!(c, b'=' | b'\r' | b'\n')) else { return Got::Short };
        if d[eq] != b'=' {
            return Got::No;
        }
        d = &d[eq + 1..];
    }
    let end = d.iter().position(|&c| c == b'\r').unwrap_or(d.len());
    if d.len() - end < 2 {
        return Got::Short;
    }
    if d[end + 1] != b'\n' {
        return Got::No;
    }
    Got::Yes((), &d[..end])
}

/// The fetches of this module, under all their names.
pub fn is_payload_fetch(name: &str) -> bool {
    matches!(
        name,
        "payload"
            | "req.payload"
            | "payload_lv"
            | "req.payload_lv"
            | "req.len"
            | "req_len"
            | "req.ssl_hello_type"
            | "req_ssl_hello_type"
            | "req.ssl_sni"
            | "req_ssl_sni"
            | "res.payload"
            | "res.payload_lv"
            | "res.len"
            | "res.ssl_hello_type"
            | "rep_ssl_hello_type"
            | "req.rdp_cookie"
            | "rdp_cookie"
            | "req.rdp_cookie_cnt"
            | "rdp_cookie_cnt"
    )
}

/// Evaluate one of [`is_payload_fetch`]'s fetches on the stream's buffered client bytes
/// (none outside TCP content inspection: the fetch fails).
pub fn fetch<'s>(
    name: &str,
    args: &[crate::acl::args::Arg],
    src: &'s dyn crate::acl::SampleSource,
) -> Option<crate::acl::Sample<'s>> {
    use crate::acl::Sample;
    // `payload` and `payload_lv` read the side the rule runs on; the others name theirs.
    let response = match name {
        "payload" | "payload_lv" => src.is_response(),
        n => n.starts_with("res.") || n.starts_with("rep_"),
    };
    let data = if response { src.res_payload()? } else { src.req_payload()? };
    let int = |i: usize| args.get(i).and_then(crate::acl::args::Arg::as_int).unwrap_or(0);
    let bin = |b: &'s [u8]| Sample::Bin(std::borrow::Cow::Borrowed(b));
    let got = match name {
        "payload" | "req.payload" | "res.payload" => match payload(data, int(0), int(1)) {
            Got::Yes(grows, b) => {
                if grows {
                    src.note_missing();
                }
                return Some(bin(b));
            }
            Got::Short => Got::Short,
            Got::No => Got::No,
        },
        "payload_lv" | "req.payload_lv" | "res.payload_lv" => {
            let at = DataOffset::parse(args.get(2).and_then(crate::acl::args::Arg::as_str).unwrap_or(""));
            match payload_lv(data, int(0), int(1), at) {
                Got::Yes((), b) => return Some(bin(b)),
                other => other.map_none(),
            }
        }
        "req.len" | "req_len" | "res.len" => {
            src.note_missing();
            return Some(Sample::Sint(data.len() as i64));
        }
        "req.rdp_cookie" | "rdp_cookie" => match rdp_cookie(data, str_arg(args).as_bytes()) {
            Got::Yes((), v) => return Some(Sample::Str(std::borrow::Cow::Borrowed(v))),
            other => other.map_none(),
        },
        "req.rdp_cookie_cnt" | "rdp_cookie_cnt" => match rdp_cookie(data, str_arg(args).as_bytes()) {
            Got::Short => Got::Short,
            found => return Some(Sample::Sint(i64::from(matches!(found, Got::Yes(..))))),
        },
        "req.ssl_hello_type" | "req_ssl_hello_type" | "res.ssl_hello_type" | "rep_ssl_hello_type" => {
            match ssl_hello_type(data) {
                Got::Yes(t, _) => return Some(Sample::Sint(t)),
                other => other.map_none(),
            }
        }
        _ => match ssl_sni(data) {
            Got::Yes((), b) => return Some(Sample::Str(std::borrow::Cow::Borrowed(b))),
            other => other.map_none(),
        },
    };
    if got == Got::Short {
        src.note_missing();
    }
    None
}

fn str_arg(args: &[crate::acl::args::Arg]) -> &str {
    args.first().and_then(crate::acl::args::Arg::as_str).unwrap_or("")
}

impl<'a, T> Got<'a, T> {
    /// A failed outcome, whatever it would have carried.
    fn map_none(self) -> Got<'a, bool> {
        match self {
            Got::Short => Got::Short,
            _ => Got::No,
        }
    }
}

/// A minimal TLS 1.2 ClientHello naming `sni`: what tests and benchmarks send to exercise
/// SNI routing without a TLS library.
pub fn tls_client_hello(sni: &str) -> Vec<u8> {
    tls_hello(1, Some(sni), &[])
}

/// A minimal TLS 1.2 hello record: ClientHello (`hs_type` 1, with an SNI extension when
/// `sni` is given) or ServerHello (2), with a session ID (the `payload_lv(43,1)` of HAProxy's
/// SSL session stickiness example).
pub fn tls_hello(hs_type: u8, sni: Option<&str>, session_id: &[u8]) -> Vec<u8> {
    let mut ext = Vec::new();
    if let Some(sni) = sni {
        let name = sni.as_bytes();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    if hs_type == 1 {
        body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    } else {
        body.extend_from_slice(&[0x13, 0x01, 0]);
    }
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![hs_type];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_and_hello_type() {
        let hello = tls_client_hello("www.example.com");
        assert_eq!(ssl_sni(&hello), Got::Yes((), &b"www.example.com"[..]));
        assert_eq!(ssl_hello_type(&hello), Got::Yes(1, &[][..]));
        for cut in [0, 1, 4, 10, hello.len() - 20] {
            assert_eq!(ssl_sni(&hello[..cut]), Got::Short, "cut at {cut}");
        }
        assert_eq!(ssl_hello_type(&hello[..8]), Got::Short);
        assert_eq!(ssl_sni(b"GET / HTTP/1.1\r\n"), Got::No);
        assert_eq!(ssl_hello_type(b"GET / HTTP/1.1\r\n"), Got::No);
        // Garbage after a valid header never panics.
        let mut bad = hello.clone();
        for i in 9..bad.len() {
            bad[i] = 0xff;
            let _ = ssl_sni(&bad);
        }
    }

    #[test]
    fn rdp_cookies() {
        let pkt = b"\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n\x01\x00";
        assert_eq!(rdp_cookie(pkt, b"mstshash"), Got::Yes((), &b"alice"[..]));
        assert_eq!(rdp_cookie(pkt, b"MSTSHASH"), Got::Yes((), &b"alice"[..]));
        assert_eq!(rdp_cookie(pkt, b""), Got::Yes((), &b"alice"[..]));
        assert_eq!(rdp_cookie(pkt, b"msts"), Got::No);
        assert_eq!(rdp_cookie(&pkt[..30], b"mstshash"), Got::Short);
        let no_cookie = b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00";
        assert_eq!(rdp_cookie(no_cookie, b""), Got::No);
        assert_eq!(rdp_cookie(&no_cookie[..15], b""), Got::Short);
    }

    #[test]
    fn payloads() {
        let d = b"\x00\x03abcdef";
        assert_eq!(payload(d, 2, 3), Got::Yes(false, &b"abc"[..]));
        assert_eq!(payload(d, 2, 0), Got::Yes(true, &b"abcdef"[..]));
        assert_eq!(payload(d, 6, 4), Got::Short);
        assert_eq!(payload(d, 0, 20000), Got::No);
        assert_eq!(payload_lv(d, 0, 2, DataOffset::AfterLength), Got::Yes((), &b"abc"[..]));
        assert_eq!(payload_lv(d, 0, 2, DataOffset::parse("+1")), Got::Yes((), &b"bcd"[..]));
        assert_eq!(payload_lv(d, 0, 2, DataOffset::parse("5")), Got::Yes((), &b"def"[..]));
        assert_eq!(payload_lv(d, 0, 2, DataOffset::parse("6")), Got::Short);
        assert_eq!(payload_lv(b"\x00", 0, 2, DataOffset::AfterLength), Got::Short);
        assert_eq!(payload_lv(b"\x00\x00", 0, 2, DataOffset::AfterLength), Got::No);
        assert_eq!(payload_lv(d, 0, 5, DataOffset::AfterLength), Got::No);
    }
}

use super::*;
use proptest::prelude::*;

fn addrs(s: &str, d: &str) -> Option<(SocketAddr, SocketAddr)> {
    Some((s.parse().unwrap(), d.parse().unwrap()))
}

fn complete(b: &[u8]) -> Header {
    match parse(b) {
        Ok(Parsed::Complete(h)) => h,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(b)),
    }
}

fn v2(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut v = V2_SIG.to_vec();
    v.extend([0x20 | cmd, fam]);
    v.extend((body.len() as u16).to_be_bytes());
    v.extend(body);
    v
}

fn ip4_body() -> Vec<u8> {
    vec![10, 1, 2, 3, 10, 9, 9, 9, 0x04, 0xd2, 0, 80]
}

#[test]
fn v1_tcp4_tcp6_unknown() {
    let h = complete(b"PROXY TCP4 10.1.2.3 10.9.9.9 1234 80\r\nGET /");
    assert_eq!(h.len, 38);
    assert_eq!(h.addrs, addrs("10.1.2.3:1234", "10.9.9.9:80"));
    let h = complete(b"PROXY TCP6 ::1 2001:db8::5 1234 80\r\n");
    assert_eq!(h.addrs, addrs("[::1]:1234", "[2001:db8::5]:80"));
    let h = complete(b"PROXY UNKNOWN\r\nxyz");
    assert_eq!((h.len, h.addrs), (15, None));
}

#[test]
fn v1_haproxy_leniency() {
    // Dotted quads as inetaddr_host reads them; ports keep their low 16 bits.
    assert_eq!(parse(b"PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n"), Err(PpError::BadHeader));
    let h = complete(b"PROXY TCP4 999.1.1.1 1.2.3 70000 2\r\n");
    assert_eq!(h.addrs, addrs("231.1.1.1:4464", "1.2.3.0:2"));
    // Extra TCP6 fields are cut off at their space.
    let h = complete(b"PROXY TCP6 ::1 ::2 1 2 junk\r\n");
    assert_eq!(h.addrs, addrs("[::1]:1", "[::2]:2"));
}

#[test]
fn v1_errors() {
    assert_eq!(parse(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"), Err(PpError::NotHeader));
    assert_eq!(parse(b"PROXY FOO\r\n"), Err(PpError::BadProto));
    // HAProxy only takes the bare UNKNOWN form.
    assert_eq!(parse(b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n"), Err(PpError::BadProto));
    assert_eq!(parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\n"), Err(PpError::BadHeader));
    assert_eq!(parse(b"PROXY TCP4 1.2.3.4;5.6.7.8 1 2\r\n"), Err(PpError::BadHeader));
    assert_eq!(parse(b"PROXY TCP6 ::1 nope 1 2\r\n"), Err(PpError::BadHeader));
    assert_eq!(parse(b"PROXY TCP6 ::1 ::2 1x 2\r\n"), Err(PpError::BadHeader));
    assert_eq!(parse(b"PROXY TCP6 ::1 ::2\r\n"), Err(PpError::BadHeader));
    assert_eq!(parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), Ok(Parsed::Incomplete));
    // Fewer than 16 bytes of something else: it could still be the start of a v2 header.
    assert_eq!(parse(b"garbage garbage"), Ok(Parsed::Incomplete));
}

#[test]
fn v2_forms() {
    let h = complete(&v2(1, 0x11, &ip4_body()));
    assert_eq!((h.len, h.addrs), (28, addrs("10.1.2.3:1234", "10.9.9.9:80")));
    let h = complete(&v2(0, 0, b""));
    assert_eq!((h.len, h.addrs), (16, None));
    // LOCAL ignores whatever it carries.
    assert_eq!(complete(&v2(0, 0x11, &ip4_body())).addrs, None);
    let mut b6 = Vec::new();
    b6.extend("2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    b6.extend(Ipv6Addr::LOCALHOST.octets());
    b6.extend([0x04, 0xd2, 0, 80]);
    assert_eq!(complete(&v2(1, 0x21, &b6)).addrs, addrs("[2001:db8::1]:1234", "[::1]:80"));
    // TLVs: a NOOP is skipped, the authority is found.
    let mut body = ip4_body();
    body.extend([0x04, 0, 2, b'a', b'b', 0x02, 0, 5]);
    body.extend(b"hosta");
    let raw = v2(1, 0x11, &body);
    let h = complete(&raw);
    assert_eq!(&raw[h.authority.unwrap()], b"hosta");
}

#[test]
fn v2_errors() {
    assert_eq!(parse(&v2(2, 0x11, &ip4_body())), Err(PpError::BadHeader));
    assert_eq!(parse(&v2(1, 0x11, &ip4_body()[..5])), Err(PpError::BadHeader));
    // Other families are refused through HAProxy 2.6's TLV walk from the signature.
    assert_eq!(parse(&v2(1, 0x00, b"")), Err(PpError::BadHeader));
    assert_eq!(parse(&v2(1, 0x31, &[b'x'; 216])), Err(PpError::BadHeader));
    let mut body = ip4_body();
    body.extend([0x04, 0, 9, 1]);
    assert_eq!(parse(&v2(1, 0x11, &body)), Err(PpError::BadHeader));
    let mut bad_version = v2(1, 0x11, &ip4_body());
    bad_version[12] = 0x11;
    assert_eq!(parse(&bad_version), Err(PpError::NotHeader));
    let mut body = ip4_body();
    body.extend([0x02, 1, 0]);
    body.extend([b'a'; 256]);
    assert_eq!(parse(&v2(1, 0x11, &body)), Err(PpError::BadHeader));
}

#[test]
fn v2_crc32c() {
    let mut body = ip4_body();
    body.extend([0x03, 0, 4, 0, 0, 0, 0]);
    let mut raw = v2(1, 0x11, &body);
    let crc = super::super::crc32c::crc32c(&raw);
    let at = raw.len() - 4;
    raw[at..].copy_from_slice(&crc.to_be_bytes());
    assert!(complete(&raw).addrs.is_some());
    raw[at] ^= 1;
    assert_eq!(parse(&raw), Err(PpError::BadHeader));
}

fn valid_headers() -> impl Strategy<Value = Vec<u8>> {
    let v1_4 = (any::<[u8; 4]>(), any::<[u8; 4]>(), any::<u16>(), any::<u16>()).prop_map(|(s, d, sp, dp)| {
        let (s, d) = (Ipv4Addr::from(s), Ipv4Addr::from(d));
        format!("PROXY TCP4 {s} {d} {sp} {dp}\r\n").into_bytes()
    });
    let v1_6 = (any::<[u8; 16]>(), any::<[u8; 16]>(), any::<u16>(), any::<u16>()).prop_map(|(s, d, sp, dp)| {
        let (s, d) = (Ipv6Addr::from(s), Ipv6Addr::from(d));
        format!("PROXY TCP6 {s} {d} {sp} {dp}\r\n").into_bytes()
    });
    let v2_4 = (any::<[u8; 12]>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(a, noop)| {
        let mut body = a.to_vec();
        body.push(0x04);
        body.extend((noop.len() as u16).to_be_bytes());
        body.extend(noop);
        v2(1, 0x11, &body)
    });
    prop_oneof![v1_4, v1_6, v2_4, Just(b"PROXY UNKNOWN\r\n".to_vec()), Just(v2(0, 0, b""))]
}

proptest! {
    #[test]
    fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&b);
        let mut p = b"PROXY ".to_vec();
        p.extend(&b);
        let _ = parse(&p);
        let mut s = V2_SIG.to_vec();
        s.extend(&b);
        if let Ok(Parsed::Complete(h)) = parse(&s) {
            prop_assert!(h.len <= s.len());
        }
    }

    /// A header cut anywhere is incomplete; whole, with anything after it, it is the same
    /// header however the rest looks.
    #[test]
    fn split_headers(h in valid_headers(), cut in any::<prop::sample::Index>(), tail in proptest::collection::vec(any::<u8>(), 0..20)) {
        let at = cut.index(h.len());
        prop_assert_eq!(parse(&h[..at]), Ok(Parsed::Incomplete));
        let whole = complete(&h);
        prop_assert_eq!(whole.len, h.len());
        let mut more = h.clone();
        more.extend(&tail);
        prop_assert_eq!(complete(&more), whole);
    }
}

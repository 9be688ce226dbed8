use super::*;
use crate::engine::proxy::pp::parse::{parse, Parsed};

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn origin(s: &str, d: &str) -> Origin<'static> {
    Origin { addrs: Some((a(s), a(d))), stream: true, ..Default::default() }
}

const V1: SendProxy = SendProxy { v1: true, v2: false, crc32c: false, authority: false, unique_id: false };
const V2: SendProxy = SendProxy { v1: false, v2: true, crc32c: false, authority: false, unique_id: false };

#[test]
fn v1_lines() {
    // Bytes a backend of HAProxy 2.6.12 received.
    let e = encode(&V1, &origin("10.1.2.3:1234", "10.9.9.9:80"));
    assert_eq!(e.as_bytes(), b"PROXY TCP4 10.1.2.3 10.9.9.9 1234 80\r\n");
    let e = encode(&V1, &origin("[::1]:1234", "[2001:db8::5]:80"));
    assert_eq!(e.as_bytes(), b"PROXY TCP6 ::1 2001:db8::5 1234 80\r\n");
    // One IPv6 side: the other becomes IPv4-mapped.
    let e = encode(&V1, &origin("[::1]:1", "127.0.0.1:2"));
    assert_eq!(e.as_bytes(), b"PROXY TCP6 ::1 ::ffff:127.0.0.1 1 2\r\n");
    let e = encode(&V1, &Origin::default());
    assert_eq!(e.as_bytes(), b"PROXY UNKNOWN\r\n");
    let long = "[1111:2222:3333:4444:5555:6666:7777:8888]:65535";
    assert_eq!(encode(&V1, &origin(long, long)).as_bytes().len(), 104);
}

#[test]
fn v2_headers() {
    let e = encode(&V2, &origin("10.1.2.3:1234", "10.9.9.9:80"));
    assert_eq!(e.as_bytes(), b"\r\n\r\n\0\r\nQUIT\n!\x11\x00\x0c\n\x01\x02\x03\n\t\t\t\x04\xd2\x00P");
    // Health checks (the proxy's own connections) say LOCAL, as HAProxy's do.
    let own = Origin { own: true, ..origin("127.0.0.1:1", "127.0.0.1:2") };
    assert_eq!(encode(&V2, &own).as_bytes(), b"\r\n\r\n\0\r\nQUIT\n \x00\x00\x00");
    let never = Origin { never_local: true, ..own };
    assert_eq!(encode(&V2, &never).as_bytes().len(), 28);
    let e = encode(&V2, &origin("[2001:db8::1]:1234", "[::1]:80"));
    assert_eq!(e.as_bytes().len(), 52);
    assert_eq!(&e.as_bytes()[12..16], &[0x21, 0x21, 0, 36]);
}

#[test]
fn v2_options_round_trip() {
    let how = SendProxy { crc32c: true, authority: true, unique_id: true, ..V2 };
    let o = Origin { authority: Some(b"example.com"), ..origin("10.1.2.3:1234", "10.9.9.9:80") };
    let e = encode(&how, &o);
    // The parser checks the checksum and finds the authority again.
    let Ok(Parsed::Complete(h)) = parse(e.as_bytes()) else { panic!("{:?}", e.as_bytes()) };
    assert_eq!(h.len, e.as_bytes().len());
    assert_eq!(&e.as_bytes()[h.authority.unwrap()], b"example.com");
    assert_eq!(&e.as_bytes()[e.as_bytes().len() - 3..], &[0x05, 0, 0]);
}

#[test]
fn every_encoded_header_parses_back() {
    for (s, d) in [("1.2.3.4:5", "6.7.8.9:10"), ("[::ffff:1.2.3.4]:5", "[fe80::1]:6"), ("[::]:0", "[::1]:1")] {
        for how in [V1, V2] {
            let e = encode(&how, &origin(s, d));
            let Ok(Parsed::Complete(h)) = parse(e.as_bytes()) else { panic!("{s} {d}") };
            let (ps, pd) = h.addrs.unwrap();
            assert_eq!((ps.port(), pd.port()), (a(s).port(), a(d).port()));
            assert_eq!(h.len, e.as_bytes().len());
        }
    }
}

#[test]
fn v2_crc32c_and_unique_id_as_haproxy_sent_them() {
    // `send-proxy-v2 proxy-v2-options crc32c,authority proxy-v2-options unique-id`, a client
    // without an authority: the bytes a backend of HAProxy 2.6.12 received.
    let how = SendProxy { crc32c: true, authority: true, unique_id: true, ..V2 };
    let e = encode(&how, &origin("127.0.0.1:44804", "127.0.0.1:19442"));
    let want: &[u8] = b"\r\n\r\n\0\r\nQUIT\n!\x11\x00\x16\x7f\x00\x00\x01\x7f\x00\x00\x01\xaf\x04K\xf2\x03\x00\x04\xfa\x7f\x96\xec\x05\x00\x00";
    assert_eq!(e.as_bytes(), want);
    // A health check's stream-less connection carries no unique-id TLV.
    let own = Origin { own: true, stream: false, ..origin("127.0.0.1:1", "127.0.0.1:2") };
    assert_eq!(&encode(&how, &own).as_bytes()[12..16], &[0x20, 0x00, 0, 7]);
}

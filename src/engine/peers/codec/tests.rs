use super::*;
use proptest::prelude::*;

fn enc(v: u64) -> Vec<u8> {
    let mut o = Vec::new();
    put_int(&mut o, v);
    o
}

#[test]
fn integers_as_haproxy_2_6_sends_them() {
    // Recorded from HAProxy 2.6 table definitions: an expire of 60s and of 30s, a period of
    // 10s and of 5s, a data type bitfield.
    assert_eq!(enc(60000), [0xf0, 0x97, 0x1c]);
    assert_eq!(enc(30000), [0xf0, 0xc4, 0x0d]);
    assert_eq!(enc(10000), [0xf0, 0xe2, 0x03]);
    assert_eq!(enc(5000), [0xf8, 0xa9, 0x01]);
    assert_eq!(enc(524289), [0xf1, 0xf1, 0xfe, 0x00]);
    assert_eq!(enc(239), [239]);
    assert_eq!(enc(240), [0xf0, 0x00]);
    // A server_id of -2, sign-extended to 64 bits.
    assert_eq!(enc(-2i64 as u64), [0xfe, 0xf0, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0e]);
}

#[test]
fn frames_wait_for_their_data() {
    assert_eq!(next_frame(&[0]).unwrap(), None);
    assert_eq!(next_frame(&[0, 4, 9]).unwrap(), Some((Frame { class: 0, kind: 4, data: &[] }, 2)));
    assert_eq!(next_frame(&[10, 0x80, 3, 1, 2]).unwrap(), None);
    let f = next_frame(&[10, 0x80, 3, 1, 2, 3, 7]).unwrap().unwrap();
    assert_eq!(f, (Frame { class: 10, kind: 0x80, data: &[1, 2, 3] }, 6));
    assert!(matches!(next_frame(&[10, 0x80, 0xff, 0xff, 0x7f]), Err(CodecError::TooLong(_))));
}

#[test]
fn a_recorded_definition_parses() {
    // HAProxy 2.6's definition of `table st type string len 20 ... expire 60s store
    // conn_cnt,conn_cur,http_req_rate(10s),bytes_in_cnt,gpc(2),gpc_rate(2,5s),gpt(1)`.
    let msg = [
        0x0a, 0x82, 0x1b, 0x01, 0x03, 0x2f, 0x73, 0x74, 0x06, 0x15, 0xf0, 0xb6, 0x83, 0x6f, 0xf0, 0x97, 0x1c, 0x0a,
        0xf0, 0xe2, 0x03, 0x16, 0x01, 0x17, 0x02, 0x18, 0x02, 0xf8, 0xa9, 0x01,
    ];
    let (f, n) = next_frame(&msg).unwrap().unwrap();
    assert_eq!(n, msg.len());
    let d = parse_define(f.data, |dt| (22..=24).contains(&dt), |dt| dt == 10 || dt == 24).unwrap();
    assert_eq!(d.id, 1);
    assert_eq!(d.name, b"/st");
    assert_eq!((d.key_type, d.key_len, d.expire), (6, 21, 60000));
    assert_eq!(d.data_types, (1 << 4) | (1 << 6) | (1 << 10) | (1 << 13) | (1 << 22) | (1 << 23) | (1 << 24));
    assert_eq!((d.nbelem[22], d.nbelem[23], d.nbelem[24]), (1, 2, 2));
    let mut back = Vec::new();
    put_define(&mut back, 1, b"/st", 6, 21, d.data_types, 60000, &f.data[14..]);
    assert_eq!(back, msg);
}

#[test]
fn hello_checks_in_haproxy_order() {
    fn check(text: &'static str) -> (Status, &'static str) {
        let (lines, _) = split_hello(text.as_bytes()).unwrap();
        check_hello(&lines, "a", |n| n == "b")
    }
    assert_eq!(check("HAProxyS 2.1\na\nb 12 1\n"), (Status::Ok, "b"));
    assert_eq!(check("HAProxyS 2.0\na\nb 12 1\n"), (Status::Ok, "b"));
    assert_eq!(check("HAProxyX 2.1\na\nb 12 1\n").0, Status::ProtocolError);
    assert_eq!(check("HAProxyS 3.1\na\nb 12 1\n").0, Status::BadVersion);
    assert_eq!(check("HAProxyS 2.1\nz\nb 12 1\n").0, Status::LocalNameMismatch);
    assert_eq!(check("HAProxyS 2.1\na\nc 12 1\n").0, Status::RemoteNameMismatch);
    assert_eq!(check("HAProxyS 2.1\na\nb\n").0, Status::ProtocolError);
    assert_eq!(check("HAProxyS 2.1\na\n\n").0, Status::ProtocolError);
    assert_eq!(check("HAProxyS 2.1\r\na\r\nb 1 1\r\n"), (Status::Ok, "b"));
    assert_eq!(split_hello(b"HAProxyS 2.1\na\nb 12"), None);
    assert_eq!(hello("b", "a", 7), "HAProxyS 2.1\nb\na 7 1\n");
    assert_eq!(parse_status(b"200"), Some(200));
    assert_eq!(parse_status(b"x"), None);
}

proptest! {
    #[test]
    fn integers_round_trip(v in any::<u64>()) {
        let e = enc(v);
        let mut pos = 0;
        prop_assert_eq!(get_int(&e, &mut pos).unwrap(), v);
        prop_assert_eq!(pos, e.len());
    }

    #[test]
    fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = next_frame(&b);
        let _ = parse_define(&b, |d| d > 20, |d| d % 2 == 0);
        let _ = parse_update_head(STKT_UPDATE_TIMED, &b);
        let _ = parse_ack(&b);
        if let Some((lines, _)) = split_hello(&b) {
            let _ = check_hello(&lines, "a", |_| true);
        }
        let mut pos = 0;
        let _ = get_int(&b, &mut pos);
        let _ = get_bytes(&b, &mut pos, u64::MAX);
    }
}

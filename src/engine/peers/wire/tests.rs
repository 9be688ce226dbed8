use super::*;
use crate::engine::peers::codec::next_frame;
use crate::engine::stick::data::{Layout, Schema, Stored};
use crate::engine::stick::TableSpec;
use proptest::prelude::*;

fn table(key: KeyType, expire: Option<u32>, store: &[&str], extra: &[DataType]) -> Arc<Table> {
    let mut schema = Schema::from_store(&store.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    for dt in extra {
        schema.add(Stored { dt: *dt, period: 0, count: 0 });
    }
    let spec = TableSpec {
        name: "t".into(),
        key,
        size: 100,
        expire,
        nopurge: false,
        srvkey_addr: false,
        layout: Layout::new(schema),
    };
    Arc::new(Table::new(spec, 0))
}

const ST_STORE: &[&str] =
    &["conn_cnt", "conn_cur", "http_req_rate(10s)", "bytes_in_cnt", "gpc(2)", "gpc_rate(2,5s)", "gpt(1)"];

pub(crate) fn st() -> WireTable {
    WireTable {
        table: table(KeyType::String(20), Some(60_000), ST_STORE, &[]),
        id: 1,
        name: wire_name("mypeers/st", "mypeers"),
    }
}

/// HAProxy 2.6's definition of that table, then an update of key `abc`.
pub(crate) const ST_DEFINE: &[u8] = &[
    0x0a, 0x82, 0x1b, 0x01, 0x03, 0x2f, 0x73, 0x74, 0x06, 0x15, 0xf0, 0xb6, 0x83, 0x6f, 0xf0, 0x97, 0x1c, 0x0a, 0xf0,
    0xe2, 0x03, 0x16, 0x01, 0x17, 0x02, 0x18, 0x02, 0xf8, 0xa9, 0x01,
];
pub(crate) const ST_UPDATE: &[u8] = &[
    0x0a, 0x80, 0x1b, 0, 0, 0, 3, 3, b'a', b'b', b'c', 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0xfa, 0xe5, 0x88, 0xf6,
    0x7d, 0, 0,
];

#[test]
fn definitions_match_haproxy_bytes() {
    let mut out = Vec::new();
    put_define(&mut out, &st());
    assert_eq!(out, ST_DEFINE);
    // `backend be` with `stick-table type ip size 100 expire 30s` and a stick rule.
    let be = WireTable {
        table: table(KeyType::Ip, Some(30_000), &[], &[DataType::ServerId, DataType::ServerKey]),
        id: 2,
        name: wire_name("be", "mypeers"),
    };
    out.clear();
    put_define(&mut out, &be);
    assert_eq!(out, [0x0a, 0x82, 0x0d, 0x02, 0x02, b'b', b'e', 0x04, 0x04, 0xf1, 0xf1, 0xfe, 0x00, 0xf0, 0xc4, 0x0d]);
}

#[test]
fn a_haproxy_update_applies() {
    let tables = [st()];
    let (f, _) = next_frame(ST_DEFINE).unwrap().unwrap();
    let remote = match_define(f.data, &tables).unwrap();
    assert_eq!(remote.local, Some(0));
    let (f, _) = next_frame(ST_UPDATE).unwrap().unwrap();
    let mut rx = [0u32; DICT_CACHE];
    let u = decode_update(f.kind, f.data, &remote.def, KeyType::String(20), &mut rx).unwrap();
    assert_eq!((u.id, u.expire), (Some(3), None));
    assert_eq!(u.key.as_bytes(), b"abc");
    let t = &tables[0].table;
    assert!(apply(t, &u, 5000));
    let got = t.lookup(b"abc", 5000, false, |d| {
        (
            d.uint(DataType::ConnCnt),
            d.uint(DataType::ConnCur),
            d.rate(DataType::HttpReqRate, 5000),
            d.elem(DataType::Gpc, 0, 5000),
            d.elem(DataType::GpcRate, 0, 5000),
        )
    });
    // conn_cur stays local.
    assert_eq!(got, Some((Some(1), Some(0), Some(1), Some(1), Some(1))));
    assert_eq!(t.dump(5000)[0].exp, 60_000);
    // A definition for a table we do not have (or with another key size) is not matched.
    let mut other = Vec::new();
    codec::put_define(&mut other, 1, b"/st", 6, 33, 0, 0, &[]);
    assert_eq!(match_define(&other[3..], &tables).unwrap().local, None);
}

#[test]
fn server_keys_in_full_then_by_id() {
    let be = table(KeyType::Ip, Some(30_000), &[], &[DataType::ServerId, DataType::ServerKey]);
    let mut def = Vec::new();
    codec::put_define(&mut def, 2, b"be", 4, 4, (1 << 0) | (1 << 19), 30_000, &[]);
    let tables = [WireTable { table: be.clone(), id: 1, name: b"be".to_vec() }];
    let remote = match_define(&def[3..], &tables).unwrap();
    let mut rx = [0u32; DICT_CACHE];
    let full = [0, 0, 0, 1, 127, 0, 0, 1, 1, 4, 1, 2, b's', b'1'];
    let by_id = [0, 0, 0, 2, 127, 0, 0, 2, 1, 1, 1];
    for data in [&full[..], &by_id[..]] {
        let u = decode_update(codec::STKT_UPDATE, data, &remote.def, KeyType::Ip, &mut rx).unwrap();
        assert!(apply(&be, &u, 0));
    }
    for ip in [[127, 0, 0, 1], [127, 0, 0, 2]] {
        let k = be.lookup(&ip, 0, false, |d| (d.server_id(), d.server_key().and_then(dict::get))).unwrap();
        assert_eq!(k, (Some(1), Some("s1".into())));
    }
    // An id never sent in full reads as no key; id 0 or past the cache is malformed.
    let unknown = [0, 0, 0, 3, 127, 0, 0, 3, 1, 1, 9];
    assert_eq!(
        decode_update(0x80, &unknown, &remote.def, KeyType::Ip, &mut rx).unwrap().values[1].2,
        Value::Dict(None)
    );
    let bad = [0, 0, 0, 3, 127, 0, 0, 3, 1, 1, 0];
    assert!(decode_update(0x80, &bad, &remote.def, KeyType::Ip, &mut rx).is_err());
}

#[test]
fn entries_round_trip_between_tables() {
    let store = ["server_id", "gpc0", "conn_cnt", "conn_rate(3s)", "bytes_out_cnt", "gpt(2)", "gpc_rate(2,1s)"];
    for kt in [KeyType::Integer, KeyType::Ip, KeyType::Ipv6, KeyType::String(8), KeyType::Binary(6)] {
        let a = table(kt, Some(10_000), &store, &[DataType::ServerKey]);
        let b = table(kt, Some(10_000), &store, &[DataType::ServerKey]);
        let key = match kt {
            KeyType::Integer => Key::from_bytes(&0x0102_0304u32.to_le_bytes()),
            KeyType::Ip => Key::from_bytes(&[10, 0, 0, 1]),
            KeyType::Ipv6 => Key::from_bytes(&[7; 16]),
            KeyType::String(_) => Key::from_bytes(b"k1"),
            KeyType::Binary(n) => Key::padded(b"k1", n),
        };
        a.get_or_create(&key, 1000, |mut d| {
            d.set_server_id(-3);
            d.set_server_key(dict::intern("srv-a"));
            d.add_uint(DataType::Gpc0, 7);
            d.update_rate(DataType::ConnRate, 900, 4);
            d.set_ull(DataType::BytesOutCnt, 5_000_000_000);
            d.set_elem(DataType::Gpt, 1, 9);
            d.add_elem(DataType::GpcRate, 1, 950, 2);
        });
        let wt = WireTable { table: a.clone(), id: 3, name: b"t".to_vec() };
        let (mut def, mut upd, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        put_define(&mut def, &wt);
        a.for_each_live(1000, |k, d, _| put_update(&mut upd, &mut scratch, &a, 42, Some(700), k, d, 1000));
        let tables = [WireTable { table: b.clone(), id: 1, name: b"t".to_vec() }];
        let (f, _) = next_frame(&def).unwrap().unwrap();
        let remote = match_define(f.data, &tables).unwrap();
        assert_eq!(remote.local, Some(0), "{kt:?}");
        let (f, n) = next_frame(&upd).unwrap().unwrap();
        assert_eq!(n, upd.len());
        let mut rx = [0u32; DICT_CACHE];
        let u = decode_update(f.kind, f.data, &remote.def, kt, &mut rx).unwrap();
        assert_eq!((u.id, u.expire), (Some(42), Some(700)));
        assert!(apply(&b, &u, 1000));
        let words = |t: &Table| t.dump(1000).into_iter().map(|d| (d.key, d.words)).collect::<Vec<_>>();
        let (wa, wb) = (words(&a), words(&b));
        assert_eq!(wa.len(), 1);
        assert_eq!(wa[0].0, wb[0].0, "{kt:?}");
        assert_eq!(wa[0].1, wb[0].1, "{kt:?}");
        assert_eq!(b.dump(1000)[0].exp, 700);
    }
}

proptest! {
    #[test]
    fn garbage_updates_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80), kind in 0x80u8..0x87) {
        let tables = [st()];
        let (f, _) = next_frame(ST_DEFINE).unwrap().unwrap();
        let remote = match_define(f.data, &tables).unwrap();
        let mut rx = [0u32; DICT_CACHE];
        for kt in [KeyType::String(20), KeyType::Integer, KeyType::Binary(40)] {
            if let Ok(u) = decode_update(kind, &b, &remote.def, kt, &mut rx) {
                if kt == KeyType::String(20) {
                    apply(&tables[0].table, &u, 0);
                }
            }
        }
        let _ = match_define(&b, &tables);
    }
}

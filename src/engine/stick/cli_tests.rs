//! Replies checked against HAProxy 2.6.12 (recorded with socat on its stats socket; entry
//! addresses differ by nature and are normalised).

use super::*;
use crate::engine::stick::data::{Layout, Schema, Stored};
use crate::engine::stick::{KeyType, TableSpec};

fn tables() -> Tables {
    let mut t = Tables::default();
    let mut s = Schema::from_store(&[
        "conn_cnt".into(),
        "conn_cur".into(),
        "conn_rate(10s)".into(),
        "http_req_cnt".into(),
        "http_req_rate(10s)".into(),
        "gpc0".into(),
        "gpc0_rate(10s)".into(),
        "gpc1".into(),
        "bytes_in_cnt".into(),
        "bytes_out_cnt".into(),
        "bytes_in_rate(10s)".into(),
        "bytes_out_rate(10s)".into(),
        "server_key".into(),
    ]);
    s.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
    let spec = |name: &str, key, size, expire, schema| TableSpec {
        name: name.into(),
        key,
        size,
        expire,
        nopurge: false,
        srvkey_addr: false,
        layout: Layout::new(schema),
    };
    t.add(spec("be", KeyType::Ip, 10, Some(30_000), s));
    t.add(spec("be2", KeyType::Integer, 1024, None, Schema::default()));
    let mut s3 = Schema::default();
    s3.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
    t.add(spec("be3", KeyType::String(12), 1024, Some(60_000), s3));
    t.add(spec("be4", KeyType::Binary(4), 1024, Some(60_000), Schema::default()));
    t.add(spec(
        "a",
        KeyType::String(8),
        10,
        Some(60_000),
        Schema::from_store(&[
            "gpc(2)".into(),
            "gpc_rate(2,10s)".into(),
            "gpt(2)".into(),
            "server_key".into(),
            "bytes_in_cnt".into(),
            "http_req_rate(1m)".into(),
        ]),
    ));
    t
}

fn run(t: &Tables, line: &str, now: Tick) -> String {
    run_as(t, line, CliLevel::Admin, now)
}

fn run_as(t: &Tables, line: &str, level: CliLevel, now: Tick) -> String {
    let w: Vec<&str> = line.split(' ').collect();
    let action = match w[0] {
        "show" => Action::Show,
        "set" => Action::Set,
        _ => Action::Clear,
    };
    let out = table_command(t, action, &w[2..], level, now);
    // Entry addresses are volatile.
    out.lines()
        .map(|l| match l.split_once(": key=") {
            Some((a, rest)) if a.starts_with("0x") => format!("ADDR: key={rest}\n"),
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn listing_and_errors() {
    let t = tables();
    assert_eq!(
        run(&t, "show table", 0),
        "# table: a, type: string, size:10, used:0\n# table: be4, type: binary, size:1024, used:0\n\
         # table: be3, type: string, size:1024, used:0\n# table: be2, type: integer, size:1024, used:0\n\
         # table: be, type: ip, size:10, used:0\n"
    );
    assert_eq!(run(&t, "show table nosuch", 0), "No such table\n");
    assert_eq!(run(&t, "show table be2 data.foo eq 1", 0), "Filter entry #1: Unknown data type\n");
    assert_eq!(
        run(&t, "show table be2 data.server_id eq 1", 0),
        "Filter entry #1: Data type not stored in this table\n"
    );
    assert_eq!(
        run(&t, "show table be data.gpc0 foo 1", 0),
        "Filter entry #1: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n"
    );
    assert_eq!(
        run(&t, "show table be data.gpc0 eq x", 0),
        "Filter entry #1: Require a valid integer value to compare against\n"
    );
    assert_eq!(run(&t, "show table be2 key", 0), "Key value expected\n");
    assert_eq!(
        run(&t, "show table be2 bogus", 0),
        "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n"
    );
    assert_eq!(
        run(&t, "clear table", 0),
        "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n"
    );
    assert_eq!(run(&t, "set table", 0), "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n");
    assert_eq!(
        run(&t, "set table be data.gpc0 eq 1", 0),
        "content-based lookup is only supported with the \"show\" and \"clear\" actions\n"
    );
    assert_eq!(
        run(&t, "set table be4 key 0a0b data.gpc0 5", 0),
        "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n"
    );
    assert_eq!(
        run(&t, "show table be4 key 00", 0),
        "Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n"
    );
    assert_eq!(run(&t, "set table be2 key -5 data.server_id 1", 0), "Invalid key\n");
}

#[test]
fn set_then_show() {
    let t = tables();
    assert_eq!(run(&t, "set table be2 key 80 data.server_id 1", 0), "Data type not stored in this table\n");
    assert_eq!(
        run(&t, "show table be2", 0),
        "# table: be2, type: integer, size:1024, used:1\nADDR: key=80 use=0 exp=0\n"
    );
    assert_eq!(run(&t, "show table be2 key 81", 0), "");
    assert_eq!(run(&t, "set table be3 key abcdefghijklmnopqrstuvwxyz data.server_id 3", 0), "");
    assert_eq!(
        run(&t, "show table be3", 19),
        "# table: be3, type: string, size:1024, used:1\nADDR: key=abcdefghijkl use=0 exp=59981 server_id=3\n"
    );
    run(&t, "set table be key 10.0.0.2 data.gpc0 3", 0);
    run(&t, "set table be key 10.0.0.1 data.gpc0 5 data.http_req_rate 7", 0);
    run(&t, "set table be key 9.255.0.1 data.conn_cnt -4", 0);
    run(&t, "set table be key 1.2.3.7 data.server_id 99999999999", 0);
    assert_eq!(run(&t, "set table be key 1.2.3.4 data.gpc0 x", 0), "Require a valid integer value to store\n");
    assert_eq!(run(&t, "set table be key 1.2.3.4 gpc0 1", 0), "\"data.<type>\" followed by a value expected\n");
    assert_eq!(run(&t, "set table be key 1.2.3.5 data.nope 1", 0), "Unknown data type\n");
    // HAProxy's order: server_id, gpc0, gpc0_rate, conn_cnt, ... (its data type order).
    let tail = "bytes_in_cnt=0 bytes_in_rate(10000)=0 bytes_out_cnt=0 bytes_out_rate(10000)=0 gpc1=0 server_key=-";
    let row = |key: &str, sid: &str, gpc0: u32, conn_cnt: u32, rate: u32| {
        format!(
            "ADDR: key={key} use=0 exp=29900 server_id={sid} gpc0={gpc0} gpc0_rate(10000)=0 conn_cnt={conn_cnt} \
             conn_rate(10000)=0 conn_cur=0 http_req_cnt=0 http_req_rate(10000)={rate} {tail}\n"
        )
    };
    assert_eq!(
        run(&t, "show table be data.gpc0 ge 4", 100),
        format!("# table: be, type: ip, size:10, used:6\n{}", row("10.0.0.1", "0", 5, 0, 7))
    );
    let all = run(&t, "show table be", 100);
    let want = [
        "# table: be, type: ip, size:10, used:6\n".to_string(),
        row("1.2.3.4", "0", 0, 0, 0),
        row("1.2.3.5", "0", 0, 0, 0),
        row("1.2.3.7", "1215752191", 0, 0, 0),
        row("9.255.0.1", "0", 0, 4_294_967_292, 0),
        row("10.0.0.1", "0", 5, 0, 7),
        row("10.0.0.2", "0", 3, 0, 0),
    ]
    .concat();
    assert_eq!(all, want);
}

#[test]
fn clear_and_the_set_without_key_quirk() {
    let t = tables();
    for k in ["1.1.1.1", "1.1.1.2"] {
        run(&t, &format!("set table be key {k} data.gpc0 1"), 0);
    }
    run(&t, "set table be key 1.1.1.3 data.gpc1 1", 0);
    assert_eq!(run(&t, "clear table be data.gpc0 eq 1", 0), "");
    assert_eq!(t.get("be").unwrap().used(0), 1);
    assert_eq!(run(&t, "clear table be key 1.1.1.9", 0), "");
    run(&t, "set table be key 1.1.1.4", 0);
    assert_eq!(run(&t, "set table be", 0), "");
    assert_eq!(t.get("be").unwrap().used(0), 0);
}

#[test]
fn arrays_and_escapes() {
    let t = tables();
    run(&t, "set table a key x data.gpc 3", 0);
    assert_eq!(run(&t, "set table a key y data.gpc0 3", 0), "Data type not stored in this table\n");
    run(&t, "set table a key z data.gpt 5 data.gpc_rate 2 data.bytes_in_cnt 5000000000", 0);
    let t2 = &t;
    let _ = t2;
    let out = run(&t, "show table a data.bytes_in_cnt gt 1 data.gpc eq 0", 10);
    assert_eq!(
        out,
        "# table: a, type: string, size:10, used:3\nADDR: key=z use=0 exp=59990 http_req_rate(60000)=0 \
         bytes_in_cnt=5000000000 server_key=- gpt0=5 gpt1=0 gpc0=0 gpc1=0 gpc0_rate(10000)=2 gpc1_rate(10000)=0\n"
    );
    assert_eq!(
        run(&t, "show table a data.bytes_in_cnt gt 1 data.gpc eq 0 data.gpc eq 0 data.gpc eq 0 data.gpc eq 0", 0),
        "Detected extra data in filter, 16th word of input, after '0'\n"
    );
    assert_eq!(run(&t, "show table a data.gpc eq 0 data.nope eq 1", 0), "Filter entry #2: Unknown data type\n");
    let w = ["a", "key", "a b=c", "data.gpc", "1"];
    table_command(&t, Action::Set, &w, CliLevel::Admin, 0);
    let out = table_command(&t, Action::Show, &["a", "key", "a b=c"], CliLevel::Admin, 0);
    assert!(out.contains(" key=a\\ b\\=c use=0 "), "{out}");
}

#[test]
fn levels() {
    let t = tables();
    run(&t, "set table be key 1.1.1.2 data.gpc1 1", 0);
    assert_eq!(
        run_as(&t, "show table be", CliLevel::User, 0),
        "# table: be, type: ip, size:10, used:1\n# contents not dumped due to insufficient privileges\n"
    );
    assert_eq!(run_as(&t, "set table be key 1.1.1.5", CliLevel::User, 0), "Permission denied\n");
    assert_eq!(run_as(&t, "clear table be key 1.1.1.2", CliLevel::User, 0), "Permission denied\n");
    assert_eq!(run_as(&t, "show table be key 1.1.1.2", CliLevel::User, 0), "Permission denied\n");
    assert_eq!(run_as(&t, "clear table be", CliLevel::User, 0), "");
    assert_eq!(t.get("be").unwrap().used(0), 1);
}

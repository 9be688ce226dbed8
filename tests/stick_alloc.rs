//! Stick tables on the traffic path do not allocate once warm: `stick on` rules (lookup on
//! the request, store on the response), `track-sc` with its counters and release, for IP and
//! string keys up to 32 bytes (HAProxy's default `len`; longer keys live on the heap),
//! including inserts of new keys into a full table (which purge the oldest).
//! Counted with a counting global allocator, so this file holds a single test.

use std::net::SocketAddr;
use std::sync::Arc;

use haproxide::acl::{self, SampleSource};
use haproxide::engine::persist::cookie::Flags;
use haproxide::engine::stick::rules::{Pending, Rule, ServerKeys, Servers, StickRules};
use haproxide::engine::stick::track::StkCtrs;
use haproxide::engine::stick::{KeyType, Layout, Schema, Table, TableSpec};

struct Req {
    src: SocketAddr,
    host: Vec<u8>,
}

impl SampleSource for Req {
    fn src(&self) -> Option<SocketAddr> {
        Some(self.src)
    }
    fn dst(&self) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 80)))
    }
    fn is_http(&self) -> bool {
        true
    }
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        (i == 0).then_some((b"host".as_slice(), self.host.as_slice()))
    }
}

struct Be(Vec<ServerKeys>);
impl Servers for Be {
    fn keys(&self) -> &[ServerKeys] {
        &self.0
    }
    fn running(&self, _idx: usize) -> bool {
        true
    }
}

fn table(name: &str, key: KeyType, store: &[&str]) -> Arc<Table> {
    let store: Vec<String> = store.iter().map(|s| s.to_string()).collect();
    let spec = TableSpec {
        name: name.into(),
        key,
        size: 1000,
        expire: Some(30_000),
        nopurge: false,
        srvkey_addr: false,
        layout: Layout::new(Schema::from_store(&store)),
    };
    Arc::new(Table::new(spec, 0))
}

fn rule(t: &Arc<Table>, expr: &str) -> Rule {
    let expr = acl::parse_sample_expr(&[expr], &mut 0).expect("sample expression");
    Rule { on_match: true, on_store: true, expr, table: t.clone(), cond: None }
}

/// One request of client `n`: stick rules both ways, and track-sc0 on its address.
fn request(rules: &StickRules, be: &Be, counters: &Arc<Table>, req: &Req, server: usize, now: u32) -> Option<usize> {
    let (mut flags, mut pending) = (Flags::default(), Pending::default());
    rules.on_request(req, be, false, &mut flags, &mut pending, now);
    let served = flags.assigned.unwrap_or(server);
    rules.on_response(req, be, served, &mut pending, now);
    let mut ctrs = StkCtrs::default();
    let key = counters.key_type.key_of(acl::Sample::Ipv4(match req.src.ip() {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => unreachable!("clients are IPv4"),
    }));
    ctrs.track(0, counters, &key.expect("an IPv4 key"), now, true, true);
    ctrs.http_request(None, now);
    ctrs.http_status(None, 404, now);
    ctrs.bytes(None, 100, 2000, now);
    ctrs.release(now);
    flags.assigned
}

fn client(n: u32, host: &mut Vec<u8>) -> Req {
    let [_, b, c, d] = n.to_be_bytes();
    host.clear();
    host.extend_from_slice(format!("www{n}.example.com").as_bytes());
    Req { src: SocketAddr::from(([10, b, c, d], 40000)), host: std::mem::take(host) }
}

#[test]
fn warm_stick_tables_do_not_allocate() {
    let by_src = table("by_src", KeyType::Ip, &["server_id"]);
    let by_host = table("by_host", KeyType::String(32), &["server_id", "server_key"]);
    let counters = table(
        "counters",
        KeyType::Ip,
        &[
            "conn_cur",
            "conn_cnt",
            "conn_rate(10s)",
            "http_req_cnt",
            "http_req_rate(10s)",
            "http_err_cnt",
            "gpc0",
            "bytes_in_cnt",
            "bytes_out_rate(1s)",
        ],
    );
    let rules = StickRules { request: vec![rule(&by_src, "src"), rule(&by_host, "req.hdr(host)")], response: vec![] };
    let be = Be((0..4).map(|i| ServerKeys { id: i + 1, ..ServerKeys::default() }).collect());

    // Requests are built before counting: the client's own buffers are not the table's.
    let mut scratch = Vec::new();
    let warm: Vec<Req> = (0..30000).map(|n| client(n, &mut scratch)).collect();
    let measured: Vec<Req> = (30000..33000).map(|n| client(n, &mut scratch)).collect();
    // Warm-up: many times the tables' size, so that every shard's slots and map have reached
    // their high-water mark (a shard's share of a full table varies as keys come and go; with
    // a short warm-up a few amortised growths still show).
    for (i, req) in warm.iter().enumerate() {
        request(&rules, &be, &counters, req, i % 4, i as u32);
    }
    assert_eq!(by_src.used(30000), 1000);

    let mut returning = 0;
    let info = allocation_counter::measure(|| {
        for (i, req) in measured.iter().enumerate() {
            let now = 30000 + i as u32;
            // A new client (an insert into a full table, purging the oldest), then the same
            // client again (a hit that picks its server).
            request(&rules, &be, &counters, req, i % 4, now);
            if request(&rules, &be, &counters, req, (i + 1) % 4, now).is_some() {
                returning += 1;
            }
        }
    });
    assert_eq!(returning, measured.len(), "every returning client was sent to its server");
    assert_eq!(info.count_total, 0, "allocations on the stick-table path: {info:?}");
}

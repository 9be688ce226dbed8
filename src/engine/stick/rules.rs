//! `stick match|on|store-request|store-response` as HAProxy 2.6 runs them
//! (`process_sticking_rules`, `process_store_rules`, `sticking_rule_find_target`):
//!
//! * On the request, rules run in order. A matching rule looks its key up and, if the entry
//!   names a server and no server is assigned yet, sends the request there, provided the
//!   server is not stopped (or `option persist` / `force-persist` say to go anyway). A found
//!   entry is touched. `stick match` alone never stores anything.
//! * Storing rules only note the key: the first storing rule of each table wins. The entries
//!   are written once the response comes (in TCP, once the server connection is up), with the
//!   server that served it, unless that server is `non-stick`.
//! * `store-response` rules run on the response, also first-per-table, alongside the
//!   request's pending stores.

use std::sync::Arc;

use crate::acl::{self, SampleSource};
use crate::engine::persist::cookie::Flags;

use super::data::DataType;
use super::freq::Tick;
use super::key::Key;
use super::table::Table;

/// One compiled `stick` rule.
pub struct Rule {
    pub on_match: bool,
    pub on_store: bool,
    pub expr: acl::SampleExpr,
    pub table: Arc<Table>,
    pub cond: Option<acl::Condition>,
}

/// A backend's stick rules, request side (`on`, `match`, `store-request`, in order) and
/// response side (`store-response`).
#[derive(Default)]
pub struct StickRules {
    pub request: Vec<Rule>,
    pub response: Vec<Rule>,
}

/// What a server is known as in stick tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerKeys {
    /// `server_id` (the server's `id`).
    pub id: i32,
    /// `server_key` dictionary indexes of its name and of its `address:port`.
    pub name_key: u32,
    pub addr_key: u32,
    pub non_stick: bool,
}

/// The backend's servers as stick rules see them.
pub trait Servers {
    fn keys(&self) -> &[ServerKeys];
    /// Not stopped (HAProxy's `cur_state != SRV_ST_STOPPED`).
    fn running(&self, idx: usize) -> bool;
}

const MAX_STORES: usize = 8;

/// The keys a stream will store once it has a server (HAProxy's `s->store[8]`).
#[derive(Default)]
pub struct Pending {
    items: [Option<(Arc<Table>, Key)>; MAX_STORES],
    n: usize,
}

impl Pending {
    fn has(&self, from: usize, t: &Arc<Table>) -> bool {
        self.items[from..self.n].iter().flatten().any(|(pt, _)| Arc::ptr_eq(pt, t))
    }
    fn push(&mut self, t: &Arc<Table>, k: Key) {
        if self.n < MAX_STORES {
            self.items[self.n] = Some((t.clone(), k));
            self.n += 1;
        }
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Forget the pending stores (the request got no server).
    pub fn clear(&mut self) {
        for it in &mut self.items[..self.n] {
            *it = None;
        }
        self.n = 0;
    }
}

fn key_of(rule: &Rule, src: &dyn SampleSource) -> Option<Key> {
    if let Some(c) = &rule.cond {
        if !c.eval(src) {
            return None;
        }
    }
    let s = acl::eval::eval_expr(&rule.expr, src)?;
    rule.table.key_type.key_of(s)
}

/// The server an entry designates: by its stored key first, then by its id.
fn target(t: &Table, sid: Option<i32>, skey: Option<u32>, servers: &dyn Servers) -> Option<usize> {
    if let Some(k) = skey.filter(|k| *k != 0) {
        let by = |s: &ServerKeys| if t.srvkey_addr { s.addr_key } else { s.name_key };
        if let Some(i) = servers.keys().iter().position(|s| by(s) == k) {
            return Some(i);
        }
    }
    let sid = sid?;
    servers.keys().iter().position(|s| s.id == sid)
}

impl StickRules {
    pub fn is_empty(&self) -> bool {
        self.request.is_empty() && self.response.is_empty()
    }

    /// Whether rules store anything, so that the stream must commit stores later.
    pub fn stores(&self) -> bool {
        !self.response.is_empty() || self.request.iter().any(|r| r.on_store)
    }

    /// The request side. Sets `flags.assigned` (and `direct`) when a match designates a usable
    /// server; `persist` is `option persist`.
    pub fn on_request(
        &self,
        src: &dyn SampleSource,
        servers: &dyn Servers,
        persist: bool,
        flags: &mut Flags,
        pending: &mut Pending,
        now: Tick,
    ) {
        for rule in &self.request {
            if rule.on_store && pending.has(0, &rule.table) {
                continue;
            }
            let Some(key) = key_of(rule, src) else { continue };
            if rule.on_match {
                let found = rule.table.lookup(key.as_bytes(), now, true, |d| (d.server_id(), d.server_key()));
                if let (Some((sid, skey)), None) = (found, flags.assigned) {
                    if let Some(i) = target(&rule.table, sid, skey, servers) {
                        if servers.running(i) || persist || flags.force {
                            flags.direct = true;
                            flags.assigned = Some(i);
                        }
                    }
                }
            }
            if rule.on_store {
                pending.push(&rule.table, key);
            }
        }
    }

    /// The response side: `store-response` rules, then every pending store is written with
    /// the server that served the request (`server` indexes `servers.keys()`).
    pub fn on_response(
        &self,
        src: &dyn SampleSource,
        servers: &dyn Servers,
        server: usize,
        pending: &mut Pending,
        now: Tick,
    ) {
        let nbreq = pending.n;
        for rule in &self.response {
            if pending.has(nbreq, &rule.table) {
                continue;
            }
            if let Some(key) = key_of(rule, src) {
                pending.push(&rule.table, key);
            }
        }
        commit(servers, server, pending, now);
    }
}

/// Write the pending stores for `server` (TCP commits right after connecting).
pub fn commit(servers: &dyn Servers, server: usize, pending: &mut Pending, now: Tick) {
    let Some(sk) = servers.keys().get(server).copied() else {
        pending.clear();
        return;
    };
    for it in &mut pending.items[..pending.n] {
        let Some((t, key)) = it.take() else { continue };
        if sk.non_stick {
            continue;
        }
        let dict = if t.srvkey_addr { sk.addr_key } else { sk.name_key };
        t.store(&key, now, |mut d| {
            d.set_server_id(sk.id);
            if d.l.has(DataType::ServerKey) {
                d.set_server_key(dict);
            }
        });
    }
    pending.n = 0;
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::engine::stick::{KeyType, Layout, Schema, Stored, TableSpec};

    struct Src(SocketAddr);
    impl SampleSource for Src {
        fn src(&self) -> Option<SocketAddr> {
            Some(self.0)
        }
        fn dst(&self) -> Option<SocketAddr> {
            Some("127.0.0.1:80".parse().unwrap())
        }
    }

    struct Be(Vec<ServerKeys>, Vec<bool>);
    impl Servers for Be {
        fn keys(&self) -> &[ServerKeys] {
            &self.0
        }
        fn running(&self, idx: usize) -> bool {
            self.1[idx]
        }
    }

    fn table(key: KeyType) -> Arc<Table> {
        let mut schema = Schema::default();
        schema.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
        schema.add(Stored { dt: DataType::ServerKey, period: 0, count: 0 });
        let spec = TableSpec {
            name: "be".into(),
            key,
            size: 100,
            expire: Some(60_000),
            nopurge: false,
            srvkey_addr: false,
            layout: Layout::new(schema),
        };
        Arc::new(Table::new(spec, 0))
    }

    fn rule(t: &Arc<Table>, expr: &str, on_match: bool, on_store: bool) -> Rule {
        let e = acl::parse_sample_expr(&[expr], &mut 0).unwrap();
        Rule { on_match, on_store, expr: e, table: t.clone(), cond: None }
    }

    fn be() -> Be {
        let keys = (0..2)
            .map(|i| ServerKeys {
                id: i + 1,
                name_key: super::super::dict::intern(&format!("rules-test-s{}", i + 1)),
                addr_key: 0,
                non_stick: false,
            })
            .collect();
        Be(keys, vec![true, true])
    }

    #[test]
    fn stick_on_src_stores_then_matches() {
        let t = table(KeyType::Ip);
        let rules = StickRules { request: vec![rule(&t, "src", true, true)], response: vec![] };
        let src = Src("10.0.0.1:1234".parse().unwrap());
        let be = be();
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 0);
        assert_eq!(flags.assigned, None);
        rules.on_response(&src, &be, 1, &mut pending, 0);
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 10);
        assert_eq!((flags.assigned, flags.direct), (Some(1), true));
    }

    #[test]
    fn stick_match_alone_stores_nothing() {
        let t = table(KeyType::Integer);
        let rules = StickRules { request: vec![rule(&t, "dst_port", true, false)], response: vec![] };
        let src = Src("10.0.0.1:1234".parse().unwrap());
        let be = be();
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 0);
        rules.on_response(&src, &be, 0, &mut pending, 0);
        assert_eq!(t.used(0), 0);
        // Once an entry exists (`set table`), it is used.
        t.get_or_create(&Key::from_bytes(&80u32.to_le_bytes()), 0, |mut d| d.set_server_id(2));
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 0);
        assert_eq!(flags.assigned, Some(1));
    }

    #[test]
    fn down_servers_and_non_stick() {
        let t = table(KeyType::Ip);
        let rules = StickRules { request: vec![rule(&t, "src", true, true)], response: vec![] };
        let src = Src("10.0.0.1:1234".parse().unwrap());
        let mut be = be();
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 0);
        rules.on_response(&src, &be, 0, &mut pending, 0);
        be.1[0] = false;
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 1);
        assert_eq!(flags.assigned, None);
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, true, &mut flags, &mut pending, 1);
        assert_eq!(flags.assigned, Some(0));
        // The other server is non-stick: serving the request stores nothing new.
        be.0[1].non_stick = true;
        t.clear_where(2, |_| true);
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 2);
        rules.on_response(&src, &be, 1, &mut pending, 2);
        assert_eq!(t.used(2), 0);
    }

    #[test]
    fn first_store_per_table_wins() {
        let t = table(KeyType::Integer);
        let rules = StickRules {
            request: vec![rule(&t, "dst_port", false, true), rule(&t, "src_port", false, true)],
            response: vec![rule(&t, "int(7)", false, true)],
        };
        let src = Src("10.0.0.1:1234".parse().unwrap());
        let be = be();
        let (mut flags, mut pending) = (Flags::default(), Pending::default());
        rules.on_request(&src, &be, false, &mut flags, &mut pending, 0);
        rules.on_response(&src, &be, 0, &mut pending, 0);
        let mut keys: Vec<u32> =
            t.dump(0).iter().map(|d| u32::from_le_bytes(d.key.as_bytes().try_into().unwrap())).collect();
        keys.sort();
        assert_eq!(keys, vec![7, 80]);
    }
}

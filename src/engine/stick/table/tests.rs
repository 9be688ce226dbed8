//! The table on a virtual clock: expiry, purge order and size bound, references, and
//! property tests against a model.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::engine::stick::data::{DataType, Schema, Stored};

fn spec(size: usize, expire: Option<u32>, nopurge: bool) -> TableSpec {
    let mut schema = Schema::from_store(&["gpc0".into(), "http_req_rate(10s)".into()]);
    schema.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
    TableSpec {
        name: "t".into(),
        key: KeyType::Integer,
        size,
        expire,
        nopurge,
        srvkey_addr: false,
        layout: Layout::new(schema),
    }
}

fn k(v: u32) -> Key {
    Key::from_bytes(&v.to_le_bytes())
}

fn keys(t: &Table, now: Tick) -> Vec<u32> {
    let mut v: Vec<u32> =
        t.dump(now).iter().map(|d| u32::from_le_bytes(d.key.as_bytes().try_into().unwrap())).collect();
    v.sort();
    v
}

fn store_id(t: &Table, key: u32, now: Tick, id: i32) -> bool {
    t.store(&k(key), now, |mut d| d.set_server_id(id)).is_some()
}

#[test]
fn entries_expire_after_their_last_touch() {
    let t = Table::new(spec(100, Some(1000), false), 0);
    assert!(store_id(&t, 1, 10_000, 1));
    assert!(store_id(&t, 2, 10_500, 2));
    // A match touches: key 1 now lives until 10_900 + 1000.
    assert_eq!(t.lookup(k(1).as_bytes(), 10_900, true, |d| d.server_id()), Some(Some(1)));
    assert_eq!(keys(&t, 11_499), vec![1, 2]);
    assert_eq!(keys(&t, 11_500), vec![1]);
    assert_eq!(t.lookup(k(2).as_bytes(), 11_500, false, |_| ()), None);
    // A lookup without touch does not extend it.
    assert!(t.lookup(k(1).as_bytes(), 11_800, false, |_| ()).is_some());
    assert_eq!(t.lookup(k(1).as_bytes(), 11_900, false, |_| ()), None);
    assert_eq!(t.used(11_900), 0);
}

#[test]
fn exp_counts_down_and_is_zero_without_expire() {
    let t = Table::new(spec(10, Some(30_000), false), 0);
    store_id(&t, 80, 1000, 1);
    assert_eq!(t.dump(1023)[0].exp, 29_977);
    let t = Table::new(spec(10, None, false), 0);
    store_id(&t, 80, 1000, 1);
    assert_eq!(t.dump(5000)[0].exp, 0);
    // Without expire, nothing ever goes.
    assert_eq!(t.used(u32::MAX / 2), 1);
}

#[test]
fn expiry_works_across_the_tick_wrap() {
    let t = Table::new(spec(10, Some(1000), false), 0);
    let now = u32::MAX - 200;
    store_id(&t, 1, now, 1);
    assert_eq!(t.used(now.wrapping_add(999)), 1);
    assert_eq!(t.used(now.wrapping_add(1000)), 0);
}

#[test]
fn full_table_purges_the_least_recently_touched() {
    // size 10: (10 >> 8) + 1 = 1 entry goes per purge.
    let t = Table::new(spec(10, None, false), 0);
    for i in 0..10 {
        assert!(store_id(&t, i, 100 + i, 1));
    }
    t.lookup(k(0).as_bytes(), 200, true, |_| ());
    assert!(store_id(&t, 10, 300, 1));
    assert_eq!(keys(&t, 300), vec![0, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn purge_goes_by_batches_of_size_over_256_plus_one() {
    let t = Table::new(spec(1024, None, false), 0);
    for i in 0..1024 {
        assert!(store_id(&t, i, i, 1));
    }
    assert_eq!(t.used(2000), 1024);
    assert!(store_id(&t, 5000, 2000, 1));
    // Five went (1024 >> 8 = 4, plus one), one came.
    assert_eq!(t.used(2000), 1020);
    let ks = keys(&t, 2000);
    assert!(!ks.contains(&0) && !ks.contains(&4) && ks.contains(&5) && ks.contains(&5000));
}

#[test]
fn storing_an_existing_key_into_a_full_table_still_purges() {
    let t = Table::new(spec(10, None, false), 0);
    for i in 0..10 {
        store_id(&t, i, i, 1);
    }
    assert!(store_id(&t, 5, 100, 2));
    assert_eq!(keys(&t, 100), vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A plain get-or-create of an existing key does not.
    t.get_or_create(&k(6), 101, |_| ());
    assert_eq!(t.used(101), 9);
}

#[test]
fn nopurge_refuses_new_entries() {
    let t = Table::new(spec(3, None, true), 0);
    for i in 0..3 {
        assert!(store_id(&t, i, i, 1));
    }
    assert!(!store_id(&t, 3, 10, 1));
    assert_eq!(keys(&t, 10), vec![0, 1, 2]);
}

#[test]
fn referenced_entries_neither_expire_nor_get_purged() {
    let t = Arc::new(Table::new(spec(2, Some(1000), false), 0));
    let r = t.track(&k(1), 0).unwrap();
    store_id(&t, 2, 10, 1);
    // Full: the purge skips the tracked entry.
    store_id(&t, 3, 20, 1);
    assert_eq!(keys(&t, 20), vec![1, 3]);
    assert_eq!(t.dump(20)[0].refs, 1);
    // Long past its expiry, it stays while tracked...
    assert_eq!(t.used(5000), 1);
    assert_eq!(t.remove(k(1).as_bytes(), 5000), Err(InUse));
    r.with(|mut d| d.add_uint(DataType::Gpc0, 1));
    // ...and lives `expire` ms after it is released.
    r.release(6000);
    assert_eq!(t.lookup(k(1).as_bytes(), 6999, false, |d| d.uint(DataType::Gpc0)), Some(Some(1)));
    assert_eq!(t.used(7000), 0);
}

#[test]
fn clear_and_remove() {
    let t = Table::new(spec(10, None, false), 0);
    for i in 0..5 {
        t.get_or_create(&k(i), 0, |mut d| d.set_cli(DataType::Gpc0, i64::from(i), 0));
    }
    assert_eq!(t.remove(k(3).as_bytes(), 0), Ok(true));
    assert_eq!(t.remove(k(3).as_bytes(), 0), Ok(false));
    assert_eq!(t.clear_where(0, |d| d.uint(DataType::Gpc0) >= Some(2)), 2);
    assert_eq!(keys(&t, 0), vec![0, 1]);
    assert_eq!(t.clear_where(0, |_| true), 2);
    assert_eq!(t.used(0), 0);
}

#[test]
fn rates_count_on_virtual_time() {
    let t = Table::new(spec(10, None, false), 0);
    for ms in [0u32, 100, 200] {
        t.get_or_create(&k(1), 50_000 + ms, |mut d| d.update_rate(DataType::HttpReqRate, 50_000 + ms, 1));
    }
    let rate = |now| t.lookup(k(1).as_bytes(), now, false, |d| d.rate(DataType::HttpReqRate, now)).flatten();
    assert_eq!(rate(50_300), Some(3));
    assert_eq!(rate(65_000), Some(1));
    assert_eq!(rate(70_000), Some(0));
}

#[test]
fn slots_are_reused() {
    let t = Table::new(spec(2, None, false), 0);
    for i in 0..100 {
        store_id(&t, i, i, 1);
    }
    let sh = t.shards[0].lock();
    assert!(sh.meta.len() <= 3, "{} slots", sh.meta.len());
}

#[test]
fn concurrent_stores_respect_the_size() {
    let t = Arc::new(Table::new(spec(500, None, false), 0));
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..2000u32 {
                    store_id(&t, n * 100_000 + i, i, 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(t.used(0) <= 500);
    assert_eq!(t.dump(0).len(), t.used(0));
}

/// What the table should hold, per operation, when every key is touched in order.
#[derive(Debug, Clone)]
enum Op {
    Store(u8),
    Match(u8),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(|k| Op::Store(k % 40)),
        2 => any::<u8>().prop_map(|k| Op::Match(k % 40)),
        1 => (0u16..3000).prop_map(Op::Advance),
    ]
}

proptest! {
    /// The table never holds more than `size` entries, and what it holds matches a model that
    /// evicts the least recently touched entries `(size >> 8) + 1` at a time and drops
    /// entries `expire` ms after their last touch.
    #[test]
    fn matches_an_lru_model(size in 1usize..20, expire in prop::option::of(500u32..5000), ops in prop::collection::vec(op(), 1..200)) {
        let t = Table::new(spec(size, expire, false), 0);
        // Model: (key, last touch time, touch order).
        let mut model: Vec<(u32, u32, u64)> = Vec::new();
        let mut now: u32 = 1_000_000;
        let mut seq = 0u64;
        let alive = |m: &Vec<(u32, u32, u64)>, now: u32| -> Vec<(u32, u32, u64)> {
            m.iter().copied().filter(|(_, at, _)| expire.is_none_or(|e| !tick_is_expired(at.wrapping_add(e), now))).collect()
        };
        for o in ops {
            match o {
                Op::Advance(ms) => now = now.wrapping_add(u32::from(ms)),
                Op::Match(key) => {
                    let key = u32::from(key);
                    let found = t.lookup(k(key).as_bytes(), now, true, |_| ()).is_some();
                    model = alive(&model, now);
                    let pos = model.iter().position(|(kk, _, _)| *kk == key);
                    prop_assert_eq!(found, pos.is_some());
                    if let Some(p) = pos {
                        seq += 1;
                        model[p].1 = now;
                        model[p].2 = seq;
                    }
                }
                Op::Store(key) => {
                    let key = u32::from(key);
                    prop_assert!(store_id(&t, key, now, 1));
                    model = alive(&model, now);
                    if model.len() >= size {
                        model.sort_by_key(|e| e.2);
                        let n = ((size >> 8) + 1).min(model.len());
                        model.drain(..n);
                    }
                    seq += 1;
                    match model.iter().position(|(kk, _, _)| *kk == key) {
                        Some(p) => { model[p].1 = now; model[p].2 = seq; }
                        None => model.push((key, now, seq)),
                    }
                }
            }
            prop_assert!(t.used(now) <= size);
            let mut want: Vec<u32> = alive(&model, now).iter().map(|e| e.0).collect();
            want.sort();
            prop_assert_eq!(keys(&t, now), want);
        }
    }
}

#[test]
fn sweep_frees_expired_entries_and_tells_the_next_expiry() {
    let t = Table::new(spec(100, Some(1000), false), 0);
    store_id(&t, 1, 0, 1);
    store_id(&t, 2, 300, 1);
    store_id(&t, 3, 600, 1);
    let held = Arc::new(Table::new(spec(100, Some(1000), false), 0));
    assert_eq!(t.next_expiry(), Some(1000));
    assert_eq!(t.sweep(999), 0);
    assert_eq!(t.sweep(1300), 2);
    assert_eq!(t.count.load(Relaxed), 1);
    assert_eq!(t.next_expiry(), Some(1600));
    // A referenced entry is skipped: the next expiry is the first one nobody holds.
    let r = held.track(&k(7), 0).expect("tracked");
    store_id(&held, 8, 100, 1);
    assert_eq!(held.next_expiry(), Some(1100));
    assert_eq!(held.sweep(5000), 1);
    assert_eq!(held.count.load(Relaxed), 1);
    drop(r);
    // Without `expire`, nothing is ever swept.
    let forever = Table::new(spec(100, None, false), 0);
    store_id(&forever, 1, 0, 1);
    assert_eq!((forever.sweep(u32::MAX / 2), forever.next_expiry()), (0, None));
}

#[test]
fn one_pass_sweep_agrees_with_next_expiry() {
    let t = Table::new(spec(100, Some(1000), false), 0);
    for (key, at) in [(1, 0), (2, 300), (3, 600)] {
        store_id(&t, key, at, 1);
    }
    assert_eq!(t.sweep_until_live(1300), (2, t.next_expiry()));
    assert_eq!(t.next_expiry(), Some(1600));
}

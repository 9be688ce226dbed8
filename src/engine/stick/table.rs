//! One stick table: a bounded map from keys to entries, sharded for concurrency.
//!
//! Each shard is a `parking_lot::Mutex` over a hash map (key -> slot), a slab of slot
//! metadata, an arena of data words (one fixed-size run per slot, see [`Layout`]), and a list
//! of its slots from least to most recently touched. Critical sections are short and never
//! span two shards; nothing is held across an `.await`.
//!
//! HAProxy's semantics kept here:
//! * **Expiry**: an entry expires `expire` ms after it was last touched (created, matched,
//!   stored, updated from the CLI, or released by a tracker), unless a stream references it.
//!   Expired entries are dropped lazily when met and by [`Table::sweep`]; a lookup never sees
//!   one. Time is a tick passed in by the caller, so all of this runs on a virtual clock in
//!   tests.
//! * **Size**: at most `size` entries. A new entry in a full table first purges the
//!   `(size >> 8) + 1` least recently touched unreferenced entries (HAProxy's
//!   `stktable_trash_oldest`), or is refused with `nopurge`. As in HAProxy, a store request
//!   reserves its entry before looking for an existing one, so storing into a full table
//!   purges even when the key is already there.
//! * Once a slot exists, looking it up or storing into it does not allocate; keys of up to 32
//!   bytes are inline, and freed slots are reused.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::Mutex;

use super::data::{DataMut, DataRef, Layout};
use super::freq::Tick;
use super::key::{Key, KeyType};

const NIL: u32 = u32::MAX;
/// How far a purge walks past referenced entries at the head of a shard's list.
const MAX_WALK: usize = 64;

/// What a table is made of, from the configuration.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    pub key: KeyType,
    pub size: usize,
    /// Milliseconds; `None`: entries never expire.
    pub expire: Option<u32>,
    pub nopurge: bool,
    /// `srvkey addr`: `server_key` holds the server's address instead of its name.
    pub srvkey_addr: bool,
    pub layout: Layout,
}

/// Whether `t` is reached at `now`, on wrapping ticks (HAProxy's `tick_is_expired`).
pub fn tick_is_expired(t: Tick, now: Tick) -> bool {
    (now.wrapping_sub(t) as i32) >= 0
}

#[derive(Debug)]
struct Meta {
    key: Key,
    expire: Tick,
    /// The table-wide touch sequence number of the last touch (purge order).
    touched: u64,
    refs: u32,
    /// Bumped each time the slot is freed, so stale references are detected.
    gen: u32,
    prev: u32,
    next: u32,
    live: bool,
    /// In its shard's `dirty` list, waiting to be pushed to the peers.
    queued: bool,
}

struct Shard {
    map: HashMap<Key, u32, RandomState>,
    meta: Vec<Meta>,
    words: Vec<u32>,
    free: Vec<u32>,
    /// Least recently touched slot.
    head: u32,
    tail: u32,
    /// Slots changed locally since the peers were last told (replicated tables only).
    dirty: Vec<u32>,
}

impl Shard {
    fn unlink(&mut self, i: u32) {
        let (p, n) = (self.meta[i as usize].prev, self.meta[i as usize].next);
        if p == NIL {
            self.head = n;
        } else {
            self.meta[p as usize].next = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.meta[n as usize].prev = p;
        }
        self.meta[i as usize].prev = NIL;
        self.meta[i as usize].next = NIL;
    }

    fn link_tail(&mut self, i: u32) {
        let t = self.tail;
        self.meta[i as usize].prev = t;
        self.meta[i as usize].next = NIL;
        if t == NIL {
            self.head = i;
        } else {
            self.meta[t as usize].next = i;
        }
        self.tail = i;
    }

    /// Queue slot `i` for the peers, once however often it changes before they are told.
    fn mark(&mut self, i: u32) {
        let m = &mut self.meta[i as usize];
        if !m.queued {
            m.queued = true;
            self.dirty.push(i);
        }
    }

    fn touch(&mut self, i: u32, seq: u64, expire: Tick) {
        let m = &mut self.meta[i as usize];
        m.touched = seq;
        m.expire = expire;
        if self.tail != i {
            self.unlink(i);
            self.link_tail(i);
        }
    }

    fn alloc(&mut self, key: &Key, stride: usize, seq: u64, expire: Tick) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                let m = &mut self.meta[i as usize];
                m.key.clone_from(key);
                m.live = true;
                m.refs = 0;
                let w = i as usize * stride;
                self.words[w..w + stride].iter_mut().for_each(|v| *v = 0);
                i
            }
            None => {
                let i = self.meta.len() as u32;
                self.meta.push(Meta {
                    key: key.clone(),
                    expire,
                    touched: seq,
                    refs: 0,
                    gen: 0,
                    prev: NIL,
                    next: NIL,
                    live: true,
                    queued: false,
                });
                self.words.resize(self.words.len() + stride, 0);
                i
            }
        };
        self.map.insert(key.clone(), i);
        self.meta[i as usize].touched = seq;
        self.meta[i as usize].expire = expire;
        self.link_tail(i);
        i
    }

    fn remove(&mut self, i: u32) {
        self.unlink(i);
        let m = &mut self.meta[i as usize];
        m.live = false;
        m.gen = m.gen.wrapping_add(1);
        let key = std::mem::replace(&mut m.key, Key::from_bytes(&[]));
        self.map.remove(key.as_bytes());
        self.free.push(i);
    }

    fn data(&self, i: u32, stride: usize) -> &[u32] {
        &self.words[i as usize * stride..(i as usize + 1) * stride]
    }

    fn data_mut(&mut self, i: u32, stride: usize) -> &mut [u32] {
        &mut self.words[i as usize * stride..(i as usize + 1) * stride]
    }

    /// The least recently touched slot no stream references.
    fn oldest_unreferenced(&self) -> Option<u32> {
        let mut i = self.head;
        let mut walked = 0;
        while i != NIL && walked < MAX_WALK {
            if self.meta[i as usize].refs == 0 {
                return Some(i);
            }
            i = self.meta[i as usize].next;
            walked += 1;
        }
        None
    }
}

/// An entry a stream keeps (`track-sc`): it does not expire and is not purged until the
/// reference is released, which touches it (HAProxy's `stktable_touch_local(t, ts, 1)`).
pub struct EntryRef {
    table: Option<Arc<Table>>,
    shard: u32,
    slot: u32,
    gen: u32,
}

impl EntryRef {
    pub fn table(&self) -> &Arc<Table> {
        self.table.as_ref().expect("live reference")
    }

    /// Read or update the entry.
    pub fn with<R>(&self, f: impl FnOnce(DataMut<'_>) -> R) -> Option<R> {
        let t = self.table();
        let mut sh = t.shards[self.shard as usize].lock();
        let m = &sh.meta[self.slot as usize];
        if !m.live || m.gen != self.gen {
            return None;
        }
        Some(t.write(&mut sh, self.slot, f))
    }

    /// The entry's key.
    pub fn key(&self) -> Option<Key> {
        let t = self.table();
        let sh = t.shards[self.shard as usize].lock();
        let m = &sh.meta[self.slot as usize];
        (m.live && m.gen == self.gen).then(|| m.key.clone())
    }

    /// How many streams reference the entry (`sc_trackers`).
    pub fn refs(&self) -> u32 {
        let t = self.table();
        let sh = t.shards[self.shard as usize].lock();
        let m = &sh.meta[self.slot as usize];
        if m.live && m.gen == self.gen {
            m.refs
        } else {
            0
        }
    }

    /// Drop the reference and touch the entry at `now`.
    pub fn release(mut self, now: Tick) {
        if let Some(t) = self.table.take() {
            t.unref(self.shard, self.slot, self.gen, now);
        }
    }
}

impl Drop for EntryRef {
    fn drop(&mut self) {
        if let Some(t) = self.table.take() {
            t.unref(self.shard, self.slot, self.gen, super::now_ms());
        }
    }
}

/// One entry as `show table` prints it.
#[derive(Debug, Clone)]
pub struct Dumped {
    pub key: Key,
    /// A stable, unique stand-in for HAProxy's entry pointer.
    pub addr: u64,
    pub refs: u32,
    /// Milliseconds left before it expires (0 without `expire`).
    pub exp: u32,
    pub words: Vec<u32>,
}

/// Why `clear table <t> key <k>` could not remove an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InUse;

pub struct Table {
    pub name: String,
    /// Position in the registry, used to tell entries of different tables apart.
    pub id: usize,
    pub key_type: KeyType,
    pub size: usize,
    pub expire: Option<u32>,
    pub nopurge: bool,
    pub srvkey_addr: bool,
    pub layout: Layout,
    shards: Box<[Mutex<Shard>]>,
    /// Entries, plus the ones reserved by a store in progress (HAProxy's `t->current`).
    count: AtomicUsize,
    seq: AtomicU64,
    /// Bound to a `peers` section: local changes are queued for the peers.
    replicated: AtomicBool,
}

/// Cheap, stable spreading of keys over shards (the maps themselves use SipHash).
fn spread(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

impl Table {
    pub fn new(spec: TableSpec, id: usize) -> Table {
        let n_shards = if spec.size <= 64 { 1 } else { 16 };
        let per_shard = (spec.size.min(1 << 16) / n_shards).max(1);
        // Twice a shard's share: a hash map full of tombstones rehashes in place only while
        // at most half full, and grows otherwise. Keys spread unevenly over the shards, so
        // with room for just its share a busy shard of a full table would keep growing its
        // map under steady churn (an allocation on the request path).
        let map_capacity = per_shard * 2;
        let shards = (0..n_shards)
            .map(|_| {
                Mutex::new(Shard {
                    map: HashMap::with_capacity_and_hasher(map_capacity, RandomState::new()),
                    meta: Vec::new(),
                    words: Vec::new(),
                    free: Vec::new(),
                    head: NIL,
                    tail: NIL,
                    dirty: Vec::new(),
                })
            })
            .collect();
        Table {
            name: spec.name,
            id,
            key_type: spec.key,
            size: spec.size,
            expire: spec.expire,
            nopurge: spec.nopurge,
            srvkey_addr: spec.srvkey_addr,
            layout: spec.layout,
            shards,
            count: AtomicUsize::new(0),
            seq: AtomicU64::new(1),
            replicated: AtomicBool::new(false),
        }
    }

    fn shard_of(&self, key: &[u8]) -> usize {
        (spread(key) % self.shards.len() as u64) as usize
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Relaxed)
    }

    /// The expiry tick of an entry touched at `now` (HAProxy's `tick_add(now_ms, expire)`).
    fn expire_at(&self, now: Tick) -> Tick {
        now.wrapping_add(self.expire.unwrap_or(0))
    }

    fn expired(&self, m: &Meta, now: Tick) -> bool {
        self.expire.is_some() && m.refs == 0 && tick_is_expired(m.expire, now)
    }

    /// The live slot of `key` in a locked shard, dropping it if it has expired.
    fn find(&self, sh: &mut Shard, key: &[u8], now: Tick) -> Option<u32> {
        let i = *sh.map.get(key)?;
        if self.expired(&sh.meta[i as usize], now) {
            sh.remove(i);
            self.count.fetch_sub(1, Relaxed);
            return None;
        }
        Some(i)
    }

    /// Look an entry up; `touch` refreshes its expiry (a `stick match` that found it).
    pub fn lookup<R>(&self, key: &[u8], now: Tick, touch: bool, f: impl FnOnce(DataRef<'_>) -> R) -> Option<R> {
        let mut sh = self.shards[self.shard_of(key)].lock();
        let i = self.find(&mut sh, key, now)?;
        if touch {
            sh.touch(i, self.next_seq(), self.expire_at(now));
            self.mark(&mut sh, i);
        }
        Some(f(DataRef { w: sh.data(i, self.layout.stride), l: &self.layout }))
    }

    /// How many streams reference an entry.
    pub fn refs_of(&self, key: &[u8], now: Tick) -> Option<u32> {
        let mut sh = self.shards[self.shard_of(key)].lock();
        let i = self.find(&mut sh, key, now)?;
        Some(sh.meta[i as usize].refs)
    }

    /// Update an existing entry, without touching it (`src_inc_gpc0` and friends).
    pub fn update<R>(&self, key: &[u8], now: Tick, f: impl FnOnce(DataMut<'_>) -> R) -> Option<R> {
        let mut sh = self.shards[self.shard_of(key)].lock();
        let i = self.find(&mut sh, key, now)?;
        Some(self.write(&mut sh, i, f))
    }

    /// Take one place for a new entry, purging when the table is full; false when none can
    /// be made (full with `nopurge`, or only referenced entries left).
    fn reserve(&self, now: Tick) -> bool {
        let mut purged_once = false;
        loop {
            let c = self.count.load(Relaxed);
            if c < self.size {
                if self.count.compare_exchange_weak(c, c + 1, Relaxed, Relaxed).is_ok() {
                    return true;
                }
                continue;
            }
            if self.expire.is_some() && self.sweep(now) > 0 {
                continue;
            }
            if self.nopurge || purged_once {
                return false;
            }
            if self.purge((self.size >> 8) + 1) == 0 {
                return false;
            }
            purged_once = true;
        }
    }

    /// Remove up to `n` of the least recently touched unreferenced entries; returns how many.
    pub fn purge(&self, n: usize) -> usize {
        let mut done = 0;
        let mut attempts = 0;
        while done < n && attempts < n * 2 + self.shards.len() {
            attempts += 1;
            let mut best: Option<(u64, usize, u32, u32)> = None;
            for (si, sh) in self.shards.iter().enumerate() {
                let sh = sh.lock();
                if let Some(i) = sh.oldest_unreferenced() {
                    let m = &sh.meta[i as usize];
                    if best.is_none_or(|b| m.touched < b.0) {
                        best = Some((m.touched, si, i, m.gen));
                    }
                }
            }
            let Some((_, si, i, gen)) = best else { break };
            let mut sh = self.shards[si].lock();
            let m = &sh.meta[i as usize];
            if m.live && m.gen == gen && m.refs == 0 {
                sh.remove(i);
                self.count.fetch_sub(1, Relaxed);
                done += 1;
            }
        }
        done
    }

    /// Create the entry if needed, then run `f` on it and touch it. `None` when the entry
    /// could not be created.
    fn upsert<R>(&self, key: &Key, now: Tick, reserve_first: bool, f: impl FnOnce(DataMut<'_>) -> R) -> Option<R> {
        self.upsert_at(key, now, self.expire_at(now), reserve_first, true, f)
    }

    /// [`Table::upsert`] with the expiry to set, and whether the change is queued for the
    /// peers (not when it came from one).
    fn upsert_at<R>(
        &self,
        key: &Key,
        now: Tick,
        exp: Tick,
        reserve_first: bool,
        local: bool,
        f: impl FnOnce(DataMut<'_>) -> R,
    ) -> Option<R> {
        let si = self.shard_of(key.as_bytes());
        let mut reserved = false;
        if reserve_first {
            if !self.reserve(now) {
                return None;
            }
            reserved = true;
        } else {
            let mut sh = self.shards[si].lock();
            if let Some(i) = self.find(&mut sh, key.as_bytes(), now) {
                sh.touch(i, self.next_seq(), exp);
                if local {
                    self.mark(&mut sh, i);
                }
                let stride = self.layout.stride;
                return Some(f(DataMut { w: sh.data_mut(i, stride), l: &self.layout }));
            }
        }
        if !reserved && !self.reserve(now) {
            return None;
        }
        let mut sh = self.shards[si].lock();
        let seq = self.next_seq();
        let i = match self.find(&mut sh, key.as_bytes(), now) {
            Some(i) => {
                // Someone else made it meanwhile, or it existed: our place is not needed.
                self.count.fetch_sub(1, Relaxed);
                sh.touch(i, seq, exp);
                i
            }
            None => sh.alloc(key, self.layout.stride, seq, exp),
        };
        if local {
            self.mark(&mut sh, i);
        }
        let stride = self.layout.stride;
        Some(f(DataMut { w: sh.data_mut(i, stride), l: &self.layout }))
    }

    /// A stick store (`stksess_new` + `stktable_set_entry`, then the write and a touch):
    /// reserves a place first, so a full table purges even if the key exists.
    pub fn store<R>(&self, key: &Key, now: Tick, f: impl FnOnce(DataMut<'_>) -> R) -> Option<R> {
        self.upsert(key, now, true, f)
    }

    /// Find or create an entry, then update and touch it (`stktable_get_entry`, as
    /// `set table` uses it).
    pub fn get_or_create<R>(&self, key: &Key, now: Tick, f: impl FnOnce(DataMut<'_>) -> R) -> Option<R> {
        self.upsert(key, now, false, f)
    }

    /// Find or create an entry and keep a reference to it (`track-sc`, HAProxy's
    /// `stktable_get_entry`: an existing entry is not touched).
    pub fn track(self: &Arc<Self>, key: &Key, now: Tick) -> Option<EntryRef> {
        let si = self.shard_of(key.as_bytes());
        let hold = |sh: &mut Shard, i: u32| {
            let m = &mut sh.meta[i as usize];
            m.refs += 1;
            EntryRef { table: Some(self.clone()), shard: si as u32, slot: i, gen: m.gen }
        };
        {
            let mut sh = self.shards[si].lock();
            if let Some(i) = self.find(&mut sh, key.as_bytes(), now) {
                return Some(hold(&mut sh, i));
            }
        }
        if !self.reserve(now) {
            return None;
        }
        let mut sh = self.shards[si].lock();
        let i = match self.find(&mut sh, key.as_bytes(), now) {
            Some(i) => {
                self.count.fetch_sub(1, Relaxed);
                i
            }
            None => {
                let seq = self.next_seq();
                let i = sh.alloc(key, self.layout.stride, seq, self.expire_at(now));
                self.mark(&mut sh, i);
                i
            }
        };
        Some(hold(&mut sh, i))
    }

    fn unref(&self, shard: u32, slot: u32, gen: u32, now: Tick) {
        let mut sh = self.shards[shard as usize].lock();
        let m = &mut sh.meta[slot as usize];
        if !m.live || m.gen != gen {
            return;
        }
        m.refs = m.refs.saturating_sub(1);
        sh.touch(slot, self.next_seq(), self.expire_at(now));
        self.mark(&mut sh, slot);
    }

    /// `clear table <t> key <k>`: remove the entry unless a stream references it. Ok(false)
    /// when there was none.
    pub fn remove(&self, key: &[u8], now: Tick) -> Result<bool, InUse> {
        let mut sh = self.shards[self.shard_of(key)].lock();
        let Some(i) = self.find(&mut sh, key, now) else { return Ok(false) };
        if sh.meta[i as usize].refs > 0 {
            return Err(InUse);
        }
        sh.remove(i);
        self.count.fetch_sub(1, Relaxed);
        Ok(true)
    }

    /// Remove every unreferenced entry for which `pred` holds (`clear table`).
    pub fn clear_where(&self, now: Tick, pred: impl Fn(DataRef<'_>) -> bool) -> usize {
        let stride = self.layout.stride;
        let mut n = 0;
        for sh in self.shards.iter() {
            let mut sh = sh.lock();
            let mut i = sh.head;
            while i != NIL {
                let next = sh.meta[i as usize].next;
                let m = &sh.meta[i as usize];
                let gone = self.expired(m, now);
                if gone || (m.refs == 0 && pred(DataRef { w: sh.data(i, stride), l: &self.layout })) {
                    sh.remove(i);
                    n += 1;
                }
                i = next;
            }
        }
        self.count.fetch_sub(n, Relaxed);
        n
    }

    /// Drop expired entries; returns how many went.
    pub fn sweep(&self, now: Tick) -> usize {
        self.sweep_until_live(now).0
    }

    /// [`Table::sweep`], also returning the expiry of the first live entry nobody holds (the
    /// one the walk stops at in each shard), i.e. [`Table::next_expiry`] in the same pass.
    pub fn sweep_until_live(&self, now: Tick) -> (usize, Option<Tick>) {
        if self.expire.is_none() {
            return (0, None);
        }
        let mut n = 0;
        let mut best: Option<Tick> = None;
        for sh in self.shards.iter() {
            let mut sh = sh.lock();
            let mut i = sh.head;
            while i != NIL {
                let next = sh.meta[i as usize].next;
                let m = &sh.meta[i as usize];
                if m.refs == 0 {
                    if !tick_is_expired(m.expire, now) {
                        if best.is_none_or(|b| (m.expire.wrapping_sub(b) as i32) < 0) {
                            best = Some(m.expire);
                        }
                        break;
                    }
                    sh.remove(i);
                    n += 1;
                }
                i = next;
            }
        }
        self.count.fetch_sub(n, Relaxed);
        (n, best)
    }

    /// Entries in use (`used:` in `show table`), expired ones dropped first.
    pub fn used(&self, now: Tick) -> usize {
        self.sweep(now);
        self.count.load(Relaxed)
    }

    /// One entry as `show table <t> key <k>` prints it.
    pub fn dump_one(&self, key: &[u8], now: Tick) -> Option<Dumped> {
        let si = self.shard_of(key);
        let mut sh = self.shards[si].lock();
        let i = self.find(&mut sh, key, now)?;
        Some(self.dumped(&sh, si, i, now))
    }

    fn dumped(&self, sh: &Shard, si: usize, i: u32, now: Tick) -> Dumped {
        let m = &sh.meta[i as usize];
        let exp = if self.expire.is_some() { (m.expire.wrapping_sub(now) as i32).max(0) as u32 } else { 0 };
        let addr = 0x7f00_0000_0000u64
            | ((self.id as u64 & 0xff) << 36)
            | ((si as u64 & 0xff) << 28)
            | (u64::from(i & 0x00ff_ffff) << 4);
        Dumped { key: m.key.clone(), addr, refs: m.refs, exp, words: sh.data(i, self.layout.stride).to_vec() }
    }

    /// Every live entry, in the order HAProxy's key tree would list them.
    pub fn dump(&self, now: Tick) -> Vec<Dumped> {
        self.sweep(now);
        let mut out = Vec::new();
        for (si, sh) in self.shards.iter().enumerate() {
            let sh = sh.lock();
            let mut i = sh.head;
            while i != NIL {
                out.push(self.dumped(&sh, si, i, now));
                i = sh.meta[i as usize].next;
            }
        }
        let kt = self.key_type;
        out.sort_by(|a, b| kt.cmp(&a.key, &b.key));
        out
    }

    /// The ticks at which the next entries expire, earliest per shard (for the sweep timer).
    pub fn next_expiry(&self) -> Option<Tick> {
        self.expire?;
        let mut best: Option<Tick> = None;
        for sh in self.shards.iter() {
            let sh = sh.lock();
            let mut i = sh.head;
            while i != NIL {
                let m = &sh.meta[i as usize];
                if m.refs == 0 {
                    if best.is_none_or(|b| (m.expire.wrapping_sub(b) as i32) < 0) {
                        best = Some(m.expire);
                    }
                    break;
                }
                i = m.next;
            }
        }
        best
    }
}

mod repl;
#[cfg(test)]
mod tests;

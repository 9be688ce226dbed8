//! What replication (`peers`) needs from a table: local changes queued per shard for the
//! peers, a walk over every entry for a full resync, and updates learnt from a peer applied
//! without being queued back (HAProxy's `stktable_touch_remote`).

use std::sync::atomic::Ordering::Relaxed;

use super::{DataMut, DataRef, Key, Shard, Table, Tick};

/// Values of this many words or fewer are compared before and after a write, so that reading
/// through a write accessor does not push the entry; larger entries are pushed on any write.
const SNAPSHOT_WORDS: usize = 48;

impl Table {
    /// From now on, local changes are queued for the peers.
    pub fn set_replicated(&self) {
        self.replicated.store(true, Relaxed);
    }

    pub fn is_replicated(&self) -> bool {
        self.replicated.load(Relaxed)
    }

    pub(super) fn mark(&self, sh: &mut Shard, i: u32) {
        if self.is_replicated() {
            sh.mark(i);
        }
    }

    /// Run a write on slot `i`, queueing the entry for the peers if its values changed.
    pub(super) fn write<R>(&self, sh: &mut Shard, i: u32, f: impl FnOnce(DataMut<'_>) -> R) -> R {
        let stride = self.layout.stride;
        if !self.is_replicated() {
            return f(DataMut { w: sh.data_mut(i, stride), l: &self.layout });
        }
        let mut before = [0u32; SNAPSHOT_WORDS];
        let snap = stride <= SNAPSHOT_WORDS;
        if snap {
            before[..stride].copy_from_slice(sh.data(i, stride));
        }
        let r = f(DataMut { w: sh.data_mut(i, stride), l: &self.layout });
        if !snap || before[..stride] != *sh.data(i, stride) {
            sh.mark(i);
        }
        r
    }

    /// Hand every entry changed locally since the last call to `f` (key, values, expiry
    /// tick), and forget the changes. `f` runs under a shard lock: it must only encode.
    pub fn drain_changes(&self, mut f: impl FnMut(&Key, DataRef<'_>, Tick)) {
        let stride = self.layout.stride;
        for sh in self.shards.iter() {
            let mut sh = sh.lock();
            if sh.dirty.is_empty() {
                continue;
            }
            let dirty = std::mem::take(&mut sh.dirty);
            for &i in &dirty {
                let m = &mut sh.meta[i as usize];
                m.queued = false;
                if m.live {
                    let m = &sh.meta[i as usize];
                    f(&m.key, DataRef { w: sh.data(i, stride), l: &self.layout }, m.expire);
                }
            }
            // Give the list back so that its capacity is reused.
            let mut dirty = dirty;
            dirty.clear();
            sh.dirty = dirty;
        }
    }

    /// Hand every live entry to `f`, as [`Table::drain_changes`] does (a full resync).
    pub fn for_each_live(&self, now: Tick, mut f: impl FnMut(&Key, DataRef<'_>, Tick)) {
        let stride = self.layout.stride;
        for sh in self.shards.iter() {
            let sh = sh.lock();
            let mut i = sh.head;
            while i != super::NIL {
                let m = &sh.meta[i as usize];
                if !self.expired(m, now) {
                    f(&m.key, DataRef { w: sh.data(i, stride), l: &self.layout }, m.expire);
                }
                i = m.next;
            }
        }
    }

    /// An update learnt from a peer: create the entry if needed (purging as a store does),
    /// write it, and set its expiry to `exp_ms` from now, or the table's when not given.
    /// The change is not queued for the peers. `None` when no entry could be made.
    pub fn apply_remote<R>(
        &self,
        key: &Key,
        now: Tick,
        exp_ms: Option<u32>,
        f: impl FnOnce(DataMut<'_>) -> R,
    ) -> Option<R> {
        let exp = match exp_ms {
            Some(ms) => now.wrapping_add(ms),
            None => self.expire_at(now),
        };
        self.upsert_at(key, now, exp, false, false, f)
    }
}

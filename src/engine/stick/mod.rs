//! Stick tables: HAProxy's `stick-table` (in a backend) and `table` (in a `peers` section)
//! at run time.
//!
//! * [`table`]: the sharded store (typed keys, size limit with oldest-first purge, expiry on
//!   an injected clock, references held by trackers).
//! * [`key`], [`data`], [`freq`], [`dict`]: keys, the stored data types and their layout,
//!   HAProxy's frequency counters, the `server_key` dictionary.
//! * [`rules`]: `stick match|on|store-request|store-response` as the traffic path applies
//!   them, with HAProxy's server selection rules.
//! * [`track`]: `track-sc0/1/2` counters and the `sc_*` / `src_*` fetches.
//! * [`cli`]: `show table`, `set table`, `clear table` replies, byte for byte.
//!
//! Time is a wrapping millisecond tick ([`Tick`]); the engine passes [`now_ms`], tests pass
//! whatever they like.

pub mod backend;
pub mod cli;
pub mod data;
pub mod dict;
pub mod freq;
pub mod key;
pub mod rules;
pub mod table;
pub mod track;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

pub use data::{DataType, Layout, Schema, Stored};
pub use freq::Tick;
pub use key::{Key, KeyType};
pub use table::{EntryRef, Table, TableSpec};

use crate::ir::types::{Config, StickTableSpec};

/// The process clock tables run on: milliseconds since the first call, wrapping.
pub fn now_ms() -> Tick {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    START.elapsed().as_millis() as u64 as u32
}

/// Every table of the configuration, by name. Proxies' tables are named after their proxy;
/// tables of `peers` sections are named `<peers>/<table>`.
#[derive(Default)]
pub struct Tables {
    /// In declaration order.
    list: Vec<Arc<Table>>,
    by_name: HashMap<String, usize>,
}

fn spec_of(name: &str, t: &StickTableSpec, extra: &[DataType]) -> TableSpec {
    let mut schema = Schema::from_store(&t.store);
    for dt in extra {
        schema.add(Stored { dt: *dt, period: 0, count: 0 });
    }
    TableSpec {
        name: name.to_string(),
        key: KeyType::from_ir(t.key),
        size: t.size.min(usize::MAX as u64) as usize,
        expire: t.expire,
        nopurge: t.nopurge,
        srvkey_addr: t.srvkey.as_deref() == Some("addr"),
        layout: Layout::new(schema),
    }
}

impl Tables {
    /// Build the tables of a validated configuration. Tables that `stick` rules use also
    /// store `server_id` and `server_key`, as HAProxy adds them.
    pub fn build(cfg: &Config) -> Tables {
        let mut specs: Vec<(u32, String, &StickTableSpec)> = Vec::new();
        for p in cfg.proxies.iter().filter(|p| !p.disabled) {
            if let Some(t) = &p.stick_table {
                specs.push((t.seq, p.name.clone(), t));
            }
        }
        for (name, t) in &cfg.peers_tables {
            specs.push((t.seq, name.clone(), t));
        }
        specs.sort_by_key(|(seq, _, _)| *seq);
        let mut used_by_rules: Vec<String> = Vec::new();
        for p in cfg.proxies.iter().filter(|p| !p.disabled) {
            for r in &p.stick_rules {
                used_by_rules.push(r.table.clone().unwrap_or_else(|| p.name.clone()));
            }
        }
        let mut tables = Tables::default();
        for (_, name, t) in specs {
            let extra: &[DataType] =
                if used_by_rules.contains(&name) { &[DataType::ServerId, DataType::ServerKey] } else { &[] };
            let id = tables.list.len();
            tables.by_name.insert(name.clone(), id);
            tables.list.push(Arc::new(Table::new(spec_of(&name, t, extra), id)));
        }
        tables
    }

    /// A table built from a spec (tests and benchmarks).
    pub fn add(&mut self, spec: TableSpec) -> Arc<Table> {
        let id = self.list.len();
        self.by_name.insert(spec.name.clone(), id);
        let t = Arc::new(Table::new(spec, id));
        self.list.push(t.clone());
        t
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Table>> {
        self.by_name.get(name).map(|&i| &self.list[i])
    }

    /// Tables in the order `show table` lists them: the last declared first.
    pub fn show_order(&self) -> impl Iterator<Item = &Arc<Table>> {
        self.list.iter().rev()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Drop expired entries everywhere; returns the earliest next expiry, if any.
    pub fn sweep(&self, now: Tick) -> Option<Tick> {
        let mut next: Option<Tick> = None;
        for t in &self.list {
            if let (_, Some(e)) = t.sweep_until_live(now) {
                if next.is_none_or(|n| (e.wrapping_sub(n) as i32) < 0) {
                    next = Some(e);
                }
            }
        }
        next
    }
}

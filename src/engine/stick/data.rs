//! What a stick-table entry stores: HAProxy 2.6's data types (`stktable_data_types`, in its
//! order, which is also the order `show table` prints them in), how a `store` item names one,
//! and where an entry keeps its values (a [`Layout`] over a run of words).

use super::freq::{FreqCtr, Tick};

/// The storage class of a data type (`std_type`), which decides how it prints and how
/// `set table` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdType {
    /// Signed 32-bit (`server_id`).
    Sint,
    /// Unsigned 32-bit counters.
    Uint,
    /// Unsigned 64-bit counters (bytes).
    Ull,
    /// A frequency counter over a period.
    Frqp,
    /// A shared string (`server_key`).
    Dict,
}

/// HAProxy's data types, in `stktable_data_types` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataType {
    ServerId,
    Gpt0,
    Gpc0,
    Gpc0Rate,
    ConnCnt,
    ConnRate,
    ConnCur,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
    Gpc1,
    Gpc1Rate,
    ServerKey,
    HttpFailCnt,
    HttpFailRate,
    Gpt,
    Gpc,
    GpcRate,
}

/// Name, storage class, and whether it is an array, in HAProxy's order.
pub const DATA_TYPES: &[(DataType, &str, StdType, bool)] = &[
    (DataType::ServerId, "server_id", StdType::Sint, false),
    (DataType::Gpt0, "gpt0", StdType::Uint, false),
    (DataType::Gpc0, "gpc0", StdType::Uint, false),
    (DataType::Gpc0Rate, "gpc0_rate", StdType::Frqp, false),
    (DataType::ConnCnt, "conn_cnt", StdType::Uint, false),
    (DataType::ConnRate, "conn_rate", StdType::Frqp, false),
    (DataType::ConnCur, "conn_cur", StdType::Uint, false),
    (DataType::SessCnt, "sess_cnt", StdType::Uint, false),
    (DataType::SessRate, "sess_rate", StdType::Frqp, false),
    (DataType::HttpReqCnt, "http_req_cnt", StdType::Uint, false),
    (DataType::HttpReqRate, "http_req_rate", StdType::Frqp, false),
    (DataType::HttpErrCnt, "http_err_cnt", StdType::Uint, false),
    (DataType::HttpErrRate, "http_err_rate", StdType::Frqp, false),
    (DataType::BytesInCnt, "bytes_in_cnt", StdType::Ull, false),
    (DataType::BytesInRate, "bytes_in_rate", StdType::Frqp, false),
    (DataType::BytesOutCnt, "bytes_out_cnt", StdType::Ull, false),
    (DataType::BytesOutRate, "bytes_out_rate", StdType::Frqp, false),
    (DataType::Gpc1, "gpc1", StdType::Uint, false),
    (DataType::Gpc1Rate, "gpc1_rate", StdType::Frqp, false),
    (DataType::ServerKey, "server_key", StdType::Dict, false),
    (DataType::HttpFailCnt, "http_fail_cnt", StdType::Uint, false),
    (DataType::HttpFailRate, "http_fail_rate", StdType::Frqp, false),
    (DataType::Gpt, "gpt", StdType::Uint, true),
    (DataType::Gpc, "gpc", StdType::Uint, true),
    (DataType::GpcRate, "gpc_rate", StdType::Frqp, true),
];

impl DataType {
    pub fn by_name(name: &str) -> Option<DataType> {
        DATA_TYPES.iter().find(|d| d.1 == name).map(|d| d.0)
    }
    pub fn name(self) -> &'static str {
        DATA_TYPES[self as usize].1
    }
    pub fn std_type(self) -> StdType {
        DATA_TYPES[self as usize].2
    }
    pub fn is_array(self) -> bool {
        DATA_TYPES[self as usize].3
    }
    pub fn all() -> impl Iterator<Item = DataType> {
        DATA_TYPES.iter().map(|d| d.0)
    }
}

/// One configured data type: its period (rates) and array size (arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub dt: DataType,
    /// The period of a rate, in ms.
    pub period: u32,
    /// The number of elements of an array type.
    pub count: u32,
}

/// The data types a table stores, in HAProxy's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub stored: Vec<Stored>,
}

impl Schema {
    /// Parse `store` items as the configuration wrote them (`gpc0`, `http_req_rate(10s)`,
    /// `gpc(3)`, `gpc_rate(3,1m)`); they were validated when the configuration was read.
    pub fn from_store(items: &[String]) -> Schema {
        let mut s = Schema::default();
        for item in items {
            let (name, args) = match item.split_once('(') {
                Some((n, rest)) => (n, rest.trim_end_matches(')')),
                None => (item.as_str(), ""),
            };
            let Some(dt) = DataType::by_name(name) else { continue };
            let mut args = args.split(',');
            let count = if dt.is_array() { args.next().and_then(|n| n.trim().parse().ok()).unwrap_or(1) } else { 0 };
            let period = if dt.std_type() == StdType::Frqp {
                args.next().and_then(|p| crate::ir::values::parse_ms(p.trim()).ok()).unwrap_or(0)
            } else {
                0
            };
            s.add(Stored { dt, period, count });
        }
        s
    }

    /// Store `dt` too (a no-op when it already is), keeping HAProxy's order.
    pub fn add(&mut self, st: Stored) {
        if self.has(st.dt) {
            return;
        }
        let pos = self.stored.iter().position(|s| s.dt > st.dt).unwrap_or(self.stored.len());
        self.stored.insert(pos, st);
    }

    pub fn has(&self, dt: DataType) -> bool {
        self.stored.iter().any(|s| s.dt == dt)
    }

    pub fn get(&self, dt: DataType) -> Option<&Stored> {
        self.stored.iter().find(|s| s.dt == dt)
    }

    pub fn period(&self, dt: DataType) -> u32 {
        self.get(dt).map(|s| s.period).unwrap_or(0)
    }
}

/// Where each stored data type lives in an entry's words. An entry is a fixed run of `u32`
/// words in its shard's arena: 1 word for 32-bit values (and the `server_key` dictionary
/// index), 2 for 64-bit ones, 3 for a frequency counter, times the element count for arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub schema: Schema,
    offs: [u16; DATA_TYPES.len()],
    pub stride: usize,
}

const NONE: u16 = u16::MAX;

fn words(st: &Stored) -> usize {
    let one = match st.dt.std_type() {
        StdType::Sint | StdType::Uint | StdType::Dict => 1,
        StdType::Ull => 2,
        StdType::Frqp => 3,
    };
    if st.dt.is_array() {
        one * st.count.max(1) as usize
    } else {
        one
    }
}

impl Layout {
    pub fn new(schema: Schema) -> Layout {
        let mut offs = [NONE; DATA_TYPES.len()];
        let mut stride = 0;
        for st in &schema.stored {
            offs[st.dt as usize] = stride as u16;
            stride += words(st);
        }
        Layout { schema, offs, stride }
    }

    fn off(&self, dt: DataType) -> Option<usize> {
        let o = self.offs[dt as usize];
        (o != NONE).then_some(o as usize)
    }

    pub fn has(&self, dt: DataType) -> bool {
        self.off(dt).is_some()
    }

    /// The element count of `dt` (1 for scalars, 0 when not stored).
    pub fn count(&self, dt: DataType) -> usize {
        match self.schema.get(dt) {
            None => 0,
            Some(st) if dt.is_array() => st.count.max(1) as usize,
            Some(_) => 1,
        }
    }

    /// Where element `i` of `dt` starts (words per element: 3 for rates, else 1).
    fn raw_off(&self, dt: DataType, i: usize) -> Option<usize> {
        if i >= self.count(dt) {
            return None;
        }
        let per = if dt.std_type() == StdType::Frqp { 3 } else { 1 };
        self.off(dt).map(|o| o + per * i)
    }
}

fn get_freq(w: &[u32], o: usize) -> FreqCtr {
    FreqCtr { curr_tick: w[o], curr: w[o + 1], prev: w[o + 2] }
}

fn put_freq(w: &mut [u32], o: usize, f: FreqCtr) {
    w[o] = f.curr_tick;
    w[o + 1] = f.curr;
    w[o + 2] = f.prev;
}

/// Read access to one entry's values.
#[derive(Clone, Copy)]
pub struct DataRef<'a> {
    pub w: &'a [u32],
    pub l: &'a Layout,
}

/// Write access to one entry's values. Writes to types the table does not store are no-ops,
/// as HAProxy's `stktable_data_ptr` returns NULL for them.
pub struct DataMut<'a> {
    pub w: &'a mut [u32],
    pub l: &'a Layout,
}

impl DataRef<'_> {
    /// Raw element `i` (0 for scalars), see [`DataMut::put_word`].
    pub fn word(&self, dt: DataType, i: usize) -> Option<u32> {
        self.l.raw_off(dt, i).map(|o| self.w[o])
    }
    pub fn freq_at(&self, dt: DataType, i: usize) -> Option<FreqCtr> {
        self.l.raw_off(dt, i).map(|o| get_freq(self.w, o))
    }
    /// A 32-bit value (`server_id` reads as its bit pattern).
    pub fn uint(&self, dt: DataType) -> Option<u32> {
        self.l.off(dt).map(|o| self.w[o])
    }
    pub fn ull(&self, dt: DataType) -> Option<u64> {
        self.l.off(dt).map(|o| u64::from(self.w[o]) | (u64::from(self.w[o + 1]) << 32))
    }
    pub fn freq(&self, dt: DataType) -> Option<FreqCtr> {
        self.l.off(dt).map(|o| get_freq(self.w, o))
    }
    /// A rate over the table's period for `dt`.
    pub fn rate(&self, dt: DataType, now: Tick) -> Option<u32> {
        let st = self.l.schema.get(dt)?;
        self.freq(dt).map(|f| f.read(now, st.period))
    }
    pub fn server_id(&self) -> Option<i32> {
        self.uint(DataType::ServerId).map(|v| v as i32)
    }
    /// The `server_key` dictionary index (0: none).
    pub fn server_key(&self) -> Option<u32> {
        self.uint(DataType::ServerKey)
    }
    /// Element `i` of an array type, as an integer (rates are read).
    pub fn elem(&self, dt: DataType, i: usize, now: Tick) -> Option<i64> {
        let st = self.l.schema.get(dt)?;
        if i >= st.count as usize {
            return None;
        }
        let o = self.l.off(dt)?;
        Some(match dt.std_type() {
            StdType::Frqp => i64::from(get_freq(self.w, o + 3 * i).read(now, st.period)),
            _ => i64::from(self.w[o + i]),
        })
    }
    /// The value HAProxy's filters compare (`long long`), for a scalar type; arrays read
    /// their first element.
    pub fn int(&self, dt: DataType, now: Tick) -> Option<i64> {
        if dt.is_array() {
            return self.elem(dt, 0, now);
        }
        Some(match dt.std_type() {
            StdType::Sint => i64::from(self.server_id()?),
            StdType::Uint | StdType::Dict => i64::from(self.uint(dt)?),
            StdType::Ull => self.ull(dt)? as i64,
            StdType::Frqp => i64::from(self.rate(dt, now)?),
        })
    }
}

impl<'a> DataMut<'a> {
    pub fn as_ref(&self) -> DataRef<'_> {
        DataRef { w: self.w, l: self.l }
    }
    pub fn set_uint(&mut self, dt: DataType, v: u32) {
        if let Some(o) = self.l.off(dt) {
            self.w[o] = v;
        }
    }
    /// Add to a 32-bit counter (wrapping); returns the new value.
    pub fn add_uint(&mut self, dt: DataType, n: u32) -> Option<u32> {
        let o = self.l.off(dt)?;
        self.w[o] = self.w[o].wrapping_add(n);
        Some(self.w[o])
    }
    /// Decrement a gauge (`conn_cur`) without going below zero.
    pub fn dec_uint(&mut self, dt: DataType) {
        if let Some(o) = self.l.off(dt) {
            self.w[o] = self.w[o].saturating_sub(1);
        }
    }
    pub fn set_ull(&mut self, dt: DataType, v: u64) {
        if let Some(o) = self.l.off(dt) {
            self.w[o] = v as u32;
            self.w[o + 1] = (v >> 32) as u32;
        }
    }
    pub fn add_ull(&mut self, dt: DataType, n: u64) {
        if let Some(v) = self.as_ref().ull(dt) {
            self.set_ull(dt, v.wrapping_add(n));
        }
    }
    /// Count `inc` events in a rate.
    pub fn update_rate(&mut self, dt: DataType, now: Tick, inc: u32) -> Option<u32> {
        let o = self.l.off(dt)?;
        let period = self.l.schema.get(dt)?.period;
        let mut f = get_freq(self.w, o);
        let r = f.update(now, period, inc);
        put_freq(self.w, o, f);
        Some(r)
    }
    pub fn set_server_id(&mut self, id: i32) {
        self.set_uint(DataType::ServerId, id as u32);
    }
    pub fn set_server_key(&mut self, dict_idx: u32) {
        self.set_uint(DataType::ServerKey, dict_idx);
    }
    /// Element `i` of an array (`gpt`/`gpc` words, `gpc_rate` counters).
    pub fn add_elem(&mut self, dt: DataType, i: usize, now: Tick, n: u32) -> Option<u32> {
        let st = *self.l.schema.get(dt)?;
        if i >= st.count as usize {
            return None;
        }
        let o = self.l.off(dt)?;
        Some(match dt.std_type() {
            StdType::Frqp => {
                let mut f = get_freq(self.w, o + 3 * i);
                let r = f.update(now, st.period, n);
                put_freq(self.w, o + 3 * i, f);
                r
            }
            _ => {
                self.w[o + i] = self.w[o + i].wrapping_add(n);
                self.w[o + i]
            }
        })
    }
    pub fn set_elem(&mut self, dt: DataType, i: usize, v: u32) {
        if let (Some(st), Some(o)) = (self.l.schema.get(dt), self.l.off(dt)) {
            if i < st.count as usize && dt.std_type() != StdType::Frqp {
                self.w[o + i] = v;
            }
        }
    }

    /// Raw element `i` (0 for scalars) as the peers protocol carries it: a word for 32-bit
    /// types and `server_key`'s index, a counter for rates. Out of range: no-op.
    pub fn put_word(&mut self, dt: DataType, i: usize, v: u32) {
        if let Some(o) = self.l.raw_off(dt, i) {
            self.w[o] = v;
        }
    }
    pub fn put_freq(&mut self, dt: DataType, i: usize, f: FreqCtr) {
        if let Some(o) = self.l.raw_off(dt, i) {
            put_freq(self.w, o, f);
        }
    }

    /// `set table ... data.<type> <value>`, truncated to the type's width as HAProxy does;
    /// rates hold the value for the current period.
    pub fn set_cli(&mut self, dt: DataType, value: i64, now: Tick) {
        let Some(o) = self.l.off(dt) else { return };
        match dt.std_type() {
            StdType::Sint | StdType::Uint => self.w[o] = value as u32,
            StdType::Ull => self.set_ull(dt, value as u64),
            StdType::Frqp => {
                let mut f = get_freq(self.w, o);
                f.set(now, value as u32);
                put_freq(self.w, o, f);
            }
            StdType::Dict => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_keeps_haproxy_order() {
        let s = Schema::from_store(&["http_req_rate(10s)".into(), "gpc0".into(), "conn_cnt".into()]);
        let names: Vec<_> = s.stored.iter().map(|s| s.dt.name()).collect();
        assert_eq!(names, ["gpc0", "conn_cnt", "http_req_rate"]);
        assert_eq!(s.period(DataType::HttpReqRate), 10_000);
        let mut s = s;
        s.add(Stored { dt: DataType::ServerKey, period: 0, count: 0 });
        s.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
        let names: Vec<_> = s.stored.iter().map(|s| s.dt.name()).collect();
        assert_eq!(names, ["server_id", "gpc0", "conn_cnt", "http_req_rate", "server_key"]);
    }

    #[test]
    fn layout_packs_only_stored_types() {
        let s = Schema::from_store(&["gpc(3)".into(), "gpc_rate(2,1m)".into(), "bytes_in_cnt".into()]);
        let l = Layout::new(s);
        assert_eq!(l.stride, 2 + 3 + 6);
        assert_eq!(l.schema.period(DataType::GpcRate), 60_000);
        let mut w = vec![0u32; l.stride];
        let mut d = DataMut { w: &mut w, l: &l };
        d.add_ull(DataType::BytesInCnt, 5_000_000_000);
        d.add_elem(DataType::Gpc, 2, 0, 4);
        d.add_elem(DataType::GpcRate, 1, 1000, 2);
        assert_eq!(d.add_uint(DataType::Gpc0, 1), None);
        let r = d.as_ref();
        assert_eq!(r.ull(DataType::BytesInCnt), Some(5_000_000_000));
        assert_eq!(r.elem(DataType::Gpc, 2, 0), Some(4));
        assert_eq!(r.elem(DataType::Gpc, 3, 0), None);
        assert_eq!(r.elem(DataType::GpcRate, 1, 1500), Some(2));
    }

    #[test]
    fn set_truncates_like_haproxy() {
        let mut s = Schema::from_store(&["conn_cnt".into(), "http_req_rate(10s)".into()]);
        s.add(Stored { dt: DataType::ServerId, period: 0, count: 0 });
        let l = Layout::new(s);
        let mut w = vec![0u32; l.stride];
        let mut d = DataMut { w: &mut w, l: &l };
        d.set_cli(DataType::ServerId, 99_999_999_999, 0);
        d.set_cli(DataType::ConnCnt, -4, 0);
        d.set_cli(DataType::HttpReqRate, 7, 5000);
        let r = d.as_ref();
        assert_eq!(r.server_id(), Some(1_215_752_191));
        assert_eq!(r.uint(DataType::ConnCnt), Some(4_294_967_292));
        assert_eq!(r.rate(DataType::HttpReqRate, 6000), Some(7));
    }
}

//! `track-sc0/1/2` and the fetches that read what they track (`sc_*`, `sc0_*`..`sc2_*`,
//! `src_*`, `table_avl`, `table_cnt`), with HAProxy 2.6's counting rules:
//!
//! * tracking an entry counts a connection on it (`conn_cnt`, `conn_cur`, `conn_rate`), and
//!   an HTTP request when `http-request track-sc` does it (`http_req_cnt`, `http_req_rate`);
//! * a new session counts `sess_cnt`/`sess_rate`, each HTTP request `http_req_*`, each 4xx
//!   response `http_err_*`, each 5xx but 501/505 `http_fail_*`, traffic `bytes_*`, on every
//!   counter tracked at that moment;
//! * releasing a counter decrements `conn_cur` and touches the entry.
//!
//! Counters tracked by `tcp-request connection|session` rules belong to the session;
//! `tcp-request content` and `http-request` ones to the stream (one HTTP transaction).
//! [`StkCtrs`] holds either set; [`fetch`] reads them the way HAProxy does (the stream's
//! counter first, then the session's).

use std::net::IpAddr;
use std::sync::Arc;

use crate::acl::args::Arg;
use crate::acl::Sample;

use super::data::{DataMut, DataRef, DataType};
use super::freq::Tick;
use super::key::Key;
use super::table::{EntryRef, Table};
use super::Tables;

/// Number of stick counters (`sc0`..`sc2`).
pub const MAX: usize = 3;

/// One tracked counter (HAProxy's `struct stkctr`).
pub struct Tracked {
    pub entry: EntryRef,
    /// Tracked by a content rule (released with the stream).
    pub content: bool,
}

/// A set of stick counters (a session's or a stream's).
#[derive(Default)]
pub struct StkCtrs {
    pub slots: [Option<Tracked>; MAX],
}

/// Each counter a stream counts on: its own tracking of a slot, else the session's (HAProxy
/// starts every stream with a copy of its session's counters).
fn each(ctrs: &StkCtrs, session: Option<&StkCtrs>, mut f: impl FnMut(DataMut<'_>)) {
    for n in 0..MAX {
        if let Some(t) = ctrs.effective(session, n) {
            t.entry.with(&mut f);
        }
    }
}

impl StkCtrs {
    pub fn is_tracked(&self, n: usize) -> bool {
        self.slots.get(n).is_some_and(Option::is_some)
    }

    /// Whether any counter is tracked here or, for a stream, by its session.
    pub fn any(&self, session: Option<&StkCtrs>) -> bool {
        (0..MAX).any(|n| self.effective(session, n).is_some())
    }

    /// Counter `n` as a stream sees it: its own tracking, else its session's.
    pub fn effective<'a>(&'a self, session: Option<&'a StkCtrs>, n: usize) -> Option<&'a Tracked> {
        let own = self.slots.get(n)?.as_ref();
        own.or_else(|| session.and_then(|s| s.slots.get(n)?.as_ref()))
    }

    /// `sc-inc-gpc0|1`, `sc-inc-gpc(<idx>,<sc>)` on counter `sc`: the counter and its rate, when
    /// the table stores them (`gpc0`/`gpc1` fall back to the `gpc` array).
    pub fn inc_gpc(&self, session: Option<&StkCtrs>, sc: usize, gpc: crate::ir::rules::Gpc, now: Tick) {
        let Some(t) = self.effective(session, sc) else { return };
        t.entry.with(|d| match gpc {
            crate::ir::rules::Gpc::Legacy(0) => value("inc_gpc0", None, d, now),
            crate::ir::rules::Gpc::Legacy(_) => value("inc_gpc1", None, d, now),
            crate::ir::rules::Gpc::Idx(i) => value("inc_gpc", Some(i as usize), d, now),
        });
    }

    /// `sc-set-gpt0` (`idx` None: `gpt0`, else the `gpt` array's element 0) and
    /// `sc-set-gpt(<idx>,<sc>)` on counter `sc`.
    pub fn set_gpt(&self, session: Option<&StkCtrs>, sc: usize, idx: Option<u32>, v: u32) {
        let Some(t) = self.effective(session, sc) else { return };
        t.entry.with(|mut d| match idx {
            None if d.l.has(DataType::Gpt0) => d.set_uint(DataType::Gpt0, v),
            None => d.set_elem(DataType::Gpt, 0, v),
            Some(i) => d.set_elem(DataType::Gpt, i as usize, v),
        });
    }

    /// `track-sc<n> <key> [table <t>]`: only the first valid tracking of each counter
    /// applies. Counts a connection on the entry, and an HTTP request when `http_req` (the
    /// `http-request` action). Returns whether tracking started.
    pub fn track(&mut self, n: usize, table: &Arc<Table>, key: &Key, now: Tick, http_req: bool, content: bool) -> bool {
        if n >= MAX || self.slots[n].is_some() {
            return false;
        }
        let Some(entry) = table.track(key, now) else { return false };
        entry.with(|mut d| {
            d.add_uint(DataType::ConnCur, 1);
            d.add_uint(DataType::ConnCnt, 1);
            d.update_rate(DataType::ConnRate, now, 1);
            if http_req {
                d.add_uint(DataType::HttpReqCnt, 1);
                d.update_rate(DataType::HttpReqRate, now, 1);
            }
        });
        self.slots[n] = Some(Tracked { entry, content });
        true
    }

    /// A session was accepted (after `tcp-request session` rules).
    pub fn session_started(&self, now: Tick) {
        each(self, None, |mut d| {
            d.add_uint(DataType::SessCnt, 1);
            d.update_rate(DataType::SessRate, now, 1);
        });
    }

    /// A new HTTP request was received (`session`: the counters a stream falls back to).
    pub fn http_request(&self, session: Option<&StkCtrs>, now: Tick) {
        each(self, session, |mut d| {
            d.add_uint(DataType::HttpReqCnt, 1);
            d.update_rate(DataType::HttpReqRate, now, 1);
        });
    }

    /// A response status: 4xx counts an error, 5xx but 501 and 505 a failure.
    pub fn http_status(&self, session: Option<&StkCtrs>, status: u16, now: Tick) {
        let (err, fail) =
            ((400..500).contains(&status), (500..600).contains(&status) && status != 501 && status != 505);
        if !err && !fail {
            return;
        }
        each(self, session, |mut d| {
            let (cnt, rate) = if err {
                (DataType::HttpErrCnt, DataType::HttpErrRate)
            } else {
                (DataType::HttpFailCnt, DataType::HttpFailRate)
            };
            d.add_uint(cnt, 1);
            d.update_rate(rate, now, 1);
        });
    }

    /// Traffic: `bytes_in` from the client, `bytes_out` to it.
    pub fn bytes(&self, session: Option<&StkCtrs>, bytes_in: u64, bytes_out: u64, now: Tick) {
        if bytes_in == 0 && bytes_out == 0 {
            return;
        }
        each(self, session, |mut d| {
            d.add_ull(DataType::BytesInCnt, bytes_in);
            d.update_rate(DataType::BytesInRate, now, bytes_in as u32);
            d.add_ull(DataType::BytesOutCnt, bytes_out);
            d.update_rate(DataType::BytesOutRate, now, bytes_out as u32);
        });
    }

    /// Stop tracking (end of the stream or session): `conn_cur` goes down and the entry is
    /// touched, so it expires `expire` ms from now.
    pub fn release(&mut self, now: Tick) {
        for slot in &mut self.slots {
            if let Some(t) = slot.take() {
                t.entry.with(|mut d| d.dec_uint(DataType::ConnCur));
                t.entry.release(now);
            }
        }
    }
}

/// A session or stream ends: its counters are released (HAProxy's `stream_store_counters` /
/// `session_store_counters`), whatever path ended it.
impl Drop for StkCtrs {
    fn drop(&mut self) {
        if self.slots.iter().any(Option::is_some) {
            self.release(super::now_ms());
        }
    }
}

/// What the `sc_*` / `src_*` fetches read.
pub struct FetchCtx<'a> {
    pub tables: &'a Tables,
    /// The proxy's own table (the default of `src_*` and `table_*`).
    pub own_table: Option<&'a Arc<Table>>,
    pub src: Option<IpAddr>,
    pub stream: Option<&'a StkCtrs>,
    pub session: Option<&'a StkCtrs>,
    pub now: Tick,
}

/// What [`value`] (and [`fetch`] itself) reads after the `sc_` / `scN_` / `src_` prefix.
const READS: &[&str] = &[
    "tracked",
    "trackers",
    "conn_cnt",
    "conn_cur",
    "conn_rate",
    "sess_cnt",
    "sess_rate",
    "http_req_cnt",
    "http_req_rate",
    "http_err_cnt",
    "http_err_rate",
    "http_fail_cnt",
    "http_fail_rate",
    "bytes_in_rate",
    "bytes_out_rate",
    "kbytes_in",
    "kbytes_out",
    "get_gpt0",
    "get_gpt",
    "get_gpc0",
    "get_gpc1",
    "get_gpc",
    "gpc0_rate",
    "gpc1_rate",
    "gpc_rate",
    "inc_gpc0",
    "inc_gpc1",
    "inc_gpc",
    "clr_gpc0",
    "clr_gpc1",
    "clr_gpc",
    "updt_conn_cnt",
];

/// Whether a fetch belongs here (and is evaluated: `src_port` is not).
pub fn is_stick_fetch(name: &str) -> bool {
    match split(name) {
        // `src_tracked` does not exist; the parser has refused it already.
        Some((_, what)) => READS.contains(&what),
        None => matches!(name, "table_avl" | "table_cnt"),
    }
}

/// `sc_X` (counter in the first argument), `scN_X`, `src_X`: (counter or None for src, X).
fn split(name: &str) -> Option<(Option<Option<usize>>, &str)> {
    if let Some(x) = name.strip_prefix("sc_") {
        return Some((Some(None), x));
    }
    if let Some(x) = name.strip_prefix("src_") {
        return Some((None, x));
    }
    let b = name.as_bytes();
    if b.len() > 4 && b.starts_with(b"sc") && b[2].is_ascii_digit() && b[3] == b'_' {
        return Some((Some(Some(usize::from(b[2] - b'0'))), &name[4..]));
    }
    None
}

fn table_arg<'a>(cx: &'a FetchCtx, args: &[Arg], i: usize) -> Option<&'a Arc<Table>> {
    match args.get(i) {
        Some(Arg::Tab(t)) if !t.is_empty() => cx.tables.get(t),
        _ => cx.own_table,
    }
}

/// Evaluate a stick fetch. `None` when the fetch fails (nothing tracked on that counter, or
/// the data type is not stored), as HAProxy's fetches fail.
pub fn fetch(name: &str, args: &[Arg], cx: &FetchCtx) -> Option<Sample<'static>> {
    if matches!(name, "table_avl" | "table_cnt") {
        let t = table_arg(cx, args, 0)?;
        let used = t.used(cx.now) as i64;
        return Some(Sample::Sint(if name == "table_cnt" { used } else { t.size as i64 - used }));
    }
    let (ctr, what) = split(name)?;
    let (gpc_idx, rest_args) = match what {
        "get_gpc" | "gpc_rate" | "inc_gpc" | "clr_gpc" | "get_gpt" => {
            let idx = args.first().and_then(Arg::as_int).unwrap_or(0).max(0) as usize;
            (Some(idx), &args[args.len().min(1)..])
        }
        _ => (None, args),
    };
    match ctr {
        Some(n) => {
            // sc_X(<ctr>[,table]) or scN_X([table]).
            let (n, targs) = match n {
                Some(n) => (n, rest_args),
                None => (
                    rest_args.first().and_then(Arg::as_int).unwrap_or(-1) as usize,
                    &rest_args[rest_args.len().min(1)..],
                ),
            };
            let tracked = cx
                .stream
                .and_then(|s| s.slots.get(n)?.as_ref())
                .or_else(|| cx.session.and_then(|s| s.slots.get(n)?.as_ref()));
            if what == "tracked" {
                return Some(Sample::Bool(tracked.is_some()));
            }
            let tracked = tracked?;
            // A table argument reads the same key in that other table (absent: 0).
            if let Some(Arg::Tab(name)) = targs.first().filter(|a| matches!(a, Arg::Tab(t) if !t.is_empty())) {
                let other = cx.tables.get(name)?;
                if !Arc::ptr_eq(other, tracked.entry.table()) {
                    let key = tracked.entry.key()?;
                    if what == "trackers" {
                        return Some(Sample::Sint(other.refs_of(key.as_bytes(), cx.now).unwrap_or(0) as i64));
                    }
                    return other
                        .update(key.as_bytes(), cx.now, |d| value(what, gpc_idx, d, cx.now))
                        .unwrap_or(Some(Sample::Sint(0)));
                }
            }
            if what == "trackers" {
                return Some(Sample::Sint(tracked.entry.refs() as i64));
            }
            tracked.entry.with(|d| value(what, gpc_idx, d, cx.now)).flatten()
        }
        None => {
            // src_X([table]): the client address in that table; no entry reads as 0.
            let t = table_arg(cx, rest_args, 0)?;
            let src = cx.src?;
            let s = match src {
                IpAddr::V4(a) => Sample::Ipv4(a),
                IpAddr::V6(a) => Sample::Ipv6(a),
            };
            let key = t.key_type.key_of(s)?;
            if what == "trackers" {
                return Some(Sample::Sint(t.refs_of(key.as_bytes(), cx.now).unwrap_or(0) as i64));
            }
            let creates = matches!(
                what,
                "inc_gpc0" | "inc_gpc1" | "inc_gpc" | "clr_gpc0" | "clr_gpc1" | "clr_gpc" | "updt_conn_cnt"
            );
            let got = if creates {
                t.get_or_create(&key, cx.now, |d| value(what, gpc_idx, d, cx.now))
            } else {
                t.update(key.as_bytes(), cx.now, |d| value(what, gpc_idx, d, cx.now))
            };
            match got {
                Some(v) => v,
                None => Some(Sample::Sint(0)),
            }
        }
    }
}

fn stored(d: &DataRef<'_>, dt: DataType) -> bool {
    d.l.has(dt)
}

/// The value of `what` on an entry (updating it for `inc_*` / `clr_*`).
fn value(what: &str, gpc_idx: Option<usize>, mut d: DataMut<'_>, now: Tick) -> Option<Sample<'static>> {
    let r = d.as_ref();
    let int = |v: Option<i64>| v.map(Sample::Sint);
    let rate = |dt: DataType| if stored(&r, dt) { r.rate(dt, now).map(|v| Sample::Sint(i64::from(v))) } else { None };
    let uint = |dt: DataType| r.uint(dt).map(|v| Sample::Sint(i64::from(v)));
    match what {
        "conn_cnt" => uint(DataType::ConnCnt),
        // `src_updt_conn_cnt`: one more connection on the entry, the new count.
        "updt_conn_cnt" => d.add_uint(DataType::ConnCnt, 1).map(|v| Sample::Sint(i64::from(v))),
        "conn_cur" => uint(DataType::ConnCur),
        "conn_rate" => rate(DataType::ConnRate),
        "sess_cnt" => uint(DataType::SessCnt),
        "sess_rate" => rate(DataType::SessRate),
        "http_req_cnt" => uint(DataType::HttpReqCnt),
        "http_req_rate" => rate(DataType::HttpReqRate),
        "http_err_cnt" => uint(DataType::HttpErrCnt),
        "http_err_rate" => rate(DataType::HttpErrRate),
        "http_fail_cnt" => uint(DataType::HttpFailCnt),
        "http_fail_rate" => rate(DataType::HttpFailRate),
        "bytes_in_rate" => rate(DataType::BytesInRate),
        "bytes_out_rate" => rate(DataType::BytesOutRate),
        "kbytes_in" => r.ull(DataType::BytesInCnt).map(|v| Sample::Sint((v >> 10) as i64)),
        "kbytes_out" => r.ull(DataType::BytesOutCnt).map(|v| Sample::Sint((v >> 10) as i64)),
        "get_gpt0" => uint(DataType::Gpt0).or_else(|| int(r.elem(DataType::Gpt, 0, now))),
        "get_gpt" => int(r.elem(DataType::Gpt, gpc_idx.unwrap_or(0), now)),
        "get_gpc0" => uint(DataType::Gpc0).or_else(|| int(r.elem(DataType::Gpc, 0, now))),
        "get_gpc1" => uint(DataType::Gpc1).or_else(|| int(r.elem(DataType::Gpc, 1, now))),
        "get_gpc" => int(r.elem(DataType::Gpc, gpc_idx.unwrap_or(0), now)),
        "gpc0_rate" => rate(DataType::Gpc0Rate).or_else(|| int(r.elem(DataType::GpcRate, 0, now))),
        "gpc1_rate" => rate(DataType::Gpc1Rate).or_else(|| int(r.elem(DataType::GpcRate, 1, now))),
        "gpc_rate" => int(r.elem(DataType::GpcRate, gpc_idx.unwrap_or(0), now)),
        "inc_gpc0" | "inc_gpc1" | "inc_gpc" => {
            let (cnt, rt, idx) = match what {
                "inc_gpc0" => (DataType::Gpc0, DataType::Gpc0Rate, 0),
                "inc_gpc1" => (DataType::Gpc1, DataType::Gpc1Rate, 1),
                _ => (DataType::Gpc, DataType::GpcRate, gpc_idx.unwrap_or(0)),
            };
            let arrays = !d.l.has(cnt) && !d.l.has(rt) && what != "inc_gpc";
            let (cnt, rt, idx) = if arrays { (DataType::Gpc, DataType::GpcRate, idx) } else { (cnt, rt, idx) };
            if !d.l.has(cnt) && !d.l.has(rt) {
                return None;
            }
            if cnt.is_array() {
                d.add_elem(rt, idx, now, 1);
                let v = d.add_elem(cnt, idx, now, 1);
                Some(Sample::Sint(i64::from(v.unwrap_or(0))))
            } else {
                d.update_rate(rt, now, 1);
                let v = d.add_uint(cnt, 1);
                Some(Sample::Sint(i64::from(v.unwrap_or(0))))
            }
        }
        "clr_gpc0" | "clr_gpc1" | "clr_gpc" => {
            let (dt, idx) = match what {
                "clr_gpc0" if d.l.has(DataType::Gpc0) => (DataType::Gpc0, None),
                "clr_gpc1" if d.l.has(DataType::Gpc1) => (DataType::Gpc1, None),
                "clr_gpc0" => (DataType::Gpc, Some(0)),
                "clr_gpc1" => (DataType::Gpc, Some(1)),
                _ => (DataType::Gpc, Some(gpc_idx.unwrap_or(0))),
            };
            match idx {
                None => {
                    let old = d.as_ref().uint(dt)?;
                    d.set_uint(dt, 0);
                    Some(Sample::Sint(i64::from(old)))
                }
                Some(i) => {
                    let old = d.as_ref().elem(dt, i, now)?;
                    d.set_elem(dt, i, 0);
                    Some(Sample::Sint(old))
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stick::data::{Layout, Schema};
    use crate::engine::stick::{KeyType, TableSpec};

    fn tables() -> Tables {
        let mut t = Tables::default();
        let schema = Schema::from_store(&[
            "conn_cnt".into(),
            "conn_cur".into(),
            "conn_rate(10s)".into(),
            "http_req_cnt".into(),
            "http_req_rate(10s)".into(),
            "http_err_cnt".into(),
            "gpc0".into(),
            "gpc0_rate(10s)".into(),
            "bytes_in_cnt".into(),
            "gpt0".into(),
        ]);
        t.add(TableSpec {
            name: "be".into(),
            key: KeyType::Ip,
            size: 100,
            expire: Some(10_000),
            nopurge: false,
            srvkey_addr: false,
            layout: Layout::new(schema),
        });
        t
    }

    fn get(cx: &FetchCtx, name: &str) -> Option<i64> {
        fetch(name, &[], cx).and_then(|s| s.as_int())
    }

    /// A stream counts on its own counters, else on its session's; gpc/gpt actions follow
    /// the same counter.
    #[test]
    fn streams_fall_back_to_the_session_counters() {
        use crate::ir::rules::Gpc;
        let t = tables();
        let be = t.get("be").unwrap().clone();
        let k1 = Key::from_bytes(&[10, 0, 0, 1]);
        let k2 = Key::from_bytes(&[10, 0, 0, 2]);
        let mut sess = StkCtrs::default();
        assert!(sess.track(0, &be, &k1, 1000, false, false));
        assert!(sess.track(1, &be, &k2, 1000, false, false));
        let mut stream = StkCtrs::default();
        assert!(stream.track(1, &be, &k1, 1000, false, true));
        assert!(StkCtrs::default().any(Some(&sess)) && !StkCtrs::default().any(None));
        // sc0 is the session's entry k1, sc1 the stream's (also k1): k2 counts nothing.
        stream.http_request(Some(&sess), 1100);
        stream.inc_gpc(Some(&sess), 0, Gpc::Legacy(0), 1100);
        stream.inc_gpc(Some(&sess), 2, Gpc::Legacy(0), 1100);
        stream.set_gpt(Some(&sess), 1, None, 7);
        let cx = FetchCtx {
            tables: &t,
            own_table: Some(&be),
            src: None,
            stream: Some(&stream),
            session: Some(&sess),
            now: 1200,
        };
        assert_eq!(get(&cx, "sc0_http_req_cnt"), Some(2));
        assert_eq!(get(&cx, "sc0_get_gpc0"), Some(1));
        assert_eq!(get(&cx, "sc0_conn_cnt"), Some(2));
        assert_eq!(get(&cx, "sc1_get_gpt0"), Some(7));
        let cx =
            FetchCtx { tables: &t, own_table: Some(&be), src: None, stream: None, session: Some(&sess), now: 1200 };
        assert_eq!(get(&cx, "sc1_http_req_cnt"), Some(0));
        assert_eq!(get(&cx, "sc1_get_gpc0"), Some(0));
        drop(stream);
        sess.release(2000);
    }

    #[test]
    fn tracking_counts_and_fetches_read() {
        let t = tables();
        let be = t.get("be").unwrap().clone();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let key = Key::from_bytes(&[10, 0, 0, 1]);
        let mut sess = StkCtrs::default();
        assert!(sess.track(0, &be, &key, 1000, false, false));
        assert!(!sess.track(0, &be, &key, 1000, false, false));
        sess.http_request(None, 1000);
        sess.http_request(None, 1100);
        sess.http_status(None, 404, 1100);
        sess.bytes(None, 3000, 0, 1100);
        let cx =
            FetchCtx { tables: &t, own_table: Some(&be), src: Some(ip), stream: None, session: Some(&sess), now: 1200 };
        assert_eq!(get(&cx, "sc0_conn_cnt"), Some(1));
        assert_eq!(get(&cx, "sc0_conn_cur"), Some(1));
        assert_eq!(get(&cx, "sc0_http_req_cnt"), Some(2));
        assert_eq!(get(&cx, "sc0_http_req_rate"), Some(2));
        assert_eq!(get(&cx, "sc0_http_err_cnt"), Some(1));
        assert_eq!(get(&cx, "sc0_kbytes_in"), Some(2));
        assert_eq!(get(&cx, "sc0_inc_gpc0"), Some(1));
        assert_eq!(get(&cx, "sc0_inc_gpc0"), Some(2));
        assert_eq!(get(&cx, "sc0_gpc0_rate"), Some(2));
        assert_eq!(get(&cx, "src_get_gpc0"), Some(2));
        assert_eq!(get(&cx, "sc0_trackers"), Some(1));
        // Not stored: the fetch fails.
        assert_eq!(get(&cx, "sc0_sess_cnt"), None);
        // Nothing on sc1: fails; sc1_tracked is false.
        assert_eq!(get(&cx, "sc1_conn_cnt"), None);
        assert_eq!(fetch("sc1_tracked", &[], &cx), Some(Sample::Bool(false)));
        assert_eq!(fetch("sc_tracked", &[Arg::Sint(0)], &cx), Some(Sample::Bool(true)));
        assert_eq!(fetch("sc_conn_cnt", &[Arg::Sint(0)], &cx).and_then(|s| s.as_int()), Some(1));
        assert_eq!(get(&cx, "sc0_clr_gpc0"), Some(2));
        assert_eq!(get(&cx, "sc0_get_gpc0"), Some(0));
        assert_eq!(get(&cx, "table_cnt"), Some(1));
        assert_eq!(get(&cx, "table_avl"), Some(99));
        sess.release(2000);
        let cx = FetchCtx { tables: &t, own_table: Some(&be), src: Some(ip), stream: None, session: None, now: 2000 };
        assert_eq!(get(&cx, "src_conn_cur"), Some(0));
        assert_eq!(get(&cx, "src_conn_cnt"), Some(1));
        // Released: it expires 10s after the release.
        assert_eq!(be.used(11_999), 1);
        assert_eq!(be.used(12_000), 0);
    }

    #[test]
    fn only_evaluated_fetches_are_stick_fetches() {
        for yes in [
            "sc_http_req_rate",
            "sc0_conn_cur",
            "sc2_tracked",
            "src_get_gpc0",
            "table_avl",
            "sc_inc_gpc",
            "src_updt_conn_cnt",
        ] {
            assert!(is_stick_fetch(yes), "{yes}");
        }
        for no in ["src", "src_port", "src_is_local", "sc_nope", "sc3x_conn_cur", "table_x"] {
            assert!(!is_stick_fetch(no), "{no}");
        }
    }

    #[test]
    fn src_fetches_without_entry_read_zero_and_inc_creates() {
        let t = tables();
        let be = t.get("be").unwrap().clone();
        let cx = FetchCtx {
            tables: &t,
            own_table: Some(&be),
            src: Some("10.9.9.9".parse().unwrap()),
            stream: None,
            session: None,
            now: 0,
        };
        assert_eq!(get(&cx, "src_conn_cnt"), Some(0));
        assert_eq!(be.used(0), 0);
        assert_eq!(get(&cx, "src_inc_gpc0"), Some(1));
        assert_eq!(be.used(0), 1);
        assert_eq!(get(&cx, "src_http_req_rate"), Some(0));
    }
}

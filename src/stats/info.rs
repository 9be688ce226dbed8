//! `show info`: the process-wide fields, in HAProxy 2.6.12's order, as plain `Name: value`
//! lines, typed lines or JSON. Fields haproxide does not measure (SSL, pools, compression,
//! rates) read 0, as on an idle HAProxy.

use std::sync::atomic::Ordering::Relaxed;

use super::fields::{info_fields, Kind};
use super::{json_tags_value, Value};
use crate::engine::{unix_now, Engine};

/// HAProxy 2.6.12's release date, as its `show info` prints it.
pub const RELEASE_DATE: &str = "2023/03/28";

/// What the caller knows that the engine does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// Stats sockets bound (they count as listeners).
    pub cli_listeners: u64,
    /// Runtime API sessions open now (they count as jobs).
    pub cli_sessions: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InfoOpts {
    pub typed: bool,
    pub json: bool,
    pub desc: bool,
    /// `float`: durations with sub-second precision.
    pub float: bool,
}

fn threads(eng: &Engine) -> u32 {
    eng.config
        .global
        .nbthread
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1))
}

/// The values of every `show info` field (empty ones are left out of every rendering).
pub fn values(eng: &Engine, extra: Extra, float: bool) -> Vec<Value> {
    let now = unix_now();
    let up = eng.started.elapsed();
    let secs = up.as_secs();
    let g = &eng.config.global;
    let nofile = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    let listeners: u64 = eng
        .frontends
        .iter()
        .filter(|f| !f.disabled.load(Relaxed) && !f.stopped.load(Relaxed))
        .map(|f| f.spec.binds.len() as u64)
        .sum::<u64>()
        + extra.cli_listeners;
    let bytes_out: u64 = eng.frontends.iter().map(|f| f.counters.bytes_out.get()).sum();
    let node = g.node.clone().unwrap_or_else(crate::config::env::hostname);
    let mut v = vec![Value::Empty; info_fields().len()];
    let mut set = |i: usize, x: Value| {
        if let Some(s) = v.get_mut(i) {
            *s = x;
        }
    };
    set(0, "HAProxy".into());
    set(1, crate::VERSION.into());
    set(2, RELEASE_DATE.into());
    set(3, threads(eng).into());
    set(4, 1u32.into());
    set(5, 1u32.into());
    set(6, std::process::id().into());
    set(7, format!("{}d {}h{:02}m{:02}s", secs / 86400, (secs / 3600) % 24, (secs / 60) % 60, secs % 60).into());
    set(8, if float { Value::Str(format!("{:.6}", up.as_secs_f64())) } else { (secs as u32).into() });
    for i in [9, 10, 11, 12] {
        set(i, 0u32.into());
    }
    set(13, (nofile as u32).into());
    set(14, (nofile as u32).into());
    set(15, eng.global_maxconn.load(Relaxed).into());
    set(16, eng.hard_maxconn.into());
    set(17, (eng.active_conns.get() as u32).into());
    set(18, (eng.total_conns.get() as u32).into());
    set(19, (eng.total_requests.get() as u32).into());
    for i in 20..=44 {
        set(i, 0u32.into());
    }
    let tick = crate::engine::stick::now_ms();
    set(26, eng.conn_rate.read(tick).into());
    set(28, eng.conn_rate.max().into());
    set(29, eng.sess_rate.read(tick).into());
    set(31, eng.sess_rate.max().into());
    set(47, 0u32.into());
    set(48, 0u32.into());
    set(49, 100u32.into());
    set(50, node.into());
    if let Some(d) = &g.description {
        set(51, d.clone().into());
    }
    set(52, u32::from(eng.is_stopping()).into());
    set(53, (listeners + eng.active_conns.get() + extra.cli_sessions).into());
    set(54, 0u32.into());
    set(55, listeners.into());
    for i in 56..=60 {
        set(i, 0u32.into());
    }
    set(61, bytes_out.into());
    set(62, 0u64.into());
    set(63, 0u64.into());
    set(64, 0u32.into());
    set(65, 0u32.into());
    set(66, crate::VERSION.into());
    set(67, 0u32.into());
    set(68, 0u64.into());
    set(69, 0u64.into());
    set(70, (eng.started_unix as u32).into());
    set(71, "0".into());
    let _ = now;
    v
}

/// Render `show info` with its options.
pub fn render(values: &[Value], o: InfoOpts) -> String {
    let defs = info_fields();
    let mut out = String::new();
    let mut json = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let d = &defs[i];
        let meta = d.meta[0].unwrap_or(super::fields::Meta { tags: *b"MGP", kind: Kind::U32 });
        // A float value prints as text, typed `flt`.
        let (kind, text) = match v {
            Value::Str(s) if meta.kind != Kind::Str => (None, s.clone()),
            _ => (Some(meta.kind), v.format(meta.kind)),
        };
        if o.json {
            let tv = match kind {
                Some(k) => json_tags_value(meta.tags, k, v),
                None => json_tags_value(meta.tags, Kind::Str, v).replace("\"type\":\"str\"", "\"type\":\"flt\""),
            };
            json.push(format!("{{\"field\":{{\"pos\":{i},\"name\":\"{}\"}},\"processNum\":1,{tv}}}", d.name));
            continue;
        }
        if o.typed {
            let tname = kind.map(|k| k.name()).unwrap_or("flt");
            out.push_str(&format!("{i}.{}.1:{}:{tname}:{text}", d.name, String::from_utf8_lossy(&meta.tags)));
        } else {
            out.push_str(&format!("{}: {text}", d.name));
        }
        if o.desc {
            out.push_str(&format!(":\"{}\"", d.desc));
        }
        out.push('\n');
    }
    if o.json {
        return format!("[{}]\n", json.join(","));
    }
    out
}

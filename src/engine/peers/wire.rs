//! Our stick tables as the peers protocol describes them: the table definition message, the
//! encoding of an entry into an update message, and the decoding of a peer's update against
//! the definition it sent, applied to our table. Pure apart from the table itself.
//!
//! Facts recorded from HAProxy 2.6: key types are 2 (integer, 4 bytes in network order),
//! 4 (ipv4), 5 (ipv6), 6 (string, length-prefixed, key size `len`+1) and 7 (binary, `len`
//! bytes); a table of a `peers` section goes by `/<name>` (2.6 sends its name past the
//! section's), a proxy's by the proxy name; updates are plain (type 0x80, no expiry: the
//! receiver applies its own); rates are (ms since the current period began, current,
//! previous); `server_id` is sign-extended to 64 bits.

use std::sync::Arc;

use super::codec::{self, get_bytes, get_int, put_int, CodecError, TableDef};
use crate::engine::stick::data::{DataRef, StdType, DATA_TYPES};
use crate::engine::stick::freq::FreqCtr;
use crate::engine::stick::{dict, DataType, Key, KeyType, Table, Tick};

/// The number of server keys a peer may refer to by id (HAProxy's dictionary cache size).
pub const DICT_CACHE: usize = 128;

/// One of our tables in a `peers` section.
pub struct WireTable {
    pub table: Arc<Table>,
    /// Our id for it in definitions and acks.
    pub id: u64,
    /// The name sent in definitions (and matched against a peer's).
    pub name: Vec<u8>,
}

/// The name a table goes by on the wire: `<section>/<t>` goes by `/<t>`.
pub fn wire_name(table_name: &str, section: &str) -> Vec<u8> {
    match table_name.strip_prefix(section).filter(|r| r.starts_with('/')) {
        Some(rest) => rest.as_bytes().to_vec(),
        None => table_name.as_bytes().to_vec(),
    }
}

/// The key type code and key size of a table.
pub fn key_code(k: KeyType) -> (u64, u64) {
    match k {
        KeyType::Integer => (2, 4),
        KeyType::Ip => (4, 4),
        KeyType::Ipv6 => (5, 16),
        KeyType::String(len) => (6, len as u64 + 1),
        KeyType::Binary(len) => (7, len as u64),
    }
}

/// Append the definition of `t`.
pub fn put_define(out: &mut Vec<u8>, t: &WireTable) {
    let mut bits = 0u64;
    let mut params = Vec::new();
    for st in &t.table.layout.schema.stored {
        let n = st.dt as u64;
        bits |= 1 << n;
        let freq = st.dt.std_type() == StdType::Frqp;
        if st.dt.is_array() {
            put_int(&mut params, n);
            put_int(&mut params, u64::from(st.count.max(1)));
            if freq {
                put_int(&mut params, u64::from(st.period));
            }
        } else if freq {
            put_int(&mut params, n);
            put_int(&mut params, u64::from(st.period));
        }
    }
    let (kt, kl) = key_code(t.table.key_type);
    let expire = u64::from(t.table.expire.unwrap_or(0));
    codec::put_define(out, t.id, &t.name, kt, kl, bits, expire, &params);
}

fn put_key(out: &mut Vec<u8>, kt: KeyType, key: &Key) {
    let b = key.as_bytes();
    match kt {
        KeyType::Integer => {
            let mut le = [0u8; 4];
            le[..b.len().min(4)].copy_from_slice(&b[..b.len().min(4)]);
            out.extend_from_slice(&u32::from_le_bytes(le).to_be_bytes());
        }
        KeyType::String(_) => {
            put_int(out, b.len() as u64);
            out.extend_from_slice(b);
        }
        KeyType::Ip | KeyType::Ipv6 | KeyType::Binary(_) => out.extend_from_slice(b),
    }
}

fn put_freq(out: &mut Vec<u8>, f: FreqCtr, now: Tick) {
    put_int(out, u64::from(now.wrapping_sub(f.curr_tick)));
    put_int(out, u64::from(f.curr));
    put_int(out, u64::from(f.prev));
}

/// Append an update message for one entry; with `expire` (ms left), a timed update, as
/// HAProxy sends in a full resync so that entries keep their expiry. `scratch` is reused
/// between calls.
#[allow(clippy::too_many_arguments)]
pub fn put_update(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    t: &Table,
    update: u32,
    expire: Option<u32>,
    key: &Key,
    d: DataRef<'_>,
    now: Tick,
) {
    scratch.clear();
    scratch.extend_from_slice(&update.to_be_bytes());
    if let Some(e) = expire {
        scratch.extend_from_slice(&e.to_be_bytes());
    }
    put_key(scratch, t.key_type, key);
    for st in &t.layout.schema.stored {
        let dt = st.dt;
        if dt.std_type() == StdType::Ull {
            put_int(scratch, d.ull(dt).unwrap_or(0));
            continue;
        }
        for i in 0..t.layout.count(dt) {
            match dt.std_type() {
                StdType::Frqp => put_freq(scratch, d.freq_at(dt, i).unwrap_or_default(), now),
                StdType::Sint => put_int(scratch, d.word(dt, i).unwrap_or(0) as i32 as i64 as u64),
                StdType::Uint | StdType::Ull => put_int(scratch, u64::from(d.word(dt, i).unwrap_or(0))),
                StdType::Dict => match d.word(dt, i).and_then(dict::get) {
                    // The value in full each time, under cache id 1: valid for any receiver,
                    // and independent of which peer it goes to.
                    Some(v) => {
                        let mut inner = Vec::with_capacity(v.len() + 4);
                        put_int(&mut inner, 1);
                        put_int(&mut inner, v.len() as u64);
                        inner.extend_from_slice(v.as_bytes());
                        put_int(scratch, inner.len() as u64);
                        scratch.extend_from_slice(&inner);
                    }
                    None => put_int(scratch, 0),
                },
            }
        }
    }
    let kind = if expire.is_some() { codec::STKT_UPDATE_TIMED } else { codec::STKT_UPDATE };
    codec::put_long(out, codec::CLASS_STKT, kind, scratch);
}

/// A peer's definition matched to one of our tables.
pub struct Remote {
    pub def: TableDef,
    /// Index in the section's tables; `None` when no table of ours matches (updates for it
    /// are skipped, as HAProxy skips them).
    pub local: Option<usize>,
}

/// Parse a definition and find the table it is for: same name, key type and key size.
pub fn match_define(data: &[u8], tables: &[WireTable]) -> Result<Remote, CodecError> {
    let is_array = |n: u64| DATA_TYPES.get(n as usize).is_some_and(|d| d.3);
    let is_freq = |n: u64| DATA_TYPES.get(n as usize).is_some_and(|d| d.2 == StdType::Frqp);
    let def = codec::parse_define(data, is_array, is_freq)?;
    let local = tables.iter().position(|t| {
        let (kt, kl) = key_code(t.table.key_type);
        t.name == def.name && kt == def.key_type && kl == def.key_len
    });
    Ok(Remote { def, local })
}

/// One value of an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Int(u64),
    Freq {
        age: u32,
        curr: u32,
        prev: u32,
    },
    /// A server key: the cache id, and the value when sent in full.
    Dict(Option<u32>),
}

/// A decoded update: the key (as our table stores it), the update id and expiry if given,
/// and the values in data type order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: Option<u32>,
    pub expire: Option<u32>,
    pub key: Key,
    pub values: Vec<(DataType, usize, Value)>,
}

/// Decode an update sent for `def` into `t`'s key form. Server keys sent in full are
/// interned and remembered in `rx` under their cache id.
pub fn decode_update(
    kind: u8,
    data: &[u8],
    def: &TableDef,
    kt: KeyType,
    rx: &mut [u32; DICT_CACHE],
) -> Result<Update, CodecError> {
    let (id, expire, mut pos) = codec::parse_update_head(kind, data)?;
    let key = match kt {
        KeyType::String(len) => {
            let n = get_int(data, &mut pos)?;
            let b = get_bytes(data, &mut pos, n)?;
            Key::from_bytes(&b[..b.len().min(len)])
        }
        KeyType::Integer => {
            let v = codec::get_u32(data, &mut pos)?;
            Key::from_bytes(&v.to_le_bytes())
        }
        KeyType::Ip | KeyType::Ipv6 | KeyType::Binary(_) => Key::from_bytes(get_bytes(data, &mut pos, key_code(kt).1)?),
    };
    let mut values = Vec::new();
    for (n, &(dt, _, std, array)) in DATA_TYPES.iter().enumerate() {
        if def.data_types & (1 << n) == 0 {
            continue;
        }
        let count = if array { def.nbelem[n] } else { 1 };
        for i in 0..count {
            let v = match std {
                StdType::Sint | StdType::Uint | StdType::Ull => Value::Int(get_int(data, &mut pos)?),
                StdType::Frqp => {
                    let age = get_int(data, &mut pos)? as u32;
                    let curr = get_int(data, &mut pos)? as u32;
                    let prev = get_int(data, &mut pos)? as u32;
                    Value::Freq { age, curr, prev }
                }
                StdType::Dict => Value::Dict(decode_dict(data, &mut pos, rx)?),
            };
            values.push((dt, i as usize, v));
        }
    }
    // Data types past the ones HAProxy 2.6 knows cannot be skipped: refuse the update.
    if def.data_types >> DATA_TYPES.len() != 0 {
        return Err(CodecError::Malformed);
    }
    Ok(Update { id, expire, key, values })
}

fn decode_dict(data: &[u8], pos: &mut usize, rx: &mut [u32; DICT_CACHE]) -> Result<Option<u32>, CodecError> {
    let len = get_int(data, pos)?;
    let body = get_bytes(data, pos, len)?;
    if body.is_empty() {
        return Ok(None);
    }
    let mut p = 0;
    let id = get_int(body, &mut p)?;
    if id == 0 || id > DICT_CACHE as u64 {
        return Err(CodecError::Malformed);
    }
    let slot = &mut rx[id as usize - 1];
    if p < body.len() {
        let n = get_int(body, &mut p)?;
        let v = get_bytes(body, &mut p, n)?;
        let s = std::str::from_utf8(v).map_err(|_| CodecError::Malformed)?;
        *slot = dict::intern(s);
    }
    Ok((*slot != 0).then_some(*slot))
}

/// Apply a decoded update to `t`: values of types it stores, except `conn_cur` (local to
/// each process, as in HAProxy). Returns false when the entry could not be made.
pub fn apply(t: &Table, u: &Update, now: Tick) -> bool {
    t.apply_remote(&u.key, now, u.expire, |mut d| {
        for &(dt, i, v) in &u.values {
            if dt == DataType::ConnCur {
                continue;
            }
            match v {
                Value::Int(x) if dt.std_type() == StdType::Ull => {
                    if i == 0 {
                        d.set_ull(dt, x);
                    }
                }
                Value::Int(x) => d.put_word(dt, i, x as u32),
                Value::Freq { age, curr, prev } => {
                    d.put_freq(dt, i, FreqCtr { curr_tick: now.wrapping_sub(age), curr, prev })
                }
                Value::Dict(Some(idx)) => d.put_word(dt, i, idx),
                Value::Dict(None) => {}
            }
        }
    })
    .is_some()
}

#[cfg(test)]
pub(crate) mod tests;

//! The peers protocol's framing (HAProxy 2.6, protocol "HAProxyS 2.1"): the variable-length
//! integer encoding, message heads, the hello and status lines, and the messages that do not
//! depend on a table's layout. Pure functions over byte slices; decoding never panics.
//!
//! A message is `<class> <type>`, followed for types >= 128 by an encoded length and that
//! many bytes of data. Classes: 0 control, 1 error, 10 stick table, 255 reserved.

use thiserror::Error;

pub const PROTO: &str = "HAProxyS";
pub const VERSION: &str = "2.1";

pub const CLASS_CONTROL: u8 = 0;
pub const CLASS_ERROR: u8 = 1;
pub const CLASS_STKT: u8 = 10;
pub const CLASS_RESERVED: u8 = 255;

pub const CTRL_RESYNC_REQ: u8 = 0;
pub const CTRL_RESYNC_FINISHED: u8 = 1;
pub const CTRL_RESYNC_PARTIAL: u8 = 2;
pub const CTRL_RESYNC_CONFIRM: u8 = 3;
pub const CTRL_HEARTBEAT: u8 = 4;

pub const ERR_PROTOCOL: u8 = 0;
pub const ERR_SIZE_LIMIT: u8 = 1;

pub const STKT_UPDATE: u8 = 0x80;
pub const STKT_INCUPDATE: u8 = 0x81;
pub const STKT_DEFINE: u8 = 0x82;
pub const STKT_SWITCH: u8 = 0x83;
pub const STKT_ACK: u8 = 0x84;
pub const STKT_UPDATE_TIMED: u8 = 0x85;
pub const STKT_INCUPDATE_TIMED: u8 = 0x86;

/// The largest message data accepted (HAProxy's limit is its buffer size).
pub const MAX_MSG_LEN: usize = 16 * 1024;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    #[error("truncated message")]
    Truncated,
    #[error("message of {0} bytes is over the size limit")]
    TooLong(u64),
    #[error("malformed message")]
    Malformed,
}

/// Append `v` in the protocol's integer encoding: below 240 one byte; else the low 4 bits
/// with the high nibble set, then 7 bits per byte with the top bit saying "more".
pub fn put_int(out: &mut Vec<u8>, v: u64) {
    if v < 240 {
        out.push(v as u8);
        return;
    }
    out.push((v as u8) | 0xf0);
    let mut rest = (v - 240) >> 4;
    while rest >= 128 {
        out.push((rest as u8) | 0x80);
        rest = (rest - 128) >> 7;
    }
    out.push(rest as u8);
}

/// Read one encoded integer at `*pos`, advancing it.
pub fn get_int(buf: &[u8], pos: &mut usize) -> Result<u64, CodecError> {
    let first = *buf.get(*pos).ok_or(CodecError::Truncated)?;
    *pos += 1;
    let mut v = u64::from(first);
    if v < 240 {
        return Ok(v);
    }
    let mut shift = 4u32;
    loop {
        let b = *buf.get(*pos).ok_or(CodecError::Truncated)?;
        *pos += 1;
        if shift > 60 {
            return Err(CodecError::Malformed);
        }
        v = v.wrapping_add(u64::from(b) << shift);
        shift += 7;
        if b < 128 {
            return Ok(v);
        }
    }
}

/// Read a 32-bit big-endian word at `*pos`.
pub fn get_u32(buf: &[u8], pos: &mut usize) -> Result<u32, CodecError> {
    let b = buf.get(*pos..*pos + 4).ok_or(CodecError::Truncated)?;
    *pos += 4;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Read `n` raw bytes at `*pos`.
pub fn get_bytes<'a>(buf: &'a [u8], pos: &mut usize, n: u64) -> Result<&'a [u8], CodecError> {
    let n = usize::try_from(n).map_err(|_| CodecError::Malformed)?;
    let end = pos.checked_add(n).ok_or(CodecError::Malformed)?;
    let b = buf.get(*pos..end).ok_or(CodecError::Truncated)?;
    *pos = end;
    Ok(b)
}

/// One message as read off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub class: u8,
    pub kind: u8,
    pub data: &'a [u8],
}

/// The next complete message in `buf` and its size, `None` when more bytes are needed.
pub fn next_frame(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, CodecError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (class, kind) = (buf[0], buf[1]);
    if kind < 128 {
        return Ok(Some((Frame { class, kind, data: &[] }, 2)));
    }
    let mut pos = 2;
    let len = match get_int(buf, &mut pos) {
        Ok(l) => l,
        Err(CodecError::Truncated) => return Ok(None),
        Err(e) => return Err(e),
    };
    if len > MAX_MSG_LEN as u64 {
        return Err(CodecError::TooLong(len));
    }
    let end = pos + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((Frame { class, kind, data: &buf[pos..end] }, end)))
}

/// Append a message without data.
pub fn put_short(out: &mut Vec<u8>, class: u8, kind: u8) {
    out.push(class);
    out.push(kind);
}

/// Append a message with data: the head, the length, the data.
pub fn put_long(out: &mut Vec<u8>, class: u8, kind: u8, data: &[u8]) {
    out.push(class);
    out.push(kind);
    put_int(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// An update acknowledgement: the table id on the side that sent the updates, and the last
/// update id received.
pub fn put_ack(out: &mut Vec<u8>, remote_table: u64, update: u32) {
    let mut d = Vec::with_capacity(9);
    put_int(&mut d, remote_table);
    d.extend_from_slice(&update.to_be_bytes());
    put_long(out, CLASS_STKT, STKT_ACK, &d);
}

/// A parsed table definition message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The sender's id for the table (used by switch and ack messages).
    pub id: u64,
    pub name: Vec<u8>,
    pub key_type: u64,
    pub key_len: u64,
    /// Bit `n` set: data type `n` is in each update, in increasing order.
    pub data_types: u64,
    pub expire: u64,
    /// Element counts of array types, by data type (0 when not given).
    pub nbelem: [u64; 64],
}

/// Append a table definition message.
#[allow(clippy::too_many_arguments)]
pub fn put_define(
    out: &mut Vec<u8>,
    id: u64,
    name: &[u8],
    key_type: u64,
    key_len: u64,
    data_types: u64,
    expire: u64,
    params: &[u8],
) {
    let mut d = Vec::with_capacity(16 + name.len() + params.len());
    put_int(&mut d, id);
    put_int(&mut d, name.len() as u64);
    d.extend_from_slice(name);
    put_int(&mut d, key_type);
    put_int(&mut d, key_len);
    put_int(&mut d, data_types);
    put_int(&mut d, expire);
    d.extend_from_slice(params);
    put_long(out, CLASS_STKT, STKT_DEFINE, &d);
}

/// Parse a table definition. `is_array(dt)` and `is_freq(dt)` describe data type `dt` (the
/// parameters after the expiry are prefixed by their data type and depend on its kind).
pub fn parse_define(
    data: &[u8],
    is_array: impl Fn(u64) -> bool,
    is_freq: impl Fn(u64) -> bool,
) -> Result<TableDef, CodecError> {
    let mut pos = 0;
    let id = get_int(data, &mut pos)?;
    let name_len = get_int(data, &mut pos)?;
    let name = get_bytes(data, &mut pos, name_len)?.to_vec();
    let key_type = get_int(data, &mut pos)?;
    let key_len = get_int(data, &mut pos)?;
    let data_types = get_int(data, &mut pos)?;
    // Older senders stop here: no expiry, no parameters.
    let expire = if pos < data.len() { get_int(data, &mut pos)? } else { 0 };
    let mut nbelem = [0u64; 64];
    while pos < data.len() {
        let dt = get_int(data, &mut pos)?;
        if dt >= 64 {
            return Err(CodecError::Malformed);
        }
        if is_array(dt) {
            nbelem[dt as usize] = get_int(data, &mut pos)?;
            if is_freq(dt) {
                get_int(data, &mut pos)?;
            }
        } else if is_freq(dt) {
            get_int(data, &mut pos)?;
        } else {
            return Err(CodecError::Malformed);
        }
    }
    Ok(TableDef { id, name, key_type, key_len, data_types, expire, nbelem })
}

/// The start of an update message's data: its update id (when not incremental) and its
/// expiry in ms (timed updates), then where the key starts.
pub fn parse_update_head(kind: u8, data: &[u8]) -> Result<(Option<u32>, Option<u32>, usize), CodecError> {
    let mut pos = 0;
    let id = match kind {
        STKT_UPDATE | STKT_UPDATE_TIMED => Some(get_u32(data, &mut pos)?),
        _ => None,
    };
    let exp = match kind {
        STKT_UPDATE_TIMED | STKT_INCUPDATE_TIMED => Some(get_u32(data, &mut pos)?),
        _ => None,
    };
    Ok((id, exp, pos))
}

/// Parse an ack: the table id (ours) and the update id.
pub fn parse_ack(data: &[u8]) -> Result<(u64, u32), CodecError> {
    let mut pos = 0;
    let t = get_int(data, &mut pos)?;
    let u = get_u32(data, &mut pos)?;
    Ok((t, u))
}

/// A status code of the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 200,
    TryAgain = 300,
    ProtocolError = 501,
    BadVersion = 502,
    LocalNameMismatch = 503,
    RemoteNameMismatch = 504,
}

/// The hello a connecting peer sends: protocol and version, the name it expects us to have,
/// its own name, its pid and relative pid.
pub fn hello(remote: &str, local: &str, pid: u32) -> String {
    format!("{PROTO} {VERSION}\n{remote}\n{local} {pid} 1\n")
}

/// The three lines of a hello, once complete: `None` while a line feed is missing.
pub fn split_hello(buf: &[u8]) -> Option<([&[u8]; 3], usize)> {
    let mut lines = [&buf[..0]; 3];
    let mut start = 0;
    for l in &mut lines {
        let nl = buf[start..].iter().position(|&b| b == b'\n')?;
        // HAProxy reads its lines with a CR before the LF removed too.
        let line = &buf[start..start + nl];
        *l = line.strip_suffix(b"\r").unwrap_or(line);
        start += nl + 1;
    }
    Some((lines, start))
}

/// What a listening peer answers to a hello, and the name of the peer that connected.
/// `is_remote(name)` says whether the section lists `name` as a remote peer.
pub fn check_hello<'a>(lines: &[&'a [u8]; 3], local: &str, is_remote: impl Fn(&str) -> bool) -> (Status, &'a str) {
    let text = |b: &'a [u8]| std::str::from_utf8(b).unwrap_or("");
    let first = text(lines[0]);
    let Some((proto, version)) = first.split_once(' ') else { return (Status::ProtocolError, "") };
    if proto != PROTO {
        return (Status::ProtocolError, "");
    }
    let Some((major, minor)) = version.split_once('.') else { return (Status::ProtocolError, "") };
    if major != "2" || !matches!(minor, "0" | "1") {
        return (Status::BadVersion, "");
    }
    if text(lines[1]) != local {
        return (Status::LocalNameMismatch, "");
    }
    // `<name> <pid> <relative pid>`: without a space, a protocol error.
    let Some((name, _)) = text(lines[2]).split_once(' ') else { return (Status::ProtocolError, "") };
    if !is_remote(name) {
        return (Status::RemoteNameMismatch, "");
    }
    (Status::Ok, name)
}

/// The status code at the start of a status line.
pub fn parse_status(line: &[u8]) -> Option<u16> {
    std::str::from_utf8(line).ok()?.trim_end_matches('\r').trim().parse().ok()
}

#[cfg(test)]
mod tests;

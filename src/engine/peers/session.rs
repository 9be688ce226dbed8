//! The I/O of peer sessions: the listener and its handshake (hello in, status out), the
//! connector to each remote peer (hello out, status in, then again after a pause whenever the
//! session ends), and the exchange once connected: our definitions and updates out, the
//! peer's applied and acknowledged, full resyncs both ways, heartbeats every 3s and the end of
//! a session silent for 5s (HAProxy's timers).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};
use tokio::time::{sleep_until, timeout, Instant};

use super::codec::{self, Status};
use super::wire::{self, Remote, DICT_CACHE};
use super::{jitter, stopping, Section, RECONNECT};
use crate::engine::stick;
use crate::engine::RunState;

const HEARTBEAT: Duration = Duration::from_millis(3000);
const SILENCE: Duration = Duration::from_millis(5000);
const HANDSHAKE: Duration = Duration::from_millis(5000);
const CONNECT: Duration = Duration::from_millis(1000);
/// A hello is three short lines.
const MAX_HELLO: usize = 1024;

/// Accept peers on the local peer's address until the process stops.
pub async fn listen(sec: Arc<Section>, l: tokio::net::TcpListener, state: watch::Receiver<RunState>) {
    let stop = stopping(state.clone());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            a = l.accept() => {
                if let Ok((s, _)) = a {
                    tokio::spawn(accepted(sec.clone(), s, state.clone()));
                }
            }
        }
    }
}

async fn accepted(sec: Arc<Section>, mut s: TcpStream, state: watch::Receiver<RunState>) {
    let _ = s.set_nodelay(true);
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 512];
        loop {
            if let Some((lines, used)) = codec::split_hello(&buf) {
                let (st, name) = codec::check_hello(&lines, &sec.local, |n| sec.peer_index(n).is_some());
                return Some((st, name.to_string(), used));
            }
            if buf.len() > MAX_HELLO {
                return Some((Status::ProtocolError, String::new(), 0));
            }
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let Ok(Some((st, name, used))) = timeout(HANDSHAKE, read).await else { return };
    if s.write_all(format!("{}\n", st as u16).as_bytes()).await.is_err() || st != Status::Ok {
        return;
    }
    let Some(p) = sec.peer_index(&name) else { return };
    buf.drain(..used);
    run(sec, p, s, buf, state).await;
}

/// Keep a session with remote peer `p`: connect whenever there is none.
pub async fn connect_loop(sec: Arc<Section>, p: usize, state: watch::Receiver<RunState>) {
    let Some(addr) = sec.peers[p].addr else { return };
    let stop = stopping(state.clone());
    tokio::pin!(stop);
    let mut first = true;
    loop {
        while sec.connected(p) {
            tokio::select! {
                _ = &mut stop => return,
                _ = sec.ended.notified() => {}
                _ = tokio::time::sleep(RECONNECT) => {}
            }
        }
        if !first {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(RECONNECT / 2 + jitter(RECONNECT.as_millis() as u64)) => {}
            }
            if sec.connected(p) {
                continue;
            }
        }
        first = false;
        let attempt = async {
            let mut s = timeout(CONNECT, TcpStream::connect(addr)).await.ok()?.ok()?;
            let _ = s.set_nodelay(true);
            let hello = codec::hello(&sec.peers[p].name, &sec.local, std::process::id());
            s.write_all(hello.as_bytes()).await.ok()?;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 512];
            let nl = loop {
                if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    break i;
                }
                if buf.len() > MAX_HELLO {
                    return None;
                }
                let n = timeout(HANDSHAKE, s.read(&mut chunk)).await.ok()?.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            };
            (codec::parse_status(&buf[..nl]) == Some(200)).then(|| (s, buf[nl + 1..].to_vec()))
        };
        let got = tokio::select! {
            _ = &mut stop => return,
            r = attempt => r,
        };
        if let Some((s, rest)) = got {
            run(sec.clone(), p, s, rest, state.clone()).await;
        }
    }
}

/// What the peer told us about its tables.
#[derive(Default)]
struct Learnt {
    remotes: HashMap<u64, Remote>,
    current: Option<u64>,
    /// Last update id received, by the peer's table id, not yet acknowledged.
    to_ack: HashMap<u64, u32>,
    last_id: HashMap<u64, u32>,
    dict: Option<Box<[u32; DICT_CACHE]>>,
}

/// What to do after a message.
enum Next {
    Go,
    /// Write these bytes, then go on.
    Say(Vec<u8>),
    /// Write these bytes (maybe none), then end the session.
    End(Vec<u8>),
}

/// Handle one message from the peer.
fn handle(sec: &Section, l: &mut Learnt, learning: &mut bool, f: codec::Frame<'_>) -> Next {
    match f.class {
        codec::CLASS_CONTROL => match f.kind {
            codec::CTRL_RESYNC_REQ => {
                let mut out = sec.teach_all();
                codec::put_short(&mut out, codec::CLASS_CONTROL, codec::CTRL_RESYNC_FINISHED);
                Next::Say(out)
            }
            codec::CTRL_RESYNC_FINISHED | codec::CTRL_RESYNC_PARTIAL => {
                *learning = false;
                let mut out = Vec::new();
                codec::put_short(&mut out, codec::CLASS_CONTROL, codec::CTRL_RESYNC_CONFIRM);
                Next::Say(out)
            }
            _ => Next::Go,
        },
        codec::CLASS_ERROR => Next::End(Vec::new()),
        codec::CLASS_STKT => match f.kind {
            codec::STKT_DEFINE => match wire::match_define(f.data, &sec.tables) {
                Ok(r) => {
                    let id = r.def.id;
                    l.remotes.insert(id, r);
                    l.current = Some(id);
                    Next::Go
                }
                Err(_) => protocol_error(),
            },
            codec::STKT_SWITCH => {
                let mut pos = 0;
                match codec::get_int(f.data, &mut pos) {
                    Ok(id) => {
                        l.current = Some(id);
                        Next::Go
                    }
                    Err(_) => protocol_error(),
                }
            }
            codec::STKT_UPDATE | codec::STKT_INCUPDATE | codec::STKT_UPDATE_TIMED | codec::STKT_INCUPDATE_TIMED => {
                let Some(cur) = l.current else { return Next::Go };
                let last = l.last_id.entry(cur).or_insert(0);
                let Some(r) = l.remotes.get(&cur) else { return Next::Go };
                let dict = l.dict.get_or_insert_with(|| Box::new([0; DICT_CACHE]));
                let Some(t) = r.local.map(|i| &sec.tables[i].table) else {
                    // Not a table of ours: count it, as the peer expects it acknowledged.
                    *last =
                        codec::parse_update_head(f.kind, f.data).ok().and_then(|h| h.0).unwrap_or(last.wrapping_add(1));
                    return Next::Go;
                };
                match wire::decode_update(f.kind, f.data, &r.def, t.key_type, dict) {
                    Ok(u) => {
                        *last = u.id.unwrap_or(last.wrapping_add(1));
                        l.to_ack.insert(cur, *last);
                        wire::apply(t, &u, stick::now_ms());
                        Next::Go
                    }
                    Err(_) => protocol_error(),
                }
            }
            _ => Next::Go,
        },
        codec::CLASS_RESERVED => protocol_error(),
        _ => Next::Go,
    }
}

fn protocol_error() -> Next {
    let mut out = Vec::new();
    codec::put_short(&mut out, codec::CLASS_ERROR, codec::ERR_PROTOCOL);
    Next::End(out)
}

/// A session with peer `p`, from the end of the handshake until either side ends it.
async fn run(sec: Arc<Section>, p: usize, s: TcpStream, rest: Vec<u8>, state: watch::Receiver<RunState>) {
    let (gen, kill, seen_before) = sec.register(p);
    let mut updates = sec.updates.subscribe();
    exchange(&sec, s, rest, kill, &mut updates, seen_before, state).await;
    sec.unregister(p, gen);
}

async fn exchange(
    sec: &Section,
    mut s: TcpStream,
    mut rbuf: Vec<u8>,
    mut kill: watch::Receiver<bool>,
    updates: &mut broadcast::Receiver<Arc<Vec<u8>>>,
    seen_before: bool,
    state: watch::Receiver<RunState>,
) {
    let stop = stopping(state);
    tokio::pin!(stop);
    let mut learning = false;
    let mut first = Vec::new();
    if sec.resync_pending.swap(false, std::sync::atomic::Ordering::Relaxed) {
        learning = true;
        codec::put_short(&mut first, codec::CLASS_CONTROL, codec::CTRL_RESYNC_REQ);
    }
    if seen_before {
        // The peer may have missed updates while we were apart: teach it everything.
        first.extend_from_slice(&sec.teach_all());
    }
    let mut last_write = Instant::now();
    let mut last_read = Instant::now();
    if !first.is_empty() && s.write_all(&first).await.is_err() {
        return end(sec, learning);
    }
    let mut l = Learnt::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let wake = (last_write + HEARTBEAT).min(last_read + SILENCE);
        let mut out = Vec::new();
        let mut close = false;
        tokio::select! {
            _ = &mut stop => return end(sec, learning),
            _ = kill.changed() => return end(sec, learning),
            _ = sleep_until(wake) => {
                if last_read.elapsed() >= SILENCE {
                    return end(sec, learning);
                }
                codec::put_short(&mut out, codec::CLASS_CONTROL, codec::CTRL_HEARTBEAT);
            }
            m = updates.recv() => match m {
                Ok(b) => out.extend_from_slice(&b),
                // Too far behind: send everything instead of what was missed.
                Err(broadcast::error::RecvError::Lagged(_)) => out = sec.teach_all(),
                Err(broadcast::error::RecvError::Closed) => return end(sec, learning),
            },
            r = s.read(&mut chunk) => match r {
                Ok(0) | Err(_) => return end(sec, learning),
                Ok(n) => {
                    last_read = Instant::now();
                    rbuf.extend_from_slice(&chunk[..n]);
                    let mut used = 0;
                    loop {
                        match codec::next_frame(&rbuf[used..]) {
                            Ok(Some((f, n))) => {
                                used += n;
                                match handle(sec, &mut l, &mut learning, f) {
                                    Next::Go => {}
                                    Next::Say(b) => out.extend_from_slice(&b),
                                    Next::End(b) => {
                                        out.extend_from_slice(&b);
                                        close = true;
                                        break;
                                    }
                                }
                            }
                            Ok(None) => break,
                            Err(codec::CodecError::TooLong(_)) => {
                                codec::put_short(&mut out, codec::CLASS_ERROR, codec::ERR_SIZE_LIMIT);
                                close = true;
                                break;
                            }
                            Err(_) => {
                                if let Next::End(b) = protocol_error() {
                                    out.extend_from_slice(&b);
                                }
                                close = true;
                                break;
                            }
                        }
                    }
                    rbuf.drain(..used);
                    for (t, id) in l.to_ack.drain() {
                        codec::put_ack(&mut out, t, id);
                    }
                }
            },
        }
        if !out.is_empty() {
            if s.write_all(&out).await.is_err() {
                return end(sec, learning);
            }
            last_write = Instant::now();
        }
        if close {
            return end(sec, learning);
        }
    }
}

#[cfg(test)]
mod tests;

/// A session that ended while we were learning from it leaves the resync to the next one.
fn end(sec: &Section, learning: bool) {
    if learning {
        sec.resync_pending.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

//! Idle server connections: one pool per server, and HAProxy's `http-reuse` rules for who may
//! take a connection from it.
//!
//! A connection opened for a client session stays with that session while the client keeps its
//! connection (`never`, `safe`, `aggressive`), or goes back to the shared pool after every
//! response (`always`). When the session ends, its connections go to the pool (all modes but
//! `never`, which closes them). A session's first request takes a pooled connection only with
//! `always`, or with `aggressive` when that connection already served more than one request;
//! later requests may take any. Idle connections stay until the server closes them (HAProxy keeps
//! them well beyond `timeout server`): a closed one is noticed, and dropped, when taken.

use std::net::SocketAddr;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::net::TcpStream;

use crate::ir::types::HttpReuse;

/// More idle connections than this per server are closed instead of kept.
const MAX_IDLE: usize = 1024;
/// HAProxy's default `pool-purge-delay`.
const PURGE_DELAY: std::time::Duration = std::time::Duration::from_secs(5);

/// An established server connection between two requests.
pub struct Idle {
    pub stream: TcpStream,
    pub addr: SocketAddr,
    /// It has served more than one request.
    pub reused: bool,
    pub since: Instant,
}

/// The idle connections of one server. The lock is held for a push or a pop only.
#[derive(Default)]
pub struct IdlePool {
    conns: Mutex<Vec<Idle>>,
}

impl IdlePool {
    /// Keep an idle connection. Like HAProxy, which every `pool-purge-delay` (5 s) closes idle
    /// connections beyond what the server recently needed, connections idle for longer than that
    /// go once the pool holds more than `need` (the most requests the server had at once).
    pub fn put(&self, c: Idle, need: usize) {
        let cap = need.clamp(1, MAX_IDLE);
        let mut dropped = Vec::new();
        {
            let mut v = self.conns.lock();
            // Connections the server closed while idle go when the pool grows past a few.
            if v.len() >= 8 {
                let mut i = 0;
                while i < v.len().min(4) {
                    if alive(&v[i].stream) {
                        i += 1;
                    } else {
                        dropped.push(v.remove(i));
                    }
                }
            }
            v.push(c);
            while v.len() > MAX_IDLE || (v.len() > cap && v[0].since.elapsed() > PURGE_DELAY) {
                dropped.push(v.remove(0));
            }
        }
        for old in dropped {
            close_server(old.stream);
        }
    }

    /// Take the most recently used connection this request may use and that is still open.
    pub fn take(&self, mode: HttpReuse, first_request: bool) -> Option<Idle> {
        if mode == HttpReuse::Never || (first_request && mode == HttpReuse::Safe) {
            return None;
        }
        let need_reused = first_request && mode == HttpReuse::Aggressive;
        loop {
            let c = {
                let mut v = self.conns.lock();
                let i = v.iter().rposition(|c| c.reused || !need_reused)?;
                v.remove(i)
            };
            if alive(&c.stream) {
                return Some(c);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.conns.lock().len()
    }

    /// Close every idle connection (HAProxy's `srv_cleanup_connections`: a server put in
    /// maintenance or given a new address keeps none).
    pub fn purge(&self) {
        let all = std::mem::take(&mut *self.conns.lock());
        for c in all {
            close_server(c.stream);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Is an idle connection still usable: open, and the server sent nothing unasked?
pub fn alive(s: &TcpStream) -> bool {
    let mut b = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    match socket2::SockRef::from(s).peek(&mut b) {
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        Ok(_) => false,
    }
}

/// Close a server connection HAProxy does not keep: with a FIN when the server already closed
/// its side, with an RST when the proxy is the one ending a live connection.
pub fn close_server(s: TcpStream) {
    let mut b = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    if matches!(socket2::SockRef::from(&s).peek(&mut b), Ok(0)) {
        drop(s);
    } else {
        close_rst(s);
    }
}

/// Close a server connection with an RST.
pub fn close_rst(s: TcpStream) {
    let _ = socket2::SockRef::from(&s).set_linger(Some(std::time::Duration::ZERO));
    drop(s);
}

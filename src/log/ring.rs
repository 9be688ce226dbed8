//! Log rings (`ring` sections, and the implicit ring HAProxy creates for each `log tcp@...`
//! line): a bounded in-memory buffer of log messages, which `show events` dumps and which
//! forwarders ship to each of the ring's TCP servers, one message per line (`log-proto
//! legacy`) or length-prefixed (`log-proto octet-count`).
//!
//! A forwarder connects at start and retries every second while its server is unreachable; once
//! connected it sends everything still in the ring, then each new message as it arrives. A
//! message still unsent by a connected forwarder is never overwritten: a full ring then drops
//! the new message instead and counts it, as HAProxy's rings do.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use super::target::SyslogFormat;
use crate::config::ast::Span;
use crate::ir::types::{AuxDetail, Config, LogTarget};

/// HAProxy's pause between two connection attempts of a ring forwarder.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Per-message bookkeeping HAProxy stores next to each message in the ring's buffer: a length
/// (varint, 1-3 bytes for the sizes a ring holds) and a reader count byte.
fn overhead(len: usize) -> usize {
    1 + match len {
        0..=239 => 1,
        240..=2287 => 2,
        _ => 3,
    }
}

/// One TCP server a ring forwards to.
#[derive(Debug, Clone)]
pub struct RingServer {
    pub name: String,
    pub addr: SocketAddr,
    /// `log-proto octet-count`: `<len> <msg>` instead of `<msg>\n`.
    pub octet_count: bool,
}

/// What a ring is made of, from the configuration.
#[derive(Debug, Clone)]
pub struct RingSettings {
    pub name: String,
    pub description: String,
    pub format: SyslogFormat,
    pub maxlen: usize,
    pub size: usize,
    pub timeout_connect: Option<Duration>,
    pub servers: Vec<RingServer>,
}

#[derive(Default)]
struct Buffer {
    /// (sequence number, message) oldest first.
    msgs: VecDeque<(u64, Bytes)>,
    used: usize,
    next_seq: u64,
    /// The next message each attached reader will read (a slot per forwarder, None when
    /// detached).
    readers: Vec<Option<u64>>,
}

impl Buffer {
    fn oldest_seq(&self) -> u64 {
        self.msgs.front().map_or(self.next_seq, |m| m.0)
    }
}

/// A ring of log messages.
pub struct Ring {
    pub settings: RingSettings,
    buf: Mutex<Buffer>,
    pub dropped: AtomicU64,
    wake: Notify,
}

impl Ring {
    pub fn new(settings: RingSettings) -> Ring {
        let readers = vec![None; settings.servers.len()];
        Ring {
            settings,
            buf: Mutex::new(Buffer { readers, ..Default::default() }),
            dropped: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    /// Add a message (cut at the ring's `maxlen`). Returns false when it was dropped: no room,
    /// and the oldest message is still awaited by a connected forwarder.
    pub fn write(&self, msg: &[u8]) -> bool {
        let msg = &msg[..msg.len().min(self.settings.maxlen)];
        let cost = msg.len() + overhead(msg.len());
        let mut b = self.buf.lock();
        if cost > self.settings.size {
            drop(b);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        while b.used + cost > self.settings.size {
            let oldest = b.oldest_seq();
            if b.readers.iter().flatten().any(|&r| r <= oldest) {
                drop(b);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            if let Some((_, m)) = b.msgs.pop_front() {
                b.used -= m.len() + overhead(m.len());
            }
        }
        let seq = b.next_seq;
        b.next_seq += 1;
        b.used += cost;
        b.msgs.push_back((seq, Bytes::copy_from_slice(msg)));
        drop(b);
        self.wake.notify_waiters();
        true
    }

    /// Every message still in the ring, oldest first (`show events <ring>`).
    pub fn snapshot(&self) -> Vec<Bytes> {
        self.buf.lock().msgs.iter().map(|m| m.1.clone()).collect()
    }

    /// Forwarder `slot` starts reading at the oldest message still in the ring.
    fn attach(&self, slot: usize) {
        let mut b = self.buf.lock();
        let oldest = b.oldest_seq();
        b.readers[slot] = Some(oldest);
    }

    fn detach(&self, slot: usize) {
        self.buf.lock().readers[slot] = None;
    }

    /// The messages forwarder `slot` has not read yet; marks them read.
    fn take_new(&self, slot: usize) -> Vec<Bytes> {
        let mut b = self.buf.lock();
        let from = b.readers[slot].unwrap_or(b.next_seq).max(b.oldest_seq());
        let out: Vec<Bytes> = b.msgs.iter().filter(|m| m.0 >= from).map(|m| m.1.clone()).collect();
        b.readers[slot] = Some(b.next_seq);
        out
    }

    /// Start one forwarder per server on the current tokio runtime.
    pub fn spawn_forwarders(self: &Arc<Ring>) {
        for slot in 0..self.settings.servers.len() {
            let ring = self.clone();
            tokio::spawn(async move { ring.forward(slot).await });
        }
    }

    async fn forward(self: Arc<Ring>, slot: usize) {
        let server = self.settings.servers[slot].clone();
        loop {
            let connect = tokio::net::TcpStream::connect(server.addr);
            let stream = match self.settings.timeout_connect {
                Some(t) => tokio::time::timeout(t, connect).await.ok().and_then(Result::ok),
                None => connect.await.ok(),
            };
            if let Some(stream) = stream {
                let _ = stream.set_nodelay(true);
                self.attach(slot);
                self.serve(slot, &server, stream).await;
                self.detach(slot);
            }
            tokio::time::sleep(RETRY_DELAY).await;
        }
    }

    /// Send messages until the connection fails or the server closes it.
    async fn serve(&self, slot: usize, server: &RingServer, stream: tokio::net::TcpStream) {
        let (mut rd, mut wr) = stream.into_split();
        let mut scratch = [0u8; 512];
        let mut out = Vec::new();
        loop {
            // Registered before looking, so a message written in between still wakes us.
            let woken = self.wake.notified();
            let msgs = self.take_new(slot);
            if msgs.is_empty() {
                tokio::select! {
                    _ = woken => continue,
                    r = rd.read(&mut scratch) => match r {
                        // Whatever a log server says is ignored; a close ends the session.
                        Ok(n) if n > 0 => continue,
                        _ => return,
                    },
                }
            }
            out.clear();
            for m in &msgs {
                frame_for_server(&mut out, m, server.octet_count);
            }
            if wr.write_all(&out).await.is_err() {
                return;
            }
        }
    }
}

/// A message as a ring server receives it.
pub fn frame_for_server(out: &mut Vec<u8>, msg: &[u8], octet_count: bool) {
    if octet_count {
        out.extend_from_slice(format!("{} ", msg.len()).as_bytes());
        out.extend_from_slice(msg);
    } else {
        out.extend_from_slice(msg);
        out.push(b'\n');
    }
}

/// Every ring of the process, in the order HAProxy lists its event sinks.
#[derive(Default)]
pub struct Rings {
    pub list: Vec<Arc<Ring>>,
    /// The implicit ring of each `log tcp@...` line, by the line.
    implicit: Vec<(Span, Arc<Ring>)>,
}

/// The addresses HAProxy sends logs to over TCP, through an implicit ring.
pub fn is_tcp_target(addr: &str) -> bool {
    ["tcp@", "tcp4@", "tcp6@"].iter().any(|p| addr.starts_with(p))
}

fn tcp_addr(addr: &str) -> Option<SocketAddr> {
    let a = addr.split_once('@')?.1;
    std::net::ToSocketAddrs::to_socket_addrs(a).ok()?.next()
}

impl Rings {
    /// The rings of a configuration: its `ring` sections and one implicit ring per `log tcp@`
    /// line, in declaration order; the alerts HAProxy prints at start for `ring@` names that
    /// no section declares.
    pub fn from_config(cfg: &Config) -> Result<Rings, Vec<String>> {
        let mut list: Vec<Arc<Ring>> = Vec::new();
        for r in &cfg.rings {
            let AuxDetail::Ring(spec) = &r.detail else { continue };
            let servers = spec
                .server_list
                .iter()
                .filter_map(|(name, addr, octet_count)| {
                    let addr = SocketAddr::new(addr.ip()?, addr.fixed_port()?);
                    Some(RingServer { name: name.clone(), addr, octet_count: *octet_count })
                })
                .collect();
            let settings = RingSettings {
                name: r.name.clone(),
                description: spec.description.clone().unwrap_or_else(|| r.name.clone()),
                format: SyslogFormat::from_name(spec.format.as_deref()).unwrap_or(SyslogFormat::Raw),
                // An event never exceeds the ring (HAProxy warns and forces it).
                maxlen: spec.maxlen.min(spec.size) as usize,
                size: spec.size as usize,
                timeout_connect: spec.timeout_connect.map(|ms| Duration::from_millis(u64::from(ms))),
                servers,
            };
            list.push(Arc::new(Ring::new(settings)));
        }
        let all_lines = cfg.global.log.iter().chain(cfg.proxies.iter().flat_map(|p| p.log.targets.iter()));
        let mut implicit = Vec::new();
        for t in all_lines {
            let LogTarget::Target { span, addr, len, format, .. } = t else { continue };
            if !is_tcp_target(addr) || implicit.iter().any(|(s, _): &(Span, RingSettings)| s == span) {
                continue;
            }
            let Some(server_addr) = tcp_addr(addr) else { continue };
            let settings = RingSettings {
                name: String::new(),
                description: format!("created from logserver declared into '{}' at line {}", span.file, span.line),
                format: SyslogFormat::from_name(format.as_deref()).unwrap_or(SyslogFormat::Rfc3164),
                maxlen: len.map_or(1024, |l| l as usize),
                size: 16384,
                timeout_connect: None,
                servers: vec![RingServer { name: addr.clone(), addr: server_addr, octet_count: false }],
            };
            implicit.push((span.clone(), settings));
        }
        // Sinks are listed in the order HAProxy creates them: the ring sections as they are
        // parsed, then the implicit rings after parsing (global lines first, then each proxy's),
        // numbered in that order.
        let mut implicit_named = Vec::new();
        for (n, (span, mut settings)) in implicit.into_iter().enumerate() {
            settings.name = format!("ring#{}", n + 1);
            let ring = Arc::new(Ring::new(settings));
            list.push(ring.clone());
            implicit_named.push((span, ring));
        }
        let rings = Rings { list, implicit: implicit_named };
        let alerts = rings.unknown_ring_alerts(cfg);
        if alerts.is_empty() {
            Ok(rings)
        } else {
            Err(alerts)
        }
    }

    /// HAProxy's start-up alerts for `log ring@<name>` lines naming no ring: the global line,
    /// each proxy holding it (through `log global`, at that line) or its own, then the
    /// internal HTTP client's proxy, which copies the global lines.
    fn unknown_ring_alerts(&self, cfg: &Config) -> Vec<String> {
        let unknown = |addr: &str| addr.strip_prefix("ring@").filter(|name| self.get(name).is_none()).map(String::from);
        let mut out = Vec::new();
        let mut global_unknown = Vec::new();
        for t in &cfg.global.log {
            if let LogTarget::Target { span, addr, .. } = t {
                if let Some(name) = unknown(addr) {
                    out.push(format!(
                        "global log server declared in file '{}' at line {} uses unknown ring named '{name}'.",
                        span.file, span.line
                    ));
                    global_unknown.push(name);
                }
            }
        }
        let in_proxy = |px: &str, span: &Span, name: &str| {
            format!(
                "log server declared in proxy section '{px}' in file '{}' at line {} uses unknown ring named '{name}'.",
                span.file, span.line
            )
        };
        for p in &cfg.proxies {
            for t in &p.log.targets {
                match t {
                    LogTarget::Global(span) => {
                        out.extend(global_unknown.iter().map(|name| in_proxy(&p.name, span, name)));
                    }
                    LogTarget::Target { span, addr, .. } => {
                        if let Some(name) = unknown(addr) {
                            out.push(in_proxy(&p.name, span, &name));
                        }
                    }
                }
            }
        }
        for t in &cfg.global.log {
            if let LogTarget::Target { span, addr, .. } = t {
                if let Some(name) = unknown(addr) {
                    out.push(in_proxy("<HTTPCLIENT>", span, &name));
                }
            }
        }
        out
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Ring>> {
        self.list.iter().find(|r| r.settings.name == name)
    }

    /// The implicit ring of a `log tcp@...` line.
    pub fn for_line(&self, span: &Span) -> Option<&Arc<Ring>> {
        self.implicit.iter().find(|(s, _)| s == span).map(|(_, r)| r)
    }

    pub fn spawn_forwarders(&self) {
        for r in &self.list {
            r.spawn_forwarders();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(size: usize, maxlen: usize, servers: usize) -> Ring {
        let server = RingServer { name: "s".into(), addr: "127.0.0.1:1".parse().unwrap(), octet_count: false };
        Ring::new(RingSettings {
            name: "r".into(),
            description: "r".into(),
            format: SyslogFormat::Raw,
            maxlen,
            size,
            timeout_connect: None,
            servers: vec![server; servers],
        })
    }

    #[test]
    fn oldest_messages_make_room_without_readers() {
        let r = ring(30, 100, 0);
        for m in ["aaaaaaaa", "bbbbbbbb", "cccccccc"] {
            assert!(r.write(m.as_bytes()));
        }
        // 10 bytes each: the third evicts nothing yet; a fourth evicts the first.
        assert!(r.write(b"dddddddd"));
        let s: Vec<_> = r.snapshot().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
        assert_eq!(s, ["bbbbbbbb", "cccccccc", "dddddddd"]);
        assert_eq!(r.dropped.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_unread_message_is_kept_and_the_new_one_dropped() {
        let r = ring(30, 100, 1);
        r.attach(0);
        for m in ["aaaaaaaa", "bbbbbbbb", "cccccccc"] {
            assert!(r.write(m.as_bytes()));
        }
        assert!(!r.write(b"dddddddd"));
        assert_eq!(r.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(r.take_new(0).len(), 3);
        // Read: the room can be taken back.
        assert!(r.write(b"eeeeeeee"));
        assert_eq!(r.take_new(0), vec![Bytes::from_static(b"eeeeeeee")]);
        r.detach(0);
        assert!(r.write(b"ffffffff"));
    }

    #[test]
    fn messages_are_cut_at_maxlen() {
        let r = ring(1000, 5, 0);
        r.write(b"0123456789");
        assert_eq!(r.snapshot(), vec![Bytes::from_static(b"01234")]);
    }

    #[test]
    fn server_framing() {
        let mut out = Vec::new();
        frame_for_server(&mut out, b"<134>hello", false);
        frame_for_server(&mut out, b"<134>hello", true);
        assert_eq!(out, b"<134>hello\n10 <134>hello");
    }

    #[test]
    fn overhead_follows_the_varint_steps() {
        assert_eq!(overhead(239), 2);
        assert_eq!(overhead(240), 3);
        assert_eq!(overhead(5000), 4);
    }
}

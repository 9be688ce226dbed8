//! The listeners of `log-forward` sections: datagram sockets (`dgram-bind`, one message per
//! datagram) and stream listeners (`bind`, messages one per line or octet-counted as
//! `<len> <msg>`), each message handed to [`super::forward`] and sent to the section's targets.
//! Sockets are bound before the runtime starts; one that cannot be bound is left out with a
//! warning (HAProxy starts without it, silently).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::forward;
use super::target::{Logger, Target};
use crate::ir::types::{AuxDetail, Config, LogTarget};

/// Longest message read from a stream before it is cut (HAProxy's buffer size).
const MAX_MESSAGE: usize = 16384;

/// One `log-forward` section, ready to relay.
pub struct Relay {
    pub name: String,
    targets: Vec<Target>,
    maxconn: Option<usize>,
    timeout_client: Option<Duration>,
}

/// A section's relay with its bound sockets.
pub struct Bound {
    relay: Arc<Relay>,
    udp: Vec<std::net::UdpSocket>,
    tcp: Vec<std::net::TcpListener>,
}

impl Relay {
    /// Relay one message (its line feed, if any, removed here).
    pub fn handle(&self, log: &Logger, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        let msg = forward::parse(&text);
        let level = forward::level(&msg);
        for t in &self.targets {
            if level > t.max_level {
                continue;
            }
            let mut frame =
                if t.format_given { forward::render(&msg, t.format, t.facility).into_bytes() } else { raw.to_vec() };
            frame.truncate(t.maxlen.max(1));
            frame.push(b'\n');
            log.send(t, &frame);
        }
    }
}

/// Bind every `log-forward` section's listeners; also returns a warning for each address that
/// could not be bound.
pub fn bind_all(cfg: &Config, log: &Logger) -> (Vec<Bound>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for section in &cfg.log_forwards {
        let AuxDetail::LogForward(spec) = &section.detail else { continue };
        let mut targets = Vec::new();
        for t in &spec.targets {
            match t {
                LogTarget::Global(_) => targets.extend(log.global.iter().cloned()),
                t => targets.extend(Target::from_ir(t, &log.rings)),
            }
        }
        let relay = Arc::new(Relay {
            name: section.name.clone(),
            targets,
            maxconn: spec.maxconn.map(|m| m as usize).filter(|m| *m > 0),
            timeout_client: spec.timeout_client.map(|ms| Duration::from_millis(u64::from(ms))),
        });
        let mut bound = Bound { relay, udp: Vec::new(), tcp: Vec::new() };
        // HAProxy starts without a listener it could not bind, silently; we say so.
        let mut warn = |a: &SocketAddr, e: std::io::Error| {
            warnings.push(format!(
                "log-forward '{}': cannot bind socket ({e}) for [{a}], not listening there.",
                section.name
            ));
        };
        for a in spec.dgram_addrs.iter().flat_map(|a| a.socket_addrs()) {
            match std::net::UdpSocket::bind(a).and_then(|s| s.set_nonblocking(true).map(|()| s)) {
                Ok(s) => bound.udp.push(s),
                Err(e) => warn(&a, e),
            }
        }
        for a in spec.stream_addrs.iter().flat_map(|a| a.socket_addrs()) {
            match listen(a, spec.backlog) {
                Ok(l) => bound.tcp.push(l),
                Err(e) => warn(&a, e),
            }
        }
        out.push(bound);
    }
    (out, warnings)
}

fn listen(a: SocketAddr, backlog: Option<u32>) -> std::io::Result<std::net::TcpListener> {
    let sock = socket2::Socket::new(socket2::Domain::for_address(a), socket2::Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    sock.bind(&a.into())?;
    sock.listen(backlog.map_or(1024, |b| b.min(i32::MAX as u32) as i32))?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

/// Start serving every bound section on the current tokio runtime.
pub fn spawn(bound: Vec<Bound>, log: Arc<Logger>) {
    for b in bound {
        for s in b.udp {
            let (relay, log) = (b.relay.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(sock) = tokio::net::UdpSocket::from_std(s) else { return };
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = sock.recv(&mut buf).await {
                    relay.handle(&log, &buf[..n]);
                }
            });
        }
        for l in b.tcp {
            let (relay, log) = (b.relay.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(l) else { return };
                let slots = relay.maxconn.map(|m| Arc::new(tokio::sync::Semaphore::new(m)));
                loop {
                    // Past `maxconn`, connections wait in the backlog as in HAProxy.
                    let permit = match &slots {
                        Some(s) => match s.clone().acquire_owned().await {
                            Ok(p) => Some(p),
                            Err(_) => return,
                        },
                        None => None,
                    };
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let (relay, log) = (relay.clone(), log.clone());
                    tokio::spawn(async move {
                        serve_stream(&relay, &log, stream).await;
                        drop(permit);
                    });
                }
            });
        }
    }
}

/// Read messages from one connection until it closes, errs or idles past `timeout client`.
async fn serve_stream(relay: &Relay, log: &Logger, mut stream: tokio::net::TcpStream) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        let read = stream.read(&mut chunk);
        let n = match relay.timeout_client {
            Some(t) => match tokio::time::timeout(t, read).await {
                Ok(r) => r,
                Err(_) => return,
            },
            None => read.await,
        };
        let n = match n {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let used = split_messages(&buf, |m| relay.handle(log, m));
        buf.drain(..used);
        if buf.len() > MAX_MESSAGE {
            // A message that never ends: relay what fits and go on from there.
            relay.handle(log, &buf[..MAX_MESSAGE]);
            buf.clear();
        }
    }
}

/// Hand each complete message of `buf` to `each`: octet-counted (`<len> <msg>`) when it starts
/// with digits and a space, else up to the next line feed. Returns the bytes consumed.
pub fn split_messages(buf: &[u8], mut each: impl FnMut(&[u8])) -> usize {
    let mut at = 0;
    while at < buf.len() {
        let rest = &buf[at..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&b' ') {
            let len: usize = std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0);
            let start = digits + 1;
            if rest.len() < start + len {
                return at;
            }
            each(&rest[start..start + len]);
            at += start + len;
            continue;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                if end > 0 {
                    each(&rest[..end]);
                }
                at += end + 1;
            }
            None => return at,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (Vec<String>, usize) {
        let mut got = Vec::new();
        let used = split_messages(s.as_bytes(), |m| got.push(String::from_utf8_lossy(m).into_owned()));
        (got, used)
    }

    #[test]
    fn lines_and_octet_counts() {
        assert_eq!(split("<1>a\n5 <2>bc<3>d\n"), (vec!["<1>a".into(), "<2>bc".into(), "<3>d".into()], 17));
        // Incomplete messages wait for more bytes.
        assert_eq!(split("<1>a\n9 <2>"), (vec!["<1>a".into()], 5));
        assert_eq!(split("<1>partial"), (vec![], 0));
    }
}

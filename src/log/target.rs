//! Log targets and the syslog framing HAProxy uses. Datagrams are sent with non-blocking
//! sockets straight from the caller: one syscall per line, nothing buffered, and a line that
//! cannot be sent at once is counted as dropped (HAProxy's DroppedLogs) rather than waited for.

use std::io::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Local;

use std::sync::Arc;

use super::ring::{Ring, Rings};
use crate::ir::keywords::global::{FACILITIES, LEVELS};
use crate::ir::types::LogTarget;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFormat {
    Rfc3164,
    Rfc5424,
    Short,
    Raw,
    Timed,
    Iso,
    Priority,
    Local,
}

impl SyslogFormat {
    /// A `format` argument; None for a name HAProxy does not know.
    pub fn from_name(name: Option<&str>) -> Option<SyslogFormat> {
        Some(match name? {
            "rfc3164" => SyslogFormat::Rfc3164,
            "rfc5424" => SyslogFormat::Rfc5424,
            "short" => SyslogFormat::Short,
            "raw" => SyslogFormat::Raw,
            "timed" => SyslogFormat::Timed,
            "iso" => SyslogFormat::Iso,
            "priority" => SyslogFormat::Priority,
            "local" => SyslogFormat::Local,
            _ => return None,
        })
    }
}

#[derive(Clone)]
pub enum Sink {
    Udp(SocketAddr),
    Unix(String),
    Stdout,
    Stderr,
    /// A ring (`log ring@<name>`, or the implicit ring of `log tcp@<addr>`).
    Ring(Arc<Ring>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sink::Udp(a) => write!(f, "Udp({a})"),
            Sink::Unix(p) => write!(f, "Unix({p})"),
            Sink::Stdout => f.write_str("Stdout"),
            Sink::Stderr => f.write_str("Stderr"),
            Sink::Ring(r) => write!(f, "Ring({})", r.settings.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub sink: Sink,
    pub facility: u8,
    /// Lines above this severity number (less severe) are not sent.
    pub max_level: u8,
    /// Lines are raised to at least this severity.
    pub min_level: u8,
    pub format: SyslogFormat,
    /// Whether the line named a `format` (a `log-forward` target without one relays messages
    /// unchanged).
    pub format_given: bool,
    pub maxlen: usize,
    /// The proxy's `log-tag`, replacing the process's tag in the header.
    pub tag: Option<std::sync::Arc<str>>,
}

impl Target {
    /// Build from a `log` line; `None` for targets we cannot send to (reported at config time,
    /// or at start for unknown rings).
    pub fn from_ir(t: &LogTarget, rings: &Rings) -> Option<Target> {
        let LogTarget::Target { span, addr, len, format, facility, level, minlevel, .. } = t else { return None };
        let sink = match addr.as_str() {
            "stdout" => Sink::Stdout,
            "stderr" => Sink::Stderr,
            a if a.starts_with("ring@") => Sink::Ring(rings.get(&a["ring@".len()..])?.clone()),
            a if super::ring::is_tcp_target(a) => Sink::Ring(rings.for_line(span)?.clone()),
            a if a.starts_with('/') || a.starts_with("unix@") => Sink::Unix(a.trim_start_matches("unix@").to_string()),
            a => {
                let a = a.trim_start_matches("udp@").trim_start_matches("udp4@").trim_start_matches("ipv4@");
                let with_port = if a.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
                    a.to_string()
                } else {
                    format!("{a}:514")
                };
                let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port).ok()?.next()?;
                Sink::Udp(addr)
            }
        };
        let lvl = |l: &Option<String>, default: u8| {
            l.as_deref().and_then(|l| LEVELS.iter().position(|x| *x == l)).map(|p| p as u8).unwrap_or(default)
        };
        let format_name = format.as_deref();
        let mut format = SyslogFormat::from_name(format_name).unwrap_or(SyslogFormat::Rfc3164);
        let mut maxlen = len.map(|l| l as usize).unwrap_or(1024);
        // A ring frames its messages in its own format and cuts them at its own length.
        if let Sink::Ring(r) = &sink {
            format = r.settings.format;
            maxlen = r.settings.maxlen;
        }
        Some(Target {
            sink,
            facility: FACILITIES.iter().position(|f| f == facility).unwrap_or(16) as u8,
            max_level: lvl(level, 7),
            min_level: lvl(minlevel, 0),
            format,
            format_given: format_name.is_some(),
            maxlen,
            tag: None,
        })
    }
}

/// Sends log lines to targets. Cheap to share; sockets are created once.
pub struct Logger {
    udp4: Option<UdpSocket>,
    udp6: Option<UdpSocket>,
    unix: Option<UnixDatagram>,
    pub tag: String,
    pub hostname: Option<String>,
    pub pid: u32,
    pub dropped: AtomicU64,
    /// Lines stdout and stderr could not take (`show events` counts them per sink).
    pub dropped_stdout: AtomicU64,
    pub dropped_stderr: AtomicU64,
    pub global: Vec<Target>,
    pub rings: Rings,
}

impl Logger {
    pub fn new(tag: Option<&str>, hostname: Option<&str>, global: Vec<Target>) -> Logger {
        let nb = |s: UdpSocket| {
            let _ = s.set_nonblocking(true);
            s
        };
        Logger {
            udp4: UdpSocket::bind("0.0.0.0:0").ok().map(nb),
            udp6: UdpSocket::bind("[::]:0").ok().map(nb),
            unix: UnixDatagram::unbound().ok().inspect(|s| {
                let _ = s.set_nonblocking(true);
            }),
            tag: tag.unwrap_or("haproxy").to_string(),
            hostname: hostname.map(String::from),
            pid: std::process::id(),
            dropped: AtomicU64::new(0),
            dropped_stdout: AtomicU64::new(0),
            dropped_stderr: AtomicU64::new(0),
            global,
            rings: Rings::default(),
        }
    }

    /// The rings the targets may send to (their forwarders start with the engine).
    pub fn with_rings(mut self, rings: Rings) -> Logger {
        self.rings = rings;
        self
    }

    /// The syslog frame for one line.
    pub fn frame(&self, t: &Target, level: u8, msg: &str) -> Vec<u8> {
        let level = level.max(t.min_level);
        let pri = u32::from(t.facility) * 8 + u32::from(level);
        let mut out = match t.format {
            SyslogFormat::Raw => String::new(),
            SyslogFormat::Priority => format!("<{pri}>"),
            SyslogFormat::Short => format!("<{level}>"),
            SyslogFormat::Timed => format!("<{level}>{} ", Local::now().format("%b %e %H:%M:%S")),
            SyslogFormat::Iso => format!("{} ", Local::now().format("%Y-%m-%dT%H:%M:%S%.6f%:z")),
            SyslogFormat::Rfc5424 => format!(
                "<{pri}>1 {} {} {} {} - - ",
                Local::now().format("%Y-%m-%dT%H:%M:%S%.6f%:z"),
                self.hostname.as_deref().unwrap_or("-"),
                t.tag.as_deref().unwrap_or(&self.tag),
                self.pid
            ),
            SyslogFormat::Rfc3164 | SyslogFormat::Local => {
                let host = match (&self.hostname, t.format) {
                    (Some(h), SyslogFormat::Rfc3164) => format!("{h} "),
                    _ => String::new(),
                };
                let tag = t.tag.as_deref().unwrap_or(&self.tag);
                format!("<{pri}>{} {host}{tag}[{}]: ", Local::now().format("%b %e %H:%M:%S"), self.pid)
            }
        };
        out.push_str(msg);
        let mut bytes = out.into_bytes();
        // The line is cut at `len` bytes; the newline comes on top (HAProxy sends 1025 bytes
        // for the default 1024).
        bytes.truncate(t.maxlen.max(1));
        bytes.push(b'\n');
        bytes
    }

    /// Send a line at `level` (0 = emerg .. 7 = debug) to every target that wants it.
    pub fn emit(&self, targets: &[Target], level: u8, msg: &str) {
        for t in targets {
            if level > t.max_level {
                continue;
            }
            let frame = self.frame(t, level, msg);
            self.send(t, &frame);
        }
    }

    /// Send one framed line (ending with its line feed) to a target; counts it as dropped when
    /// the target cannot take it at once.
    pub fn send(&self, t: &Target, frame: &[u8]) {
        let ok = match &t.sink {
            Sink::Udp(a) => {
                let sock = if a.is_ipv4() { &self.udp4 } else { &self.udp6 };
                sock.as_ref().is_some_and(|s| s.send_to(frame, a).is_ok())
            }
            Sink::Unix(p) => self.unix.as_ref().is_some_and(|s| s.send_to(frame, p).is_ok()),
            Sink::Stdout => {
                let ok = std::io::stdout().lock().write_all(frame).is_ok();
                if !ok {
                    self.dropped_stdout.fetch_add(1, Ordering::Relaxed);
                }
                ok
            }
            Sink::Stderr => {
                let ok = std::io::stderr().lock().write_all(frame).is_ok();
                if !ok {
                    self.dropped_stderr.fetch_add(1, Ordering::Relaxed);
                }
                ok
            }
            // Without the line feed: the ring's readers frame each message themselves.
            Sink::Ring(r) => r.write(frame.strip_suffix(b"\n").unwrap_or(frame)),
        };
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Resolve a proxy's targets: its own lines, with `log global` meaning the global ones,
    /// each sending with the proxy's `log-tag` if it has one.
    pub fn targets_for(&self, lines: &[LogTarget], disabled: bool, tag: Option<&str>) -> Vec<Target> {
        if disabled {
            return Vec::new();
        }
        let mut out = Vec::new();
        for l in lines {
            match l {
                LogTarget::Global(_) => out.extend(self.global.iter().cloned()),
                t => out.extend(Target::from_ir(t, &self.rings)),
            }
        }
        if let Some(tag) = tag {
            let tag: std::sync::Arc<str> = tag.into();
            for t in &mut out {
                t.tag = Some(tag.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_header() {
        let l = Logger::new(None, None, Vec::new());
        let t = Target {
            sink: Sink::Stderr,
            facility: 16,
            max_level: 7,
            min_level: 0,
            format: SyslogFormat::Rfc3164,
            format_given: false,
            maxlen: 1024,
            tag: None,
        };
        let f = String::from_utf8(l.frame(&t, 6, "hello")).unwrap();
        assert!(f.starts_with("<134>"), "{f}");
        assert!(f.ends_with(&format!(" haproxy[{}]: hello\n", std::process::id())), "{f}");
    }
}

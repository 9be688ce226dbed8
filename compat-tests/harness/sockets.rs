//! The kernel's view of TCP sockets on this machine (/proc/net/tcp and tcp6): which
//! connections a port still has, and their timers. Scenarios use it to wait until a proxy has
//! closed a case's connections (so the next case's log line counts the same connections in
//! both processes) and to read socket options the proxies set.

/// One socket of /proc/net/tcp{,6}.
pub struct Socket {
    pub local_port: u16,
    pub remote_port: u16,
    /// The kernel's state number (`01` established, `08` close-wait, ...).
    pub state: u8,
    /// 0 for a socket no process holds any more (an orphan finishing its close).
    pub inode: u64,
    /// The pending timer (`0` none, `1` retransmit, `2` keep-alive, ...) and when it fires,
    /// in USER_HZ ticks.
    pub timer: (u8, u64),
}

const ESTABLISHED: u8 = 0x01;
const SYN_RECV: u8 = 0x03;
const TIME_WAIT: u8 = 0x06;
const CLOSE_WAIT: u8 = 0x08;
const LISTEN: u8 = 0x0A;

fn port(field: &str) -> Option<u16> {
    field.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok())
}

/// Every TCP socket the kernel lists (IPv4 and IPv6).
pub fn all() -> Vec<Socket> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                continue;
            }
            let (Some(local_port), Some(remote_port), Ok(state)) =
                (port(f[1]), port(f[2]), u8::from_str_radix(f[3], 16))
            else {
                continue;
            };
            let (kind, when) = f[5].split_once(':').unwrap_or(("00", "0"));
            let timer = (u8::from_str_radix(kind, 16).unwrap_or(0), u64::from_str_radix(when, 16).unwrap_or(0));
            let inode = f[9].parse().unwrap_or(0);
            out.push(Socket { local_port, remote_port, state, inode, timer });
        }
    }
    out
}

/// Whether a connection to `port` is held by the accepting process (in any state, half-closed
/// ones included, until the process closes it) or still waits in the accept queue to be taken
/// (no inode yet: established, or closed by the client already). Sockets a process closed
/// (orphans finishing their close, no inode) do not count: the process no longer sees them.
pub fn accepted_open(port: u16) -> bool {
    all().iter().any(|s| {
        s.local_port == port
            && !matches!(s.state, LISTEN | TIME_WAIT)
            && (s.inode != 0 || matches!(s.state, ESTABLISHED | SYN_RECV | CLOSE_WAIT))
    })
}

/// The established socket with local port `local` (or remote port `remote`).
pub fn established(local: Option<u16>, remote: Option<u16>) -> Option<Socket> {
    all().into_iter().find(|s| {
        s.state == ESTABLISHED && local.is_none_or(|p| s.local_port == p) && remote.is_none_or(|p| s.remote_port == p)
    })
}

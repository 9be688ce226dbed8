//! Fresh ports, never fixed ones, always on 127.0.0.1: bind port 0, read the port back, release
//! it. A process-wide set keeps one test run from handing the same port out twice, which makes a
//! collision between two concurrently running scenarios impossible from our side (another
//! program could still grab a released port, which is why ports are taken late, right before
//! the config is rendered).
//!
//! [`Template`] fills `${PORT_n}` (and any named `${VAR}` set on it) in config text. Other
//! `${...}` are left alone: they are HAProxy environment variables.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Mutex;

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// Record `port` as used by this test run; false if it was already handed out.
pub fn reserve(port: u16) -> bool {
    let mut g = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(HashSet::new).insert(port)
}

/// A TCP port on 127.0.0.1 that was free a moment ago and that no other helper of this test run
/// has been given.
pub fn free_port() -> u16 {
    for _ in 0..1000 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
        let port = l.local_addr().expect("local_addr").port();
        drop(l);
        if reserve(port) {
            return port;
        }
    }
    panic!("could not find a fresh port");
}

/// A TCP listener on 127.0.0.1 whose port no other helper of this test run was handed (bound
/// at once, so nothing else can take it).
pub fn reserved_listener() -> (TcpListener, u16) {
    loop {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
        let port = l.local_addr().expect("local_addr").port();
        if reserve(port) {
            return (l, port);
        }
    }
}

/// A UDP port on 127.0.0.1, same rules as [`free_port`].
pub fn free_udp_port() -> u16 {
    for _ in 0..1000 {
        let s = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding udp 127.0.0.1:0");
        let port = s.local_addr().expect("local_addr").port();
        drop(s);
        if reserve(port) {
            return port;
        }
    }
    panic!("could not find a fresh udp port");
}

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    (Ipv4Addr::LOCALHOST, port).into()
}

/// Placeholder filling for config text.
#[derive(Debug, Default, Clone)]
pub struct Template {
    ports: BTreeMap<usize, u16>,
    vars: BTreeMap<String, String>,
}

impl Template {
    pub fn new() -> Template {
        Template::default()
    }

    /// The port behind `${PORT_n}`, allocated on first use.
    pub fn port(&mut self, n: usize) -> u16 {
        *self.ports.entry(n).or_insert_with(free_port)
    }

    /// Make `${PORT_n}` a given port (one a mock server already listens on).
    pub fn set_port(&mut self, n: usize, port: u16) -> &mut Self {
        self.ports.insert(n, port);
        self
    }

    /// Make `${name}` expand to `value` (for example `DIR` -> a temp dir for sockets).
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    /// Fill every `${PORT_n}` (allocating ports not set yet) and every `${name}` set with
    /// [`Template::set`]. Unknown `${...}` stay as they are.
    pub fn render(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(n) = name.strip_prefix("PORT_").and_then(|n| n.parse::<usize>().ok()) {
                out.push_str(&self.port(n).to_string());
            } else if let Some(v) = self.vars.get(name) {
                out.push_str(v);
            } else {
                out.push_str(&rest[start..start + 2 + end + 1]);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// One-shot: fill `${PORT_n}` in `text` with fresh ports; returns the text and the ports by index.
pub fn template(text: &str) -> (String, BTreeMap<usize, u16>) {
    let mut t = Template::new();
    let s = t.render(text);
    (s, t.ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_fresh_and_unique() {
        let a = free_port();
        let b = free_port();
        assert_ne!(a, b);
        assert!(!reserve(a));
        TcpListener::bind(local(a)).expect("a fresh port can be bound");
        assert_ne!(free_udp_port(), 0);
    }

    #[test]
    fn template_fills_ports_and_vars() {
        let mut t = Template::new();
        t.set_port(1, 4242).set("DIR", "/tmp/x");
        let s = t.render(
            "bind 127.0.0.1:${PORT_0}\nserver s 127.0.0.1:${PORT_1}\nstats socket ${DIR}/s ${HOME} ${PORT_0} ${oops",
        );
        let p0 = t.port(0);
        assert_eq!(
            s,
            format!("bind 127.0.0.1:{p0}\nserver s 127.0.0.1:4242\nstats socket /tmp/x/s ${{HOME}} {p0} ${{oops")
        );
        let (s, ports) = template("${PORT_2}:${PORT_2}");
        assert_eq!(s, format!("{0}:{0}", ports[&2]));
    }
}

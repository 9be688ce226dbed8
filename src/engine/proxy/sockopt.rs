//! Socket options a proxy's settings ask for on its traffic connections: TCP keep-alive on the
//! client side (`option clitcpka`, `option tcpka` in a proxy that has a frontend,
//! `clitcpka-cnt|idle|intvl`) and on the server side (`option srvtcpka`, `option tcpka` in a
//! proxy that has a backend, `srvtcpka-*`), set right after accept and connect as HAProxy does.
//! A zero count or time leaves the system's default, as in HAProxy. And `silent-drop`'s way
//! out of a client connection.

use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

use crate::ir::types::{Proxy, TcpKeepAlive};

/// The keep-alive settings for `p`'s client connections, if it asks for keep-alive.
pub fn client_keepalive(p: &Proxy) -> Option<TcpKeepalive> {
    p.options.is_on("clitcpka").then(|| tuning(&p.clitcpka))
}

/// The keep-alive settings for `p`'s server connections, if it asks for keep-alive.
pub fn server_keepalive(p: &Proxy) -> Option<TcpKeepalive> {
    p.options.is_on("srvtcpka").then(|| tuning(&p.srvtcpka))
}

fn tuning(t: &TcpKeepAlive) -> TcpKeepalive {
    let mut ka = TcpKeepalive::new();
    if let Some(idle) = t.idle.filter(|v| *v > 0) {
        ka = ka.with_time(Duration::from_secs(u64::from(idle)));
    }
    if let Some(intvl) = t.intvl.filter(|v| *v > 0) {
        ka = ka.with_interval(Duration::from_secs(u64::from(intvl)));
    }
    if let Some(cnt) = t.cnt.filter(|v| *v > 0) {
        ka = ka.with_retries(cnt);
    }
    ka
}

/// Turn keep-alive on for `sock` with `ka`'s tuning. A failure leaves the connection as it is
/// (HAProxy does not check these calls either).
pub fn apply_keepalive<S: std::os::fd::AsFd>(sock: &S, ka: Option<&TcpKeepalive>) {
    if let Some(ka) = ka {
        let _ = SockRef::from(sock).set_tcp_keepalive(ka);
    }
}

/// `silent-drop`, as HAProxy does it: the pending input acknowledged at once, then the socket
/// put in TCP repair mode so that closing it sends nothing (the client is left with a
/// connection that no longer exists); without the privilege for that, an RST with a TTL of 1,
/// which a routed client never sees (a local one does).
pub fn silent_drop(sock: &tokio::net::TcpStream) {
    use nix::sys::socket::{setsockopt, sockopt};
    let s = SockRef::from(sock);
    let _ = s.set_quickack(true);
    if setsockopt(sock, sockopt::TcpRepair, &1u32).is_ok() {
        return;
    }
    let _ = match sock.peer_addr() {
        Ok(a) if a.is_ipv6() => s.set_unicast_hops_v6(1),
        _ => s.set_ttl(1),
    };
    let _ = s.set_linger(Some(Duration::ZERO));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::types::{Caps, OptionFlags};

    fn proxy(opts: &[&'static str], cli: TcpKeepAlive, srv: TcpKeepAlive) -> Proxy {
        let mut p = Proxy::new("p", Caps::LISTEN, crate::config::ast::Span { file: "".into(), line: 0 });
        p.options = OptionFlags { set: opts.iter().map(|o| (*o, true)).collect() };
        p.clitcpka = cli;
        p.srvtcpka = srv;
        p
    }

    #[test]
    fn keepalive_reaches_the_socket_with_its_tuning() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let p = proxy(
            &["clitcpka"],
            TcpKeepAlive { cnt: Some(4), idle: Some(20), intvl: Some(0) },
            TcpKeepAlive::default(),
        );
        let default_intvl = SockRef::from(&accepted).keepalive_interval().unwrap();
        apply_keepalive(&accepted, client_keepalive(&p).as_ref());
        let s = SockRef::from(&accepted);
        assert!(s.keepalive().unwrap());
        assert_eq!(s.keepalive_time().unwrap(), Duration::from_secs(20));
        assert_eq!(s.keepalive_retries().unwrap(), 4);
        // Zero means "not set": the system's value stays.
        assert_eq!(s.keepalive_interval().unwrap(), default_intvl);
        // The server side is not asked for here.
        assert!(server_keepalive(&p).is_none());
        apply_keepalive(&client, server_keepalive(&p).as_ref());
        assert!(!SockRef::from(&client).keepalive().unwrap());
    }
}

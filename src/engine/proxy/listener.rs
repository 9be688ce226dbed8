//! Listening sockets for `bind` lines (TCP over IPv4/IPv6 and Unix stream sockets) and the accept
//! loop. A connection is accepted only once both the global and the frontend `maxconn` have room,
//! so excess connections wait in the kernel's backlog, as with HAProxy, instead of being dropped.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use socket2::{Domain, Protocol, Socket, Type};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;

use crate::engine::{EngineError, Frontend};
use crate::ir::addr::{Family, Host};
use crate::ir::types::Bind;

/// A bound, listening socket, created before the runtime starts (and before privileges are
/// dropped or the process daemonizes), converted to a tokio listener by the accept loop.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Create the socket for one bound address.
pub fn bind_tcp(fe: &Frontend, bind: &Bind, addr: SocketAddr) -> Result<Listener, EngineError> {
    let err = |e: std::io::Error| EngineError::Bind {
        kind: if fe.spec.caps.backend { "proxy" } else { "frontend" },
        name: fe.name.clone(),
        addr: addr.to_string(),
        reason: crate::config::parse::io_reason(&e),
    };
    let domain = if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
    let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(err)?;
    sock.set_reuse_address(true).map_err(err)?;
    // HAProxy sets SO_REUSEPORT so a new process can bind while the old one drains (reloads).
    sock.set_reuse_port(true).map_err(err)?;
    if addr.is_ipv6() {
        let only =
            bind.opts.v6only || (bind.addr.family == Family::Ipv6 && !bind.opts.v4v6 && bind.addr.host != Host::Any);
        sock.set_only_v6(only).map_err(err)?;
    }
    if bind.opts.transparent {
        sock.set_ip_transparent(true).map_err(err)?;
    }
    if let Some(iface) = &bind.opts.interface {
        sock.bind_device(Some(iface.as_bytes())).map_err(err)?;
    }
    sock.set_nonblocking(true).map_err(err)?;
    sock.bind(&addr.into()).map_err(err)?;
    // HAProxy's order (measured on 2.6.12): the bind line's backlog, the proxy's (its own or
    // its defaults'), the bind line's maxconn, the frontend's maxconn.
    let backlog = bind
        .opts
        .backlog
        .or(fe.spec.backlog)
        .or(bind.opts.maxconn)
        .unwrap_or(fe.maxconn.load(std::sync::atomic::Ordering::Relaxed))
        .clamp(1, 65535);
    sock.listen(backlog as i32).map_err(err)?;
    Ok(Listener::Tcp(sock.into()))
}

/// Create a Unix stream listener, replacing a stale socket file, with the configured mode.
pub fn bind_unix(fe_name: &str, bind: &Bind, path: &str) -> Result<Listener, EngineError> {
    let err = |e: std::io::Error| EngineError::Bind {
        kind: "frontend",
        name: fe_name.to_string(),
        addr: path.to_string(),
        reason: crate::config::parse::io_reason(&e),
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
    let l = UnixListener::bind(path).map_err(err)?;
    l.set_nonblocking(true).map_err(err)?;
    if let Some(mode) = bind.opts.mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(err)?;
    }
    if bind.opts.uid.is_some() || bind.opts.gid.is_some() {
        let uid = bind.opts.uid.map(nix::unistd::Uid::from_raw);
        let gid = bind.opts.gid.map(nix::unistd::Gid::from_raw);
        nix::unistd::chown(path, uid, gid).map_err(|e| err(std::io::Error::from(e)))?;
    }
    Ok(Listener::Unix(l))
}

/// Bind every address of a frontend.
pub fn bind_frontend(fe: &Arc<Frontend>) -> Result<Vec<Listener>, EngineError> {
    let mut out = Vec::new();
    for b in &fe.spec.binds {
        match &b.addr.host {
            Host::Path(p) => out.push(bind_unix(&fe.name, b, p)?),
            Host::Fd(_) => {
                return Err(EngineError::Other(format!(
                    "not supported yet: 'bind {}' (inherited file descriptors)",
                    b.addr.text
                )))
            }
            _ => {
                for a in b.addr.socket_addrs() {
                    out.push(bind_tcp(fe, b, a)?);
                }
            }
        }
    }
    Ok(out)
}

/// What a connection needs to know about the listener it came in on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerInfo {
    /// `accept-proxy`: every connection starts with a PROXY protocol header.
    pub accept_proxy: bool,
    /// How HAProxy's logs name the listener: its `name`, else its numeric id.
    pub log_name: String,
}

/// The [`ListenerInfo`] of every listener [`bind_frontend`] creates, in the same order.
/// Listeners without an `id` get the lowest ids not taken, in order, as HAProxy numbers them.
pub fn listener_infos(fe: &Frontend) -> Vec<Arc<ListenerInfo>> {
    let mut each: Vec<&Bind> = Vec::new();
    for b in &fe.spec.binds {
        match &b.addr.host {
            Host::Path(_) => each.push(b),
            Host::Fd(_) => {}
            _ => each.extend(b.addr.socket_addrs().iter().map(|_| b)),
        }
    }
    let taken: Vec<i32> = each.iter().filter_map(|b| b.opts.id).collect();
    let mut next = 1;
    each.iter()
        .map(|b| {
            let id = b.opts.id.unwrap_or_else(|| {
                while taken.contains(&next) {
                    next += 1;
                }
                next += 1;
                next - 1
            });
            let log_name = b.opts.name.clone().unwrap_or_else(|| id.to_string());
            Arc::new(ListenerInfo { accept_proxy: b.opts.accept_proxy, log_name })
        })
        .collect()
}

//! A TCP service on 127.0.0.1 that can be stopped and restarted on the same port, counting
//! connections. The mock HTTP, TCP and agent servers are thin handlers over it.
//!
//! `stop` returns only once the listening socket and every open connection are closed, so a
//! test can rely on "connection refused" right after it.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::rt;

pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
pub type Handler = Arc<dyn Fn(TcpStream, SocketAddr) -> BoxFuture + Send + Sync>;

/// Held by the accept task and by every connection task; `stop` waits until all are dropped to
/// know the sockets are closed.
struct DropSignal(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

/// A future that holds a [`DropSignal`]: fields drop in declaration order, so the future (and the
/// sockets it owns) is gone before the signal is.
struct Tracked {
    fut: BoxFuture,
    _signal: Arc<DropSignal>,
}

impl Future for Tracked {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.fut.as_mut().poll(cx)
    }
}

struct Running {
    task: JoinHandle<()>,
    done: std::sync::mpsc::Receiver<()>,
}

pub struct Service {
    port: u16,
    handler: Handler,
    connections: Arc<AtomicU64>,
    running: Mutex<Option<Running>>,
}

fn bind(port: u16) -> std::io::Result<std::net::TcpListener> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    sock.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())?;
    sock.listen(1024)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

impl Service {
    /// Listen on a fresh port (0) or on `port`, serving each connection with `handler`.
    pub fn start(port: u16, handler: Handler) -> Service {
        let mut std_listener = bind(port).unwrap_or_else(|e| panic!("mock server: binding 127.0.0.1:{port}: {e}"));
        if port == 0 {
            // A port the kernel hands us may already have been given (unbound yet) to another
            // scenario by `free_port`: keep the colliding listener while asking for another one.
            let mut held = Vec::new();
            while !super::ports::reserve(std_listener.local_addr().expect("local_addr").port()) {
                let next = bind(0).unwrap_or_else(|e| panic!("mock server: binding 127.0.0.1:0: {e}"));
                held.push(std::mem::replace(&mut std_listener, next));
            }
        }
        let port = std_listener.local_addr().expect("local_addr").port();
        super::ports::reserve(port);
        let svc = Service { port, handler, connections: Arc::new(AtomicU64::new(0)), running: Mutex::new(None) };
        svc.spawn(std_listener);
        svc
    }

    fn spawn(&self, std_listener: std::net::TcpListener) {
        let handle = rt::handle();
        let _guard = handle.enter();
        let listener = TcpListener::from_std(std_listener).expect("registering the listener");
        let handler = self.handler.clone();
        let conns = self.connections.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let signal = Arc::new(DropSignal(tx));
        let accept_signal = signal.clone();
        let accept: BoxFuture = Box::pin(async move {
            let mut set = JoinSet::new();
            loop {
                tokio::select! {
                    r = listener.accept() => {
                        let Ok((stream, peer)) = r else { continue };
                        conns.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.set_nodelay(true);
                        // Each connection holds the signal too: `stop` waits for every one to close.
                        set.spawn(Tracked { fut: handler(stream, peer), _signal: accept_signal.clone() });
                    }
                    Some(_) = set.join_next(), if !set.is_empty() => {}
                }
            }
        });
        let task = handle.spawn(Tracked { fut: accept, _signal: signal });
        *self.running.lock().unwrap() = Some(Running { task, done: rx });
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// Connections accepted since start (or the last [`Service::reset_connections`]).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn reset_connections(&self) {
        self.connections.store(0, Ordering::SeqCst);
    }

    pub fn is_running(&self) -> bool {
        self.running.lock().unwrap().is_some()
    }

    /// Close the listening socket and every open connection; returns once they are closed.
    pub fn stop(&self) {
        let Some(r) = self.running.lock().unwrap().take() else { return };
        r.task.abort();
        // recv fails once the task (and the DropSignal it owns) is dropped.
        let _ = r.done.recv_timeout(Duration::from_secs(10));
    }

    /// Listen again on the same port (a restarted backend). Retries briefly if the port is
    /// still held by a socket in teardown.
    pub fn restart(&self) {
        if self.is_running() {
            return;
        }
        let l = super::wait::wait_for(Duration::from_secs(5), || bind(self.port).ok())
            .unwrap_or_else(|| panic!("mock server: could not rebind 127.0.0.1:{}", self.port));
        self.spawn(l);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(r) = self.running.get_mut().map(|r| r.take()).unwrap_or(None) {
            r.task.abort();
        }
    }
}

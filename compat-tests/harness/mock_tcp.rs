//! A raw TCP mock backend: echoes what it receives, optionally after sending a banner (its name,
//! for example, so a `mode tcp` test sees which server it reached). Stoppable and restartable on
//! the same port; counts connections and bytes received.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::service::{Handler, Service};

struct State {
    banner: Mutex<Option<Vec<u8>>>,
    echo: bool,
    bytes_in: AtomicU64,
}

pub struct MockTcp {
    svc: Service,
    state: Arc<State>,
}

impl MockTcp {
    /// Echo everything back.
    pub fn echo() -> MockTcp {
        MockTcp::start(0, None, true)
    }

    /// Send `banner` on connect, then echo.
    pub fn banner(banner: &str) -> MockTcp {
        MockTcp::start(0, Some(banner.as_bytes().to_vec()), true)
    }

    /// Send `banner` on connect, then read and discard until the client closes.
    pub fn banner_only(banner: &str) -> MockTcp {
        MockTcp::start(0, Some(banner.as_bytes().to_vec()), false)
    }

    /// Full control: a given port (0 = fresh), optional banner, echo or discard.
    pub fn start(port: u16, banner: Option<Vec<u8>>, echo: bool) -> MockTcp {
        let state = Arc::new(State { banner: Mutex::new(banner), echo, bytes_in: AtomicU64::new(0) });
        let st = state.clone();
        let handler: Handler = Arc::new(move |mut s, _peer| {
            let st = st.clone();
            Box::pin(async move {
                let banner = st.banner.lock().unwrap().clone();
                if let Some(b) = banner {
                    if s.write_all(&b).await.is_err() {
                        return;
                    }
                }
                let mut buf = [0u8; 16384];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            st.bytes_in.fetch_add(n as u64, Ordering::SeqCst);
                            if st.echo && s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = s.shutdown().await;
            })
        });
        MockTcp { svc: Service::start(port, handler), state }
    }

    pub fn port(&self) -> u16 {
        self.svc.port()
    }
    pub fn addr(&self) -> SocketAddr {
        self.svc.addr()
    }
    /// Change the banner sent to later connections.
    pub fn set_banner(&self, banner: Option<&str>) {
        *self.state.banner.lock().unwrap() = banner.map(|b| b.as_bytes().to_vec());
    }
    pub fn stop(&self) {
        self.svc.stop()
    }
    pub fn restart(&self) {
        self.svc.restart()
    }
    pub fn is_running(&self) -> bool {
        self.svc.is_running()
    }
    pub fn connections(&self) -> u64 {
        self.svc.connections()
    }
    pub fn bytes_received(&self) -> u64 {
        self.state.bytes_in.load(Ordering::SeqCst)
    }
    pub fn reset_counters(&self) {
        self.svc.reset_connections();
        self.state.bytes_in.store(0, Ordering::SeqCst);
    }
}

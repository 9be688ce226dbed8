//! Syslog receivers collecting datagrams as text: UDP on 127.0.0.1 (`log 127.0.0.1:${PORT} ...`)
//! and a Unix datagram socket (`log ${DIR}/log.sock ...`). Both stop on drop.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{UdpSocket, UnixDatagram};
use tokio::task::JoinHandle;

use super::{rt, wait};

/// The collected messages, shared by both receiver kinds.
#[derive(Clone, Default)]
pub struct Messages(Arc<Mutex<Vec<String>>>);

impl Messages {
    fn push(&self, datagram: &[u8]) {
        let s = String::from_utf8_lossy(datagram);
        self.0.lock().unwrap().push(s.trim_end_matches(['\n', '\0']).to_string());
    }
    /// Every datagram received so far, trailing newline removed.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        self.0.lock().unwrap().clear()
    }
    /// Wait for a message containing `needle`; returns it.
    pub fn wait_contains(&self, needle: &str, timeout: Duration) -> Option<String> {
        self.wait_match(timeout, |m| m.contains(needle))
    }
    /// Wait for a message satisfying `pred`; returns it.
    pub fn wait_match(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        wait::wait_for(timeout, || self.0.lock().unwrap().iter().find(|m| pred(m)).cloned())
    }
    /// Wait until at least `n` messages arrived; returns them all.
    pub fn wait_count(&self, n: usize, timeout: Duration) -> Option<Vec<String>> {
        wait::wait_for(timeout, || (self.len() >= n).then(|| self.all()))
    }
}

/// A UDP syslog server on 127.0.0.1.
pub struct UdpSyslog {
    port: u16,
    messages: Messages,
    task: JoinHandle<()>,
}

impl UdpSyslog {
    pub fn start() -> UdpSyslog {
        let std_sock = std::net::UdpSocket::bind(("127.0.0.1", 0)).expect("binding udp syslog");
        std_sock.set_nonblocking(true).expect("nonblocking");
        let port = std_sock.local_addr().expect("local_addr").port();
        super::ports::reserve(port);
        let handle = rt::handle();
        let _g = handle.enter();
        let sock = UdpSocket::from_std(std_sock).expect("registering udp socket");
        let messages = Messages::default();
        let m = messages.clone();
        let task = handle.spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, _)) = sock.recv_from(&mut buf).await {
                m.push(&buf[..n]);
            }
        });
        UdpSyslog { port, messages, task }
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    /// `127.0.0.1:<port>`, ready for a `log` line.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
    pub fn messages(&self) -> &Messages {
        &self.messages
    }
}

impl Drop for UdpSyslog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Unix datagram syslog server (like /dev/log).
pub struct UnixSyslog {
    path: PathBuf,
    messages: Messages,
    task: JoinHandle<()>,
}

impl UnixSyslog {
    /// Bind `path` (removed first if it exists).
    pub fn start(path: &Path) -> UnixSyslog {
        let _ = std::fs::remove_file(path);
        let std_sock =
            std::os::unix::net::UnixDatagram::bind(path).unwrap_or_else(|e| panic!("binding {}: {e}", path.display()));
        std_sock.set_nonblocking(true).expect("nonblocking");
        let handle = rt::handle();
        let _g = handle.enter();
        let sock = UnixDatagram::from_std(std_sock).expect("registering unix datagram socket");
        let messages = Messages::default();
        let m = messages.clone();
        let task = handle.spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = sock.recv(&mut buf).await {
                m.push(&buf[..n]);
            }
        });
        UnixSyslog { path: path.to_path_buf(), messages, task }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn messages(&self) -> &Messages {
        &self.messages
    }
}

impl Drop for UnixSyslog {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

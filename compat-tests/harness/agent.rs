//! A mock agent-check server (`agent-check agent-port N`): on each connection it sends the scripted
//! reply line (e.g. `up\n`, `drain\n`, `50%\n`, `down#overloaded\n`), half-closes, and records what
//! HAProxy sent (`agent-send`) until HAProxy closes. Restartable; counts connections.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::service::{Handler, Service};

struct State {
    reply: Mutex<Vec<u8>>,
    received: Mutex<Vec<Vec<u8>>>,
}

pub struct MockAgent {
    svc: Service,
    state: Arc<State>,
}

impl MockAgent {
    /// Answer every check with `reply` (sent as given: include the `\n` when the test wants one).
    pub fn start(reply: &str) -> MockAgent {
        MockAgent::start_on(0, reply)
    }

    pub fn start_on(port: u16, reply: &str) -> MockAgent {
        let state = Arc::new(State { reply: Mutex::new(reply.as_bytes().to_vec()), received: Mutex::new(Vec::new()) });
        let st = state.clone();
        let handler: Handler = Arc::new(move |mut s, _peer| {
            let st = st.clone();
            Box::pin(async move {
                let reply = st.reply.lock().unwrap().clone();
                let _ = s.write_all(&reply).await;
                let _ = s.shutdown().await;
                // Drain until HAProxy closes (closing with unread data would reset the connection
                // and could discard our reply on its side).
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                let read_all = async {
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), read_all).await;
                st.received.lock().unwrap().push(got);
            })
        });
        MockAgent { svc: Service::start(port, handler), state }
    }

    /// Change the reply for later checks.
    pub fn set_reply(&self, reply: &str) {
        *self.state.reply.lock().unwrap() = reply.as_bytes().to_vec();
    }
    pub fn port(&self) -> u16 {
        self.svc.port()
    }
    pub fn connections(&self) -> u64 {
        self.svc.connections()
    }
    /// What each finished check connection carried from HAProxy (the `agent-send` string).
    pub fn received(&self) -> Vec<String> {
        self.state.received.lock().unwrap().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect()
    }
    pub fn stop(&self) {
        self.svc.stop()
    }
    pub fn restart(&self) {
        self.svc.restart()
    }
}

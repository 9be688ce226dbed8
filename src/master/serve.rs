//! The master CLI's connections (`-S`): read requests the way the stats socket does (`framing`),
//! let `mcli` decide, answer, or relay the request to a worker's internal socket and copy its
//! reply back.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::mcli::{Action, Session};
use super::run::{now, SharedRef};
use crate::runtime_api::framing::{Frame, Framer};
use crate::runtime_api::server::StdListener;

/// Accept connections on one master CLI socket for as long as the master runs.
pub fn spawn(listener: StdListener, shared: SharedRef, reload: mpsc::UnboundedSender<()>) {
    match listener {
        StdListener::Unix(u) => {
            let Ok(l) = tokio::net::UnixListener::from_std(u) else { return };
            tokio::spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    tokio::spawn(session(s, shared.clone(), reload.clone()));
                }
            });
        }
        StdListener::Tcp(t) => {
            let Ok(l) = tokio::net::TcpListener::from_std(t) else { return };
            tokio::spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    tokio::spawn(session(s, shared.clone(), reload.clone()));
                }
            });
        }
    }
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, shared: SharedRef, reload: mpsc::UnboundedSender<()>) {
    let mut sess = Session::default();
    let mut framer = Framer::new();
    let mut input = Vec::new();
    let mut buf = [0u8; 4096];
    let mut eof = false;
    loop {
        let frame = framer.next(&mut input, eof);
        let (line, payload) = match frame {
            Frame::Request { line, payload } => (line, payload),
            Frame::PayloadLine => continue,
            Frame::Abort => return,
            Frame::Incomplete => {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => eof = true,
                    Ok(n) => input.extend_from_slice(&buf[..n]),
                }
                if eof && input.is_empty() {
                    return;
                }
                continue;
            }
        };
        let action = {
            let sh = shared.lock();
            sess.step(&line, &sh.table, now())
        };
        let ok = match action {
            Action::Write(b) => s.write_all(&b).await.is_ok(),
            Action::WriteAndClose(b) => {
                let _ = s.write_all(&b).await;
                return;
            }
            Action::Reload => {
                let _ = reload.send(());
                return;
            }
            Action::Forward { pid, mut request, after } => {
                if let Some(p) = payload {
                    request.extend_from_slice(&p);
                    request.extend_from_slice(b"\n\n");
                }
                let path = shared.lock().sockets.get(&pid).cloned();
                let reply = match path {
                    Some(p) => relay(&p, &request).await,
                    None => Vec::new(),
                };
                s.write_all(&reply).await.is_ok() && s.write_all(&after).await.is_ok()
            }
        };
        if !ok {
            return;
        }
    }
}

/// One request to a worker's internal socket, non-interactive: the reply is everything up to
/// the worker's close.
async fn relay(path: &std::path::Path, request: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(mut c) = tokio::net::UnixStream::connect(path).await {
        if c.write_all(request).await.is_ok() && c.shutdown().await.is_ok() {
            let _ = c.read_to_end(&mut out).await;
        }
    }
    out
}

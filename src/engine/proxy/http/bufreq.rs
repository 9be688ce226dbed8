//! `option http-buffer-request`: before the rules run and a server is connected, the request
//! body is awaited until it is all in or the request buffer is full, as HAProxy 2.6's
//! `http_wait_for_request_body` does. `%TR` then covers the wait; a client that does not finish
//! in `timeout http-request` gets the stream's 408 (`cR--`); one that closes is logged `CR--`
//! once the backend is chosen, without a server connection. An HTTP/1.1 request with a body and
//! `Expect: 100-continue` gets HAProxy's own `100 Continue`, and the header is not forwarded.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::body::{self, Framing};
use super::msg::ReqInfo;
use super::parse::Version;
use super::txlog::Txn;
use super::Conn;
use crate::engine::backend::Backend;

/// How waiting for the body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyWait {
    /// The body is in, the buffer is full, or there is no body: go on.
    Ready,
    /// `timeout http-request` expired first.
    TimedOut,
    /// The client closed (or failed) before the end.
    Aborted,
}

/// HAProxy's request buffer (`tune.bufsize` 16384) less its HTX header (40 bytes) and the
/// `tune.maxrewrite` reserve (1024): the body wait ends once the message takes this much.
const ROOM: u64 = 16384 - 40 - 1024;
/// The internal size of one HTX block's descriptor.
const BLOCK: u64 = 8;
/// What HAProxy's own `100 Continue` counts in `%B` (its internal size).
const CONTINUE_SIZE: u64 = 40;

/// Whether `option http-buffer-request` applies at this point: `fe` for the frontend's wait
/// (before its rules), else the chosen backend's own setting.
pub(super) fn wanted(c: &Conn, be: Option<&Backend>) -> bool {
    let fe = c.s.fe.spec.options.is_on("http-buffer-request");
    match be {
        None => fe,
        // A listen section, or a frontend that already waited, does not wait twice.
        Some(b) => !fe && b.spec.options.is_on("http-buffer-request"),
    }
}

/// Is the wait over with `rest` (what follows the head in the buffer)? An invalid chunk ends
/// it too: forwarding reports it.
fn enough(info: &ReqInfo, head_size: u64, nheaders: usize, rest: &[u8]) -> bool {
    let framing = info.framing.unwrap_or(Framing::None);
    if super::rules::body_complete(info, rest) || framing == Framing::None {
        return true;
    }
    if framing == Framing::Chunked && !body::chunked_prefix_ok(rest) {
        return true;
    }
    let used = head_size + BLOCK * (nheaders as u64 + 2) + body::buffered_size(framing, rest) + BLOCK;
    used >= ROOM
}

/// Does this request get HAProxy's `100 Continue`? HTTP/1.1 with a non-empty body and a first
/// `Expect` value of `100-continue`.
fn expects_continue(c: &Conn, info: &ReqInfo) -> Option<usize> {
    let body = matches!(info.framing, Some(Framing::Chunked) | Some(Framing::Length(1..)));
    if !body || c.head.version != Version::Http11 {
        return None;
    }
    let i = c.head.headers.iter().position(|h| c.cbuf[h.name.clone()].eq_ignore_ascii_case(b"expect"))?;
    let h = &c.head.headers[i];
    let v = &c.cbuf[h.value.clone()];
    let first = v.split(|&b| b == b',').next().map(super::parse::trim).unwrap_or(b"");
    first.eq_ignore_ascii_case(b"100-continue").then_some(i)
}

/// Wait for the body. `tx.t_request` is moved to the end of the wait (HAProxy's
/// `tv_request`), except after a timeout.
pub(super) async fn wait(c: &mut Conn, info: &mut ReqInfo, tx: &mut Txn) -> BodyWait {
    if let Some(i) = expects_continue(c, info) {
        let _ = tokio::time::timeout(c.t_client, c.client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")).await;
        tx.bytes_out += CONTINUE_SIZE;
        super::rules::rewrite_head(c, info, |p| {
            p.headers.remove(i);
        });
    }
    // HAProxy arms `timeout http-request` again when the wait starts.
    let deadline = Instant::now() + c.t_http_request;
    let head_size = c.head.htx_size(false);
    let outcome = loop {
        if enough(info, head_size, c.head.headers.len(), &c.cbuf[c.head.len..]) {
            break BodyWait::Ready;
        }
        if c.cbuf.capacity() - c.cbuf.len() < 2048 {
            c.cbuf.reserve(8 * 1024);
        }
        match tokio::time::timeout_at(deadline.into(), c.client.read_buf(&mut c.cbuf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break BodyWait::Aborted,
            Ok(Ok(_)) => {}
            Err(_) => break BodyWait::TimedOut,
        }
    };
    if outcome != BodyWait::TimedOut {
        tx.t_request = tx.start.elapsed().as_millis() as i64;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(framing: Framing) -> ReqInfo {
        ReqInfo { framing: Some(framing), ..ReqInfo::default() }
    }

    #[test]
    fn waits_for_the_whole_body_or_a_full_buffer() {
        assert!(enough(&info(Framing::None), 50, 1, b""));
        assert!(!enough(&info(Framing::Length(10)), 50, 1, b"12345"));
        assert!(enough(&info(Framing::Length(10)), 50, 1, b"1234567890"));
        let big = vec![b'x'; 15_300];
        assert!(!enough(&info(Framing::Length(40_000)), 50, 1, &big[..14_000]));
        assert!(enough(&info(Framing::Length(40_000)), 50, 1, &big));
        assert!(!enough(&info(Framing::Chunked), 50, 1, b"5\r\n12345\r\n"));
        assert!(enough(&info(Framing::Chunked), 50, 1, b"5\r\n12345\r\n0\r\n\r\n"));
        // Bad framing is not waited for: forwarding reports it.
        assert!(enough(&info(Framing::Chunked), 50, 1, b"zz\r\n"));
    }
}

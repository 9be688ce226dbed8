//! The response side of an exchange: interim responses forwarded on the way, the final head
//! checked, rewritten by the response rules and cookies, and relayed with its body, while the
//! request side may still be uploading (the two share a [`Progress`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::body::{self, BodyError, Framing, Pace};
use super::clock_ms;
use super::msg::{self, ReqInfo};
use super::parse::{self, Head};
use super::txlog::Txn;
use super::txn::{client_conn_value, Fate};
use crate::engine::stick::rules::Pending;

/// Shared between the two directions of an exchange.
#[derive(Default)]
pub(super) struct Progress {
    /// The final response head went to the client.
    pub(super) head_sent: AtomicBool,
    /// `clock_ms()` of the last byte sent to or received from the server.
    pub(super) activity: AtomicU64,
}

/// How the response side ended.
pub(super) enum DownEnd {
    /// The response was relayed in full.
    Done { server_keep: bool, client_keep: bool },
    /// The connection is a tunnel from now on.
    Tunnel,
    /// Nothing usable came: the proxy answers `status`, or closes silently; `fate` is what
    /// becomes of the server connection.
    Failed { status: u16, term: [u8; 4], silent: bool, fate: Fate },
    /// The response was cut after its head went out.
    Cut { term: [u8; 4] },
    /// The request side failed first (see the upload result).
    UpFailed,
    /// Response rules answered instead of the server (`http-response deny`, `return`...);
    /// `server_keep`: the server's response was all read and its connection can be kept.
    Replaced { msg: Vec<u8>, status: u16, term: [u8; 4], server_keep: bool },
}

pub(super) struct DownCtx<'a> {
    pub(super) t_server: Duration,
    pub(super) t_client: Duration,
    pub(super) info: &'a ReqInfo,
    pub(super) client_keep: bool,
    pub(super) server_keep: bool,
    pub(super) first: bool,
    /// http-response / http-after-response rules to run on the final response, if any.
    pub(super) rules: Option<&'a super::rules::RespRules>,
    /// Stick stores to write on the final response (`store-response` rules and the
    /// request's pending stores), if any.
    pub(super) stick: Option<&'a super::rules::RespRules>,
    /// `capture response header` slots of the frontend.
    pub(super) captures: &'a [super::capture::Slot],
}

/// Read the response (interim ones forwarded on the way) and relay it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn download<R, W>(
    sr: &mut R,
    sbuf: &mut BytesMut,
    rhead: &mut Head,
    cw: &mut W,
    scratch: &mut body::Scratch,
    p: &Progress,
    d: &DownCtx<'_>,
    tx: &mut Txn,
    sess: &mut crate::engine::rules::vars::Vars,
    pending: &mut Pending,
) -> DownEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let out = &mut scratch.out;
    let t0 = Instant::now();
    let mut got_any = false;
    let (rinfo, keep) = loop {
        rhead.reset();
        let done = loop {
            if !sbuf.is_empty() {
                got_any = true;
                match parse::parse_response(sbuf, rhead) {
                    Ok(true) => break true,
                    Ok(false) => {}
                    Err(_) => break false,
                }
            }
            if sbuf.capacity() == 0 {
                *sbuf = crate::engine::proxy::bufpool::take();
            } else if sbuf.capacity() - sbuf.len() < 2048 {
                sbuf.reserve(16 * 1024);
            }
            let since = p.activity.load(Relaxed);
            let left = Duration::from_millis(since + d.t_server.as_millis() as u64)
                .saturating_sub(Duration::from_millis(clock_ms()));
            match tokio::time::timeout(left, sr.read_buf(sbuf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    return DownEnd::Failed {
                        status: 502,
                        term: *b"SH--",
                        silent: !got_any && !d.first,
                        fate: Fate::Close,
                    }
                }
                Ok(Ok(_)) => p.activity.store(clock_ms(), Relaxed),
                Err(_) => {
                    if p.activity.load(Relaxed) != since {
                        continue;
                    }
                    return DownEnd::Failed { status: 504, term: *b"sH--", silent: false, fate: Fate::Rst };
                }
            }
        };
        if !done {
            return DownEnd::Failed { status: 502, term: *b"PH--", silent: false, fate: Fate::Rst };
        }
        let rinfo = match msg::analyze_response(rhead, sbuf, d.info) {
            Ok(r) => r,
            // The stream layer refuses a valid message: the server connection closes normally.
            Err(msg::BadResponse::Refused) => {
                return DownEnd::Failed { status: 502, term: *b"PH--", silent: false, fate: Fate::Fin }
            }
            Err(msg::BadResponse::Invalid) => {
                return DownEnd::Failed { status: 502, term: *b"PH--", silent: false, fate: Fate::Rst }
            }
        };
        if rinfo.framing == Framing::Chunked && !body::chunked_prefix_ok(&sbuf[rhead.len..]) {
            return DownEnd::Failed { status: 502, term: *b"PH--", silent: false, fate: Fate::Rst };
        }
        if rinfo.interim {
            out.clear();
            tx.bytes_out += msg::build_response(out, rhead, sbuf, &rinfo, None);
            if tokio::time::timeout(d.t_client, cw.write_all(out)).await.is_err() {
                return DownEnd::Cut { term: *b"cH--" };
            }
            sbuf.advance(rhead.len);
            continue;
        }
        // A response may come before the end of the request: the request goes on after it.
        let keep = d.client_keep && rinfo.framing != Framing::UntilClose && !rinfo.client_close;
        break (rinfo, keep);
    };
    tx.t_response = t0.elapsed().as_millis() as i64;
    tx.status = i32::from(rhead.status);
    if !d.captures.is_empty() {
        tx.captured_resp = super::capture::headers(d.captures, rhead, sbuf);
    }
    // Stick stores come first, on the response as the server sent it (HAProxy's store rules
    // analyser runs before the http-response rules).
    if let Some(st) = d.stick {
        st.stick_store(sess, &tx.vars, pending, rhead, sbuf);
    }
    // HAProxy counts the response as the server sent it, before the rules edit it.
    let mut received = None;
    if let Some(rr) = d.rules.filter(|_| !rinfo.tunnel) {
        out.clear();
        received = Some(msg::build_response(out, rhead, sbuf, &rinfo, None));
        match rr.response(sess, &mut tx.vars, &mut tx.cookie, rhead, sbuf) {
            super::rules::RespDecision::Forward => tx.status = i32::from(rhead.status),
            super::rules::RespDecision::Replace { msg, status, term } => {
                // HAProxy counts the response it dropped (what of its body came with the head
                // too), and logs no response time.
                tx.bytes_out += received.unwrap_or(0) + body::buffered_size(rinfo.framing, &sbuf[rhead.len..]);
                tx.t_response = -1;
                // The server's answer is dropped; its connection stays if it was read in full.
                let body = match rinfo.framing {
                    Framing::None => Some(0),
                    Framing::Length(n) if (sbuf.len() - rhead.len) as u64 >= n => Some(n as usize),
                    _ => None,
                };
                let server_keep = match body {
                    Some(n) => {
                        sbuf.advance(rhead.len + n);
                        d.server_keep && !rinfo.server_close && sbuf.is_empty()
                    }
                    None => false,
                };
                return DownEnd::Replaced { msg, status, term, server_keep };
            }
        }
    }
    out.clear();
    let conn = if rinfo.tunnel { None } else { client_conn_value(keep, d.info.version, rhead.version) };
    let sent = msg::build_response(out, rhead, sbuf, &rinfo, conn);
    tx.bytes_out += received.unwrap_or(sent);
    sbuf.advance(rhead.len);
    // A body that came whole with the head leaves with it, in one write.
    let mut framing = rinfo.framing;
    if let Framing::Length(n) = framing {
        if sbuf.len() as u64 >= n && n <= 64 * 1024 {
            out.extend_from_slice(&sbuf[..n as usize]);
            sbuf.advance(n as usize);
            tx.bytes_out += n;
            framing = Framing::None;
        }
    }
    match tokio::time::timeout(d.t_client, cw.write_all(out)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            // HAProxy already took in what the server sent with the head.
            tx.bytes_out += body::buffered_size(framing, sbuf);
            return DownEnd::Cut { term: *b"CD--" };
        }
        Err(_) => return DownEnd::Cut { term: *b"cD--" },
    }
    p.head_sent.store(true, Relaxed);
    if rinfo.tunnel {
        return DownEnd::Tunnel;
    }
    let pace = Pace { src: d.t_server, dst: d.t_client, activity: None, clock: clock_ms };
    match body::forward(framing, sr, sbuf, cw, scratch, &pace, &mut tx.bytes_out).await {
        Ok(()) => {}
        Err(e) => {
            let term = match e {
                BodyError::SrcTimeout => *b"sD--",
                BodyError::DstFailed => *b"CD--",
                BodyError::DstTimeout => *b"cD--",
                _ => *b"SD--",
            };
            return DownEnd::Cut { term };
        }
    }
    let server_keep = d.server_keep && !rinfo.server_close && sbuf.is_empty();
    DownEnd::Done { server_keep, client_keep: keep }
}

//! The stats applet: a request under a proxy's `stats uri` is answered by haproxide itself,
//! as HAProxy 2.6 does after the proxy's `http-request` rules: `stats auth` with its 401, then
//! the CSV / JSON export or the HTML page (rendered by `crate::stats::page`), sent chunked with
//! HAProxy's headers; `stats admin` evaluated per request, and the admin form's POST read and
//! answered with HAProxy's 303 (the actions themselves in `crate::stats::admin`).

use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use super::body::{self, ChunkDecoder, Framing, Pace, Pass};
use super::msg::ReqInfo;
use super::parse::Version;
use super::txlog::Txn;
use super::{clock_ms, conn_mode, Conn, ConnMode, Next};
use crate::engine::backend::Backend;
use crate::ir::types::Proxy;
use crate::stats::html::StCode;
use crate::stats::page::{self, Query};
use crate::stats::{admin, Format};

/// How much of a request the admin POST may fill: tune.bufsize less tune.maxrewrite (HAProxy
/// answers EXCD beyond; the HTX overhead of the head is left out of the count).
fn post_room(c: &Conn) -> usize {
    let b = c.s.eng.buffers;
    (b.bufsize - b.maxrewrite) as usize
}

/// Does proxy `p` serve this request's path as its stats page? Returns the prefix length.
pub(crate) fn intercepts(c: &Conn, p: &Proxy) -> Option<usize> {
    if !p.stats.enabled || p.mode != crate::ir::types::Mode::Http {
        return None;
    }
    page::matches(&p.stats, path(&c.cbuf[c.head.uri.clone()]))
}

/// The path of a request target (an absolute URI loses its scheme and authority).
fn path(uri: &[u8]) -> &[u8] {
    if uri.first() == Some(&b'/') {
        return uri;
    }
    match uri.windows(3).position(|w| w == b"://") {
        Some(i) => {
            let rest = &uri[i + 3..];
            rest.iter().position(|&b| b == b'/').map(|j| &rest[j..]).unwrap_or(b"")
        }
        None => uri,
    }
}

/// HAProxy's 401 for `stats auth` and `http-request auth`, byte for byte.
pub(crate) fn unauthorized(realm: &str) -> Vec<u8> {
    const BODY: &str =
        "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"{realm}\"\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// The `user:pass` of a `Basic` Authorization header, read as HAProxy reads it for any
/// userlist (`stats auth` is one).
fn credentials(c: &Conn) -> Option<Vec<u8>> {
    match crate::acl::auth::parse_header(c.head.first(&c.cbuf, b"authorization")?)? {
        crate::acl::auth::Credentials::Basic { mut user, pass } => {
            user.push(b':');
            user.extend_from_slice(&pass);
            Some(user)
        }
        crate::acl::auth::Credentials::Bearer(_) => None,
    }
}

/// Answer the stats request. `p` is the proxy whose `stats` settings apply; `be` the backend
/// when that proxy is one (its counters see the response).
pub(crate) async fn serve(
    c: &mut Conn,
    info: &ReqInfo,
    tx: &mut Txn,
    p: &Proxy,
    prefix: usize,
    be: Option<Arc<Backend>>,
) -> Next {
    let fe = c.s.fe.clone();
    let spec = &p.stats;
    if be.is_none() || fe.spec.name == p.name {
        fe.counters.intercepted.inc();
    }
    // HAProxy's 401 is counted by the frontend only.
    if !spec.auth.is_empty() && !credentials(c).is_some_and(|cr| page::auth_ok(spec, &cr)) {
        let msg = unauthorized(page::realm(spec));
        return super::txn::answer(c, info, tx, &msg, 401, *b"PR--").await;
    }
    tx.backend = be.clone();
    if let Some(be) = &be {
        // The stats stream is a session of the proxy's backend side, already when it renders.
        be.counters.last_session.store(crate::engine::unix_now(), std::sync::atomic::Ordering::Relaxed);
    }
    let path = path(&c.cbuf[c.head.uri.clone()]);
    let rest = String::from_utf8_lossy(&path[prefix.min(path.len())..]).into_owned();
    let q: Query = page::parse_query(&rest, spec.refresh.is_some_and(|r| r > 0));
    let eng = c.s.eng.clone();
    let keep = info.keep_alive && conn_mode(&fe.spec) != ConnMode::Close;
    let granted = !spec.admin.is_empty() && super::rules::stats_admin(c, tx, be.as_deref(), fe.spec.name != p.name);
    if &c.cbuf[c.head.method.clone()] == b"POST" {
        return post(c, info, tx, spec, &q, be, granted, keep).await;
    }
    let (body, ctype) = match q.format {
        Some(Format::Json) => (page::export(&eng, spec, &q, &p.name), "application/json"),
        Some(_) => (page::export(&eng, spec, &q, &p.name), "text/plain"),
        None => (page::html_page(&eng, spec, &q, &p.name, granted), "text/html"),
    };
    let mut head = format!("HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: {ctype}\r\n");
    if let Some(r) = spec.refresh.filter(|r| *r > 0 && !q.no_refresh) {
        head.push_str(&format!("refresh: {r}\r\n"));
    }
    // HAProxy's H1 mux writes `connection: close` before the framing header for an HTTP/1.0
    // client, after it for an HTTP/1.1 one.
    let close = if keep { "" } else { "connection: close\r\n" };
    if info.method_head {
        head.push_str(close);
    } else if info.version == Version::Http10 {
        head.push_str(close);
        head.push_str("transfer-encoding: chunked\r\n");
    } else {
        head.push_str("transfer-encoding: chunked\r\n");
        head.push_str(close);
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if !info.method_head {
        if !body.is_empty() {
            out.extend_from_slice(format!("{:X}\r\n", body.len()).as_bytes());
            out.extend_from_slice(body.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    }
    count_in(c, tx, be.as_deref());
    c.consume_head();
    let ok = send(c, tx, &out, 200, be.as_deref()).await;
    if keep && ok && super::txn::skip_body(c, info).await {
        Next::KeepAlive
    } else {
        Next::Close
    }
}

fn count_in(c: &Conn, tx: &mut Txn, be: Option<&Backend>) {
    tx.bytes_in = c.head.len as u64;
    c.s.fe.counters.bytes_in.add(tx.bytes_in);
    if let Some(be) = be {
        be.counters.bytes_in.add(tx.bytes_in);
    }
}

/// Write the applet's answer and count it; whether the write went through.
async fn send(c: &mut Conn, tx: &mut Txn, out: &[u8], status: u16, be: Option<&Backend>) -> bool {
    tx.status = i32::from(status);
    tx.term = *b"LR--";
    let ok = matches!(tokio::time::timeout(c.t_client, c.client.write_all(out)).await, Ok(Ok(())));
    tx.bytes_out = out.len() as u64;
    let fe = &c.s.fe;
    fe.counters.http.record(status);
    fe.counters.bytes_out.add(tx.bytes_out);
    // The backend side counts the bytes, not the status (as HAProxy's applet does).
    if let Some(be) = be {
        be.counters.bytes_out.add(tx.bytes_out);
    }
    ok
}

/// A POST to the stats page: with the admin level, the form's actions, then HAProxy's 303
/// back to the page with the result code; without it, the 303 says DENY.
#[allow(clippy::too_many_arguments)]
async fn post(
    c: &mut Conn,
    info: &ReqInfo,
    tx: &mut Txn,
    spec: &crate::ir::types::StatsSpec,
    q: &Query,
    be: Option<Arc<Backend>>,
    granted: bool,
    keep: bool,
) -> Next {
    count_in(c, tx, be.as_deref());
    let head_len = c.head.len;
    c.consume_head();
    let (code, body_ok) = if !granted {
        (StCode::Deny, super::txn::skip_body(c, info).await)
    } else {
        match read_form(c, info, post_room(c).saturating_sub(head_len)).await {
            Ok(form) => {
                let eng = c.s.eng.clone();
                let code = match admin::parse_post(&form, &|b| eng.backend(b).is_some()) {
                    Ok(p) => admin::apply(&eng, &p),
                    Err(code) => code,
                };
                (code, true)
            }
            Err(Some(code)) => (code, true),
            Err(None) => (StCode::Excd, false),
        }
    };
    let mut msg = admin::redirect(page::uri_prefix(spec), code, q.hide_down, q.no_refresh);
    let keep = keep && body_ok;
    if !keep {
        msg.push_str("connection: close\r\n");
    }
    msg.push_str("\r\n");
    let ok = send(c, tx, msg.as_bytes(), 303, be.as_deref()).await;
    if keep && ok {
        Next::KeepAlive
    } else {
        Next::Close
    }
}

/// Read the whole request body, at most `room` bytes. `Err(Some(EXCD))`: too big, but read
/// past; `Err(None)`: the body could not be read.
async fn read_form(c: &mut Conn, info: &ReqInfo, room: usize) -> Result<Vec<u8>, Option<StCode>> {
    let framing = info.framing.unwrap_or(Framing::None);
    if let Framing::Length(n) = framing {
        if n > room as u64 {
            return Err(super::txn::skip_body(c, info).await.then_some(StCode::Excd));
        }
    }
    let pace = Pace { src: c.t_client, dst: c.t_client, activity: None, clock: clock_ms };
    let mut raw: Vec<u8> = Vec::new();
    let mut n = 0;
    body::forward(framing, &mut c.client, &mut c.cbuf, &mut raw, &mut c.up, &pace, &mut n).await.map_err(|_| None)?;
    if framing == Framing::Chunked {
        // `forward` wrote the chunks re-encoded: take the payload back out of them.
        let mut pass = Pass::default();
        ChunkDecoder::default().scan(&raw, &mut pass).map_err(|_| None)?;
        raw = pass.data.iter().flat_map(|r| raw[r.clone()].iter().copied()).collect();
    }
    if raw.len() > room {
        return Err(Some(StCode::Excd));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(path(b"/haproxy?stats"), b"/haproxy?stats");
        assert_eq!(path(b"http://h:80/stats;csv"), b"/stats;csv");
        assert_eq!(path(b"http://h"), b"");
        let m = unauthorized("My Realm");
        let s = String::from_utf8(m).unwrap();
        assert!(s.starts_with("HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\n"), "{s}");
        assert!(s.contains("www-authenticate: Basic realm=\"My Realm\"\r\n\r\n<html>"));
    }
}

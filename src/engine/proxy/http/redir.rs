//! Server `redir <prefix>`: a GET or HEAD request given to such a server is not sent to it;
//! the client gets HAProxy's 302 to the prefix followed by the request's path, and the
//! connection closes. Other methods go to the server as usual.

use std::sync::Arc;
use std::time::Duration;

use super::msg::ReqInfo;
use super::txlog::Txn;
use super::{Conn, Next};
use crate::engine::backend::{Backend, Server};

/// Does this request go to `srv` as a redirect rather than a connection?
pub(super) fn applies(srv: &Server, get_or_head: bool) -> bool {
    get_or_head && srv.spec.opts.redir.is_some()
}

/// The path part of a request target: an absolute URI loses its scheme and authority.
fn path_of(uri: &[u8]) -> &[u8] {
    if uri.first() == Some(&b'/') {
        return uri;
    }
    match uri.windows(3).position(|w| w == b"://") {
        Some(i) => {
            let rest = &uri[i + 3..];
            rest.iter().position(|&b| b == b'/').map_or(&b"/"[..], |p| &rest[p..])
        }
        None => uri,
    }
}

/// HAProxy's response: a prefix of just `/` adds nothing before the path. Its
/// `connection: close` is part of the message (counted in the bytes logged).
pub(super) fn response(prefix: &str, uri: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: ".to_vec();
    if prefix != "/" {
        out.extend_from_slice(prefix.as_bytes());
    }
    out.extend_from_slice(path_of(uri));
    out.extend_from_slice(b"\r\nconnection: close\r\n\r\n");
    out
}

/// Answer with the redirect for `srv`, which the balancer (or persistence: `direct`) chose and
/// whose slot is taken; counted on the server as a session without a connection, logged `LC`.
pub(super) async fn redirect(
    c: &mut Conn,
    be: &Arc<Backend>,
    srv: Arc<Server>,
    t_queue: Duration,
    direct: bool,
    info: &ReqInfo,
    tx: &mut Txn,
) -> Next {
    let raw = response(srv.spec.opts.redir.as_deref().unwrap_or(""), &c.cbuf[c.head.uri.clone()]);
    // A session for stot, rate and lastsess, but never a current one (scur, smax).
    crate::engine::proxy::session_started(&srv.counters);
    srv.counters.redirected.inc();
    be.counters.redirected.inc();
    if !direct {
        srv.counters.lb_total.inc();
        be.counters.lb_total.inc();
    }
    tx.server = Some(srv.clone());
    tx.t_queue = t_queue.as_millis() as i64;
    tx.status = 302;
    tx.term = *b"LC--";
    tx.bytes_in = super::txn::received_size(c, info);
    c.consume_head();
    let (n, _) = super::txn::send_reply(c, &raw, false, info, tx).await;
    tx.bytes_out = n;
    be.release(&srv);
    srv.counters.bytes_in.add(tx.bytes_in);
    srv.counters.bytes_out.add(tx.bytes_out);
    Next::Close
}

#[cfg(test)]
mod tests {
    use super::response;

    fn text(prefix: &str, uri: &str) -> String {
        String::from_utf8(response(prefix, uri.as_bytes())).unwrap()
    }

    #[test]
    fn location_is_the_prefix_and_the_path() {
        let head = "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: ";
        let tail = "\r\nconnection: close\r\n\r\n";
        assert_eq!(text("http://img.example.com", "/a/b?x=1"), format!("{head}http://img.example.com/a/b?x=1{tail}"));
        // Measured on HAProxy 2.6: a lone `/` adds nothing, a trailing one doubles.
        assert_eq!(text("/", "/a"), format!("{head}/a{tail}"));
        assert_eq!(text("http://x/", "/a"), format!("{head}http://x//a{tail}"));
        assert_eq!(text("http://y", "http://foo.bar/abs?q"), format!("{head}http://y/abs?q{tail}"));
    }
}

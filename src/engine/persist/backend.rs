//! What a backend keeps for persistence, compiled when the engine starts (its `cookie` line,
//! each server's cookie value, explicit or `dynamic`, its `force-persist` / `ignore-persist`
//! rules), and the two cookie steps of an HTTP transaction on top of the pure [`cookie`] core:
//! the request's `Cookie` headers (which server, what the server gets to see) and the
//! response's `Set-Cookie` headers with the cookie HAProxy inserts and its `Cache-control`.
//!
//! [`cookie`]: super::cookie

use arc_swap::ArcSwap;
use bytes::BytesMut;

use super::cookie::{Capture, CkServer, CookieConf, CookieTxn, Fate, Flags, Request, Response};
use crate::acl::Condition;
use crate::engine::backend::Backend;
use crate::engine::proxy::http::parse::Head;
use crate::engine::rules::edit::{commit, Parts};
use crate::engine::rules::source::Stream;
use crate::ir::types::{Config, Proxy};

/// A backend's persistence settings, built once.
#[derive(Default)]
pub struct BackendPersist {
    /// The `cookie` line, in HTTP mode only (HAProxy ignores it in TCP mode).
    pub cookie: Option<CookieConf>,
    /// The cookie of each configured server, in order. Swapped when `set server addr` changes
    /// the address a `dynamic` cookie is computed from, or the runtime API changes the key or
    /// turns dynamic cookies on or off.
    pub server_cookies: ArcSwap<Vec<Option<Vec<u8>>>>,
    /// `dynamic-cookie-key` (also settable at run time).
    dynamic_key: parking_lot::Mutex<Option<String>>,
    /// Dynamic cookies are on (`cookie ... dynamic`, or `enable dynamic-cookie backend`).
    dynamic_on: std::sync::atomic::AtomicBool,
    /// Servers with a `cookie` of their own (never replaced by a dynamic one).
    explicit: Vec<bool>,
    /// `force-persist` (true) / `ignore-persist` (false) rules in order.
    pub rules: Vec<(Option<Condition>, bool)>,
    /// `option persist`.
    pub persist: bool,
}

impl BackendPersist {
    pub fn build(cfg: &Config, p: &Proxy) -> BackendPersist {
        let http = p.mode == crate::ir::types::Mode::Http;
        let cookie = p.cookie.as_ref().filter(|_| http).map(CookieConf::from_ir);
        let dynamic_on = cookie.as_ref().is_some_and(|c| c.dynamic);
        let dynamic_key = p.dynamic_cookie_key.as_deref().filter(|_| dynamic_on);
        let server_cookies: Vec<Option<Vec<u8>>> = p
            .servers
            .iter()
            .map(|s| match (&s.opts.cookie, dynamic_key) {
                (Some(c), _) => Some(c.as_bytes().to_vec()),
                (None, Some(key)) => {
                    // HAProxy hashes the service port, 0 when the server has none.
                    let ip = s.addr.ip()?;
                    Some(super::cookie::dynamic_cookie(key, ip, s.addr.fixed_port().unwrap_or(0)).into_bytes())
                }
                (None, None) => None,
            })
            .collect();
        let conds: Vec<(u32, Option<&crate::ir::types::Condition>)> =
            p.persist_rules.iter().map(|r| (r.span.line, r.cond.as_ref())).collect();
        let (compiled, _) = crate::ir::validate::persist::conditions(cfg, p, &conds);
        let rules = p
            .persist_rules
            .iter()
            .zip(compiled)
            .map(|(r, c)| (c, r.words.first().is_some_and(|w| w == "force-persist")))
            .collect();
        BackendPersist {
            cookie,
            server_cookies: ArcSwap::from_pointee(server_cookies),
            dynamic_key: parking_lot::Mutex::new(p.dynamic_cookie_key.clone()),
            dynamic_on: std::sync::atomic::AtomicBool::new(dynamic_on),
            explicit: p.servers.iter().map(|s| s.opts.cookie.is_some()).collect(),
            rules,
            persist: p.options.is_on("persist"),
        }
    }

    /// A server's address changed at run time: its `dynamic` cookie follows, as HAProxy's
    /// `srv_set_dyncookie` does (`port` is the service port, 0 when the server has none).
    pub fn address_changed(&self, idx: usize, ip: std::net::IpAddr, port: u16) {
        let key = self.dynamic_key.lock();
        let Some(key) = key.as_deref().filter(|_| self.dynamic_on.load(std::sync::atomic::Ordering::Relaxed)) else {
            return;
        };
        if self.explicit.get(idx).copied().unwrap_or(true) {
            return;
        }
        let mut cookies = Vec::clone(&self.server_cookies.load());
        cookies[idx] = Some(super::cookie::dynamic_cookie(key, ip, port).into_bytes());
        self.server_cookies.store(std::sync::Arc::new(cookies));
    }

    /// `set dynamic-cookie-key backend`: the new key, and every server's dynamic cookie
    /// recomputed from its current address (`addrs`: ip and service port, in server order).
    pub fn set_dynamic_key(&self, key: &str, addrs: &[Option<(std::net::IpAddr, u16)>]) {
        *self.dynamic_key.lock() = Some(key.to_string());
        self.recompute(addrs);
    }

    /// `enable|disable dynamic-cookie backend`: on, every server without a cookie of its own
    /// gets its dynamic one (if there is a key); off, they lose it.
    pub fn set_dynamic(&self, on: bool, addrs: &[Option<(std::net::IpAddr, u16)>]) {
        self.dynamic_on.store(on, std::sync::atomic::Ordering::Relaxed);
        self.recompute(addrs);
    }

    /// HAProxy's `srv_set_dyncookie` on every server (or, dynamic cookies off, their removal).
    fn recompute(&self, addrs: &[Option<(std::net::IpAddr, u16)>]) {
        let key = self.dynamic_key.lock();
        let on = self.dynamic_on.load(std::sync::atomic::Ordering::Relaxed);
        let mut cookies = Vec::clone(&self.server_cookies.load());
        for (i, c) in cookies.iter_mut().enumerate() {
            if self.explicit.get(i).copied().unwrap_or(true) {
                continue;
            }
            if !on {
                *c = None;
            } else if let (Some(key), Some(Some((ip, port)))) = (key.as_deref(), addrs.get(i)) {
                *c = Some(super::cookie::dynamic_cookie(key, *ip, *port).into_bytes());
            }
        }
        self.server_cookies.store(std::sync::Arc::new(cookies));
    }

    /// The first `force-persist` / `ignore-persist` rule that matches sets its flag.
    pub fn rule_flags(&self, s: &Stream<'_>) -> Flags {
        let mut f = Flags::default();
        for (cond, force) in &self.rules {
            if cond.as_ref().is_none_or(|c| c.eval(s)) {
                if *force {
                    f.force = true;
                } else {
                    f.ignore = true;
                }
                break;
            }
        }
        f
    }
}

fn cookie_of(cookies: &[Option<Vec<u8>>], idx: usize) -> Option<&[u8]> {
    cookies.get(idx).and_then(|c| c.as_deref())
}

/// Wall-clock seconds, as HAProxy's `date.tv_sec`.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Apply per-header fates to the headers of `head` named `name` and rebuild the head if one
/// changed. `fates` are in header order for the matching headers.
fn apply(head: &mut Head, buf: &mut BytesMut, name: &[u8], fates: &[Fate], add: &[(&[u8], &[u8])], response: bool) {
    if fates.iter().all(|f| *f == Fate::Keep) && add.is_empty() {
        return;
    }
    let mut parts = Parts::of(head, buf, response);
    let mut k = 0;
    let mut out = Vec::with_capacity(parts.headers.len() + add.len());
    for (n, v) in parts.headers.drain(..) {
        if n.eq_ignore_ascii_case(name) {
            let f = fates.get(k).cloned().unwrap_or(Fate::Keep);
            k += 1;
            match f {
                Fate::Keep => out.push((n, v)),
                Fate::Remove => {}
                Fate::Set(nv) => out.push((n, nv)),
            }
        } else {
            out.push((n, v));
        }
    }
    for (n, v) in add {
        out.push((n.to_vec(), v.to_vec()));
    }
    parts.headers = out;
    commit(&parts, head, buf, response);
}

/// The request's `Cookie` headers (`http_manage_client_side_cookies`): sets the server the
/// cookie designates in `flags`, edits the headers the server will get, and takes the
/// frontend's `capture cookie` (`%CC`).
pub fn request(
    bp: &BackendPersist,
    be: &Backend,
    head: &mut Head,
    buf: &mut BytesMut,
    flags: &mut Flags,
    txn: &mut CookieTxn,
    capture: Option<&Capture>,
) {
    let conf = bp.cookie.as_ref();
    if conf.is_none() && capture.is_none() {
        return;
    }
    if !head.headers.iter().any(|h| buf[h.name.clone()].eq_ignore_ascii_case(b"cookie")) {
        return;
    }
    let cookies = bp.server_cookies.load();
    let servers: Vec<CkServer<'_>> = be.with_states(|states| {
        (0..be.servers.len())
            .map(|i| {
                let gone = be.is_deleted(i);
                let running = !gone
                    && states.get(i).is_some_and(|s| !s.in_maint() && s.op != crate::engine::state::OpState::Stopped);
                CkServer { cookie: if gone { None } else { cookie_of(&cookies, i) }, running }
            })
            .collect()
    });
    let req = Request { conf, capture, servers: &servers, persist: bp.persist, now: now_secs() };
    let fates: Vec<Fate> = head
        .headers
        .iter()
        .filter(|h| buf[h.name.clone()].eq_ignore_ascii_case(b"cookie"))
        .map(|h| req.header(&buf[h.value.clone()], flags, txn))
        .collect();
    apply(head, buf, b"cookie", &fates, &[], false);
}

/// The response's `Set-Cookie` headers and the cookie HAProxy inserts
/// (`http_manage_server_side_cookies`, the cacheability check, the insertion).
/// `server`: index of the server that answered; `capture`: the frontend's `capture cookie`
/// (`%CS`).
#[allow(clippy::too_many_arguments)]
pub fn response(
    bp: &BackendPersist,
    server: Option<usize>,
    post: bool,
    flags: &Flags,
    txn: &mut CookieTxn,
    head: &mut Head,
    buf: &mut BytesMut,
    capture: Option<&Capture>,
) {
    let conf = bp.cookie.as_ref();
    if conf.is_none() && capture.is_none() {
        return;
    }
    if head.status < 200 {
        return;
    }
    let cookies = bp.server_cookies.load();
    let resp = Response { conf, capture, server: server.map(|i| cookie_of(&cookies, i)), now: now_secs(), post };
    let fates: Vec<Fate> = head
        .headers
        .iter()
        .filter(|h| buf[h.name.clone()].eq_ignore_ascii_case(b"set-cookie"))
        .map(|h| resp.set_cookie(&buf[h.value.clone()], flags, txn))
        .collect();
    if conf.is_some_and(|c| c.noc) {
        let b: &[u8] = buf;
        let hs = head.headers.iter().map(|h| (&b[h.name.clone()], &b[h.value.clone()]));
        Response::check_cacheability(head.status, hs, txn);
    }
    let inserted = resp.insert(flags, txn);
    let mut add: Vec<(&[u8], &[u8])> = Vec::new();
    if let Some((v, private)) = &inserted {
        add.push((b"Set-Cookie", v));
        if *private {
            add.push((b"Cache-control", b"private"));
        }
    }
    apply(head, buf, b"set-cookie", &fates, &add, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &[u8], response: bool) -> (Head, BytesMut) {
        let mut buf = BytesMut::from(raw);
        let mut head = Head::default();
        let r = if response {
            crate::engine::proxy::http::parse::parse_response(&mut buf, &mut head)
        } else {
            crate::engine::proxy::http::parse::parse_request(&mut buf, &mut head)
        };
        assert_eq!(r, Ok(true));
        (head, buf)
    }

    fn conf(line: &str) -> BackendPersist {
        built(&format!("{line}\n server a 127.0.0.1:1 cookie a\n server b 127.0.0.1:2 cookie b"))
    }

    fn built(backend_body: &str) -> BackendPersist {
        let text = format!("defaults\n mode http\nbackend be\n {backend_body}\n");
        let src = crate::config::parse::Source { name: "t.cfg".into(), text: text.into_bytes() };
        let mut diags = crate::config::diag::Diags::default();
        let mut cfg = crate::ir::lower::lower(&crate::config::parse::parse(&[src]), &mut diags).config;
        crate::ir::validate::validate(&mut cfg, &mut diags);
        assert!(!diags.has_errors());
        let p = cfg.proxies.iter().find(|p| p.name == "be").expect("be");
        BackendPersist::build(&cfg, p)
    }

    #[test]
    fn dynamic_cookies_follow_address_changes() {
        let bp = built(
            "cookie SRV insert dynamic\n dynamic-cookie-key MYKEY\n server a 127.0.0.1:21081\n server b 127.0.0.1:2 cookie b",
        );
        let cookie = |bp: &BackendPersist, i: usize| {
            cookie_of(&bp.server_cookies.load(), i).map(|c| String::from_utf8_lossy(c).into_owned())
        };
        assert_eq!(cookie(&bp, 0).as_deref(), Some("151c21e4566f2842"));
        let ip = "127.0.0.1".parse().unwrap();
        bp.address_changed(0, ip, 21082);
        bp.address_changed(1, ip, 21082);
        assert_eq!(cookie(&bp, 0).as_deref(), Some("8c862b8f8bbfe911"));
        // A server's own cookie is kept.
        assert_eq!(cookie(&bp, 1).as_deref(), Some("b"));
        // Without `dynamic` nothing is computed.
        let plain = conf("cookie SRV insert");
        plain.address_changed(0, ip, 21082);
        assert_eq!(cookie(&plain, 0).as_deref(), Some("a"));
        // The runtime API: off drops dynamic cookies only, a new key recomputes them from the
        // addresses given, on brings them back.
        let addrs = [Some((ip, 21082)), Some((ip, 2))];
        bp.set_dynamic(false, &addrs);
        assert_eq!((cookie(&bp, 0), cookie(&bp, 1).as_deref()), (None, Some("b")));
        bp.set_dynamic_key("MYKEY", &addrs);
        assert_eq!(cookie(&bp, 0), None);
        bp.set_dynamic(true, &addrs);
        assert_eq!(cookie(&bp, 0).as_deref(), Some("8c862b8f8bbfe911"));
        bp.set_dynamic_key("OTHER", &addrs);
        assert_ne!(cookie(&bp, 0).as_deref(), Some("8c862b8f8bbfe911"));
        assert_eq!(cookie(&bp, 1).as_deref(), Some("b"));
    }

    #[test]
    fn response_inserts_cookie_and_private() {
        let bp = conf("cookie SRV insert indirect nocache");
        // Cacheable (fresh): the inserted cookie comes with `Cache-control: private`.
        let (mut head, mut buf) = parsed(b"HTTP/1.1 200 OK\r\nexpires: x\r\n\r\n", true);
        let mut txn = CookieTxn::new(b"GET");
        response(&bp, Some(1), false, &Flags::default(), &mut txn, &mut head, &mut buf, None);
        let want = b"HTTP/1.1 200 OK\r\nexpires: x\r\nSet-Cookie: SRV=b; path=/\r\nCache-control: private\r\n\r\n";
        assert_eq!(&buf[..], &want[..]);
        assert_eq!(txn.tsc(bp.cookie.as_ref()), *b"NI");
        // Not cacheable (no validator, no freshness): no Cache-control added.
        let (mut head, mut buf) = parsed(b"HTTP/1.1 200 OK\r\n\r\n", true);
        let mut txn = CookieTxn::new(b"GET");
        response(&bp, Some(0), false, &Flags::default(), &mut txn, &mut head, &mut buf, None);
        assert_eq!(&buf[..], &b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=a; path=/\r\n\r\n"[..]);
    }

    #[test]
    fn response_untouched_for_direct_request() {
        let bp = conf("cookie SRV insert indirect nocache");
        let raw = b"HTTP/1.1 200 OK\r\nset-cookie: SRV=x\r\nset-cookie: other=1\r\n\r\n";
        let (mut head, mut buf) = parsed(raw, true);
        let mut txn = CookieTxn::new(b"GET");
        let flags = Flags { direct: true, assigned: Some(0), ..Default::default() };
        response(&bp, Some(0), false, &flags, &mut txn, &mut head, &mut buf, None);
        // The server's own SRV cookie goes (insert), the other one stays; nothing inserted.
        assert_eq!(&buf[..], &b"HTTP/1.1 200 OK\r\nset-cookie: other=1\r\n\r\n"[..]);
    }

    #[test]
    fn rule_flags_first_match_wins() {
        let bp = conf("force-persist if TRUE\n ignore-persist if TRUE");
        assert_eq!(bp.rules.len(), 2);
        assert!(bp.rules[0].1 && !bp.rules[1].1);
    }
}

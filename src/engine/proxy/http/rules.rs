//! Where the HTTP path runs rules, in HAProxy's order: `tcp-request content` on each request,
//! `monitor-uri` with `monitor fail`, the frontend's `http-request` then `redirect` rules, the
//! backend choice (`use_backend`, `default_backend`), the backend's own rules, `use-server`; on
//! the way back `http-response` (backend, then frontend) and `http-after-response` rules, the
//! latter on the proxy's own responses too. Answers rules produce are sent like every reply of
//! the proxy, logged with HAProxy's termination flags and counted (dreq, dresp, intercepted).

use std::sync::Arc;

use bytes::BytesMut;

use super::body::{ChunkDecoder, Framing};
use super::msg::ReqInfo;
use super::parse::Head;
use super::txlog::Txn;
use super::Conn;
use crate::engine::backend::{Backend, Server};
use crate::engine::rules::{self, exec, vars::Vars, Msg, Verdict};
use crate::engine::stick::rules::Pending;
use crate::engine::{Engine, Frontend};
use crate::ir::rules::{ActionRule, Redirect};
use crate::ir::types::Proxy;

/// Is the request body all in the buffer (HAProxy's `HTTP_MSG_DONE` when it answers)?
pub(crate) fn body_complete(info: &ReqInfo, rest: &[u8]) -> bool {
    match info.framing.unwrap_or(Framing::None) {
        Framing::None => true,
        Framing::Length(n) => rest.len() as u64 >= n,
        Framing::Chunked => {
            let mut d = ChunkDecoder::default();
            let mut b = BytesMut::from(rest);
            d.decode(&mut b, None).is_ok() && d.done()
        }
        Framing::UntilClose => false,
    }
}

/// What request processing decided.
pub(crate) enum Decision {
    /// Go on with this backend.
    Forward(Arc<Backend>),
    /// The proxy answers this message itself (status, HAProxy's termination flags).
    Answer { msg: Vec<u8>, status: u16, term: [u8; 4] },
    /// `tarpit`: this answer once `delay` has passed.
    Tarpit { msg: Vec<u8>, status: u16, delay: std::time::Duration },
    /// Close the connection without answering (`reject`).
    Reject,
    /// Drop the client connection without a packet (`silent-drop`).
    SilentDrop,
    /// No backend: the 503 of the path.
    NoBackend,
    /// The stats page of proxy `spec` (its URI prefix is `prefix` bytes long); `be`: that
    /// proxy's backend side, if it has one.
    Stats { spec: Arc<Proxy>, prefix: usize, be: Option<Arc<Backend>> },
}

fn ctx<'a>(c: &'a mut Conn, tx: &'a mut Txn, be: Option<&'a Backend>) -> (exec::Ctx<'a>, Msg<'a>) {
    let Conn { s, head, cbuf, sess_vars, .. } = c;
    let cx = exec::Ctx {
        eng: &s.eng,
        fe: &s.fe,
        be,
        client: s.client,
        local: s.local,
        sess: sess_vars,
        txn: &mut tx.vars,
        payload: Default::default(),
    };
    (cx, Msg { head, buf: cbuf, response: false })
}

/// HAProxy's counters for a request the rules answered or refused.
fn count_denied(fe: &Frontend, be: Option<&Backend>) {
    fe.counters.denied_req.inc();
    if let Some(b) = be {
        b.counters.denied_req.inc();
    }
}

/// Turn a verdict of request rules into a decision (`None`: go on).
fn decide(
    v: Verdict<'_>,
    c: &Conn,
    info: &ReqInfo,
    tx: &Txn,
    proxy_fe: &Proxy,
    be: Option<&Backend>,
) -> Option<Decision> {
    let stream = |f: &dyn Fn(&rules::source::Stream<'_>) -> Vec<u8>| {
        let s = rules::source::Stream {
            eng: &c.s.eng,
            fe: &c.s.fe,
            be,
            client: c.s.client,
            local: c.s.local,
            req: Some(rules::source::HeadView { head: &c.head, buf: &c.cbuf }),
            res: None,
            response: false,
            sess: &c.sess_vars,
            txn: &tx.vars,
            payload: Default::default(),
            session_only: false,
        };
        f(&s)
    };
    let be_spec = be.map(|b| &*b.spec);
    match v {
        // Content inspection waits only in TCP mode.
        // `auth` is answered by the caller, which knows the rules' proxy.
        Verdict::Continue | Verdict::Missing | Verdict::Auth(_) => None,
        Verdict::Deny(rep) => {
            count_denied(&c.s.fe, be);
            let msg = stream(&|s| rules::reply::reply_message(rep, s, proxy_fe, be_spec));
            Some(Decision::Answer { msg, status: rep.status, term: *b"PR--" })
        }
        Verdict::Tarpit(rep) => {
            count_denied(&c.s.fe, be);
            let msg = stream(&|s| rules::reply::reply_message(rep, s, proxy_fe, be_spec));
            // The rules' proxy's `timeout tarpit`, else its `timeout connect` (HAProxy's
            // historical inheritance), else at once.
            let t = &be_spec.unwrap_or(proxy_fe).timeouts;
            let delay = std::time::Duration::from_millis(u64::from(t.tarpit.or(t.connect).unwrap_or(0)));
            Some(Decision::Tarpit { msg, status: rep.status, delay })
        }
        Verdict::Return(rep) => {
            if be.is_none() {
                c.s.fe.counters.intercepted.inc();
            }
            let msg = stream(&|s| rules::reply::reply_message(rep, s, proxy_fe, be_spec));
            Some(Decision::Answer { msg, status: rep.status, term: *b"LR--" })
        }
        Verdict::Redirect(rd, loc) => Some(redirect_answer(c, info, rd, &loc, be.is_none())),
        Verdict::Reject | Verdict::SilentDrop => {
            let silent = matches!(v, Verdict::SilentDrop);
            count_denied(&c.s.fe, be);
            if be.is_none() {
                // A listen section's frontend rules run with the section as the stream's
                // backend already: HAProxy counts a reject there too (not a deny).
                if let Some(own) = super::txn::own_backend(c, tx) {
                    own.counters.denied_req.inc();
                }
            }
            Some(if silent { Decision::SilentDrop } else { Decision::Reject })
        }
        Verdict::Close => Some(Decision::Reject),
        Verdict::Error => {
            c.s.fe.counters.internal_errors.inc();
            let msg = stream(&|s| rules::reply::error_message(proxy_fe, be_spec, 500, s));
            Some(Decision::Answer { msg, status: 500, term: *b"PR--" })
        }
    }
}

/// `http-request auth`: HAProxy's 401, logged `LR--` like the other answers of the rules;
/// HAProxy counts it as an HTTP error on the tracked stick counters, and as intercepted when
/// the frontend's rules gave it.
fn auth_answer(c: &Conn, tx: &Txn, realm: &str, from_frontend: bool) -> Decision {
    if from_frontend {
        c.s.fe.counters.intercepted.inc();
    }
    tx.vars.stk.http_status(Some(&c.sess_vars.stk), 401, crate::engine::stick::now_ms());
    Decision::Answer { msg: super::stats::unauthorized(realm), status: 401, term: *b"LR--" }
}

fn redirect_answer(c: &Conn, info: &ReqInfo, rd: &Redirect, loc: &[u8], from_frontend: bool) -> Decision {
    if from_frontend {
        c.s.fe.counters.intercepted.inc();
    }
    // HAProxy puts `Connection: close` in the message itself when the body is not all in.
    let close = !body_complete(info, &c.cbuf[c.head.len..]);
    let msg = rules::reply::redirect_message(rd, loc, close);
    Decision::Answer { msg, status: rd.code, term: *b"LR--" }
}

/// One proxy's request processing (`http_process_req_common`): its http-request rules, then
/// its redirect rules. `be`: the backend when these are a backend's rules.
fn proxy_rules(c: &mut Conn, info: &ReqInfo, tx: &mut Txn, p: &Proxy, be: Option<&Arc<Backend>>) -> Option<Decision> {
    if !p.http_request.is_empty() {
        let be_ref = be.map(|b| &**b);
        let (mut cx, msg) = ctx(c, tx, be_ref);
        let v = rules::run(&mut cx, &p.http_request, Some(msg));
        if let Verdict::Auth(realm) = v {
            return Some(auth_answer(c, tx, realm.unwrap_or(&p.name), be.is_none()));
        }
        let fe_spec = c.s.fe.spec.clone();
        if let Some(d) = decide(v, c, info, tx, &fe_spec, be_ref) {
            return Some(d);
        }
    }
    if !p.redirects.is_empty() {
        let be_ref = be.map(|b| &**b);
        let found = {
            let Conn { s, head, cbuf, sess_vars, .. } = &mut *c;
            let cx = exec::Ctx {
                eng: &s.eng,
                fe: &s.fe,
                be: be_ref,
                client: s.client,
                local: s.local,
                sess: sess_vars,
                txn: &mut tx.vars,
                payload: Default::default(),
            };
            exec::redirects(&cx, &p.redirects, head, cbuf).map(|(rd, loc)| (rd.clone(), loc))
        };
        if let Some((rd, loc)) = found {
            return Some(redirect_answer(c, info, &rd, &loc, be.is_none()));
        }
    }
    None
}

/// Everything between the parsed request and the server connection.
pub(crate) fn process_request(c: &mut Conn, info: &mut ReqInfo, tx: &mut Txn) -> Decision {
    let fe = c.s.fe.clone();
    let fe_spec = fe.spec.clone();
    // Rewrites work on the request as HAProxy stored it: default ports already gone.
    if (info.uri_cut.is_some() || info.host_cut.is_some()) && may_edit(&fe_spec) {
        rewrite_head(c, info, |_| {});
    }
    if let Some(d) = proxy_rules(c, info, tx, &fe_spec, None) {
        return d;
    }
    if let Some(prefix) = super::stats::intercepts(c, &fe_spec) {
        let be = if fe_spec.caps.backend { c.s.eng.backend(&fe_spec.name).cloned() } else { None };
        return Decision::Stats { spec: fe_spec, prefix, be };
    }
    let Some(be) = choose_backend(c, tx) else { return Decision::NoBackend };
    if be.spec.name != fe_spec.name || !fe_spec.caps.backend {
        if !be.spec.tcp_request_content.is_empty() {
            let v = {
                let (mut cx, msg) = ctx(c, tx, Some(&be));
                let v = rules::run(&mut cx, &be.spec.tcp_request_content, Some(msg));
                matches!(v, Verdict::Reject | Verdict::Close)
            };
            if v {
                count_denied(&fe, Some(&be));
                // HAProxy counts the request on the backend once it is assigned.
                be.counters.requests.inc();
                tx.backend = Some(be);
                return Decision::Reject;
            }
        }
        if (info.uri_cut.is_some() || info.host_cut.is_some()) && may_edit(&be.spec) {
            rewrite_head(c, info, |_| {});
        }
        let be_spec = be.spec.clone();
        if let Some(d) = proxy_rules(c, info, tx, &be_spec, Some(&be)) {
            be.counters.requests.inc();
            tx.backend = Some(be);
            return d;
        }
        if let Some(prefix) = super::stats::intercepts(c, &be_spec) {
            return Decision::Stats { spec: be_spec, prefix, be: Some(be) };
        }
    }
    Decision::Forward(be)
}

fn may_edit(p: &Proxy) -> bool {
    use crate::ir::rules::Action::*;
    p.http_request.iter().any(|r| {
        matches!(
            r.action,
            SetHeader { .. } | DelHeader { .. } | ReplaceHeader { .. } | SetLine { .. } | ReplaceLine { .. }
        )
    })
}

/// Take the default ports out of the URI and Host for good (the rewrite that follows rebuilds
/// the head from its parts), with `edit`'s changes to the head made in the same rebuild.
pub(crate) fn rewrite_head(c: &mut Conn, info: &mut ReqInfo, edit: impl FnOnce(&mut rules::edit::Parts)) {
    let mut parts = rules::edit::Parts::of(&c.head, &c.cbuf, false);
    let cut = |v: &[u8], base: usize, cut: &Option<std::ops::Range<usize>>| -> Vec<u8> {
        match cut {
            Some(r) if r.start >= base && r.end <= base + v.len() => {
                let mut o = v[..r.start - base].to_vec();
                o.extend_from_slice(&v[r.end - base..]);
                o
            }
            _ => v.to_vec(),
        }
    };
    parts.line[1] = cut(&c.cbuf[c.head.uri.clone()], c.head.uri.start, &info.uri_cut);
    if let Some(i) = c.head.headers.iter().position(|h| h.kind == super::parse::Kind::Host) {
        let h = &c.head.headers[i];
        parts.headers[i].1 = cut(&c.cbuf[h.value.clone()], h.value.start, &info.host_cut);
    }
    edit(&mut parts);
    if rules::edit::commit(&parts, &mut c.head, &mut c.cbuf, false) {
        info.uri_cut = None;
        info.host_cut = None;
    }
}

pub(crate) fn stream<'a>(c: &'a Conn, tx: &'a Txn, be: Option<&'a Backend>) -> rules::source::Stream<'a> {
    rules::source::Stream {
        eng: &c.s.eng,
        fe: &c.s.fe,
        be,
        client: c.s.client,
        local: c.s.local,
        req: Some(rules::source::HeadView { head: &c.head, buf: &c.cbuf }),
        res: None,
        response: false,
        sess: &c.sess_vars,
        txn: &tx.vars,
        payload: Default::default(),
        session_only: false,
    }
}

/// The message a stream-level error with `status` answers, while the request head is still
/// in `c` (an `http-error` reply may read it).
pub(crate) fn error_page(c: &Conn, tx: &Txn, be: Option<&Backend>, status: u16) -> Vec<u8> {
    rules::reply::error_message(&c.s.fe.spec, be.map(|b| &*b.spec), status, &stream(c, tx, be))
}

/// [`error_page`] once the request head has left the buffer: request fetches find nothing,
/// as in HAProxy, whose request was forwarded by then.
pub(crate) fn error_page_forwarded(c: &Conn, tx: &Txn, be: &Backend, status: u16) -> Vec<u8> {
    let s = rules::source::Stream { req: None, ..stream(c, tx, Some(be)) };
    rules::reply::error_message(&c.s.fe.spec, Some(&be.spec), status, &s)
}

/// `use_backend` rules in order, then `default_backend` (a listen section is its own).
pub(crate) fn choose_backend(c: &Conn, tx: &Txn) -> Option<Arc<Backend>> {
    rules::switching::choose_backend(&stream(c, tx, None))
}

/// `monitor fail`: does one of the conditions ask for a 503?
/// `stats admin`: is the admin level granted to this request? `on_backend`: the page belongs
/// to the backend `be` rather than the frontend.
pub(crate) fn stats_admin(c: &Conn, tx: &Txn, be: Option<&Backend>, on_backend: bool) -> bool {
    rules::switching::stats_admin(&stream(c, tx, be), on_backend)
}

pub(crate) fn monitor_fails(c: &Conn, tx: &Txn) -> bool {
    rules::switching::monitor_fails(&stream(c, tx, None))
}

/// `force-persist` / `ignore-persist`, then `use-server` (the first rule whose condition passes
/// and whose server is up, or persistence is forced): the stream's persistence flags.
pub(crate) fn persist_flags(
    c: &Conn,
    tx: &Txn,
    be: &Backend,
) -> (crate::engine::persist::cookie::Flags, Option<Arc<Server>>) {
    let mut flags = crate::engine::persist::cookie::Flags::default();
    if !be.rules.persist.rules.is_empty() {
        flags = be.rules.persist.rule_flags(&stream(c, tx, Some(be)));
    }
    if be.rules.use_server.is_empty() {
        return (flags, None);
    }
    let forced = rules::switching::forced_server(be, &stream(c, tx, Some(be)), flags.force);
    if let Some(s) = &forced {
        // HAProxy's SF_DIRECT | SF_ASSIGNED: the cookie designates nothing after this.
        flags.direct = true;
        flags.assigned = Some(s.idx);
    }
    (flags, forced)
}

/// `stick match|on|store-request`: the server a table designates (in `flags`) and the keys
/// to store once the response comes.
pub(crate) fn stick_request(
    c: &Conn,
    tx: &Txn,
    be: &Backend,
    flags: &mut crate::engine::persist::cookie::Flags,
    pending: &mut Pending,
) {
    let st = &be.rules.stick;
    let view = crate::engine::stick::backend::View { be, keys: &st.keys };
    let now = crate::engine::stick::now_ms();
    st.rules.on_request(&stream(c, tx, Some(be)), &view, be.rules.persist.persist, flags, pending, now);
}

/// What response rules decided.
pub(crate) enum RespDecision {
    Forward,
    /// Replace the server's response by this message.
    Replace {
        msg: Vec<u8>,
        status: u16,
        term: [u8; 4],
    },
}

/// What the response side needs to run rules (cloned from the session, cheap).
pub(crate) struct RespRules {
    pub eng: Arc<Engine>,
    pub fe: Arc<Frontend>,
    pub be: Arc<Backend>,
    pub server: Option<Arc<Server>>,
    pub client: std::net::SocketAddr,
    pub local: std::net::SocketAddr,
    /// Persistence flags of the request, for the cookie HAProxy inserts.
    pub ck_flags: crate::engine::persist::cookie::Flags,
    /// The request was a POST (`postonly`).
    pub post: bool,
}

impl RespRules {
    pub fn any(&self) -> bool {
        let same = self.be.spec.name == self.fe.spec.name;
        self.be.rules.persist.cookie.is_some()
            || self.fe.rules.captures.cookie.is_some()
            || !self.be.spec.http_response.is_empty()
            || !self.be.spec.http_after_response.is_empty()
            || (!same && (!self.fe.spec.http_response.is_empty() || !self.fe.spec.http_after_response.is_empty()))
    }

    /// The proxies whose rules apply, backend first.
    fn proxies(&self) -> Vec<&Proxy> {
        let mut v = vec![&*self.be.spec];
        if self.be.spec.name != self.fe.spec.name || !self.fe.spec.caps.backend {
            v.push(&*self.fe.spec);
        }
        v
    }

    fn cx<'a>(&'a self, sess: &'a mut Vars, txn: &'a mut Vars) -> exec::Ctx<'a> {
        exec::Ctx {
            eng: &self.eng,
            fe: &self.fe,
            be: Some(&self.be),
            client: self.client,
            local: self.local,
            sess,
            txn,
            payload: Default::default(),
        }
    }

    /// What response-side rules see of the stream.
    fn source<'a>(
        &'a self,
        sess: &'a Vars,
        txn: &'a Vars,
        res: Option<rules::source::HeadView<'a>>,
    ) -> rules::source::Stream<'a> {
        rules::source::Stream {
            eng: &self.eng,
            fe: &self.fe,
            be: Some(&self.be),
            client: self.client,
            local: self.local,
            req: None,
            res,
            response: true,
            sess,
            txn,
            payload: Default::default(),
            session_only: false,
        }
    }

    /// `stick store-response` rules on the response as received, then every pending store
    /// written for the server that answered.
    pub fn stick_store(&self, sess: &Vars, txn: &Vars, pending: &mut Pending, head: &Head, buf: &[u8]) {
        let Some(server) = &self.server else {
            pending.clear();
            return;
        };
        let src = self.source(sess, txn, Some(rules::source::HeadView { head, buf }));
        let st = &self.be.rules.stick;
        let view = crate::engine::stick::backend::View { be: &self.be, keys: &st.keys };
        st.rules.on_response(&src, &view, server.idx, pending, crate::engine::stick::now_ms());
    }

    /// http-response rules (backend's, then frontend's), then the backend's cookie
    /// processing, then http-after-response rules.
    pub fn response(
        &self,
        sess: &mut Vars,
        txn: &mut Vars,
        ck: &mut crate::engine::persist::cookie::CookieTxn,
        head: &mut Head,
        buf: &mut BytesMut,
    ) -> RespDecision {
        for p in self.proxies() {
            if p.http_response.is_empty() {
                continue;
            }
            let v = {
                let mut cx = self.cx(sess, txn);
                rules::run(&mut cx, &p.http_response, Some(Msg { head, buf, response: true }))
            };
            let fe_spec = &*self.fe.spec;
            let stream = |sess: &Vars, txn: &Vars, f: &dyn Fn(&rules::source::Stream<'_>) -> Vec<u8>| {
                f(&self.source(sess, txn, None))
            };
            match v {
                // `tarpit` and `auth` are request actions.
                Verdict::Continue | Verdict::Missing | Verdict::Tarpit(_) | Verdict::Auth(_) => {}
                Verdict::Deny(rep) => {
                    self.fe.counters.denied_resp.inc();
                    self.be.counters.denied_resp.inc();
                    if let Some(s) = &self.server {
                        s.counters.denied_resp.inc();
                    }
                    let msg = stream(sess, txn, &|s| rules::reply::reply_message(rep, s, fe_spec, Some(&self.be.spec)));
                    return RespDecision::Replace { msg, status: rep.status, term: *b"PH--" };
                }
                Verdict::Return(rep) => {
                    let msg = stream(sess, txn, &|s| rules::reply::reply_message(rep, s, fe_spec, Some(&self.be.spec)));
                    return RespDecision::Replace { msg, status: rep.status, term: *b"LH--" };
                }
                Verdict::Redirect(rd, loc) => {
                    let msg = rules::reply::redirect_message(rd, &loc, false);
                    return RespDecision::Replace { msg, status: rd.code, term: *b"LH--" };
                }
                // `http-response silent-drop` is refused at start.
                Verdict::Reject | Verdict::Close | Verdict::SilentDrop => {
                    let msg = stream(sess, txn, &|s| rules::reply::error_message(fe_spec, Some(&self.be.spec), 502, s));
                    return RespDecision::Replace { msg, status: 502, term: *b"PH--" };
                }
                Verdict::Error => {
                    let msg = stream(sess, txn, &|s| rules::reply::error_message(fe_spec, Some(&self.be.spec), 500, s));
                    return RespDecision::Replace { msg, status: 500, term: *b"PH--" };
                }
            }
        }
        let srv = self.server.as_ref().map(|s| s.idx);
        crate::engine::persist::backend::response(
            &self.be.rules.persist,
            srv,
            self.post,
            &self.ck_flags,
            ck,
            head,
            buf,
            self.fe.rules.captures.cookie.as_ref(),
        );
        self.after(sess, txn, head, buf);
        RespDecision::Forward
    }

    /// http-after-response rules (backend's, then frontend's) on a final response.
    pub fn after(&self, sess: &mut Vars, txn: &mut Vars, head: &mut Head, buf: &mut BytesMut) {
        after_rules(&self.proxies(), &mut self.cx(sess, txn), head, buf);
    }
}

/// http-after-response rules of `proxies` on a response about to leave. Rules that would
/// answer instead have no effect here (HAProxy only offers actions that edit).
pub(crate) fn after_rules(proxies: &[&Proxy], cx: &mut exec::Ctx<'_>, head: &mut Head, buf: &mut BytesMut) {
    for p in proxies {
        let rules: &[ActionRule] = &p.http_after_response;
        if rules.is_empty() {
            continue;
        }
        let _ = rules::run(cx, rules, Some(Msg { head, buf, response: true }));
    }
}

/// http-after-response rules on one of the proxy's own responses, from the HTTP path.
pub(crate) fn after_own_reply(c: &mut Conn, tx: &mut Txn, head: &mut Head, buf: &mut BytesMut) {
    let fe = c.s.fe.clone();
    let be = tx.backend.clone();
    let mut proxies: Vec<&Proxy> = Vec::new();
    if let Some(b) = &be {
        proxies.push(&b.spec);
    }
    if be.as_ref().is_none_or(|b| b.spec.name != fe.spec.name || !fe.spec.caps.backend) {
        proxies.push(&fe.spec);
    }
    if proxies.iter().all(|p| p.http_after_response.is_empty()) {
        return;
    }
    let (mut cx, _) = ctx(c, tx, be.as_deref());
    after_rules(&proxies, &mut cx, head, buf);
}

//! Running a rule set on a stream, as HAProxy's `http_req_get_intercept_rule`,
//! `http_res_get_intercept_rule` and `tcp_exec_*_rules` do: each rule whose condition passes
//! acts in order; a final action (allow, deny, return, redirect, reject) ends the set. Header and
//! request-line edits are applied at once, so later rules see them.

use bytes::BytesMut;

use crate::acl::eval::Tri;
use crate::acl::eval_expr;
use crate::engine::backend::Backend;
use crate::engine::proxy::http::parse::Head;
use crate::engine::stick::{Key, Table};
use crate::engine::{Engine, Frontend};
use crate::ir::rules::{Action, ActionRule, GptValue, Redirect, Reply, TrackLevel};

use super::edit::{commit, Parts};
use super::render::render;
use super::source::{HeadView, Stream};
use super::vars::{Scopes, Vars};

/// How a rule set ended.
#[derive(Debug)]
pub enum Verdict<'r> {
    /// Every rule ran, or `allow`/`accept` stopped the set: processing goes on.
    Continue,
    /// `deny` (http): the reply, then close.
    Deny(&'r Reply),
    /// `tarpit`: the reply, after `timeout tarpit`.
    Tarpit(&'r Reply),
    /// `return`.
    Return(&'r Reply),
    /// `auth`: the 401 with this realm (`None`: the rules' proxy name).
    Auth(Option<&'r str>),
    /// A redirect and its Location.
    Redirect(&'r Redirect, Vec<u8>),
    /// `reject`: close without a response.
    Reject,
    /// `silent-drop`: as `reject`, the client connection dropped without a word.
    SilentDrop,
    /// tcp-response `close`.
    Close,
    /// A rewrite could not be applied: HAProxy's 500 (`strict-mode on`).
    Error,
    /// A content rule's condition lacks data that may still come: wait, then run the set again.
    Missing,
}

/// The stream around the rules.
pub struct Ctx<'a> {
    pub eng: &'a Engine,
    pub fe: &'a Frontend,
    pub be: Option<&'a Backend>,
    pub client: std::net::SocketAddr,
    pub local: std::net::SocketAddr,
    pub sess: &'a mut Vars,
    pub txn: &'a mut Vars,
    /// TCP content inspection's buffered bytes (default elsewhere).
    pub payload: super::source::Payload<'a>,
}

impl<'a> Ctx<'a> {
    pub fn stream<'s>(&'s self, req: Option<HeadView<'s>>, res: Option<HeadView<'s>>) -> Stream<'s> {
        Stream {
            eng: self.eng,
            fe: self.fe,
            be: self.be,
            client: self.client,
            local: self.local,
            response: res.is_some(),
            req,
            res,
            sess: self.sess,
            txn: self.txn,
            payload: self.payload,
            session_only: false,
        }
    }

    fn scopes(&mut self) -> Scopes<'_> {
        Scopes { proc_: &self.eng.proc_vars, sess: self.sess, txn: self.txn }
    }
}

/// The message a rule set works on: the request (response rules see none) or the response.
pub struct Msg<'m> {
    pub head: &'m mut Head,
    pub buf: &'m mut BytesMut,
    pub response: bool,
}

/// Does the rule's condition let it act? A miss only while more data may come.
fn passes(r: &ActionRule, s: &Stream<'_>) -> Tri {
    let Some(c) = &r.cond else { return Tri::Pass };
    match c.compiled.as_ref() {
        None => Tri::Fail,
        Some(c) if s.payload.partial() => c.eval_partial(s),
        Some(c) if c.eval(s) => Tri::Pass,
        Some(_) => Tri::Fail,
    }
}

/// Run `rules` on the message (or on the connection alone for tcp rules, `msg` None).
pub fn run<'r>(cx: &mut Ctx<'_>, rules: &'r [ActionRule], mut msg: Option<Msg<'_>>) -> Verdict<'r> {
    let mut scratch: Vec<u8> = Vec::new();
    for r in rules {
        let view = msg.as_ref().map(|m| HeadView { head: m.head, buf: m.buf });
        let response = msg.as_ref().is_some_and(|m| m.response);
        let (req, res) = if response { (None, view) } else { (view, None) };
        let s = cx.stream(req, res);
        match passes(r, &s) {
            Tri::Fail => continue,
            Tri::Miss => return Verdict::Missing,
            Tri::Pass => {}
        }
        // Values first, while the stream is borrowed; then the effect.
        enum Effect {
            None,
            Edit(fn(&mut Parts, &ActionRule, &[u8])),
            SetVar(crate::acl::Sample<'static>),
            Unset,
            Track(usize, std::sync::Arc<Table>, Key),
            /// `sc-inc-gpc*`.
            IncGpc,
            /// `sc-set-gpt*` with this value.
            SetGpt(u32),
            /// `capture`: the sample as a string.
            Capture(Vec<u8>),
            /// `expect-proxy layer4`.
            ExpectProxy,
        }
        scratch.clear();
        let effect = match &r.action {
            Action::Allow => return Verdict::Continue,
            Action::Deny(rep) => return Verdict::Deny(rep),
            Action::Tarpit(rep) => return Verdict::Tarpit(rep),
            Action::Return(rep) => return Verdict::Return(rep),
            Action::Auth { realm } => return Verdict::Auth(realm.as_deref()),
            Action::Reject => return Verdict::Reject,
            Action::SilentDrop => return Verdict::SilentDrop,
            Action::Close => return Verdict::Close,
            Action::Redirect(rd) => match super::reply::location(rd, &s) {
                Some(loc) => return Verdict::Redirect(rd, loc),
                None => Effect::None,
            },
            Action::SetHeader { value, .. } => {
                render(value, &s, true, &mut scratch);
                Effect::Edit(|p, r, v| {
                    if let Action::SetHeader { name, add, .. } = &r.action {
                        if *add {
                            p.add_header(name.as_bytes(), v);
                        } else {
                            p.set_header(name.as_bytes(), v);
                        }
                    }
                })
            }
            Action::DelHeader { .. } => Effect::Edit(|p, r, _| {
                if let Action::DelHeader { name, how } = &r.action {
                    p.del_header(name.as_bytes(), how);
                }
            }),
            Action::ReplaceHeader { with, .. } => {
                render(with, &s, true, &mut scratch);
                Effect::Edit(|p, r, v| {
                    if let Action::ReplaceHeader { name, re, per_value, .. } = &r.action {
                        p.replace_header(name.as_bytes(), re, v, *per_value);
                    }
                })
            }
            Action::SetLine { value, .. } => {
                render(value, &s, true, &mut scratch);
                Effect::Edit(|p, r, v| {
                    if let Action::SetLine { part, .. } = &r.action {
                        p.set_line(*part, v);
                    }
                })
            }
            Action::ReplaceLine { with, .. } => {
                render(with, &s, true, &mut scratch);
                Effect::Edit(|p, r, v| {
                    if let Action::ReplaceLine { part, re, .. } = &r.action {
                        p.replace_line(*part, re, v);
                    }
                })
            }
            Action::SetStatus { .. } => Effect::Edit(|p, r, _| {
                if let Action::SetStatus { code, reason } = &r.action {
                    p.set_status(*code, reason.as_deref());
                }
            }),
            Action::SetVar { expr, .. } => match eval_expr(expr, &s) {
                Some(v) => Effect::SetVar(v.into_owned()),
                None => Effect::None,
            },
            Action::SetVarFmt { fmt, .. } => {
                render(fmt, &s, false, &mut scratch);
                Effect::SetVar(crate::acl::Sample::owned_str(scratch.clone()))
            }
            Action::UnsetVar { .. } => Effect::Unset,
            Action::TrackSc { sc, table, key, level } => {
                match track_target(cx, usize::from(*sc), *level, table.as_deref(), key, &s) {
                    Some((t, k)) => Effect::Track(usize::from(*sc), t, k),
                    None => Effect::None,
                }
            }
            Action::ScIncGpc { .. } => Effect::IncGpc,
            Action::Capture { expr, .. } => {
                match eval_expr(expr, &s).and_then(|v| v.convert(crate::acl::SmpType::Str)) {
                    Some(v) => Effect::Capture(v.as_bytes().unwrap_or_default().to_vec()),
                    None => Effect::None,
                }
            }
            Action::ScSetGpt { value, .. } => match value {
                // HAProxy stores the integer as an unsigned int.
                GptValue::Int(n) => Effect::SetGpt(*n as u32),
                GptValue::Expr(e) => {
                    match eval_expr(e, &s).and_then(|v| v.convert(crate::acl::SmpType::Sint)).and_then(|v| v.as_int()) {
                        Some(n) => Effect::SetGpt(n as u32),
                        None => Effect::None,
                    }
                }
            },
            Action::ExpectProxy => Effect::ExpectProxy,
            Action::NoOp | Action::Unsupported => Effect::None,
        };
        let _ = &s;
        match effect {
            Effect::None => {}
            Effect::ExpectProxy => cx.sess.expect_proxy = true,
            Effect::Edit(f) => {
                let Some(m) = msg.as_mut() else { continue };
                let mut parts = Parts::of(m.head, m.buf, m.response);
                f(&mut parts, r, &scratch);
                if !commit(&parts, m.head, m.buf, m.response) {
                    return Verdict::Error;
                }
            }
            Effect::SetVar(v) => {
                if let Action::SetVar { var, conds, .. } | Action::SetVarFmt { var, conds, .. } = &r.action {
                    cx.scopes().set(var, conds, v);
                }
            }
            Effect::Unset => {
                if let Action::UnsetVar { var } = &r.action {
                    cx.scopes().unset(var);
                }
            }
            Effect::Track(sc, t, k) => {
                let now = crate::engine::stick::now_ms();
                if let Action::TrackSc { level, .. } = &r.action {
                    match level {
                        TrackLevel::Session => cx.sess.stk.track(sc, &t, &k, now, false, false),
                        TrackLevel::Content => cx.txn.stk.track(sc, &t, &k, now, false, true),
                        // The request being processed was counted before the rule ran, so
                        // HTTP rules count it on the entry they start tracking (both sides).
                        TrackLevel::HttpRequest | TrackLevel::HttpResponse => {
                            cx.txn.stk.track(sc, &t, &k, now, true, true)
                        }
                    };
                }
            }
            Effect::Capture(mut v) => {
                if let Action::Capture { index, len, response, .. } = &r.action {
                    if let Some(l) = len {
                        v.truncate(*l);
                    }
                    cx.txn.captures.push((*response, *index, v));
                }
            }
            Effect::IncGpc => {
                if let Action::ScIncGpc { gpc, sc } = &r.action {
                    let now = crate::engine::stick::now_ms();
                    cx.txn.stk.inc_gpc(Some(&cx.sess.stk), usize::from(*sc), *gpc, now);
                }
            }
            Effect::SetGpt(v) => {
                if let Action::ScSetGpt { idx, sc, .. } = &r.action {
                    cx.txn.stk.set_gpt(Some(&cx.sess.stk), usize::from(*sc), *idx, v);
                }
            }
        }
    }
    Verdict::Continue
}

/// The table and key a `track-sc<sc>` rule would track, unless that counter is already tracked
/// in this stream (HAProxy keeps the first tracking), the table is missing or the key cannot be built.
fn track_target(
    cx: &Ctx<'_>,
    sc: usize,
    level: TrackLevel,
    table: Option<&str>,
    key: &crate::acl::SampleExpr,
    s: &Stream<'_>,
) -> Option<(std::sync::Arc<Table>, Key)> {
    // A stream starts with its session's counters: a counter the session tracks is taken.
    let taken = match level {
        TrackLevel::Session => cx.sess.stk.is_tracked(sc),
        _ => cx.txn.stk.is_tracked(sc) || cx.sess.stk.is_tracked(sc),
    };
    if taken {
        return None;
    }
    let name = table.unwrap_or_else(|| cx.be.map_or(cx.fe.name.as_str(), |b| b.name.as_str()));
    let t = cx.eng.tables.get(name)?;
    let k = t.key_type.key_of(eval_expr(key, s)?)?;
    Some((t.clone(), k))
}

/// The first `redirect` rule whose condition passes, with its Location.
pub fn redirects<'r>(
    cx: &Ctx<'_>,
    rules: &'r [ActionRule],
    head: &Head,
    buf: &[u8],
) -> Option<(&'r Redirect, Vec<u8>)> {
    let s = cx.stream(Some(HeadView { head, buf }), None);
    for r in rules {
        if passes(r, &s) != Tri::Pass {
            continue;
        }
        if let Action::Redirect(rd) = &r.action {
            if let Some(loc) = super::reply::location(rd, &s) {
                return Some((rd, loc));
            }
        }
    }
    None
}

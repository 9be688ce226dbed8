//! What rules see of a stream: the acl module's [`SampleSource`] over the client connection's
//! addresses, the request head as parsed in its buffer (and the response head once there is
//! one), the variables, and the live state of backends and servers. Everything is borrowed:
//! evaluating a condition allocates nothing unless a converter needs to.

use std::borrow::Cow;
use std::net::SocketAddr;

use crate::acl::{avg_queue, Sample, SampleSource};
use crate::engine::backend::Backend;
use crate::engine::proxy::http::parse::Head;
use crate::engine::state::ServerState;
use crate::engine::{Engine, Frontend};
use crate::ir::rules::{VarRef, VarScope};

use super::vars::Vars;

/// A parsed head in the buffer it was parsed from.
#[derive(Clone, Copy)]
pub struct HeadView<'a> {
    pub head: &'a Head,
    pub buf: &'a [u8],
}

impl<'a> HeadView<'a> {
    pub fn header(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        let h = self.head.headers.get(i)?;
        // `get`: a view over a buffer whose head was consumed has nothing, rather than panics.
        Some((self.buf.get(h.name.clone())?, self.buf.get(h.value.clone())?))
    }
}

/// The bytes a TCP stream holds while its content rules inspect them: the client's, and the
/// server's once response rules run.
#[derive(Clone, Copy, Default)]
pub struct Payload<'a> {
    pub req: Option<&'a [u8]>,
    pub res: Option<&'a [u8]>,
    /// Response rules are running (`payload` reads the server's bytes).
    pub response: bool,
    /// Where fetches note that they lacked bytes (only while more may come).
    pub missing: Option<&'a std::sync::atomic::AtomicBool>,
}

impl Payload<'_> {
    /// More data may still come: conditions that lack it wait.
    pub fn partial(&self) -> bool {
        self.missing.is_some()
    }
}

/// One stream as rules see it.
pub struct Stream<'a> {
    pub eng: &'a Engine,
    pub fe: &'a Frontend,
    /// The backend once `use_backend` / `default_backend` chose it.
    pub be: Option<&'a Backend>,
    pub client: SocketAddr,
    pub local: SocketAddr,
    pub req: Option<HeadView<'a>>,
    pub res: Option<HeadView<'a>>,
    /// Response rules look at the response where a fetch exists for both directions.
    pub response: bool,
    pub sess: &'a Vars,
    pub txn: &'a Vars,
    pub payload: Payload<'a>,
    /// No stream exists (HAProxy's session-level log lines): stream fetches have nothing.
    pub session_only: bool,
}

fn borrowed<'a>(s: &'a Sample<'static>) -> Sample<'a> {
    match s {
        Sample::Str(b) => Sample::Str(Cow::Borrowed(b)),
        Sample::Bin(b) => Sample::Bin(Cow::Borrowed(b)),
        Sample::Meth(m, b) => Sample::Meth(*m, Cow::Borrowed(b)),
        other => other.clone(),
    }
}

/// HAProxy's `srv_currently_usable`: up, not in maintenance or drain, with some weight.
fn lb_usable(s: &ServerState) -> bool {
    s.usable() && s.eweight() > 0
}

/// HAProxy's `srv_act`, `srv_bck` and whether a backup is in use (`lbprm.fbck`).
pub fn lb_counts(be: &Backend) -> (i64, i64, bool) {
    be.with_states(|states| {
        let act = states.iter().filter(|s| !s.backup && lb_usable(s)).count() as i64;
        let bck = states.iter().filter(|s| s.backup && lb_usable(s)).count() as i64;
        let fbck = act == 0 && bck > 0 && !be.spec.options.is_on("allbackups");
        (act, bck, fbck)
    })
}

/// HAProxy's `be_usable_srv`.
pub fn usable_servers(be: &Backend) -> i64 {
    let (act, bck, fbck) = lb_counts(be);
    if act > 0 {
        act
    } else if fbck {
        1
    } else {
        bck
    }
}

impl Stream<'_> {
    fn backend(&self, name: &str) -> Option<&Backend> {
        self.eng.backend(name).map(|b| &**b)
    }
}

impl SampleSource for Stream<'_> {
    fn req_payload(&self) -> Option<&[u8]> {
        self.payload.req
    }
    fn res_payload(&self) -> Option<&[u8]> {
        self.payload.res
    }
    fn note_missing(&self) {
        if let Some(m) = self.payload.missing {
            m.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    fn take_missing(&self) -> bool {
        self.payload.missing.is_some_and(|m| m.swap(false, std::sync::atomic::Ordering::Relaxed))
    }
    fn src(&self) -> Option<SocketAddr> {
        Some(self.client)
    }
    fn dst(&self) -> Option<SocketAddr> {
        Some(self.local)
    }
    fn is_http(&self) -> bool {
        self.req.is_some()
    }
    fn method(&self) -> Option<&[u8]> {
        self.req.map(|r| &r.buf[r.head.method.clone()])
    }
    fn uri(&self) -> Option<&[u8]> {
        self.req.map(|r| &r.buf[r.head.uri.clone()])
    }
    fn version(&self) -> Option<&[u8]> {
        self.req.map(|r| &r.buf[r.head.version_text.clone()])
    }
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.req?.header(i)
    }
    fn is_response(&self) -> bool {
        self.response || self.payload.response
    }
    fn status(&self) -> Option<i64> {
        self.res.map(|r| i64::from(r.head.status))
    }
    fn res_version(&self) -> Option<&[u8]> {
        self.res.map(|r| &r.buf[r.head.version_text.clone()])
    }
    fn res_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.res?.header(i)
    }
    fn var(&self, full: &str) -> Option<Sample<'_>> {
        let v = VarRef::parse(full)?;
        match v.scope {
            VarScope::Proc => self.eng.proc_vars.lock().get(&v.name).cloned(),
            VarScope::Sess => self.sess.get(&v.name).map(borrowed),
            VarScope::Txn => self.txn.get(&v.name).map(borrowed),
            VarScope::Req => self.txn.get(&format!("\u{1}req.{}", v.name)).map(borrowed),
            VarScope::Res => self.txn.get(&format!("\u{1}res.{}", v.name)).map(borrowed),
            VarScope::Check => None,
        }
    }
    fn fe_name(&self) -> Option<&str> {
        Some(&self.fe.name)
    }
    fn unique_id(&self) -> Option<&[u8]> {
        Some(self.fe.unique_id.as_ref()?.of(self))
    }
    fn srv_id(&self) -> Option<i64> {
        self.txn.server.as_ref().filter(|_| !self.session_only).map(|s| i64::from(s.id))
    }
    fn srv_name(&self) -> Option<&str> {
        self.txn.server.as_ref().filter(|_| !self.session_only).map(|s| s.name.as_str())
    }
    fn be_name(&self) -> Option<&str> {
        // Until a backend is chosen, HAProxy's stream backend is the frontend itself.
        if self.session_only {
            return None;
        }
        Some(self.be.map(|b| b.name.as_str()).unwrap_or(&self.fe.name))
    }
    fn nbsrv(&self, backend: &str) -> Option<i64> {
        Some(usable_servers(self.backend(backend)?))
    }
    fn srv_is_up(&self, backend: &str, server: &str) -> Option<bool> {
        let be = self.backend(backend)?;
        let srv = be.server_by_name(server)?;
        let st = be.state(srv.idx);
        Some(!st.in_maint() && st.usable())
    }
    fn avg_queue(&self, backend: &str) -> Option<i64> {
        let be = self.backend(backend)?;
        Some(avg_queue(be.queued.get() as i64, usable_servers(be)))
    }
    fn queue(&self, backend: &str) -> Option<i64> {
        Some(self.backend(backend)?.queued.get() as i64)
    }
    fn be_conn(&self, backend: &str) -> Option<i64> {
        Some(self.backend(backend)?.counters.sessions.get() as i64)
    }
    fn connslots(&self, backend: &str) -> Option<i64> {
        let be = self.backend(backend)?;
        Some(be.with_states(|states| {
            crate::acl::connslots(be.servers.iter().zip(states).filter(|(_, st)| st.usable()).map(|(s, st)| {
                (
                    i64::from(st.maxconn),
                    i64::from(s.cur_conns.load(std::sync::atomic::Ordering::Relaxed)),
                    i64::from(s.spec.opts.maxqueue.unwrap_or(0)),
                    0,
                )
            }))
        }))
    }
    fn userlist(&self, name: &str) -> Option<&crate::acl::auth::Userlist> {
        self.eng.userlists.iter().find(|u| u.name == name)
    }
    fn stick_fetch(&self, name: &str, args: &[crate::acl::args::Arg]) -> Option<Sample<'static>> {
        use crate::engine::stick::track;
        let own = self.be.map_or(self.fe.name.as_str(), |b| b.name.as_str());
        let cx = track::FetchCtx {
            tables: &self.eng.tables,
            own_table: self.eng.tables.get(own),
            src: Some(self.client.ip()),
            stream: Some(&self.txn.stk),
            session: Some(&self.sess.stk),
            now: crate::engine::stick::now_ms(),
        };
        track::fetch(name, args, &cx)
    }
    fn fe_conn(&self, frontend: &str) -> Option<i64> {
        let fe = self.eng.frontends.iter().find(|f| f.name == frontend)?;
        Some(fe.counters.sessions.get() as i64)
    }
}

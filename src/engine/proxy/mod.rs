//! The traffic path: listeners, the TCP relay, the HTTP/1 proxy, server connections with
//! retries, and the session bookkeeping (counters, log line) they share.

pub mod bufpool;
pub mod connect;
pub mod http;
pub mod listener;
pub mod outgoing;
pub mod pp;
pub mod relay;
pub mod sockopt;
pub mod tcp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::{Engine, Frontend};
use crate::ir::types::{LogFormat as FormatKind, Mode};
use crate::log::format::{LogFormat, HTTPLOG, HTTPLOG_CLF, TCPLOG};
use crate::log::{LogRecord, Target};

/// Logging settings of a frontend, compiled once at start.
pub struct FrontendLog {
    pub targets: Vec<Target>,
    /// `None`: HAProxy's default "Connect from ..." line.
    pub format: Option<LogFormat>,
    pub dontlognull: bool,
    /// `option dontlog-normal`: only sessions that end in error are logged.
    pub dontlog_normal: bool,
}

impl FrontendLog {
    pub fn build(
        eng_log: &crate::log::Logger,
        config: &crate::ir::types::Config,
        fe: &Frontend,
    ) -> Result<FrontendLog, String> {
        let p = &fe.spec;
        let targets = eng_log.targets_for(&p.log.targets, p.log.disabled, p.log.tag.as_deref());
        let text = match &p.log.format {
            FormatKind::Default => None,
            FormatKind::Tcp => Some(TCPLOG.to_string()),
            FormatKind::Http | FormatKind::Https => Some(HTTPLOG.to_string()),
            FormatKind::HttpClf => Some(HTTPLOG_CLF.to_string()),
            FormatKind::Custom(f) => Some(f.clone()),
        };
        let format = match text {
            Some(t) => {
                let mut f = LogFormat::compile(&t).map_err(|e| e.to_string())?;
                let px = crate::acl::ProxyCtx { name: &p.name, frontend: p.caps.frontend, backend: p.caps.backend };
                let look = crate::ir::validate::lookup(config);
                for e in f.samples_mut() {
                    let kw = e.fetch.name;
                    let _ = crate::acl::resolve_expr(e, kw, crate::acl::ArgCtx::LOG, &px, &look);
                }
                Some(f)
            }
            None => None,
        };
        Ok(FrontendLog {
            targets,
            format,
            dontlognull: p.options.is_on("dontlognull"),
            dontlog_normal: p.options.is_on("dontlog-normal"),
        })
    }
}

/// One accepted client connection.
pub struct Session {
    pub eng: Arc<Engine>,
    pub fe: Arc<Frontend>,
    pub client: SocketAddr,
    pub local: SocketAddr,
    pub accepted: Instant,
    pub accept_us: i64,
    /// `sess.*` variables set by `tcp-request connection|session` rules.
    pub vars: crate::engine::rules::vars::Vars,
    /// The number of the current stream among the process's streams (`%rt`): the TCP
    /// session, or the HTTP request being processed.
    pub stream_id: u64,
    /// The authority TLV of the connection's PROXY v2 header (`proxy-v2-options authority`
    /// passes it on).
    pub pp_authority: Option<Box<[u8]>>,
}

impl Session {
    pub fn new(eng: Arc<Engine>, fe: Arc<Frontend>, client: SocketAddr, local: SocketAddr) -> Session {
        let accept_us = chrono::Utc::now().timestamp_micros();
        Session {
            eng,
            fe,
            client,
            local,
            accepted: Instant::now(),
            accept_us,
            vars: Default::default(),
            pp_authority: None,
            stream_id: 0,
        }
    }

    /// A record pre-filled with what every log line of this session shares.
    pub fn record(&self) -> LogRecord {
        LogRecord {
            client: Some(self.client),
            frontend_addr: Some(self.local),
            accept_us: self.accept_us,
            request_us: self.accept_us,
            frontend: self.fe.name.clone(),
            actconn: self.eng.active_conns.get(),
            feconn: self.fe.counters.sessions.get(),
            http: self.fe.spec.mode == Mode::Http,
            stream_id: self.stream_id,
            ..Default::default()
        }
    }

    /// The frontend's log settings when it has somewhere to log to. Callers skip building log
    /// records entirely when this is `None`.
    pub fn logging(&self) -> Option<&FrontendLog> {
        self.fe.log.get().filter(|l| !l.targets.is_empty())
    }

    /// The values of the log format's `%[...]` expressions for a stream, as the log line
    /// shows them (HAProxy evaluates them when the line is built).
    pub fn log_samples(&self, stream: &crate::engine::rules::source::Stream<'_>) -> Vec<Option<String>> {
        let Some(f) = self.logging().and_then(|l| l.format.as_ref()) else { return Vec::new() };
        f.samples()
            .map(|e| {
                let v = crate::acl::eval_expr(e, stream)?.convert(crate::acl::SmpType::Str)?;
                Some(String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned())
            })
            .collect()
    }

    /// Does the frontend write traffic log lines (it has targets and a log format)? Records are
    /// only built when it does.
    pub fn logs_lines(&self) -> bool {
        self.logging().is_some_and(|l| l.format.is_some())
    }

    /// Emit the traffic log line of a finished session or request, if the frontend has a log
    /// format (the default format only logs "Connect from" lines, see [`Session::log_connect`]).
    /// `null`: nothing was exchanged (`option dontlognull`). `error`: logged at `err` level
    /// with `option log-separate-errors`; the only ones logged with `option dontlog-normal`.
    pub fn log_as(&self, rec: &LogRecord, null: bool, error: bool) {
        let Some(l) = self.logging() else { return };
        let Some(f) = &l.format else { return };
        if (null && l.dontlognull) || (!error && l.dontlog_normal) {
            return;
        }
        let log_count = self.fe.log_count.take();
        let line = f.render_counted(rec, self.eng.log.hostname.as_deref().unwrap_or(""), log_count);
        let level = if error && self.fe.spec.options.is_on("log-separate-errors") { 3 } else { 6 };
        self.eng.log.emit(&l.targets, level, &line);
    }

    /// `log_as` for a session, its error status derived from the record as HAProxy does: a
    /// termination flag other than none or local, a retry, a redispatch, or a 5xx status.
    pub fn log(&self, rec: &LogRecord, null: bool) {
        let error = !matches!(rec.term[0], b'-' | b'L')
            || rec.retries > 0
            || rec.redispatched
            || (rec.http && rec.status >= 500);
        self.log_as(rec, null, error);
    }

    /// HAProxy's line for a connection that ends before its session starts (a PROXY header
    /// that never came right), when the frontend logs with a format: `<client> [<accept
    /// date>] <frontend>/<listener>: <why>`, at `err` level with `option log-separate-errors`.
    /// `null`: nothing was received, which `option dontlognull` leaves out.
    pub fn log_embryonic(&self, listener: &str, why: &str, null: bool) {
        let Some(l) = self.logging() else { return };
        if l.format.is_none() || (null && l.dontlognull) {
            return;
        }
        let line = crate::log::format::embryonic_line(self.client, self.accept_us, &self.fe.name, listener, why);
        let level = if self.fe.spec.options.is_on("log-separate-errors") { 3 } else { 6 };
        self.eng.log.emit(&l.targets, level, &line);
    }

    /// HAProxy's default log line, at the start of each session (TCP) or request (HTTP), when
    /// the frontend logs without a format.
    pub fn log_connect(&self) {
        let Some(l) = self.logging() else { return };
        if l.format.is_some() {
            return;
        }
        let line = format!(
            "Connect from {} to {} ({}/{})",
            crate::log::format::addr_text(self.client),
            crate::log::format::addr_text(self.local),
            self.fe.name,
            if self.fe.spec.mode == Mode::Http { "HTTP" } else { "TCP" }
        );
        self.eng.log.emit(&l.targets, 6, &line);
    }
}

impl Session {
    /// What a PROXY header sent to a server says about this session's client connection.
    pub fn origin(&self) -> pp::encode::Origin<'_> {
        pp::encode::Origin {
            addrs: Some((self.client, self.local)),
            authority: self.pp_authority.as_deref(),
            stream: true,
            ..Default::default()
        }
    }

    /// What rules see of a stream without an HTTP message (TCP mode), request or response side.
    pub fn source<'a>(
        &'a self,
        be: Option<&'a super::backend::Backend>,
        txn: &'a crate::engine::rules::vars::Vars,
        response: bool,
    ) -> crate::engine::rules::source::Stream<'a> {
        crate::engine::rules::source::Stream {
            eng: &self.eng,
            fe: &self.fe,
            be,
            client: self.client,
            local: self.local,
            req: None,
            res: None,
            response,
            sess: &self.vars,
            txn,
            payload: Default::default(),
            session_only: false,
        }
    }

    /// Run connection-level rules (`tcp-request connection`, `tcp-request session`, or
    /// `tcp-request content` in TCP mode): no message, only the connection and variables.
    pub fn tcp_rules<'r>(
        &mut self,
        rules: &'r [crate::ir::rules::ActionRule],
        be: Option<&super::backend::Backend>,
        txn: &mut crate::engine::rules::vars::Vars,
    ) -> crate::engine::rules::Verdict<'r> {
        self.tcp_rules_on(rules, be, txn, Default::default())
    }

    /// [`Session::tcp_rules`] over the client bytes buffered so far (TCP content inspection).
    pub fn tcp_rules_on<'r>(
        &mut self,
        rules: &'r [crate::ir::rules::ActionRule],
        be: Option<&super::backend::Backend>,
        txn: &mut crate::engine::rules::vars::Vars,
        payload: crate::engine::rules::source::Payload<'_>,
    ) -> crate::engine::rules::Verdict<'r> {
        if rules.is_empty() {
            return crate::engine::rules::Verdict::Continue;
        }
        let mut cx = crate::engine::rules::Ctx {
            eng: &self.eng,
            fe: &self.fe,
            be,
            client: self.client,
            local: self.local,
            sess: &mut self.vars,
            txn,
            payload,
        };
        crate::engine::rules::run(&mut cx, rules, None)
    }
}

/// Milliseconds as HAProxy logs them.
pub fn ms_since(t: Instant) -> i64 {
    t.elapsed().as_millis() as i64
}

/// A stream that got a server connection ends: its queue, connect, response and total times
/// (milliseconds, already split like the log's Tw/Tc/Tr/Tt) go into the backend's and the
/// server's averages, as HAProxy's `stream_update_time_stats` does. Streams that never
/// connected, or (HTTP) never got a response head, are left out.
pub(crate) fn record_times(
    be: &super::backend::Backend,
    srv: Option<&super::backend::Server>,
    queue: i64,
    connect: i64,
    response: i64,
    total: i64,
) {
    if connect < 0 || response < 0 {
        return;
    }
    let v = |x: i64| x.clamp(0, i64::from(u32::MAX)) as u32;
    let (q, c, r, t) = (v(queue), v(connect), v(response), v(total));
    if let Some(srv) = srv {
        srv.counters.times.record(q, c, r, t);
    }
    be.counters.times.record(q, c, r, t);
}

/// A session starts on a backend or a server (`stot`, the session rate, `lastsess`).
pub(crate) fn session_started(c: &super::counters::Counters) {
    c.session_started(super::stick::now_ms(), super::unix_now());
}

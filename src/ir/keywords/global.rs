//! The `global` section: process settings, limits, logging, the stats sockets, SSL and Lua
//! settings, and tuning knobs, with HAProxy 2.6's argument checks and messages.
//!
//! This file holds the keyword table, the dispatch (with the `no`/`default` prefixes HAProxy's
//! reader applies before any section parser), the shared message helpers and C-style number
//! readers. The keyword families live in `global/`: process and limits, tuning, SSL/Lua/HTTP
//! client, logging and stats, and the checks made once the whole configuration is read.

mod limits;
mod logstats;
pub mod post;
mod process;
pub use process::{cmdline_localpeer, set_cmdline_localpeer};
mod ssl;
mod tune;
pub use tune::{parse_time_bufsize, parse_time_maxrewrite, reset_parse_time};

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::config::suggest;
use crate::ir::types::{Global, Unsupported};
use crate::ir::values::TimeError;

pub use logstats::{parse_log, parse_target, FACILITIES, LEVELS};

use super::{with_source, Modifier, Reporter, Status};

/// What a global keyword handler works with.
pub struct Cx<'r, 'a> {
    pub r: &'r mut Reporter<'a>,
    pub g: &'r mut Global,
    /// The `no` / `default` prefix the line had.
    pub kwm: Modifier,
    /// Set by a handler whose line does not follow the keyword's status in the table (`stats
    /// bind-process` has no effect while `stats socket` is not run yet): how to note it.
    pub note: Option<(Status, String)>,
}

type Handler = fn(&mut Cx, &Directive);

pub struct Keyword {
    pub name: &'static str,
    pub status: Status,
    pub handler: Handler,
}

const fn kw(name: &'static str, status: Status, handler: Handler) -> Keyword {
    Keyword { name, status, handler }
}

use Status::{Ignored, Rejected, Supported};

/// Every `global` keyword HAProxy 2.6.12 (Debian build) knows, with how far haproxide runs it.
/// `Ignored` ones have no effect a user can observe here (pollers, buffer and cache sizes,
/// CPU placement...); `Rejected` ones change behaviour haproxide does not implement yet.
pub const KEYWORDS: &[Keyword] = &[
    // Process.
    kw("daemon", Supported, process::daemon),
    kw("master-worker", Supported, process::master_worker),
    kw("quiet", Supported, process::quiet),
    kw("zero-warning", Supported, process::zero_warning),
    kw("expose-experimental-directives", Ignored, process::expose_experimental),
    kw("nbproc", Rejected, process::nbproc),
    kw("nbthread", Supported, process::nbthread),
    kw("thread-groups", Ignored, process::thread_groups),
    kw("thread-group", Ignored, process::thread_group),
    kw("cpu-map", Ignored, process::cpu_map),
    kw("numa-cpu-mapping", Ignored, process::flag_loose),
    kw("pidfile", Supported, process::pidfile),
    kw("user", Supported, process::user),
    kw("group", Supported, process::group),
    kw("uid", Supported, process::uid),
    kw("gid", Supported, process::gid),
    kw("chroot", Supported, process::chroot),
    kw("node", Supported, process::node),
    kw("description", Supported, process::description),
    kw("localpeer", Supported, process::localpeer),
    kw("cluster-secret", Ignored, process::cluster_secret),
    kw("setenv", Supported, process::setenv),
    kw("presetenv", Supported, process::setenv),
    kw("unsetenv", Supported, process::unsetenv),
    kw("resetenv", Supported, process::flag_loose),
    kw("unix-bind", Rejected, process::unix_bind),
    kw("external-check", Ignored, process::external_check),
    kw("insecure-fork-wanted", Ignored, process::flag),
    kw("insecure-setuid-wanted", Ignored, process::flag),
    kw("set-dumpable", Ignored, process::flag),
    kw("strict-limits", Ignored, process::flag),
    kw("no-memory-trimming", Ignored, process::flag),
    kw("busy-polling", Ignored, process::flag),
    kw("noepoll", Ignored, process::flag),
    kw("nokqueue", Ignored, process::flag),
    kw("noevports", Ignored, process::flag),
    kw("nopoll", Ignored, process::flag),
    kw("nosplice", Ignored, process::flag),
    kw("nogetaddrinfo", Ignored, process::flag),
    kw("noreuseport", Ignored, process::flag),
    kw("hard-stop-after", Supported, process::time_kw),
    kw("grace", Rejected, process::time_kw),
    kw("close-spread-time", Ignored, process::time_kw),
    kw("mworker-max-reloads", Rejected, process::mworker_max_reloads),
    kw("default-path", Rejected, process::default_path),
    kw("set-var", Rejected, process::set_var),
    kw("set-var-fmt", Rejected, process::set_var),
    kw("profiling.tasks", Ignored, process::profiling_tasks),
    kw("server-state-file", Supported, process::server_state_file),
    kw("server-state-base", Supported, process::server_state_base),
    kw("spread-checks", Supported, process::spread_checks),
    kw("max-spread-checks", Ignored, process::max_spread_checks),
    // Limits.
    kw("maxconn", Supported, limits::int_once),
    kw("maxconnrate", Rejected, limits::int_once),
    kw("maxsessrate", Rejected, limits::int_once),
    kw("maxsslrate", Rejected, limits::int_once),
    kw("maxpipes", Ignored, limits::int_once),
    kw("fd-hard-limit", Ignored, limits::int_once),
    kw("ulimit-n", Ignored, limits::int_once),
    kw("maxsslconn", Rejected, limits::ssl_int),
    kw("maxcomprate", Rejected, limits::maxcomprate),
    kw("maxcompcpuusage", Rejected, limits::maxcompcpuusage),
    kw("maxzlibmem", Ignored, limits::int_plain),
    // Logging and stats.
    kw("log", Supported, logstats::log),
    kw("log-tag", Supported, logstats::log_tag),
    kw("log-send-hostname", Supported, logstats::log_send_hostname),
    kw("stats", Supported, logstats::stats),
    // Tuning.
    kw("tune.runqueue-depth", Ignored, limits::int_once),
    kw("tune.maxpollevents", Ignored, limits::int_once),
    kw("tune.maxaccept", Ignored, limits::int_once),
    kw("tune.recv_enough", Ignored, limits::int_plain),
    kw("tune.buffers.limit", Ignored, limits::int_plain),
    kw("tune.buffers.reserve", Ignored, limits::int_plain),
    kw("tune.bufsize", Supported, tune::bufsize),
    kw("tune.maxrewrite", Supported, tune::maxrewrite),
    kw("tune.idletimer", Ignored, tune::idletimer),
    kw("tune.rcvbuf.client", Ignored, limits::int_once),
    kw("tune.rcvbuf.server", Ignored, limits::int_once),
    kw("tune.sndbuf.client", Ignored, limits::int_once),
    kw("tune.sndbuf.server", Ignored, limits::int_once),
    kw("tune.pipesize", Ignored, limits::int_plain),
    kw("tune.http.cookielen", Rejected, limits::int_plain),
    kw("tune.http.logurilen", Rejected, limits::int_plain),
    kw("tune.http.maxhdr", Supported, tune::maxhdr),
    kw("tune.comp.maxlevel", Ignored, tune::comp_maxlevel),
    kw("tune.pattern.cache-size", Ignored, tune::pattern_cache_size),
    kw("tune.chksize", Rejected, tune::chksize),
    kw("tune.fail-alloc", Ignored, tune::fail_alloc),
    kw("tune.fd.edge-triggered", Ignored, tune::on_off),
    kw("tune.idle-pool.shared", Ignored, tune::on_off),
    kw("tune.listener.multi-queue", Ignored, tune::on_off),
    kw("tune.sched.low-latency", Ignored, tune::on_off),
    kw("tune.h2.header-table-size", Ignored, tune::h2_range),
    kw("tune.h2.initial-window-size", Ignored, tune::positive_int),
    kw("tune.h2.max-concurrent-streams", Ignored, tune::positive_int),
    kw("tune.h2.max-frame-size", Ignored, tune::h2_range),
    kw("tune.peers.max-updates-at-once", Ignored, tune::peers_max_updates),
    kw("tune.pool-high-fd-ratio", Ignored, tune::fd_ratio),
    kw("tune.pool-low-fd-ratio", Ignored, tune::fd_ratio),
    kw("tune.vars.check-max-size", Ignored, tune::vars_size),
    kw("tune.vars.global-max-size", Ignored, tune::vars_size),
    kw("tune.vars.proc-max-size", Ignored, tune::vars_size),
    kw("tune.vars.reqres-max-size", Ignored, tune::vars_size),
    kw("tune.vars.sess-max-size", Ignored, tune::vars_size),
    kw("tune.vars.txn-max-size", Ignored, tune::vars_size),
    kw("tune.lua.forced-yield", Ignored, tune::lua_forced_yield),
    kw("tune.lua.maxmem", Ignored, tune::lua_maxmem),
    kw("tune.lua.service-timeout", Ignored, tune::lua_timeout),
    kw("tune.lua.session-timeout", Ignored, tune::lua_timeout),
    kw("tune.lua.task-timeout", Ignored, tune::lua_timeout),
    kw("tune.ssl.cachesize", Ignored, limits::ssl_int),
    kw("tune.ssl.maxrecord", Ignored, limits::ssl_int),
    kw("tune.ssl.hard-maxrecord", Ignored, limits::ssl_int),
    kw("tune.ssl.ssl-ctx-cache-size", Ignored, limits::ssl_int),
    kw("tune.ssl.capture-buffer-size", Ignored, ssl::capture_buffer_size),
    kw("tune.ssl.capture-cipherlist-size", Ignored, ssl::capture_buffer_size),
    kw("tune.ssl.default-dh-param", Ignored, ssl::default_dh_param),
    kw("tune.ssl.force-private-cache", Ignored, process::flag),
    kw("tune.ssl.keylog", Rejected, tune::on_off),
    kw("tune.ssl.lifetime", Ignored, ssl::lifetime),
    // SSL.
    kw("ca-base", Rejected, ssl::base_dir),
    kw("crt-base", Rejected, ssl::base_dir),
    kw("issuers-chain-path", Rejected, ssl::issuers_chain_path),
    kw("ssl-default-bind-ciphers", Rejected, ssl::cipher_suite),
    kw("ssl-default-bind-ciphersuites", Rejected, ssl::cipher_suite),
    kw("ssl-default-bind-curves", Rejected, ssl::cipher_suite),
    kw("ssl-default-bind-options", Rejected, ssl::default_options),
    kw("ssl-default-server-ciphers", Rejected, ssl::cipher_suite),
    kw("ssl-default-server-ciphersuites", Rejected, ssl::cipher_suite),
    kw("ssl-default-server-options", Rejected, ssl::default_options),
    kw("ssl-dh-param-file", Rejected, ssl::dh_param_file),
    kw("ssl-load-extra-files", Rejected, ssl::load_extra_files),
    kw("ssl-load-extra-del-ext", Rejected, process::flag_loose),
    kw("ssl-mode-async", Ignored, process::flag_loose),
    kw("ssl-propquery", Rejected, ssl::propquery),
    kw("ssl-provider", Rejected, ssl::provider),
    kw("ssl-provider-path", Rejected, ssl::provider_path),
    kw("ssl-server-verify", Rejected, ssl::server_verify),
    kw("ssl-skip-self-issued-ca", Rejected, process::flag_loose),
    // Lua, HTTP client, HTTP/1 and HTTP/2 behaviour.
    kw("lua-load", Rejected, ssl::lua_load),
    kw("lua-load-per-thread", Rejected, ssl::lua_load),
    kw("lua-prepend-path", Rejected, ssl::lua_prepend_path),
    kw("httpclient.resolvers.id", Rejected, ssl::httpclient_resolvers_id),
    kw("httpclient.resolvers.prefer", Rejected, ssl::httpclient_choice),
    kw("httpclient.ssl.ca-file", Rejected, ssl::httpclient_ca_file),
    kw("httpclient.ssl.verify", Rejected, ssl::httpclient_choice),
    kw("h1-case-adjust", Rejected, ssl::h1_case_adjust),
    kw("h1-case-adjust-file", Rejected, ssl::h1_case_adjust_file),
    kw("h1-accept-payload-with-any-method", Rejected, process::flag),
    kw("h2-workaround-bogus-websocket-clients", Ignored, process::flag),
    kw("pp2-never-send-local", Supported, process::pp2_never_send_local),
];

/// The `no` / `default` prefixes HAProxy's reader takes off a line before any section parser
/// sees it (the reader already gave the alert for keywords that do not accept them). HAProxy
/// still parses the line: `no` shifts the words left and empties the last one, `default`
/// shifts them without emptying it (so `default daemon` reads as `daemon daemon`).
pub fn strip_modifier(d: &Directive) -> (Modifier, Directive) {
    let kwm = match d.keyword() {
        "no" => Modifier::No,
        "default" => Modifier::Default,
        _ => return (Modifier::None, d.clone()),
    };
    let mut words = d.all_words.clone();
    let n = words.iter().skip(1).take_while(|w| !w.text.is_empty()).count();
    for i in 0..n {
        words[i] = words[i + 1].clone();
    }
    if kwm == Modifier::No {
        words[n].text.clear();
    }
    (kwm, Directive::new(d.span.clone(), words, d.raw.clone()))
}

/// Look a directive up in the table and run it; unknown keywords get HAProxy's message and
/// suggestion.
pub fn handle(r: &mut Reporter, g: &mut Global, d: &Directive) {
    let (kwm, d) = strip_modifier(d);
    let d = &d;
    let name = d.haproxy_arg(0);
    let Some(k) = KEYWORDS.iter().find(|k| k.name == name) else {
        let msg = match suggest::GLOBAL.suggest(name) {
            Some(s) => format!("unknown keyword '{name}' in 'global' section; did you mean '{s}' maybe ?"),
            None => format!("unknown keyword '{name}' in 'global' section"),
        };
        r.alert(d, msg);
        return;
    };
    let before = r.diags.errors();
    let mut cx = Cx { r, g, kwm, note: None };
    (k.handler)(&mut cx, d);
    if cx.r.diags.errors() == before {
        let (status, what) = cx.note.take().unwrap_or_else(|| (k.status, format!("'{name}'")));
        match status {
            Status::Supported => {}
            Status::Rejected => cx.r.not_yet(d, format!("{what} in the global section")),
            Status::Ignored => cx.g.ignored.push(Unsupported { span: d.span.clone(), what }),
        }
    }
}

impl Cx<'_, '_> {
    fn push(&mut self, sev: Severity, loc: Loc, d: &Directive, msg: String) -> &mut Diagnostic {
        self.r.push(with_source(Diagnostic::new(sev, loc, msg), d, 0));
        self.r.diags.list.last_mut().expect("just pushed")
    }
    /// `parsing [f:l] : msg`, fatal.
    pub fn alert(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.parsing(), d, msg.into());
    }
    /// `parsing [f:l]: msg`, fatal.
    pub fn alert_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.tight(), d, msg.into());
    }
    /// A fatal alert whose text ends with a line feed (HAProxy then prints an empty line).
    pub fn alert_nl(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.parsing(), d, msg.into()).detail_raw.push(String::new());
    }
    /// An alert that does not make the configuration invalid ("already specified. Continuing.").
    pub fn alert_soft(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.parsing(), d, msg.into()).fatal = false;
    }
    pub fn alert_soft_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.tight(), d, msg.into()).fatal = false;
    }
    /// An alert with no location (`config : msg`), fatal.
    pub fn alert_bare(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, Loc::None, d, msg.into());
    }
    pub fn warning(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.parsing(), d, msg.into());
    }
    pub fn warning_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.tight(), d, msg.into());
    }
    /// HAProxy's `too_many_args(max)`: an alert naming the first extra argument.
    pub fn too_many(&mut self, d: &Directive, max: usize) -> bool {
        too_many(self.r, d, max)
    }
    /// The value stored for `key` (0 when unset), as HAProxy's "already specified" checks see it.
    pub fn stored(&self, key: &str) -> i64 {
        self.g.numeric.get(key).copied().unwrap_or(0)
    }
    pub fn store(&mut self, key: &str, v: i64) {
        self.g.numeric.insert(key.to_string(), v);
    }
    /// Keep the words of an accepted setting haproxide does not model further.
    pub fn keep(&mut self, d: &Directive) {
        self.g.other.push((d.haproxy_arg(0).to_string(), d.args_from(1).map(String::from).collect()));
    }
}

/// HAProxy's `too_many_args`: more than `max` arguments is an alert. Returns true if so.
pub fn too_many(r: &mut Reporter, d: &Directive, max: usize) -> bool {
    if d.has_arg(max + 1) {
        r.alert(d, format!("'{}' cannot handle unexpected argument '{}'.", d.keyword(), d.arg(max + 1)));
        true
    } else {
        false
    }
}

pub fn time_error(kw: &str, arg: &str, e: &TimeError) -> String {
    match e {
        TimeError::Unexpected(c) => format!("unexpected character '{c}' in argument to <{kw}>."),
        TimeError::Overflow => {
            format!("timer overflow in argument <{arg}> to <{kw}>, maximum value is 2147483647 ms (~24.8 days).")
        }
        TimeError::Underflow => {
            format!("timer underflow in argument <{arg}> to <{kw}>, minimum non-null value is 1 ms.")
        }
        TimeError::Empty => format!("'{kw}' expects <time> as argument."),
    }
}

/// C `strtol(s, &end, 10)`: leading blanks, a sign, digits (saturating like glibc), and the
/// rest of the text after them.
pub fn strtol(s: &str) -> (i64, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    for b in body[..digits].bytes() {
        match v.checked_mul(10).and_then(|x| x.checked_add(i64::from(b - b'0'))) {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    let v = match (overflow, neg) {
        (true, true) => i64::MIN,
        (true, false) => i64::MAX,
        (false, true) => -v,
        (false, false) => v,
    };
    (v, &body[digits..])
}

/// C `atol`.
pub fn atol(s: &str) -> i64 {
    strtol(s).0
}

/// C `atoi`: `(int)strtol(...)`, so large values wrap like a 32-bit int.
pub fn atoi(s: &str) -> i32 {
    atol(s) as i32
}

/// HAProxy's `strl2irc`: an optional `-` then digits only, within an int.
pub fn strl2irc(s: &str) -> Option<i32> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

#[cfg(test)]
mod tests;

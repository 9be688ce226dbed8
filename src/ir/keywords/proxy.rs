//! Proxy sections (defaults, frontend, backend, listen): the keyword table, the `no`/`default`
//! modifiers, capability checks, and the core keywords. The families live beside this file:
//! server.rs, bind.rs, options.rs, timeouts.rs, balance.rs, persist.rs (cookies, stick tables,
//! persistence), stats.rs, capture.rs, errors.rs (error pages), logging.rs, legacy.rs (removed
//! keywords), misc.rs (compression, email alerts, external checks, source, dispatch...).

use crate::acl;
use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::types::{AclDef, Caps, Condition, Global, Mode, NameRef, Proxy, Rule};
use crate::ir::values;

use super::{Modifier, Reporter, Status};

/// Whether parsing may go on after a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// HAProxy's ERR_ABORT: stop reading the configuration.
    Abort,
    /// A parser returned -1, which HAProxy's reader takes for a failure to read the file: it
    /// stops there, without its "Error(s) found" line.
    ReadFailure,
}

/// Per-section parsing state that is not part of the IR.
#[derive(Debug, Default)]
pub struct SectionState {
    pub modifier: Modifier,
    /// The `stats` settings still are the defaults section's (HAProxy shares its `uri_auth`
    /// until the proxy uses a `stats` keyword of its own, which starts from scratch).
    pub stats_inherited: bool,
    /// The timeouts as inherited from the defaults section, for "overwriting" warnings.
    pub default_timeouts: crate::ir::types::Timeouts,
    pub default_rate_limit: Option<u32>,
    /// Stick tables declared so far in the configuration: (owner's type, owner's name, where),
    /// for HAProxy's name-conflict check.
    pub tables: Vec<(String, String, crate::config::ast::Span)>,
    /// Custom proxy ids given so far (HAProxy's `used_proxy_id` tree): (id, owner's type,
    /// owner's name, where the owner was declared).
    pub proxy_ids: Vec<(i64, String, String, crate::config::ast::Span)>,
    /// This proxy's custom listener ids (`used_listener_id`): (id, bind line, its address),
    /// kept even for lines that failed, as HAProxy's tree does.
    pub listener_ids: Vec<(i64, crate::config::ast::Span, String)>,
}

pub struct Cx<'r, 'a> {
    pub r: &'r mut Reporter<'a>,
    pub p: &'r mut Proxy,
    pub st: &'r mut SectionState,
    pub global: &'r Global,
}

type Handler = fn(&mut Cx, &Directive) -> Flow;

pub struct Keyword {
    pub name: &'static str,
    pub status: Status,
    pub handler: Handler,
}

const fn kw(name: &'static str, status: Status, handler: Handler) -> Keyword {
    Keyword { name, status, handler }
}

use super::{balance, capture, errors, legacy, logging, misc, persist, stats, timeouts};
use Status::{Rejected, Supported};

/// Keywords of proxy sections, first word only; multi-word families dispatch inside. A status
/// here is the keyword's as a whole; handlers note the forms they cannot run themselves.
pub const KEYWORDS: &[Keyword] = &[
    kw("mode", Supported, mode),
    kw("id", Supported, id),
    kw("description", Supported, description),
    kw("disabled", Supported, |cx, d| {
        if !cx.too_many(d, 0) {
            cx.p.disabled = true;
        }
        Flow::Continue
    }),
    kw("enabled", Supported, |cx, d| {
        if !cx.too_many(d, 0) {
            cx.p.disabled = false;
        }
        Flow::Continue
    }),
    kw("bind-process", Supported, bind_process),
    kw("bind", Supported, super::bind::bind),
    kw("server", Supported, super::server::server),
    kw("default-server", Supported, super::server::default_server),
    kw("server-template", Supported, super::server::server_template),
    kw("option", Supported, super::options::option),
    kw("http-check", Supported, super::checks::http_check),
    kw("tcp-check", Supported, super::checks::tcp_check),
    kw("timeout", Supported, timeouts::timeout),
    kw("clitimeout", Rejected, timeouts::timeout),
    kw("contimeout", Rejected, timeouts::timeout),
    kw("srvtimeout", Rejected, timeouts::timeout),
    kw("rate-limit", Rejected, timeouts::rate_limit),
    kw("max-keep-alive-queue", Rejected, timeouts::max_keep_alive_queue),
    kw("retry-on", Rejected, timeouts::retry_on),
    kw("clitcpka-cnt", Supported, timeouts::tcpka_cnt),
    kw("srvtcpka-cnt", Supported, timeouts::tcpka_cnt),
    kw("clitcpka-idle", Supported, timeouts::tcpka_time),
    kw("srvtcpka-idle", Supported, timeouts::tcpka_time),
    kw("clitcpka-intvl", Supported, timeouts::tcpka_time),
    kw("srvtcpka-intvl", Supported, timeouts::tcpka_time),
    kw("balance", Supported, balance::balance),
    kw("hash-type", Supported, balance::hash_type),
    kw("hash-balance-factor", Rejected, balance::hash_balance_factor),
    kw("maxconn", Supported, maxconn),
    kw("backlog", Supported, backlog),
    kw("fullconn", Supported, fullconn),
    kw("retries", Supported, retries),
    kw("default_backend", Supported, default_backend),
    kw("use_backend", Supported, use_backend),
    kw("use-server", Supported, use_server),
    kw("acl", Supported, acl),
    kw("monitor-uri", Supported, monitor_uri),
    kw("monitor", Supported, monitor),
    kw("cookie", Supported, persist::cookie),
    kw("dynamic-cookie-key", Supported, persist::dynamic_cookie_key),
    kw("persist", Supported, persist::persist),
    kw("force-persist", Supported, persist::force_persist),
    kw("ignore-persist", Supported, persist::force_persist),
    kw("stick-table", Supported, persist::stick_table),
    kw("stick", Supported, persist::stick),
    kw("stats", Supported, stats::stats),
    kw("capture", Supported, capture::capture),
    kw("declare", Supported, capture::declare),
    kw("errorfile", Supported, errors::errorfile),
    kw("errorfiles", Supported, errors::errorfiles),
    kw("errorloc", Supported, errors::errorloc),
    kw("errorloc302", Supported, errors::errorloc),
    kw("errorloc303", Supported, errors::errorloc),
    kw("http-error", Supported, errors::http_error),
    kw("log", Supported, logging::log),
    kw("log-format", Supported, logging::log_format),
    kw("log-format-sd", Rejected, logging::log_format_sd),
    kw("error-log-format", Rejected, logging::error_log_format),
    kw("log-tag", Supported, logging::log_tag),
    kw("unique-id-format", Supported, logging::unique_id_format),
    kw("unique-id-header", Supported, logging::unique_id_header),
    kw("compression", Rejected, misc::compression),
    kw("email-alert", Supported, misc::email_alert),
    kw("external-check", Rejected, misc::external_check),
    kw("use-fcgi-app", Rejected, misc::use_fcgi_app),
    kw("http-reuse", Supported, misc::http_reuse),
    kw("http-send-name-header", Supported, misc::http_send_name_header),
    kw("max-session-srv-conns", Rejected, misc::max_session_srv_conns),
    kw("server-state-file-name", Supported, misc::server_state_file_name),
    kw("load-server-state-from-file", Supported, misc::load_server_state_from_file),
    kw("source", Supported, misc::source),
    kw("usesrc", Rejected, misc::usesrc),
    kw("dispatch", Rejected, misc::dispatch),
    kw("transparent", Rejected, misc::transparent),
    kw("monitor-net", Rejected, legacy::monitor_net),
    kw("appsession", Rejected, legacy::appsession),
    kw("grace", Rejected, legacy::grace),
    kw("redispatch", Rejected, legacy::redispatch),
    kw("redisp", Rejected, legacy::redispatch),
    kw("block", Rejected, legacy::block),
    kw("reqadd", Rejected, legacy::req_rsp),
    kw("reqdel", Rejected, legacy::req_rsp),
    kw("reqrep", Rejected, legacy::req_rsp),
    kw("reqdeny", Rejected, legacy::req_rsp),
    kw("reqallow", Rejected, legacy::req_rsp),
    kw("reqpass", Rejected, legacy::req_rsp),
    kw("reqtarpit", Rejected, legacy::req_rsp),
    kw("reqidel", Rejected, legacy::req_rsp),
    kw("reqirep", Rejected, legacy::req_rsp),
    kw("reqideny", Rejected, legacy::req_rsp),
    kw("reqiallow", Rejected, legacy::req_rsp),
    kw("reqipass", Rejected, legacy::req_rsp),
    kw("reqitarpit", Rejected, legacy::req_rsp),
    kw("rspadd", Rejected, legacy::req_rsp),
    kw("rspdel", Rejected, legacy::req_rsp),
    kw("rsprep", Rejected, legacy::req_rsp),
    kw("rspdeny", Rejected, legacy::req_rsp),
    kw("rspidel", Rejected, legacy::req_rsp),
    kw("rspirep", Rejected, legacy::req_rsp),
    kw("rspideny", Rejected, legacy::req_rsp),
    kw("cliexp", Rejected, legacy::req_rsp),
    kw("srvexp", Rejected, legacy::req_rsp),
    kw("http-request", Supported, super::rules::http_request),
    kw("http-response", Supported, super::rules::http_response),
    kw("http-after-response", Supported, super::rules::http_after_response),
    kw("tcp-request", Supported, super::rules::tcp_request),
    kw("tcp-response", Supported, super::rules::tcp_response),
    kw("redirect", Supported, super::rules::redirect),
    kw("filter", Supported, super::rules::filter::filter),
];

/// The words a handler sees after a `no` / `default` prefix. HAProxy shifts its argument array
/// left; with `default` it does not clear the last slot, so the last word appears twice
/// (`default option httpclose` is seen as `option httpclose httpclose`).
fn strip_modifier(d: &Directive) -> (Modifier, std::borrow::Cow<'_, Directive>) {
    match d.keyword() {
        "no" | "default" if d.len() > 1 => {
            let no = d.keyword() == "no";
            let mut shifted = d.clone();
            shifted.words.remove(0);
            if !no {
                if let Some(last) = shifted.words.last().cloned() {
                    shifted.words.push(last);
                }
            }
            (if no { Modifier::No } else { Modifier::Default }, std::borrow::Cow::Owned(shifted))
        }
        _ => (Modifier::None, std::borrow::Cow::Borrowed(d)),
    }
}

/// The section word HAProxy names in "unknown keyword" messages.
pub fn section_word(p: &Proxy) -> &'static str {
    if p.is_defaults() {
        "defaults"
    } else if p.caps == Caps::LISTEN {
        "listen"
    } else if p.caps.frontend {
        "frontend"
    } else {
        "backend"
    }
}

/// Run one directive of a proxy section.
pub fn handle(r: &mut Reporter, p: &mut Proxy, st: &mut SectionState, global: &Global, d: &Directive) -> Flow {
    let (modifier, d) = strip_modifier(d);
    let d: &Directive = &d;
    st.modifier = modifier;
    let name = d.keyword();
    // A prefix on another keyword was reported by the reader; the keyword is parsed all the same.
    let Some(k) = KEYWORDS.iter().find(|k| k.name == name) else {
        let section = section_word(p);
        let msg = match crate::config::suggest::PROXY.suggest(name) {
            Some(s) => format!("unknown keyword '{name}' in '{section}' section; did you mean '{s}' maybe ?"),
            None => format!("unknown keyword '{name}' in '{section}' section"),
        };
        r.alert(d, msg);
        return Flow::Continue;
    };
    let mut cx = Cx { r, p, st, global };
    let before = cx.r.diags.alerts();
    let flow = (k.handler)(&mut cx, d);
    if cx.r.diags.alerts() == before {
        match k.status {
            Status::Supported => {}
            Status::Rejected => cx.r.not_yet(d, name),
            Status::Ignored => cx.r.warning(d, format!("'{name}' has no effect in haproxide and is ignored.")),
        }
    }
    flow
}

impl Cx<'_, '_> {
    /// HAProxy's `warnifnotcap`: a warning when the proxy lacks a capability; parsing goes on.
    pub fn warn_if_not_cap(&mut self, d: &Directive, need_backend: bool, hint: &str) -> bool {
        let has = if need_backend { self.p.caps.backend } else { self.p.caps.frontend };
        if !has {
            let cap = if need_backend { "backend" } else { "frontend" };
            self.r.warning(
                d,
                format!("'{}' ignored because {} has no {cap} capability.{hint}", d.keyword(), self.p.describe()),
            );
        }
        !has
    }
    /// HAProxy's "not allowed in 'defaults' section" for keywords that need a real proxy.
    pub fn alert_if_defaults(&mut self, d: &Directive) -> bool {
        if self.p.is_defaults() {
            self.r.alert(d, format!("'{}' not allowed in 'defaults' section.", d.keyword()));
        }
        self.p.is_defaults()
    }
    pub fn alert_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.r.push(super::with_source(
            Diagnostic::new(Severity::Alert, Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line }, msg),
            d,
            0,
        ));
    }
    pub fn warning_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.r.push(super::with_source(
            Diagnostic::new(Severity::Warning, Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line }, msg),
            d,
            0,
        ));
    }
    /// HAProxy's `alertif_too_many_args(max)`: `'kw' cannot handle unexpected argument 'x'.`
    pub fn too_many(&mut self, d: &Directive, max: usize) -> bool {
        self.too_many_idx(d, max, 0)
    }
    /// HAProxy's `alertif_too_many_args_idx(max, idx)`: the keyword is named by its first
    /// `idx + 1` words, the extra argument is word `idx + max + 1`.
    pub fn too_many_idx(&mut self, d: &Directive, max: usize, idx: usize) -> bool {
        let at = idx + max + 1;
        if !d.has_arg(at) {
            return false;
        }
        let kw = (0..=idx).map(|i| d.arg(i)).collect::<Vec<_>>().join(" ");
        self.r.alert_at(d, at, format!("'{kw}' cannot handle unexpected argument '{}'.", d.arg(at)));
        true
    }
    /// A warning of a keyword parser registered by a module (`parsing [f:l] : <msg>`).
    pub fn kw_warning(&mut self, d: &Directive, msg: impl Into<String>) {
        self.r.warning(d, msg);
    }
}

/// Split `<words> [if|unless <cond>]` into the words and the condition.
pub fn split_condition(d: &Directive, from: usize) -> (Vec<String>, Option<Condition>) {
    let words: Vec<String> = d.args_from(from).map(String::from).collect();
    match words.iter().position(|w| w == "if" || w == "unless") {
        Some(pos) => {
            let negate = words[pos] == "unless";
            let terms = words[pos + 1..].to_vec();
            (words[..pos].to_vec(), Some(Condition { negate, terms }))
        }
        None => (words, None),
    }
}

fn mode(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    cx.p.mode = match d.arg(1) {
        "http" => Mode::Http,
        "tcp" => Mode::Tcp,
        "health" => {
            cx.r.alert_at(
                d,
                1,
                "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.",
            );
            return Flow::Continue;
        }
        other => {
            cx.r.alert_at(d, 1, format!("unknown proxy mode '{other}'."));
            return Flow::Continue;
        }
    };
    cx.p.mode_set = true;
    Flow::Continue
}

fn id(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.alert_tight(d, "'id' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        cx.alert_tight(d, "'id' expects an integer argument.");
        return Flow::Continue;
    }
    let v = values::atoi(d.arg(1));
    if v <= 0 {
        cx.alert_tight(d, "custom id has to be > 0.");
        return Flow::Continue;
    }
    // HAProxy changes the key of the proxy's node already in its id tree before looking the
    // new id up: a second `id` line finds the proxy itself, its first id is freed.
    let (name, span) = (cx.p.name.clone(), cx.p.span.clone());
    if let Some(own) = cx.st.proxy_ids.iter_mut().find(|e| e.2 == name && e.3 == span) {
        own.0 = v;
    }
    if let Some((_, kind, name, at)) = cx.st.proxy_ids.iter().find(|(id, ..)| *id == v) {
        let msg = format!(
            "{} {} reuses same custom id as {kind} {name} (declared at {}:{}).",
            cx.p.caps.type_name(),
            cx.p.name,
            at.file,
            at.line
        );
        cx.alert_tight(d, msg);
        return Flow::Continue;
    }
    let owner = (v, cx.p.caps.type_name().to_string(), cx.p.name.clone(), cx.p.span.clone());
    cx.st.proxy_ids.push(owner);
    cx.p.id = Some(v as i32);
    Flow::Continue
}

fn description(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.alert_tight(d, "'description' not allowed in 'defaults' section.");
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        // HAProxy returns -1 here, which its reader takes for a failure to read the file.
        cx.alert_tight(d, "'description' expects a string argument.");
        let msg = format!("Could not open configuration file {} : Success", d.span.file);
        cx.r.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
        return Flow::ReadFailure;
    }
    cx.p.description = Some(d.args_from(1).collect::<Vec<_>>().join(" "));
    Flow::Continue
}

/// `bind-process`: accepted and ignored since 2.5, with a warning; bad process sets still fail.
fn bind_process(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warning_tight(d, "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.");
    for w in d.args_from(1) {
        if w == "all" {
            break;
        }
        if let Err(e) = super::bind::parse_process_set(w, 64) {
            cx.r.alert(d, format!("bind-process : {e}"));
            return Flow::Continue;
        }
    }
    Flow::Continue
}

fn maxconn(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, " Maybe you want 'fullconn' instead ?");
    if !d.has_arg(1) {
        cx.r.alert(d, "'maxconn' expects an integer argument.");
        return Flow::Continue;
    }
    cx.p.maxconn = Some(values::atoi(d.arg(1)).max(0) as u32);
    cx.too_many(d, 1);
    Flow::Continue
}

fn backlog(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'backlog' expects an integer argument.");
        return Flow::Continue;
    }
    cx.p.backlog = Some(values::atoi(d.arg(1)).max(0) as u32);
    cx.too_many(d, 1);
    Flow::Continue
}

fn fullconn(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, " Maybe you want 'maxconn' instead ?");
    if !d.has_arg(1) {
        cx.r.alert(d, "'fullconn' expects an integer argument.");
        return Flow::Continue;
    }
    cx.p.fullconn = Some(values::atoi(d.arg(1)).max(0) as u32);
    cx.too_many(d, 1);
    Flow::Continue
}

fn retries(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        cx.r.alert(d, "'retries' expects an integer argument (dispatch counts for one).");
        return Flow::Continue;
    }
    cx.p.retries = Some(values::atoi(d.arg(1)) as i32);
    Flow::Continue
}

fn default_backend(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'default_backend' expects a backend name.");
        return Flow::Continue;
    }
    cx.p.default_backend = Some(NameRef { name: d.arg(1).to_string(), span: d.span.clone() });
    cx.too_many(d, 1);
    Flow::Continue
}

fn use_backend(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, false, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'use_backend' expects a backend name.");
        return Flow::Continue;
    }
    // HAProxy only looks for `if`/`unless` right after the backend name.
    let cond = match d.arg(2) {
        "if" | "unless" => {
            let Some(info) = rule_condition(cx, d, 2, "error detected while parsing switching rule") else {
                return Flow::Continue;
            };
            if let Some(c) = info.conflict(acl::Ctx::FE_SET_BCK) {
                cx.r.warning(d, c.message());
            }
            Some(Condition { negate: d.arg(2) == "unless", terms: d.args_from(3).map(String::from).collect() })
        }
        "" => None,
        other => {
            cx.r.alert_at(
                d,
                2,
                format!("unexpected keyword '{other}' after switching rule, only 'if' and 'unless' are allowed."),
            );
            return Flow::Continue;
        }
    };
    let words = vec![d.arg(1).to_string()];
    cx.p.use_backend.push(Rule { span: d.span.clone(), words, cond });
    Flow::Continue
}

fn use_server(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'use-server' expects a server name.");
        return Flow::Continue;
    }
    if !matches!(d.arg(2), "if" | "unless") {
        cx.r.alert(d, "'use-server' requires either 'if' or 'unless' followed by a condition.");
        return Flow::Continue;
    }
    let Some(info) = rule_condition(cx, d, 2, "error detected while parsing switching rule") else {
        return Flow::Continue;
    };
    if let Some(c) = info.conflict(acl::Ctx::BE_SET_SRV) {
        cx.r.warning(d, c.message());
    }
    let cond = Condition { negate: d.arg(2) == "unless", terms: d.args_from(3).map(String::from).collect() };
    cx.p.use_server.push(Rule { span: d.span.clone(), words: vec![d.arg(1).to_string()], cond: Some(cond) });
    Flow::Continue
}

/// The `-u` ids taken by the ACL lines already read in this proxy.
fn acl_unique_ids(p: &Proxy) -> Vec<i64> {
    p.acls.iter().flat_map(|a| a.words.windows(2).filter(|w| w[0] == "-u").filter_map(|w| w[1].parse().ok())).collect()
}

/// Print HAProxy's ACL warnings: some carry the line, others are printed bare.
fn acl_warnings(cx: &mut Cx, d: &Directive, first_word: usize, warnings: Vec<acl::AclWarning>) {
    for w in warnings {
        if w.located {
            cx.r.warning_at(d, first_word + w.word, w.headline);
        } else {
            let mut diag =
                super::with_source(Diagnostic::new(Severity::Warning, Loc::None, w.headline), d, first_word + w.word);
            diag.detail_raw = w.detail;
            cx.r.push(diag);
        }
    }
}

/// Check the condition starting at word `at` (`if`/`unless`) against the ACLs defined so far,
/// reporting problems as HAProxy does under the rule's own prefix.
pub(super) fn rule_condition(cx: &mut Cx, d: &Directive, at: usize, prefix: &str) -> Option<acl::CondInfo> {
    let words: Vec<&str> = d.args_from(at).collect();
    let acls = &cx.p.acls;
    let known = |name: &str| -> Option<Vec<acl::ExprMeta>> {
        let metas: Vec<acl::ExprMeta> = acls
            .iter()
            .filter(|a| a.name == name)
            .filter_map(|a| acl::expr_meta(&a.words.iter().map(String::as_str).collect::<Vec<_>>()))
            .collect();
        if metas.is_empty() {
            None
        } else {
            Some(metas)
        }
    };
    // `-u` ids only matter to anonymous ACLs that claim one.
    let ids = if words.contains(&"-u") { acl_unique_ids(cx.p) } else { Vec::new() };
    let mut warnings = Vec::new();
    let res = acl::check_condition(&words, &known, &ids, &mut warnings);
    acl_warnings(cx, d, at, warnings);
    match res {
        Ok(info) => Some(info),
        Err(e) => {
            cx.r.alert_at(d, at + e.word, format!("{prefix} : {}.", e.msg));
            None
        }
    }
}

fn acl(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() && cx.p.name.is_empty() {
        cx.r.alert(d, "'acl' not allowed in anonymous 'defaults' section.");
        return Flow::Continue;
    }
    let name = d.arg(1);
    if let Err(msg) = acl::check_acl_name(name) {
        cx.r.alert_at(d, 1, msg);
        return Flow::Continue;
    }
    let words: Vec<&str> = d.args_from(2).collect();
    let ids = if words.contains(&"-u") { acl_unique_ids(cx.p) } else { Vec::new() };
    let mut warnings = Vec::new();
    let res = acl::parse_acl(name, &words, &ids, &mut warnings);
    acl_warnings(cx, d, 2, warnings);
    match res {
        Ok(_) => cx.p.acls.push(AclDef {
            span: d.span.clone(),
            name: name.to_string(),
            words: words.iter().map(|w| w.to_string()).collect(),
        }),
        Err(e) => {
            cx.r.alert_at(d, 2 + e.word, format!("error detected while parsing ACL '{name}' : {}.", e.msg));
        }
    }
    Flow::Continue
}

fn monitor_uri(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, false, "");
    if cx.too_many(d, 1) {
        return Flow::Continue;
    }
    if !d.has_arg(1) {
        cx.r.alert(d, "'monitor-uri' expects an URI.");
        return Flow::Continue;
    }
    cx.p.monitor_uri = Some(d.arg(1).to_string());
    Flow::Continue
}

fn monitor(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, false, "");
    if d.arg(1) != "fail" {
        cx.r.alert(d, "'monitor' only supports 'fail'.");
        return Flow::Continue;
    }
    if !matches!(d.arg(2), "if" | "unless") {
        cx.r.alert(d, "'monitor fail' requires either 'if' or 'unless' followed by a condition.");
        return Flow::Continue;
    }
    // HAProxy checks no keyword conflict for monitor conditions.
    if rule_condition(cx, d, 2, "error detected while parsing a 'monitor fail' condition").is_none() {
        return Flow::Continue;
    }
    let cond = Condition { negate: d.arg(2) == "unless", terms: d.args_from(3).map(String::from).collect() };
    cx.p.monitor_fail.push(Rule { span: d.span.clone(), words: vec![], cond: Some(cond) });
    Flow::Continue
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
pub(crate) mod tests;

//! Proxy sections (defaults, frontend, backend, listen): the keyword table, the `no`/`default`
//! modifiers, capability checks, and the core keywords. Larger families live beside this file
//! (server.rs, bind.rs, options.rs).

use crate::acl;
use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::types::{
    AclDef, Balance, Caps, Condition, ErrorFile, Global, HashFunction, HashMethod, Mode, NameRef, Proxy, Rule,
};
use crate::ir::values::{self, TimeError};

use super::global::too_many;
use super::{Modifier, Reporter, Status};

/// Whether parsing may go on after a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// HAProxy's ERR_ABORT: stop reading the configuration.
    Abort,
}

/// Per-section parsing state that is not part of the IR.
#[derive(Debug, Default)]
pub struct SectionState {
    pub modifier: Modifier,
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

use Status::Supported;

/// Keywords of proxy sections, first word only; multi-word families dispatch inside.
pub const KEYWORDS: &[Keyword] = &[
    kw("mode", Supported, mode),
    kw("id", Supported, id),
    kw("description", Supported, description),
    kw("disabled", Supported, |cx, d| {
        if !too_many(cx.r, d, 0) {
            cx.p.disabled = true;
        }
        Flow::Continue
    }),
    kw("enabled", Supported, |cx, d| {
        if !too_many(cx.r, d, 0) {
            cx.p.disabled = false;
        }
        Flow::Continue
    }),
    kw("bind", Supported, super::bind::bind),
    kw("server", Supported, super::server::server),
    kw("default-server", Supported, super::server::default_server),
    kw("server-template", Supported, super::server::server_template),
    kw("option", Supported, super::options::option),
    kw("timeout", Supported, timeout),
    kw("balance", Supported, balance),
    kw("hash-type", Supported, hash_type),
    kw("maxconn", Supported, maxconn),
    kw("fullconn", Supported, fullconn),
    kw("retries", Supported, retries),
    kw("http-reuse", Supported, http_reuse),
    kw("default_backend", Supported, default_backend),
    kw("use_backend", Supported, use_backend),
    kw("use-server", Supported, use_server),
    kw("acl", Supported, acl),
    kw("monitor-uri", Supported, monitor_uri),
    kw("monitor", Supported, monitor),
    kw("errorfile", Supported, errorfile),
    kw("log", Supported, log),
    kw("log-format", Supported, log_format),
    kw("log-tag", Supported, |cx, d| {
        if !d.has_arg(1) {
            cx.r.alert(d, "'log-tag' expects a tag for use in syslog.");
        } else if !too_many(cx.r, d, 1) {
            cx.p.log.tag = Some(d.arg(1).to_string());
            cx.r.not_yet(d, "log-tag in a proxy");
        }
        Flow::Continue
    }),
    kw("http-request", Supported, super::rules::http_request),
    kw("http-response", Supported, super::rules::http_response),
    kw("http-after-response", Supported, super::rules::http_after_response),
    kw("tcp-request", Supported, super::rules::tcp_request),
    kw("tcp-response", Supported, super::rules::tcp_response),
    kw("redirect", Supported, super::rules::redirect),
    kw("filter", Supported, super::rules::filter::filter),
];

/// Run one directive of a proxy section.
pub fn handle(r: &mut Reporter, p: &mut Proxy, st: &mut SectionState, global: &Global, d: &Directive) -> Flow {
    // `no` and `default` prefixes: only some keywords accept them.
    let (modifier, d) = match d.keyword() {
        "no" | "default" if d.len() > 1 => {
            let m = if d.keyword() == "no" { Modifier::No } else { Modifier::Default };
            let mut shifted = d.clone();
            shifted.words.remove(0);
            (m, std::borrow::Cow::Owned(shifted))
        }
        _ => (Modifier::None, std::borrow::Cow::Borrowed(d)),
    };
    let d: &Directive = &d;
    st.modifier = modifier;
    let name = d.keyword();
    if modifier != Modifier::None && !matches!(name, "option" | "log") {
        r.push(Diagnostic::new(
            Severity::Alert,
            Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line },
            "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
        ));
        return Flow::Continue;
    }
    let Some(k) = KEYWORDS.iter().find(|k| k.name == name) else {
        let section = if p.is_defaults() {
            "defaults"
        } else if p.caps == Caps::LISTEN {
            "listen"
        } else if p.caps.frontend {
            "frontend"
        } else {
            "backend"
        };
        let names: Vec<&str> = KEYWORDS.iter().map(|k| k.name).collect();
        r.unknown_keyword(d, section, &names);
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
    if too_many(cx.r, d, 1) {
        return Flow::Continue;
    }
    cx.p.mode = match d.arg(1) {
        "http" => Mode::Http,
        "tcp" => Mode::Tcp,
        "log" => Mode::Log,
        other => {
            cx.r.alert_at(d, 1, format!("unknown proxy mode '{other}'."));
            return Flow::Continue;
        }
    };
    cx.p.mode_set = true;
    Flow::Continue
}

fn id(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
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
    cx.p.id = Some(v as i32);
    Flow::Continue
}

fn description(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        // HAProxy reports this one oddly and stops reading the file.
        cx.alert_tight(d, "'description' expects a string argument.");
        let msg = format!("Could not open configuration file {} : Success", d.span.file);
        cx.r.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
        return Flow::Abort;
    }
    cx.p.description = Some(d.args_from(1).collect::<Vec<_>>().join(" "));
    Flow::Continue
}

pub fn time_msg(kw: &str, e: &TimeError, arg: &str) -> String {
    match e {
        TimeError::Unexpected(c) => format!("unexpected character '{c}' in '{kw}'"),
        TimeError::Overflow => {
            format!("timer overflow in argument '{arg}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)")
        }
        TimeError::Underflow => {
            format!("timer underflow in argument '{arg}' to '{kw}' (minimum non-null value is 1 ms)")
        }
        TimeError::Empty => format!("'{kw}' expects an integer value (in milliseconds)"),
    }
}

fn timeout(cx: &mut Cx, d: &Directive) -> Flow {
    let which = d.arg(1);
    let (backend_side, frontend_side) = match which {
        "client" | "clitimeout" | "client-fin" | "http-request" | "http-keep-alive" => (false, true),
        "server" | "srvtimeout" | "server-fin" | "connect" | "contimeout" | "queue" | "check" => (true, false),
        "tunnel" => (true, false),
        "tarpit" => (false, false),
        _ => {
            let msg = format!("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '{which}')");
            cx.r.alert_at(d, 1, msg);
            return Flow::Continue;
        }
    };
    let kwname = format!("timeout {which}");
    if (backend_side && !cx.p.caps.backend) || (frontend_side && !cx.p.caps.frontend) {
        let cap = if backend_side { "backend" } else { "frontend" };
        cx.r.warning(d, format!("'{kwname}' will be ignored because {} has no {cap} capability", cx.p.describe()));
    }
    let v = match values::parse_ms(d.arg(2)) {
        Ok(v) => v,
        Err(e) => {
            cx.r.alert_at(d, 2, time_msg(&kwname, &e, d.arg(2)));
            return Flow::Continue;
        }
    };
    if d.len() > 3 {
        cx.r.alert_at(d, 3, format!("'{kwname}' cannot handle unexpected argument '{}'.", d.arg(3)));
        return Flow::Continue;
    }
    let t = &mut cx.p.timeouts;
    let slot = match which {
        "client" | "clitimeout" => &mut t.client,
        "client-fin" => &mut t.client_fin,
        "server" | "srvtimeout" => &mut t.server,
        "server-fin" => &mut t.server_fin,
        "connect" | "contimeout" => &mut t.connect,
        "check" => &mut t.check,
        "queue" => &mut t.queue,
        "http-keep-alive" => &mut t.http_keep_alive,
        "http-request" => &mut t.http_request,
        "tunnel" => &mut t.tunnel,
        _ => &mut t.tarpit,
    };
    *slot = Some(v);
    if matches!(which, "check" | "tarpit") {
        cx.r.not_yet(d, kwname);
    }
    Flow::Continue
}

fn http_reuse(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.warn_if_not_cap(d, true, "") {
        return Flow::Continue;
    }
    use crate::ir::types::HttpReuse;
    let mode = match d.arg(1) {
        "never" => HttpReuse::Never,
        "safe" => HttpReuse::Safe,
        "aggressive" => HttpReuse::Aggressive,
        "always" => HttpReuse::Always,
        _ => {
            cx.r.alert(d, "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.");
            return Flow::Continue;
        }
    };
    if !too_many(cx.r, d, 1) {
        cx.p.http_reuse = mode;
    }
    Flow::Continue
}

fn balance(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        // `balance` alone keeps the current algorithm, as HAProxy does.
        return Flow::Continue;
    }
    let algo = d.arg(1);
    let positive = |cx: &mut Cx, i: usize, what: &str| -> Option<u32> {
        let v = d.arg(i + 1);
        match v.parse::<u32>() {
            Ok(n) if n > 0 || what == "check_post" => Some(n),
            _ => {
                cx.r.alert(d, format!("balance {algo} : '{}' expects a positive integer (got '{v}').", d.arg(i)));
                None
            }
        }
    };
    let b = match algo {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "first" => Balance::First,
        "source" => Balance::Source,
        "uri" => {
            let (mut whole, mut len, mut depth, mut path_only) = (false, None, None, false);
            let mut i = 2;
            while i < d.len() {
                match d.arg(i) {
                    "whole" => whole = true,
                    "path-only" => path_only = true,
                    "len" => {
                        let Some(n) = positive(cx, i, "len") else {
                            return Flow::Continue;
                        };
                        len = Some(n);
                        i += 1;
                    }
                    "depth" => {
                        let Some(n) = positive(cx, i, "depth") else {
                            return Flow::Continue;
                        };
                        depth = Some(n);
                        i += 1;
                    }
                    other => {
                        cx.r.alert(
                            d,
                            format!("balance uri : unknown option '{other}'. Only 'whole', 'len', 'depth' and 'path-only' are supported."),
                        );
                        return Flow::Continue;
                    }
                }
                i += 1;
            }
            Balance::Uri { whole, len, depth, path_only }
        }
        "url_param" => {
            if !d.has_arg(2) {
                cx.r.alert(d, "'balance url_param' requires an URL parameter name.");
                return Flow::Continue;
            }
            let mut check_post = None;
            if d.arg(3) == "check_post" {
                check_post = Some(values::atoi(d.arg(4)).max(0) as u32);
            }
            Balance::UrlParam { name: d.arg(2).to_string(), check_post }
        }
        "random" => {
            let draws = if d.has_arg(2) { values::atoi(d.arg(2)) } else { 2 };
            if draws < 1 {
                cx.r.alert(d, "'balance random' : 'draws' must be > 0.");
                return Flow::Continue;
            }
            Balance::Random { draws: draws as u32 }
        }
        a if a.starts_with("hdr(") => match a.strip_prefix("hdr(").and_then(|s| s.strip_suffix(')')) {
            Some(name) if !name.is_empty() => {
                Balance::Hdr { name: name.to_string(), use_domain_only: d.arg(2) == "use_domain_only" }
            }
            _ => {
                cx.r.alert(d, "hdr requires an http header field name.");
                return Flow::Continue;
            }
        },
        a if a.starts_with("rdp-cookie") => {
            let name = a.strip_prefix("rdp-cookie").unwrap_or("");
            let cookie = match name.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                Some(n) => Some(n.to_string()),
                None if name.is_empty() => None,
                None => {
                    cx.r.alert(d, "rdp-cookie : missing cookie name.");
                    return Flow::Continue;
                }
            };
            Balance::Rdp { cookie }
        }
        "hash" => {
            if !d.has_arg(2) {
                cx.r.alert(d, "'balance hash' requires a sample expression.");
                return Flow::Continue;
            }
            Balance::Hash { expr: d.arg(2).to_string() }
        }
        _ => {
            cx.r.alert_at(d, 1, "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.");
            return Flow::Continue;
        }
    };
    // The remaining hash algorithms wait for the HTTP path to hand uri / url_param / hdr() their
    // input (engine::lb::hash::hash_input), and for sample fetches (rdp-cookie, hash).
    if !matches!(
        b,
        Balance::RoundRobin
            | Balance::StaticRr
            | Balance::LeastConn
            | Balance::First
            | Balance::Random { .. }
            | Balance::Source
    ) {
        cx.r.not_yet(d, format!("balance {algo}"));
    }
    cx.p.balance = b;
    cx.p.balance_set = true;
    Flow::Continue
}

fn hash_type(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    cx.p.hash_type.method = match d.arg(1) {
        "consistent" => HashMethod::Consistent,
        "map-based" => HashMethod::MapBased,
        "avalanche" => {
            cx.r.alert(
                d,
                "'hash-type avalanche' is not supported anymore, please use 'hash-type map-based avalanche' instead.",
            );
            return Flow::Continue;
        }
        _ => {
            cx.r.alert(d, "'hash-type' only supports 'consistent' and 'map-based'.");
            return Flow::Continue;
        }
    };
    // Every hash-type line resets the function and the avalanche modifier: without a function,
    // HAProxy uses sdbm, with avalanche for consistent hashing only.
    cx.p.hash_type.function = HashFunction::Sdbm;
    cx.p.hash_type.avalanche = cx.p.hash_type.method == HashMethod::Consistent && !d.has_arg(2);
    if d.has_arg(2) {
        cx.p.hash_type.function = match d.arg(2) {
            "sdbm" => HashFunction::Sdbm,
            "djb2" => HashFunction::Djb2,
            "wt6" => HashFunction::Wt6,
            "crc32" => HashFunction::Crc32,
            _ => {
                cx.r.alert(d, "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
                return Flow::Continue;
            }
        };
        if d.has_arg(3) {
            if d.arg(3) == "avalanche" {
                cx.p.hash_type.avalanche = true;
            } else {
                cx.r.alert(
                    d,
                    format!(
                        "'hash-type' only supports 'avalanche' as a modifier for hash functions (got '{}').",
                        d.arg(3)
                    ),
                );
            }
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
    if too_many(cx.r, d, 1) {
        return Flow::Continue;
    }
    cx.p.maxconn = Some(values::atoi(d.arg(1)).max(0) as u32);
    Flow::Continue
}

fn fullconn(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, " Maybe you want 'maxconn' instead ?");
    if !d.has_arg(1) {
        cx.r.alert(d, "'fullconn' expects an integer argument.");
        return Flow::Continue;
    }
    if too_many(cx.r, d, 1) {
        return Flow::Continue;
    }
    cx.p.fullconn = Some(values::atoi(d.arg(1)).max(0) as u32);
    Flow::Continue
}

fn retries(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'retries' expects an integer argument (dispatch counts for one).");
        return Flow::Continue;
    }
    if too_many(cx.r, d, 1) {
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
    if too_many(cx.r, d, 1) {
        return Flow::Continue;
    }
    cx.p.default_backend = Some(NameRef { name: d.arg(1).to_string(), span: d.span.clone() });
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
fn rule_condition(cx: &mut Cx, d: &Directive, at: usize, prefix: &str) -> Option<acl::CondInfo> {
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

fn log(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.st.modifier == Modifier::No {
        // `no log`: drop inherited targets.
        cx.p.log.targets.clear();
        cx.p.log.disabled = true;
        return Flow::Continue;
    }
    if d.arg(1) == "global" {
        if too_many(cx.r, d, 1) {
            return Flow::Continue;
        }
        cx.p.log.disabled = false;
        cx.p.log.targets.push(crate::ir::types::LogTarget::Global);
        return Flow::Continue;
    }
    if let Some(t) = super::global::parse_log(cx.r, d) {
        cx.p.log.disabled = false;
        cx.p.log.targets.push(t);
    }
    Flow::Continue
}

fn log_format(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "log-format expects a format string as an argument.");
        return Flow::Continue;
    }
    if d.len() > 2 {
        cx.r.alert(d, "log-format only accepts 1 argument, please use quotes if the format contains spaces.");
        return Flow::Continue;
    }
    if let Err(e) = crate::log::format::LogFormat::compile(d.arg(1)) {
        match e {
            crate::log::format::FormatError::Sample(_) => cx.r.not_yet(d, e.to_string()),
            _ => {
                cx.r.alert(d, format!("failed to parse log-format : {e}"));
                return Flow::Continue;
            }
        }
    }
    cx.p.log.format = crate::ir::types::LogFormat::Custom(d.arg(1).to_string());
    Flow::Continue
}

/// Status codes `errorfile` and `http-error` accept.
pub const ERROR_CODES: &[u16] = &[200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

fn errorfile(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) || !d.has_arg(2) {
        cx.r.alert(d, "errorfile : expects <status_code> and <file> as arguments.");
        return Flow::Continue;
    }
    let code = values::atoi(d.arg(1));
    let body = match std::fs::read(d.arg(2)) {
        Ok(b) => b,
        Err(_) => {
            cx.r.alert_at(d, 2, format!("errorfile : error opening file '{}'.", d.arg(2)));
            return Flow::Continue;
        }
    };
    let Some(&status) = ERROR_CODES.iter().find(|&&c| i64::from(c) == code) else {
        cx.r.alert_at(d, 1, format!("errorfile : status code '{}' not handled.", d.arg(1)));
        return Flow::Continue;
    };
    cx.p.errorfiles.insert(status, ErrorFile { status, body });
    Flow::Continue
}

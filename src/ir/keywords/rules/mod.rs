//! The rule families of proxy sections: `http-request`, `http-response`, `http-after-response`,
//! `tcp-request` (`inspect-delay`, `connection`, `session`, `content`), `tcp-response`
//! (`inspect-delay`, `content`), `redirect` and `filter`, parsed and checked the way HAProxy 2.6
//! does, with its messages and error classes (an http rule that fails to parse stops reading
//! the configuration, a tcp rule does not).
//!
//! Files: [`tables`] (the action keywords of each rule set, in HAProxy's registration order,
//! with their parsers and status), [`http_act`] (header, request-line and status actions),
//! [`reply`] (`deny`/`return` replies and redirects), [`misc_act`] (actions shared by several
//! rule sets: variables, stick counters, connection tweaks, services), [`tcp`] (the tcp
//! families), [`fmt`] (log-format arguments), [`filter`] (`filter` lines), [`post`] (checks
//! made once the whole configuration is read, and the conditions the engine runs).

pub mod filter;
pub mod fmt;
pub mod http_act;
pub mod misc_act;
pub mod post;
pub mod reply;
pub mod tables;
pub mod tcp;

use crate::acl::{self, Ctx};
use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::rules::{Action, ActionRule, LateCheck, RuleCond, RuleSet};
use crate::ir::types::{Global, Mode, Proxy};

use super::proxy::{Cx, Flow};
use super::with_source;

/// What an action parser sees and may report besides its result.
pub struct Act<'a> {
    /// HAProxy's `args` for this parser: for http rules the action keyword is `args[0]`; for tcp
    /// rules the whole line (`tcp-request`, `content`, the action...).
    pub args: Vec<&'a str>,
    pub set: RuleSet,
    pub p: &'a Proxy,
    pub global: &'a Global,
    /// Located warnings (`parsing [f:l] : <text>`), in order.
    pub warnings: Vec<String>,
    /// A check to run once the whole configuration is read.
    pub check: Option<LateCheck>,
    /// HAProxy's `ACT_FLAG_FINAL`.
    pub is_final: bool,
    /// A condition the action parsed itself (redirect rules).
    pub cond: Option<Vec<String>>,
    /// A warning HAProxy prints after a successful parse (`parsing [f:l] : <text>.`).
    pub soft_warning: Option<String>,
    /// What checking that condition found, and the warnings it gave.
    pub cond_info: Option<acl::CondInfo>,
    pub acl_warnings: Vec<acl::AclWarning>,
    /// Where a reply's log-formats run when it is not the rule set's place (`http-error`).
    pub reply_cap: Option<acl::Ctx>,
}

/// An action parser: `*cur` is the index of the first argument after the keyword; on success it
/// is left on the first word the parser did not take.
pub type ParseFn = fn(&mut Act, &mut usize) -> Result<Action, String>;

impl<'a> Act<'a> {
    pub fn new(args: Vec<&'a str>, set: RuleSet, p: &'a Proxy, global: &'a Global) -> Act<'a> {
        Act {
            args,
            set,
            p,
            global,
            warnings: Vec::new(),
            check: None,
            is_final: false,
            cond: None,
            soft_warning: None,
            cond_info: None,
            acl_warnings: Vec::new(),
            reply_cap: None,
        }
    }
    /// `args[i]`, or `""` past the end (HAProxy's argument array is padded with empty words).
    pub fn arg(&self, i: usize) -> &'a str {
        self.args.get(i).copied().unwrap_or("")
    }
    pub fn is_cond(&self, i: usize) -> bool {
        matches!(self.arg(i), "if" | "unless")
    }
    /// HAProxy's `proxy_type_str`.
    pub fn px_type(&self) -> &'static str {
        self.p.caps.type_name()
    }
    pub fn fe(&self) -> bool {
        self.p.caps.frontend
    }
    pub fn be(&self) -> bool {
        self.p.caps.backend
    }
    /// Where sample fetches of the rule run, both sides the proxy has (`SMP_VAL_*_H{RQ,RS}_HDR`
    /// for http rules, the content/connection places for tcp rules).
    pub fn where_both(&self) -> Ctx {
        let (fe, be) = match self.set {
            RuleSet::HttpReq | RuleSet::Redirect => (Ctx::FE_HRQ_HDR, Ctx::BE_HRQ_HDR),
            RuleSet::HttpRes | RuleSet::HttpAfter => (Ctx::FE_HRS_HDR, Ctx::BE_HRS_HDR),
            RuleSet::TcpReqConn => return Ctx::FE_CON_ACC,
            RuleSet::TcpReqSess => return Ctx::FE_SES_ACC,
            RuleSet::TcpReqCont => (Ctx::FE_REQ_CNT, Ctx::BE_REQ_CNT),
            RuleSet::TcpResCont => (Ctx::FE_RES_CNT, Ctx::BE_RES_CNT),
        };
        let mut c = Ctx::default();
        if self.fe() {
            c = c | fe;
        }
        if self.be() {
            c = c | be;
        }
        c
    }
    pub fn http_proxy(&self) -> bool {
        self.p.mode == Mode::Http
    }
    /// Parse a log-format argument.
    pub fn fmt(&mut self, text: &str, cap: Ctx, http_opt: bool) -> Result<crate::ir::rules::LogFmt, String> {
        let place = fmt::FmtPlace { cap, http_proxy: self.http_proxy(), http_opt };
        fmt::parse(text, place, &mut self.warnings)
    }
    /// `sample_parse_expr(args, cur)`: on success `*cur` is past the expression.
    pub fn expr(&self, cur: &mut usize) -> Result<acl::SampleExpr, String> {
        let mut idx = *cur;
        let e = acl::parse_sample_expr(&self.args, &mut idx).map_err(|e| e.msg)?;
        *cur = idx;
        Ok(e)
    }
}

/// The rules a proxy defined itself (a named defaults section's rules are copied into the
/// proxies that use it; HAProxy keeps them apart and they do not count here).
pub fn own<'a>(p: &'a Proxy, rules: &'a [ActionRule]) -> impl Iterator<Item = &'a ActionRule> + 'a {
    rules.iter().filter(move |r| r.span.file == p.span.file && r.span.line > p.span.line)
}

pub fn rules_mut(p: &mut Proxy, set: RuleSet) -> &mut Vec<ActionRule> {
    match set {
        RuleSet::HttpReq => &mut p.http_request,
        RuleSet::HttpRes => &mut p.http_response,
        RuleSet::HttpAfter => &mut p.http_after_response,
        RuleSet::TcpReqConn => &mut p.tcp_request_connection,
        RuleSet::TcpReqSess => &mut p.tcp_request_session,
        RuleSet::TcpReqCont => &mut p.tcp_request_content,
        RuleSet::TcpResCont => &mut p.tcp_response_content,
        RuleSet::Redirect => &mut p.redirects,
    }
}

pub fn rules_of(p: &Proxy, set: RuleSet) -> &[ActionRule] {
    match set {
        RuleSet::HttpReq => &p.http_request,
        RuleSet::HttpRes => &p.http_response,
        RuleSet::HttpAfter => &p.http_after_response,
        RuleSet::TcpReqConn => &p.tcp_request_connection,
        RuleSet::TcpReqSess => &p.tcp_request_session,
        RuleSet::TcpReqCont => &p.tcp_request_content,
        RuleSet::TcpResCont => &p.tcp_response_content,
        RuleSet::Redirect => &p.redirects,
    }
}

/// A parsing-located message for directive `d`, pointing at word `i`.
pub fn located(sev: Severity, d: &Directive, i: usize, msg: impl Into<String>) -> Diagnostic {
    with_source(Diagnostic::new(sev, d.span.parsing(), msg), d, i)
}

pub fn tight(sev: Severity, d: &Directive, i: usize, msg: impl Into<String>) -> Diagnostic {
    with_source(Diagnostic::new(sev, d.span.tight(), msg), d, i)
}

/// A condition checked as HAProxy's `build_acl_cond` while reading the rule, against the ACLs
/// of the proxy read so far. Returns the warnings HAProxy prints while doing so; the error is
/// (message, index of the blamed word in `words`).
pub fn cond_check(p: &Proxy, words: &[&str]) -> (Result<acl::CondInfo, (String, usize)>, Vec<acl::AclWarning>) {
    let acls = &p.acls;
    let known = |name: &str| -> Option<Vec<acl::ExprMeta>> {
        let metas: Vec<acl::ExprMeta> = acls
            .iter()
            .filter(|a| a.name == name)
            .filter_map(|a| acl::expr_meta(&a.words.iter().map(String::as_str).collect::<Vec<_>>()))
            .collect();
        (!metas.is_empty()).then_some(metas)
    };
    let ids: Vec<i64> = if words.contains(&"-u") {
        p.acls
            .iter()
            .flat_map(|a| a.words.windows(2).filter(|w| w[0] == "-u").filter_map(|w| w[1].parse().ok()))
            .collect()
    } else {
        Vec::new()
    };
    let mut warnings = Vec::new();
    let res = acl::check_condition(words, &known, &ids, &mut warnings);
    (res.map_err(|e| (e.msg, e.word)), warnings)
}

/// Print the warnings of a condition check; `at` is the index of the condition's first word in
/// the directive.
pub fn emit_acl_warnings(cx: &mut Cx, d: &Directive, at: usize, warnings: Vec<acl::AclWarning>) {
    for w in warnings {
        if w.located {
            cx.r.push(located(Severity::Warning, d, at + w.word, w.headline));
        } else {
            let mut diag = with_source(Diagnostic::new(Severity::Warning, Loc::None, w.headline), d, at + w.word);
            diag.detail_raw = w.detail;
            cx.r.push(diag);
        }
    }
}

/// [`cond_check`] with its warnings printed.
pub fn check_cond(cx: &mut Cx, d: &Directive, words: &[&str], at: usize) -> Result<acl::CondInfo, (String, usize)> {
    let (res, warnings) = cond_check(cx.p, words);
    emit_acl_warnings(cx, d, at, warnings);
    res
}

/// Record a parsed rule, and the "not supported yet" note for actions the engine cannot run.
#[allow(clippy::too_many_arguments)]
pub fn push_rule(
    cx: &mut Cx,
    d: &Directive,
    set: RuleSet,
    action: Action,
    keyword: &str,
    cond: Option<Vec<String>>,
    is_final: bool,
    check: Option<LateCheck>,
) {
    let unsupported = matches!(action, Action::Unsupported);
    let rule = ActionRule {
        span: d.span.clone(),
        keyword: keyword.to_string(),
        action,
        cond: cond.map(|words| RuleCond {
            words,
            acls_before: cx.p.acls.len(),
            compiled: None,
            acls: cx.p.is_defaults().then(|| cx.p.acls.clone()),
        }),
        is_final,
        check,
    };
    if unsupported {
        cx.r.not_yet(d, format!("{} {}", set.name(), tables::base_name(set, keyword)));
    }
    rules_mut(cx.p, set).push(rule);
}

pub fn http_request(cx: &mut Cx, d: &Directive) -> Flow {
    http_rules(cx, d, RuleSet::HttpReq)
}

pub fn http_response(cx: &mut Cx, d: &Directive) -> Flow {
    http_rules(cx, d, RuleSet::HttpRes)
}

pub fn http_after_response(cx: &mut Cx, d: &Directive) -> Flow {
    http_rules(cx, d, RuleSet::HttpAfter)
}

/// Rule kinds in the order HAProxy runs them, for its "placed after" warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Later {
    TcpSession,
    TcpContent,
    Monitor,
    HttpRequest,
    Redirect,
    UseBackend,
    UseServer,
}

/// HAProxy's `warnif_misplaced_*` chain: warn when a rule of kind `kw` follows a rule that runs
/// after it (the first such kind, from `from` on, in HAProxy's order).
pub fn misplaced(cx: &mut Cx, d: &Directive, kw: &str, from: Later) {
    use Later::*;
    let p = &*cx.p;
    let chain = [TcpSession, TcpContent, Monitor, HttpRequest, Redirect, UseBackend, UseServer];
    let start = chain.iter().position(|c| *c == from).unwrap_or(0);
    for c in &chain[start..] {
        let (present, what) = match c {
            TcpSession => (own(p, &p.tcp_request_session).next().is_some(), "a 'tcp-request session' rule"),
            TcpContent => (own(p, &p.tcp_request_content).next().is_some(), "a 'tcp-request content' rule"),
            Monitor => (!p.monitor_fail.is_empty(), "a 'monitor fail' rule"),
            HttpRequest => (own(p, &p.http_request).next().is_some(), "an 'http-request' rule"),
            Redirect => (!p.redirects.is_empty(), "a 'redirect' rule"),
            UseBackend => (!p.use_backend.is_empty(), "a 'use_backend' rule"),
            UseServer => (!p.use_server.is_empty(), "a 'use-server' rule"),
        };
        if present {
            let text = format!("a '{kw}' rule placed after {what} will still be processed before.");
            cx.r.push(located(Severity::Warning, d, 0, text));
            return;
        }
    }
}

fn http_rules(cx: &mut Cx, d: &Directive, set: RuleSet) -> Flow {
    let kw0 = d.keyword();
    if cx.p.is_defaults() && cx.p.name.is_empty() {
        cx.r.alert(d, format!("'{kw0}' not allowed in anonymous 'defaults' section."));
        return Flow::Continue;
    }
    if own(cx.p, rules_of(cx.p, set)).last().is_some_and(|r| r.cond.is_none() && r.is_final) {
        cx.r.push(tight(
            Severity::Warning,
            d,
            0,
            format!("previous '{kw0}' action is final and has no condition attached, further entries are NOOP."),
        ));
    }
    let words: Vec<&str> = d.args_from(1).collect();
    let name = words.first().copied().unwrap_or("");
    let Some(k) = tables::lookup(set, name) else {
        let (list, best) = tables::expects(set, name);
        let hint = best.map(|b| format!(" Did you mean '{b}' maybe ?")).unwrap_or_default();
        cx.r.push(tight(Severity::Alert, d, 1, format!("'{kw0}' expects {list}, but got '{name}'.{hint}")));
        return Flow::Abort;
    };
    if k.experimental && !experimental_allowed(cx.global) {
        let msg = format!(
            "'{}' action is experimental, must be allowed via a global 'expose-experimental-directives'",
            k.name
        );
        cx.r.push(located(Severity::Alert, d, 1, msg));
        return Flow::Abort;
    }
    let global = cx.global;
    let mut cur = 1;
    let (res, act_warnings, check, is_final, own_cond, soft, own_info, acl_warnings) = {
        let mut act = Act::new(words.clone(), set, cx.p, global);
        let res = (k.parse)(&mut act, &mut cur);
        (res, act.warnings, act.check, act.is_final, act.cond, act.soft_warning, act.cond_info, act.acl_warnings)
    };
    emit_acl_warnings(cx, d, 1, acl_warnings);
    for w in act_warnings {
        cx.r.push(located(Severity::Warning, d, 1, w));
    }
    let action = match res {
        Ok(a) => a,
        Err(e) => {
            let msg = format!(
                "error detected in {} '{}' while parsing '{kw0} {name}' rule : {e}.",
                cx.p.caps.type_name(),
                cx.p.name
            );
            cx.r.push(located(Severity::Alert, d, 1, msg));
            return Flow::Abort;
        }
    };
    if let Some(w) = soft {
        cx.r.push(located(Severity::Warning, d, 1, format!("{w}.")));
    }
    let mut cond_words: Option<Vec<String>> = own_cond;
    let mut cond_info = own_info;
    let next = words.get(cur).copied().unwrap_or("");
    if next == "if" || next == "unless" {
        match check_cond(cx, d, &words[cur..], 1 + cur) {
            Ok(info) => {
                cond_info = Some(info);
                cond_words = Some(words[cur..].iter().map(|s| s.to_string()).collect());
            }
            Err((e, w)) => {
                cx.r.push(located(
                    Severity::Alert,
                    d,
                    1 + cur + w,
                    format!("error detected while parsing an '{kw0} {name}' condition : {e}."),
                ));
                return Flow::Abort;
            }
        }
    } else if !next.is_empty() {
        cx.r.push(tight(
            Severity::Alert,
            d,
            1 + cur,
            format!("'{kw0} {name}' expects either 'if' or 'unless' followed by a condition but found '{next}'."),
        ));
        return Flow::Abort;
    }
    if set == RuleSet::HttpReq {
        misplaced(cx, d, kw0, Later::Redirect);
    }
    if let Some(info) = &cond_info {
        let mut place = Ctx::default();
        let (fe, be) = if set == RuleSet::HttpReq {
            (Ctx::FE_HRQ_HDR, Ctx::BE_HRQ_HDR)
        } else {
            (Ctx::FE_HRS_HDR, Ctx::BE_HRS_HDR)
        };
        if cx.p.caps.frontend {
            place = place | fe;
        }
        if cx.p.caps.backend {
            place = place | be;
        }
        if let Some(c) = info.conflict(place) {
            cx.r.push(located(Severity::Warning, d, 0, c.message()));
        }
    }
    let keyword = name.to_string();
    push_rule(cx, d, set, action, &keyword, cond_words, is_final, check);
    Flow::Continue
}

pub fn experimental_allowed(g: &Global) -> bool {
    g.expose_experimental
}

pub use reply::redirect_keyword as redirect;
pub use tcp::{tcp_request, tcp_response};

//! The typed rules of a proxy: `http-request`, `http-response`, `http-after-response`,
//! `tcp-request connection|session|content`, `tcp-response content` and `redirect`, as their
//! keyword parsers (src/ir/keywords/rules/) build them. Conditions and sample expressions are the
//! acl module's types; `log-format` arguments are compiled once into [`LogFmt`].
//!
//! Every action haproxide parses has a variant here. Actions the engine does not run yet are
//! [`Action::Unsupported`]: parsing records them as "not supported yet", so a configuration that
//! uses one passes `-c` as HAProxy would but is refused at start.

use crate::acl::regex::Regex;
use crate::acl::{Condition as AclCondition, SampleExpr};
use crate::config::ast::Span;

/// The rule sets a proxy holds, in HAProxy's evaluation order on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleSet {
    TcpReqConn,
    TcpReqSess,
    TcpReqCont,
    HttpReq,
    Redirect,
    TcpResCont,
    HttpRes,
    HttpAfter,
}

impl RuleSet {
    /// The keyword words naming the set (`tcp-request content`).
    pub fn name(self) -> &'static str {
        match self {
            RuleSet::TcpReqConn => "tcp-request connection",
            RuleSet::TcpReqSess => "tcp-request session",
            RuleSet::TcpReqCont => "tcp-request content",
            RuleSet::HttpReq => "http-request",
            RuleSet::Redirect => "redirect",
            RuleSet::TcpResCont => "tcp-response content",
            RuleSet::HttpRes => "http-response",
            RuleSet::HttpAfter => "http-after-response",
        }
    }
    pub fn is_http(self) -> bool {
        matches!(self, RuleSet::HttpReq | RuleSet::HttpRes | RuleSet::HttpAfter | RuleSet::Redirect)
    }
    /// Rules that see the response rather than the request.
    pub fn is_response(self) -> bool {
        matches!(self, RuleSet::TcpResCont | RuleSet::HttpRes | RuleSet::HttpAfter)
    }
}

/// One rule line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRule {
    pub span: Span,
    /// The action keyword as written (`set-header`, `set-var(txn.x)`, `track-sc0`).
    pub keyword: String,
    pub action: Action,
    pub cond: Option<RuleCond>,
    /// HAProxy's `ACT_FLAG_FINAL`: the rule ends its rule set when it applies.
    pub is_final: bool,
    /// What HAProxy checks once the whole configuration is read.
    pub check: Option<LateCheck>,
}

/// References an action makes to other parts of the configuration, checked after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LateCheck {
    /// `track-sc<n> <key> [table <t>]`.
    Track { sc: u8, table: Option<String>, key: SampleExpr },
    /// `capture <expr> id <n>` (request or response captures).
    CaptureId { id: i64, response: bool },
    /// `http-request capture <expr> len <n>`: declares a request capture slot.
    CaptureSlot,
    /// `cache-use` / `cache-store <name>`.
    Cache(String),
    /// `send-spoe-group <engine> <group>`.
    SpoeGroup { engine: String, group: String },
    /// `ot-group <filter> <group>`.
    OtGroup { filter: String, group: String },
    /// `do-resolve(<var>,<resolvers>...)`.
    Resolvers(String),
    /// A reply using `errorfiles <http-errors section>`.
    HttpErrors(String),
}

/// The `if`/`unless` part of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCond {
    /// The words from `if`/`unless` on.
    pub words: Vec<String>,
    /// How many `acl` lines of the proxy were read before the rule.
    pub acls_before: usize,
    /// The condition built against the proxy's ACLs and resolved, once the whole configuration
    /// is read (see `keywords::rules::post`); `None` before that or when it failed.
    pub compiled: Option<AclCondition>,
    /// For a rule of a defaults section: the section's ACL lines read before it (proxies that
    /// inherit the rule build its condition against them).
    pub acls: Option<Vec<crate::ir::types::AclDef>>,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `allow` (http) / `accept` (tcp): stop evaluating this rule set, go on.
    Allow,
    /// http `deny`: answer with the reply and close.
    Deny(Box<Reply>),
    /// `http-request tarpit`: hold the request for `timeout tarpit`, then answer this.
    Tarpit(Box<Reply>),
    /// `reject`: close the connection without a response.
    Reject,
    /// `silent-drop`: close the client connection without a packet (or with an RST that should
    /// not get far).
    SilentDrop,
    /// tcp-response `close`: close the server connection.
    Close,
    /// http `return`.
    Return(Box<Reply>),
    /// `http-request auth [realm <realm>]`: HAProxy's 401 asking for Basic credentials; without
    /// a realm, the name of the proxy whose rules run.
    Auth {
        realm: Option<String>,
    },
    /// http `redirect` and the `redirect` keyword.
    Redirect(Box<Redirect>),
    /// `set-header` (`add: false`) and `add-header` (`add: true`).
    SetHeader {
        name: String,
        value: LogFmt,
        add: bool,
    },
    DelHeader {
        name: String,
        how: HeaderMatch,
    },
    /// `replace-header` (whole value, `per_value: false`) and `replace-value` (each
    /// comma-separated value).
    ReplaceHeader {
        name: String,
        re: Regex,
        with: LogFmt,
        per_value: bool,
    },
    /// `set-method`, `set-path`, `set-pathq`, `set-query`, `set-uri`.
    SetLine {
        part: LinePart,
        value: LogFmt,
    },
    /// `replace-path`, `replace-pathq`, `replace-uri`.
    ReplaceLine {
        part: LinePart,
        re: Regex,
        with: LogFmt,
    },
    /// `set-status <code> [reason <text>]`.
    SetStatus {
        code: u16,
        reason: Option<String>,
    },
    /// `set-var(<name>[,<cond>...]) <expr>`.
    SetVar {
        var: VarRef,
        conds: Vec<VarCond>,
        expr: SampleExpr,
    },
    /// `set-var-fmt(<name>[,<cond>...]) <fmt>`.
    SetVarFmt {
        var: VarRef,
        conds: Vec<VarCond>,
        fmt: LogFmt,
    },
    UnsetVar {
        var: VarRef,
    },
    /// `track-sc<n> <key> [table <t>]`: track the key's entry on stick counter `sc` (`table`:
    /// absent for the rule's own proxy's table).
    TrackSc {
        sc: u8,
        table: Option<String>,
        key: SampleExpr,
        level: TrackLevel,
    },
    /// `sc-inc-gpc0|1[(<sc>)]`, `sc-inc-gpc(<idx>,<sc>)`: count on a tracked entry.
    ScIncGpc {
        gpc: Gpc,
        sc: u8,
    },
    /// `sc-set-gpt0[(<sc>)] <int|expr>`, `sc-set-gpt(<idx>,<sc>) <int|expr>`.
    ScSetGpt {
        /// `None` for `gpt0` (falling back to `gpt[0]`), else the `gpt` array index.
        idx: Option<u32>,
        sc: u8,
        value: GptValue,
    },
    /// `http-request capture <expr> len <n> | id <n>`, `http-response capture <expr> id <n>`:
    /// the sample goes into capture slot `index` (of the request's or the response's slots),
    /// cut to `len` (a `len` rule's own slot) or to the slot's length.
    Capture {
        expr: SampleExpr,
        index: usize,
        len: Option<usize>,
        response: bool,
    },
    /// `tcp-request connection expect-proxy layer4`: the connection starts with a PROXY
    /// protocol header, read once the connection rules are done.
    ExpectProxy,
    /// Accepted and without an effect haproxide could show (`strict-mode`, `disable-l7-retry`).
    NoOp,
    /// Parsed and checked like HAProxy, not run yet (the keyword says which).
    Unsupported,
}

/// The part of the request line `set-*` / `replace-*` rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinePart {
    Method,
    Path,
    PathQuery,
    Query,
    Uri,
}

/// How `del-header -m` compares header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatch {
    Str,
    Beg,
    End,
    Sub,
    Reg(Regex),
}

/// A variable: its scope and its name after the scope (`txn.foo` is (Txn, "foo")).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarRef {
    pub scope: VarScope,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarScope {
    Proc,
    Sess,
    Txn,
    Req,
    Res,
    Check,
}

impl VarRef {
    /// `txn.foo` and the like; `None` for a name without a known scope.
    pub fn parse(full: &str) -> Option<VarRef> {
        let (scope, rest) = full.split_once('.')?;
        let scope = match scope {
            "proc" => VarScope::Proc,
            "sess" => VarScope::Sess,
            "txn" => VarScope::Txn,
            "req" => VarScope::Req,
            "res" => VarScope::Res,
            "check" => VarScope::Check,
            _ => return None,
        };
        Some(VarRef { scope, name: rest.to_string() })
    }
}

/// `set-var` conditions (HAProxy 2.6 `ifexists`, `ifnotexists`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarCond {
    IfExists,
    IfNotExists,
    IfEmpty,
    IfNotEmpty,
    IfSet,
    IfNotSet,
    IfGt,
    IfLt,
}

/// A response the proxy builds itself (`deny`, `return`, `http-error`-like replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub ctype: Option<String>,
    pub body: ReplyBody,
    /// `hdr <name> <fmt>` lines, in order.
    pub hdrs: Vec<(String, LogFmt)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    /// No payload: a head with `content-length: 0`.
    Empty,
    /// The proxy's error page for the status (`errorfile`, `http-error`..., else the built-in
    /// page).
    Default,
    /// `errorfile <file>`: a whole HTTP response, as read.
    ErrorFile(Vec<u8>),
    /// `errorfiles <http-errors section>` while parsing; after it, the section's page for the
    /// status (`ErrorFile`) or, without one, `Empty`.
    ErrorFiles(String),
    /// `string` / `file`.
    Raw(Vec<u8>),
    /// `lf-string` / `lf-file`.
    Fmt(LogFmt),
}

/// A redirect rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub target: RedirectTarget,
    pub code: u16,
    pub drop_query: bool,
    pub append_slash: bool,
    pub ignore_empty: bool,
    /// The `Set-Cookie` value, `; path=/;` (or `; path=/; Max-Age=0;`) appended.
    pub cookie: Option<String>,
    /// Raised by a request rule (as opposed to an `http-response redirect`).
    pub from_request: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Location,
    Prefix,
    Scheme,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    /// The `redirect` keyword: the text as written.
    Static(String),
    /// `http-request redirect`: a log-format (empty for a `prefix /`).
    Fmt(LogFmt),
}

/// A compiled `log-format` string as rules use it: literal text, `%` variables and `%[...]`
/// sample expressions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFmt {
    pub nodes: Vec<FmtNode>,
}

impl LogFmt {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// The text of a format made of literal text only.
    pub fn as_literal(&self) -> Option<&str> {
        match self.nodes.as_slice() {
            [] => Some(""),
            [FmtNode::Text(t)] => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmtNode {
    Text(String),
    /// `%ci`, `%{+Q}HU`, ...: the variable's name as written and its options.
    Var {
        name: String,
        opts: FmtOpts,
    },
    /// `%[expr]`.
    Expr {
        expr: SampleExpr,
        opts: FmtOpts,
    },
}

/// The `%{...}` options of a node that change what rules see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FmtOpts {
    /// `+Q`: quoted.
    pub quote: bool,
    /// `+X`: hexadecimal (integers and addresses).
    pub hex: bool,
    /// `+E`: escaped.
    pub escape: bool,
}

/// `filter <name> [args]` lines, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSpec {
    pub span: Span,
    pub words: Vec<String>,
}

/// Which counters a `track-sc` rule fills, after the rule set it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackLevel {
    /// `tcp-request connection|session`: the session's counters.
    Session,
    /// `tcp-request content`: the stream's.
    Content,
    /// `http-request`: the stream's, counting the request being processed.
    HttpRequest,
    /// `http-response`: the stream's.
    HttpResponse,
}

/// The general purpose counter an `sc-inc-gpc*` action counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gpc {
    /// `gpc0` / `gpc1` (falling back to the `gpc` array's element 0 / 1).
    Legacy(u8),
    /// `gpc(<idx>)`.
    Idx(u32),
}

/// What `sc-set-gpt*` stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GptValue {
    Int(i64),
    Expr(SampleExpr),
}

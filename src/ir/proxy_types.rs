//! Proxy settings that only some keyword families use: error messages, header captures,
//! connection reuse, server-state loading, source addresses, compression, e-mail alerts and
//! TCP keep-alive tuning. Re-exported from [`super::types`].

use super::rules::Reply;
use super::types::{ErrorFile, NameRef};
use crate::config::ast::Span;

/// One `errorfile` / `errorloc*` / `http-error` / `errorfiles` line, in configuration order
/// (HAProxy's `conf.errors`): later lines override earlier ones for the same status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorRule {
    File(ErrorFile),
    /// `errorloc` / `errorloc302` / `errorloc303`: a redirect with this code to a URL.
    Location {
        status: u16,
        code: u16,
        url: String,
    },
    /// `http-error status <code> ...` (its `errorfiles <name>` form is a `Section` rule).
    HttpError {
        reply: Box<Reply>,
        span: Span,
    },
    /// `errorfiles <name> [<code> ...]`: messages from an `http-errors` section.
    Section {
        name: NameRef,
        codes: Vec<u16>,
    },
}

/// What a proxy answers for one error status, once its error lines are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorPage {
    /// A whole HTTP response, sent re-serialised like a server's: an `errorfile`, an
    /// `http-errors` page, or the redirect an `errorloc` line builds.
    Message(Vec<u8>),
    /// An `http-error` reply, built for each error (its headers and body may be log-formats).
    Reply(Box<Reply>),
}

/// `capture request|response header <name> len <n>` and `declare capture request|response len <n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSlot {
    pub span: Span,
    pub request: bool,
    /// The header name; `None` for a `declare capture` slot.
    pub header: Option<String>,
    pub len: i64,
}

/// `http-reuse never|safe|aggressive|always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpReuse {
    Never,
    #[default]
    Safe,
    Aggressive,
    Always,
}

/// `load-server-state-from-file global|local|none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerStateFrom {
    Global,
    Local,
    None,
}

/// `source <addr>[:<port>] [usesrc ...] [interface <name>]` in a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub addr: String,
    pub usesrc: Option<String>,
    pub interface: Option<String>,
}

/// `compression algo|type|offload`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionSpec {
    pub algos: Vec<String>,
    pub types: Vec<String>,
    pub offload: bool,
}

/// `email-alert from|to|mailers|myhostname|level`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAlert {
    /// At least one `email-alert` line was given (HAProxy's `email_alert.set`).
    pub set: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    pub mailers: Option<NameRef>,
    pub myhostname: Option<String>,
    pub level: Option<String>,
}

/// TCP keep-alive tuning: `clitcpka-*` (frontend side) and `srvtcpka-*` (backend side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpKeepAlive {
    pub cnt: Option<u32>,
    pub idle: Option<u32>,
    pub intvl: Option<u32>,
}

//! Keyword tables: one table per section family, each entry a name and a handler that turns a
//! directive's words into typed IR, reporting problems the way HAProxy does.
//!
//! Shared here: the handler context, the message helpers (`parsing [f:l] : ...`), and the
//! "not supported yet" bookkeeping. Each family lives in its own file.

pub mod balance;
pub mod bind;
pub mod capture;
pub mod catalog;
pub mod checks;
pub mod errors;
pub mod global;
pub mod legacy;
pub mod logging;
pub mod misc;
pub mod options;
pub mod peers;
pub mod persist;
pub mod proxy;
pub mod rules;
pub mod sections;
pub mod server;
mod server_addr;
pub mod stats;
pub mod timeouts;

use crate::config::ast::{Directive, Span};
use crate::config::diag::{nearest, Diagnostic, Diags, Loc, Severity};
use crate::ir::types::Unsupported;

/// How far haproxide implements a keyword (mirrors the `status` column of grammar/keywords.tsv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Parsed, validated, and honoured at run time.
    Supported,
    /// Parsed and validated like HAProxy, but not run yet: the config is refused at start
    /// ("not supported yet"), and `-c` warns.
    Rejected,
    /// Parsed and validated; has no effect that a user can observe (performance tuning, or
    /// something obsolete HAProxy itself ignores). `-c` says so in a warning.
    Ignored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Supported => "supported",
            Status::Rejected => "rejected",
            Status::Ignored => "warned-and-ignored",
        }
    }
}

/// The `no` / `default` prefix HAProxy allows before some keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Modifier {
    #[default]
    None,
    No,
    Default,
}

/// Message helpers shared by all handlers.
pub struct Reporter<'a> {
    pub diags: &'a mut Diags,
    pub unsupported: &'a mut Vec<Unsupported>,
}

impl Reporter<'_> {
    pub fn alert(&mut self, d: &Directive, msg: impl Into<String>) {
        self.diags.push(with_source(Diagnostic::new(Severity::Alert, d.span.parsing(), msg), d, 0));
    }
    /// An alert pointing at word `i` of the directive.
    pub fn alert_at(&mut self, d: &Directive, i: usize, msg: impl Into<String>) {
        self.diags.push(with_source(Diagnostic::new(Severity::Alert, d.span.parsing(), msg), d, i));
    }
    /// `[file:line] : msg` shaped alert (no `parsing` word), used by server lines.
    pub fn alert_bracket(&mut self, d: &Directive, i: usize, msg: impl Into<String>) {
        self.diags.push(with_source(Diagnostic::new(Severity::Alert, d.span.bracket(), msg), d, i));
    }
    pub fn warning(&mut self, d: &Directive, msg: impl Into<String>) {
        self.diags.push(with_source(Diagnostic::new(Severity::Warning, d.span.parsing(), msg), d, 0));
    }
    pub fn warning_at(&mut self, d: &Directive, i: usize, msg: impl Into<String>) {
        self.diags.push(with_source(Diagnostic::new(Severity::Warning, d.span.parsing(), msg), d, i));
    }
    pub fn push(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }
    /// Record a valid keyword haproxide cannot run yet.
    pub fn not_yet(&mut self, d: &Directive, what: impl Into<String>) {
        self.unsupported.push(Unsupported { span: d.span.clone(), what: what.into() });
    }
    /// `unknown keyword 'x' in 'y' section` with HAProxy's suggestion when one is close.
    pub fn unknown_keyword(&mut self, d: &Directive, section: &str, candidates: &[&str]) {
        let kw = d.keyword();
        let msg = match nearest(kw, candidates.iter().copied()) {
            Some(s) => {
                format!("unknown keyword '{kw}' in '{section}' section; did you mean '{s}' maybe ?")
            }
            None => format!("unknown keyword '{kw}' in '{section}' section"),
        };
        self.alert(d, msg);
    }
}

/// Attach the source line and the column of word `i` (haproxide's excerpt under the message).
pub fn with_source(mut diag: Diagnostic, d: &Directive, i: usize) -> Diagnostic {
    diag.col = Some(d.col(i));
    diag.source_line = Some(d.raw.to_string());
    diag
}

/// A location for messages produced after parsing that still know their line.
pub fn bracket(span: &Span) -> Loc {
    span.bracket()
}

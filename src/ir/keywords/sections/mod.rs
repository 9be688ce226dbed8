//! The bodies of the auxiliary sections (userlist, peers, resolvers, mailers, ring,
//! http-errors, cache, program, fcgi-app, log-forward, namespace_list): one file per section,
//! each with its keyword list, its directive parser with HAProxy's messages and error classes,
//! the checks made when the section ends, and those made once the whole configuration is read.
//!
//! Apart from userlists (and peers sections that only declare tables), none of these sections is
//! run by haproxide yet: a configuration that has one passes `-c` as HAProxy would, with a "not
//! supported yet" note, and is refused at start.

mod adapters;
pub mod cache;
pub mod fcgi_app;
pub mod http_errors;
pub mod log_forward;
pub mod mailers;
pub mod namespace_list;
pub mod peers;
pub mod program;
pub mod resolvers;
pub mod ring;
pub mod userlist;

use crate::config::ast::{Directive, SectionKind, Span};
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::types::{AuxDetail, AuxSection, Config, Global};

use super::global::strip_modifier;
use super::proxy::Flow;
use super::{with_source, Modifier, Reporter, Status};

/// What a section keyword handler works with.
pub struct Cx<'r, 'a> {
    pub r: &'r mut Reporter<'a>,
    pub aux: &'r mut AuxSection,
    pub st: &'r mut State,
    pub g: &'r Global,
    pub kwm: Modifier,
}

type Handler = fn(&mut Cx, &Directive) -> Flow;

/// Parsing state of the section being read that is not part of the IR.
#[derive(Debug, Default)]
pub struct State {
    /// peers: where the section's listener (`bind`, or the local `peer`) was declared, and
    /// whether it came from a `peer` line.
    pub listener: Option<(Span, bool)>,
    /// peers: where the local peer was declared.
    pub local_at: Option<Span>,
    /// cache: the section was refused as a whole (HAProxy stops reading).
    pub failed: bool,
}

/// The typed part of a new section of the given kind.
pub fn begin(kind: SectionKind, name: &str, span: &Span, g: &Global) -> (AuxSection, State) {
    let detail = match kind {
        SectionKind::Userlist => AuxDetail::Userlist(Default::default()),
        SectionKind::Peers => AuxDetail::Peers(peers::spec(g)),
        SectionKind::Resolvers => AuxDetail::Resolvers(Default::default()),
        SectionKind::Mailers => AuxDetail::Mailers(Default::default()),
        SectionKind::HttpErrors => AuxDetail::HttpErrors(Default::default()),
        SectionKind::Ring => AuxDetail::Ring(ring::spec()),
        SectionKind::Cache => AuxDetail::Cache(Default::default()),
        SectionKind::Program => AuxDetail::Program(Default::default()),
        SectionKind::FcgiApp => AuxDetail::FcgiApp(Default::default()),
        SectionKind::LogForward => AuxDetail::LogForward(Default::default()),
        _ => AuxDetail::None,
    };
    let aux =
        AuxSection { kind: kind.keyword(), name: name.to_string(), span: span.clone(), entries: Vec::new(), detail };
    (aux, State::default())
}

fn handler(kind: &str) -> Handler {
    match kind {
        "userlist" => userlist::directive,
        "peers" => peers::directive,
        "resolvers" => resolvers::directive,
        "mailers" => mailers::directive,
        "http-errors" => http_errors::directive,
        "ring" => ring::directive,
        "cache" => cache::directive,
        "program" => program::directive,
        "fcgi-app" => fcgi_app::directive,
        "log-forward" => log_forward::directive,
        _ => namespace_list::directive,
    }
}

/// Run one line of an auxiliary section. HAProxy's reader has already taken care of a `no` /
/// `default` prefix (and alerted when the keyword refuses it); the section parser sees the
/// shifted words.
pub fn directive(r: &mut Reporter, aux: &mut AuxSection, st: &mut State, g: &Global, d: &Directive) -> Flow {
    let (kwm, d) = strip_modifier(d);
    let before = r.diags.errors();
    let kind = aux.kind;
    let mut cx = Cx { r, aux, st, g, kwm };
    let flow = handler(kind)(&mut cx, &d);
    if cx.r.diags.errors() == before && flow == Flow::Continue {
        cx.aux.entries.push((d.span.clone(), d.words.iter().map(|w| w.text.clone()).collect()));
    }
    flow
}

/// The end of a section (HAProxy's post-section parser). Returns false when the section is
/// dropped (a cache without a size is never registered).
pub fn end(diags: &mut Diags, aux: &mut AuxSection, st: &State) -> bool {
    match aux.kind {
        "cache" => cache::end(diags, aux, st),
        _ => true,
    }
}

/// The checks HAProxy makes before anything else once the configuration is read (userlists).
/// Returns true when they failed: HAProxy then reports nothing more.
pub fn check_first(cfg: &Config, diags: &mut Diags) -> bool {
    userlist::post_parse(cfg, diags)
}

/// The checks HAProxy makes on these sections after its proxy checks, in its order.
pub fn check_last(cfg: &Config, diags: &mut Diags, master_worker: bool) {
    cache::post_parse(cfg, diags);
    peers::post_parse(cfg, diags);
    mailers::post_parse(cfg, diags);
    resolvers::post_parse(cfg, diags);
    fcgi_app::post_parse(cfg, diags);
    log_forward::post_parse(cfg, diags);
    ring::post_parse(cfg, diags);
    program::post_parse(cfg, diags, master_worker);
}

/// Every section keyword, by section, for the catalog (grammar/keywords.tsv). Userlists and
/// `http-errors` pages run; the other sections' keywords are `rejected`: haproxide does not run
/// them yet.
pub fn catalog() -> Vec<(&'static str, &'static str, Status)> {
    let mut out = Vec::new();
    for (family, words) in [
        ("userlist", userlist::KEYWORDS),
        ("peers", peers::KEYWORDS),
        ("resolvers", resolvers::KEYWORDS),
        ("mailers", mailers::KEYWORDS),
        ("ring", ring::KEYWORDS),
        ("http-errors", http_errors::KEYWORDS),
        ("cache", cache::KEYWORDS),
        ("program", program::KEYWORDS),
        ("fcgi-app", fcgi_app::KEYWORDS),
        ("log-forward", log_forward::KEYWORDS),
        ("namespace_list", namespace_list::KEYWORDS),
    ] {
        let status = if matches!(family, "userlist" | "http-errors") { Status::Supported } else { Status::Rejected };
        out.extend(words.iter().map(|w| (family, *w, status)));
    }
    out
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
    /// `Parsing [f:l]: msg` (capital P), fatal.
    pub fn alert_cap(&mut self, d: &Directive, msg: impl Into<String>) {
        let loc = Loc::CapParsing { file: d.span.file.clone(), line: d.span.line };
        self.push(Severity::Alert, loc, d, msg.into());
    }
    /// `[f:l] : msg` (server lines), fatal.
    pub fn alert_bracket(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, d.span.bracket(), d, msg.into());
    }
    /// An alert with no location, fatal.
    pub fn alert_bare(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Alert, Loc::None, d, msg.into());
    }
    pub fn warning(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.parsing(), d, msg.into());
    }
    pub fn warning_tight(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.tight(), d, msg.into());
    }
    /// A warning that nonetheless makes the configuration invalid (HAProxy's ERR_WARN|ERR_FATAL).
    pub fn warning_fatal(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.parsing(), d, msg.into()).fatal = true;
    }
    pub fn warning_tight_fatal(&mut self, d: &Directive, msg: impl Into<String>) {
        self.push(Severity::Warning, d.span.tight(), d, msg.into()).fatal = true;
    }
    /// HAProxy's `too_many_args(max)`.
    pub fn too_many(&mut self, d: &Directive, max: usize) -> bool {
        super::global::too_many(self.r, d, max)
    }
    /// A `log`-style target error (`<prefix> : <error>`); address errors end with a line feed
    /// in HAProxy, which prints an empty line after them.
    pub fn log_error(&mut self, d: &Directive, prefix: &str, e: &str) {
        let diag = self.push(Severity::Alert, d.span.parsing(), d, format!("{prefix} : {}", e.trim_end()));
        if e.ends_with('\n') {
            diag.detail_raw.push(String::new());
        }
    }
    /// `unknown keyword '<kw>' in '<section>' section`.
    pub fn unknown(&mut self, d: &Directive) {
        let msg = format!("unknown keyword '{}' in '{}' section", d.keyword(), self.aux.kind);
        self.alert(d, msg);
    }
}

/// A post-parse alert with no location.
fn alert(diags: &mut Diags, msg: impl Into<String>) {
    diags.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
}

fn warning(diags: &mut Diags, msg: impl Into<String>) {
    diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
}

#[cfg(test)]
mod tests;

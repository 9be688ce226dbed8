//! Syntax tree to IR: walks the files and their sections in order, the way HAProxy's reader calls
//! its section parsers. Keeps the defaults sections as templates (the last one, or the one named
//! with `from`), creates each proxy from its defaults, and hands every directive to its section's
//! keyword table.
//!
//! Also owns what HAProxy decides around the keyword parsers: section headers (names, `from`,
//! duplicates, for all sixteen section kinds), the limit of 50 fatal errors per file, and the
//! `Error(s) found in configuration file` line after each file that had errors.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::ast::{self, Directive, Effect, Item, Section, SectionKind, Span};
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::config::lex::first_byte_text;

use super::keywords::{global, proxy, sections, Reporter};
use super::types::{AuxSection, Caps, Config, Proxy};

/// HAProxy stops reading a file after this many fatal errors in it.
const MAX_FATAL_PER_FILE: u32 = 50;

/// The result of lowering: the IR, and whether parsing stopped early (HAProxy's ERR_ABORT).
#[derive(Debug)]
pub struct Lowered {
    pub config: Config,
    pub aborted: bool,
    /// Files in which reading found errors, in order (each already got its
    /// `Error(s) found in configuration file : <file>` line).
    pub files_with_errors: Vec<Arc<str>>,
}

/// HAProxy's `invalid_char()`: the first character not allowed in a name (letters, digits,
/// `- _ . :`). An empty name is itself invalid (the "character" is then NUL).
pub fn invalid_name_char(name: &str) -> Option<char> {
    if name.is_empty() {
        return Some('\0');
    }
    name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
}

/// [`invalid_name_char`] rendered like `%c`: the first byte of the offending character.
fn bad_char_text(name: &str) -> Option<String> {
    let c = invalid_name_char(name)?;
    let mut b = [0u8; 4];
    Some(first_byte_text(c.encode_utf8(&mut b)))
}

/// HAProxy's `*args[i]` on a header line.
fn has(h: &Directive, i: usize) -> bool {
    !h.haproxy_arg(i).is_empty()
}

/// A defaults section seen so far.
struct NamedDefaults {
    name: String,
    proxy: Proxy,
    span: Span,
    /// Used by a proxy through `from` (HAProxy's PR_FL_EXPLICIT_REF).
    explicit: bool,
    /// Used as the last defaults section (PR_FL_IMPLICIT_REF).
    implicit: bool,
    /// When it holds TCP/HTTP rules: the kind of proxy already using it (frontend = true).
    rules_for: Option<bool>,
}

/// What a section parser does with the lines of the current section.
enum Current {
    None,
    Global,
    /// A proxy being built, its section state, and whether it is a defaults section.
    Proxy(Box<Proxy>, proxy::SectionState),
    /// The header failed without creating a proxy: every line gets "'listen' or 'defaults'
    /// expected."
    NoProxy,
    /// An auxiliary section being read, with its parsing state.
    Aux(Box<AuxSection>, sections::State),
    /// Lines are accepted and ignored (a section whose header was refused).
    Ignore,
}

struct Lowerer<'a> {
    diags: &'a mut Diags,
    cfg: Config,
    /// The defaults new proxies start from: the last `defaults` section seen, or built-in ones.
    last_defaults: Proxy,
    /// Every defaults section, in order (named or not), for `from`.
    defaults: Vec<NamedDefaults>,
    /// The entry of `defaults` new proxies start from (`last_defaults`), if any.
    last_idx: Option<usize>,
    /// Stick tables declared so far: (owner's type, owner's name, where).
    tables: Vec<(String, String, Span)>,
    /// Custom proxy ids given so far: (id, owner's type, owner's name, where it was declared).
    proxy_ids: Vec<(i64, String, String, Span)>,
    /// Proxies seen so far, for duplicate-name checks: name -> (caps, span).
    seen: Vec<(String, Caps, Span)>,
    /// Auxiliary sections seen so far (name and header location), per kind.
    aux_seen: HashMap<&'static str, Vec<(String, Span)>>,
    current: Current,
    aborted: bool,
    /// A keyword parser failed the way a file read fails (no "Error(s) found" line).
    read_failed: bool,
    /// Fatal errors counted in the current file, and the line where the limit was reached.
    fatal: u32,
    fatal_hit: Option<u32>,
    file_name: Arc<str>,
    /// A section other than `global` was seen (for the `-dD` note above).
    non_global_seen: bool,
}

/// Lower every file. Pushes reader and keyword diagnostics in line order, plus
/// `Error(s) found in configuration file : F` after each file that had errors.
pub fn lower(ast: &ast::Config, diags: &mut Diags) -> Lowered {
    crate::config::env::with_overlay(&ast.env, || lower_in_env(ast, diags))
}

fn lower_in_env(ast: &ast::Config, diags: &mut Diags) -> Lowered {
    crate::ir::keywords::global::reset_parse_time();
    let dummy_span = Span { file: "".into(), line: 0 };
    let mut cfg = Config::default();
    cfg.global.env = ast.env.clone();
    let mut l = Lowerer {
        diags,
        cfg,
        last_defaults: Proxy::new("", Caps::DEFAULTS, dummy_span),
        defaults: Vec::new(),
        last_idx: None,
        tables: Vec::new(),
        proxy_ids: Vec::new(),
        seen: Vec::new(),
        aux_seen: HashMap::new(),
        current: Current::None,
        aborted: false,
        read_failed: false,
        fatal: 0,
        fatal_hit: None,
        file_name: "".into(),
        non_global_seen: false,
    };
    let mut files_with_errors: Vec<Arc<str>> = Vec::new();
    for file in &ast.files {
        let errors_before = l.diags.errors();
        l.file(file);
        if (l.aborted || l.diags.errors() > errors_before) && !l.read_failed {
            l.diags.push(Diagnostic::new(
                Severity::Alert,
                Loc::None,
                format!("Error(s) found in configuration file : {}", file.name),
            ));
            files_with_errors.push(file.name.clone());
        }
        if l.aborted {
            break;
        }
    }
    Lowered { config: l.cfg, aborted: l.aborted, files_with_errors }
}

impl Lowerer<'_> {
    fn file(&mut self, file: &ast::File) {
        self.fatal = 0;
        self.fatal_hit = None;
        self.file_name = file.name.clone();
        self.current = Current::None;
        let mut stop_line: Option<u32> = None;
        'sections: for sec in &file.sections {
            if sec.kind != SectionKind::Outside {
                if let Some(l) = self.limit_reached(sec.header.span.line) {
                    stop_line = Some(l);
                    break 'sections;
                }
                self.section_position(sec);
                self.end_section();
                if self.aborted {
                    return;
                }
                self.header(sec);
                if self.aborted {
                    return;
                }
            }
            for item in &sec.items {
                if let Some(l) = self.limit_reached(item.line()) {
                    stop_line = Some(l);
                    break 'sections;
                }
                self.item(item);
                if self.aborted {
                    return;
                }
            }
        }
        if stop_line.is_none() {
            if let Some(hit) = self.fatal_hit.filter(|&l| l < file.lines) {
                self.too_many(hit + 1);
                stop_line = Some(hit + 1);
            }
        }
        if stop_line.is_none() {
            if let Some(d) = &file.missing_lf {
                self.diags.push(d.clone());
            }
        }
        self.end_section();
        if self.aborted {
            return;
        }
        match (stop_line, self.fatal_hit) {
            (Some(line), Some(hit)) => {
                if file.depth_at(hit) > 0 {
                    self.diags.push(Diagnostic::new(
                        Severity::Alert,
                        Loc::ParsingTight { file: file.name.clone(), line },
                        "non-terminated '.if' block.",
                    ));
                    self.aborted = true;
                }
            }
            _ => {
                if let Some(d) = &file.unterminated_if {
                    self.diags.push(d.clone());
                }
                if file.aborted {
                    self.aborted = true;
                }
            }
        }
    }

    /// `-dD`: HAProxy notes a `global` section that comes after another kind of section.
    fn section_position(&mut self, sec: &Section) {
        if sec.kind != SectionKind::Global {
            self.non_global_seen = true;
        } else if self.non_global_seen {
            self.diags.push(Diagnostic::new(
                Severity::Diag,
                sec.header.span.parsing(),
                "global section detected after a non-global one, the prevalence of their statements is unspecified",
            ));
        }
    }

    /// HAProxy checks its fatal-error count when it reads the next line: past the limit, it
    /// says so and stops reading the file. Returns the line where it stopped.
    fn limit_reached(&mut self, next_line: u32) -> Option<u32> {
        let hit = self.fatal_hit?;
        if next_line <= hit {
            return None;
        }
        self.too_many(hit + 1);
        Some(hit + 1)
    }

    fn too_many(&mut self, line: u32) {
        self.diags.push(Diagnostic::new(
            Severity::Alert,
            Loc::ParsingTight { file: self.file_name.clone(), line },
            format!("too many fatal errors ({}), stopping now.", self.fatal),
        ));
    }

    fn count_fatal(&mut self, line: u32) {
        self.fatal += 1;
        if self.fatal >= MAX_FATAL_PER_FILE && self.fatal_hit.is_none() {
            self.fatal_hit = Some(line);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Diag { diag, effect } => {
                self.diags.push(diag.clone());
                match effect {
                    Effect::CountFatal => self.count_fatal(item.line()),
                    Effect::Abort => self.aborted = true,
                    Effect::None | Effect::StopFile | Effect::StopFileThenAbort => {}
                }
            }
            Item::Directive(d) => {
                let before = self.diags.errors();
                self.directive(d);
                if self.diags.errors() > before {
                    self.count_fatal(d.span.line);
                }
            }
        }
    }

    fn reporter(&mut self) -> Reporter<'_> {
        Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported }
    }

    fn directive(&mut self, d: &Directive) {
        let mut current = std::mem::replace(&mut self.current, Current::None);
        match &mut current {
            Current::None | Current::Ignore => {}
            Current::Global => {
                let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
                global::handle(&mut r, &mut self.cfg.global, d);
            }
            Current::Proxy(p, st) => {
                let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
                match proxy::handle(&mut r, p, st, &self.cfg.global, d) {
                    proxy::Flow::Continue => {}
                    proxy::Flow::Abort => self.aborted = true,
                    proxy::Flow::ReadFailure => {
                        self.aborted = true;
                        self.read_failed = true;
                    }
                }
            }
            Current::NoProxy => {
                self.diags.push(Diagnostic::new(Severity::Alert, d.span.parsing(), "'listen' or 'defaults' expected."));
            }
            Current::Aux(aux, st) => {
                let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
                let before = r.diags.errors();
                if sections::directive(&mut r, aux, st, &self.cfg.global, d) == proxy::Flow::Abort {
                    self.aborted = true;
                }
                // A valid peers `table` line also declares the stick table `<peers>/<table>`.
                if aux.kind == "peers" && d.keyword() == "table" && r.diags.errors() == before {
                    super::keywords::peers::table(&mut r, aux, d, &mut self.tables, &mut self.cfg.peers_tables);
                }
            }
        }
        self.current = current;
    }

    /// The end of a section (HAProxy's post-section parser): store what was built.
    fn end_section(&mut self) {
        match std::mem::replace(&mut self.current, Current::None) {
            Current::Proxy(p, st) => {
                self.tables = st.tables;
                self.proxy_ids = st.proxy_ids;
                if p.caps.defaults {
                    let p = *p;
                    self.defaults.push(NamedDefaults {
                        name: p.name.clone(),
                        proxy: p.clone(),
                        span: p.span.clone(),
                        explicit: false,
                        implicit: false,
                        rules_for: None,
                    });
                    self.last_idx = Some(self.defaults.len() - 1);
                    self.last_defaults = p;
                } else {
                    self.cfg.proxies.push(*p);
                }
            }
            Current::Aux(aux, st) => self.end_aux(*aux, st),
            _ => {}
        }
    }

    fn end_aux(&mut self, mut aux: AuxSection, st: sections::State) {
        let before = self.diags.errors();
        let keep = sections::end(self.diags, &mut aux, &st);
        if self.diags.errors() > before {
            self.count_fatal(aux.span.line);
        }
        if !keep {
            return;
        }
        if aux.kind == "cache" {
            self.aux_seen.entry("cache").or_default().push((aux.name.clone(), aux.span.clone()));
        }
        // A peers section only declaring tables runs; replication is refused after parsing.
        // Userlists run (their unsupported hashes were reported line by line).
        if aux.kind == "namespace_list" {
            return;
        }
        // Rings, log-forward and mailers sections run (what they cannot do was reported by line).
        if !matches!(aux.kind, "peers" | "userlist" | "http-errors" | "ring" | "log-forward" | "mailers")
            && !self.cfg.unsupported.iter().any(|u| u.span == aux.span)
        {
            let what = format!("'{}' section", aux.kind);
            self.cfg.unsupported.push(super::types::Unsupported { span: aux.span.clone(), what });
        }
        let list = match aux.kind {
            "userlist" => &mut self.cfg.userlists,
            "peers" => &mut self.cfg.peers,
            "resolvers" => &mut self.cfg.resolvers,
            "mailers" => &mut self.cfg.mailers,
            "http-errors" => &mut self.cfg.http_errors,
            "ring" => &mut self.cfg.rings,
            "cache" => &mut self.cfg.caches,
            "program" => &mut self.cfg.programs,
            "fcgi-app" => &mut self.cfg.fcgi_apps,
            _ => &mut self.cfg.log_forwards,
        };
        list.push(aux);
    }

    /// A section header line. Diagnostics it produces count toward the fatal limit.
    fn header(&mut self, sec: &Section) {
        let before = self.diags.errors();
        match sec.kind {
            SectionKind::Outside => {}
            SectionKind::Global => {
                let h = &sec.header;
                if has(h, 1) {
                    let msg = format!("'global' cannot handle unexpected argument '{}'.", h.haproxy_arg(1));
                    self.reporter().alert(h, msg);
                }
                self.current = Current::Global;
            }
            SectionKind::NamespaceList => {
                let (aux, st) = sections::begin(sec.kind, "", &sec.header.span, &self.cfg.global);
                self.current = Current::Aux(Box::new(aux), st);
            }
            k if k.is_proxy() => self.proxy_header(sec),
            _ => self.aux_header(sec),
        }
        if self.diags.errors() > before {
            self.count_fatal(sec.header.span.line);
        }
    }

    fn alert(&mut self, loc: Loc, msg: String) {
        self.diags.push(Diagnostic::new(Severity::Alert, loc, msg));
    }

    fn proxy_header(&mut self, sec: &Section) {
        let h = &sec.header;
        let kw = sec.kind.keyword();
        let caps = match sec.kind {
            SectionKind::Frontend => Caps::FRONTEND,
            SectionKind::Backend => Caps::BACKEND,
            SectionKind::Listen => Caps::LISTEN,
            _ => Caps::DEFAULTS,
        };
        let is_defaults = sec.kind == SectionKind::Defaults;
        let file = h.span.file.clone();
        let line = h.span.line;
        if !is_defaults {
            if !has(h, 1) {
                self.alert(h.span.parsing(), format!("'{kw}' expects an <id> argument"));
                self.aborted = true;
                return;
            }
            let name = h.haproxy_arg(1);
            if let Some(c) = bad_char_text(name) {
                self.alert(h.span.parsing(), format!("character '{c}' is not permitted in '{kw}' name '{name}'."));
            }
            let clash = self
                .seen
                .iter()
                .find(|(n, c, _)| n == name && if caps.frontend { c.frontend } else { c.backend })
                .map(|(_, c, s)| (c.type_name(), s.clone()));
            if let Some((what, at)) = clash {
                let msg = format!(
                    "{} '{name}' has the same name as {what} '{name}' declared at {}:{}.",
                    caps.type_name(),
                    at.file,
                    at.line
                );
                self.alert(Loc::CapParsing { file: file.clone(), line }, msg);
            }
            self.check_log_forward_clash(name, caps, h);
            let extra = has(h, 2) && (!has(h, 3) || h.haproxy_arg(2) != "from");
            let too_many = !extra && has(h, 4);
            if too_many {
                self.alert(
                    h.span.parsing(),
                    format!("'{kw}' cannot handle unexpected argument '{}'.", h.haproxy_arg(4)),
                );
            }
            if extra || too_many {
                if caps.frontend {
                    let d = Diagnostic::new(
                        Severity::Alert,
                        h.span.parsing(),
                        "please use the 'bind' keyword for listening addresses.",
                    )
                    .non_fatal();
                    self.diags.push(d);
                }
                self.current = Current::NoProxy;
                return;
            }
        } else {
            self.check_log_forward_clash(h.haproxy_arg(1), caps, h);
        }
        // `defaults from <name>` is a nameless defaults section inheriting from <name>.
        let (name, from_at) = if is_defaults && h.haproxy_arg(1) == "from" && has(h, 2) && !has(h, 3) {
            (String::new(), 1)
        } else {
            (h.haproxy_arg(1).to_string(), 2)
        };
        // The defaults this section starts from: an index into `defaults`, or the built-in one.
        let mut base: Option<Option<usize>> = if is_defaults { None } else { Some(self.last_idx) };
        let mut explicit = false;
        if h.haproxy_arg(from_at) == "from" {
            let wanted = h.haproxy_arg(from_at + 1).to_string();
            let mut found = self.defaults.iter().enumerate().filter(|(_, d)| !d.name.is_empty() && d.name == wanted);
            let first = found.next().map(|(i, f)| (Some(i), f.span.clone()));
            let second = found.next().map(|(_, f)| f.span.clone());
            let first = match (first, wanted.is_empty()) {
                (Some(f), _) => Some(f),
                // The nameless defaults HAProxy always has.
                (None, true) => Some((self.last_idx, Span { file: "".into(), line: 0 })),
                (None, false) => None,
            };
            let Some((idx, def_span)) = first else {
                let msg = format!("defaults section '{wanted}' not found for {} '{name}'.", caps.type_name());
                self.alert(h.span.parsing(), msg);
                self.aborted = true;
                return;
            };
            if let Some(other) = second {
                let msg = format!(
                    "ambiguous defaults section name '{wanted}' referenced by {} '{name}' exists at least at {}:{} and {}:{}.",
                    caps.type_name(),
                    def_span.file,
                    def_span.line,
                    other.file,
                    other.line
                );
                self.alert(h.span.parsing(), msg);
            }
            if let Some(c) = bad_char_text(&wanted) {
                let msg = format!(
                    "character '{c}' is not permitted in defaults section name '{wanted}' when designated by its name (section found at {}:{}).",
                    def_span.file, def_span.line
                );
                self.alert(h.span.parsing(), msg);
            }
            base = Some(idx);
            explicit = true;
        }
        if let Some(Some(i)) = base {
            if !self.defaults_usable(i, explicit, caps, is_defaults, h) {
                self.aborted = true;
                return;
            }
        }
        let default_proxy = match base {
            Some(Some(i)) => self.defaults[i].proxy.clone(),
            _ => self.last_defaults.clone(),
        };
        let p = if is_defaults {
            match base {
                Some(_) => Proxy::from_defaults(&default_proxy, &name, Caps::DEFAULTS, h.span.clone()),
                None => Proxy::new(&name, Caps::DEFAULTS, h.span.clone()),
            }
        } else {
            self.seen.push((name.clone(), caps, h.span.clone()));
            Proxy::from_defaults(&default_proxy, &name, caps, h.span.clone())
        };
        let st = proxy::SectionState {
            stats_inherited: !is_defaults,
            default_timeouts: default_proxy.timeouts,
            default_rate_limit: default_proxy.rate_limit_sessions,
            tables: self.tables.clone(),
            proxy_ids: self.proxy_ids.clone(),
            ..Default::default()
        };
        self.current = Current::Proxy(Box::new(p), st);
    }

    /// HAProxy's checks when a section starts from a defaults section: mixing `from` and
    /// implicit use only warns; a defaults section with TCP/HTTP rules may only serve
    /// frontends or only backends. Returns false when HAProxy stops reading.
    fn defaults_usable(&mut self, i: usize, explicit: bool, caps: Caps, is_defaults: bool, h: &Directive) -> bool {
        let d = &mut self.defaults[i];
        if explicit {
            d.explicit = true;
        } else {
            d.implicit = true;
        }
        if d.explicit && d.implicit {
            let msg = format!(
                "defaults section '{}' (declared at {}:{}) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.",
                d.name, d.span.file, d.span.line
            );
            // An alert that only counts as a warning.
            self.diags.push(Diagnostic::new(Severity::Alert, h.span.parsing(), msg).non_fatal());
        }
        let d = &mut self.defaults[i];
        let dp = &d.proxy;
        let l45 = !dp.tcp_request_connection.is_empty() || !dp.tcp_request_session.is_empty();
        let rsp = !dp.tcp_response_content.is_empty();
        let rules = l45
            || rsp
            || !dp.http_request.is_empty()
            || !dp.http_response.is_empty()
            || !dp.http_after_response.is_empty()
            || !dp.tcp_request_content.is_empty();
        if !rules {
            return true;
        }
        let at = format!("{}:{}", d.span.file, d.span.line);
        let tight = h.span.tight();
        let msg = if is_defaults {
            format!("a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at {at}).")
        } else if caps == Caps::LISTEN {
            "a listen section cannot inherit from a defaults section defining TCP/HTTP rules.".to_string()
        } else if d.rules_for.is_some_and(|fe| fe != caps.frontend) {
            format!("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at {at}).")
        } else if !caps.frontend && l45 {
            format!("a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at {at}).")
        } else if !caps.backend && rsp {
            format!("a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at {at}).")
        } else {
            d.rules_for = Some(caps.frontend);
            return true;
        };
        self.diags.push(Diagnostic::new(Severity::Alert, tight, msg));
        false
    }

    /// Proxies and log-forward sections share a namespace.
    fn check_log_forward_clash(&mut self, name: &str, caps: Caps, h: &Directive) {
        let Some((_, at)) = self.aux_seen.get("log-forward").and_then(|v| v.iter().find(|(n, _)| n == name)).cloned()
        else {
            return;
        };
        let msg = format!(
            "{} '{name}' has the same name as log forward section '{name}' declared at {}:{}.",
            caps.type_name(),
            at.file,
            at.line
        );
        self.alert(Loc::CapParsing { file: h.span.file.clone(), line: h.span.line }, msg);
    }

    fn aux_header(&mut self, sec: &Section) {
        let h = &sec.header;
        let kw = sec.kind.keyword();
        let name = h.haproxy_arg(1).to_string();
        let span = h.span.clone();
        let cap = Loc::CapParsing { file: span.file.clone(), line: span.line };
        let prev = self.aux_seen.get(kw).and_then(|v| v.iter().find(|(n, _)| *n == name)).map(|(_, s)| s.clone());
        let at = |s: &Span| format!("{}:{}", s.file, s.line);
        let bad = bad_char_text(&name);
        let global = self.cfg.global.clone();
        let aux = |name: String| {
            let (aux, st) = sections::begin(sec.kind, &name, &span, &global);
            Current::Aux(Box::new(aux), st)
        };
        if sec.kind == SectionKind::Peers {
            self.cfg.global.peers_seen = true;
        }
        if sec.kind == SectionKind::Program && has(h, 2) {
            self.alert(span.parsing(), format!("'program' cannot handle unexpected argument '{}'.", h.haproxy_arg(2)));
            self.aborted = true;
            return;
        }
        if name.is_empty() {
            // Each section says it its own way, and some stop everything.
            let (loc, msg, abort) = match sec.kind {
                SectionKind::Userlist => (span.tight(), "'userlist' expects <name> as arguments.".to_string(), false),
                SectionKind::LogForward => (span.parsing(), "missing name for ip-forward section.".into(), true),
                SectionKind::Peers | SectionKind::Resolvers | SectionKind::Mailers | SectionKind::HttpErrors => {
                    (span.parsing(), format!("missing name for {kw} section."), true)
                }
                SectionKind::Ring => (span.parsing(), "missing ring name.".into(), false),
                SectionKind::Cache => (span.parsing(), "'cache' expects a <name> argument".into(), true),
                SectionKind::Program => (span.parsing(), "'program' expects an <id> argument".into(), true),
                _ => (span.tight(), "'fcgi-app' expects <name> as argument.".into(), false),
            };
            self.alert(loc, msg);
            if abort {
                self.aborted = true;
            } else {
                self.current = Current::Ignore;
            }
            return;
        }
        // These sections take exactly one argument; a second one is refused next.
        let one_arg = matches!(
            sec.kind,
            SectionKind::Userlist
                | SectionKind::Peers
                | SectionKind::Cache
                | SectionKind::Program
                | SectionKind::FcgiApp
                | SectionKind::LogForward
        );
        if one_arg && has(h, 2) {
            self.alert(span.parsing(), format!("'{kw}' cannot handle unexpected argument '{}'.", h.haproxy_arg(2)));
            if matches!(sec.kind, SectionKind::Cache | SectionKind::Program) {
                self.aborted = true;
            } else {
                self.current = Current::Ignore;
            }
            return;
        }
        match sec.kind {
            SectionKind::Userlist => {
                if let Some(c) = bad {
                    self.alert(span.tight(), format!("character '{c}' is not permitted in 'userlist' name '{name}'."));
                    self.current = Current::Ignore;
                    return;
                }
                if prev.is_some() {
                    self.diags.push(Diagnostic::new(
                        Severity::Warning,
                        span.tight(),
                        format!("ignoring duplicated userlist '{name}'."),
                    ));
                    // HAProxy keeps adding the lines to the userlist it created last.
                    self.current = match self.cfg.userlists.pop() {
                        Some(last) => Current::Aux(Box::new(last), sections::State::default()),
                        None => Current::Ignore,
                    };
                    return;
                }
            }
            SectionKind::Peers | SectionKind::Resolvers | SectionKind::Mailers | SectionKind::LogForward => {
                if let Some(c) = bad {
                    self.alert(span.parsing(), format!("character '{c}' is not permitted in '{kw}' name '{name}'."));
                    self.aborted = true;
                    return;
                }
                if sec.kind == SectionKind::LogForward {
                    if let Some((_, c, s)) = self.seen.iter().find(|(n, _, _)| *n == name).cloned() {
                        let msg = format!(
                            "log forward section '{name}' has the same name as {} '{name}' declared at {}.",
                            c.type_name(),
                            at(&s)
                        );
                        self.alert(cap.clone(), msg);
                    }
                }
                if let Some(p) = prev {
                    match sec.kind {
                        SectionKind::Resolvers => {
                            let msg = format!(
                                "resolvers '{name}' has same name as another resolvers (declared at {}).",
                                at(&p)
                            );
                            self.alert(cap, msg);
                            self.alert(span.parsing(), "out of memory.".into());
                            self.aborted = true;
                            return;
                        }
                        SectionKind::LogForward => {
                            let msg = format!(
                                "log-forward section '{name}' has the same name as another log-forward section declared at {}.",
                                at(&p)
                            );
                            self.alert(cap, msg);
                        }
                        _ => {
                            let msg = format!(
                                "{kw} section '{name}' has the same name as another {kw} section declared at {}.",
                                at(&p)
                            );
                            self.alert(cap, msg);
                        }
                    }
                }
            }
            SectionKind::HttpErrors => {
                if let Some(c) = bad {
                    self.alert(span.parsing(), format!("character '{c}' is not permitted in '{kw}' name '{name}'."));
                }
                if let Some(p) = prev {
                    self.alert(
                        span.tight(),
                        format!("http-errors section '{name}' already exists (declared at {}).", at(&p)),
                    );
                }
            }
            SectionKind::Ring => {
                if let Some(c) = bad {
                    self.alert(
                        span.parsing(),
                        format!("invalid ring name '{name}' (character '{c}' is not permitted)."),
                    );
                    self.current = Current::Ignore;
                    return;
                }
                if prev.is_some() {
                    self.alert(span.parsing(), format!("sink named '{name}' already exists."));
                    self.current = Current::Ignore;
                    return;
                }
            }
            SectionKind::Cache => {
                if prev.is_some() {
                    self.alert(span.tight(), format!("Duplicate cache name '{name}'."));
                    self.aborted = true;
                    return;
                }
                // A cache is only registered once its section ended with a size.
                self.current = aux(name);
                return;
            }
            SectionKind::Program if prev.is_some() => {
                self.alert(span.tight(), format!("'{name}' program section already exists in the configuration."));
                self.aborted = true;
                return;
            }
            SectionKind::FcgiApp => {
                if let Some(c) = bad {
                    self.alert(span.tight(), format!("character '{c}' is not permitted in 'fcgi-app' name '{name}'."));
                }
                if let Some(p) = prev {
                    let msg =
                        format!("fcgi-app section '{name}' has the same name as another one declared at {}.", at(&p));
                    self.alert(cap, msg);
                }
            }
            _ => {}
        }
        self.aux_seen.entry(kw).or_default().push((name.clone(), span.clone()));
        self.current = aux(name);
    }
}

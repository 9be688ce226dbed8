//! Syntax tree to IR: walks the sections in order, keeps the defaults sections as templates
//! (the last one, or the one named with `from`), creates each proxy from its defaults, and hands
//! every directive to its section's keyword table.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::ast::{self, Directive, Item, Section, SectionKind};
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};

use super::keywords::{global, proxy, Reporter};
use super::types::{AuxSection, Caps, Config, Proxy};

/// The result of lowering: the IR, and whether parsing stopped early (HAProxy's ERR_ABORT).
#[derive(Debug)]
pub struct Lowered {
    pub config: Config,
    pub aborted: bool,
    /// Files in which parsing found at least one alert, in order (for `Error(s) found in
    /// configuration file : <file>`).
    pub files_with_errors: Vec<Arc<str>>,
}

/// Characters HAProxy accepts in proxy, server and section names.
pub fn invalid_name_char(name: &str) -> Option<char> {
    name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
}

struct Lowerer<'a> {
    diags: &'a mut Diags,
    cfg: Config,
    /// The defaults new proxies start from: the last `defaults` section seen, or built-in ones.
    last_defaults: Proxy,
    named_defaults: HashMap<String, Proxy>,
    /// Proxies seen so far, for duplicate-name checks: name -> (caps, file, line).
    seen: Vec<(String, Caps, Arc<str>, u32)>,
    aborted: bool,
}

pub fn lower(ast: &ast::Config, diags: &mut Diags) -> Lowered {
    let dummy_span = ast::Span { file: "".into(), line: 0 };
    let mut l = Lowerer {
        diags,
        cfg: Config::default(),
        last_defaults: Proxy::new("", Caps::DEFAULTS, dummy_span.clone()),
        named_defaults: HashMap::new(),
        seen: Vec::new(),
        aborted: false,
    };
    let mut files_with_errors: Vec<Arc<str>> = Vec::new();
    for sec in &ast.sections {
        let before = l.diags.alerts();
        l.section(sec);
        if l.diags.alerts() > before {
            let file = sec.header.span.file.clone();
            let file = if file.is_empty() { section_file(sec) } else { file };
            if !files_with_errors.contains(&file) {
                files_with_errors.push(file);
            }
        }
        if l.aborted {
            break;
        }
    }
    Lowered { config: l.cfg, aborted: l.aborted, files_with_errors }
}

/// The file a headerless (outside) section came from.
fn section_file(sec: &Section) -> Arc<str> {
    sec.items
        .iter()
        .find_map(|i| match i {
            Item::Directive(d) => Some(d.span.file.clone()),
            Item::Diag { diag, .. } => diag.loc.file_line().map(|(f, _)| Arc::from(f)),
        })
        .unwrap_or_else(|| "".into())
}

impl Lowerer<'_> {
    fn section(&mut self, sec: &Section) {
        match sec.kind {
            SectionKind::Outside => {
                for item in &sec.items {
                    match item {
                        Item::Diag { diag, abort } => {
                            if self.reader_diag(diag, *abort) {
                                return;
                            }
                        }
                        Item::Directive(d) => {
                            let msg = format!("unknown keyword '{}' out of section.", d.keyword());
                            self.diags.push(Diagnostic::new(
                                Severity::Alert,
                                Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line },
                                msg,
                            ));
                        }
                    }
                }
            }
            SectionKind::Global => self.global(sec),
            k if k.is_proxy() => self.proxy(sec),
            _ => self.aux(sec),
        }
    }

    /// Emit a diagnostic recorded by the reader. Returns true if it stops parsing.
    fn reader_diag(&mut self, d: &Diagnostic, abort: bool) -> bool {
        self.diags.push(d.clone());
        if abort {
            self.aborted = true;
        }
        abort
    }

    fn global(&mut self, sec: &Section) {
        if sec.header.words.len() > 1 {
            let msg = format!("'global' cannot handle unexpected argument '{}'.", sec.header.arg(1));
            let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
            r.alert(&sec.header, msg);
        }
        for item in &sec.items {
            match item {
                Item::Diag { diag, abort } => {
                    if self.reader_diag(diag, *abort) {
                        return;
                    }
                }
                Item::Directive(d) => {
                    let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
                    global::handle(&mut r, &mut self.cfg.global, d);
                }
            }
        }
    }

    fn proxy(&mut self, sec: &Section) {
        let h = &sec.header;
        let kw = sec.kind.keyword();
        let caps = match sec.kind {
            SectionKind::Frontend => Caps::FRONTEND,
            SectionKind::Backend => Caps::BACKEND,
            SectionKind::Listen => Caps::LISTEN,
            _ => Caps::DEFAULTS,
        };
        let name = h.arg(1).to_string();
        if sec.kind != SectionKind::Defaults && name.is_empty() {
            self.diags.push(Diagnostic::new(
                Severity::Alert,
                h.span.parsing(),
                format!("'{kw}' expects an <id> argument"),
            ));
            self.aborted = true;
            return;
        }
        if let Some(c) = invalid_name_char(&name) {
            let msg = format!("character '{c}' is not permitted in '{kw}' name '{name}'.");
            self.diags.push(Diagnostic::new(Severity::Alert, h.span.parsing(), msg));
            self.aborted = true;
            return;
        }
        if sec.kind != SectionKind::Defaults {
            self.check_duplicate(&name, caps, h);
        }
        // `from <defaults>` picks a named defaults section; otherwise the last one seen.
        let mut base = self.last_defaults.clone();
        if h.arg(2) == "from" && h.has_arg(3) {
            let from = h.arg(3);
            match self.named_defaults.get(from) {
                Some(d) => base = d.clone(),
                None => {
                    let what = if sec.kind == SectionKind::Defaults { "defaults".to_string() } else { kw.to_string() };
                    let msg = format!("defaults section '{from}' not found for {what} '{name}'.");
                    self.diags.push(Diagnostic::new(Severity::Alert, h.span.parsing(), msg));
                    self.aborted = true;
                    return;
                }
            }
        }
        let mut p = if sec.kind == SectionKind::Defaults {
            // A defaults section starts fresh unless it names another one with `from`.
            let mut p = if h.arg(2) == "from" && h.has_arg(3) {
                base
            } else {
                Proxy::new(&name, Caps::DEFAULTS, h.span.clone())
            };
            p.name = name.clone();
            p.span = h.span.clone();
            p
        } else {
            Proxy::from_defaults(&base, &name, caps, h.span.clone())
        };
        let mut state = proxy::SectionState::default();
        for item in &sec.items {
            match item {
                Item::Diag { diag, abort } => {
                    if self.reader_diag(diag, *abort) {
                        return;
                    }
                }
                Item::Directive(d) => {
                    let mut r = Reporter { diags: self.diags, unsupported: &mut self.cfg.unsupported };
                    let flow = proxy::handle(&mut r, &mut p, &mut state, &self.cfg.global, d);
                    if flow == proxy::Flow::Abort {
                        self.aborted = true;
                        return;
                    }
                }
            }
        }
        if sec.kind == SectionKind::Defaults {
            if !name.is_empty() {
                self.named_defaults.insert(name, p.clone());
            }
            self.last_defaults = p;
        } else {
            self.cfg.proxies.push(p);
        }
    }

    fn check_duplicate(&mut self, name: &str, caps: Caps, h: &Directive) {
        // Frontends clash with frontends, backends with backends; a listen clashes with both.
        let clash = self
            .seen
            .iter()
            .find(|(n, c, _, _)| n == name && ((caps.frontend && c.frontend) || (caps.backend && c.backend)));
        if let Some((_, c, file, line)) = clash {
            let msg = format!(
                "{} '{}' has the same name as {} '{}' declared at {}:{}.",
                caps.type_name(),
                name,
                c.type_name(),
                name,
                file,
                line
            );
            self.diags.push(Diagnostic::new(
                Severity::Alert,
                Loc::CapParsing { file: h.span.file.clone(), line: h.span.line },
                msg,
            ));
        }
        self.seen.push((name.to_string(), caps, h.span.file.clone(), h.span.line));
    }

    fn aux(&mut self, sec: &Section) {
        let kind = sec.kind.keyword();
        let name = sec.name().unwrap_or("").to_string();
        let mut entries = Vec::new();
        for item in &sec.items {
            match item {
                Item::Diag { diag, abort } => {
                    if self.reader_diag(diag, *abort) {
                        return;
                    }
                }
                Item::Directive(d) => {
                    entries.push((d.span.clone(), d.words.iter().map(|w| w.text.clone()).collect()));
                }
            }
        }
        let aux = AuxSection { kind, name, span: sec.header.span.clone(), entries };
        let list = match sec.kind {
            SectionKind::Userlist => &mut self.cfg.userlists,
            SectionKind::Peers => &mut self.cfg.peers,
            SectionKind::Resolvers => &mut self.cfg.resolvers,
            SectionKind::Mailers => &mut self.cfg.mailers,
            SectionKind::HttpErrors => &mut self.cfg.http_errors,
            SectionKind::Ring => &mut self.cfg.rings,
            SectionKind::Cache => &mut self.cfg.caches,
            SectionKind::Program => &mut self.cfg.programs,
            SectionKind::FcgiApp => &mut self.cfg.fcgi_apps,
            _ => &mut self.cfg.log_forwards,
        };
        self.cfg
            .unsupported
            .push(super::types::Unsupported { span: sec.header.span.clone(), what: format!("'{kind}' section") });
        list.push(aux);
    }
}

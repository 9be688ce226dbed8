//! The reader: configuration files into sections of tokenized directives.
//!
//! Owns file loading (`-f` files and directories), line splitting, the `.if` preprocessor and the
//! `.diag/.notice/.warning/.alert` directives, and section boundaries. Problems are recorded in
//! place (as [`Item::Diag`]) so they come out in line order together with later keyword errors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{Config, Directive, Item, Section, SectionKind, Span};
use super::cond::{self, CondError};
use super::diag::{Diagnostic, Diags, Loc, Severity};
use super::lex::{self, LexError, ProcessEnv, Word};

/// HAProxy refuses to nest `.if` deeper than this.
pub const MAX_COND_DEPTH: usize = 256;

/// One configuration source: a name (as given on the command line) and its bytes.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: Arc<str>,
    pub text: Vec<u8>,
}

/// Expand the `-f` arguments: files as given, directories as their `*.cfg` files in lexical order.
pub fn load_sources(paths: &[String], diags: &mut Diags) -> Vec<Source> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|e| {
                        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        !name.starts_with('.') && name.ends_with(".cfg") && e.is_file()
                    })
                    .collect(),
                Err(e) => {
                    diags.push(
                        Diagnostic::new(
                            Severity::Alert,
                            Loc::None,
                            format!("Cannot open directory '{p}' : {}", io_reason(&e)),
                        )
                        .without_context(),
                    );
                    continue;
                }
            };
            entries.sort();
            for e in entries {
                read_one(&e.to_string_lossy(), &mut out, diags);
            }
        } else {
            read_one(p, &mut out, diags);
        }
    }
    out
}

fn read_one(name: &str, out: &mut Vec<Source>, diags: &mut Diags) {
    match std::fs::read(name) {
        Ok(text) => out.push(Source { name: name.into(), text }),
        Err(e) => diags.push(Diagnostic::new(
            Severity::Alert,
            Loc::None,
            format!("Could not open configuration file {name} : {}", io_reason(&e)),
        )),
    }
}

/// The libc-style reason text HAProxy prints (`No such file or directory`).
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CondBranch {
    /// Inside a branch that is being used.
    Taking,
    /// Skipping: an earlier branch of this block was taken, or the parent is skipped.
    Done,
    /// Skipping, but a later `.elif`/`.else` may still be taken.
    Waiting,
}

#[derive(Debug, Clone, Copy)]
struct CondLevel {
    branch: CondBranch,
    else_seen: bool,
}

/// Render the HAProxy excerpt that follows some errors: the line, then a caret under `pos`.
pub fn caret_excerpt(shown: &str, pos: usize) -> Vec<String> {
    let line = format!("  {shown}");
    let caret = format!("{}^", " ".repeat(pos + 2));
    vec![line, caret]
}

/// Read all sources into one syntax tree. Section headers are recognised here; what the
/// directives mean is decided later.
pub fn parse(sources: &[Source]) -> Config {
    let mut cfg = Config::default();
    for src in sources {
        cfg.files.push(src.name.clone());
        parse_one(src, &mut cfg);
    }
    cfg
}

fn directive(span: Span, words: Vec<Word>, raw: &str) -> Directive {
    Directive { span, words, raw: raw.into() }
}

fn parse_one(src: &Source, cfg: &mut Config) {
    let file = src.name.clone();
    let mut conds: Vec<CondLevel> = Vec::new();
    let mut current: Option<Section> = None;
    let mut section_name = String::new();
    let mut lines = src.text.split(|&b| b == b'\n').peekable();
    let mut lineno: u32 = 0;
    let mut abort = false;
    let mut last_line = 0;
    while let Some(raw) = lines.next() {
        lineno += 1;
        if raw.is_empty() && lines.peek().is_none() {
            break; // the final newline does not start a line
        }
        last_line = lineno;
        let span = Span { file: file.clone(), line: lineno };
        let raw_str = String::from_utf8_lossy(raw).into_owned();
        let env = ProcessEnv { file: &file, line: lineno, section: &section_name };
        let push_item = |cur: &mut Option<Section>, _cfg: &mut Config, item: Item| {
            cur.get_or_insert_with(|| outside_section(&file)).items.push(item);
        };
        let words = match lex::tokenize(raw, &env) {
            Ok(l) => l.words,
            Err(e) => {
                let taking = conds.last().is_none_or(|c| c.branch == CondBranch::Taking);
                if taking {
                    push_item(&mut current, cfg, Item::Diag { diag: lex_diag(&e, &span, &raw_str), abort: false });
                }
                continue;
            }
        };
        if words.is_empty() {
            continue;
        }
        let kw = words[0].as_str();
        let taking = conds.last().is_none_or(|c| c.branch == CondBranch::Taking);
        match kw {
            ".if" | ".elif" => {
                let text = words[1..].iter().map(|w| w.as_str()).collect::<Vec<_>>().join(" ");
                let is_if = kw == ".if";
                if !is_if {
                    match conds.last() {
                        None => {
                            push_item(&mut current, cfg, alert_tight(&span, "lone '.elif' with no matching '.if'."));
                            abort = true;
                            break;
                        }
                        Some(c) if c.else_seen => {
                            push_item(&mut current, cfg, alert_tight(&span, "'.elif' after '.else' is not permitted."));
                            abort = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if is_if && conds.len() >= MAX_COND_DEPTH {
                    push_item(
                        &mut current,
                        cfg,
                        alert_tight(&span, &format!("too many nested '.if', max level is {MAX_COND_DEPTH}.")),
                    );
                    abort = true;
                    break;
                }
                let must_eval =
                    if is_if { taking } else { conds.last().map(|c| c.branch) == Some(CondBranch::Waiting) };
                let mut result = false;
                if must_eval {
                    match cond::eval(&text, &env) {
                        Ok(v) => result = v,
                        Err(e) => {
                            let (msg, pos) = cond_error_text(&e, &text);
                            let mut d = Diagnostic::new(
                                Severity::Alert,
                                Loc::ParsingTight { file: file.clone(), line: lineno },
                                format!("{msg} in '{kw}' at position {}:", pos + 1),
                            );
                            d.detail_raw = caret_excerpt(&format!("{kw} {text}"), kw.len() + 1 + pos);
                            push_item(&mut current, cfg, Item::Diag { diag: d, abort: true });
                            abort = true;
                            break;
                        }
                    }
                }
                if is_if {
                    let branch = if !taking {
                        CondBranch::Done
                    } else if result {
                        CondBranch::Taking
                    } else {
                        CondBranch::Waiting
                    };
                    conds.push(CondLevel { branch, else_seen: false });
                } else if let Some(c) = conds.last_mut() {
                    c.branch = match c.branch {
                        CondBranch::Waiting if result => CondBranch::Taking,
                        CondBranch::Waiting => CondBranch::Waiting,
                        _ => CondBranch::Done,
                    };
                }
            }
            ".else" => match conds.last_mut() {
                None => {
                    push_item(&mut current, cfg, alert_tight(&span, "lone '.else' with no matching '.if'."));
                    abort = true;
                    break;
                }
                Some(c) if c.else_seen => {
                    push_item(&mut current, cfg, alert_tight(&span, "'.else' after '.else' is not permitted."));
                    abort = true;
                    break;
                }
                Some(c) => {
                    c.else_seen = true;
                    c.branch = if c.branch == CondBranch::Waiting { CondBranch::Taking } else { CondBranch::Done };
                }
            },
            ".endif" => {
                if conds.pop().is_none() {
                    push_item(&mut current, cfg, alert_tight(&span, "lone '.endif' with no matching '.if'."));
                    abort = true;
                    break;
                }
            }
            _ if !taking => {}
            ".diag" | ".notice" | ".warning" | ".alert" => {
                let sev = match kw {
                    ".diag" => Severity::Diag,
                    ".notice" => Severity::Notice,
                    ".warning" => Severity::Warning,
                    _ => Severity::Alert,
                };
                if words.len() > 2 {
                    let extra = words[2..].iter().map(|w| w.as_str()).collect::<Vec<_>>().join(" ");
                    let msg = format!(
                        "Unexpected argument '{extra}' for '{kw}'. Use quotes if the message should contain spaces."
                    );
                    push_item(
                        &mut current,
                        cfg,
                        Item::Diag { diag: Diagnostic::new(Severity::Alert, span.parsing(), msg), abort: false },
                    );
                } else {
                    let msg = format!("'{}'.", words.get(1).map(|w| w.as_str()).unwrap_or(""));
                    let d = Diagnostic::new(sev, Loc::ParsingTight { file: file.clone(), line: lineno }, msg);
                    push_item(&mut current, cfg, Item::Diag { diag: d, abort: false });
                }
            }
            _ => {
                if let Some(kind) = SectionKind::from_keyword(kw) {
                    if let Some(done) = current.take() {
                        cfg.sections.push(done);
                    }
                    section_name = words.get(1).map(|w| w.text.clone()).unwrap_or_else(|| kw.to_string());
                    current = Some(Section { kind, header: directive(span, words, &raw_str), items: Vec::new() });
                } else {
                    push_item(&mut current, cfg, Item::Directive(directive(span, words, &raw_str)));
                }
            }
        }
    }
    if !abort && !conds.is_empty() {
        let span = Span { file: file.clone(), line: last_line + 1 };
        let sec = current.get_or_insert_with(|| outside_section(&file));
        sec.items.push(alert_tight(&span, "non-terminated '.if' block."));
    }
    if let Some(done) = current.take() {
        cfg.sections.push(done);
    }
}

fn outside_section(file: &Arc<str>) -> Section {
    Section {
        kind: SectionKind::Outside,
        header: Directive { span: Span { file: file.clone(), line: 0 }, words: Vec::new(), raw: "".into() },
        items: Vec::new(),
    }
}

/// A reader alert that stops parsing (HAProxy treats `.if` block errors as fatal at once).
fn alert_tight(span: &Span, msg: &str) -> Item {
    let diag = Diagnostic::new(
        Severity::Alert,
        Loc::ParsingTight { file: span.file.clone(), line: span.line },
        msg.to_string(),
    );
    Item::Diag { diag, abort: true }
}

fn cond_error_text(e: &CondError, text: &str) -> (String, usize) {
    match e {
        CondError::UnknownPredicate(_) => (format!("unparsable conditional expression '{text}'"), 0),
        CondError::Trailing { ch, expr } => {
            let pos = text.rfind(*ch).unwrap_or(0);
            (format!("unexpected character '{ch}' at the end of conditional expression '{expr}'"), pos)
        }
        CondError::Syntax(msg) => (msg.clone(), 0),
    }
}

fn lex_diag(e: &LexError, span: &Span, raw: &str) -> Diagnostic {
    let pos = e.pos();
    // HAProxy reports 1-based positions.
    let msg = match e {
        LexError::UnmatchedQuote { .. } => format!("unmatched quote at position {}:", pos + 1),
        LexError::TooManyWords { max, .. } => {
            format!("too many words, truncating after word {max}, position {}:", pos + 1)
        }
        other => format!("{other}:"),
    };
    let mut d = Diagnostic::new(Severity::Alert, Loc::ParsingTight { file: span.file.clone(), line: span.line }, msg);
    d.detail_raw = caret_excerpt(raw.trim_start(), pos.saturating_sub(raw.len() - raw.trim_start().len()));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Config, Diags) {
        let diags = Diags::default();
        let src = Source { name: "t.cfg".into(), text: text.as_bytes().to_vec() };
        let cfg = parse(&[src]);
        (cfg, diags)
    }

    fn kinds(cfg: &Config) -> Vec<SectionKind> {
        cfg.sections.iter().map(|s| s.kind).collect()
    }

    #[test]
    fn sections_and_directives() {
        let (cfg, _) = read("global\n  maxconn 10\n\nbackend be\n  server s1 127.0.0.1:80\n");
        assert_eq!(kinds(&cfg), vec![SectionKind::Global, SectionKind::Backend]);
        assert_eq!(cfg.sections[1].name(), Some("be"));
        let d: Vec<_> = cfg.sections[1].directives().collect();
        assert_eq!(d[0].keyword(), "server");
        assert_eq!(d[0].span.line, 5);
    }

    #[test]
    fn conditional_blocks() {
        let (cfg, _) = read("global\n.if 0\n  maxconn 1\n.elif 1\n  maxconn 2\n.else\n  maxconn 3\n.endif\n");
        let d: Vec<_> = cfg.sections[0].directives().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].arg(1), "2");
    }

    #[test]
    fn nested_false_parent_skips_everything() {
        let (cfg, _) = read("global\n.if 0\n.if 1\n  maxconn 1\n.endif\n.else\n  maxconn 2\n.endif\n");
        let d: Vec<_> = cfg.sections[0].directives().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].arg(1), "2");
    }

    #[test]
    fn cond_errors_abort() {
        let (cfg, _) = read("global\n.endif\n  maxconn 1\n");
        let items = &cfg.sections[0].items;
        assert_eq!(items.len(), 1);
        assert!(matches!(&items[0], Item::Diag { diag: d, .. } if d.msg.contains("lone '.endif'")));
        let (cfg, _) = read("global\n.if 1\n");
        assert!(
            matches!(cfg.sections[0].items.last(), Some(Item::Diag { diag: d, .. }) if d.msg.contains("non-terminated"))
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let text = format!("global\n{}", ".if 1\n".repeat(10_000));
        let (cfg, _) = read(&text);
        assert!(
            matches!(cfg.sections[0].items.last(), Some(Item::Diag { diag: d, .. }) if d.msg.contains("too many nested"))
        );
    }
}

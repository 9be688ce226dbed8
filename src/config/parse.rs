//! The reader: configuration files into sections of tokenized directives, the way HAProxy 2.6's
//! `readcfgfile()` reads them.
//!
//! Owns file loading (`-f` files and directories), line reading (including HAProxy's growing line
//! buffer, `Stray NUL` and `Missing LF`), the `.if` preprocessor, the `.diag/.notice/.warning/
//! .alert` directives, the `no`/`default` prefixes and section boundaries. Problems are recorded
//! in place (as [`Item::Diag`]) so they come out in line order together with later keyword errors.

use std::path::Path;
use std::sync::Arc;

use super::ast::{Config, Directive, Effect, File, Item, Section, SectionKind, Span};
use super::cond;
use super::diag::{Diagnostic, Loc, Severity};
use super::env::EnvOverlay;
use super::lex::{self, bytes_to_text, caret_excerpt, text_to_bytes, LexError, ProcessEnv, Tokenizer};

/// HAProxy refuses to nest `.if` this deep (MAXNESTEDCONDS): 99 levels work.
pub const MAX_COND_DEPTH: usize = 100;

/// HAProxy's initial line buffer (LINESIZE); it doubles for longer lines.
const LINESIZE: usize = 2048;

/// One configuration source: a name (as given on the command line) and its bytes.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: Arc<str>,
    pub text: Vec<u8>,
}

/// Why the `-f` arguments could not be turned into files to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A diagnostic to print, then exit 1.
    Alert(Box<Diagnostic>),
    /// No configuration file at all: HAProxy prints its usage.
    NoFiles,
}

/// The libc-style reason text HAProxy prints (`No such file or directory`).
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

/// Expand the `-f` arguments like HAProxy: each must exist; a directory stands for its
/// non-hidden regular `*.cfg` files in byte order (named `<dir>/<entry>`).
pub fn list_files(paths: &[String]) -> Result<Vec<String>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                return Err(LoadError::Alert(Box::new(Diagnostic::new(
                    Severity::Alert,
                    Loc::None,
                    format!("Cannot open configuration file/directory {p} : {}", io_reason(&e)),
                ))));
            }
        };
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let rd = match std::fs::read_dir(p) {
            Ok(rd) => rd,
            Err(e) => {
                return Err(LoadError::Alert(Box::new(Diagnostic::new(
                    Severity::Alert,
                    Loc::None,
                    format!("Cannot open configuration directory {p} : {}", io_reason(&e)),
                ))));
            }
        };
        let mut names: Vec<Vec<u8>> = rd
            .filter_map(|e| e.ok())
            .map(|e| std::os::unix::ffi::OsStrExt::as_bytes(e.file_name().as_os_str()).to_vec())
            .filter(|n| !n.starts_with(b".") && n.ends_with(b".cfg"))
            .collect();
        names.sort();
        for n in names {
            let name = format!("{p}/{}", String::from_utf8_lossy(&n));
            match std::fs::metadata(&name) {
                Ok(m) if m.is_file() => out.push(name),
                Ok(_) => {}
                Err(e) => {
                    return Err(LoadError::Alert(Box::new(Diagnostic::new(
                        Severity::Alert,
                        Loc::None,
                        format!("Cannot open configuration file {p} : {}", io_reason(&e)),
                    ))));
                }
            }
        }
    }
    if out.is_empty() {
        return Err(LoadError::NoFiles);
    }
    Ok(out)
}

/// Read the listed files.
pub fn read_sources(files: &[String]) -> Result<Vec<Source>, Box<Diagnostic>> {
    files
        .iter()
        .map(|f| match std::fs::read(Path::new(f)) {
            Ok(text) => Ok(Source { name: f.as_str().into(), text }),
            Err(e) => Err(Box::new(Diagnostic::new(
                Severity::Alert,
                Loc::None,
                format!("Could not open configuration file {f} : {}", io_reason(&e)),
            ))),
        })
        .collect()
}

/// Expand the `-f` arguments and read every file (tests and tools; `check` does it in steps).
pub fn load_sources(paths: &[String]) -> Result<Vec<Source>, LoadError> {
    let files = list_files(paths)?;
    read_sources(&files).map_err(LoadError::Alert)
}

/// HAProxy's states of one `.if` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    IfTake,
    IfDrop,
    IfSkip,
    ElifTake,
    ElifDrop,
    ElifSkip,
    ElseTake,
    ElseDrop,
}

impl Cond {
    /// Lines under this state are not used.
    fn masked(self) -> bool {
        matches!(self, Cond::IfDrop | Cond::IfSkip | Cond::ElifDrop | Cond::ElifSkip | Cond::ElseDrop)
    }
    /// An earlier branch of this block was used or the block is inside an unused one.
    fn done(self) -> bool {
        matches!(self, Cond::IfTake | Cond::IfSkip | Cond::ElifTake | Cond::ElifSkip)
    }
    fn is_else(self) -> bool {
        matches!(self, Cond::ElseTake | Cond::ElseDrop)
    }
}

/// Read all sources into one syntax tree. Section headers are recognised here; what the
/// directives mean is decided later. Reading stops after a file that aborted.
pub fn parse(sources: &[Source]) -> Config {
    let mut cfg = Config::default();
    for src in sources {
        let f = read_file_with(src, &mut cfg.env);
        let stop = f.aborted;
        cfg.files.push(f);
        if stop {
            break;
        }
    }
    cfg
}

/// The line reader of one file: HAProxy reads with `fgets()` into a buffer that starts at
/// LINESIZE bytes and doubles when a line does not fit, so long lines and NUL bytes behave in
/// ways users can observe (a final line of exactly 2047 bytes without LF is never seen).
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    linesize: usize,
}

enum Fetch {
    /// A chunk was read into the buffer.
    Chunk,
    Eof,
}

impl Lines<'_> {
    /// `fgets(buf + readbytes, linesize - readbytes)`.
    fn fgets(&mut self, buf: &mut Vec<u8>, readbytes: usize) -> Fetch {
        buf.truncate(readbytes);
        if self.pos >= self.text.len() {
            return Fetch::Eof;
        }
        let room = self.linesize - readbytes - 1;
        let rest = &self.text[self.pos..];
        let mut n = rest.len().min(room);
        if let Some(lf) = rest[..n].iter().position(|&b| b == b'\n') {
            n = lf + 1;
        }
        buf.extend_from_slice(&rest[..n]);
        self.pos += n;
        Fetch::Chunk
    }
}

struct Reader {
    file: Arc<str>,
    env: EnvOverlay,
    sections: Vec<Section>,
    current: Section,
    section_name: Option<String>,
    conds: Vec<Cond>,
    tokenizer: Tokenizer,
    depth_after: Vec<u16>,
}

/// What processing one line asks the read loop to do.
enum Flow {
    Next,
    /// `break`: leave the loop, run the end-of-file checks.
    Break,
    /// `break` with ERR_ABORT set: end-of-file checks, then everything stops.
    BreakAbort,
    /// `goto err`: stop at once.
    Abort,
}

fn outside_section(file: &Arc<str>) -> Section {
    Section {
        kind: SectionKind::Outside,
        header: Directive::new(Span { file: file.clone(), line: 0 }, Vec::new(), "".into()),
        items: Vec::new(),
    }
}

/// Read one file.
pub fn read_file(src: &Source) -> File {
    read_file_with(src, &mut EnvOverlay::default())
}

/// Read one file in an environment changed by the files before it; its own global
/// `setenv`-family lines change `env` further.
pub fn read_file_with(src: &Source, env: &mut EnvOverlay) -> File {
    let file = src.name.clone();
    let mut r = Reader {
        env: std::mem::take(env),
        file: file.clone(),
        sections: Vec::new(),
        current: outside_section(&file),
        section_name: None,
        conds: Vec::new(),
        tokenizer: Tokenizer::new(),
        depth_after: vec![0],
    };
    let mut lines = Lines { text: &src.text, pos: 0, linesize: LINESIZE };
    let mut buf: Vec<u8> = Vec::with_capacity(LINESIZE);
    let mut linenum: u32 = 0;
    let mut readbytes = 0usize;
    let mut missing_lf: Option<usize> = None;
    let mut aborted = false;
    let mut stop_then_abort = false;
    loop {
        if let Fetch::Eof = lines.fgets(&mut buf, readbytes) {
            break;
        }
        if let Some(at) = missing_lf.take() {
            r.push_diag(r.tight(linenum, format!("Stray NUL character at position {}.", at + 1)), Effect::StopFile);
            break;
        }
        linenum += 1;
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        if end == lines.linesize - 1 && buf.get(end.wrapping_sub(1)) != Some(&b'\n') {
            readbytes = lines.linesize - 1;
            lines.linesize *= 2;
            linenum -= 1;
            continue;
        }
        readbytes = 0;
        let content_end = if end > 0 && buf[end - 1] == b'\n' {
            end - 1
        } else {
            missing_lf = Some(end);
            end
        };
        let content = buf[..content_end].to_vec();
        let flow = r.line(linenum, &content);
        r.record_depth(linenum);
        match flow {
            Flow::Next => {}
            Flow::Break => break,
            Flow::BreakAbort => {
                stop_then_abort = true;
                break;
            }
            Flow::Abort => {
                aborted = true;
                break;
            }
        }
    }
    let mut missing = None;
    let mut unterminated: Option<Diagnostic> = None;
    if !aborted {
        if let Some(at) = missing_lf {
            missing = Some(r.tight(
                linenum,
                format!("Missing LF on last line, file might have been truncated at position {}.", at + 1),
            ));
        }
        if !r.conds.is_empty() {
            unterminated = Some(r.tight(linenum, "non-terminated '.if' block.".to_string()));
        }
    }
    let last = std::mem::replace(&mut r.current, outside_section(&file));
    if last.kind != SectionKind::Outside || !last.items.is_empty() {
        r.sections.push(last);
    }
    let has_unterminated = unterminated.is_some();
    *env = std::mem::take(&mut r.env);
    File {
        name: file,
        sections: r.sections,
        lines: linenum,
        depth_after: r.depth_after,
        missing_lf: missing,
        unterminated_if: unterminated,
        aborted: aborted || stop_then_abort || has_unterminated,
    }
}

impl Reader {
    fn tight(&self, line: u32, msg: String) -> Diagnostic {
        Diagnostic::new(Severity::Alert, Loc::ParsingTight { file: self.file.clone(), line }, msg)
    }

    fn push_diag(&mut self, diag: Diagnostic, effect: Effect) {
        self.current.items.push(Item::Diag { diag, effect });
    }

    fn record_depth(&mut self, line: u32) {
        let l = line as usize;
        if self.depth_after.len() <= l {
            self.depth_after.resize(l + 1, 0);
        }
        self.depth_after[l] = self.conds.len() as u16;
    }

    fn masked(&self) -> bool {
        self.conds.last().is_some_and(|c| c.masked())
    }

    /// One line, without its LF (and cut at its first NUL).
    fn line(&mut self, linenum: u32, content: &[u8]) -> Flow {
        let file = self.file.clone();
        let section = self.section_name.clone();
        let overlay = (!self.env.is_empty()).then(|| self.env.clone());
        let env =
            ProcessEnv { file: Some(&file), line: linenum, section: section.as_deref(), overlay: overlay.as_ref() };
        let line = match self.tokenizer.tokenize(content, &env) {
            Ok(l) => l,
            Err(e) => {
                let mut d = self.tight(linenum, e.message());
                if let LexError::Syntax { excerpt, .. } = &e {
                    d.detail_raw = excerpt.to_vec();
                }
                self.push_diag(d, Effect::CountFatal);
                return Flow::Next;
            }
        };
        if line.is_blank() {
            return Flow::Next;
        }
        let span = Span { file: file.clone(), line: linenum };
        let raw: Arc<str> = bytes_to_text(content).into();
        let words = line.words;
        let kw = words[0].text.clone();
        let arg = |i: usize| words.get(i).map(|w| w.text.as_str()).unwrap_or("");
        if kw.starts_with('.') {
            match kw.as_str() {
                ".if" => return self.cond_if(linenum, &line.rest_joined, &env),
                ".elif" => return self.cond_elif(linenum, &line.rest_joined, &env),
                ".else" | ".endif" => {
                    if !arg(1).is_empty() {
                        let d = self.tight(linenum, format!("Unexpected argument '{}' for '{kw}'.", arg(1)));
                        self.push_diag(d, Effect::StopFileThenAbort);
                        return Flow::BreakAbort;
                    }
                    let Some(top) = self.conds.last().copied() else {
                        let d = self.tight(linenum, format!("lone '{kw}' with no matching '.if'."));
                        if kw == ".endif" {
                            self.push_diag(d, Effect::StopFileThenAbort);
                            return Flow::BreakAbort;
                        }
                        self.push_diag(d, Effect::Abort);
                        return Flow::Abort;
                    };
                    if kw == ".endif" {
                        self.conds.pop();
                        return Flow::Next;
                    }
                    if top.is_else() {
                        let d = self.tight(linenum, "'.else' after '.else' is not permitted.".into());
                        self.push_diag(d, Effect::Abort);
                        return Flow::Abort;
                    }
                    if let Some(c) = self.conds.last_mut() {
                        *c = if top.done() { Cond::ElseDrop } else { Cond::ElseTake };
                    }
                    return Flow::Next;
                }
                _ => {}
            }
        }
        if self.masked() {
            return Flow::Next;
        }
        if kw.starts_with('.') {
            let sev = match kw.as_str() {
                ".alert" => Severity::Alert,
                ".warning" => Severity::Warning,
                ".notice" => Severity::Notice,
                ".diag" => Severity::Diag,
                _ => {
                    let d = self.tight(linenum, format!("unknown directive '{kw}'."));
                    self.push_diag(d, Effect::StopFile);
                    return Flow::Break;
                }
            };
            if !arg(2).is_empty() {
                let msg = format!(
                    "Unexpected argument '{}' for '{kw}'. Use quotes if the message should contain spaces.",
                    arg(2)
                );
                let d = self.tight(linenum, msg);
                self.push_diag(d, Effect::None);
                return Flow::Next;
            }
            let d = Diagnostic::new(sev, span.tight(), format!("'{}'.", arg(1)));
            if sev == Severity::Alert {
                self.push_diag(d, Effect::Abort);
                return Flow::Abort;
            }
            self.push_diag(d, Effect::None);
            return Flow::Next;
        }

        // `no` and `default` prefixes: HAProxy shifts the words left before looking at them.
        let visible: Vec<lex::Word> = {
            let n = words.iter().position(|w| w.text.is_empty()).unwrap_or(words.len());
            words[..n].to_vec()
        };
        let shifted: Option<Vec<lex::Word>> = match kw.as_str() {
            "no" => Some(visible[1..].to_vec()),
            "default" => {
                let mut v = visible[1..].to_vec();
                if let Some(last) = v.last().cloned() {
                    v.push(last);
                } else {
                    v.push(visible[0].clone());
                }
                Some(v)
            }
            _ => None,
        };
        let lead =
            shifted.as_ref().map(|v| v.first().map(|w| w.text.clone()).unwrap_or_default()).unwrap_or(kw.clone());
        if shifted.is_some()
            && !matches!(
                lead.as_str(),
                "option"
                    | "log"
                    | "busy-polling"
                    | "set-dumpable"
                    | "strict-limits"
                    | "insecure-fork-wanted"
                    | "numa-cpu-mapping"
            )
        {
            let d = self.tight(
                linenum,
                "negation/default currently supported only for options, log, busy-polling, set-dumpable, \
                 strict-limits, insecure-fork-wanted and numa-cpu-mapping."
                    .into(),
            );
            self.push_diag(d, Effect::CountFatal);
        }

        if let Some(kind) = SectionKind::from_keyword(&lead) {
            let header_words = shifted.unwrap_or_else(|| words.clone());
            let name = header_words.get(1).map(|w| w.text.clone()).filter(|n| !n.is_empty());
            self.section_name = Some(name.unwrap_or_else(|| lead.clone()));
            let header = Directive::new(span, header_words, raw);
            let done = std::mem::replace(&mut self.current, Section { kind, header, items: Vec::new() });
            if done.kind != SectionKind::Outside || !done.items.is_empty() {
                self.sections.push(done);
            }
            return Flow::Next;
        }
        if self.current.kind == SectionKind::Outside {
            let d = self.tight(linenum, format!("unknown keyword '{lead}' out of section."));
            self.push_diag(d, Effect::CountFatal);
            return Flow::Next;
        }
        if self.current.kind == SectionKind::Global && shifted.is_none() {
            let w: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            self.env.run_line(&w);
        }
        self.current.items.push(Item::Directive(Directive::new(span, words, raw)));
        Flow::Next
    }

    fn cond_error(&mut self, linenum: u32, kw: &str, expr: &str, e: &cond::CondError) -> Flow {
        let width = if kw == ".if" { 76 } else { 74 };
        let excerpt = caret_excerpt(&text_to_bytes(expr), e.pos, width, &format!("{kw} "));
        let d = self.tight(linenum, format!("{} in '{kw}' at position {}:", e.msg, e.pos + 1)).with_raw_detail(excerpt);
        self.push_diag(d, Effect::Abort);
        Flow::Abort
    }

    fn cond_if(&mut self, linenum: u32, expr: &str, env: &ProcessEnv) -> Flow {
        if self.conds.len() + 1 >= MAX_COND_DEPTH {
            let d = self.tight(linenum, format!("too many nested '.if', max is {MAX_COND_DEPTH}."));
            self.push_diag(d, Effect::Abort);
            return Flow::Abort;
        }
        if self.masked() {
            self.conds.push(Cond::IfSkip);
            return Flow::Next;
        }
        match cond::eval(expr, env) {
            Ok(v) => {
                self.conds.push(if v { Cond::IfTake } else { Cond::IfDrop });
                Flow::Next
            }
            Err(e) => self.cond_error(linenum, ".if", expr, &e),
        }
    }

    fn cond_elif(&mut self, linenum: u32, expr: &str, env: &ProcessEnv) -> Flow {
        let Some(top) = self.conds.last().copied() else {
            let d = self.tight(linenum, "lone '.elif' with no matching '.if'.".into());
            self.push_diag(d, Effect::Abort);
            return Flow::Abort;
        };
        if top.is_else() {
            let d = self.tight(linenum, "'.elif' after '.else' is not permitted.".into());
            self.push_diag(d, Effect::Abort);
            return Flow::Abort;
        }
        if top.done() {
            if let Some(c) = self.conds.last_mut() {
                *c = Cond::ElifSkip;
            }
            return Flow::Next;
        }
        match cond::eval(expr, env) {
            Ok(v) => {
                if let Some(c) = self.conds.last_mut() {
                    *c = if v { Cond::ElifTake } else { Cond::ElifDrop };
                }
                Flow::Next
            }
            Err(e) => self.cond_error(linenum, ".elif", expr, &e),
        }
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

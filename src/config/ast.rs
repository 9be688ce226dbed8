//! The syntax tree: files, each a list of sections of directives, each directive a list of words
//! with its location. No meaning is attached here; `ir` gives the words their meaning.
//!
//! The tree also keeps what HAProxy's reader decided while reading (errors found in place, where
//! a file stopped, how deep `.if` blocks were), because lowering must report those in line order
//! and stop exactly where HAProxy stops.

use std::sync::Arc;

use super::diag::{Diagnostic, Loc};
use super::lex::Word;

/// The section kinds HAProxy 2.6 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Lines before the first section header of a file.
    Outside,
    Global,
    Defaults,
    Frontend,
    Backend,
    Listen,
    Userlist,
    Peers,
    Resolvers,
    Mailers,
    HttpErrors,
    Ring,
    Cache,
    Program,
    FcgiApp,
    LogForward,
    NamespaceList,
}

impl SectionKind {
    /// Every section keyword of HAProxy 2.6 (matching is case-sensitive).
    pub const HEADERS: &'static [(&'static str, SectionKind)] = &[
        ("global", SectionKind::Global),
        ("defaults", SectionKind::Defaults),
        ("frontend", SectionKind::Frontend),
        ("backend", SectionKind::Backend),
        ("listen", SectionKind::Listen),
        ("userlist", SectionKind::Userlist),
        ("peers", SectionKind::Peers),
        ("resolvers", SectionKind::Resolvers),
        ("mailers", SectionKind::Mailers),
        ("http-errors", SectionKind::HttpErrors),
        ("ring", SectionKind::Ring),
        ("cache", SectionKind::Cache),
        ("program", SectionKind::Program),
        ("fcgi-app", SectionKind::FcgiApp),
        ("log-forward", SectionKind::LogForward),
        ("namespace_list", SectionKind::NamespaceList),
    ];

    pub fn from_keyword(word: &str) -> Option<SectionKind> {
        Self::HEADERS.iter().find(|(k, _)| *k == word).map(|(_, s)| *s)
    }

    pub fn keyword(self) -> &'static str {
        Self::HEADERS.iter().find(|(_, s)| *s == self).map(|(k, _)| *k).unwrap_or("")
    }

    /// Frontend, backend, listen and defaults are all proxies in HAProxy's model.
    pub fn is_proxy(self) -> bool {
        matches!(self, SectionKind::Defaults | SectionKind::Frontend | SectionKind::Backend | SectionKind::Listen)
    }
}

/// Where a directive came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: Arc<str>,
    pub line: u32,
}

impl Span {
    pub fn parsing(&self) -> Loc {
        Loc::Parsing { file: self.file.clone(), line: self.line }
    }
    pub fn tight(&self) -> Loc {
        Loc::ParsingTight { file: self.file.clone(), line: self.line }
    }
    pub fn bracket(&self) -> Loc {
        Loc::Bracket { file: self.file.clone(), line: self.line }
    }
}

/// One configuration line, cut into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub span: Span,
    /// The words a keyword handler sees. HAProxy's argument list ends at the first empty word
    /// (`""`, or the empty word left by trailing blanks), so that word and all after it are
    /// left out here; they stay in [`Directive::all_words`].
    pub words: Vec<Word>,
    /// Every word of the line, empty ones included.
    pub all_words: Vec<Word>,
    /// The raw line, for excerpts under diagnostics.
    pub raw: Arc<str>,
}

impl Directive {
    /// Build from all the words of a line; the handler view is cut at the first empty word.
    pub fn new(span: Span, all_words: Vec<Word>, raw: Arc<str>) -> Self {
        let n = all_words.iter().position(|w| w.text.is_empty()).unwrap_or(all_words.len());
        Directive { span, words: all_words[..n].to_vec(), all_words, raw }
    }
    pub fn keyword(&self) -> &str {
        self.words.first().map(|w| w.as_str()).unwrap_or("")
    }
    /// Exactly HAProxy's `args[i]`: word `i` of the line even past an empty word, `""` beyond
    /// the last one. For code that indexes arguments the way HAProxy's parsers do.
    pub fn haproxy_arg(&self, i: usize) -> &str {
        self.all_words.get(i).map(|w| w.as_str()).unwrap_or("")
    }
    pub fn arg(&self, i: usize) -> &str {
        self.words.get(i).map(|w| w.as_str()).unwrap_or("")
    }
    pub fn has_arg(&self, i: usize) -> bool {
        self.words.get(i).is_some_and(|w| !w.text.is_empty())
    }
    pub fn len(&self) -> usize {
        self.words.len()
    }
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
    pub fn col(&self, i: usize) -> u32 {
        self.words.get(i).or(self.all_words.get(i)).map(|w| w.col).unwrap_or(1)
    }
    pub fn args_from(&self, i: usize) -> impl Iterator<Item = &str> {
        self.words.iter().skip(i).map(|w| w.as_str())
    }
}

/// What a problem found by the reader does to the rest of the parsing (HAProxy's error flags
/// and control flow after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing more (a notice, a warning, an error that does not count toward the limit).
    None,
    /// Counts toward HAProxy's limit of 50 fatal errors per file.
    CountFatal,
    /// The rest of this file is skipped; its end-of-file checks still run.
    StopFile,
    /// The rest of this file is skipped, its end-of-file checks run, then everything stops.
    StopFileThenAbort,
    /// Everything stops at once.
    Abort,
}

/// Something found while reading a section, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Directive(Directive),
    /// A problem found by the reader (tokenizer, `.if` blocks, `.alert` ...), kept in place so that
    /// diagnostics come out in line order like HAProxy's.
    Diag {
        diag: Diagnostic,
        effect: Effect,
    },
}

impl Item {
    pub fn line(&self) -> u32 {
        match self {
            Item::Directive(d) => d.span.line,
            Item::Diag { diag, .. } => diag.loc.file_line().map(|(_, l)| l).unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    /// The header line (`backend be`), after a `no`/`default` prefix was shifted away; for
    /// `Outside` a synthetic empty directive.
    pub header: Directive,
    pub items: Vec<Item>,
}

impl Section {
    pub fn name(&self) -> Option<&str> {
        self.header.words.get(1).map(|w| w.as_str())
    }
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.items.iter().filter_map(|i| match i {
            Item::Directive(d) => Some(d),
            Item::Diag { .. } => None,
        })
    }
}

/// One configuration file, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: Arc<str>,
    /// Sections in order; the first is `Outside` when lines came before any header.
    pub sections: Vec<Section>,
    /// How many lines were read.
    pub lines: u32,
    /// `.if` nesting depth after each line (index = line number).
    pub depth_after: Vec<u16>,
    /// `Missing LF on last line ...`, reported after the last line.
    pub missing_lf: Option<Diagnostic>,
    /// `non-terminated '.if' block.`, reported after the last section was closed.
    pub unterminated_if: Option<Diagnostic>,
    /// Reading stopped everything (HAProxy's ERR_ABORT): no further file was read.
    pub aborted: bool,
}

impl File {
    /// `.if` depth after line `line`.
    pub fn depth_at(&self, line: u32) -> u16 {
        self.depth_after.get(line as usize).copied().unwrap_or(0)
    }
}

/// A whole configuration (all files), as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub files: Vec<File>,
    /// The environment changes made by the global `setenv`-family lines, in reading order.
    pub env: super::env::EnvOverlay,
}

impl Config {
    /// All sections of all files, in order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.files.iter().flat_map(|f| f.sections.iter())
    }
}

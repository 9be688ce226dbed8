//! The syntax tree: sections of directives, each directive a list of words with its location.
//! No meaning is attached here; `ir` gives the words their meaning.

use std::sync::Arc;

use super::diag::{Diagnostic, Loc};
use super::lex::Word;

/// The section kinds HAProxy 2.6 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Lines before the first section header.
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
}

impl SectionKind {
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
    pub fn bracket(&self) -> Loc {
        Loc::Bracket { file: self.file.clone(), line: self.line }
    }
}

/// One configuration line, cut into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub span: Span,
    pub words: Vec<Word>,
    /// The raw line, for excerpts under diagnostics.
    pub raw: Arc<str>,
}

impl Directive {
    pub fn keyword(&self) -> &str {
        self.words.first().map(|w| w.as_str()).unwrap_or("")
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
        self.words.get(i).map(|w| w.col).unwrap_or(1)
    }
    pub fn args_from(&self, i: usize) -> impl Iterator<Item = &str> {
        self.words.iter().skip(i).map(|w| w.as_str())
    }
}

/// Something found while reading a section, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Directive(Directive),
    /// A problem found by the reader (tokenizer, `.if` blocks, `.alert` ...), kept in place so that
    /// diagnostics come out in line order like HAProxy's. `abort` stops all further parsing.
    Diag {
        diag: Diagnostic,
        abort: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    /// The header line (`backend be`); for `Outside` a synthetic empty directive.
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

/// A whole configuration (all files), as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub files: Vec<Arc<str>>,
    pub sections: Vec<Section>,
}

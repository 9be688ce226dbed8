//! Diagnostics: every problem found in a configuration, collected (never thrown) and printed the
//! way `haproxy -c` prints them, with a column and a source excerpt added where we know them.
//!
//! [`Printer`] writes them like HAProxy's logger: the tag, the pid, the two `[NOTICE]` lines
//! naming the version and executable before the first warning or alert, `-q` and `-dD`.

use std::fmt::Write as _;
use std::sync::Arc;

use super::lex::text_to_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `.diag` output, shown only in diagnostic mode.
    Diag,
    Notice,
    Warning,
    Alert,
}

impl Severity {
    /// HAProxy's tag, padded to the same width as HAProxy pads it.
    pub fn tag(self) -> &'static str {
        match self {
            Severity::Alert => "[ALERT]    ",
            Severity::Warning => "[WARNING]  ",
            Severity::Notice => "[NOTICE]   ",
            Severity::Diag => "[DIAG]     ",
        }
    }
}

/// How the location is written in the message; HAProxy uses several shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// No location: `config : Proxy 'fe': unable to find ...`.
    None,
    /// `parsing [file:line] : msg`.
    Parsing { file: Arc<str>, line: u32 },
    /// `parsing [file:line]: msg` (tokenizer errors, no space before the colon).
    ParsingTight { file: Arc<str>, line: u32 },
    /// `[file:line] : msg` (checks made after parsing that still know their line).
    Bracket { file: Arc<str>, line: u32 },
    /// `parsing [file:line]` with no trailing separator: the message starts with its own `:`.
    ParsingRaw { file: Arc<str>, line: u32 },
    /// `Parsing [file:line]: msg` (capital P: duplicate proxy names).
    CapParsing { file: Arc<str>, line: u32 },
}

impl Loc {
    pub fn file_line(&self) -> Option<(&str, u32)> {
        match self {
            Loc::None => None,
            Loc::Parsing { file, line }
            | Loc::ParsingTight { file, line }
            | Loc::Bracket { file, line }
            | Loc::ParsingRaw { file, line }
            | Loc::CapParsing { file, line } => Some((file, *line)),
        }
    }
}

/// One message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Whether this makes the configuration invalid (HAProxy's ERR_FATAL). Alerts are fatal
    /// unless built with [`Diagnostic::non_fatal`]; a few HAProxy alerts are not.
    pub fatal: bool,
    /// The `<context> :` part, `config` for almost everything.
    pub context: Option<&'static str>,
    pub loc: Loc,
    pub msg: String,
    /// Continuation lines, printed as `   | <line>` like HAProxy's multi-line warnings.
    pub detail: Vec<String>,
    /// Lines printed verbatim after the headline (HAProxy's excerpt with a caret).
    pub detail_raw: Vec<String>,
    /// haproxide's addition: the column (1-based) and the source line, shown under the message.
    pub col: Option<u32>,
    pub source_line: Option<String>,
    /// haproxide's addition: an explanation printed after HAProxy's text (`   = <note>`).
    pub note: Option<String>,
    /// Not a message: the place where a global `quiet` took effect. Nothing is printed from
    /// there on (HAProxy sets its quiet mode while parsing that line).
    pub quiet_from_here: bool,
}

impl Diagnostic {
    pub fn new(severity: Severity, loc: Loc, msg: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            fatal: severity == Severity::Alert,
            context: Some("config"),
            loc,
            msg: msg.into(),
            detail: Vec::new(),
            detail_raw: Vec::new(),
            col: None,
            source_line: None,
            note: None,
            quiet_from_here: false,
        }
    }
    /// The marker for a global `quiet` line (see [`Diagnostic::quiet_from_here`]).
    pub fn quiet_marker() -> Self {
        Diagnostic { quiet_from_here: true, ..Diagnostic::new(Severity::Diag, Loc::None, "") }
    }
    pub fn with_col(mut self, col: u32) -> Self {
        self.col = Some(col);
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
    pub fn with_detail(mut self, lines: &[&str]) -> Self {
        self.detail = lines.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn without_context(mut self) -> Self {
        self.context = None;
        self
    }
    /// An alert that does not make the configuration invalid (HAProxy prints some).
    pub fn non_fatal(mut self) -> Self {
        self.fatal = false;
        self
    }
    /// A warning, notice or alert that nonetheless marks the configuration as failed.
    pub fn fatal(mut self) -> Self {
        self.fatal = true;
        self
    }
    /// HAProxy's own excerpt lines under the message (source line, caret), printed verbatim.
    pub fn with_raw_detail(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.detail_raw = lines.into_iter().collect();
        self
    }

    /// The HAProxy-shaped first line, without the severity tag and pid.
    pub fn headline(&self) -> String {
        let mut s = String::new();
        if let Some(ctx) = self.context {
            s.push_str(ctx);
            s.push_str(" : ");
        }
        match &self.loc {
            Loc::None => {}
            Loc::Parsing { file, line } => {
                let _ = write!(s, "parsing [{file}:{line}] : ");
            }
            Loc::ParsingTight { file, line } => {
                let _ = write!(s, "parsing [{file}:{line}]: ");
            }
            Loc::Bracket { file, line } => {
                let _ = write!(s, "[{file}:{line}] : ");
            }
            Loc::ParsingRaw { file, line } => {
                let _ = write!(s, "parsing [{file}:{line}]");
            }
            Loc::CapParsing { file, line } => {
                let _ = write!(s, "Parsing [{file}:{line}]: ");
            }
        }
        s.push_str(&self.msg);
        s
    }

    /// The rendering as the bytes to write (raw configuration bytes restored).
    pub fn render_bytes(&self, pid: u32, extras: bool) -> Vec<u8> {
        text_to_bytes(&self.render(pid, extras))
    }

    /// Render for stderr: `[ALERT]    (pid) : config : parsing [f:l] : msg` plus our extras.
    ///
    /// HAProxy formats messages as C strings: a NUL in the text (a `%c` of an empty name) ends
    /// the output there, without a newline. That is reproduced.
    pub fn render(&self, pid: u32, extras: bool) -> String {
        let head = format!("{}({}) : {}", self.severity.tag(), pid, self.headline());
        if let Some(cut) = head.find('\0') {
            return head[..cut].to_string();
        }
        let mut out = format!("{head}\n");
        for d in &self.detail_raw {
            let _ = writeln!(out, "{d}");
        }
        for d in &self.detail {
            let _ = writeln!(out, "   | {d}");
        }
        if extras {
            if let (Some(src), Some((file, line))) = (&self.source_line, self.loc.file_line()) {
                let col = self.col.unwrap_or(1).max(1);
                let gutter = format!("{line}");
                let _ = writeln!(out, "   --> {file}:{line}:{col}");
                let _ = writeln!(out, "   {gutter} | {}", src.trim_end_matches(['\r', '\n']));
                let pad: String =
                    src.chars().take(col as usize - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let width = src.chars().skip(col as usize - 1).take_while(|c| !c.is_whitespace()).count().max(1);
                let _ = writeln!(out, "   {} | {pad}{}", " ".repeat(gutter.len()), "^".repeat(width));
            }
            if let Some(note) = &self.note {
                let _ = writeln!(out, "   = {note}");
            }
        }
        out
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct Diags {
    pub list: Vec<Diagnostic>,
}

impl Diags {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }
    pub fn alert(&mut self, loc: Loc, msg: impl Into<String>) {
        self.push(Diagnostic::new(Severity::Alert, loc, msg));
    }
    pub fn warning(&mut self, loc: Loc, msg: impl Into<String>) {
        self.push(Diagnostic::new(Severity::Warning, loc, msg));
    }
    pub fn notice(&mut self, loc: Loc, msg: impl Into<String>) {
        self.push(Diagnostic::new(Severity::Notice, loc, msg));
    }
    pub fn alerts(&self) -> usize {
        self.count(Severity::Alert)
    }
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }
    pub fn count(&self, sev: Severity) -> usize {
        self.list.iter().filter(|d| d.severity == sev).count()
    }
    pub fn has_alerts(&self) -> bool {
        self.alerts() > 0
    }
    /// Diagnostics that make the configuration invalid.
    pub fn errors(&self) -> usize {
        self.list.iter().filter(|d| d.fatal).count()
    }
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.fatal)
    }
    pub fn extend(&mut self, other: Diags) {
        self.list.extend(other.list);
    }
    /// The first alert, which the compat harness compares with HAProxy's.
    pub fn first_alert(&self) -> Option<&Diagnostic> {
        self.list.iter().find(|d| d.severity == Severity::Alert)
    }
}

/// Writes diagnostics to stderr the way HAProxy's logger does.
pub struct Printer<W: std::io::Write> {
    out: W,
    pid: u32,
    /// `-q` without `-V`: nothing but `[DIAG]` lines.
    pub quiet: bool,
    /// `-dD`: `[DIAG]` lines are shown.
    pub diag_mode: bool,
    /// haproxide's column and excerpt lines under messages.
    pub extras: bool,
    version: String,
    exe: String,
    banner_done: bool,
}

impl<W: std::io::Write> Printer<W> {
    pub fn new(out: W, pid: u32, version: &str, exe: &str) -> Self {
        Printer {
            out,
            pid,
            quiet: false,
            diag_mode: false,
            extras: true,
            version: version.to_string(),
            exe: exe.to_string(),
            banner_done: false,
        }
    }

    /// Print one diagnostic (or nothing, as `-q`/`-dD` decide). Before the first warning or
    /// alert, HAProxy prints its version and executable path once.
    pub fn print(&mut self, d: &Diagnostic) {
        if d.quiet_from_here {
            self.quiet = true;
            return;
        }
        let shown = match d.severity {
            Severity::Diag => self.diag_mode,
            _ => !self.quiet,
        };
        if !shown {
            return;
        }
        if matches!(d.severity, Severity::Warning | Severity::Alert) && !self.banner_done {
            self.banner_done = true;
            let banner = format!(
                "{tag}({pid}) : haproxy version is {v}\n{tag}({pid}) : path to executable is {e}\n",
                tag = Severity::Notice.tag(),
                pid = self.pid,
                v = self.version,
                e = self.exe
            );
            let _ = self.out.write_all(&text_to_bytes(&banner));
        }
        let _ = self.out.write_all(&d.render_bytes(self.pid, self.extras));
        let _ = self.out.flush();
    }

    pub fn print_all<'a>(&mut self, ds: impl IntoIterator<Item = &'a Diagnostic>) {
        for d in ds {
            self.print(d);
        }
    }

    /// Raw text on the same stream (usage text).
    pub fn write_raw(&mut self, s: &str) {
        let _ = self.out.write_all(&text_to_bytes(s));
        let _ = self.out.flush();
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// HAProxy's keyword suggestion (`cfg_find_best_match`): the closest candidate by character
/// transition fingerprint, earlier candidates winning ties, or `None` when even the best is too
/// far. Give the candidates in HAProxy's order: [`super::suggest`] has each context's list.
pub fn haproxy_suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    super::suggest::suggest(word, candidates, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_haproxy() {
        let d = Diagnostic::new(
            Severity::Alert,
            Loc::Parsing { file: "a.cfg".into(), line: 2 },
            "unknown keyword 'nosuchkw' in 'global' section",
        );
        assert_eq!(
            d.render(42, false),
            "[ALERT]    (42) : config : parsing [a.cfg:2] : unknown keyword 'nosuchkw' in 'global' section\n"
        );
        let w = Diagnostic::new(Severity::Warning, Loc::None, "missing timeouts for frontend 'fe'.")
            .with_detail(&["While not properly invalid"]);
        assert_eq!(
            w.render(7, false),
            "[WARNING]  (7) : config : missing timeouts for frontend 'fe'.\n   | While not properly invalid\n"
        );
    }

    #[test]
    fn haproxy_style_suggestions() {
        assert_eq!(haproxy_suggest("weigth", ["weight", "backup", "check"]), Some("weight"));
        assert_eq!(haproxy_suggest("foo", ["tfo", "backup", "weight"]), Some("tfo"));
        assert_eq!(haproxy_suggest("qqqqqqqq", ["backup"]), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(nearest("redispach", ["redispatch", "httplog", "tcplog"]), Some("redispatch"));
        assert_eq!(nearest("zzzzzz", ["redispatch"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

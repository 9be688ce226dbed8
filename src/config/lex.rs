//! The line tokenizer: one raw configuration line into words, the way HAProxy 2.6 cuts it.
//!
//! Pure: no I/O, no global state. Environment variables come through [`VarSource`] so tests can
//! inject them. The contract is written in `grammar/config.ebnf`.

use thiserror::Error;

/// HAProxy refuses lines with more words than this (MAX_LINE_ARGS).
pub const MAX_WORDS: usize = 64;

/// One word of a line after quote removal, escape and variable expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// 1-based byte column where the word starts in the raw line.
    pub col: u32,
    /// True when any part of the word was quoted (so `""` is a real, empty word).
    pub quoted: bool,
}

impl Word {
    pub fn new(text: impl Into<String>, col: u32) -> Self {
        Word { text: text.into(), col, quoted: false }
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Where `$VAR` and `${VAR}` values come from.
pub trait VarSource {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment, plus HAProxy's pseudo-variables `.FILE`, `.LINE`, `.SECTION`.
pub struct ProcessEnv<'a> {
    pub file: &'a str,
    pub line: u32,
    pub section: &'a str,
}

impl VarSource for ProcessEnv<'_> {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            ".FILE" => Some(self.file.to_string()),
            ".LINE" => Some(self.line.to_string()),
            ".SECTION" => Some(self.section.to_string()),
            _ => std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        }
    }
}

/// A map-backed variable source for tests and for `-cc`.
impl VarSource for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// What went wrong while cutting a line. `pos` is the 0-based byte offset HAProxy reports.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LexError {
    #[error("unmatched quote at position {pos}")]
    UnmatchedQuote { pos: usize },
    #[error("unmatched brace in environment variable name at position {pos}")]
    UnmatchedBrace { pos: usize },
    #[error("truncated or invalid hexadecimal sequence at position {pos}")]
    BadHex { pos: usize },
    #[error("forbidden first char in environment variable name at position {pos}")]
    BadVarName { pos: usize },
    #[error("'[*]' only supported as a standalone word at position {pos}")]
    WrongExpand { pos: usize },
    #[error("too many words, truncating after word {max}, position {pos}")]
    TooManyWords { max: usize, pos: usize },
}

impl LexError {
    /// Byte offset in the raw line that the error points at.
    pub fn pos(&self) -> usize {
        match *self {
            LexError::UnmatchedQuote { pos }
            | LexError::UnmatchedBrace { pos }
            | LexError::BadHex { pos }
            | LexError::BadVarName { pos }
            | LexError::WrongExpand { pos }
            | LexError::TooManyWords { pos, .. } => pos,
        }
    }
}

/// The words of one line; a comment-only or blank line gives no words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub words: Vec<Word>,
}

fn is_space(b: u8) -> bool {
    // HAProxy uses isspace(): space, \t, \n, \v, \f, \r.
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

struct Builder {
    words: Vec<Word>,
    cur: Vec<u8>,
    start: Option<usize>,
    quoted: bool,
}

impl Builder {
    fn begin(&mut self, at: usize) {
        if self.start.is_none() {
            self.start = Some(at);
        }
    }
    fn push(&mut self, b: u8, at: usize) {
        self.begin(at);
        self.cur.push(b);
    }
    fn finish(&mut self) {
        if let Some(start) = self.start.take() {
            let text = String::from_utf8_lossy(&self.cur).into_owned();
            self.words.push(Word { text, col: start as u32 + 1, quoted: self.quoted });
            self.cur.clear();
            self.quoted = false;
        }
    }
}

/// Cut one line (without its trailing newline) into words.
pub fn tokenize(line: &[u8], vars: &dyn VarSource) -> Result<Line, LexError> {
    let mut b = Builder { words: Vec::new(), cur: Vec::new(), start: None, quoted: false };
    let mut squote = false;
    let mut dquote = false;
    let mut quote_pos = 0usize;
    let mut i = 0usize;
    let n = line.len();
    while i < n {
        let c = line[i];
        if c == b'\\' && !squote {
            let next = line.get(i + 1).copied();
            match next {
                Some(b' ' | b'\t' | b'\\' | b'#' | b'\'' | b'"' | b'$') => {
                    b.push(next.unwrap_or_default(), i);
                    i += 2;
                }
                Some(b'r') => {
                    b.push(b'\r', i);
                    i += 2;
                }
                Some(b'n') => {
                    b.push(b'\n', i);
                    i += 2;
                }
                Some(b't') => {
                    b.push(b'\t', i);
                    i += 2;
                }
                Some(b'x') => {
                    let hi = line.get(i + 2).copied().and_then(hex_val);
                    let lo = line.get(i + 3).copied().and_then(hex_val);
                    match (hi, lo) {
                        (Some(h), Some(l)) => {
                            b.push(h * 16 + l, i);
                            i += 4;
                        }
                        _ => return Err(LexError::BadHex { pos: i }),
                    }
                }
                _ => {
                    // Unknown escapes keep their backslash (regexes like `\d` rely on it).
                    b.push(b'\\', i);
                    i += 1;
                }
            }
        } else if c == b'"' && !squote {
            b.begin(i);
            b.quoted = true;
            dquote = !dquote;
            quote_pos = i;
            i += 1;
        } else if c == b'\'' && !dquote {
            b.begin(i);
            b.quoted = true;
            squote = !squote;
            quote_pos = i;
            i += 1;
        } else if c == b'$' && dquote {
            i = expand_var(line, i, vars, &mut b)?;
        } else if c == b'#' && !squote && !dquote {
            break;
        } else if is_space(c) && !squote && !dquote {
            b.finish();
            i += 1;
        } else {
            b.push(c, i);
            i += 1;
        }
        if b.words.len() > MAX_WORDS {
            return Err(LexError::TooManyWords { max: MAX_WORDS, pos: b.words[MAX_WORDS].col as usize - 1 });
        }
    }
    if squote || dquote {
        return Err(LexError::UnmatchedQuote { pos: quote_pos });
    }
    b.finish();
    if b.words.len() > MAX_WORDS {
        return Err(LexError::TooManyWords { max: MAX_WORDS, pos: b.words[MAX_WORDS].col as usize - 1 });
    }
    Ok(Line { words: b.words })
}

/// Expand `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` starting at `line[i] == '$'`.
/// Returns the index just past the reference.
fn expand_var(line: &[u8], i: usize, vars: &dyn VarSource, b: &mut Builder) -> Result<usize, LexError> {
    let mut j = i + 1;
    let braced = line.get(j) == Some(&b'{');
    if braced {
        j += 1;
    }
    let name_start = j;
    let first = line.get(j).copied();
    let pseudo = first == Some(b'.');
    match first {
        Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'.' => {}
        _ => {
            if braced {
                return Err(LexError::BadVarName { pos: j });
            }
            // A lone `$` (or `$` before a non-name char) stays literal.
            b.push(b'$', i);
            return Ok(i + 1);
        }
    }
    j += 1;
    while let Some(&c) = line.get(j) {
        if c.is_ascii_alphanumeric() || c == b'_' || (pseudo && c == b'.') {
            j += 1;
        } else {
            break;
        }
    }
    let name = String::from_utf8_lossy(&line[name_start..j]).into_owned();
    let mut default: Option<Vec<u8>> = None;
    let mut word_expand = false;
    if braced {
        if line.get(j) == Some(&b'[') && line.get(j + 1) == Some(&b'*') && line.get(j + 2) == Some(&b']') {
            word_expand = true;
            j += 3;
        }
        if line.get(j) == Some(&b'-') {
            j += 1;
            let ds = j;
            while j < line.len() && line[j] != b'}' {
                j += 1;
            }
            default = Some(line[ds..j].to_vec());
        }
        if line.get(j) != Some(&b'}') {
            return Err(LexError::UnmatchedBrace { pos: i });
        }
        j += 1;
    }
    let value: Option<Vec<u8>> = vars.var(&name).map(String::into_bytes).or(default);
    b.begin(i);
    if let Some(v) = value {
        if word_expand {
            // `"${LIST[*]}"` must be the whole word; each space-separated value becomes a word.
            let before_ok = b.cur.is_empty();
            let after_ok = line.get(j) == Some(&b'"') && line.get(j + 1).is_none_or(|&c| is_space(c) || c == b'#');
            if !before_ok || !after_ok {
                return Err(LexError::WrongExpand { pos: i });
            }
            let mut first_part = true;
            for part in v.split(|&c| c == b' ' || c == b'\t').filter(|p| !p.is_empty()) {
                if !first_part {
                    let col = b.start.unwrap_or(i);
                    b.finish();
                    b.start = Some(col);
                    b.quoted = true;
                }
                b.cur.extend_from_slice(part);
                first_part = false;
            }
        } else {
            b.cur.extend_from_slice(&v);
        }
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn words(s: &str) -> Vec<String> {
        let mut env = HashMap::new();
        env.insert("HOME".to_string(), "/root".to_string());
        env.insert("LIST".to_string(), "a b  c".to_string());
        tokenize(s.as_bytes(), &env).unwrap().words.into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn splits_on_blanks_and_comments() {
        assert_eq!(words("  bind\t:80   # comment"), vec!["bind", ":80"]);
        assert_eq!(words("a#b c"), vec!["a"]);
        assert!(words("   # only a comment").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(words(r#"a "b c" 'd e' f\ g"#), vec!["a", "b c", "d e", "f g"]);
        assert_eq!(words(r#""g#h" 'i$j' \#x"#), vec!["g#h", "i$j", "#x"]);
        assert_eq!(words(r#"\x41\x4a \q "k\"l""#), vec!["AJ", "\\q", "k\"l"]);
        assert_eq!(words(r#"a"b c"d"#), vec!["ab cd"]);
        assert_eq!(words(r#"x "" y"#), vec!["x", "", "y"]);
        assert_eq!(words(r"'\d+'"), vec!["\\d+"]);
    }

    #[test]
    fn env_expansion_only_in_double_quotes() {
        assert_eq!(words(r#""${HOME}x" $HOME "$HOME""#), vec!["/rootx", "$HOME", "/root"]);
        assert_eq!(words(r#""${NOPE-def}" "${NOPE}""#), vec!["def", ""]);
        assert_eq!(words(r#"x "${LIST[*]}" y"#), vec!["x", "a", "b", "c", "y"]);
    }

    #[test]
    fn errors_carry_positions() {
        let env: HashMap<String, String> = HashMap::new();
        assert_eq!(tokenize(b"  .notice \"a", &env), Err(LexError::UnmatchedQuote { pos: 10 }));
        assert_eq!(tokenize(b"a \\xZZ", &env), Err(LexError::BadHex { pos: 2 }));
        assert!(matches!(tokenize(b"a \"${X\"", &env), Err(LexError::UnmatchedBrace { .. })));
        let many = (0..70).map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
        assert!(matches!(tokenize(many.as_bytes(), &env), Err(LexError::TooManyWords { .. })));
    }

    #[test]
    fn columns_are_one_based() {
        let env: HashMap<String, String> = HashMap::new();
        let l = tokenize(b"  option  redispach", &env).unwrap();
        assert_eq!(l.words[0].col, 3);
        assert_eq!(l.words[1].col, 11);
    }
}

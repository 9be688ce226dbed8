//! The line tokenizer: one raw configuration line into words, exactly the way HAProxy 2.6 cuts it.
//!
//! Pure: no I/O, no global state. Environment variables come through [`VarSource`] so tests can
//! inject them. The contract is written in `grammar/config.ebnf`; the quirks it mirrors (an
//! output buffer that must grow, input bytes overwritten in place, C strings ending at NUL) are
//! modelled on purpose because they decide which error a user sees.

/// HAProxy refuses lines with more words than this (MAX_LINE_ARGS), counting the keyword.
pub const MAX_WORDS: usize = 64;

/// Where `$VAR` and `${VAR}` values come from.
pub trait VarSource {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment, plus HAProxy's pseudo-variables `.FILE`, `.LINE`, `.SECTION`.
/// `None` for file or section means HAProxy has none set (the pseudo-variable expands to
/// nothing).
pub struct ProcessEnv<'a> {
    pub file: Option<&'a str>,
    pub line: u32,
    pub section: Option<&'a str>,
    /// What the configuration read so far changed in the environment (`setenv`...).
    pub overlay: Option<&'a super::env::EnvOverlay>,
}

/// `getenv()`: names that libc could never match give nothing instead of panicking.
pub fn getenv(name: &str) -> Option<String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return None;
    }
    use std::os::unix::ffi::OsStrExt;
    std::env::var_os(name).map(|v| bytes_to_text(v.as_bytes()))
}

impl VarSource for ProcessEnv<'_> {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            ".FILE" => self.file.map(str::to_string),
            ".LINE" => Some(self.line.to_string()),
            ".SECTION" => self.section.map(str::to_string),
            _ => match self.overlay {
                Some(o) => o.get(name),
                None => getenv(name),
            },
        }
    }
}

/// A map-backed variable source for tests.
impl VarSource for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

// ---------------------------------------------------------------------------------------------
// Bytes inside strings.
//
// Configuration words may hold any byte. The rest of the crate works on `String`, so bytes that
// are not valid UTF-8 are carried as private-use characters U+F780..U+F7FF (one per byte) and
// turned back into the raw byte when a diagnostic is written. Valid UTF-8 stays as it is.

const RAW_BASE: u32 = 0xF700;

/// Bytes to text, keeping invalid bytes recoverable (see [`text_to_bytes`]).
pub fn bytes_to_text(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for &x in chunk.invalid() {
            out.push(char::from_u32(RAW_BASE + u32::from(x)).unwrap_or('?'));
        }
    }
    out
}

/// Text back to the bytes it came from.
pub fn text_to_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if (RAW_BASE + 0x80..=RAW_BASE + 0xFF).contains(&u) {
            out.push((u - RAW_BASE) as u8);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// The first byte of `s` as HAProxy would print it with `%c` (raw byte, carried as text).
pub fn first_byte_text(s: &str) -> String {
    match text_to_bytes(s).first() {
        Some(&b) => bytes_to_text(&[b]),
        None => "\0".to_string(),
    }
}

/// C `isspace()` in the C locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

// ---------------------------------------------------------------------------------------------
// parse_line()

/// Which features of the line syntax are on (HAProxy's PARSE_OPT_*).
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub env: bool,
    pub dquote: bool,
    pub squote: bool,
    pub bkslash: bool,
    pub sharp: bool,
    pub word_expand: bool,
}

impl Opts {
    /// Configuration files: everything on.
    pub const CONFIG: Opts =
        Opts { env: true, dquote: true, squote: true, bkslash: true, sharp: true, word_expand: true };
    /// `-cc <condition>`: no comments.
    pub const CHECK_CONDITION: Opts =
        Opts { env: true, dquote: true, squote: true, bkslash: true, sharp: false, word_expand: true };
}

/// Error bits (HAProxy's PARSE_ERR_*).
pub mod err {
    pub const QUOTE: u32 = 1 << 0;
    pub const BRACE: u32 = 1 << 1;
    pub const HEX: u32 = 1 << 2;
    pub const VARNAME: u32 = 1 << 3;
    pub const TOOLARGE: u32 = 1 << 4;
    pub const TOOMANY: u32 = 1 << 5;
    pub const WRONG_EXPAND: u32 = 1 << 6;
}

/// What one pass of the line parser produced.
#[derive(Debug, Clone)]
pub struct Pass {
    pub err: u32,
    /// Index into the input of the offending character, for QUOTE/BRACE/HEX/VARNAME/EXPAND.
    pub errptr: usize,
    /// The output bytes actually stored (at most the output capacity).
    pub out: Vec<u8>,
    /// How many bytes were emitted (may exceed `out.len()` when TOOLARGE).
    pub outlen: usize,
    /// Start of each word in the output, and where in the input that word started.
    pub starts: Vec<(usize, usize)>,
}

enum Value {
    Env(Vec<u8>),
    /// A default value read live from the input buffer (it may be overwritten in place).
    Buf(usize),
}

struct State<'a> {
    buf: &'a mut Vec<u8>,
    out: Vec<u8>,
    inplace: bool,
    outmax: usize,
    outpos: usize,
    err: u32,
    argsmax: usize,
    starts: Vec<(usize, usize)>,
}

impl State<'_> {
    fn rd(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }
    fn wr(&mut self, i: usize, c: u8) {
        if i < self.buf.len() {
            self.buf[i] = c;
        }
    }
    fn emit(&mut self, c: u8) {
        if self.outpos >= self.outmax {
            self.err |= err::TOOLARGE;
        } else if self.inplace {
            self.wr(self.outpos, c);
        } else {
            self.out.push(c);
        }
        self.outpos += 1;
    }
    /// A word separator was emitted: the next word starts here.
    fn next_arg(&mut self, arg: &mut usize, at_in: usize) {
        *arg += 1;
        if *arg < self.argsmax {
            self.starts.push((self.outpos, at_in));
        } else {
            self.err |= err::TOOMANY;
        }
    }
}

/// One pass of HAProxy's `parse_line()` over `buf` (a NUL-terminated C string: reading past its
/// end yields NUL). With `inplace`, output overwrites the input like `-cc` does; otherwise it
/// goes to a separate buffer of `outmax` bytes. The input may be modified (default values are
/// NUL-terminated in place, and a bad pseudo-variable name leaves its terminator behind).
pub fn parse_line(buf: &mut Vec<u8>, outmax: usize, inplace: bool, opts: Opts, vars: &dyn VarSource) -> Pass {
    let mut s =
        State { buf, out: Vec::new(), inplace, outmax, outpos: 0, err: 0, argsmax: MAX_WORDS, starts: vec![(0, 0)] };
    let mut quote: Option<usize> = None;
    let mut squote = false;
    let mut dquote = false;
    let mut arg = 0usize;
    let mut i = 0usize;
    let mut errptr = 0usize;
    let leave = loop {
        let c = s.rd(i);
        let comment = c == b'#' && opts.sharp && !squote && !dquote;
        if c == 0 || c == b'\n' || c == b'\r' || comment {
            break false;
        } else if c == b'"' && !squote && opts.dquote {
            if dquote {
                dquote = false;
                quote = None;
            } else {
                dquote = true;
                quote = Some(i);
            }
            i += 1;
        } else if c == b'\'' && !dquote && opts.squote {
            if squote {
                squote = false;
                quote = None;
            } else {
                squote = true;
                quote = Some(i);
            }
            i += 1;
        } else if c == b'\\' && !squote && opts.bkslash {
            let mut tosend = c;
            match s.rd(i + 1) {
                b' ' | b'\\' => {
                    tosend = s.rd(i + 1);
                    i += 1;
                }
                b't' => {
                    tosend = b'\t';
                    i += 1;
                }
                b'n' => {
                    tosend = b'\n';
                    i += 1;
                }
                b'r' => {
                    tosend = b'\r';
                    i += 1;
                }
                b'#' => {
                    if opts.sharp {
                        i += 1;
                    }
                    tosend = s.rd(i);
                }
                b'\'' => {
                    if opts.squote && !squote {
                        i += 1;
                    }
                    tosend = s.rd(i);
                }
                b'"' => {
                    if opts.dquote && !squote {
                        i += 1;
                    }
                    tosend = s.rd(i);
                }
                b'$' => {
                    if opts.env && dquote {
                        i += 1;
                    }
                    tosend = s.rd(i);
                }
                b'x' => {
                    let (h, l) = (s.rd(i + 2), s.rd(i + 3));
                    if !is_hex(h) || !is_hex(l) {
                        s.err |= err::HEX;
                        errptr = i;
                        break true;
                    }
                    let v = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                    tosend = (v(h) << 4) | v(l);
                    i += 3;
                }
                _ => {}
            }
            i += 1;
            s.emit(tosend);
        } else if is_c_space(c) && !squote && !dquote {
            while is_c_space(s.rd(i)) {
                i += 1;
            }
            s.emit(0);
            s.next_arg(&mut arg, i);
        } else if c == b'$' && opts.env && (dquote || !opts.dquote) {
            i += 1;
            let mut brace: Option<usize> = None;
            if s.rd(i) == b'{' {
                brace = Some(i);
                i += 1;
            }
            let first = s.rd(i);
            if !first.is_ascii_alphabetic() && first != b'_' && first != b'.' {
                s.err |= err::VARNAME;
                errptr = i;
                break true;
            }
            let name_start = i;
            if first == b'.' {
                i += 1;
            }
            while s.rd(i).is_ascii_alphanumeric() || s.rd(i) == b'_' {
                i += 1;
            }
            let name = bytes_to_text(&s.buf[name_start.min(s.buf.len())..i.min(s.buf.len())]);
            let mut value: Option<Value> = if first == b'.' {
                match name.as_str() {
                    ".LINE" | ".FILE" | ".SECTION" => vars.var(&name).map(|v| Value::Env(text_to_bytes(&v))),
                    _ => {
                        // HAProxy leaves the name's NUL terminator in the line on this error.
                        s.wr(i, 0);
                        s.err |= err::VARNAME;
                        errptr = name_start;
                        break true;
                    }
                }
            } else {
                vars.var(&name).map(|v| Value::Env(text_to_bytes(&v)))
            };
            let mut word_expand = false;
            if s.rd(i) == b'[' && brace.is_some() && opts.word_expand {
                let at = i;
                word_expand = true;
                i += 1;
                let a = s.rd(i);
                i += 1;
                let ok = a == b'*' && {
                    let b = s.rd(i);
                    i += 1;
                    b == b']'
                };
                if !ok {
                    s.err |= err::WRONG_EXPAND;
                    errptr = at;
                    break true;
                }
            }
            if let Some(b) = brace {
                let mut matched = true;
                if s.rd(i) == b'-' {
                    if value.is_none() {
                        value = Some(Value::Buf(i + 1));
                    }
                    while s.rd(i) != 0 && s.rd(i) != b'}' {
                        i += 1;
                    }
                    if s.rd(i) == 0 {
                        matched = false;
                    } else {
                        s.wr(i, 0);
                    }
                } else if s.rd(i) != b'}' {
                    matched = false;
                }
                if !matched {
                    s.err |= err::BRACE;
                    errptr = b;
                    break true;
                }
                i += 1;
            }
            if let Some(v) = value {
                let mut k = 0usize;
                loop {
                    let ch = match &v {
                        Value::Env(bytes) => bytes.get(k).copied().unwrap_or(0),
                        Value::Buf(at) => s.rd(at + k),
                    };
                    if ch == 0 {
                        break;
                    }
                    if word_expand && is_c_space(ch) {
                        s.emit(0);
                        s.next_arg(&mut arg, i);
                        k += 1;
                        loop {
                            let n = match &v {
                                Value::Env(bytes) => bytes.get(k).copied().unwrap_or(0),
                                Value::Buf(at) => s.rd(at + k),
                            };
                            if !is_c_space(n) {
                                break;
                            }
                            k += 1;
                        }
                    } else {
                        s.emit(ch);
                        k += 1;
                    }
                }
            }
        } else {
            s.emit(c);
            i += 1;
        }
    };
    if !leave {
        s.emit(0);
        if let Some(q) = quote {
            s.err |= err::QUOTE;
            errptr = q;
        }
    }
    Pass { err: s.err, errptr, out: s.out, outlen: s.outpos, starts: s.starts }
}

// ---------------------------------------------------------------------------------------------
// Lines of a configuration file.

/// One word after quote removal, escape and variable expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// What HAProxy's code sees: the bytes up to the first NUL, as text (see [`bytes_to_text`]).
    pub text: String,
    /// 1-based byte column where the word starts in the raw line.
    pub col: u32,
}

impl Word {
    pub fn new(text: impl Into<String>, col: u32) -> Self {
        Word { text: text.into(), col }
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A successfully tokenized line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// Every word, including empty ones and the empty word left by trailing blanks.
    pub words: Vec<Word>,
    /// The output after the first word with every NUL turned into a space: what `.if` and
    /// `.elif` evaluate.
    pub rest_joined: String,
}

impl Line {
    /// True when HAProxy ignores the line (its first word is empty).
    pub fn is_blank(&self) -> bool {
        self.words.first().is_none_or(|w| w.text.is_empty())
    }
}

/// Which tokenizer error a line has; the message text is HAProxy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexErrorKind {
    UnmatchedQuote,
    UnmatchedBrace,
    BadVarName,
    BadHex,
    BadWordExpand,
}

impl LexErrorKind {
    pub fn message(self) -> &'static str {
        match self {
            LexErrorKind::UnmatchedQuote => "unmatched quote",
            LexErrorKind::UnmatchedBrace => "unmatched brace in environment variable name",
            LexErrorKind::BadVarName => "forbidden first char in environment variable name",
            LexErrorKind::BadHex => "truncated or invalid hexadecimal sequence",
            LexErrorKind::BadWordExpand => "truncated or invalid word expansion sequence",
        }
    }
}

/// Why a line could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexError {
    /// A quote/escape/variable error. `pos` is HAProxy's 1-based position in the raw line;
    /// `excerpt` is the two lines HAProxy prints under the message (source, caret).
    Syntax { kind: LexErrorKind, pos: usize, excerpt: [String; 2] },
    /// More than [`MAX_WORDS`] words: `pos` and `word` are what HAProxy prints.
    TooManyWords { pos: usize, word: String },
}

impl LexError {
    /// The message HAProxy prints after `parsing [f:l]: `.
    pub fn message(&self) -> String {
        match self {
            LexError::Syntax { kind, pos, .. } => format!("{} at position {pos}:", kind.message()),
            LexError::TooManyWords { pos, word } => {
                format!("too many words, truncating after word {MAX_WORDS}, position {pos}: <{word}>.")
            }
        }
    }
}

/// HAProxy's `sanitize_for_printing()`: a window of about `width` characters around `pos` with
/// blanks shown as spaces, other unprintable bytes as `?`, and `...` where the line was cut.
/// Returns the text and the new offset of `pos` in it.
pub fn sanitize_for_printing(line: &[u8], pos: usize, width: usize) -> (String, usize) {
    let end_of_c = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let line = &line[..end_of_c];
    let mut out = String::new();
    let (mut i, limit, shift) = if pos >= width {
        let shift = pos - width / 2;
        out.push_str("...");
        (shift + 3, width - 6, shift)
    } else {
        (0, width, 0)
    };
    let mut n = 0;
    while n < limit && i < line.len() {
        let b = line[i];
        out.push(if is_c_space(b) {
            ' '
        } else if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '?'
        });
        i += 1;
        n += 1;
    }
    if pos >= width {
        out.push_str("...");
    }
    (out, pos - shift)
}

/// The two lines HAProxy prints under a tokenizer error: the line and a caret.
pub fn caret_excerpt(line: &[u8], pos: usize, width: usize, prefix: &str) -> [String; 2] {
    let (shown, newpos) = sanitize_for_printing(line, pos, width);
    [format!("  {prefix}{shown}"), format!("  {}^", " ".repeat(newpos + prefix.len()))]
}

/// Cuts the lines of one file. HAProxy keeps its output buffer between lines of a file, and
/// the buffer's size decides a quirk (see [`Tokenizer::tokenize`]), so one instance per file.
#[derive(Debug, Default)]
pub struct Tokenizer {
    capacity: usize,
}

impl Tokenizer {
    pub fn new() -> Self {
        Tokenizer { capacity: 0 }
    }

    /// Tokenize one line. `raw` is the line as read (without its LF, up to its first NUL);
    /// leading blanks are skipped here like HAProxy does.
    ///
    /// Quirk kept on purpose: when the output outgrows the buffer, HAProxy enlarges it and
    /// parses the line again, but the first pass already NUL-terminated `${VAR-default}` in
    /// place, so the second pass reports "unmatched brace".
    pub fn tokenize(&mut self, raw: &[u8], vars: &dyn VarSource) -> Result<Line, LexError> {
        let indent = raw.iter().take_while(|&&b| is_c_space(b)).count();
        let mut buf: Vec<u8> = raw[indent..].to_vec();
        let mut guard = 0;
        let pass = loop {
            let pass = parse_line(&mut buf, self.capacity, false, Opts::CONFIG, vars);
            let kind = if pass.err & err::QUOTE != 0 {
                Some(LexErrorKind::UnmatchedQuote)
            } else if pass.err & err::BRACE != 0 {
                Some(LexErrorKind::UnmatchedBrace)
            } else if pass.err & err::VARNAME != 0 {
                Some(LexErrorKind::BadVarName)
            } else if pass.err & err::HEX != 0 {
                Some(LexErrorKind::BadHex)
            } else if pass.err & err::WRONG_EXPAND != 0 {
                Some(LexErrorKind::BadWordExpand)
            } else {
                None
            };
            if let Some(kind) = kind {
                let excerpt = caret_excerpt(&buf, pass.errptr, 80, "");
                return Err(LexError::Syntax { kind, pos: indent + pass.errptr + 1, excerpt });
            }
            if pass.err & err::TOOLARGE != 0 && guard < 8 {
                self.capacity = (pass.outlen + 1023) & !1023;
                guard += 1;
                continue;
            }
            break pass;
        };
        let starts = &pass.starts;
        if pass.err & err::TOOMANY != 0 {
            let at = starts.get(MAX_WORDS - 1).map(|s| s.0).unwrap_or(0);
            let word = c_str(&pass.out, at);
            return Err(LexError::TooManyWords { pos: at + 1, word: bytes_to_text(word) });
        }
        let out = &pass.out;
        let total = out.len();
        let mut words = Vec::with_capacity(starts.len());
        for (k, &(at, in_at)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map(|s| s.0.saturating_sub(1)).unwrap_or(total.saturating_sub(1));
            let seg = out.get(at..end.max(at)).unwrap_or(&[]);
            let visible = &seg[..seg.iter().position(|&b| b == 0).unwrap_or(seg.len())];
            words.push(Word { text: bytes_to_text(visible), col: (indent + in_at + 1) as u32 });
        }
        let rest_joined = match starts.get(1) {
            Some(&(at, _)) => {
                let tail = out.get(at..total.saturating_sub(1)).unwrap_or(&[]);
                bytes_to_text(&tail.iter().map(|&b| if b == 0 { b' ' } else { b }).collect::<Vec<_>>())
            }
            None => String::new(),
        };
        Ok(Line { words, rest_joined })
    }
}

/// The C string starting at `at`.
fn c_str(buf: &[u8], at: usize) -> &[u8] {
    let tail = buf.get(at..).unwrap_or(&[]);
    &tail[..tail.iter().position(|&b| b == 0).unwrap_or(tail.len())]
}

/// Tokenize a single line with a fresh buffer (tests, tools).
pub fn tokenize(line: &[u8], vars: &dyn VarSource) -> Result<Line, LexError> {
    let mut t = Tokenizer { capacity: 1 << 20 };
    t.tokenize(line, vars)
}

/// How `-cc <condition>` cutting ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondArgError {
    UnmatchedQuote,
    BadHex,
    TooLong,
    TooMany,
    Other,
}

/// `-cc`: HAProxy cuts the condition in place (output overwrites input, buffer of its own
/// length), then joins the words with spaces.
pub fn tokenize_condition_arg(arg: &[u8], vars: &dyn VarSource) -> Result<String, CondArgError> {
    let len = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    let mut buf = arg[..len].to_vec();
    let pass = parse_line(&mut buf, len + 1, true, Opts::CHECK_CONDITION, vars);
    if pass.err & err::QUOTE != 0 {
        return Err(CondArgError::UnmatchedQuote);
    }
    if pass.err & err::HEX != 0 {
        return Err(CondArgError::BadHex);
    }
    if pass.err & err::TOOLARGE != 0 {
        return Err(CondArgError::TooLong);
    }
    if pass.err & err::TOOMANY != 0 {
        return Err(CondArgError::TooMany);
    }
    if pass.err != 0 {
        return Err(CondArgError::Other);
    }
    let out = &buf[..pass.outlen.min(buf.len())];
    let body = out.get(..pass.outlen.saturating_sub(1)).unwrap_or(&[]);
    let joined: Vec<u8> = body.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    Ok(bytes_to_text(&joined))
}

#[cfg(test)]
#[path = "lex_tests.rs"]
mod tests;

//! The stats-socket wire protocol as HAProxy 2.6's CLI applet reads it (`cli_io_handler` and
//! `cli_parse_request`): requests end at `\n` or at an unescaped `;`, a trailing `\r` is dropped,
//! a line ending in `<<` starts a payload that runs to the next empty line, and the words of a
//! request are split on blanks with `\` escapes. Everything here is pure: the connection code
//! feeds bytes in and gets requests out.
//!
//! HAProxy keeps C strings, so a NUL byte inside a line behaves like the end of a word (or of the
//! whole request when it stands where a word would start); the splitter reproduces that.

/// HAProxy's default buffer size (`tune.bufsize`): a request line, its terminator and a NUL
/// must fit in one buffer.
pub const BUFSIZE: usize = 16384;

/// The longest request line HAProxy accepts with the default buffer, terminator (`\n` or `;`)
/// included.
pub const MAX_LINE: usize = BUFSIZE - 1;

/// At most this many words are taken from a request (`MAX_CLI_ARGS`); more are ignored.
pub const MAX_ARGS: usize = 64;

/// What the framer found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete request to run. `payload` is set when the request had a `<<` payload.
    Request { line: Vec<u8>, payload: Option<Vec<u8>> },
    /// A line was taken into a payload (or started one); nothing runs yet.
    PayloadLine,
    /// No complete line yet: read more.
    Incomplete,
    /// The line can never complete: longer than a buffer, or the input ended in the middle of
    /// it. HAProxy stops reading; the connection is closed.
    Abort,
}

/// The request reader of one connection: bytes in, [`Frame`]s out.
#[derive(Debug, Clone)]
pub struct Framer {
    /// The request being built: the command line, then (after `<<`) a NUL and the payload lines.
    chunk: Vec<u8>,
    /// Inside a payload: lines are gathered up to an empty one.
    payload: bool,
    /// The longest line, terminator included: `tune.bufsize` less one.
    max_line: usize,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::with_bufsize(BUFSIZE)
    }
}

impl Framer {
    pub fn new() -> Framer {
        Framer::default()
    }

    /// A reader for a process whose `tune.bufsize` is `bufsize`.
    pub fn with_bufsize(bufsize: usize) -> Framer {
        Framer { chunk: Vec::new(), payload: false, max_line: bufsize.saturating_sub(1) }
    }

    /// The longest line this reader takes, terminator included.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// In the middle of a payload (`+ ` is the prompt, and no terminator follows lines).
    pub fn in_payload(&self) -> bool {
        self.payload
    }

    /// Take the next frame out of `input` (consumed bytes are drained). `eof` says the peer has
    /// closed its side: an unterminated line then aborts instead of waiting.
    pub fn next(&mut self, input: &mut Vec<u8>, eof: bool) -> Frame {
        let room = self.max_line.saturating_sub(self.chunk.len()).max(1);
        let found = if self.payload { find_newline(input, room) } else { find_delim(input, room) };
        let Some(end) = found else {
            // No terminator: wait, unless the line can no longer fit or no more bytes will come.
            if input.len() >= room || eof {
                return Frame::Abort;
            }
            return Frame::Incomplete;
        };
        let mut line: Vec<u8> = input.drain(..=end).collect();
        line.pop(); // the terminator (`\n`, or `;` which HAProxy turns into one)
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if self.payload {
            self.chunk.extend_from_slice(&line);
            self.chunk.push(b'\n');
            if line.is_empty() {
                self.payload = false;
                let chunk = std::mem::take(&mut self.chunk);
                return split_payload(chunk);
            }
            return Frame::PayloadLine;
        }
        self.chunk.extend_from_slice(&line);
        if self.chunk.ends_with(b"<<") {
            self.payload = true;
            self.chunk.push(0);
            return Frame::PayloadLine;
        }
        Frame::Request { line: std::mem::take(&mut self.chunk), payload: None }
    }
}

/// Split a finished payload request (`<command> <<` NUL `<lines>`). The payload is handed over
/// only if `<<` stood as a word of its own, as HAProxy recognises it; otherwise the whole chunk
/// stays the request, and HAProxy's splitter reads the payload lines as more words.
fn split_payload(mut chunk: Vec<u8>) -> Frame {
    // The empty line's `\n` and the last payload line's `\n` are dropped.
    chunk.pop();
    chunk.pop();
    let nul = chunk.iter().position(|&b| b == 0).unwrap_or(chunk.len());
    let cmd = &chunk[..nul];
    let standalone = cmd.len() >= 2 && (cmd.len() == 2 || matches!(cmd[cmd.len() - 3], b' ' | b'\t'));
    if standalone {
        let body = chunk.get(nul + 1..).map(|b| b.to_vec()).unwrap_or_default();
        chunk.truncate(nul);
        return Frame::Request { line: chunk, payload: Some(body) };
    }
    Frame::Request { line: chunk, payload: None }
}

/// The first `\n`, looking at no more than `limit` bytes.
fn find_newline(input: &[u8], limit: usize) -> Option<usize> {
    input.iter().take(limit).position(|&b| b == b'\n')
}

/// The first `\n` or unescaped `;` (a backslash escapes the next byte), within `limit` bytes.
fn find_delim(input: &[u8], limit: usize) -> Option<usize> {
    let mut i = 0;
    let n = input.len().min(limit);
    while i < n {
        match input[i] {
            b'\\' => i += 2,
            b'\n' | b';' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Split a request line into words the way `cli_parse_request` does: blanks (space, tab)
/// separate words, `\x` keeps `x` (so `\ `, `\;` and `\\` are literal), a NUL ends the current
/// word, and a NUL where a word would start ends the request. `<<` as a word ends the words
/// (what follows is the payload).
pub fn split_words(line: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut p = 0;
    let n = line.len();
    while words.len() < MAX_ARGS && p < n {
        while p < n && matches!(line[p], b' ' | b'\t') {
            p += 1;
        }
        if p >= n || line[p] == 0 {
            break;
        }
        if &line[p..] == b"<<" || line[p..].starts_with(b"<<\0") {
            break;
        }
        let start = p;
        loop {
            while p < n && !matches!(line[p], b' ' | b'\t' | b'\\' | 0) {
                p += 1;
            }
            if p < n && line[p] == b'\\' {
                p += 1;
                if p >= n || line[p] == 0 {
                    break;
                }
                p += 1;
                if p >= n || line[p] == 0 {
                    break;
                }
            } else {
                break;
            }
        }
        words.push(unescape(&line[start..p.min(n)]));
        p += 1;
    }
    words
}

/// Drop each backslash but keep the byte after it (`\\` gives one backslash).
fn unescape(w: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(w.len());
    let mut k = 0;
    while k < w.len() {
        if w[k] == b'\\' {
            if w.get(k + 1) == Some(&b'\\') {
                k += 1;
            } else {
                k += 1;
                continue;
            }
        }
        out.push(w[k]);
        k += 1;
    }
    out
}

/// The bytes HAProxy writes once a command's own output is out: `"\n"`, `"\n> "` in prompt
/// mode, `"+ "` in prompt mode while a payload is being gathered, and nothing in a
/// non-interactive payload or after `user -` / `operator -` (`nolf`).
pub fn terminator(prompt: bool, in_payload: bool, nolf: bool) -> &'static [u8] {
    if prompt {
        if in_payload {
            b"+ "
        } else {
            b"\n> "
        }
    } else if in_payload || nolf {
        b""
    } else {
        b"\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], eof: bool) -> Vec<Frame> {
        let mut f = Framer::new();
        let mut buf = input.to_vec();
        let mut out = Vec::new();
        loop {
            let fr = f.next(&mut buf, eof);
            let stop = matches!(fr, Frame::Incomplete | Frame::Abort);
            out.push(fr);
            if stop {
                return out;
            }
        }
    }

    fn req(line: &str) -> Frame {
        Frame::Request { line: line.as_bytes().to_vec(), payload: None }
    }

    fn words(s: &[u8]) -> Vec<String> {
        split_words(s).into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect()
    }

    #[test]
    fn lines_and_semicolons() {
        assert_eq!(frames(b"show info\n", false), vec![req("show info"), Frame::Incomplete]);
        assert_eq!(frames(b"a;b\nc", false), vec![req("a"), req("b"), Frame::Incomplete]);
        assert_eq!(frames(b"a\\;b\n", false), vec![req("a\\;b"), Frame::Incomplete]);
        assert_eq!(frames(b"a\r\n", false), vec![req("a"), Frame::Incomplete]);
        assert_eq!(frames(b"a\r\r\n", false), vec![req("a\r"), Frame::Incomplete]);
        assert_eq!(frames(b";;\n", false), vec![req(""), req(""), req(""), Frame::Incomplete]);
    }

    #[test]
    fn unterminated_line_aborts_at_eof() {
        assert_eq!(frames(b"show version", true), vec![Frame::Abort]);
        assert_eq!(frames(b"show version;show info", true), vec![req("show version"), Frame::Abort]);
        assert_eq!(frames(b"", true), vec![Frame::Abort]);
    }

    #[test]
    fn line_length_limit() {
        let mut ok = vec![b'x'; MAX_LINE - 1];
        ok.push(b'\n');
        assert!(matches!(frames(&ok, false)[0], Frame::Request { .. }));
        let mut long = vec![b'x'; MAX_LINE];
        long.push(b'\n');
        assert_eq!(frames(&long, false), vec![Frame::Abort]);
    }

    #[test]
    fn payloads() {
        let f = frames(b"add map m <<\nk1 v1\nk2 v2\n\nshow info\n", false);
        assert_eq!(
            f,
            vec![
                Frame::PayloadLine,
                Frame::PayloadLine,
                Frame::PayloadLine,
                Frame::Request { line: b"add map m <<".to_vec(), payload: Some(b"k1 v1\nk2 v2".to_vec()) },
                req("show info"),
                Frame::Incomplete
            ]
        );
        // `<<` glued to a word still gathers a payload, but it is not handed over.
        let f = frames(b"foo<<\nx\n\n", false);
        assert_eq!(f[2], Frame::Request { line: b"foo<<\0x".to_vec(), payload: None });
        assert_eq!(words(b"foo<<\0x"), ["foo<<", "x"]);
        // An empty payload.
        let f = frames(b"x <<\n\n", false);
        assert_eq!(f[1], Frame::Request { line: b"x <<".to_vec(), payload: Some(vec![]) });
        // Semicolons do not split payload lines.
        let f = frames(b"x <<\na;b\n\n", false);
        assert_eq!(f[2], Frame::Request { line: b"x <<".to_vec(), payload: Some(b"a;b".to_vec()) });
    }

    #[test]
    fn word_splitting() {
        assert_eq!(words(b"show  \t stat"), ["show", "stat"]);
        assert_eq!(words(b"show\\ version"), ["show version"]);
        assert_eq!(words(b"a\\\\b"), ["a\\b"]);
        assert_eq!(words(b"a\\;b c"), ["a;b", "c"]);
        assert_eq!(words(b"show\0version"), ["show", "version"]);
        assert_eq!(words(b"\0show version"), Vec::<String>::new());
        assert_eq!(words(b"show \0 version"), ["show"]);
        assert_eq!(words(b"trailing\\"), ["trailing"]);
        assert_eq!(words(b"add map m <<"), ["add", "map", "m"]);
        assert_eq!(words(b"  "), Vec::<String>::new());
        let many = "w ".repeat(100);
        assert_eq!(split_words(many.as_bytes()).len(), MAX_ARGS);
    }

    #[test]
    fn terminators() {
        assert_eq!(terminator(false, false, false), b"\n");
        assert_eq!(terminator(false, false, true), b"");
        assert_eq!(terminator(false, true, false), b"");
        assert_eq!(terminator(true, false, false), b"\n> ");
        assert_eq!(terminator(true, false, true), b"\n> ");
        assert_eq!(terminator(true, true, false), b"+ ");
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes, cut anywhere: the framer never panics, never loops, and yields the same
            /// requests whether the input arrives at once or in pieces.
            #[test]
            fn chunking_does_not_matter(data in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
                let whole = {
                    let mut f = Framer::new();
                    let mut buf = data.clone();
                    let mut out = Vec::new();
                    loop {
                        match f.next(&mut buf, false) {
                            Frame::Incomplete | Frame::Abort => break,
                            fr => out.push(fr),
                        }
                    }
                    out
                };
                let cut = cut.min(data.len());
                let mut f = Framer::new();
                let mut buf = data[..cut].to_vec();
                let mut out = Vec::new();
                loop {
                    match f.next(&mut buf, false) {
                        Frame::Incomplete | Frame::Abort => break,
                        fr => out.push(fr),
                    }
                }
                buf.extend_from_slice(&data[cut..]);
                loop {
                    match f.next(&mut buf, false) {
                        Frame::Incomplete | Frame::Abort => break,
                        fr => out.push(fr),
                    }
                }
                prop_assert_eq!(whole, out);
            }

            /// Escaping every blank, backslash and semicolon of a word keeps it one word.
            #[test]
            fn escaped_words_round_trip(w in "[a-z;\\\\ \t]{1,20}") {
                let mut esc = Vec::new();
                for b in w.bytes() {
                    if matches!(b, b' ' | b'\t' | b'\\' | b';') {
                        esc.push(b'\\');
                    }
                    esc.push(b);
                }
                let got = split_words(&esc);
                prop_assert_eq!(got, vec![w.into_bytes()]);
            }

            /// Word splitting never panics and never returns empty or NUL-containing words.
            #[test]
            fn split_is_total(data in proptest::collection::vec(any::<u8>(), 0..300)) {
                for w in split_words(&data) {
                    prop_assert!(!w.contains(&0));
                    prop_assert!(w.len() <= data.len());
                }
            }
        }
    }
}

//! HTTP/1 message heads: a zero-copy parser over the connection's buffer with HAProxy's
//! tolerances (leading empty lines skipped, LF-only line ends, SP/HTAB runs between the words of
//! the request line, obs-fold unfolded into spaces in place, values trimmed, NUL/DEL/8-bit bytes
//! in values kept) and its refusals (a CR not followed by LF, control or 8-bit bytes or `#` in the
//! URI, a version that is not `HTTP/d.d`, a space before a colon, a first header line that is a
//! continuation, a head larger than the internal buffer allows).

use std::ops::Range;

/// What HAProxy's input buffer takes for its HTX bookkeeping: a head must end within
/// `tune.bufsize` less this (measured on 2.6.12 with bufsizes of 8192, 16384 and 32768).
const RAW_OVERHEAD: usize = 64;
/// The fixed part of a head's internal (HTX) size that the buffer must also hold besides its
/// words and its headers' names, values and 8-byte blocks (measured likewise, with
/// `tune.maxrewrite` 0, 1023, 1024 and 4096).
const HTX_OVERHEAD: usize = 85;

/// The size limits a head must fit, from `tune.bufsize`, `tune.maxrewrite` and
/// `tune.http.maxhdr` (HAProxy 2.6 applies the same to requests and responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The raw head (from its first non-empty line to the end of the empty line) must end
    /// within this many bytes: `tune.bufsize` less [`RAW_OVERHEAD`].
    pub raw: usize,
    /// len(method) + len(uri) + len(version) (or the status line's words: 8 + status +
    /// reason) + sum(len(name) + len(value) + 8) may not exceed this: `tune.bufsize` less
    /// `tune.maxrewrite` less [`HTX_OVERHEAD`].
    pub htx: usize,
    /// Header lines allowed: `tune.http.maxhdr` counts the start line.
    pub headers: usize,
}

impl Limits {
    /// The limits for these (effective) settings.
    pub fn new(bufsize: usize, maxrewrite: usize, maxhdr: usize) -> Limits {
        Limits {
            raw: bufsize.saturating_sub(RAW_OVERHEAD),
            htx: bufsize.saturating_sub(maxrewrite).saturating_sub(HTX_OVERHEAD),
            headers: maxhdr.saturating_sub(1),
        }
    }
}

impl From<crate::ir::types::Buffers> for Limits {
    fn from(b: crate::ir::types::Buffers) -> Limits {
        Limits::new(b.bufsize as usize, b.maxrewrite as usize, b.maxhdr as usize)
    }
}

impl Default for Limits {
    /// HAProxy's defaults: 16384, 1024 and 101.
    fn default() -> Limits {
        Limits::new(16384, 1024, 101)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    Http10,
    #[default]
    Http11,
}

impl Version {
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Version::Http10 => b"HTTP/1.0",
            Version::Http11 => b"HTTP/1.1",
        }
    }
}

/// Headers the proxy looks at, recognised once while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
    WebSocketKey,
    WebSocketAccept,
}

fn kind_of(name: &[u8]) -> Kind {
    let eq = |s: &[u8]| name.eq_ignore_ascii_case(s);
    match name.len() {
        4 if eq(b"host") => Kind::Host,
        7 if eq(b"upgrade") => Kind::Upgrade,
        10 if eq(b"connection") => Kind::Connection,
        14 if eq(b"content-length") => Kind::ContentLength,
        17 if eq(b"transfer-encoding") => Kind::TransferEncoding,
        17 if eq(b"sec-websocket-key") => Kind::WebSocketKey,
        20 if eq(b"sec-websocket-accept") => Kind::WebSocketAccept,
        _ => Kind::Other,
    }
}

/// One header line: offsets of the name and of the trimmed value in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Range<usize>,
    pub value: Range<usize>,
    pub kind: Kind,
}

/// A parsed request or response head, as offsets into the buffer it was parsed from.
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// Length of the whole head including the final empty line (and leading empty lines).
    pub len: usize,
    /// Request: method and URI. Response: unused.
    pub method: Range<usize>,
    pub uri: Range<usize>,
    /// The version as written (`HTTP/1.1`, `HTTP/1.2`).
    pub version_text: Range<usize>,
    /// The version the message is handled as: 1.0, or 1.1 for anything above.
    pub version: Version,
    /// Response: the status code, its digits as written, and the reason phrase.
    pub status: u16,
    pub status_text: Range<usize>,
    pub reason: Range<usize>,
    pub headers: Vec<Header>,
    /// The sizes the head must fit (kept across [`Head::reset`]).
    pub limits: Limits,
    /// How far the buffer was scanned for the end of the head without finding it.
    scanned: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed message.
    Invalid,
    /// The head does not fit (buffer, internal size or header count).
    TooLarge,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_sp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl Head {
    /// An empty head whose messages must fit `limits`.
    pub fn with_limits(limits: Limits) -> Head {
        Head { limits, ..Head::default() }
    }

    /// Forget a previous message before parsing a new one.
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.status = 0;
        self.headers.clear();
    }

    pub fn value<'a>(&self, buf: &'a [u8], h: &Header) -> &'a [u8] {
        &buf[h.value.clone()]
    }

    /// Values of every header of this kind.
    pub fn values_of<'a>(&'a self, buf: &'a [u8], kind: Kind) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |h| h.kind == kind).map(move |h| &buf[h.value.clone()])
    }

    /// The first value of a header by (lowercase) name.
    pub fn first<'a>(&self, buf: &'a [u8], lname: &[u8]) -> Option<&'a [u8]> {
        self.headers.iter().find(|h| buf[h.name.clone()].eq_ignore_ascii_case(lname)).map(|h| &buf[h.value.clone()])
    }

    /// Is `token` one of the comma-separated tokens of the headers of this kind?
    pub fn has_token(&self, buf: &[u8], kind: Kind, token: &[u8]) -> bool {
        self.values_of(buf, kind).any(|v| v.split(|&b| b == b',').any(|t| trim(t).eq_ignore_ascii_case(token)))
    }

    /// HAProxy's internal size of the head (a 20-byte start-line block, the three start-line
    /// words, each header's name and value, one byte for the end of headers). `%B`, `%U` and the
    /// byte counters use it in HTTP mode.
    pub fn htx_size(&self, response: bool) -> u64 {
        let words = if response {
            8 + self.status_text.len() + self.reason.len()
        } else {
            self.method.len() + self.uri.len() + self.version_text.len()
        };
        let hdrs: usize = self.headers.iter().map(|h| h.name.len() + h.value.len()).sum();
        (20 + words + hdrs + 1) as u64
    }
}

/// Find the end of the head starting at `from` (index just past the empty line), checking that
/// every CR is followed by LF and that it ends within the raw limit. `Ok(None)`: more data is
/// needed.
fn find_end(buf: &[u8], from: usize, head: &mut Head) -> Result<Option<usize>, ParseError> {
    let raw = head.limits.raw;
    // HAProxy's buffer holds at most `raw` bytes: a head that ends further was never whole in it.
    let fits = |end: usize| if end - from <= raw { Ok(Some(end)) } else { Err(ParseError::TooLarge) };
    let mut i = head.scanned.max(from);
    while i < buf.len() {
        match buf[i] {
            b'\r' => {
                if i + 1 >= buf.len() {
                    break;
                }
                if buf[i + 1] != b'\n' {
                    return Err(ParseError::Invalid);
                }
                // The LF is looked at next.
                i += 1;
                continue;
            }
            b'\n' => {
                // An empty line follows this LF?
                if i + 1 >= buf.len() {
                    break;
                }
                if buf[i + 1] == b'\n' {
                    return fits(i + 2);
                }
                if buf[i + 1] == b'\r' {
                    if i + 2 >= buf.len() {
                        break;
                    }
                    if buf[i + 2] == b'\n' {
                        return fits(i + 3);
                    }
                    return Err(ParseError::Invalid);
                }
            }
            _ => {}
        }
        i += 1;
    }
    head.scanned = i;
    if buf.len() >= from + raw {
        return Err(ParseError::TooLarge);
    }
    Ok(None)
}

/// Leading empty lines before a request line are skipped.
fn skip_empty_lines(buf: &[u8]) -> usize {
    buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len())
}

/// Lines of `buf[start..end]` as (start, end without the line terminator), after unfolding.
fn next_line(buf: &[u8], i: usize, end: usize) -> Option<(usize, usize, usize)> {
    if i >= end {
        return None;
    }
    let nl = i + buf[i..end].iter().position(|&b| b == b'\n')?;
    let e = if nl > i && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    Some((i, e, nl + 1))
}

/// Replace the line break before every continuation line with spaces, in place. A continuation
/// right after the start line is an error.
fn unfold(buf: &mut [u8], first_header: usize, end: usize) -> Result<(), ParseError> {
    let mut i = first_header;
    let mut prev_break: Option<(usize, usize)> = None;
    while let Some((s, e, next)) = next_line(buf, i, end) {
        if s == e {
            break;
        }
        if is_sp(buf[s]) {
            let Some((bs, be)) = prev_break else { return Err(ParseError::Invalid) };
            for b in &mut buf[bs..be] {
                *b = b' ';
            }
        }
        prev_break = Some((e, next));
        i = next;
    }
    Ok(())
}

/// Parse header lines from `i` to the empty line.
fn parse_headers(
    buf: &[u8],
    mut i: usize,
    end: usize,
    max_headers: usize,
    out: &mut Vec<Header>,
) -> Result<(), ParseError> {
    while i < end {
        // Lines were unfolded, so a line ends at the next LF not preceded by a folded break.
        let nl = i + buf[i..end].iter().position(|&b| b == b'\n').ok_or(ParseError::Invalid)?;
        let e = if nl > i && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
        if i == e {
            break;
        }
        let colon = buf[i..e].iter().position(|&b| b == b':').map(|c| i + c).ok_or(ParseError::Invalid)?;
        if colon == i || !buf[i..colon].iter().all(|&b| is_tchar(b)) {
            return Err(ParseError::Invalid);
        }
        let mut vs = colon + 1;
        while vs < e && is_sp(buf[vs]) {
            vs += 1;
        }
        let mut ve = e;
        while ve > vs && is_sp(buf[ve - 1]) {
            ve -= 1;
        }
        if out.len() >= max_headers {
            return Err(ParseError::TooLarge);
        }
        out.push(Header { name: i..colon, value: vs..ve, kind: kind_of(&buf[i..colon]) });
        i = nl + 1;
    }
    Ok(())
}

/// `HTTP/d.d` exactly; 1.0 stays 1.0, anything above is handled as 1.1.
fn parse_version(v: &[u8]) -> Option<Version> {
    if v.len() == 8 && v.starts_with(b"HTTP/") && v[5].is_ascii_digit() && v[6] == b'.' && v[7].is_ascii_digit() {
        match (v[5], v[7]) {
            (b'0', _) => None,
            (b'1', b'0') => Some(Version::Http10),
            _ => Some(Version::Http11),
        }
    } else {
        None
    }
}

/// Is this URI acceptable in a request line (origin form, `*`, absolute form, or authority form
/// for CONNECT)?
fn uri_form_ok(method: &[u8], uri: &[u8]) -> bool {
    if uri[0] == b'/' || uri == b"*" || method == b"CONNECT" {
        return true;
    }
    scheme_len(uri).is_some()
}

/// The length of `scheme` in `scheme://...`, if the URI is in absolute form.
pub fn scheme_len(uri: &[u8]) -> Option<usize> {
    let colon = uri.iter().position(|&b| b == b':')?;
    let ok = colon > 0
        && uri[0].is_ascii_alphabetic()
        && uri[..colon].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
    (ok && uri[colon..].starts_with(b"://")).then_some(colon)
}

/// The request line `buf[ls..le]`, into `head`.
fn request_line(head: &mut Head, buf: &[u8], ls: usize, le: usize) -> Result<(), ParseError> {
    let line = &buf[ls..le];
    // Method: a token, then one or more SP/HTAB.
    let m_end = line.iter().position(|&b| !is_tchar(b)).ok_or(ParseError::Invalid)?;
    if m_end == 0 || !is_sp(line[m_end]) {
        return Err(ParseError::Invalid);
    }
    let mut u_start = m_end;
    while u_start < line.len() && is_sp(line[u_start]) {
        u_start += 1;
    }
    // URI: visible ASCII but '#', up to SP/HTAB.
    let mut u_end = u_start;
    while u_end < line.len() && !is_sp(line[u_end]) {
        let c = line[u_end];
        if !(0x21..0x7f).contains(&c) || c == b'#' {
            return Err(ParseError::Invalid);
        }
        u_end += 1;
    }
    if u_end == u_start || u_end == line.len() {
        // No URI, or HTTP/0.9 (no version).
        return Err(ParseError::Invalid);
    }
    let mut v_start = u_end;
    while v_start < line.len() && is_sp(line[v_start]) {
        v_start += 1;
    }
    let version = parse_version(&line[v_start..]).ok_or(ParseError::Invalid)?;
    if !uri_form_ok(&line[..m_end], &line[u_start..u_end]) {
        return Err(ParseError::Invalid);
    }
    head.method = ls..ls + m_end;
    head.uri = ls + u_start..ls + u_end;
    head.version_text = ls + v_start..le;
    head.version = version;
    head.status = 0;
    Ok(())
}

/// The status line `buf[ls..le]`, into `head`.
fn status_line(head: &mut Head, buf: &[u8], ls: usize, le: usize) -> Result<(), ParseError> {
    let line = &buf[ls..le];
    if line.len() < 8 {
        return Err(ParseError::Invalid);
    }
    let version = parse_version(&line[..8]).ok_or(ParseError::Invalid)?;
    let mut s = 8;
    if s >= line.len() || !is_sp(line[s]) {
        return Err(ParseError::Invalid);
    }
    while s < line.len() && is_sp(line[s]) {
        s += 1;
    }
    let digits = line[s..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || (s + digits < line.len() && !is_sp(line[s + digits])) {
        return Err(ParseError::Invalid);
    }
    let status = line[s..s + digits].iter().fold(0u32, |a, &d| (a * 10 + u32::from(d - b'0')).min(99999));
    let mut r = s + digits;
    while r < line.len() && is_sp(line[r]) {
        r += 1;
    }
    head.version = version;
    head.version_text = ls..ls + 8;
    head.status = status.min(u32::from(u16::MAX)) as u16;
    head.status_text = ls + s..ls + s + digits;
    head.reason = ls + r..le;
    head.method = 0..0;
    head.uri = 0..0;
    Ok(())
}

type StartLine = fn(&mut Head, &[u8], usize, usize) -> Result<(), ParseError>;

/// Parse a head with its start-line parser. An invalid start line is refused as soon as it is
/// complete, without waiting for the rest of the head.
fn parse_head(buf: &mut [u8], head: &mut Head, start_line: StartLine, response: bool) -> Result<bool, ParseError> {
    let start = skip_empty_lines(buf);
    if start == buf.len() {
        return Ok(false);
    }
    let end = match find_end(buf, start, head) {
        Ok(Some(end)) => end,
        other => {
            // A message is refused as soon as one of its lines cannot be valid.
            early_check(buf, start, head, start_line, response)?;
            other?;
            return Ok(false);
        }
    };
    head.headers.clear();
    head.len = end;
    let (ls, le, after) = next_line(buf, start, end).ok_or(ParseError::Invalid)?;
    start_line(head, buf, ls, le)?;
    unfold(buf, after, end)?;
    parse_headers(buf, after, end, head.limits.headers, &mut head.headers)?;
    let words = if response {
        8 + head.status_text.len() + head.reason.len()
    } else {
        head.method.len() + head.uri.len() + head.version_text.len()
    };
    let size = words + head.headers.iter().map(|h| h.name.len() + h.value.len() + 8).sum::<usize>();
    if size > head.limits.htx {
        return Err(ParseError::TooLarge);
    }
    Ok(true)
}

/// Check the complete lines of an incomplete head: the start line, then header lines (a name
/// of token characters and a colon, or a continuation that does not come first).
fn early_check(
    buf: &[u8],
    start: usize,
    head: &mut Head,
    start_line: StartLine,
    response: bool,
) -> Result<(), ParseError> {
    let mut i = start;
    let mut line_no = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let le = if nl > i && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
        if line_no == 0 {
            start_line(head, buf, i, le)?;
        } else if i == le {
            // The head is complete (refused for its size): every line was looked at.
            return Ok(());
        } else if is_sp(buf[i]) {
            if line_no == 1 {
                return Err(ParseError::Invalid);
            }
        } else {
            let colon = buf[i..le].iter().position(|&b| b == b':').ok_or(ParseError::Invalid)?;
            if colon == 0 || !buf[i..i + colon].iter().all(|&b| is_tchar(b)) {
                return Err(ParseError::Invalid);
            }
        }
        line_no += 1;
        i = nl + 1;
    }
    // The incomplete last line: what it holds so far must be possible.
    let prefix_ok = if response { status_line_prefix_ok } else { request_line_prefix_ok };
    if line_no == 0 && !prefix_ok(&buf[i..]) {
        return Err(ParseError::Invalid);
    }
    if line_no > 0 && i < buf.len() && !is_sp(buf[i]) {
        let part = &buf[i..];
        let name_end = part.iter().position(|&b| b == b':').unwrap_or(part.len());
        let name = &part[..name_end];
        if !name.iter().all(|&b| is_tchar(b) || b == b'\r') {
            return Err(ParseError::Invalid);
        }
    }
    Ok(())
}

/// Could these bytes start a valid request line (method, URI, version characters so far)?
fn request_line_prefix_ok(part: &[u8]) -> bool {
    let part = part.strip_suffix(b"\r").unwrap_or(part);
    let mut field = 0;
    let mut prev_sp = false;
    for (i, &c) in part.iter().enumerate() {
        if is_sp(c) {
            if i == 0 {
                return false;
            }
            if !prev_sp {
                field += 1;
            }
            prev_sp = true;
            continue;
        }
        prev_sp = false;
        let ok = match field {
            0 => is_tchar(c),
            1 => (0x21..0x7f).contains(&c) && c != b'#',
            2 => c.is_ascii_digit() || b"HTTP/.".contains(&c),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Could these bytes start a valid status line (`HTTP/d.d`, spaces, digits, anything)?
fn status_line_prefix_ok(part: &[u8]) -> bool {
    let part = part.strip_suffix(b"\r").unwrap_or(part);
    for (i, &c) in part.iter().enumerate().take(8) {
        let ok = match i {
            0..=4 => c == b"HTTP/"[i],
            6 => c == b'.',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return false;
        }
    }
    let rest = part.get(8..).unwrap_or_default();
    if rest.is_empty() {
        return true;
    }
    if !is_sp(rest[0]) {
        return false;
    }
    let rest = &rest[rest.iter().position(|&b| !is_sp(b)).unwrap_or(rest.len())..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits == rest.len() || is_sp(rest[digits]) && digits > 0
}

/// Could an incomplete response still become a valid one? (When the server closes, a partial
/// head that is not HTTP is a protocol error, a truncated one a server abort.)
pub fn response_prefix_ok(buf: &[u8]) -> bool {
    let start = skip_empty_lines(buf);
    let rest = &buf[start..];
    match rest.iter().position(|&b| b == b'\n') {
        Some(nl) => {
            let le = if nl > 0 && rest[nl - 1] == b'\r' { start + nl - 1 } else { start + nl };
            status_line(&mut Head::default(), buf, start, le).is_ok()
        }
        None => b"HTTP/".starts_with(&rest[..rest.len().min(5)]),
    }
}

/// Parse a request head. `Ok(false)`: incomplete, read more.
pub fn parse_request(buf: &mut [u8], head: &mut Head) -> Result<bool, ParseError> {
    parse_head(buf, head, request_line, false)
}

/// Parse a response head. `Ok(false)`: incomplete, read more.
pub fn parse_response(buf: &mut [u8], head: &mut Head) -> Result<bool, ParseError> {
    parse_head(buf, head, status_line, true)
}

pub fn trim(v: &[u8]) -> &[u8] {
    let s = v.iter().position(|&b| !is_sp(b)).unwrap_or(v.len());
    let e = v.iter().rposition(|&b| !is_sp(b)).map(|p| p + 1).unwrap_or(s);
    &v[s..e.max(s)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &[u8]) -> Result<Option<(Head, Vec<u8>)>, ParseError> {
        let mut b = s.to_vec();
        let mut h = Head::default();
        Ok(parse_request(&mut b, &mut h)?.then_some((h, b)))
    }

    #[test]
    fn simple_request() {
        let (h, b) = req(b"GET /a?b HTTP/1.1\r\nHost: x\r\nX-A:  v w  \r\n\r\nBODY").unwrap().unwrap();
        assert_eq!(&b[h.method.clone()], b"GET");
        assert_eq!(&b[h.uri.clone()], b"/a?b");
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.len, b.len() - 4);
        assert_eq!(h.first(&b, b"x-a"), Some(&b"v w"[..]));
        assert_eq!(h.headers[0].kind, Kind::Host);
    }

    #[test]
    fn incomplete_and_lf_only() {
        assert!(req(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        assert!(req(b"GET / HTTP/1.1\r\nHost: x\r\n\r").unwrap().is_none());
        let (h, b) = req(b"\r\n\r\nGET / HTTP/1.1\nHost: h\nX: y\n\n").unwrap().unwrap();
        assert_eq!(h.first(&b, b"x"), Some(&b"y"[..]));
        assert_eq!(&b[h.method.clone()], b"GET");
    }

    #[test]
    fn obs_fold_becomes_spaces() {
        let (h, b) = req(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.first(&b, b"x"), Some(&b"a    b"[..]));
        let (h, b) = req(b"GET / HTTP/1.1\nHost: h\nX: a\n\tb\n\n").unwrap().unwrap();
        assert_eq!(h.first(&b, b"x"), Some(&b"a \tb"[..]));
        assert_eq!(req(b"GET / HTTP/1.1\r\n Host: h\r\n\r\n").unwrap_err(), ParseError::Invalid);
    }

    #[test]
    fn refusals() {
        for bad in [
            &b"GET /\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            b"GET / http/1.1\r\n\r\n",
            b"GET / HTTP/1.x\r\n\r\n",
            b"GET / HTTP/1.1 x\r\n\r\n",
            b"GET /a#b HTTP/1.1\r\n\r\n",
            b"GET foo HTTP/1.1\r\n\r\n",
            b"G@T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\rHost: h\r\r",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        ] {
            assert_eq!(req(bad).unwrap_err(), ParseError::Invalid, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn tolerated() {
        let (h, b) = req(b"GET\t /  HTTP/1.2\r\nHost: h\r\nX: a\x00b\xe9\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.version, Version::Http11);
        assert_eq!(&b[h.uri.clone()], b"/");
        assert_eq!(h.first(&b, b"x"), Some(&b"a\x00b\xe9"[..]));
        assert!(req(b"OPTIONS * HTTP/1.1\r\n\r\n").unwrap().is_some());
        assert!(req(b"GET http://a/b HTTP/1.0\r\n\r\n").unwrap().is_some());
    }

    #[test]
    fn head_size_limit() {
        // 3 + 1 + 8 + (5 + v + 8) <= 15275
        let ok = 15275 - 3 - 1 - 8 - 5 - 8;
        let mk = |n: usize| format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(n)).into_bytes();
        assert!(req(&mk(ok)).unwrap().is_some());
        assert_eq!(req(&mk(ok + 1)).unwrap_err(), ParseError::TooLarge);
    }

    fn with(l: Limits, s: &[u8], response: bool) -> Result<bool, ParseError> {
        let mut b = s.to_vec();
        let mut h = Head::with_limits(l);
        if response {
            parse_response(&mut b, &mut h)
        } else {
            parse_request(&mut b, &mut h)
        }
    }

    #[test]
    fn limits_follow_the_settings() {
        // Measured on HAProxy 2.6.12: raw head within bufsize - 64, HTX size within
        // bufsize - maxrewrite - 85, maxhdr - 1 header lines; the same for responses.
        assert_eq!(Limits::default(), Limits { raw: 16320, htx: 15275, headers: 100 });
        assert_eq!(Limits::new(8192, 1024, 101), Limits { raw: 8128, htx: 7083, headers: 100 });
        assert_eq!(Limits::new(32768, 4096, 10), Limits { raw: 32704, htx: 28587, headers: 9 });
        let l = Limits::new(8192, 1024, 101);
        // GET / HTTP/1.1 (12) + X-Pad (5 + n + 8) <= 7083.
        let pad = |n: usize| format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(n)).into_bytes();
        assert_eq!(with(l, &pad(7058), false), Ok(true));
        assert_eq!(with(l, &pad(7059), false), Err(ParseError::TooLarge));
        // Status line 8 + 3 + 2, X-Pad, Content-Length (14 + 1 + 8).
        let rpad = |n: usize| {
            format!("HTTP/1.1 200 OK\r\nX-Pad: {}\r\nContent-Length: 2\r\n\r\nok", "a".repeat(n)).into_bytes()
        };
        assert_eq!(with(l, &rpad(7034), true), Ok(true));
        assert_eq!(with(l, &rpad(7035), true), Err(ParseError::TooLarge));
        let hdrs = |n: usize| {
            let mut r = String::from("GET / HTTP/1.1\r\n");
            for i in 0..n {
                r.push_str(&format!("X{i}: v\r\n"));
            }
            r.push_str("\r\n");
            r.into_bytes()
        };
        let l = Limits::new(16384, 1024, 10);
        assert_eq!(with(l, &hdrs(9), false), Ok(true));
        assert_eq!(with(l, &hdrs(10), false), Err(ParseError::TooLarge));
    }

    #[test]
    fn raw_limit_whole_or_in_parts() {
        // Trimmed blanks count in the raw head only: 28 bytes + the blanks.
        let l = Limits::new(8192, 1024, 101);
        let sp = |n: usize| format!("GET / HTTP/1.1\r\nX-Pad: {}a\r\n\r\n", " ".repeat(n)).into_bytes();
        assert_eq!(with(l, &sp(8100), false), Ok(true));
        // Complete in one read but longer than the buffer holds.
        assert_eq!(with(l, &sp(8101), false), Err(ParseError::TooLarge));
        // Incomplete and the buffer full.
        let mut part = sp(9000);
        part.truncate(8128);
        assert_eq!(with(l, &part, false), Err(ParseError::TooLarge));
        part.truncate(8127);
        assert_eq!(with(l, &part, false), Ok(false));
    }

    #[test]
    fn responses() {
        let mut b = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let mut h = Head::default();
        assert!(parse_response(&mut b, &mut h).unwrap());
        assert_eq!(h.status, 200);
        assert_eq!(&b[h.reason.clone()], b"OK");
        assert_eq!(h.htx_size(true), 20 + 8 + 3 + 2 + 14 + 1 + 1);
        let mut b = b"HTTP/1.1 204\r\n\r\n".to_vec();
        h.reset();
        assert!(parse_response(&mut b, &mut h).unwrap());
        assert_eq!((h.status, h.reason.len()), (204, 0));
        let mut b = b"http/1.1 200 OK\r\n\r\n".to_vec();
        h.reset();
        assert!(parse_response(&mut b, &mut h).is_err());
    }
}

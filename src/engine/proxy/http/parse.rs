//! HTTP/1 message heads: a zero-copy parser over the connection's buffer with HAProxy's
//! tolerances (leading empty lines skipped, LF-only line ends, obs-fold unfolded into spaces,
//! header values trimmed) and its refusals (no version, space before a colon, control bytes).

use std::ops::Range;

/// HAProxy refuses requests with more header lines than this (tune.http.maxhdr).
pub const MAX_HEADERS: usize = 101;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// One header line: offsets of the name and the trimmed value in the head buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Range<usize>,
    pub value: Range<usize>,
}

/// A parsed request or response head. For a response, `method` holds the status code text
/// and `uri` the reason phrase.
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// Bytes skipped before the start line (empty lines).
    pub start: usize,
    /// Length of the whole head including the final empty line.
    pub len: usize,
    pub method: Range<usize>,
    pub uri: Range<usize>,
    pub version: Option<Version>,
    /// The version as written (`HTTP/1.1`), for logs.
    pub version_text: Range<usize>,
    pub status: u16,
    pub headers: Vec<Header>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed message; the offset of the first offending byte.
    Invalid(usize),
    TooManyHeaders,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Find the end of the head (index just past the empty line), or None if more data is needed.
/// Leading empty lines are skipped and reported in `start`.
fn find_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut start = 0;
    while start < buf.len() && (buf[start] == b'\r' || buf[start] == b'\n') {
        start += 1;
    }
    let mut i = start;
    while let Some(off) = memchr(b'\n', &buf[i..]) {
        let nl = i + off;
        // An empty line: "\n" right after the previous "\n" (optionally with "\r" between).
        let line_start = i;
        let line = &buf[line_start..nl];
        if (line.is_empty() || line == b"\r") && line_start > start {
            return Some((start, nl + 1));
        }
        i = nl + 1;
    }
    None
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Lines of the head as (start, end-without-line-terminator).
fn lines(buf: &[u8], start: usize, end: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = start;
    std::iter::from_fn(move || {
        if i >= end {
            return None;
        }
        let nl = i + memchr(b'\n', &buf[i..end])?;
        let mut e = nl;
        if e > i && buf[e - 1] == b'\r' {
            e -= 1;
        }
        let r = (i, e);
        i = nl + 1;
        Some(r)
    })
}

fn parse_version(v: &[u8]) -> Option<Version> {
    if v.len() == 8 && v.starts_with(b"HTTP/") && v[5].is_ascii_digit() && v[6] == b'.' && v[7].is_ascii_digit() {
        match (v[5], v[7]) {
            (b'1', b'0') => Some(Version::Http10),
            (b'1', _) => Some(Version::Http11),
            _ => None,
        }
    } else {
        None
    }
}

/// Parse header lines from `first` to the empty line, unfolding obs-folds in place.
fn parse_headers(buf: &mut [u8], first: usize, end: usize, out: &mut Vec<Header>) -> Result<(), ParseError> {
    let spans: Vec<(usize, usize)> = lines(buf, first, end).collect();
    for (s, e) in spans {
        if s == e {
            break; // the empty line
        }
        if buf[s] == b' ' || buf[s] == b'\t' {
            // obs-fold: the value goes on; the line break becomes spaces.
            let Some(last) = out.last_mut() else { return Err(ParseError::Invalid(s)) };
            for b in &mut buf[last.value.end..s] {
                *b = b' ';
            }
            let mut ve = e;
            while ve > s && (buf[ve - 1] == b' ' || buf[ve - 1] == b'\t') {
                ve -= 1;
            }
            last.value.end = ve.max(last.value.end);
            continue;
        }
        let colon = match buf[s..e].iter().position(|&b| b == b':') {
            Some(c) => s + c,
            None => return Err(ParseError::Invalid(s)),
        };
        if colon == s {
            return Err(ParseError::Invalid(s));
        }
        if let Some(bad) = (s..colon).find(|&i| !is_tchar(buf[i])) {
            return Err(ParseError::Invalid(bad));
        }
        let mut vs = colon + 1;
        while vs < e && (buf[vs] == b' ' || buf[vs] == b'\t') {
            vs += 1;
        }
        let mut ve = e;
        while ve > vs && (buf[ve - 1] == b' ' || buf[ve - 1] == b'\t') {
            ve -= 1;
        }
        if let Some(bad) = (vs..ve).find(|&i| (buf[i] < 0x20 && buf[i] != b'\t') || buf[i] == 0x7f) {
            return Err(ParseError::Invalid(bad));
        }
        if out.len() >= MAX_HEADERS {
            return Err(ParseError::TooManyHeaders);
        }
        out.push(Header { name: s..colon, value: vs..ve });
    }
    Ok(())
}

/// Parse a request head. `Ok(None)`: incomplete, read more.
pub fn parse_request(buf: &mut [u8], head: &mut Head) -> Result<Option<()>, ParseError> {
    let Some((start, end)) = find_end(buf) else { return Ok(None) };
    head.headers.clear();
    head.start = start;
    head.len = end;
    let (ls, le) = lines(buf, start, end).next().ok_or(ParseError::Invalid(start))?;
    let line = &buf[ls..le];
    let sp1 = line.iter().position(|&b| b == b' ').ok_or(ParseError::Invalid(ls))?;
    if sp1 == 0 || !line[..sp1].iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::Invalid(ls));
    }
    let rest = &line[sp1 + 1..];
    let sp2 = rest.iter().rposition(|&b| b == b' ').ok_or(ParseError::Invalid(ls + sp1 + 1))?;
    let uri = &rest[..sp2];
    if uri.is_empty() || uri.iter().any(|&b| b <= 0x20 || b == 0x7f) {
        return Err(ParseError::Invalid(ls + sp1 + 1));
    }
    let vtext = &rest[sp2 + 1..];
    let version = parse_version(vtext).ok_or(ParseError::Invalid(ls + sp1 + 1 + sp2 + 1))?;
    head.method = ls..ls + sp1;
    head.uri = ls + sp1 + 1..ls + sp1 + 1 + sp2;
    head.version_text = ls + sp1 + 1 + sp2 + 1..le;
    head.version = Some(version);
    head.status = 0;
    let after = lines(buf, start, end).nth(1).map(|(s, _)| s).unwrap_or(end);
    parse_headers(buf, after, end, &mut head.headers)?;
    Ok(Some(()))
}

/// Parse a response head. `Ok(None)`: incomplete, read more.
pub fn parse_response(buf: &mut [u8], head: &mut Head) -> Result<Option<()>, ParseError> {
    let Some((start, end)) = find_end(buf) else { return Ok(None) };
    head.headers.clear();
    head.start = start;
    head.len = end;
    let (ls, le) = lines(buf, start, end).next().ok_or(ParseError::Invalid(start))?;
    let line = &buf[ls..le];
    if line.len() < 12 || !line.starts_with(b"HTTP/") {
        return Err(ParseError::Invalid(ls));
    }
    let version = parse_version(&line[..8]).ok_or(ParseError::Invalid(ls))?;
    if line[8] != b' ' || !line[9..12].iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Invalid(ls + 8));
    }
    if line.len() > 12 && line[12] != b' ' {
        return Err(ParseError::Invalid(ls + 12));
    }
    head.version = Some(version);
    head.version_text = ls..ls + 8;
    head.status = (line[9] - b'0') as u16 * 100 + (line[10] - b'0') as u16 * 10 + (line[11] - b'0') as u16;
    head.method = ls + 9..ls + 12;
    head.uri = (ls + 13).min(le)..le;
    let after = lines(buf, start, end).nth(1).map(|(s, _)| s).unwrap_or(end);
    parse_headers(buf, after, end, &mut head.headers)?;
    Ok(Some(()))
}

impl Head {
    pub fn name<'a>(&self, buf: &'a [u8], h: &Header) -> &'a [u8] {
        &buf[h.name.clone()]
    }
    /// Values of every header with this (lowercase) name.
    pub fn values<'a, 'b>(&'b self, buf: &'a [u8], lname: &'b [u8]) -> impl Iterator<Item = &'a [u8]> + 'b
    where
        'a: 'b,
    {
        self.headers
            .iter()
            .filter(move |h| buf[h.name.clone()].eq_ignore_ascii_case(lname))
            .map(move |h| &buf[h.value.clone()])
    }
    pub fn first<'a>(&self, buf: &'a [u8], lname: &[u8]) -> Option<&'a [u8]> {
        self.headers.iter().find(|h| buf[h.name.clone()].eq_ignore_ascii_case(lname)).map(|h| &buf[h.value.clone()])
    }
    pub fn has_token(&self, buf: &[u8], lname: &[u8], token: &[u8]) -> bool {
        self.values(buf, lname).any(|v| v.split(|&b| b == b',').any(|t| trim(t).eq_ignore_ascii_case(token)))
    }
}

pub fn trim(v: &[u8]) -> &[u8] {
    let s = v.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(v.len());
    let e = v.iter().rposition(|&b| b != b' ' && b != b'\t').map(|p| p + 1).unwrap_or(s);
    &v[s..e.max(s)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Result<Option<(Head, Vec<u8>)>, ParseError> {
        let mut b = s.as_bytes().to_vec();
        let mut h = Head::default();
        Ok(parse_request(&mut b, &mut h)?.map(|_| (h, b)))
    }

    #[test]
    fn simple_request() {
        let (h, b) = req("GET /a?b HTTP/1.1\r\nHost: x\r\nX-A:  v w  \r\n\r\nBODY").unwrap().unwrap();
        assert_eq!(&b[h.method.clone()], b"GET");
        assert_eq!(&b[h.uri.clone()], b"/a?b");
        assert_eq!(h.version, Some(Version::Http11));
        assert_eq!(h.len, b.len() - 4);
        assert_eq!(h.first(&b, b"x-a"), Some(&b"v w"[..]));
    }

    #[test]
    fn incomplete_and_lf_only() {
        assert!(req("GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        let (h, b) = req("\r\n\r\nGET / HTTP/1.1\nHost: h\nX: y\n\n").unwrap().unwrap();
        assert_eq!(h.first(&b, b"x"), Some(&b"y"[..]));
        assert_eq!(h.start, 4);
    }

    #[test]
    fn obs_fold_becomes_spaces() {
        let (h, b) = req("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.first(&b, b"x"), Some(&b"a    b"[..]));
    }

    #[test]
    fn refusals() {
        assert!(req("GET /\r\n\r\n").is_err());
        assert!(req("GET / HTTP/1.1\r\nHost : h\r\n\r\n").is_err());
        assert!(req("GET / HTTP/1.1\r\nNoColon\r\n\r\n").is_err());
        assert!(req("GET / HTTP/2.0\r\n\r\n").is_err());
    }

    #[test]
    fn version_12_is_11() {
        let (h, _) = req("GET / HTTP/1.2\r\nHost: h\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.version, Some(Version::Http11));
    }

    #[test]
    fn responses() {
        let mut b = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let mut h = Head::default();
        parse_response(&mut b, &mut h).unwrap().unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(&b[h.uri.clone()], b"OK");
        let mut b = b"HTTP/1.1 204\r\n\r\n".to_vec();
        parse_response(&mut b, &mut h).unwrap().unwrap();
        assert_eq!(h.status, 204);
    }
}

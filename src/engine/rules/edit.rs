//! Rewriting a parsed head in place: the edits of `set-header`, `add-header`, `del-header`,
//! `replace-header`/`replace-value`, the request-line actions and `set-status`, with HAProxy's
//! semantics (a set header goes last, a replaced value is replaced whole, a query keeps its `?`,
//! a new absolute URI moves the Host header). The head is rebuilt and parsed again in its buffer,
//! so that the following rules, the server and the logs all see what HAProxy would forward.

use bytes::BytesMut;

use crate::acl::regex::Regex;
use crate::engine::proxy::http::parse::{self, Head};
use crate::ir::rules::{HeaderMatch, LinePart};

/// A head taken apart for editing (only done when a rule changes it).
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// Request: method, URI, version. Response: version, status, reason.
    pub line: [Vec<u8>; 3],
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Parts {
    pub fn of(head: &Head, buf: &[u8], response: bool) -> Parts {
        let line = if response {
            [
                buf[head.version_text.clone()].to_vec(),
                buf[head.status_text.clone()].to_vec(),
                buf[head.reason.clone()].to_vec(),
            ]
        } else {
            [buf[head.method.clone()].to_vec(), buf[head.uri.clone()].to_vec(), buf[head.version_text.clone()].to_vec()]
        };
        let headers =
            head.headers.iter().map(|h| (buf[h.name.clone()].to_vec(), buf[h.value.clone()].to_vec())).collect();
        Parts { line, headers }
    }

    /// The head as bytes, ending with the empty line.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.line[0]);
        out.push(b' ');
        out.extend_from_slice(&self.line[1]);
        out.push(b' ');
        out.extend_from_slice(&self.line[2]);
        out.extend_from_slice(b"\r\n");
        for (n, v) in &self.headers {
            out.extend_from_slice(n);
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }

    pub fn set_header(&mut self, name: &[u8], value: &[u8]) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_vec(), value.to_vec()));
    }

    pub fn add_header(&mut self, name: &[u8], value: &[u8]) {
        self.headers.push((name.to_vec(), value.to_vec()));
    }

    pub fn del_header(&mut self, name: &[u8], how: &HeaderMatch) {
        let lname = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !match how {
                HeaderMatch::Str => n == lname,
                HeaderMatch::Beg => n.starts_with(&lname),
                HeaderMatch::End => n.ends_with(&lname),
                HeaderMatch::Sub => lname.is_empty() || n.windows(lname.len()).any(|w| w == lname.as_slice()),
                HeaderMatch::Reg(re) => re.is_match(&n),
            }
        });
    }

    /// `replace-header` (`per_value` false) / `replace-value`: each matching value, or each
    /// comma-separated value, is replaced whole by `with` with its `\N` references filled.
    pub fn replace_header(&mut self, name: &[u8], re: &Regex, with: &[u8], per_value: bool) {
        for (n, v) in &mut self.headers {
            if !n.eq_ignore_ascii_case(name) {
                continue;
            }
            if per_value {
                let mut out = Vec::with_capacity(v.len());
                for (i, part) in v.split(|&c| c == b',').enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let t = trim(part);
                    match replaced(re, t, with) {
                        Some(r) => out.extend_from_slice(&r),
                        None => out.extend_from_slice(t),
                    }
                }
                *v = out;
            } else if let Some(r) = replaced(re, v, with) {
                *v = r;
            }
        }
    }

    /// The request-line actions.
    pub fn set_line(&mut self, part: LinePart, value: &[u8]) {
        match part {
            LinePart::Method => self.line[0] = value.to_vec(),
            LinePart::Uri => {
                self.line[1] = value.to_vec();
                if let Some(auth) = authority(value) {
                    let auth = auth.to_vec();
                    self.set_host(&auth);
                }
            }
            LinePart::Path | LinePart::PathQuery => {
                let uri = &self.line[1];
                let (start, end) = path_range(uri, part == LinePart::PathQuery);
                let mut n = uri[..start].to_vec();
                n.extend_from_slice(value);
                n.extend_from_slice(&uri[end..]);
                self.line[1] = n;
            }
            LinePart::Query => {
                let uri = &self.line[1];
                let mut n;
                match uri.iter().position(|&c| c == b'?') {
                    Some(q) => {
                        n = uri[..=q].to_vec();
                        n.extend_from_slice(value);
                    }
                    None => {
                        n = uri.clone();
                        if !value.is_empty() {
                            n.push(b'?');
                            n.extend_from_slice(value);
                        }
                    }
                }
                self.line[1] = n;
            }
        }
    }

    /// `replace-path`, `replace-pathq`, `replace-uri`: nothing happens unless `re` matches.
    pub fn replace_line(&mut self, part: LinePart, re: &Regex, with: &[u8]) {
        let uri = self.line[1].clone();
        let subject: &[u8] = match part {
            LinePart::Uri => &uri,
            _ => {
                let (s, e) = path_range(&uri, part == LinePart::PathQuery);
                &uri[s..e]
            }
        };
        if let Some(new) = replaced(re, subject, with) {
            self.set_line(part, &new);
        }
    }

    fn set_host(&mut self, auth: &[u8]) {
        match self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(b"host")) {
            Some((_, v)) => *v = auth.to_vec(),
            None => self.headers.push((b"host".to_vec(), auth.to_vec())),
        }
    }

    /// `set-status <code> [reason <text>]`.
    pub fn set_status(&mut self, code: u16, reason: Option<&str>) {
        self.line[1] = code.to_string().into_bytes();
        self.line[2] = reason.unwrap_or_else(|| super::reply::reason(code)).as_bytes().to_vec();
    }
}

fn trim(v: &[u8]) -> &[u8] {
    let s = v.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(v.len());
    let e = v.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(s, |p| p + 1);
    &v[s..e.max(s)]
}

/// The authority of an absolute URI.
fn authority(uri: &[u8]) -> Option<&[u8]> {
    let sl = parse::scheme_len(uri)?;
    let a = &uri[sl + 3..];
    let end = a.iter().position(|&c| c == b'/' || c == b'?').unwrap_or(a.len());
    Some(&a[..end])
}

/// Where the path starts and ends in a URI (`http_parse_path`), query included or not.
pub fn path_range(uri: &[u8], with_query: bool) -> (usize, usize) {
    let start = if uri.first() == Some(&b'/') {
        0
    } else if let Some(sl) = parse::scheme_len(uri) {
        let a = sl + 3;
        a + uri[a..].iter().position(|&c| c == b'/').unwrap_or(uri.len() - a)
    } else {
        uri.len()
    };
    let end = if with_query {
        uri.len()
    } else {
        start + uri[start..].iter().position(|&c| c == b'?').unwrap_or(uri.len() - start)
    };
    (start, end)
}

/// HAProxy's `exp_replace`: `with` with `\0`..`\9` replaced by the captures of `re` on
/// `subject`, and `\xHH` by a byte; `None` when `re` does not match.
pub fn replaced(re: &Regex, subject: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let caps = re.inner().captures(subject).ok()??;
    let mut out = Vec::with_capacity(with.len() + subject.len());
    let mut i = 0;
    while i < with.len() {
        let c = with[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&n) = with.get(i) else { break };
        if n.is_ascii_digit() {
            if let Some(m) = caps.get(usize::from(n - b'0')) {
                out.extend_from_slice(m.as_bytes());
            }
            i += 1;
        } else if n == b'x' {
            let (Some(&h1), Some(&h2)) = (with.get(i + 1), with.get(i + 2)) else { return None };
            let hex = |c: u8| {
                let c = c.to_ascii_uppercase().wrapping_sub(b'0');
                if c > 9 {
                    c.wrapping_sub(b'A' - b'9' - 1)
                } else {
                    c
                }
            };
            out.push((hex(h1) << 4).wrapping_add(hex(h2)));
            i += 3;
        } else {
            out.push(n);
            i += 1;
        }
    }
    Some(out)
}

/// Put edited parts back: the head's bytes in `buf` are replaced and parsed again into `head`.
/// False if the result cannot be parsed (HAProxy's failed rewrite).
pub fn commit(parts: &Parts, head: &mut Head, buf: &mut BytesMut, response: bool) -> bool {
    let mut bytes = Vec::with_capacity(head.len + 64 + buf.len() - head.len);
    parts.write(&mut bytes);
    bytes.extend_from_slice(&buf[head.len..]);
    buf.clear();
    buf.extend_from_slice(&bytes);
    head.reset();
    let ok = if response { parse::parse_response(buf, head) } else { parse::parse_request(buf, head) };
    matches!(ok, Ok(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> Parts {
        Parts { line: [b"GET".to_vec(), uri.as_bytes().to_vec(), b"HTTP/1.1".to_vec()], headers: vec![] }
    }

    #[test]
    fn request_line_rewrites() {
        let uri = |p: &Parts| String::from_utf8(p.line[1].clone()).unwrap();
        let mut p = parts("/p?q=1");
        p.set_line(LinePart::Query, b"");
        assert_eq!(uri(&p), "/p?");
        let mut p = parts("/p");
        p.set_line(LinePart::Query, b"a=b");
        assert_eq!(uri(&p), "/p?a=b");
        let mut p = parts("/p");
        p.set_line(LinePart::Query, b"");
        assert_eq!(uri(&p), "/p");
        let mut p = parts("http://h.com/p?q=1");
        p.set_line(LinePart::Path, b"/new");
        assert_eq!(uri(&p), "http://h.com/new?q=1");
        let mut p = parts("/p?q=1");
        p.set_line(LinePart::Path, b"/n?x");
        assert_eq!(uri(&p), "/n?x?q=1");
        let mut p = parts("http://h.com/p?q=1");
        p.set_line(LinePart::PathQuery, b"/new?z");
        assert_eq!(uri(&p), "http://h.com/new?z");
        let mut p = parts("/p");
        p.headers.push((b"Host".to_vec(), b"h.com".to_vec()));
        p.set_line(LinePart::Uri, b"http://other/x?y");
        assert_eq!(p.headers[0].1, b"other");
        let mut p = parts("/a/x/y?z");
        p.replace_line(LinePart::Path, &Regex::new("/a/(.*)", false, true).unwrap(), b"/b/\\1");
        assert_eq!(uri(&p), "/b/x/y?z");
        let mut p = parts("/p?q=1");
        p.replace_line(LinePart::Uri, &Regex::new("^/(.*)\\?(.*)", false, true).unwrap(), b"/\\2/\\1");
        assert_eq!(uri(&p), "/q=1/p");
    }

    #[test]
    fn header_rewrites() {
        let re = Regex::new("(a+)b", false, true).unwrap();
        let mut p = parts("/");
        p.headers = vec![(b"X-H".to_vec(), b"aab, aaab".to_vec()), (b"x-h".to_vec(), b"cab".to_vec())];
        let mut q = p.clone();
        p.replace_header(b"x-h", &re, b"[\\1]", false);
        assert_eq!(p.headers[0].1, b"[aa]");
        assert_eq!(p.headers[1].1, b"[a]");
        q.headers[0].1 = b"aab, aaab,zz".to_vec();
        q.replace_header(b"x-h", &re, b"[\\1]", true);
        assert_eq!(q.headers[0].1, b"[aa],[aaa],zz");
        let mut d = parts("/");
        d.headers =
            vec![(b"X-DD".to_vec(), b"1".to_vec()), (b"x-dy".to_vec(), b"2".to_vec()), (b"Y".to_vec(), b"3".to_vec())];
        d.del_header(b"X-D", &HeaderMatch::Beg);
        assert_eq!(d.headers.len(), 1);
        d.set_header(b"y", b"4");
        assert_eq!(d.headers, vec![(b"y".to_vec(), b"4".to_vec())]);
    }

    #[test]
    fn replacement_escapes() {
        let re = Regex::new("(b)", false, true).unwrap();
        assert_eq!(replaced(&re, b"abc", b"\\x41\\1\\\\"), Some(b"Ab\\".to_vec()));
        assert_eq!(replaced(&re, b"xyz", b"z"), None);
    }
}

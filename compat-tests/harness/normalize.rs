//! Normalisation of what is truly volatile between two runs (and two implementations), and
//! nothing else: pids become `PID`, dates and times become fixed tokens, HAProxy's version and
//! executable banner lines go, and haproxide's extra source excerpts (`   --> file:line:col`, the
//! gutter lines under it, `   = note`) go. scripts/record-golden applies the same rules.

/// A `file:line` location as HAProxy prints it in brackets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Everything a `-c` run prints on stderr, ready to compare: banner and excerpts removed, pids
/// replaced.
pub fn check_stderr(s: &str) -> String {
    pids(&drop_excerpts(&drop_banner(s)))
}

/// A log or runtime output: pids and dates replaced.
pub fn volatile(s: &str) -> String {
    times(&pids(s))
}

fn map_lines(s: &str, mut keep: impl FnMut(&str) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        if keep(line.trim_end_matches(['\n', '\r'])) {
            out.push_str(line);
        }
    }
    out
}

/// Remove HAProxy's `haproxy version is ...` and `path to executable is ...` NOTICE lines.
pub fn drop_banner(s: &str) -> String {
    map_lines(s, |l| !(l.contains(": haproxy version is ") || l.contains(": path to executable is ")))
}

/// Remove haproxide's excerpts: a `   --> file:line:col` line, the gutter lines right under it
/// (`   12 | source`, `      | ^^^^`) and `   = note` lines. HAProxy's own continuation lines
/// (`   | text`, not under a `-->`) stay.
pub fn drop_excerpts(s: &str) -> String {
    let mut in_excerpt = false;
    map_lines(s, |l| {
        if l.starts_with("   --> ") {
            in_excerpt = true;
            return false;
        }
        if l.starts_with("   = ") {
            return false;
        }
        if in_excerpt {
            let t = l.trim_start_matches(' ').trim_start_matches(|c: char| c.is_ascii_digit());
            if l.starts_with("   ") && (t.starts_with(" |") || t.starts_with('|')) {
                return false;
            }
            in_excerpt = false;
        }
        true
    })
}

/// Replace process ids: the `(1234)` after a `[ALERT]`/`[WARNING]`/`[NOTICE]` tag at the start of a
/// line, `haproxy[1234]` (syslog tag) and the `Pid: 1234` line of `show info`.
pub fn pids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let mut line = line.to_string();
        if line.starts_with('[') {
            if let Some(close) = line.find(']') {
                let after = &line[close + 1..];
                let trimmed = after.trim_start_matches(' ');
                let at = close + 1 + (after.len() - trimmed.len());
                if let Some(rest) = trimmed.strip_prefix('(') {
                    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    if digits > 0 && rest[digits..].starts_with(')') {
                        line.replace_range(at + 1..at + 1 + digits, "PID");
                    }
                }
            }
        }
        line = replace_digits_after(&line, "haproxy[", "PID");
        line = replace_digits_after(&line, "Pid: ", "PID");
        out.push_str(&line);
    }
    out
}

/// Replace the run of digits right after each occurrence of `prefix` with `token`.
pub fn replace_digits_after(s: &str, prefix: &str, token: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(prefix) {
        let (head, tail) = rest.split_at(i + prefix.len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str(token);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Replace every whole-word occurrence of `word` (e.g. a known child pid) with `token`.
pub fn replace_word(s: &str, word: &str, token: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < s.len() {
        if s[i..].starts_with(word)
            && (i == 0 || !is_word(b[i - 1]))
            && b.get(i + word.len()).is_none_or(|&c| !is_word(c))
        {
            out.push_str(token);
            i += word.len();
        } else {
            let ch = s[i..].chars().next().unwrap_or('\0');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

/// Match `pat` at the start of `b`: `9` a digit, `A` an uppercase letter, `a` a lowercase letter,
/// `_` a space or a digit, anything else itself.
fn matches(b: &[u8], pat: &str) -> bool {
    pat.len() <= b.len()
        && pat.bytes().zip(b).all(|(p, &c)| match p {
            b'9' => c.is_ascii_digit(),
            b'A' => c.is_ascii_uppercase(),
            b'a' => c.is_ascii_lowercase(),
            b'_' => c == b' ' || c.is_ascii_digit(),
            _ => p == c,
        })
}

fn digits_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Replace dates and times: `21/Nov/2026:01:32:00[.123]` (HTTP log accept date) and
/// `2026/10/17` -> `DATE`; `Nov 21 01:32:00` (RFC 3164 header) -> `SYSLOGDATE`;
/// `2026-11-21T01:32:00[.123456][Z|+00:00]` (RFC 5424 / ISO 8601) -> `ISODATE`;
/// a bare `01:32:00[.123]` -> `TIME`.
pub fn times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut prev_word = false;
    while i < b.len() {
        let rest = &b[i..];
        let mut token = None;
        if !prev_word {
            if matches(rest, "99/Aaa/9999:99:99:99") {
                let mut n = 20;
                if rest.get(n) == Some(&b'.') && digits_len(&rest[n + 1..]) > 0 {
                    n += 1 + digits_len(&rest[n + 1..]);
                }
                token = Some(("DATE", n));
            } else if matches(rest, "9999-99-99T99:99:99") {
                let mut n = 19;
                if rest.get(n) == Some(&b'.') {
                    n += 1 + digits_len(&rest[n + 1..]);
                }
                if rest.get(n) == Some(&b'Z') {
                    n += 1;
                } else if matches(&rest[n..], "+99:99") || matches(&rest[n..], "-99:99") {
                    n += 6;
                }
                token = Some(("ISODATE", n));
            } else if matches(rest, "Aaa _9 99:99:99") {
                token = Some(("SYSLOGDATE", 15));
            } else if matches(rest, "9999/99/99") {
                token = Some(("DATE", 10));
            } else if matches(rest, "99:99:99") {
                let mut n = 8;
                if rest.get(n) == Some(&b'.') && digits_len(&rest[n + 1..]) > 0 {
                    n += 1 + digits_len(&rest[n + 1..]);
                }
                token = Some(("TIME", n));
            }
        }
        if let Some((t, n)) = token {
            out.push_str(t);
            i += n;
            prev_word = true;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or('\0');
        prev_word = ch.is_alphanumeric();
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// The `file:line` inside the first `[...]` of `line` that holds one (`parsing [f:l] :`,
/// `[f:l] :`, `Parsing [f:l]:` ... all HAProxy's bracket styles).
pub fn bracket_location(line: &str) -> Option<Location> {
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let inner = &after[..close];
        if let Some((file, num)) = inner.rsplit_once(':') {
            if !file.is_empty() && !num.is_empty() && num.bytes().all(|c| c.is_ascii_digit()) {
                if let Ok(line) = num.parse() {
                    return Some(Location { file: file.to_string(), line });
                }
            }
        }
        rest = &after[close + 1..];
    }
    None
}

/// The location of the first `[ALERT]` line that has one.
pub fn first_alert_location(stderr: &str) -> Option<Location> {
    stderr.lines().filter(|l| l.starts_with("[ALERT]")).find_map(bracket_location)
}

/// The first `[ALERT]` line that has a location, pid normalised (for messages).
pub fn first_located_alert(stderr: &str) -> Option<String> {
    stderr.lines().filter(|l| l.starts_with("[ALERT]")).find(|l| bracket_location(l).is_some()).map(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAPROXY: &str = "[NOTICE]   (7837) : haproxy version is 2.6.12-1+deb12u4\n\
[NOTICE]   (7837) : path to executable is /usr/sbin/haproxy\n\
[ALERT]    (7837) : config : parsing [b.cfg:7] : unknown keyword 'bogus_kw' in 'frontend' section\n\
[ALERT]    (7837) : config : Fatal errors found in configuration.\n";

    const OURS: &str = concat!(
        "[ALERT]    (7839) : config : parsing [b.cfg:7] : unknown keyword 'bogus_kw' in 'frontend' section\n",
        "   --> b.cfg:7:5\n",
        "   7 |     bogus_kw foo\n",
        "     |     ^^^^^^^^\n",
        "   = expected a frontend keyword\n",
        "[ALERT]    (7839) : config : Fatal errors found in configuration.\n",
    );

    #[test]
    fn check_stderr_makes_both_equal() {
        assert_eq!(check_stderr(HAPROXY), check_stderr(OURS));
        assert!(check_stderr(HAPROXY).starts_with("[ALERT]    (PID) : config : parsing [b.cfg:7]"));
    }

    #[test]
    fn haproxy_continuation_lines_stay() {
        let s = "[WARNING]  (1) : config : something\n   | detail line\n";
        assert_eq!(drop_excerpts(s), s);
    }

    #[test]
    fn pids_in_tags_syslog_and_show_info() {
        assert_eq!(
            pids("<133>Nov 21 01:32:00 haproxy[4242]: Proxy fe started.\nPid: 77\n[WARNING]  (12) : x (34)\n"),
            "<133>Nov 21 01:32:00 haproxy[PID]: Proxy fe started.\nPid: PID\n[WARNING]  (PID) : x (34)\n"
        );
        assert_eq!(replace_word("pid 123 1234 x123", "123", "PID"), "pid PID 1234 x123");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            times("<134>Nov  1 01:32:00 haproxy[1]: 127.0.0.1:5 [21/Nov/2026:01:32:00.123] fe be/s1 0/0/0/1/1 200"),
            "<134>SYSLOGDATE haproxy[1]: 127.0.0.1:5 [DATE] fe be/s1 0/0/0/1/1 200"
        );
        assert_eq!(times("<134>1 2026-11-21T01:32:00.123456+00:00 host"), "<134>1 ISODATE host");
        assert_eq!(times("version 2.6.12 2026/10/17 at 01:02:03.5 ok"), "version 2.6.12 DATE at TIME ok");
        assert_eq!(times("1 2026-11-21T01:32:00Z"), "1 ISODATE");
        assert_eq!(times("no 12:34 date"), "no 12:34 date");
    }

    #[test]
    fn alert_locations_in_every_bracket_style() {
        let loc = |f: &str, l| Some(Location { file: f.into(), line: l });
        assert_eq!(bracket_location("[ALERT]    (1) : config : parsing [a.cfg:7] : x"), loc("a.cfg", 7));
        assert_eq!(bracket_location("[ALERT]    (1) : config : parsing [a.cfg:7]: x"), loc("a.cfg", 7));
        assert_eq!(
            bracket_location("[ALERT]    (1) : config : [dir/a b.cfg:12] : 'server be/s'"),
            loc("dir/a b.cfg", 12)
        );
        assert_eq!(bracket_location("[ALERT]    (1) : config : Parsing [a.cfg:3]: frontend 'x'"), loc("a.cfg", 3));
        assert_eq!(bracket_location("[ALERT]    (1) : config : Proxy 'fe': no [x] here"), None);
        let s =
            "[ALERT]    (1) : config : no location\n[WARNING]  (1) : [a.cfg:1] : w\n[ALERT]    (1) : [a.cfg:9] : e\n";
        assert_eq!(first_alert_location(s), loc("a.cfg", 9));
        assert_eq!(first_located_alert(s).as_deref(), Some("[ALERT]    (PID) : [a.cfg:9] : e"));
    }
}

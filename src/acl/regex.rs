//! Regular expressions with HAProxy's engine: PCRE2 (through the `pcre2` crate), compiled with
//! the same options HAProxy passes, so that exactly the patterns HAProxy accepts are accepted,
//! its error text and offsets are reproduced, and matches are the same at run time.
//!
//! HAProxy compiles ACL patterns without automatic captures (`PCRE2_NO_AUTO_CAPTURE`), which
//! turns `(a)\1` into an error; the crate has no switch for it, so the equivalent in-pattern
//! option `(?n)` is placed after any leading `(*VERB)` items and error offsets are shifted back.
//! The pcre2-sys crate may build its bundled PCRE2 (10.46) where Debian's HAProxy links 10.42:
//! the syntax accepted by 10.42 is a subset, so no configuration HAProxy accepts is refused.

use std::fmt;

/// A compiled pattern. Compared and printed by its source and options.
#[derive(Clone)]
pub struct Regex {
    src: String,
    icase: bool,
    capture: bool,
    re: pcre2::bytes::Regex,
}

impl PartialEq for Regex {
    fn eq(&self, o: &Regex) -> bool {
        self.src == o.src && self.icase == o.icase && self.capture == o.capture
    }
}
impl Eq for Regex {}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?}{})", self.src, if self.icase { ", icase" } else { "" })
    }
}

/// Length of the leading `(*...)` start-of-pattern items, which must stay first.
fn leading_verbs(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while b[i..].starts_with(b"(*") {
        match b[i..].iter().position(|&c| c == b')') {
            Some(end)
                if b[i + 2..i + end]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_' || *c == b'=') =>
            {
                i += end + 1
            }
            _ => break,
        }
    }
    i
}

impl Regex {
    /// HAProxy's `regex_comp(str, cs, cap)`: `icase` for `-i`, `capture` when the caller uses
    /// groups (regsub, map_regm). The error is HAProxy's message.
    pub fn new(src: &str, icase: bool, capture: bool) -> Result<Regex, String> {
        let (pattern, shift, at) = if capture {
            (src.to_string(), 0, 0)
        } else {
            let at = leading_verbs(src);
            (format!("{}(?n){}", &src[..at], &src[at..]), 4, at)
        };
        let mut b = pcre2::bytes::RegexBuilder::new();
        b.caseless(icase).jit_if_available(true);
        match b.build(&pattern) {
            Ok(re) => Ok(Regex { src: src.to_string(), icase, capture, re }),
            Err(e) => {
                let full = e.to_string();
                let msg = full.split_once(": ").map(|(_, m)| m).unwrap_or(&full);
                // "PCRE2: error compiling pattern at offset N: msg" -> msg.
                let msg = msg.split_once(": ").map(|(_, m)| m).unwrap_or(msg);
                let off = e.offset().unwrap_or(0);
                let off = if off >= at + shift { off - shift } else { off.min(src.len()) };
                Err(format!("regex '{src}' is invalid (error={msg}, erroffset={off})"))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }

    pub fn icase(&self) -> bool {
        self.icase
    }

    /// Unanchored search, as `regex_exec`. A matching error (resource limits) is no match.
    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.re.is_match(subject).unwrap_or(false)
    }

    /// The underlying compiled regex, for callers that need captures (regsub).
    pub fn inner(&self) -> &pcre2::bytes::Regex {
        &self.re
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_haproxy() {
        assert_eq!(
            Regex::new("(", false, false).unwrap_err(),
            "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)"
        );
        assert_eq!(
            Regex::new("[a-", false, false).unwrap_err(),
            "regex '[a-' is invalid (error=missing terminating ] for character class, erroffset=3)"
        );
        assert_eq!(
            Regex::new("a{2,1}", false, false).unwrap_err(),
            "regex 'a{2,1}' is invalid (error=numbers out of order in {} quantifier, erroffset=5)"
        );
        assert_eq!(
            Regex::new("(a)\\1", false, false).unwrap_err(),
            "regex '(a)\\1' is invalid (error=reference to non-existent subpattern, erroffset=4)"
        );
        assert!(Regex::new("(a)\\1", false, true).is_ok());
    }

    #[test]
    fn pcre_syntax_is_accepted() {
        for p in ["x*+", "\\Qa.b\\E", "(?<n>a)\\k<n>", "\\p{L}", "(*UCP)\\w", "(?i)abc", "^/api(?=/v1)"] {
            assert!(Regex::new(p, false, false).is_ok(), "{p}");
        }
    }

    #[test]
    fn matching() {
        let r = Regex::new("^/img/.*\\.png$", false, false).unwrap();
        assert!(r.is_match(b"/img/a.png"));
        assert!(!r.is_match(b"/IMG/a.png"));
        let r = Regex::new("^/img/", true, false).unwrap();
        assert!(r.is_match(b"/IMG/a.png"));
        // Byte subjects that are not UTF-8 still match.
        assert!(Regex::new("a.b", false, false).unwrap().is_match(b"a\xffb"));
    }
}

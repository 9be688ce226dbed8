//! `.if` / `.elif` conditions and `-cc`: a small expression language over predicates
//! (defined, feature, streq, strneq, version_atleast, version_before), `!`, `&&`, `||`, and
//! parentheses, with `&&` binding tighter than `||`.

use thiserror::Error;

use super::lex::VarSource;

/// The HAProxy version whose language we implement; `version_atleast()` compares against it.
pub const COMPAT_VERSION: &str = "2.6.12";

/// Features that `feature(<name>)` reports as present: the ones haproxide really has.
pub const FEATURES: &[&str] =
    &["EPOLL", "THREAD", "GETADDRINFO", "LINUX_TPROXY", "NS", "POLL", "PRCTL", "RT", "CPU_AFFINITY"];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CondError {
    #[error("unknown term '{0}'")]
    UnknownPredicate(String),
    #[error("unexpected character '{ch}' at the end of conditional expression '{expr}'")]
    Trailing { ch: char, expr: String },
    #[error("{0}")]
    Syntax(String),
}

/// Evaluate a condition text. An empty condition is false.
pub fn eval(text: &str, vars: &dyn VarSource) -> Result<bool, CondError> {
    let mut p = Parser { s: text.as_bytes(), i: 0, vars, full: text };
    p.skip_ws();
    if p.i >= p.s.len() {
        return Ok(false);
    }
    let v = p.expr()?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(CondError::Trailing { ch: p.s[p.i] as char, expr: text.to_string() });
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    vars: &'a dyn VarSource,
    full: &'a str,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }
    /// expr := and ('||' and)*. Both sides are always parsed so syntax errors surface.
    fn expr(&mut self) -> Result<bool, CondError> {
        let mut v = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }
    fn and(&mut self) -> Result<bool, CondError> {
        let mut v = self.term()?;
        while self.eat("&&") {
            let r = self.term()?;
            v = v && r;
        }
        Ok(v)
    }
    fn term(&mut self) -> Result<bool, CondError> {
        self.skip_ws();
        if self.eat("!") {
            return Ok(!self.term()?);
        }
        if self.eat("(") {
            let v = self.expr()?;
            if !self.eat(")") {
                return Err(CondError::Syntax(format!("expected ')' in conditional expression '{}'", self.full)));
            }
            return Ok(v);
        }
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        if word.is_empty() {
            return Err(CondError::Syntax(format!("unparsable conditional expression '{}'", self.full)));
        }
        if word.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(word.bytes().any(|b| b != b'0'));
        }
        let pred = word.to_string();
        self.skip_ws();
        let args = if self.i < self.s.len() && self.s[self.i] == b'(' {
            self.i += 1;
            self.args()?
        } else {
            Vec::new()
        };
        self.predicate(&pred, &args)
    }
    /// Comma-separated arguments up to the closing parenthesis; quotes protect commas.
    fn args(&mut self) -> Result<Vec<String>, CondError> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        let mut quote: Option<u8> = None;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            self.i += 1;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => cur.push(c),
                (None, b'"' | b'\'') => quote = Some(c),
                (None, b'\\') if self.i < self.s.len() => {
                    cur.push(self.s[self.i]);
                    self.i += 1;
                }
                (None, b',') => out.push(String::from_utf8_lossy(&std::mem::take(&mut cur)).into_owned()),
                (None, b')') => {
                    out.push(String::from_utf8_lossy(&cur).into_owned());
                    if out.len() == 1 && out[0].is_empty() {
                        out.clear();
                    }
                    return Ok(out);
                }
                (None, c) => cur.push(c),
            }
        }
        Err(CondError::Syntax(format!("missing closing ')' in conditional expression '{}'", self.full)))
    }
    fn predicate(&self, name: &str, args: &[String]) -> Result<bool, CondError> {
        let want = |n: usize| -> Result<(), CondError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(CondError::Syntax(format!(
                    "failed to parse arguments for predicate '{name}' in conditional expression '{}'",
                    self.full
                )))
            }
        };
        match name {
            "defined" => {
                want(1)?;
                Ok(self.vars.var(&args[0]).is_some())
            }
            "feature" => {
                want(1)?;
                Ok(FEATURES.contains(&args[0].as_str()))
            }
            "streq" => {
                want(2)?;
                Ok(args[0] == args[1])
            }
            "strneq" => {
                want(2)?;
                Ok(args[0] != args[1])
            }
            "version_atleast" => {
                want(1)?;
                Ok(compare_versions(COMPAT_VERSION, &args[0]) != std::cmp::Ordering::Less)
            }
            "version_before" => {
                want(1)?;
                Ok(compare_versions(COMPAT_VERSION, &args[0]) == std::cmp::Ordering::Less)
            }
            _ => Err(CondError::UnknownPredicate(name.to_string())),
        }
    }
}

/// A parsed HAProxy version: numbers, then a stage (dev < pre < rc < release) and its number.
fn split_version(v: &str) -> ([u32; 4], u8, u32) {
    let (nums, suffix) = match v.find('-') {
        Some(p) => (&v[..p], &v[p + 1..]),
        None => (v, ""),
    };
    let mut parts = [0u32; 4];
    for (i, n) in nums.split('.').take(4).enumerate() {
        parts[i] = n.trim().parse().unwrap_or(0);
    }
    let stage_num = |pfx: &str| {
        suffix[pfx.len()..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
    };
    let (stage, n) = if suffix.starts_with("dev") {
        (0, stage_num("dev"))
    } else if suffix.starts_with("pre") {
        (1, stage_num("pre"))
    } else if suffix.starts_with("rc") {
        (2, stage_num("rc"))
    } else {
        (3, 0)
    };
    (parts, stage, n)
}

pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    split_version(a).cmp(&split_version(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ev(s: &str) -> Result<bool, CondError> {
        let mut env = HashMap::new();
        env.insert("A".to_string(), "1".to_string());
        eval(s, &env)
    }

    #[test]
    fn constants_and_logic() {
        assert_eq!(ev(""), Ok(false));
        assert_eq!(ev("0"), Ok(false));
        assert_eq!(ev("1"), Ok(true));
        assert_eq!(ev("!0"), Ok(true));
        assert_eq!(ev("1 && 0 || 1"), Ok(true));
        assert_eq!(ev("(1 || 0) && 0"), Ok(false));
    }

    #[test]
    fn predicates() {
        assert_eq!(ev("defined(A)"), Ok(true));
        assert_eq!(ev("defined(B)"), Ok(false));
        assert_eq!(ev("streq(a,a)"), Ok(true));
        assert_eq!(ev("strneq(a,a)"), Ok(false));
        assert_eq!(ev("version_atleast(2.5)"), Ok(true));
        assert_eq!(ev("version_atleast(2.6.12)"), Ok(true));
        assert_eq!(ev("version_atleast(2.7)"), Ok(false));
        assert_eq!(ev("version_before(2.7-dev1)"), Ok(true));
        assert_eq!(ev("feature(EPOLL)"), Ok(true));
        assert!(matches!(ev("nosuch(1)"), Err(CondError::UnknownPredicate(_))));
        assert!(ev("streq(a)").is_err());
    }

    #[test]
    fn version_order() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("2.6", "2.6-dev1"), Greater);
        assert_eq!(compare_versions("2.6-rc1", "2.6-pre3"), Greater);
        assert_eq!(compare_versions("2.6.12", "2.6.12"), Equal);
    }
}

//! `.if` / `.elif` conditions and `-cc`: HAProxy 2.6's small expression language over
//! predicates (defined, feature, streq, strneq, version_atleast, version_before), `!`, `&&`,
//! `||` and parentheses, with `&&` binding tighter than `||`.
//!
//! The parser follows HAProxy's recursive descent step by step (including its recursion budget
//! of 1024 and where each error points), because the error text and position are part of what
//! users see. The whole expression is parsed before anything is evaluated.

use super::lex::{bytes_to_text, is_c_space, text_to_bytes, VarSource};

/// The HAProxy release whose language we implement; `version_atleast()` compares against it.
pub const COMPAT_VERSION: &str = "2.6.12";

/// HAProxy's MAX_CFG_RECURSION.
const MAX_RECURSION: i32 = 1024;

/// Every build feature HAProxy 2.6 lists, in its order, and whether haproxide really has it.
/// `feature()` matches against the `+NAME`/`-NAME` string built from this table, so keep it
/// honest: only what haproxide actually does is `true`.
pub const FEATURE_TABLE: &[(&str, bool)] = &[
    ("51DEGREES", false),
    ("ACCEPT4", true),
    ("BACKTRACE", false),
    ("CLOSEFROM", false),
    ("CPU_AFFINITY", false),
    ("CRYPT_H", false),
    ("DEVICEATLAS", false),
    ("DL", false),
    ("ENGINE", false),
    ("EPOLL", true),
    ("EVPORTS", false),
    ("GETADDRINFO", true),
    ("KQUEUE", false),
    ("LIBCRYPT", false),
    ("LINUX_SPLICE", false),
    ("LINUX_TPROXY", false),
    ("LUA", false),
    ("MEMORY_PROFILING", false),
    ("NETFILTER", false),
    ("NS", false),
    ("OBSOLETE_LINKER", false),
    ("OPENSSL", false),
    ("OT", false),
    ("PCRE", false),
    ("PCRE2", true),
    ("PCRE2_JIT", true),
    ("PCRE_JIT", false),
    ("POLL", false),
    ("PRCTL", false),
    ("PROCCTL", false),
    ("PROMEX", false),
    ("QUIC", false),
    ("RT", false),
    ("SLZ", false),
    ("STATIC_PCRE", false),
    ("STATIC_PCRE2", true),
    ("SYSTEMD", false),
    ("TFO", false),
    ("THREAD", true),
    ("THREAD_DUMP", false),
    ("TPROXY", false),
    ("WURFL", false),
    ("ZLIB", false),
];

/// The features haproxide has (the `+` entries of [`FEATURE_TABLE`]).
pub const FEATURES: &[&str] = &["ACCEPT4", "EPOLL", "GETADDRINFO", "THREAD"];

/// The feature string `-vv` prints and `feature()` searches: `-51DEGREES +ACCEPT4 ...`.
pub fn feature_string() -> String {
    FEATURE_TABLE.iter().map(|(n, on)| format!("{}{n}", if *on { '+' } else { '-' })).collect::<Vec<_>>().join(" ")
}

/// A condition that could not be parsed: HAProxy's message and the 0-based offset in the
/// expression it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    pub msg: String,
    pub pos: usize,
}

impl std::fmt::Display for CondError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for CondError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pred {
    Defined,
    Feature,
    Streq,
    Strneq,
    VersionAtleast,
    VersionBefore,
}

const PREDICATES: &[(&str, Pred, usize)] = &[
    ("defined", Pred::Defined, 1),
    ("feature", Pred::Feature, 1),
    ("streq", Pred::Streq, 2),
    ("strneq", Pred::Strneq, 2),
    ("version_atleast", Pred::VersionAtleast, 1),
    ("version_before", Pred::VersionBefore, 1),
];

#[derive(Debug)]
enum TermKind {
    Const(bool),
    Pred(Pred, Vec<Vec<u8>>),
    Paren(Box<Expr>),
}

#[derive(Debug)]
struct Term {
    neg: bool,
    kind: TermKind,
}

/// Terms joined by `&&`.
#[derive(Debug)]
struct And(Vec<Term>);
/// `&&` groups joined by `||`.
#[derive(Debug)]
struct Expr(Vec<And>);

type Parsed<T> = Result<Option<T>, CondError>;

struct Parser<'a> {
    s: &'a [u8],
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }
    fn skip_blank(&self, mut i: usize) -> usize {
        while matches!(self.at(i), b' ' | b'\t') {
            i += 1;
        }
        i
    }
    /// The C string from `i`: the rest of the expression.
    fn rest(&self, i: usize) -> String {
        bytes_to_text(self.s.get(i..).unwrap_or(&[]))
    }
    fn fail(&self, what: &str, i: usize) -> CondError {
        CondError { msg: format!("{what} '{}'", self.rest(i)), pos: i }
    }

    fn term(&self, text: &mut usize, depth: i32) -> Parsed<Term> {
        let start = *text;
        let mut i = self.skip_blank(start);
        if self.at(i) == 0 {
            return Ok(None);
        }
        if depth <= 0 {
            return Err(self.fail("unparsable conditional expression", start));
        }
        let mut neg = false;
        while self.at(i) == b'!' {
            neg = !neg;
            i = self.skip_blank(i + 1);
        }
        if let Some((end, nonzero)) = strtol_base0(self.s, i) {
            *text = end;
            return Ok(Some(Term { neg, kind: TermKind::Const(nonzero) }));
        }
        if self.at(i) == b'(' {
            let mut inner = self.skip_blank(i + 1);
            let e = match self.expr(&mut inner, depth - 1)? {
                Some(e) => e,
                None => return Err(self.fail("unparsable conditional expression", start)),
            };
            inner = self.skip_blank(inner);
            if self.at(inner) != b')' {
                return Err(CondError {
                    msg: format!("expected ')' after conditional expression '{}'", self.rest(start)),
                    pos: start,
                });
            }
            *text = self.skip_blank(inner + 1);
            return Ok(Some(Term { neg, kind: TermKind::Paren(Box::new(e)) }));
        }
        let len = self.s[i..].iter().position(|&b| b == b' ' || b == b'(' || b == 0).unwrap_or(self.s.len() - i);
        let word = &self.s[i..i + len];
        if let Some(&(name, pred, nbargs)) = PREDICATES.iter().find(|(n, _, _)| n.as_bytes() == word) {
            return match self.arg_list(i + len, nbargs) {
                Ok((args, end)) => {
                    *text = end;
                    Ok(Some(Term { neg, kind: TermKind::Pred(pred, args) }))
                }
                Err((msg, err_arg, at)) => Err(CondError {
                    msg: format!("{msg} in argument {err_arg} of predicate '{name}' used in conditional expression"),
                    pos: at,
                }),
            };
        }
        Err(self.fail("unparsable conditional expression", start))
    }

    /// HAProxy's `make_arg_list()` for string arguments: `(a,b)` with quotes and a few escapes.
    /// Every predicate requires all its arguments.
    #[allow(clippy::type_complexity)]
    fn arg_list(&self, at: usize, nbarg: usize) -> Result<(Vec<Vec<u8>>, usize), (String, usize, usize)> {
        let min_arg = nbarg;
        if self.at(at) != b'(' {
            // No parenthesis: one empty argument, nothing consumed.
            if 1 < min_arg {
                return Err((format!("missing arguments (got 1/{min_arg}), type 'string' expected"), 1, at));
            }
            return Ok((vec![Vec::new()], at));
        }
        let mut i = at + 1;
        let mut args: Vec<Vec<u8>> = Vec::new();
        let mut pos = 0usize;
        while pos < nbarg {
            let (mut squote, mut dquote) = (false, false);
            let mut cur = Vec::new();
            loop {
                let c = self.at(i);
                if c == 0 {
                    break;
                }
                if c == b'"' && !squote {
                    dquote = !dquote;
                    i += 1;
                    continue;
                }
                if c == b'\'' && !dquote {
                    squote = !squote;
                    i += 1;
                    continue;
                }
                if c == b'\\' && !squote {
                    match self.at(i + 1) {
                        0 => {
                            let msg = format!(
                                "failed to parse '\\' after '{}' as type 'string' at position {}",
                                bytes_to_text(&cur),
                                pos + 1
                            );
                            return Err((msg, pos, i));
                        }
                        n @ (b'\\' | b' ' | b'"' | b'\'') => {
                            cur.push(n);
                            i += 2;
                        }
                        b'r' => {
                            cur.push(b'\r');
                            i += 2;
                        }
                        b'n' => {
                            cur.push(b'\n');
                            i += 2;
                        }
                        b't' => {
                            cur.push(b'\t');
                            i += 2;
                        }
                        _ => {
                            cur.push(b'\\');
                            i += 1;
                        }
                    }
                    continue;
                }
                if !squote && !dquote && (c == b',' || c == b')') {
                    break;
                }
                cur.push(c);
                i += 1;
            }
            args.push(cur);
            pos += 1;
            if self.at(i) == 0 || self.at(i) == b')' || pos >= nbarg {
                break;
            }
            i += 1;
        }
        if pos < min_arg {
            return Err((format!("missing arguments (got {pos}/{min_arg}), type 'string' expected"), pos, i));
        }
        if self.at(i) == b')' {
            return Ok((args, i + 1));
        }
        let rest = self.rest(i);
        let msg = if rest.is_empty() { "expected ')'".to_string() } else { format!("expected ')' before '{rest}'") };
        let shown = if pos > 1 { pos - 1 } else { pos };
        Err((msg, shown, i))
    }

    fn and(&self, text: &mut usize, depth: i32) -> Parsed<And> {
        let mut i = *text;
        if self.at(i) == 0 {
            return Ok(None);
        }
        if depth <= 0 {
            return Err(self.fail("unparsable conditional sub-expression", i));
        }
        let left = match self.term(&mut i, depth - 1)? {
            Some(t) => t,
            None => return Err(self.fail("unparsable conditional sub-expression", i)),
        };
        i = self.skip_blank(i);
        *text = i;
        if !(self.at(i) == b'&' && self.at(i + 1) == b'&') {
            return Ok(Some(And(vec![left])));
        }
        i = self.skip_blank(i + 2);
        match self.and(&mut i, depth - 1)? {
            Some(And(mut rest)) => {
                *text = i;
                rest.insert(0, left);
                Ok(Some(And(rest)))
            }
            None => Ok(None),
        }
    }

    fn expr(&self, text: &mut usize, depth: i32) -> Parsed<Expr> {
        let mut i = *text;
        if self.at(i) == 0 {
            return Ok(None);
        }
        if depth <= 0 {
            return Err(self.fail("unparsable conditional expression", i));
        }
        let left = match self.and(&mut i, depth - 1)? {
            Some(a) => a,
            None => return Err(self.fail("unparsable conditional expression", i)),
        };
        i = self.skip_blank(i);
        *text = i;
        if !(self.at(i) == b'|' && self.at(i + 1) == b'|') {
            return Ok(Some(Expr(vec![left])));
        }
        i = self.skip_blank(i + 2);
        match self.expr(&mut i, depth - 1)? {
            Some(Expr(mut rest)) => {
                *text = i;
                rest.insert(0, left);
                Ok(Some(Expr(rest)))
            }
            None => Ok(None),
        }
    }
}

/// C `strtol(s, &end, 0)`: returns where the number ends and whether it is non-zero, or `None`
/// when nothing was converted.
fn strtol_base0(s: &[u8], start: usize) -> Option<(usize, bool)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = start;
    while is_c_space(at(i)) {
        i += 1;
    }
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    let (radix, mut j) = if at(i) == b'0' && matches!(at(i + 1), b'x' | b'X') && at(i + 2).is_ascii_hexdigit() {
        (16, i + 2)
    } else if at(i) == b'0' {
        (8, i)
    } else if at(i).is_ascii_digit() {
        (10, i)
    } else {
        return None;
    };
    let mut nonzero = false;
    while (at(j) as char).is_digit(radix) {
        nonzero |= at(j) != b'0';
        j += 1;
    }
    Some((j, nonzero))
}

fn eval_expr(e: &Expr, vars: &dyn VarSource) -> bool {
    e.0.iter().any(|a| a.0.iter().all(|t| eval_term(t, vars)))
}

fn eval_term(t: &Term, vars: &dyn VarSource) -> bool {
    let v = match &t.kind {
        TermKind::Const(v) => *v,
        TermKind::Paren(e) => eval_expr(e, vars),
        TermKind::Pred(p, args) => {
            let a0 = args.first().map(Vec::as_slice).unwrap_or(&[]);
            let a1 = args.get(1).map(Vec::as_slice).unwrap_or(&[]);
            let c0 = cut_at_nul(a0);
            match p {
                Pred::Defined => vars.var(&bytes_to_text(c0)).is_some(),
                Pred::Feature => feature_enabled(c0),
                Pred::Streq => c0 == cut_at_nul(a1),
                Pred::Strneq => c0 != cut_at_nul(a1),
                Pred::VersionAtleast => compare_current_version(c0) <= 0,
                Pred::VersionBefore => compare_current_version(c0) > 0,
            }
        }
    };
    v != t.neg
}

fn cut_at_nul(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&x| x == 0).unwrap_or(b.len())]
}

/// `feature(NAME)`: HAProxy searches NAME in its feature string and looks at the character
/// before each match. It answers true for an empty name, which we mimic.
pub fn feature_enabled(name: &[u8]) -> bool {
    if name.is_empty() {
        return true;
    }
    let hay = feature_string().into_bytes();
    let mut from = 0;
    while from + name.len() <= hay.len() {
        let Some(off) = hay[from..].windows(name.len()).position(|w| w == name) else {
            return false;
        };
        let p = from + off;
        let after = hay.get(p + name.len()).copied().unwrap_or(0);
        if p > 0 && (after == b' ' || after == 0) {
            match hay[p - 1] {
                b'+' => return true,
                b'-' => return false,
                _ => {}
            }
        }
        from = p + 1;
    }
    false
}

/// Evaluate a condition text. An empty condition is false.
pub fn eval(text: &str, vars: &dyn VarSource) -> Result<bool, CondError> {
    let bytes = text_to_bytes(text);
    let p = Parser { s: &bytes };
    if p.at(0) == 0 {
        return Ok(false);
    }
    let mut i = 0usize;
    match p.expr(&mut i, MAX_RECURSION)? {
        Some(e) => {
            let j = p.skip_blank(i);
            if p.at(j) != 0 {
                let ch = bytes_to_text(&[p.at(j)]);
                return Err(CondError {
                    msg: format!("unexpected character '{ch}' at the end of conditional expression '{text}'"),
                    pos: j,
                });
            }
            Ok(eval_expr(&e, vars))
        }
        None => Err(CondError { msg: format!("unparsable conditional expression '{text}'"), pos: i }),
    }
}

/// C `strtol(s, &end, 10)` stored into an `unsigned int`: the value and where parsing stopped
/// (the start when nothing was converted).
fn strtol10_u32(s: &[u8], start: usize) -> (u32, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = start;
    while is_c_space(at(i)) {
        i += 1;
    }
    let neg = at(i) == b'-';
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    if !at(i).is_ascii_digit() {
        return (0, start);
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    while at(i).is_ascii_digit() {
        let d = i64::from(at(i) - b'0');
        match v.checked_mul(10).and_then(|x| if neg { x.checked_sub(d) } else { x.checked_add(d) }) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        v = if neg { i64::MIN } else { i64::MAX };
    }
    (v as u32, i)
}

/// HAProxy's `split_version()`: major, minor, patch, build, stage (dev=0, pre=1, rc=2,
/// release=3), stage number, commits after the tag. `None` for an invalid string.
pub fn split_version(v: &[u8]) -> Option<[u32; 7]> {
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    let mut values = [0, 0, 0, 0, 3, 0, 0];
    if at(0) == 0 {
        return None;
    }
    let mut p = 0usize;
    for (k, slot) in values.iter_mut().take(4).enumerate() {
        let (n, end) = strtol10_u32(v, p);
        *slot = n;
        let c = at(end);
        p = end + 1;
        if c == 0 {
            return Some(values);
        }
        if c == b'-' {
            break;
        }
        if k == 3 || c != b'.' {
            return None;
        }
    }
    // Tag after the first '-'.
    let tail = &v[p.min(v.len())..];
    let stage = if tail.first().is_some_and(u8::is_ascii_digit) {
        None
    } else if tail.starts_with(b"dev") {
        Some((0, 3))
    } else if tail.starts_with(b"pre") {
        Some((1, 3))
    } else if tail.starts_with(b"rc") {
        Some((2, 2))
    } else {
        None
    };
    if let Some((st, skip)) = stage {
        values[4] = st;
        let (n, end) = strtol10_u32(v, p + skip);
        values[5] = n;
        let c = at(end);
        p = end + 1;
        if c == 0 {
            return Some(values);
        }
        if c != b'-' {
            return None;
        }
    }
    let rest = &v[p.min(v.len())..];
    let commit = match rest.iter().rposition(|&b| b == b'-') {
        Some(d) => &rest[d + 1..],
        None => rest,
    };
    if !commit.is_empty() {
        let (n, end) = strtol10_u32(commit, 0);
        values[6] = if end == commit.len() { n } else { 0 };
    }
    Some(values)
}

/// Like HAProxy's `compare_current_version()`: -1 when `v` is older than [`COMPAT_VERSION`]
/// (or invalid), 0 when equal, 1 when newer.
pub fn compare_current_version(v: &[u8]) -> i32 {
    let cur = split_version(COMPAT_VERSION.as_bytes()).unwrap_or([0; 7]);
    let Some(other) = split_version(v) else {
        return -1;
    };
    match other.cmp(&cur) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

#[cfg(test)]
#[path = "cond_tests.rs"]
mod tests;

//! `if|unless <condition>`: terms ANDed, `or`/`||` between suites, `!` negations, anonymous
//! `{ ... }` ACLs, named and predefined ACLs, as HAProxy's `parse_acl_cond`; and the checks
//! HAProxy runs on a parsed condition (keywords unusable where the rule runs, L6 fetches).

use super::parse::{
    default_acl, default_acl_words, expr_meta, parse_acl, Acl, AclError, AclExpr, AclWarning, ExprMeta,
};
use super::types::{Ctx, Uses};

/// `if` or `unless`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    If,
    Unless,
}

/// One ACL in a condition, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub neg: bool,
    pub acl: Acl,
}

/// A parsed condition: a disjunction of suites, each a conjunction of terms. An empty
/// condition (`if` alone) has no suite and is false before its polarity applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub polarity: Polarity,
    pub suites: Vec<Vec<Term>>,
}

/// The first word of a condition.
pub fn polarity(word: Option<&str>) -> Result<Polarity, AclError> {
    match word {
        Some("if") => Ok(Polarity::If),
        Some("unless") => Ok(Polarity::Unless),
        _ => Err(AclError::new("conditions must start with either 'if' or 'unless'", 0)),
    }
}

type Suites<N> = Vec<Vec<(bool, N)>>;
type NamedFn<'f, N> = dyn FnMut(&str, usize) -> Result<N, AclError> + 'f;
type AnonFn<'f, N> = dyn FnMut(&[&str], usize) -> Result<N, AclError> + 'f;

/// The term grammar. `words` follow `if`/`unless`; `at` is the index of `words[0]` in the
/// caller's numbering (for the word an error blames).
fn parse_terms<N>(
    words: &[&str],
    at: usize,
    named: &mut NamedFn<'_, N>,
    anon: &mut AnonFn<'_, N>,
) -> Result<Suites<N>, AclError> {
    let mut suites: Suites<N> = Vec::new();
    let mut cur: Option<Vec<(bool, N)>> = None;
    let mut neg = false;
    let mut i = 0;
    while i < words.len() && !words[i].is_empty() {
        let mut word = words[i];
        while let Some(rest) = word.strip_prefix('!') {
            neg = !neg;
            word = rest;
        }
        // A lone `!` is allowed: it negates the next term.
        if word.is_empty() {
            i += 1;
            continue;
        }
        if word.eq_ignore_ascii_case("or") || word == "||" {
            if let Some(s) = cur.take() {
                suites.push(s);
            }
            neg = false;
            i += 1;
            continue;
        }
        let n = if word == "{" {
            let Some(end) = words[i + 1..].iter().position(|w| w.is_empty() || *w == "}").map(|p| i + 1 + p) else {
                return Err(AclError::new("missing closing '}' in condition", at + i));
            };
            if words[end].is_empty() {
                return Err(AclError::new("missing closing '}' in condition", at + i));
            }
            let n = anon(&words[i + 1..end], at + i + 1)?;
            i = end;
            n
        } else {
            named(word, at + i)?
        };
        cur.get_or_insert_with(Vec::new).push((neg, n));
        neg = false;
        i += 1;
    }
    if let Some(s) = cur {
        suites.push(s);
    }
    Ok(suites)
}

fn no_such_acl(name: &str, word: usize) -> AclError {
    AclError::new(format!("no such ACL : '{name}'"), word)
}

/// What a rule handler learns from checking a condition at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondInfo {
    pub polarity: Polarity,
    pub suites: Vec<Vec<TermInfo>>,
}

/// A term of a checked condition: the ACL's name (empty when anonymous) and its expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermInfo {
    pub neg: bool,
    pub name: String,
    pub exprs: Vec<ExprMeta>,
}

/// Check a condition the way HAProxy parses it while reading a rule. `words[0]` must be `if`
/// or `unless`. `known` answers for the ACLs defined so far in the proxy (the metadata of each
/// of their lines, see [`expr_meta`]); predefined ACLs are found when it does not know a name.
/// Anonymous ACLs are parsed in full, which may read pattern files.
pub fn check_condition<S: AsRef<str>>(
    words: &[S],
    known: &dyn Fn(&str) -> Option<Vec<ExprMeta>>,
    used_ids: &[i64],
    warnings: &mut Vec<AclWarning>,
) -> Result<CondInfo, AclError> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    let pol = polarity(words.first().copied())?;
    let mut named = |name: &str, w: usize| -> Result<TermInfo, AclError> {
        let exprs = match known(name) {
            Some(e) => e,
            None => {
                let def = default_acl_words(name).ok_or_else(|| no_such_acl(name, w))?;
                expr_meta(def).into_iter().collect()
            }
        };
        Ok(TermInfo { neg: false, name: name.to_string(), exprs })
    };
    let mut anon = |ws: &[&str], at: usize| -> Result<TermInfo, AclError> {
        let p = parse_acl("", ws, used_ids, warnings).map_err(|e| e.shift(at))?;
        Ok(TermInfo { neg: false, name: String::new(), exprs: vec![p.expr.meta()] })
    };
    let suites = parse_terms(&words[1..], 1, &mut named, &mut anon)?;
    let suites = suites
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|(neg, mut t)| {
                    t.neg = neg;
                    t
                })
                .collect()
        })
        .collect();
    Ok(CondInfo { polarity: pol, suites })
}

/// A keyword of a condition that cannot work where the rule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The ACL's name; `None` for an anonymous ACL.
    pub acl: Option<String>,
    /// The keyword HAProxy names.
    pub kw: &'static str,
    /// True when no keyword of the ACL can work there (the ACL never matches).
    pub never: bool,
    pub place: Ctx,
}

impl Conflict {
    /// HAProxy's `warnif_cond_conflicts` wording (use_backend, use-server, http rules, ...).
    pub fn message(&self) -> String {
        let place = self.place.name();
        match (&self.acl, self.never) {
            (Some(a), true) => {
                format!(
                    "acl '{a}' will never match because it only involves keywords that are incompatible with '{place}'"
                )
            }
            (None, true) => format!(
                "anonymous acl will never match because it uses keyword '{}' which is incompatible with '{place}'",
                self.kw
            ),
            (Some(a), false) => {
                format!("acl '{a}' involves keywords '{}' which is incompatible with '{place}'", self.kw)
            }
            (None, false) => {
                format!("anonymous acl involves keyword '{}' which is incompatible with '{place}'", self.kw)
            }
        }
    }

    /// The wording of `tcp-request`/`tcp-response` rules, which name the rule (`rule` is for
    /// example `tcp-request connection`).
    pub fn tcp_message(&self, rule: &str) -> String {
        let place = self.place.name();
        match (&self.acl, self.never) {
            (Some(a), true) => format!(
                "acl '{a}' will never match in '{rule}' because it only involves keywords that are incompatible with '{place}'"
            ),
            (None, true) => format!(
                "anonymous acl will never match in '{rule}' because it uses keyword '{}' which is incompatible with '{place}'",
                self.kw
            ),
            (Some(a), false) => format!("acl '{a}' involves keyword '{}' which is incompatible with '{place}'", self.kw),
            (None, false) => format!("anonymous acl involves keyword '{}' which is incompatible with '{place}'", self.kw),
        }
    }
}

/// `acl_cond_conflicts` then `acl_cond_kw_conflicts` over terms given as (name, expressions).
fn find_conflict<'a>(terms: impl Iterator<Item = (&'a str, Vec<ExprMeta>)> + Clone, place: Ctx) -> Option<Conflict> {
    let name = |n: &str| if n.is_empty() { None } else { Some(n.to_string()) };
    for (n, exprs) in terms.clone() {
        let val = exprs.iter().fold(Ctx::default(), |v, e| v | e.val);
        if !val.intersects(place) {
            let kw = exprs.first().map(|e| e.kw).unwrap_or("");
            return Some(Conflict { acl: name(n), kw, never: true, place });
        }
    }
    for (n, exprs) in terms {
        if let Some(e) = exprs.iter().find(|e| !e.val.intersects(place)) {
            return Some(Conflict { acl: name(n), kw: e.kw, never: false, place });
        }
    }
    None
}

impl CondInfo {
    fn terms(&self) -> impl Iterator<Item = &TermInfo> + Clone {
        self.suites.iter().flatten()
    }
    /// The first keyword HAProxy would warn about for a rule running at `place`.
    pub fn conflict(&self, place: Ctx) -> Option<Conflict> {
        find_conflict(self.terms().map(|t| (t.name.as_str(), t.exprs.clone())), place)
    }
    /// Whether a fetch needs layer-6 contents ("L6 sample fetches ignored on HTTP proxies").
    pub fn uses_l6(&self) -> bool {
        self.terms().flat_map(|t| &t.exprs).any(|e| e.uses != Uses::NONE)
    }
}

impl Condition {
    fn terms(&self) -> impl Iterator<Item = &Term> + Clone {
        self.suites.iter().flatten()
    }
    pub fn conflict(&self, place: Ctx) -> Option<Conflict> {
        find_conflict(
            self.terms().map(|t| (t.acl.name.as_str(), t.acl.exprs.iter().map(AclExpr::meta).collect())),
            place,
        )
    }
    pub fn uses_l6(&self) -> bool {
        self.terms().flat_map(|t| &t.acl.exprs).any(|e| e.smp.fetch.uses != Uses::NONE)
    }
    /// Every ACL expression of the condition.
    pub fn exprs(&self) -> impl Iterator<Item = &AclExpr> {
        self.suites.iter().flatten().flat_map(|t| &t.acl.exprs)
    }
    /// Every ACL expression, mutably (to resolve references).
    pub fn exprs_mut(&mut self) -> impl Iterator<Item = &mut AclExpr> {
        self.suites.iter_mut().flatten().flat_map(|t| &mut t.acl.exprs)
    }
}

/// The ACL lines of a proxy, each parsed once, to build the conditions of its rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclTable {
    lines: Vec<(String, AclExpr)>,
    /// Line indexes of each name, in order.
    by_name: std::collections::HashMap<String, Vec<usize>>,
}

impl AclTable {
    /// Parse `acl` lines in order, as (name, words from the criterion on). Fails on the first
    /// line HAProxy would refuse, with its index.
    pub fn build<'a, S: AsRef<str> + 'a>(
        defs: impl IntoIterator<Item = (&'a str, &'a [S])>,
    ) -> Result<AclTable, (usize, AclError)> {
        let mut lines = Vec::new();
        let mut ids = Vec::new();
        for (i, (name, words)) in defs.into_iter().enumerate() {
            let ws: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
            let p = parse_acl(name, &ws, &ids, &mut Vec::new()).map_err(|e| (i, e))?;
            ids.extend(p.unique_id);
            lines.push((name.to_string(), p.expr));
        }
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
        for (i, (n, _)) in lines.iter().enumerate() {
            by_name.entry(n.clone()).or_default().push(i);
        }
        Ok(AclTable { lines, by_name })
    }

    fn indexes(&self, name: &str) -> &[usize] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }
    /// The expressions of every line named `name`, in order.
    pub fn named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s AclExpr> + 's {
        self.indexes(name).iter().map(|&i| &self.lines[i].1)
    }
    /// The parsed expression of every line, in order, mutably (to resolve references).
    pub fn exprs_mut(&mut self) -> impl Iterator<Item = &mut AclExpr> {
        self.lines.iter_mut().map(|(_, e)| e)
    }
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Build the condition of a rule that HAProxy read after the first `known_before` ACL
    /// lines. `words[0]` is `if` or `unless`. A name refers to every line of that name, even
    /// later ones (HAProxy appends them to the same ACL); a predefined ACL used before any
    /// line of its name keeps its definition and gains the later lines.
    pub fn condition<S: AsRef<str>>(&self, known_before: usize, words: &[S]) -> Result<Condition, AclError> {
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let pol = polarity(words.first().copied())?;
        let known = known_before.min(self.lines.len());
        let mut named = |name: &str, w: usize| -> Result<Acl, AclError> {
            let idx = self.indexes(name);
            let exprs = idx.iter().map(|&i| self.lines[i].1.clone());
            if idx.first().is_some_and(|&i| i < known) {
                return Ok(Acl { name: name.to_string(), exprs: exprs.collect() });
            }
            let mut acl = default_acl(name).ok_or_else(|| no_such_acl(name, w))?;
            acl.exprs.extend(exprs);
            Ok(acl)
        };
        let mut anon = |ws: &[&str], at: usize| -> Result<Acl, AclError> {
            let p = parse_acl("", ws, &[], &mut Vec::new()).map_err(|e| e.shift(at))?;
            Ok(Acl { name: String::new(), exprs: vec![p.expr] })
        };
        let suites = parse_terms(&words[1..], 1, &mut named, &mut anon)?;
        let suites = suites.into_iter().map(|s| s.into_iter().map(|(neg, acl)| Term { neg, acl }).collect()).collect();
        Ok(Condition { polarity: pol, suites })
    }
}

/// Build a condition against ACL lines (name, words) of which the first `known_before` were
/// defined before the rule. See [`AclTable::condition`].
pub fn compile_condition<'a, S: AsRef<str> + 'a, W: AsRef<str>>(
    acls: &'a [(&'a str, &'a [S])],
    known_before: usize,
    words: &[W],
) -> Result<Condition, AclError> {
    let table = AclTable::build(acls.iter().copied()).map_err(|(_, e)| e)?;
    table.condition(known_before, words)
}

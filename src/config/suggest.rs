//! HAProxy's "did you mean" for an unknown keyword, exactly as 2.6 computes it, and the ordered
//! candidate lists of every context where it prints one.
//!
//! Each word is fingerprinted by its character transitions (32 classes: 26 letters, digits, and
//! one class for anything else, which also marks the word's begin and end) plus a presence bit per
//! class; the distance is the sum of absolute differences. Candidates are tried in order and a
//! later one wins only when strictly closer, so the order of a list decides ties: it is HAProxy's
//! registration order (keyword lists in link order, then the hard-coded extra words), derived
//! from 111 529 suggestions recorded from the binary (`testdata/suggest/`). The winner is dropped
//! when its distance exceeds twice the length of the word or of itself (three times for actions
//! that match by prefix, such as `set-var`).

/// One context's candidates, in HAProxy's order.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub name: &'static str,
    pub words: &'static [&'static str],
    /// Candidates that HAProxy matches by prefix (`set-var(...)`): they get a looser threshold.
    pub prefix: &'static [&'static str],
}

impl Context {
    /// The suggestion for an unknown `word` in this context, if HAProxy would print one.
    pub fn suggest(&self, word: &str) -> Option<&'static str> {
        suggest(word, self.words.iter().copied(), self.prefix)
    }
}

/// Class of a byte: 1..=26 letters (case-insensitive), 27 digits, 28 anything else.
fn class(b: u8) -> usize {
    match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
        b'0'..=b'9' => 27,
        _ => 28,
    }
}

/// The fingerprint, sparse: `(index, count)` sorted by index, where index `32 * from + to` counts
/// the transitions between classes (28 also stands for the begin and the end of the word) and
/// indexes 1..=28 (row 0) mark which classes occur at all.
pub fn fingerprint(word: &str) -> Vec<(u16, u8)> {
    let mut fp: Vec<(u16, u8)> = Vec::with_capacity(2 * word.len() + 1);
    let mut bump = |i: usize, set: bool| match fp.iter_mut().find(|(k, _)| *k as usize == i) {
        Some((_, n)) if set => *n = 1,
        Some((_, n)) => *n = n.wrapping_add(1),
        None => fp.push((i as u16, 1)),
    };
    let mut from = 28;
    for &b in word.as_bytes() {
        let to = class(b);
        bump(to, true);
        bump(32 * from + to, false);
        from = to;
    }
    bump(32 * from + 28, false);
    fp.sort_unstable();
    fp
}

/// Sum of the absolute differences of two fingerprints.
pub fn distance(a: &[(u16, u8)], b: &[(u16, u8)]) -> usize {
    let (mut i, mut j, mut d) = (0, 0, 0usize);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                d += (x.1 as i32 - y.1 as i32).unsigned_abs() as usize;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                d += x.1 as usize;
                i += 1;
            }
            (Some(x), None) => {
                d += x.1 as usize;
                i += 1;
            }
            (_, Some(y)) => {
                d += y.1 as usize;
                j += 1;
            }
            (None, None) => break,
        }
    }
    d
}

/// HAProxy's best match among `candidates` (in order), or `None` when even the best is too far.
/// `prefix` lists the candidates allowed three times the usual distance.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, prefix: &[&str]) -> Option<&'a str> {
    pick(word, candidates.into_iter().map(|c| (c, fingerprint(c))), prefix)
}

/// [`suggest`] with the candidates' fingerprints already made.
fn pick<'a, F: AsRef<[(u16, u8)]>>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'a str, F)>,
    prefix: &[&str],
) -> Option<&'a str> {
    let wfp = fingerprint(word);
    let mut best: Option<(usize, &'a str)> = None;
    for (c, fp) in candidates {
        let d = distance(&wfp, fp.as_ref());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let factor = if prefix.contains(&c) { 3 } else { 2 };
    (d <= factor * word.len() && d <= factor * c.len()).then_some(c)
}

mod actions;
mod words;
pub use actions::*;
pub use words::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> String {
        let path = format!("{}/testdata/suggest/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every recorded unknown word of every context gets exactly HAProxy's suggestion (or none).
    #[test]
    fn reproduces_every_recorded_suggestion() {
        let words = data("words.txt");
        let mut total = 0;
        let mut wrong = Vec::new();
        for ctx in CONTEXTS {
            let text = data(&format!("{}.tsv", ctx.name.replace(' ', "-")));
            let mut expected: Vec<(&str, &str)> = Vec::new();
            let only_listed = text.lines().any(|l| l == "#only-listed");
            let listed: std::collections::HashMap<&str, &str> =
                text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t')).collect();
            if only_listed {
                expected.extend(listed.iter().map(|(w, s)| (*w, *s)));
            } else {
                for w in words.lines() {
                    match listed.get(w) {
                        Some(&"!") => {}
                        Some(s) => expected.push((w, s)),
                        None => expected.push((w, "")),
                    }
                }
            }
            let fps: Vec<_> = ctx.words.iter().map(|c| (*c, fingerprint(c))).collect();
            for (w, s) in expected {
                total += 1;
                let got = pick(w, fps.iter().map(|(c, f)| (*c, f)), ctx.prefix).unwrap_or("");
                if got != s {
                    wrong.push(format!("{}: {w:?} -> {got:?}, HAProxy {s:?}", ctx.name));
                }
            }
        }
        assert!(total > 100_000, "expected the recorded vectors, found {total}");
        assert!(wrong.is_empty(), "{} of {total} differ:\n{}", wrong.len(), wrong[..wrong.len().min(40)].join("\n"));
    }

    #[test]
    fn examples() {
        assert_eq!(GLOBAL.suggest("maxconnn"), Some("maxconn"));
        assert_eq!(GLOBAL.suggest("balance"), Some("ca-base"));
        assert_eq!(GLOBAL.suggest("51degrees-cache-size"), Some("tune.ssl.cachesize"));
        assert_eq!(GLOBAL.suggest("able"), None);
        assert_eq!(GLOBAL.suggest("done"), Some("node"));
    }
}

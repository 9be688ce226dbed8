//! Running a scenario once per implementation and comparing what each produced, with failure
//! messages that show where two texts first differ.

use super::proc::Impl;

/// Run `f` for each implementation, oracle first: `let [theirs, ours] = both(|imp| ...)`.
/// Scenarios that bind ports should allocate them inside `f` so both runs never collide.
pub fn both<T>(mut f: impl FnMut(Impl) -> T) -> [T; 2] {
    [f(Impl::HAProxy), f(Impl::Haproxide)]
}

/// Where two texts first differ, as a readable report (None if equal).
pub fn text_diff(oracle: &str, ours: &str) -> Option<String> {
    if oracle == ours {
        return None;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (oracle.split_inclusive('\n').collect(), ours.split_inclusive('\n').collect());
    let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let from = first.saturating_sub(2);
    let mut s = format!("first difference at line {}:\n", first + 1);
    for (tag, lines) in [("haproxy  ", &a), ("haproxide", &b)] {
        for (i, l) in lines.iter().enumerate().skip(from).take(first - from + 3) {
            let mark = if i == first { ">" } else { " " };
            s.push_str(&format!("{mark} {tag} {:>4} | {:?}\n", i + 1, l));
        }
        if lines.len() <= first {
            s.push_str(&format!("> {tag}  EOF | ({} lines)\n", lines.len()));
        }
    }
    Some(s)
}

/// Assert that haproxide's `ours` equals haproxy's `oracle` for `what` (a short description of
/// the observation), showing the first differing line on failure.
#[track_caller]
pub fn assert_same(what: &str, oracle: &str, ours: &str) {
    if let Some(d) = text_diff(oracle, ours) {
        panic!("{what}: haproxide differs from haproxy\n{d}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_points_at_first_differing_line() {
        assert_eq!(text_diff("a\nb\n", "a\nb\n"), None);
        let d = text_diff("a\nb\nc\n", "a\nB\nc\n").unwrap();
        assert!(d.starts_with("first difference at line 2:"), "{d}");
        assert!(d.contains("> haproxy      2 | \"b\\n\""), "{d}");
        assert!(d.contains("> haproxide    2 | \"B\\n\""), "{d}");
        assert!(text_diff("a\n", "a\nextra\n").unwrap().contains("EOF"));
        assert_eq!(both(|imp| imp.name()), ["haproxy", "haproxide"]);
        assert!(std::panic::catch_unwind(|| assert_same("x", "1", "2")).is_err());
    }
}

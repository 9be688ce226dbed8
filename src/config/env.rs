//! The environment as the configuration sees it while it is read: HAProxy runs the global
//! `setenv`, `presetenv`, `unsetenv` and `resetenv` lines as it parses them, so `${VAR}` and
//! `.if defined(VAR)` on later lines (and in later files) see their effect. The overlay records
//! those changes on top of the process environment without touching it; the process applies
//! it for real once, before it starts threads ([`EnvOverlay::apply_to_process`]).

use std::collections::{BTreeMap, BTreeSet};

/// Changes made by the configuration to the process environment, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvOverlay {
    /// Variables set (`Some`) or removed (`None`) by the configuration.
    changed: BTreeMap<String, Option<String>>,
    /// After `resetenv`: the only process variables still visible.
    kept: Option<BTreeSet<String>>,
}

impl EnvOverlay {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.kept.is_none()
    }

    /// `getenv()` as it would answer after the changes so far.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.changed.get(name) {
            return v.clone();
        }
        if self.kept.as_ref().is_some_and(|k| !k.contains(name)) {
            return None;
        }
        super::lex::getenv(name)
    }

    /// `setenv(name, value, overwrite)`; like libc, an invalid name changes nothing.
    pub fn set(&mut self, name: &str, value: &str, overwrite: bool) {
        if !valid_name(name) || (!overwrite && self.get(name).is_some()) {
            return;
        }
        self.changed.insert(name.to_string(), Some(value.to_string()));
    }

    pub fn unset(&mut self, name: &str) {
        if !valid_name(name) {
            return;
        }
        self.changed.insert(name.to_string(), None);
    }

    /// `resetenv [<name>...]`: everything goes except the names listed.
    pub fn reset(&mut self, keep: &[&str]) {
        let keep: BTreeSet<String> = keep.iter().map(|s| s.to_string()).collect();
        self.changed.retain(|k, _| keep.contains(k));
        self.kept = Some(match self.kept.take() {
            Some(old) => old.intersection(&keep).cloned().collect(),
            None => keep,
        });
    }

    /// Run one global line if it changes the environment; words are the keyword and its
    /// arguments. Lines HAProxy would reject (missing or extra arguments) change nothing.
    pub fn run_line(&mut self, words: &[&str]) {
        let arg = |i: usize| words.get(i).copied().unwrap_or("");
        match arg(0) {
            "setenv" | "presetenv" if !arg(1).is_empty() && !arg(2).is_empty() && arg(3).is_empty() => {
                self.set(arg(1), arg(2), arg(0) == "setenv");
            }
            "unsetenv" => words[1..].iter().take_while(|w| !w.is_empty()).for_each(|w| self.unset(w)),
            "resetenv" => {
                let keep: Vec<&str> = words[1..].iter().copied().take_while(|w| !w.is_empty()).collect();
                self.reset(&keep);
            }
            _ => {}
        }
    }

    /// Make the process environment what the configuration asked for. Call it before any
    /// thread starts: changing the environment races with readers in other threads.
    pub fn apply_to_process(&self) {
        if let Some(kept) = &self.kept {
            for (k, _) in std::env::vars_os() {
                if k.to_str().is_none_or(|k| !kept.contains(k)) {
                    std::env::remove_var(&k);
                }
            }
        }
        for (k, v) in &self.changed {
            match v {
                // A value is a C string: it ends at its first NUL, as HAProxy's setenv() sees it.
                Some(v) => std::env::set_var(k, v.split('\0').next().unwrap_or("")),
                None => std::env::remove_var(k),
            }
        }
    }
}

/// What libc's `setenv`/`unsetenv` accept as a name (anything else fails with EINVAL, and
/// would make `std::env::set_var` panic).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

thread_local! {
    /// The overlay in force while a configuration is turned into IR on this thread.
    static CURRENT: std::cell::RefCell<Option<EnvOverlay>> = const { std::cell::RefCell::new(None) };
}

/// Run `f` with `overlay` as the environment [`lookup`] sees on this thread. The IR reads
/// addresses after the whole configuration was read, and HAProxy expands variables in them
/// with the environment the `setenv` lines made.
pub fn with_overlay<T>(overlay: &EnvOverlay, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(overlay.clone())));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// `getenv()` through the overlay set by [`with_overlay`], if any.
pub fn lookup(name: &str) -> Option<String> {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(o) => o.get(name),
        None => super::lex::getenv(name),
    })
}

/// The machine's host name (`gethostname`), HAProxy's default for `node`, `localpeer`,
/// `log-send-hostname` and the email alerts' HELO; empty when it cannot be read.
pub fn hostname() -> String {
    nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&[&str]]) -> EnvOverlay {
        let mut e = EnvOverlay::default();
        for l in lines {
            e.run_line(l);
        }
        e
    }

    #[test]
    fn set_preset_unset_reset() {
        let e = run(&[&["setenv", "HAPROXIDE_T1", "a"], &["presetenv", "HAPROXIDE_T1", "b"]]);
        assert_eq!(e.get("HAPROXIDE_T1").as_deref(), Some("a"));
        let e = run(&[
            &["presetenv", "HAPROXIDE_T2", "b"],
            &["setenv", "HAPROXIDE_T3", "c"],
            &["unsetenv", "HAPROXIDE_T2"],
        ]);
        assert_eq!((e.get("HAPROXIDE_T2"), e.get("HAPROXIDE_T3").as_deref()), (None, Some("c")));
        // PATH is always set in a test environment.
        let e = run(&[&["setenv", "HAPROXIDE_T4", "d"], &["resetenv", "HAPROXIDE_T4"]]);
        assert_eq!((e.get("PATH"), e.get("HAPROXIDE_T4").as_deref()), (None, Some("d")));
        let e = run(&[&["resetenv"], &["setenv", "HAPROXIDE_T5", "e"]]);
        assert_eq!(e.get("HAPROXIDE_T5").as_deref(), Some("e"));
        assert!(e.get("PATH").is_none());
    }

    #[test]
    fn lookup_sees_the_overlay_only_inside() {
        let e = run(&[&["setenv", "HAPROXIDE_T7", "x"]]);
        assert_eq!(with_overlay(&e, || lookup("HAPROXIDE_T7")).as_deref(), Some("x"));
        assert_eq!(lookup("HAPROXIDE_T7"), None);
    }

    #[test]
    fn rejected_lines_change_nothing() {
        let e = run(&[
            &["setenv", "HAPROXIDE_T6"],
            &["setenv", "HAPROXIDE_T6", "a", "b"],
            &["setenv", "", "x"],
            &["setenv", "A=B", "x"],
            &["unsetenv", "A=B"],
        ]);
        assert!(e.is_empty());
    }
}

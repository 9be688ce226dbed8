//! `haproxy -c` parity over the config corpus: for every testdata/configs/{ok,err}/*.cfg both
//! implementations must give the same exit status and, for failing configs, the same `file:line`
//! in the first `[ALERT]` line that has a location (or both none).
//!
//! The corpus itself is checked against the oracle too: ok/ configs exit 0 under haproxy (or 2
//! when a `<name>.exit2` marker says the config deliberately has no listener), err/ configs exit
//! non-zero.
//!
//! testdata/configs/KNOWN_MISMATCHES lists configs known not to match yet (`<kind>/<name>.cfg
//! <reason>`). They are tolerated and reported; a listed config that starts matching fails the
//! test so the list only shrinks. `UPDATE_KNOWN_MISMATCHES=1 cargo test --test compat
//! check_verdicts` rewrites the list from the current results (keeping existing reasons).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::harness::normalize::{first_alert_location, first_located_alert, Location};
use crate::harness::proc::{check_file, Impl, Output};
use crate::harness::testdata;

const KINDS: [&str; 2] = ["ok", "err"];

/// One corpus config: `<kind>/<name>.cfg` relative to testdata/configs.
#[derive(Debug, Clone)]
struct Case {
    rel: String,
    kind: &'static str,
    expect_exit2: bool,
}

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in KINDS {
        let dir = testdata("configs").join(kind);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
            .collect();
        names.sort();
        for p in names {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            cases.push(Case { rel: format!("{kind}/{name}"), kind, expect_exit2: p.with_extension("exit2").exists() });
        }
    }
    cases
}

struct Verdict {
    case: Case,
    oracle: Output,
    ours: Output,
}

fn code(o: &Output) -> String {
    o.code.map_or_else(|| "killed (timeout or signal)".to_string(), |c| c.to_string())
}

/// The message of an alert line without its tag, pid, `config :` context and location prefix,
/// shortened: what a reader of the mismatch list needs to recognise the problem.
fn short_msg(line: &str) -> String {
    let mut t = line.splitn(3, " : ").nth(2).unwrap_or(line);
    t = t.strip_prefix("config : ").unwrap_or(t);
    for prefix in ["parsing [", "Parsing [", "["] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if let Some(i) = rest.find(']') {
                t = rest[i + 1..].trim_start_matches([' ', ':']);
            }
            break;
        }
    }
    let mut t = t.to_string();
    if t.chars().count() > 72 {
        t = t.chars().take(69).collect::<String>() + "...";
    }
    t
}

/// The first ALERT with a location, else the first ALERT, shortened.
fn first_alert_msg(stderr: &str) -> Option<String> {
    first_located_alert(stderr)
        .or_else(|| stderr.lines().find(|l| l.starts_with("[ALERT]")).map(String::from))
        .map(|l| short_msg(&l))
}

fn line_of(l: &Option<Location>) -> String {
    l.as_ref().map_or_else(|| "none".to_string(), |l| format!("line {}", l.line))
}

impl Verdict {
    /// Problems with the corpus itself (never tolerated).
    fn corpus_problem(&self) -> Option<String> {
        let c = self.oracle.code;
        match self.case.kind {
            "ok" if self.case.expect_exit2 && c != Some(2) => {
                Some(format!("has a .exit2 marker but haproxy exits {}", code(&self.oracle)))
            }
            "ok" if !self.case.expect_exit2 && c != Some(0) => Some(format!(
                "is in ok/ but haproxy exits {}{}",
                code(&self.oracle),
                first_alert_msg(&self.oracle.stderr).map(|m| format!(": {m}")).unwrap_or_default()
            )),
            "err" if c == Some(0) || c == Some(2) => {
                Some(format!("is in err/ but haproxy accepts it (exit {})", code(&self.oracle)))
            }
            _ => None,
        }
    }

    /// A parity mismatch, described with a short reason.
    fn mismatch(&self) -> Option<String> {
        let (h, o) = (&self.oracle, &self.ours);
        let fails = |c: Option<i32>| c != Some(0) && c != Some(2);
        let none = || "no ALERT".to_string();
        if h.code != o.code {
            return Some(match (fails(h.code), fails(o.code)) {
                (false, true) => format!(
                    "rejects a valid config (exit {}): {}",
                    code(o),
                    first_alert_msg(&o.stderr).unwrap_or_else(none)
                ),
                (true, false) => format!(
                    "accepts an invalid config (exit {}); haproxy: {}",
                    code(o),
                    first_alert_msg(&h.stderr).unwrap_or_else(none)
                ),
                _ => format!("exit haproxy={} haproxide={}", code(h), code(o)),
            });
        }
        if !fails(h.code) {
            return None;
        }
        let (lh, lo) = (first_alert_location(&h.stderr), first_alert_location(&o.stderr));
        if lh != lo {
            return Some(format!(
                "first located ALERT: haproxide {} \"{}\" vs haproxy {} \"{}\"",
                line_of(&lo),
                first_alert_msg(&o.stderr).unwrap_or_else(none),
                line_of(&lh),
                first_alert_msg(&h.stderr).unwrap_or_else(none)
            ));
        }
        None
    }
}

fn run_all(cases: Vec<Case>) -> Vec<Verdict> {
    let cwd = testdata("configs");
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let oracle = check_file(Impl::HAProxy, &cwd, &case.rel);
                let ours = check_file(Impl::Haproxide, &cwd, &case.rel);
                results.lock().unwrap().push(Verdict { case: case.clone(), oracle, ours });
            });
        }
    });
    let mut v = results.into_inner().unwrap();
    v.sort_by(|a, b| a.case.rel.cmp(&b.case.rel));
    v
}

fn known_path() -> PathBuf {
    testdata("configs/KNOWN_MISMATCHES")
}

/// `<kind>/<name>.cfg` -> reason, from the KNOWN_MISMATCHES file (`#` comments, blank lines).
fn read_known(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((n, r)) => (n.to_string(), r.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

fn write_known(path: &Path, entries: &BTreeMap<String, String>) {
    let mut s = String::from(
        "# Configs whose `-c` verdict does not match haproxy's yet, with the reason.\n\
         # Format: <kind>/<name>.cfg <reason>. compat-tests/scenarios/check_verdicts.rs tolerates\n\
         # these and fails when one starts matching, so this list only shrinks.\n\
         # Regenerate: UPDATE_KNOWN_MISMATCHES=1 cargo test --test compat check_verdicts\n",
    );
    for (name, reason) in entries {
        s.push_str(&format!("{name} {reason}\n"));
    }
    std::fs::write(path, s).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[test]
fn check_verdicts_match_haproxy() {
    crate::require_haproxy!();
    let cases = corpus();
    assert!(!cases.is_empty(), "no configs under testdata/configs/{{ok,err}}");
    let verdicts = run_all(cases);
    let known = read_known(&known_path());

    let mut corpus_problems = Vec::new();
    let mut mismatches = BTreeMap::new();
    for v in &verdicts {
        if let Some(p) = v.corpus_problem() {
            corpus_problems.push(format!("  {} {p}", v.case.rel));
        }
        if let Some(m) = v.mismatch() {
            mismatches.insert(v.case.rel.clone(), m);
        }
    }

    if std::env::var_os("UPDATE_KNOWN_MISMATCHES").is_some() {
        let updated: BTreeMap<String, String> = mismatches
            .iter()
            .map(|(n, m)| (n.clone(), known.get(n).filter(|r| !r.is_empty()).cloned().unwrap_or_else(|| m.clone())))
            .collect();
        write_known(&known_path(), &updated);
        eprintln!("check_verdicts: wrote {} entries to {}", updated.len(), known_path().display());
    }

    let all: std::collections::BTreeSet<&String> = verdicts.iter().map(|v| &v.case.rel).collect();
    let unexpected: Vec<String> =
        mismatches.iter().filter(|(n, _)| !known.contains_key(*n)).map(|(n, m)| format!("  {n}: {m}")).collect();
    let fixed: Vec<String> = known
        .keys()
        .filter(|n| all.contains(n) && !mismatches.contains_key(*n))
        .map(|n| format!("  {n} (now matches: remove it from KNOWN_MISMATCHES)"))
        .collect();
    let stale: Vec<String> =
        known.keys().filter(|n| !all.contains(n)).map(|n| format!("  {n} (no such config)")).collect();
    let tolerated: Vec<String> =
        mismatches.iter().filter(|(n, _)| known.contains_key(*n)).map(|(n, m)| format!("  {n}: {m}")).collect();

    let ok_count = verdicts.iter().filter(|v| v.case.kind == "ok").count();
    let summary = format!(
        "check_verdicts: {} configs ({} ok/, {} err/), {} match, {} known mismatches tolerated",
        verdicts.len(),
        ok_count,
        verdicts.len() - ok_count,
        verdicts.len() - mismatches.len(),
        tolerated.len()
    );
    eprintln!("{summary}");
    if !tolerated.is_empty() {
        eprintln!("known mismatches (testdata/configs/KNOWN_MISMATCHES):\n{}", tolerated.join("\n"));
    }

    let updating = std::env::var_os("UPDATE_KNOWN_MISMATCHES").is_some();
    let mut failure = String::new();
    if !corpus_problems.is_empty() {
        failure += &format!("corpus configs that disagree with their directory:\n{}\n", corpus_problems.join("\n"));
    }
    if !updating {
        if !unexpected.is_empty() {
            failure += &format!("mismatches with haproxy -c (not in KNOWN_MISMATCHES):\n{}\n", unexpected.join("\n"));
        }
        if !fixed.is_empty() {
            failure += &format!("listed in KNOWN_MISMATCHES but matching now:\n{}\n", fixed.join("\n"));
        }
        if !stale.is_empty() {
            failure += &format!("listed in KNOWN_MISMATCHES but absent:\n{}\n", stale.join("\n"));
        }
    }
    assert!(failure.is_empty(), "{summary}\n{failure}");
}

/// `log` target addresses are read by the same parser in `global` and in proxies: environment
/// variables left in the word are expanded, and the address errors end with HAProxy's blank
/// line, in both places. The whole `-c` output is compared.
#[test]
fn log_target_address_errors() {
    crate::require_haproxy!();
    let cfg = "global\n  log nosuch.invalid:514 local0\n  log '${HAPROXIDE_UNSET_VAR}' local0\ndefaults\n  mode http\n\
               frontend fe\n  bind 127.0.0.1:1\n  log nosuch.invalid:514 local0\n  log '${HAPROXIDE_UNSET_VAR}' local0\n";
    let [o, h] = crate::harness::compare::both(|imp| {
        let out = crate::harness::proc::check_config(imp, cfg);
        format!("exit {:?}\n{}", out.code, crate::harness::normalize::check_stderr(&out.stderr))
    });
    assert!(o.contains("resolves to an empty address"), "{o}");
    crate::harness::compare::assert_same("log target errors", &o, &h);
}

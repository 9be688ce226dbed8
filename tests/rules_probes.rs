//! Replays the rule-family probes (`testdata/configs/probes/rules/*.cfg`: http-request,
//! http-response, http-after-response, tcp-request, tcp-response, redirect, filter) through the
//! built `haproxide -c -f` and compares each verdict with HAProxy 2.6.12's, recorded in
//! `EXPECTED` by `scripts/record-probes-rules`: the exit code, the `file:line` of the first
//! `[ALERT]` line (or none), and that line's text.
//!
//! `KNOWN_FAILURES` lists the probes that do not match yet, with the kind of difference (`exit`,
//! `where`, `text`). They are tolerated; a listed probe that starts matching (or changes kind)
//! fails the test so that the list only shrinks. `UPDATE_PROBE_FAILURES=1 cargo test --test
//! rules_probes` rewrites the list from the current results.

#[path = "probe_support/mod.rs"]
mod probe_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use probe_support::{expected, hide_pid, location, run_all, verdict, Probe, Verdict};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/configs/probes/rules")
}

/// `None` when the probe matches, else the kind of difference and the details.
fn run(p: &Probe) -> Option<(&'static str, String)> {
    let Verdict { rc, first, loc } = verdict(&dir(), &p.name);
    let first = first.unwrap_or_else(|| "-".to_string()).replace('\t', " ");
    let detail = format!("exit {rc} (want {}), first ALERT: {first}\n      want: {}", p.rc, p.first);
    if rc != p.rc {
        Some(("exit", detail))
    } else if loc != p.loc {
        Some(("where", detail))
    } else if first != p.first {
        Some(("text", detail))
    } else {
        None
    }
}

#[test]
fn rule_probes_match_haproxy() {
    let probes = expected(&dir());
    assert!(probes.len() > 1000, "expected the recorded probes, found {}", probes.len());
    let results: BTreeMap<String, Option<(&str, String)>> =
        run_all(&probes, |p| (p.name.clone(), run(p))).into_iter().collect();
    let count = |k: &str| results.values().filter(|o| o.as_ref().is_some_and(|(kind, _)| *kind == k)).count();
    let (exit, wher, text) = (count("exit"), count("where"), count("text"));
    let n = results.len();
    eprintln!(
        "rule probes: {n} cases; exit code matches {} ({:.1}%), first-alert location too {} ({:.1}%), exact first alert {} ({:.1}%)",
        n - exit,
        100.0 * (n - exit) as f64 / n as f64,
        n - exit - wher,
        100.0 * (n - exit - wher) as f64 / n as f64,
        n - exit - wher - text,
        100.0 * (n - exit - wher - text) as f64 / n as f64
    );
    let known_path = dir().join("KNOWN_FAILURES");
    if std::env::var_os("UPDATE_PROBE_FAILURES").is_some() {
        let mut s = String::from(
            "# Rule probes whose verdict does not match haproxy's yet (tests/rules_probes.rs): <name> <kind>.\n\
             # kinds: exit (exit code), where (file:line of the first alert), text (its wording).\n\
             # Regenerate: UPDATE_PROBE_FAILURES=1 cargo test --test rules_probes\n",
        );
        for (name, o) in &results {
            if let Some((kind, _)) = o {
                s.push_str(&format!("{name} {kind}\n"));
            }
        }
        std::fs::write(&known_path, s).unwrap();
        return;
    }
    let known: BTreeMap<String, String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once(' ').map(|(n, k)| (n.to_string(), k.to_string())))
        .collect();
    let mut problems = Vec::new();
    for (name, o) in &results {
        match (o, known.get(name)) {
            (None, Some(_)) => problems.push(format!("{name}: matches haproxy now, remove it from KNOWN_FAILURES")),
            (Some((kind, detail)), k) if k.map(String::as_str) != Some(*kind) => {
                problems.push(format!("{name} [{kind}]: {detail}"))
            }
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} probe(s) changed (regenerate with UPDATE_PROBE_FAILURES=1 when this is progress):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn locations_are_found() {
    assert_eq!(location("[ALERT]    (PID) : config : parsing [a.cfg:12] : x").as_deref(), Some("a.cfg:12"));
    assert_eq!(location("[ALERT]    (PID) : config : Proxy 'x': no such [thing]").as_deref(), None);
    assert_eq!(hide_pid("[ALERT]    (42) : x"), "[ALERT]    (PID) : x");
}

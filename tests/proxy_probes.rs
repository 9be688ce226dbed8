//! Replays the proxy-section keyword probes (`testdata/configs/probes/proxy/*.cfg`) through the
//! built `haproxide -c -f` and compares each verdict with HAProxy 2.6.12's, recorded in
//! `EXPECTED` by `scripts/record-probes-proxy`: the exit code and the `file:line` of the first
//! `[ALERT]` line (or none). The wording of that line is compared too, but only reported.
//!
//! Probes whose verdict depends on the number of CPUs (bind `thread` sets without `nbthread`)
//! are skipped when this machine's CPU count differs from the one recorded.
//!
//! `KNOWN_FAILURES` lists the probes that do not match yet (keywords owned by other suites, and
//! the few behaviours not reproduced). They are tolerated; a listed probe that starts matching
//! fails the test so that the list only shrinks. `UPDATE_PROBE_FAILURES=1 cargo test --test
//! proxy_probes` rewrites the list from the current results.

#[path = "probe_support/mod.rs"]
mod probe_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use probe_support::{expected, hide_pid, location, run_all, verdict, Probe, Verdict};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/configs/probes/proxy")
}

/// The number of CPUs this process may run on, as `/proc/self/status` lists them.
fn cpus() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim().to_string();
    let mut n = 0;
    for part in list.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        n += b.parse::<usize>().ok()? - a.parse::<usize>().ok()? + 1;
    }
    Some(n)
}

/// The `# cpus: N` line of EXPECTED: HAProxy's default nbthread when the probes were recorded.
fn recorded_cpus() -> Option<usize> {
    let text = std::fs::read_to_string(dir().join("EXPECTED")).ok()?;
    text.lines().find_map(|l| l.strip_prefix("# cpus: ")).and_then(|n| n.trim().parse().ok())
}

/// Probes whose verdict depends on the CPU count (a bind `thread` set without `nbthread`).
fn depends_on_cpus(name: &str) -> bool {
    let cfg = std::fs::read_to_string(dir().join(format!("{name}.cfg"))).unwrap_or_default();
    let binds_threads = cfg.lines().any(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.first() == Some(&"bind") && w.contains(&"thread")
    });
    binds_threads && !cfg.contains("nbthread")
}

struct Outcome {
    name: String,
    ok: bool,
    same_text: bool,
    detail: String,
    /// What haproxy says, shortened, for the list of known failures.
    reason: String,
}

fn run(p: &Probe) -> Outcome {
    let Verdict { rc, first, loc } = verdict(&dir(), &p.name);
    let first = first.unwrap_or_else(|| "-".to_string());
    let ok = rc == p.rc && (p.rc == 0 || p.rc == 2 || loc == p.loc);
    let theirs = p.first.split(" : config : ").nth(1).unwrap_or(&p.first);
    let reason: String = format!("haproxy exits {}: {theirs}", p.rc).chars().take(110).collect();
    Outcome {
        name: p.name.clone(),
        ok,
        same_text: first == p.first,
        detail: format!("exit {rc} (want {}), first ALERT: {first}\n      want: {}", p.rc, p.first),
        reason,
    }
}

#[test]
fn proxy_probes_match_haproxy() {
    let mut probes = expected(&dir());
    assert!(probes.len() > 1000, "expected the recorded probes, found {}", probes.len());
    if cpus() != recorded_cpus() {
        let before = probes.len();
        probes.retain(|p| !depends_on_cpus(&p.name));
        eprintln!("proxy probes: {} skipped, recorded with another CPU count", before - probes.len());
    }
    let mut results = run_all(&probes, run);
    results.sort_by(|a, b| a.name.cmp(&b.name));

    let known_path = dir().join("KNOWN_FAILURES");
    let known: BTreeSet<String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let failing: Vec<&Outcome> = results.iter().filter(|o| !o.ok).collect();
    let passed = results.len() - failing.len();
    let same_text = results.iter().filter(|o| o.same_text).count();
    eprintln!(
        "proxy probes: {passed}/{} match exit code and first ALERT location ({:.1}%), {same_text} with the same first ALERT text",
        results.len(),
        100.0 * passed as f64 / results.len() as f64
    );
    if std::env::var_os("UPDATE_PROBE_FAILURES").is_some() {
        let mut s = String::from(
            "# Proxy probes whose verdict does not match haproxy's yet (tests/proxy_probes.rs).\n\
             # Regenerate: UPDATE_PROBE_FAILURES=1 cargo test --test proxy_probes\n",
        );
        for o in &failing {
            s.push_str(&format!("{} {}\n", o.name, o.reason));
        }
        std::fs::write(&known_path, s).unwrap();
        return;
    }
    let new: Vec<String> =
        failing.iter().filter(|o| !known.contains(&o.name)).map(|o| format!("  {}: {}", o.name, o.detail)).collect();
    let fixed: Vec<&String> = known.iter().filter(|n| results.iter().any(|o| &&o.name == n && o.ok)).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{} probes differ from haproxy and are not in KNOWN_FAILURES:\n{}\n{} listed probes now match (remove them: \
         UPDATE_PROBE_FAILURES=1 cargo test --test proxy_probes): {:?}",
        new.len(),
        new.join("\n"),
        fixed.len(),
        fixed
    );
}

#[test]
fn pids_are_hidden() {
    assert_eq!(
        hide_pid("[ALERT]    (12) : a (3) b\0[ALERT]    (45) : c"),
        "[ALERT]    (PID) : a (3) b\0[ALERT]    (PID) : c"
    );
    assert_eq!(hide_pid("[NOTICE] x"), "[NOTICE] x");
}

#[test]
fn locations_are_found() {
    assert_eq!(location("[ALERT]    (PID) : config : parsing [a.cfg:12] : x").as_deref(), Some("a.cfg:12"));
    assert_eq!(location("[ALERT]    (PID) : config : [a.cfg:3] : 'server be/s' : x").as_deref(), Some("a.cfg:3"));
    assert_eq!(location("[ALERT]    (PID) : config : Proxy 'x': no such [thing]").as_deref(), None);
    assert_eq!(hide_pid("[ALERT]    (42) : x"), "[ALERT]    (PID) : x");
}

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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Probe {
    name: String,
    rc: i32,
    loc: String,
    first: String,
}

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

fn expected() -> Vec<Probe> {
    let text = std::fs::read_to_string(dir().join("EXPECTED")).expect("EXPECTED");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(4, '\t');
            let name = f.next().unwrap().to_string();
            let rc = f.next().unwrap().parse().unwrap();
            let loc = f.next().unwrap().to_string();
            let first = f.next().unwrap_or("-").to_string();
            Probe { name, rc, loc, first }
        })
        .collect()
}

/// `[ALERT]    (1234) : ...` with the pids (of every message merged on the line) replaced by
/// `PID`.
fn hide_pid(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("] ") {
        let (head, tail) = rest.split_at(at + 1);
        out.push_str(head);
        let spaces = tail.len() - tail.trim_start_matches(' ').len();
        let after = &tail[spaces..];
        let digits = after.strip_prefix('(').map_or(0, |a| a.bytes().take_while(u8::is_ascii_digit).count());
        if digits > 0 && after[1 + digits..].starts_with(')') {
            out.push_str(&tail[..spaces]);
            out.push_str("(PID)");
            rest = &after[digits + 2..];
        } else {
            rest = tail;
            if rest.is_empty() {
                break;
            }
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The `file.cfg:N` of the first `[f.cfg:N]` in a line.
fn location(line: &str) -> Option<String> {
    let mut rest = line;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        if let Some(j) = after.find(']') {
            let inner = &after[..j];
            if let Some((f, l)) = inner.rsplit_once(':') {
                if f.ends_with(".cfg") && !f.contains('[') && !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) {
                    return Some(inner.to_string());
                }
            }
        }
        rest = after;
    }
    None
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
    let out = Command::new(env!("CARGO_BIN_EXE_haproxide"))
        .current_dir(dir())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["-c", "-f", &format!("{}.cfg", p.name)])
        .output()
        .expect("run haproxide");
    let rc = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().find(|l| l.starts_with("[ALERT]")).map(hide_pid);
    let loc = first.as_deref().and_then(location).unwrap_or_else(|| "none".to_string());
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
    let mut probes = expected();
    assert!(probes.len() > 1000, "expected the recorded probes, found {}", probes.len());
    if cpus() != recorded_cpus() {
        let before = probes.len();
        probes.retain(|p| !depends_on_cpus(&p.name));
        eprintln!("proxy probes: {} skipped, recorded with another CPU count", before - probes.len());
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = probes.get(i) else { break };
                let o = run(p);
                results.lock().unwrap().push(o);
            });
        }
    });
    let mut results = results.into_inner().unwrap();
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

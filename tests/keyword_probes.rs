//! The keyword probes of the global section and the auxiliary sections (userlist, peers,
//! resolvers, mailers, ring, http-errors, cache, program, fcgi-app, log-forward), replayed through
//! the built `haproxide -c`.
//!
//! `testdata/configs/probes/EXPECTED.tsv` was recorded from HAProxy 2.6.12 by
//! `scripts/record-probes`: for each configuration, the exit code, the first `[ALERT]` line and
//! the first `[WARNING]` line. Each case must give the same exit code, the same file:line in the
//! first alert, and the same text for that alert (haproxide's own extra lines aside).
//!
//! Cases that do not match yet are listed with the reason in
//! `testdata/configs/probes/KNOWN_MISMATCHES`; the test fails when an unlisted case differs and
//! when a listed case starts matching, so the list only shrinks. Regenerate it with
//! `UPDATE_KNOWN_MISMATCHES=1 cargo test --test keyword_probes`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    name: String,
    exit: i32,
    alert: Option<String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/configs/probes")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                name: f[0].to_string(),
                exit: f[1].parse().expect("exit code"),
                alert: (f[2] != "-").then(|| f[2].replace("\\t", "\t")),
            }
        })
        .collect()
}

/// `[ALERT]    (1234) : ...` becomes `[ALERT]    (PID) : ...`, wherever a tag and a pid meet (a
/// message cut by a NUL runs into the next one on the same line).
fn hide_pid(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find("  (") {
        let (head, tail) = rest.split_at(open + 3);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(')') && head.trim_end_matches([' ', '(']).ends_with(']') {
            out.push_str("PID");
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// `file:line` of the first `[f:l]` in a message.
fn location(line: &str) -> Option<String> {
    let start = line.find(" [")? + 2;
    let end = line[start..].find(']')? + start;
    let loc = &line[start..end];
    loc.contains(':').then(|| loc.to_string())
}

/// Run one case; `None` when it matches, else the kind of difference and the details.
fn run(c: &Case) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_haproxide"))
        .current_dir(dir())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["-c", "-f", &format!("{}.cfg", c.name)])
        .output()
        .expect("run haproxide");
    let rc = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let alert = stderr.lines().find(|l| l.starts_with("[ALERT]")).map(hide_pid);
    let short = |s: &Option<String>| {
        s.as_deref()
            .map(|a| a.split_once(" : config : ").map_or(a, |(_, m)| m).chars().take(160).collect::<String>())
            .unwrap_or_else(|| "none".into())
    };
    if rc != c.exit {
        return Some(format!(
            "exit {rc} (haproxy {}): haproxide {:?} vs haproxy {:?}",
            c.exit,
            short(&alert),
            short(&c.alert)
        ));
    }
    let (lg, lw) = (alert.as_deref().and_then(location), c.alert.as_deref().and_then(location));
    if lg != lw {
        return Some(format!("where: haproxide {:?} vs haproxy {:?}", short(&alert), short(&c.alert)));
    }
    if alert != c.alert {
        return Some(format!("text: haproxide {:?} vs haproxy {:?}", short(&alert), short(&c.alert)));
    }
    None
}

#[test]
fn keyword_probes_match_haproxy() {
    let cases = cases();
    assert!(cases.len() > 1000, "expected the recorded probes, found {}", cases.len());
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get()).min(16);
    let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(threads)).collect();
    let mut got: BTreeMap<String, String> = BTreeMap::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || chunk.iter().filter_map(|c| run(c).map(|m| (c.name.clone(), m))).collect::<Vec<_>>())
            })
            .collect();
        for h in handles {
            got.extend(h.join().unwrap());
        }
    });
    let kind = |m: &str| m.split([' ', ':']).next().unwrap_or("").to_string();
    let exits = got.values().filter(|m| kind(m) == "exit").count();
    let wheres = got.values().filter(|m| kind(m) == "where").count();
    eprintln!(
        "keyword probes: {} cases, exit code matches {}, first-alert location matches {}, fully exact {}",
        cases.len(),
        cases.len() - exits,
        cases.len() - exits - wheres,
        cases.len() - got.len()
    );

    let known_path = dir().join("KNOWN_MISMATCHES");
    if std::env::var_os("UPDATE_KNOWN_MISMATCHES").is_some() {
        let mut s = String::from(
            "# Probes whose haproxide -c result differs from haproxy's yet: <name> <kind>: <details>.\n\
             # kinds: exit (exit code), where (file:line of the first alert), text (its wording).\n\
             # Regenerate: UPDATE_KNOWN_MISMATCHES=1 cargo test --test keyword_probes\n",
        );
        for (n, m) in &got {
            s.push_str(&format!("{n} {m}\n"));
        }
        std::fs::write(&known_path, s).unwrap();
    }
    let known: BTreeMap<String, String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once(' ').map(|(n, m)| (n.to_string(), kind(m))))
        .collect();
    let mut problems = Vec::new();
    for (n, m) in &got {
        match known.get(n) {
            Some(k) if *k == kind(m) => {}
            _ => problems.push(format!("{n} {m}")),
        }
    }
    for n in known.keys() {
        if !got.contains_key(n) {
            problems.push(format!("{n} now matches haproxy: remove it from KNOWN_MISMATCHES"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} probe(s) changed (regenerate with UPDATE_KNOWN_MISMATCHES=1 when this is progress):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

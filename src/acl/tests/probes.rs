//! End-to-end: every probe of testdata/golden/2.6/keywords/acl_probes.in (hand-written cases)
//! and acl_sweep.in (every fetch and converter) goes through the whole `-c` pipeline, and what it
//! prints must be what HAProxy 2.6 printed (the `.golden` files, recorded by record.sh beside
//! them). haproxide's own "not supported yet" warnings, and the "Warnings were found." line they
//! may add, are left out of the comparison.

use std::path::Path;

const PROBES: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_probes.in");
const GOLDEN: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_probes.golden");
const SWEEP: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_sweep.in");
const SWEEP_GOLDEN: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_sweep.golden");

/// Probes whose output is known to differ, with the reason. This list only shrinks.
const KNOWN: &[(&str, &str)] = &[
    // HAProxy prints a keyword name from freed memory here.
    ("acl a http_auth_group(x)", "garbage in HAProxy's message"),
    ("acl a http_auth_group() -m found", "garbage in HAProxy's message"),
    // OpenSSL digest names, FIX tag names and MQTT packet types are not checked: accepted.
    ("acl a str(x),digest(x) -m found", "digest names not checked"),
    ("acl a str(x),hmac(x,x) -m found", "digest names not checked"),
    ("acl a str(x),fix_tag_value(x) -m found", "FIX tag names not checked"),
    ("acl a str(x),mqtt_field_value(x,x) -m found", "MQTT packet types not checked"),
    // HAProxy warns that these counters take no argument; the warning is not reproduced.
    ("acl a fc_fackets() -m found", "fc_* argument warning"),
    ("acl a fc_lost() -m found", "fc_* argument warning"),
    ("acl a fc_reordering() -m found", "fc_* argument warning"),
    ("acl a fc_retrans() -m found", "fc_* argument warning"),
    ("acl a fc_sacked() -m found", "fc_* argument warning"),
    ("acl a fc_unacked() -m found", "fc_* argument warning"),
];

/// The configuration record.sh builds for a probe.
fn config(probe: &str, fixtures: &str) -> String {
    let (fe, bx) = match probe.strip_prefix("@bx ") {
        Some(b) => ("", b),
        None => (probe, ""),
    };
    let indent = |s: &str| -> String {
        if s.is_empty() {
            return String::new();
        }
        s.split(" ;; ").map(|l| format!("  {l}\n")).collect()
    };
    let text = format!(
        "global\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n\
         userlist ul\n  user u insecure-password p\nfrontend fe\n  bind 127.0.0.1:8080\n{}\
         backend be\n  server s1 127.0.0.1:81\nbackend be2\n  server s2 127.0.0.1:82\n\
         backend bx\n  server s1 127.0.0.1:83\n{}",
        indent(fe),
        indent(bx)
    );
    text.replace("/tmp/aclp/", fixtures)
}

fn golden(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("=== ") {
            out.push((p.to_string(), Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(line.to_string());
        }
    }
    out
}

fn keep(line: &str) -> bool {
    !line.contains("not supported yet") && line != "Warnings were found."
}

fn ours(probe: &str, dir: &Path) -> Vec<String> {
    let fixtures = format!("{}/", dir.display());
    let cfg = dir.join("probe.cfg");
    std::fs::write(&cfg, config(probe, &fixtures)).unwrap();
    let out = crate::check::check_files(&[cfg.display().to_string()], &Default::default());
    let mut lines = Vec::new();
    for d in &out.diags.list {
        let text =
            d.render(1, false).replace(&format!("{fixtures}probe.cfg"), "probe.cfg").replace(&fixtures, "/tmp/aclp/");
        for (i, l) in text.lines().enumerate() {
            if i == 0 {
                let l = l.replacen("[ALERT]    (1) : ", "[ALERT] ", 1).replacen("[WARNING]  (1) : ", "[WARNING] ", 1);
                lines.push(l);
            } else {
                lines.push(l.to_string());
            }
        }
    }
    lines.extend(out.stdout.iter().cloned());
    lines.push(format!("rc={}", out.exit_code));
    lines
}

#[test]
fn probes_match_haproxy() {
    replay("probes", PROBES, GOLDEN);
}

#[test]
fn every_fetch_and_converter_parses_like_haproxy() {
    replay("sweep", SWEEP, SWEEP_GOLDEN);
}

fn replay(tag: &str, input: &str, recorded: &str) {
    let probes: Vec<&str> = input.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    let golden = golden(recorded);
    assert_eq!(probes.len(), golden.len(), "{tag}: golden file out of date: run record.sh");
    let dir = std::env::temp_dir().join(format!("haproxide-acl-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pats.txt"), "a\n#comment\n  b  \n\n").unwrap();
    std::fs::write(dir.join("badip.txt"), "1.2.3.4\nfoo\n").unwrap();
    let mut failures = Vec::new();
    for (probe, (gp, expected)) in probes.iter().zip(&golden) {
        assert_eq!(probe, gp, "{tag}: golden file out of date: run record.sh");
        let expected: Vec<String> = expected.iter().filter(|l| keep(l)).cloned().collect();
        let got: Vec<String> = ours(probe, &dir).into_iter().filter(|l| keep(l)).collect();
        let known = KNOWN.iter().any(|(p, _)| p == probe);
        if got != expected && !known {
            failures.push(format!(
                "=== {probe}\n--- haproxy\n{}\n--- haproxide\n{}",
                expected.join("\n"),
                got.join("\n")
            ));
        }
        if got == expected && known {
            failures.push(format!("=== {probe}\nmatches now: remove it from KNOWN"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{} probe(s) differ:\n{}", failures.len(), failures.join("\n"));
}

//! Every configuration in `testdata/configs/lex/{ok,err}/` goes through the built `haproxide -c -f`
//! and must give HAProxy 2.6.12's exit code and stderr, line for line.
//!
//! The `.expected` files were recorded from the real binary by `scripts/record-lexcases`: the
//! first line is `exit=N`, the rest is stderr with pids replaced by `PID` and without the two
//! version/path NOTICE lines (those name the program, so they differ by design). haproxide's own
//! extra lines (`   --> file:line:col`, the source excerpt under it, `   = note`) are removed
//! before comparing. `NAME.env` holds the environment a case needs; nothing else is set.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/configs/lex");
    let mut out = Vec::new();
    for sub in ["ok", "err"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "cfg") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `printf %b` for the few escapes the `.env` files use.
fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `[TAG]   (1234)` becomes `[TAG]   (PID)`, wherever it appears on the line.
fn hide_pids(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'(' {
            let digits = line[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            let after_tag = follows_tag(&out);
            if digits > 0 && line.get(i + 1 + digits) == Some(&b')') && after_tag {
                out.extend_from_slice(b"(PID)");
                i += digits + 2;
                continue;
            }
        }
        out.push(line[i]);
        i += 1;
    }
    out
}

/// True when `s` ends with `[TAG]` and at least one space.
fn follows_tag(s: &[u8]) -> bool {
    let trimmed = s.len() - s.iter().rev().take_while(|&&b| b == b' ').count();
    if trimmed == s.len() || trimmed == 0 || s[trimmed - 1] != b']' {
        return false;
    }
    let letters = s[..trimmed - 1].iter().rev().take_while(|b| b.is_ascii_uppercase()).count();
    letters > 0 && trimmed >= letters + 2 && s[trimmed - 2 - letters] == b'['
}

/// Our additions under a message: `   --> f:l:c`, `   12 | source`, `      | ^^^`, `   = note`.
/// HAProxy's own continuation lines are `   | text` (exactly three spaces).
fn is_ours(line: &[u8]) -> bool {
    if line.starts_with(b"   --> ") || line.starts_with(b"   = ") {
        return true;
    }
    let spaces = line.iter().take_while(|&&b| b == b' ').count();
    let rest = &line[spaces..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (spaces == 3 && digits > 0 && rest[digits..].starts_with(b" | ")) || (spaces >= 4 && rest.starts_with(b"| "))
}

fn is_banner(line: &[u8]) -> bool {
    let s = String::from_utf8_lossy(line);
    s.starts_with("[NOTICE]   (PID) : haproxy version is ")
        || s.starts_with("[NOTICE]   (PID) : path to executable is ")
}

fn lines(b: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
    if v.last().is_some_and(Vec::is_empty) {
        v.pop();
    }
    v
}

#[test]
fn lexer_cases_match_haproxy() {
    let cases = cases();
    assert!(cases.len() >= 50, "expected the recorded lexer cases, found {}", cases.len());
    let mut failures = Vec::new();
    for cfg in &cases {
        let dir = cfg.parent().unwrap();
        let name = cfg.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read(dir.join(format!("{name}.expected"))).expect("missing .expected");
        let mut want = lines(&expected);
        let first = String::from_utf8_lossy(&want.remove(0)).into_owned();
        let want_rc: i32 = first.strip_prefix("exit=").and_then(|s| s.parse().ok()).expect("exit=N line");

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_haproxide"));
        cmd.current_dir(dir).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        if let Ok(envs) = std::fs::read_to_string(dir.join(format!("{name}.env"))) {
            for l in envs.lines().filter(|l| !l.is_empty()) {
                let (k, v) = l.split_once('=').expect("KEY=VALUE");
                cmd.env(k, unescape(v));
            }
        }
        let out = cmd.args(["-c", "-f", &format!("{name}.cfg")]).output().expect("run haproxide");
        let got: Vec<Vec<u8>> =
            lines(&out.stderr).iter().map(|l| hide_pids(l)).filter(|l| !is_ours(l) && !is_banner(l)).collect();
        let rc = out.status.code().unwrap_or(-1);
        if rc != want_rc || got != want {
            let show = |v: &[Vec<u8>]| v.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect::<Vec<_>>();
            failures.push(format!(
                "{name}: exit {rc} (want {want_rc})\n  got:  {:#?}\n  want: {:#?}",
                show(&got),
                show(&want)
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn our_extra_lines_are_recognised() {
    assert!(is_ours(b"   --> a.cfg:3:5"));
    assert!(is_ours(b"   12 | server s1 1.2.3.4"));
    assert!(is_ours(b"      |        ^^^^"));
    assert!(is_ours(b"   = not supported yet: x"));
    assert!(!is_ours(b"   | While not properly invalid"));
    assert!(!is_ours(b"  .if 1 && abc"));
    assert_eq!(hide_pids(b"[ALERT]    (42) : x [f:1] (7)"), b"[ALERT]    (PID) : x [f:1] (7)".to_vec());
}

//! The command table against HAProxy's recordings (testdata/golden/2.6/cli): `help` at every
//! mode, the "Unknown command" suggestions for a set of typos, and grammar/cli.tsv in step.

use std::time::Duration;

use super::*;
use crate::runtime_api::framing::split_words;

fn sess() -> Session {
    Session::new(Level::Admin, Severity::None, Duration::from_secs(10))
}

fn golden(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden/2.6/cli").join(name);
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn help_matches_haproxy_in_every_mode() {
    let rec = golden("help.txt");
    let mut s = sess();
    let mut ours = usage(&s, &split_words(b"help")) + "\n";
    s.expert = true;
    ours += &usage(&s, &split_words(b"help"));
    s.expert = false;
    s.experimental = true;
    ours += &usage(&s, &split_words(b"help"));
    // The recording drops the header line of the second and third listings.
    let mut expect = String::new();
    for (i, block) in rec.split("The following commands are valid at this level:\n").enumerate() {
        if i == 0 {
            continue;
        }
        expect.push_str("The following commands are valid at this level:\n");
        expect.push_str(block);
    }
    let ours_blocks: Vec<&str> = ours.split("The following commands are valid at this level:\n").collect();
    let rec_blocks: Vec<&str> = expect.split("The following commands are valid at this level:\n").collect();
    assert_eq!(ours_blocks.len(), rec_blocks.len());
    for (a, b) in ours_blocks.iter().zip(rec_blocks.iter()) {
        assert_eq!(a.trim_end(), b.trim_end());
    }
}

#[test]
fn help_lists_104_lines_at_admin_level() {
    let h = usage(&sess(), &split_words(b"help"));
    assert_eq!(h.lines().count(), 104);
    assert!(h.starts_with("The following commands are valid at this level:\n  abort ssl ca-file <cafile>   "));
    assert!(h.ends_with("  quit                                    : disconnect\n"));
}

#[test]
fn suggestions_match_haproxy() {
    let rec = golden("usage.txt");
    let mut checked = 0;
    for block in rec.split("=== ").skip(1) {
        let (query, reply) = block.split_once('\n').unwrap();
        if !(reply.starts_with("Unknown command") || reply.starts_with("The following")) {
            continue;
        }
        let ours = usage(&sess(), &split_words(query.as_bytes())) + "\n";
        assert_eq!(ours, reply, "usage for {query:?}");
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn lookup_takes_the_longest_registered_match() {
    let w = split_words(b"show servers state be");
    assert_eq!(find(&w).unwrap().words, ["show", "servers", "state"]);
    assert_eq!(find(&split_words(b"set server be/s state ready")).unwrap().words, ["set", "server"]);
    assert!(find(&split_words(b"show")).is_none());
    assert!(find(&split_words(b"")).is_none());
    assert_eq!(find(&split_words(b"help me")).unwrap().words, ["help"]);
}

#[test]
fn severity_prefixes() {
    assert_eq!(Out::err("x\n").render(Severity::Number), b"[3]: x\n");
    assert_eq!(Out::info("x\n").render(Severity::String), b"[info]: x\n");
    assert_eq!(Out::msg(LOG_WARNING, "x").render(Severity::String), b"[warning]: x");
    assert_eq!(Out::raw("data\n").render(Severity::Number), b"data\n");
    assert_eq!(Out::Nothing.render(Severity::Number), b"");
}

#[test]
fn every_command_is_unique_and_usages_are_haproxys() {
    for (i, a) in COMMANDS.iter().enumerate() {
        for b in &COMMANDS[i + 1..] {
            assert_ne!(a.words, b.words, "duplicate command");
        }
        if let Some(u) = a.usage {
            assert!(u.starts_with(a.words[0]), "{u}");
        }
    }
}

#[test]
fn cli_tsv_matches_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/cli.tsv");
    let want = cli_tsv();
    if std::env::var_os("UPDATE_CLI_TSV").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "grammar/cli.tsv is out of date: run UPDATE_CLI_TSV=1 cargo test cli_tsv");
}

//! Fuzz safety of the configuration front end: any bytes, read as one or several files, must go
//! through the tokenizer, the reader, `.if` evaluation and lowering without panicking.

use haproxide::config::diag::Diags;
use haproxide::config::lex::{self, VarSource};
use haproxide::config::parse::{self, Source};
use haproxide::config::{cond, diag};
use haproxide::ir::lower;
use proptest::prelude::*;
use std::collections::HashMap;

/// Bytes biased toward what the tokenizer treats specially.
fn special_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => prop::sample::select(b"\0\r\n\t \x0b\x0c\"'$\\{}[]*#-.x0123456789:,()!&|".to_vec()),
        1 => any::<u8>(),
    ]
}

/// Fragments that reach deeper paths than random bytes: directives, headers, escapes,
/// variable forms and condition syntax.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    let frags: Vec<&'static [u8]> = vec![
        b".if ",
        b".elif ",
        b".else",
        b".endif",
        b".notice ",
        b".warning ",
        b".diag ",
        b".alert ",
        b".foo",
        b"global",
        b"defaults ",
        b"frontend ",
        b"backend ",
        b"listen ",
        b"userlist ",
        b"peers ",
        b"resolvers ",
        b"mailers ",
        b"http-errors ",
        b"ring ",
        b"cache ",
        b"program ",
        b"fcgi-app ",
        b"log-forward ",
        b"namespace_list",
        b"from ",
        b"no ",
        b"default ",
        b"bind :80",
        b"server s 1.2.3.4:80",
        b"mode http",
        b"maxconn 10",
        b"timeout client 1s",
        b"\"${",
        b"${X-",
        b"$X",
        b"${X[*]}",
        b"${.LINE}",
        b"${.SECTION}",
        b"${.FILE}",
        b"${.NOPE}",
        b"\\x",
        b"\\x4",
        b"\\x00",
        b"\\",
        b"\"",
        b"'",
        b"#",
        b"\n",
        b"\r\n",
        b"\0",
        b" ",
        b"\t",
        b"defined(",
        b"feature(",
        b"streq(",
        b"version_atleast(",
        b"version_before(",
        b")",
        b"(",
        b"&&",
        b"||",
        b"!",
        b"0",
        b"1",
        b",",
        b"a",
        b"\xc3\xa9",
    ];
    prop_oneof![
        3 => prop::sample::select(frags).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(special_byte(), 0..8),
    ]
}

fn soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(fragment(), 0..80).prop_map(|v| v.concat())
}

struct Env(HashMap<String, String>);
impl VarSource for Env {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

fn env() -> Env {
    let mut m = HashMap::new();
    m.insert("X".to_string(), " a  b ".to_string());
    m.insert("Y".to_string(), "${X}\"\\".to_string());
    Env(m)
}

/// Read and lower; also render every diagnostic.
fn run(files: Vec<Vec<u8>>) {
    let sources: Vec<Source> =
        files.into_iter().enumerate().map(|(i, text)| Source { name: format!("f{i}.cfg").into(), text }).collect();
    let ast = parse::parse(&sources);
    let mut diags = Diags::default();
    let _ = lower::lower(&ast, &mut diags);
    let mut out = Vec::new();
    let mut p = diag::Printer::new(&mut out, 1, "v", "exe");
    p.diag_mode = true;
    p.print_all(&diags.list);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(text in prop::collection::vec(special_byte(), 0..600)) {
        run(vec![text]);
    }

    #[test]
    fn fragment_soup_never_panics(a in soup(), b in soup()) {
        run(vec![a, b]);
    }

    #[test]
    fn tokenizer_and_conditions_never_panic(line in prop::collection::vec(special_byte(), 0..200), cut in soup()) {
        let e = env();
        let _ = lex::tokenize(&line, &e);
        let _ = lex::tokenize(&cut, &e);
        let mut t = lex::Tokenizer::new();
        let _ = t.tokenize(&line, &e);
        let _ = lex::tokenize_condition_arg(&line, &e);
        let _ = lex::tokenize_condition_arg(&cut, &e);
        let _ = cond::eval(&lex::bytes_to_text(&line), &e);
        let _ = cond::eval(&lex::bytes_to_text(&cut), &e);
        let _ = cond::split_version(&line);
        let _ = lex::sanitize_for_printing(&line, line.len() / 2, 80);
        let _ = lex::sanitize_for_printing(&line, line.len() + 3, 6);
    }
}

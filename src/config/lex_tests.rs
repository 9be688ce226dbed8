//! Tokenizer rules, each checked against what HAProxy 2.6.12 was measured to do.

use super::*;
use std::collections::HashMap;

fn env() -> HashMap<String, String> {
    let mut e = HashMap::new();
    for (k, v) in [
        ("FOO", "foo"),
        ("EMPTY", ""),
        ("MULTI", "a  b c"),
        ("SP", "   "),
        ("LEAD", "  lead"),
        ("TRAIL", "trail  "),
        ("TABS", "p\tq"),
        ("A", "va"),
        ("B", "vb"),
        ("REC", "${A}"),
        ("QUOTE", "\"q r\""),
        ("HASH", "a#b"),
    ] {
        e.insert(k.to_string(), v.to_string());
    }
    e
}

/// All words, empty ones included.
fn words(s: &str) -> Vec<String> {
    tokenize(s.as_bytes(), &env()).unwrap().words.into_iter().map(|w| w.text).collect()
}

fn err(s: &[u8]) -> LexError {
    tokenize(s, &env()).unwrap_err()
}

fn syntax(s: &[u8]) -> (LexErrorKind, usize, [String; 2]) {
    match err(s) {
        LexError::Syntax { kind, pos, excerpt } => (kind, pos, excerpt),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn blanks_split_and_runs_count_once() {
    assert_eq!(words("a  b\tc\x0bd\x0ce"), vec!["a", "b", "c", "d", "e"]);
    assert_eq!(words("   indented"), vec!["indented"]);
}

#[test]
fn trailing_blank_leaves_an_empty_word() {
    assert_eq!(words("a b "), vec!["a", "b", ""]);
    assert_eq!(words("a b #c"), vec!["a", "b", ""]);
    assert_eq!(words("a b#c"), vec!["a", "b"]);
}

#[test]
fn comments_start_anywhere_outside_quotes() {
    assert_eq!(words("a#b"), vec!["a"]);
    assert_eq!(words("\"x\"#y"), vec!["x"]);
    assert_eq!(words("'a#b' \"c#d\" \\#e"), vec!["a#b", "c#d", "#e"]);
    assert!(tokenize(b"# only", &env()).unwrap().is_blank());
}

#[test]
fn empty_first_word_makes_the_line_blank() {
    for l in ["", "   ", "\"\"", "'' foo", "\"${UNDEF}\" x", "\\x00abc foo"] {
        assert!(tokenize(l.as_bytes(), &env()).unwrap().is_blank(), "{l:?}");
    }
    assert!(!tokenize(b"\\  foo", &env()).unwrap().is_blank());
}

#[test]
fn quotes_join_and_empty_quotes_are_words() {
    assert_eq!(words("a\"b c\"d"), vec!["ab cd"]);
    assert_eq!(words("\"a\"'b'c"), vec!["abc"]);
    assert_eq!(words(".notice \"\" x"), vec![".notice", "", "x"]);
}

#[test]
fn backslash_outside_quotes() {
    assert_eq!(words("a\\ b"), vec!["a b"]);
    assert_eq!(words("\\# \\\\ \\' \\\""), vec!["#", "\\", "'", "\""]);
    assert_eq!(words("\\n\\r\\t"), vec!["\n\r\t"]);
    assert_eq!(words("\\x41\\x4a\\x6b"), vec!["AJk"]);
    // Results of \x are not parsed again.
    assert_eq!(words("\\x23x \\x22x \\x24HOME a\\x20b"), vec!["#x", "\"x", "$HOME", "a b"]);
    // Unknown escapes keep their backslash; \$ only escapes inside double quotes.
    assert_eq!(words("a\\zb a\\$b a\\ab"), vec!["a\\zb", "a\\$b", "a\\ab"]);
    // \<TAB> keeps the backslash and the TAB still splits.
    assert_eq!(words("a\\\tb"), vec!["a\\", "b"]);
    // A trailing backslash is literal.
    assert_eq!(words("a\\"), vec!["a\\"]);
}

#[test]
fn nul_from_hex_truncates_the_word() {
    let l = tokenize(b".notice a\\x00b", &env()).unwrap();
    assert_eq!(l.words[1].text, "a");
    // ... but the `.if` join sees the bytes after it.
    assert_eq!(l.rest_joined, "a b");
}

#[test]
fn double_quotes() {
    assert_eq!(words("\"a b\tc\""), vec!["a b\tc"]);
    assert_eq!(words("\"\\$FOO\" \"a\\ab\" \"\\x41\""), vec!["$FOO", "a\\ab", "A"]);
}

#[test]
fn single_quotes_are_literal() {
    assert_eq!(words("'a\\nb\\x41' 'a\\\\b' '${FOO}'"), vec!["a\\nb\\x41", "a\\\\b", "${FOO}"]);
    assert_eq!(syntax(b"'a\\'b'").0, LexErrorKind::UnmatchedQuote);
}

#[test]
fn cr_ends_the_line() {
    assert_eq!(words(".notice a\rb c"), vec![".notice", "a"]);
    assert_eq!(syntax(b".notice \"a\rb\" c").1, 9);
    // A CR right after a blank is swallowed with it (HAProxy's blank run uses isspace).
    assert_eq!(words(".notice a \rb"), vec![".notice", "a", "b"]);
    assert_eq!(words("\r.notice lead-cr"), vec![".notice", "lead-cr"]);
}

#[test]
fn environment_expansion() {
    assert_eq!(words("$FOO ${FOO}"), vec!["$FOO", "${FOO}"]);
    assert_eq!(words("\"$FOO\" \"${FOO}x\" \"$FOOx\""), vec!["foo", "foox", ""]);
    assert_eq!(words("\"$A-\" \"$A:$B\" \"${A}${B}\""), vec!["va-", "va:vb", "vavb"]);
    assert_eq!(words("\"${U-def}\" \"${EMPTY-def}\" \"${U-}\""), vec!["def", "", ""]);
    // Default values are raw text up to the first '}'.
    assert_eq!(words("\"${U-${A}}\" \"${U-a\\\"b}\" \"${U-a}b}\""), vec!["${A}", "a\\\"b", "ab}"]);
    // Values are not parsed again.
    assert_eq!(words("\"$REC\" \"$QUOTE\" \"$HASH\""), vec!["${A}", "\"q r\"", "a#b"]);
}

#[test]
fn word_expansion() {
    assert_eq!(words("x \"${MULTI[*]}\" y"), vec!["x", "a", "b", "c", "y"]);
    assert_eq!(words("\"${SP[*]}\""), vec!["", ""]);
    assert_eq!(words("\"${LEAD[*]}\""), vec!["", "lead"]);
    assert_eq!(words("\"${TRAIL[*]}\""), vec!["trail", ""]);
    assert_eq!(words("\"x${TABS[*]}y\""), vec!["xp", "qy"]);
    assert_eq!(words("\"${U[*]-d e}\" \"${FOO[*]-d}\""), vec!["d", "e", "foo"]);
    assert_eq!(words("\"$MULTI[*]\""), vec!["a  b c[*]"]);
}

#[test]
fn pseudo_variables() {
    let e = ProcessEnv { file: Some("f.cfg"), line: 34, section: Some("be"), overlay: None };
    let w = |s: &str| tokenize(s.as_bytes(), &e).unwrap().words.into_iter().map(|w| w.text).collect::<Vec<_>>();
    assert_eq!(w("\"${.LINE}${.LINE}-${.FILE}\" \"$.SECTION\""), vec!["3434-f.cfg", "be"]);
    assert_eq!(w("\"${.LINE[*]}\" \"${.LINE-x}\""), vec!["34", "34"]);
    let none = ProcessEnv { file: None, line: 0, section: None, overlay: None };
    assert_eq!(tokenize(b"\"[${.SECTION}]\"", &none).unwrap().words[0].text, "[]");
    let (kind, pos, excerpt) = match tokenize(b"  .notice \"${.SECTIONx}\" y", &e).unwrap_err() {
        LexError::Syntax { kind, pos, excerpt } => (kind, pos, excerpt),
        other => panic!("{other:?}"),
    };
    assert_eq!((kind, pos), (LexErrorKind::BadVarName, 14));
    // HAProxy leaves the name's terminator in the line: the display stops there.
    assert_eq!(excerpt[0], "  .notice \"${.SECTIONx");
}

#[test]
fn variable_errors_point_where_haproxy_points() {
    for (line, kind, pos) in [
        (&b".notice \"$\""[..], LexErrorKind::BadVarName, 11),
        (b".notice \"a$\"", LexErrorKind::BadVarName, 12),
        (b".notice \"$-x\"", LexErrorKind::BadVarName, 11),
        (b".notice \"$1\"", LexErrorKind::BadVarName, 11),
        (b".notice \"${\"", LexErrorKind::BadVarName, 12),
        (b".notice \"${}\"", LexErrorKind::BadVarName, 12),
        (b".notice \"${1A}\"", LexErrorKind::BadVarName, 12),
        (b".notice \"${FOO\"", LexErrorKind::UnmatchedBrace, 11),
        (b".notice \"${FOO:-def}\"", LexErrorKind::UnmatchedBrace, 11),
        (b".notice \"${A=x}\"", LexErrorKind::UnmatchedBrace, 11),
        (b".notice \"${a.b}\"", LexErrorKind::UnmatchedBrace, 11),
        (b".notice \"${FOO[x]}\"", LexErrorKind::BadWordExpand, 15),
        (b".notice \"${FOO[*}\"", LexErrorKind::BadWordExpand, 15),
    ] {
        let (k, p, _) = syntax(line);
        assert_eq!((k, p), (kind, pos), "{}", String::from_utf8_lossy(line));
    }
}

#[test]
fn hex_errors() {
    for l in [&b"a \\x4"[..], b"a \\xZZ", b"a \\x", b"a \\xg1"] {
        assert_eq!(syntax(l).0, LexErrorKind::BadHex);
    }
    let (_, pos, excerpt) = syntax(b"        .notice a\\x4");
    assert_eq!(pos, 18);
    assert_eq!(excerpt, [".notice a\\x4".to_string(), " ".repeat(9) + "^"].map(|s| format!("  {s}")));
}

#[test]
fn only_the_first_error_is_reported() {
    assert_eq!(syntax(b".notice \"${\" a\\x4 \"unterminated").0, LexErrorKind::BadVarName);
    assert_eq!(syntax(b".notice a\\x4 \"${\"").0, LexErrorKind::BadHex);
    assert_eq!(syntax(b".notice \"x\" \"y").1, 13);
}

#[test]
fn excerpt_display() {
    // Control bytes and bytes >= 0x80 show as '?', blanks as a space.
    assert_eq!(syntax(b".notice a\x01b\"").2[0], "  .notice a?b\"");
    assert_eq!(syntax(b".notice a\xc3\xa9b\"").2[0], "  .notice a??b\"");
    assert_eq!(syntax(b".notice a\x0bb\"").2[0], "  .notice a b\"");
    // Past column 80 the line is windowed around the error.
    let mut l = b".notice ".to_vec();
    l.extend(std::iter::repeat_n(b'b', 100));
    l.push(b'"');
    l.extend(std::iter::repeat_n(b'c', 100));
    let (_, pos, ex) = syntax(&l);
    assert_eq!(pos, 109);
    assert_eq!(ex[0], format!("  ...{}\"{}...", "b".repeat(37), "c".repeat(36)));
    assert_eq!(ex[1], format!("{}^", " ".repeat(42)));
    // Before column 80: at most 80 characters, no ellipsis.
    let mut l = b".notice ".to_vec();
    l.extend(std::iter::repeat_n(b'b', 30));
    l.push(b'"');
    l.extend(std::iter::repeat_n(b'c', 100));
    let (_, pos, ex) = syntax(&l);
    assert_eq!(pos, 39);
    assert_eq!(ex[0].len(), 82);
    assert_eq!(ex[1], format!("{}^", " ".repeat(40)));
}

#[test]
fn too_many_words() {
    let mut l = ".notice".to_string();
    for _ in 0..63 {
        l.push_str(" x");
    }
    assert!(tokenize(l.as_bytes(), &env()).is_ok());
    // A 65th (even empty) word is one too many.
    let spaced = format!("{l} ");
    assert_eq!(err(spaced.as_bytes()), LexError::TooManyWords { pos: 133, word: "x".into() });
    assert!(tokenize(format!("{l}#c").as_bytes(), &env()).is_ok());
    // The position counts the unescaped output: every earlier word takes len + 1 bytes.
    let mut q = ".notice".to_string();
    for _ in 0..62 {
        q.push_str(" \"$FOO\"");
    }
    q.push_str(" LAST64 more");
    assert_eq!(err(q.as_bytes()), LexError::TooManyWords { pos: 257, word: "LAST64".into() });
    // Another error on the same line wins.
    assert!(matches!(err(format!("{q} \"x").as_bytes()), LexError::Syntax { .. }));
    assert_eq!(err(q.as_bytes()).message(), "too many words, truncating after word 64, position 257: <LAST64>.");
}

#[test]
fn default_value_fails_when_the_buffer_grows() {
    // A file's first line always makes HAProxy's output buffer grow; the line is parsed twice
    // and the second pass sees the default value already cut in place.
    let mut t = Tokenizer::new();
    let (kind, pos) = match t.tokenize(b".notice \"${U-x}\"", &env()) {
        Err(LexError::Syntax { kind, pos, .. }) => (kind, pos),
        other => panic!("{other:?}"),
    };
    assert_eq!((kind, pos), (LexErrorKind::UnmatchedBrace, 11));
    assert_eq!(t.tokenize(b".notice \"${U-x}\"", &env()).unwrap().words[1].text, "x");
    // A quote error on the first pass shows the line cut at the default's brace.
    let mut t = Tokenizer::new();
    match t.tokenize(b".notice \"${U-x}\" \"unterminated", &env()) {
        Err(LexError::Syntax { kind, pos, excerpt }) => {
            assert_eq!((kind, pos), (LexErrorKind::UnmatchedQuote, 18));
            assert_eq!(excerpt[0], "  .notice \"${U-x");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn columns_are_one_based_and_count_indentation() {
    let l = tokenize(b"  option  redispach", &env()).unwrap();
    assert_eq!((l.words[0].col, l.words[1].col), (3, 11));
}

#[test]
fn condition_argument() {
    let e = env();
    assert_eq!(tokenize_condition_arg(b"1 # x", &e).unwrap(), "1 # x");
    assert_eq!(tokenize_condition_arg(b"streq(\"$FOO\",foo)", &e).unwrap(), "streq(foo,foo)");
    assert_eq!(tokenize_condition_arg(b"\"1", &e), Err(CondArgError::UnmatchedQuote));
    assert_eq!(tokenize_condition_arg(b"\\x4", &e), Err(CondArgError::BadHex));
    assert_eq!(tokenize_condition_arg(b"\"$\"", &e), Err(CondArgError::Other));
    let many = (0..70).map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
    assert_eq!(tokenize_condition_arg(many.as_bytes(), &e), Err(CondArgError::TooMany));
    // In place: a value longer than its reference overwrites the closing quote.
    let mut long = HashMap::new();
    long.insert("X".to_string(), "1234567890".to_string());
    assert_eq!(tokenize_condition_arg(b"\"$X\"", &long), Err(CondArgError::UnmatchedQuote));
    assert_eq!(tokenize_condition_arg(b"\"${U-1234567}\"", &long).unwrap(), "1234567");
}

#[test]
fn raw_bytes_survive_as_text() {
    let b = b"a\xc3\xa9\xff\x7fz";
    let t = bytes_to_text(b);
    assert!(t.starts_with("a\u{e9}"));
    assert_eq!(text_to_bytes(&t), b);
    assert_eq!(first_byte_text("\u{e9}"), bytes_to_text(&[0xc3]));
}

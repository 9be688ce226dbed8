//! The reader: lines, files, `.if` blocks and directives, as HAProxy 2.6.12 reads them.

use super::*;
use crate::config::ast::SectionKind;

fn read(text: &[u8]) -> File {
    read_file(&Source { name: "t.cfg".into(), text: text.to_vec() })
}

/// Every reader diagnostic of a file, rendered without pid, plus its end-of-file ones.
fn msgs(f: &File) -> Vec<String> {
    let mut out: Vec<String> = f
        .sections
        .iter()
        .flat_map(|s| s.items.iter())
        .filter_map(|i| match i {
            Item::Diag { diag, .. } => Some(diag.headline()),
            Item::Directive(_) => None,
        })
        .collect();
    out.extend(f.missing_lf.iter().map(|d| d.headline()));
    out.extend(f.unterminated_if.iter().map(|d| d.headline()));
    out
}

fn directives(f: &File) -> Vec<String> {
    f.sections
        .iter()
        .flat_map(|s| s.directives())
        .map(|d| d.words.iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn sections_and_directives() {
    let f = read(b"global\n  maxconn 10\n\nbackend be\n  server s1 127.0.0.1:80\n");
    let kinds: Vec<_> = f.sections.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, vec![SectionKind::Global, SectionKind::Backend]);
    assert_eq!(f.sections[1].name(), Some("be"));
    let d: Vec<_> = f.sections[1].directives().collect();
    assert_eq!((d[0].keyword(), d[0].span.line), ("server", 5));
    assert_eq!(f.lines, 5);
    assert!(msgs(&f).is_empty());
}

#[test]
fn handlers_see_words_up_to_the_first_empty_one() {
    let f = read(b"global\n  description a \"\" b\n  maxconn 10 \n");
    let d: Vec<_> = f.sections[0].directives().collect();
    assert_eq!(d[0].words.len(), 2);
    assert_eq!(d[0].all_words.len(), 4);
    assert_eq!(d[1].words.len(), 2);
    assert_eq!(d[1].all_words.len(), 3);
}

#[test]
fn keywords_before_any_section() {
    let f = read(b"maxconn 1\nbind :80\nGlobal\n");
    assert_eq!(
        msgs(&f),
        vec![
            "config : parsing [t.cfg:1]: unknown keyword 'maxconn' out of section.",
            "config : parsing [t.cfg:2]: unknown keyword 'bind' out of section.",
            "config : parsing [t.cfg:3]: unknown keyword 'Global' out of section.",
        ]
    );
}

#[test]
fn all_sixteen_section_keywords() {
    let mut text = Vec::new();
    for (kw, _) in SectionKind::HEADERS {
        text.extend_from_slice(format!("{kw} x\n").as_bytes());
    }
    let f = read(&text);
    assert_eq!(f.sections.len(), 16);
    assert!(msgs(&f).is_empty());
    let f = read(b"crt-store x\n");
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:1]: unknown keyword 'crt-store' out of section."]);
}

#[test]
fn conditional_blocks() {
    let f = read(b"global\n.if 0\n  maxconn 1\n.elif 1\n  maxconn 2\n.elif garbage\n.else\n  maxconn 3\n.endif\n");
    assert_eq!(directives(&f), vec!["maxconn 2"]);
    assert!(msgs(&f).is_empty());
    // Inside a false branch nothing is evaluated, unknown directives and notices are ignored.
    let f = read(b".if 0\n.if garbage\n.elif garbage\n.endif\n.foo\n.notice x\n.endif\n");
    assert!(msgs(&f).is_empty());
    // ... but lines are still tokenized.
    let f = read(b".if 0\n.notice \"x\n.endif\n");
    assert_eq!(msgs(&f)[0], "config : parsing [t.cfg:2]: unmatched quote at position 9:");
    // The expression is the words joined by single spaces.
    let f = read(b".if \"1 &&\" 0\n.notice yes\n.endif\n.if \"\" 1\n.notice yes2\n.endif\n");
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:5]: 'yes2'."]);
}

#[test]
fn cond_errors_abort() {
    for (text, msg) in [
        (&b".endif\n.notice x\n"[..], "config : parsing [t.cfg:1]: lone '.endif' with no matching '.if'."),
        (b".else\n", "config : parsing [t.cfg:1]: lone '.else' with no matching '.if'."),
        (b".elif 1\n", "config : parsing [t.cfg:1]: lone '.elif' with no matching '.if'."),
        (b".if 1\n.else\n.else\n", "config : parsing [t.cfg:3]: '.else' after '.else' is not permitted."),
        (b".if 0\n.else\n.elif 1\n", "config : parsing [t.cfg:3]: '.elif' after '.else' is not permitted."),
        (b".else foo\n", "config : parsing [t.cfg:1]: Unexpected argument 'foo' for '.else'."),
    ] {
        let f = read(text);
        assert!(f.aborted);
        assert_eq!(msgs(&f), vec![msg]);
    }
    let f = read(b".if 1\n.endif foo\n");
    assert_eq!(
        msgs(&f),
        vec![
            "config : parsing [t.cfg:2]: Unexpected argument 'foo' for '.endif'.",
            "config : parsing [t.cfg:2]: non-terminated '.if' block.",
        ]
    );
}

#[test]
fn cond_error_display() {
    let f = read(b".if 1 && abc\n");
    let Item::Diag { diag, effect } = &f.sections[0].items[0] else { panic!() };
    assert_eq!(*effect, Effect::Abort);
    assert_eq!(
        diag.headline(),
        "config : parsing [t.cfg:1]: unparsable conditional expression 'abc' in '.if' at position 6:"
    );
    assert_eq!(diag.detail_raw, vec!["  .if 1 && abc".to_string(), format!("{}^", " ".repeat(11))]);
    let f = read(b".if 0\n.elif x\n");
    let Item::Diag { diag, .. } = &f.sections[0].items[0] else { panic!() };
    assert_eq!(diag.detail_raw, vec!["  .elif x".to_string(), format!("{}^", " ".repeat(8))]);
}

#[test]
fn nesting_limit() {
    let f = read(format!("{}{}", ".if 1\n".repeat(99), ".endif\n".repeat(99)).as_bytes());
    assert!(msgs(&f).is_empty());
    let f = read(format!(".if 0\n{}", ".if 1\n".repeat(200)).as_bytes());
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:100]: too many nested '.if', max is 100."]);
}

#[test]
fn unterminated_block_is_reported_at_the_last_line() {
    let f = read(b".if 1\n.notice x\n\n\n");
    assert_eq!(msgs(&f).last().unwrap(), "config : parsing [t.cfg:4]: non-terminated '.if' block.");
    let f = read(b".if 1\n.notice x");
    assert_eq!(
        msgs(&f)[1..],
        [
            "config : parsing [t.cfg:2]: Missing LF on last line, file might have been truncated at position 10.",
            "config : parsing [t.cfg:2]: non-terminated '.if' block."
        ]
    );
}

#[test]
fn diagnostic_directives() {
    let f = read(b".notice n\n.warning w\n.diag d\n.notice a b\n.notice\n.notice \"\" x\n");
    assert_eq!(
        msgs(&f),
        vec![
            "config : parsing [t.cfg:1]: 'n'.",
            "config : parsing [t.cfg:2]: 'w'.",
            "config : parsing [t.cfg:3]: 'd'.",
            "config : parsing [t.cfg:4]: Unexpected argument 'b' for '.notice'. Use quotes if the message should contain spaces.",
            "config : parsing [t.cfg:5]: ''.",
            "config : parsing [t.cfg:6]: Unexpected argument 'x' for '.notice'. Use quotes if the message should contain spaces.",
        ]
    );
    let f = read(b".alert a1\n.notice after\n");
    assert!(f.aborted);
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:1]: 'a1'."]);
}

#[test]
fn unknown_directive_stops_the_file() {
    for d in [".foo", ".IF 1", ".", ".if(1)", ".noticex"] {
        let f = read(format!("{d}\n.notice after\n").as_bytes());
        let kw = d.split(' ').next().unwrap();
        assert_eq!(msgs(&f), vec![format!("config : parsing [t.cfg:1]: unknown directive '{kw}'.")]);
        assert!(!f.aborted);
    }
}

#[test]
fn nul_bytes_and_missing_lf() {
    let f = read(b".notice a\0b\n.notice c\n");
    assert_eq!(
        msgs(&f),
        vec!["config : parsing [t.cfg:1]: 'a'.", "config : parsing [t.cfg:1]: Stray NUL character at position 10."]
    );
    let f = read(b"# x\0y\n.notice c\n");
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:1]: Stray NUL character at position 4."]);
    let f = read(b".notice x\0y\n");
    assert_eq!(
        msgs(&f)[1],
        "config : parsing [t.cfg:1]: Missing LF on last line, file might have been truncated at position 10."
    );
    let f = read(b"global\n   ");
    assert_eq!(
        msgs(&f),
        vec!["config : parsing [t.cfg:2]: Missing LF on last line, file might have been truncated at position 4."]
    );
    let f = read(b"\x7fELF\x02\x01\x01\0\0garbage");
    assert_eq!(
        f.missing_lf.as_ref().unwrap().msg,
        "Missing LF on last line, file might have been truncated at position 8."
    );
}

#[test]
fn long_lines_and_the_fgets_buffer() {
    let long = format!(".notice \"{}\"\n", "a".repeat(70_000));
    assert_eq!(msgs(&read(long.as_bytes())).len(), 1);
    // A last line of exactly 2047 bytes without LF is never seen by HAProxy.
    let f = read(format!(".notice {}", "a".repeat(2047 - 8)).as_bytes());
    assert!(msgs(&f).is_empty());
    let f = read(format!(".notice {}", "a".repeat(2046 - 8)).as_bytes());
    assert_eq!(msgs(&f).len(), 2);
    // A NUL in a line longer than the buffer: the rest is read as a next chunk.
    let mut b = b".notice x\0".to_vec();
    b.extend(std::iter::repeat_n(b'a', 3000));
    b.push(b'\n');
    assert_eq!(msgs(&read(&b))[1], "config : parsing [t.cfg:1]: Stray NUL character at position 10.");
}

#[test]
fn crlf_files() {
    let f = read(b"global\r\n  maxconn 10\r\n.notice a\r\n");
    assert_eq!(directives(&f), vec!["maxconn 10"]);
    assert_eq!(msgs(&f), vec!["config : parsing [t.cfg:3]: 'a'."]);
}

#[test]
fn negation_prefixes() {
    let f = read(b"no bogus\nno global\n.notice \"[${.SECTION}]\"\n  no option httplog\n");
    assert_eq!(
        msgs(&f),
        vec![
            "config : parsing [t.cfg:1]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
            "config : parsing [t.cfg:1]: unknown keyword 'bogus' out of section.",
            "config : parsing [t.cfg:2]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
            "config : parsing [t.cfg:3]: '[global]'.",
        ]
    );
    assert_eq!(directives(&f), vec!["no option httplog"]);
}

#[test]
fn section_pseudo_variable() {
    let f = read(b".notice \"[${.SECTION}]\"\ndefaults\n.notice \"[${.SECTION}]\"\nbackend bb\n.notice \"${.SECTION}${.LINE}${.FILE}\"\n");
    assert_eq!(
        msgs(&f),
        vec![
            "config : parsing [t.cfg:1]: '[]'.",
            "config : parsing [t.cfg:3]: '[defaults]'.",
            "config : parsing [t.cfg:5]: 'bb5t.cfg'."
        ]
    );
}

#[test]
fn depth_is_recorded_per_line() {
    let f = read(b".if 1\n.if 1\nglobal\n.endif\n");
    assert_eq!((f.depth_at(1), f.depth_at(3), f.depth_at(4)), (1, 2, 1));
}

#[test]
fn files_stop_parsing_after_an_abort() {
    let a = Source { name: "a.cfg".into(), text: b".alert x\n".to_vec() };
    let b = Source { name: "b.cfg".into(), text: b".notice y\n".to_vec() };
    assert_eq!(parse(&[a.clone(), b.clone()]).files.len(), 1);
    let c = Source { name: "c.cfg".into(), text: b".foo\n".to_vec() };
    assert_eq!(parse(&[c, b]).files.len(), 2);
}

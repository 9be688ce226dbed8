//! The `.if` expression language, checked against HAProxy 2.6.12's measured answers.

use super::*;
use std::collections::HashMap;

fn env() -> HashMap<String, String> {
    let mut e = HashMap::new();
    e.insert("XV".to_string(), "yes".to_string());
    e.insert("EMPTY".to_string(), String::new());
    e
}

fn ev(s: &str) -> Result<bool, CondError> {
    eval(s, &env())
}

fn fails(s: &str) -> (String, usize) {
    let e = ev(s).unwrap_err();
    (e.msg, e.pos + 1)
}

#[test]
fn numbers_are_strtol_base_0() {
    for t in ["1", "2", "-1", "+1", "01", "0x10", "99999999999999999999999", " 1", "\t1", "!0", "!!!0", "! 0"] {
        assert_eq!(ev(t), Ok(true), "{t}");
    }
    for f in ["", "0", "00", "0x0", "! ! 0", "!1", "-0"] {
        assert_eq!(ev(f), Ok(false), "{f}");
    }
    assert_eq!(fails("1x"), ("unexpected character 'x' at the end of conditional expression '1x'".into(), 2));
    assert_eq!(fails("08").0, "unexpected character '8' at the end of conditional expression '08'");
    assert_eq!(fails("0x").0, "unexpected character 'x' at the end of conditional expression '0x'");
}

#[test]
fn operators() {
    assert_eq!(ev("1 && 0 || 1"), Ok(true));
    assert_eq!(ev("0 || 1 && 0"), Ok(false));
    assert_eq!(ev("(1 || 0) && 0"), Ok(false));
    assert_eq!(ev("1&&0"), Ok(false));
    assert_eq!(ev("!(0)"), Ok(true));
    assert!(ev("1 || garbage_is_still_parsed").is_err());
}

#[test]
fn errors_and_positions() {
    let cases: &[(&str, &str, usize)] = &[
        ("1 &&", "unparsable conditional expression '&&'", 3),
        ("&& 1", "unparsable conditional expression '&& 1'", 1),
        ("1 ||", "unparsable conditional expression '1 ||'", 3),
        ("(1", "expected ')' after conditional expression '(1'", 1),
        ("1)", "unexpected character ')' at the end of conditional expression '1)'", 2),
        ("()", "unparsable conditional expression ')'", 2),
        ("(", "unparsable conditional expression '('", 1),
        (")", "unparsable conditional expression ')'", 1),
        ("!(", "unparsable conditional expression '!('", 1),
        ("1 &&& 0", "unparsable conditional expression '& 0'", 5),
        ("1 & 0", "unexpected character '&' at the end of conditional expression '1 & 0'", 3),
        ("((1)", "expected ')' after conditional expression '((1)'", 1),
        (
            "defined(XV,XV)",
            "expected ')' before ',XV)' in argument 1 of predicate 'defined' used in conditional expression",
            11,
        ),
        (
            "streq(a)",
            "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression",
            8,
        ),
        (
            "streq(a,b,a,b)",
            "expected ')' before ',a,b)' in argument 1 of predicate 'streq' used in conditional expression",
            10,
        ),
        ("streq(a,a", "expected ')' in argument 1 of predicate 'streq' used in conditional expression", 10),
        ("nope(1)", "unparsable conditional expression 'nope(1)'", 1),
        ("DEFINED(XV)", "unparsable conditional expression 'DEFINED(XV)'", 1),
        ("defined (XV)", "unexpected character '(' at the end of conditional expression 'defined (XV)'", 9),
        ("streq(a,a)x", "unexpected character 'x' at the end of conditional expression 'streq(a,a)x'", 11),
        ("yes", "unparsable conditional expression 'yes'", 1),
        ("true", "unparsable conditional expression 'true'", 1),
        ("!", "unparsable conditional expression '!'", 1),
        (" && 1", "unparsable conditional expression ' && 1'", 1),
        ("1 1", "unexpected character '1' at the end of conditional expression '1 1'", 3),
        ("1 x ", "unexpected character 'x' at the end of conditional expression '1 x '", 3),
        (" ", "unparsable conditional sub-expression ' '", 1),
        ("1 && abc", "unparsable conditional expression 'abc'", 6),
        (
            "version_atleast(2.6",
            "expected ')' in argument 1 of predicate 'version_atleast' used in conditional expression",
            20,
        ),
        (
            "defined(\\",
            "failed to parse '\\' after '' as type 'string' at position 1 in argument 0 of predicate 'defined' used in conditional expression",
            9,
        ),
    ];
    for (expr, msg, pos) in cases {
        assert_eq!(fails(expr), (msg.to_string(), *pos), "{expr}");
    }
}

#[test]
fn predicates() {
    assert_eq!(ev("defined(XV)"), Ok(true));
    assert_eq!(ev("defined(EMPTY)"), Ok(true));
    assert_eq!(ev("defined(NOPE)"), Ok(false));
    assert_eq!(ev("defined"), Ok(false));
    assert_eq!(ev("defined()"), Ok(false));
    assert_eq!(ev("streq(a,a) && strneq(a,b)"), Ok(true));
    assert_eq!(ev("streq(,)"), Ok(true));
    assert_eq!(ev("streq(a ,a)"), Ok(false));
    assert!(ev("streq()").is_err() && ev("streq").is_err() && ev("streq(").is_err());
    // Arguments may be quoted; commas and parentheses inside quotes are protected.
    assert_eq!(ev("streq(\"a,b\",'a,b')"), Ok(true));
    assert_eq!(ev("streq(\"a)b\",x)"), Ok(false));
    assert_eq!(ev("streq(a\\ b,a b) && streq(a\\\\b,a\\b)"), Ok(true));
    assert!(ev("streq(\"ab,ab)").unwrap_err().msg.starts_with("missing arguments (got 1/2)"));
}

#[test]
fn features() {
    assert_eq!(ev("feature(EPOLL)"), Ok(true));
    assert_eq!(ev("feature(THREAD)"), Ok(true));
    assert_eq!(ev("feature(OPENSSL)"), Ok(false));
    assert_eq!(ev("feature(T)"), Ok(false));
    assert_eq!(ev("feature(+EPOLL)"), Ok(false));
    assert_eq!(ev("feature(epoll)"), Ok(false));
    // HAProxy's quirks: an empty name matches, and the name is a substring of the list.
    assert_eq!(ev("feature()"), Ok(true));
    assert_eq!(ev("feature"), Ok(true));
    assert_eq!(ev("feature(EPOLL -EVPORTS)"), Ok(true));
    assert_eq!(ev("feature(EPOLL +ACCEPT4)"), Ok(false));
    for f in FEATURES {
        assert!(feature_string().contains(&format!("+{f}")));
    }
}

#[test]
fn versions() {
    let at_or_below = [
        "0",
        "1",
        "1.9",
        "2",
        "2.5",
        "2.6",
        "2.6.0",
        "2.6.11",
        "2.6.12",
        "2.6.12.0",
        "2.6-dev1",
        "2.6-rc1",
        "2.6.12-dev1",
        "2.6.12-rc1",
        "2.6.12-0",
        "2.6.11-99",
        "2.6.12-1x",
        "2.6.12-1+x",
        "2.6.12-5-x",
        "2.6.12-dev",
        "2.6.12-rc",
        "-0",
        "4294967296",
        "2..7",
        ".7",
    ];
    let above = [
        "2.6.13",
        "2.6.12.1",
        "2.6.12-1",
        "2.6.12-2",
        "2.6.13-dev1",
        "2.7",
        "2.7-dev1",
        "3",
        "10.0",
        "3.",
        "3.0.0.0",
        "3-dev",
        "3.0-rc",
        "3.0-pre1",
        "3.0-abc",
        "3.0-1-2-3",
        "3.0-1+x",
        "3.0-dev1-5",
        "3.0-dev-",
        "2.6.13-dev+1",
        "2.6.12-1-2",
        "2.6.12-01",
        "2.6.12-x-1",
        "2.6.12-abc-1",
        " 2.7",
        "+3",
        "-1",
        "4294967295",
        "99999999999999999999",
        "2.6.13-d",
    ];
    let invalid = [
        "",
        "abc",
        "2.x",
        "2.6x",
        "3.0x",
        "3+1",
        "3.0+x",
        "3.0-dev1x",
        "3.0-dev1+x",
        "3.0.0.0.0",
        "2.6 ",
        "3.0-devx",
        "3.0-dev1.2",
        "2.6.13-rcx",
        "2.6.13-devel",
        "0x3",
    ];
    for v in at_or_below.iter().chain(invalid.iter()) {
        assert_eq!(ev(&format!("version_atleast({v})")), Ok(true), "atleast {v}");
        assert_eq!(ev(&format!("version_before({v})")), Ok(false), "before {v}");
    }
    for v in above {
        assert_eq!(ev(&format!("version_atleast({v})")), Ok(false), "atleast {v}");
        assert_eq!(ev(&format!("version_before({v})")), Ok(true), "before {v}");
    }
    assert_eq!(split_version(b"2.6.12-1+deb12u4"), split_version(b"2.6.12"));
    assert_eq!(split_version(b"3.0x"), None);
}

#[test]
fn recursion_budget() {
    // HAProxy gives up at a recursion depth of 1024 (3 levels per parenthesis).
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let nest = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
            assert_eq!(ev(&nest(340)), Ok(true));
            let e = ev(&nest(341)).unwrap_err();
            assert!(e.msg.starts_with("unparsable conditional sub-expression '1)))"), "{}", e.msg);
            assert!(ev(&nest(5000)).is_err());
            let chain = |n: usize| format!("1{}", "&&1".repeat(n));
            assert_eq!(ev(&chain(1021)), Ok(true));
            assert_eq!(ev(&chain(1022)).unwrap_err().msg, "unparsable conditional expression '1'");
            let or = |n: usize| format!("1{}", "||1".repeat(n));
            assert_eq!(ev(&or(1023)).unwrap_err().msg, "unparsable conditional expression '1||1'");
            assert_eq!(
                ev(&"!".repeat(3000)),
                Err(CondError { msg: format!("unparsable conditional expression '{}'", "!".repeat(3000)), pos: 0 })
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

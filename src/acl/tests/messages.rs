//! Every error and warning of the parser with the word it blames (HAProxy's texts are also
//! checked end to end by the recorded probes; the word index is haproxide's own addition).

use crate::acl::{check_acl_name, check_condition, expr_meta, parse_acl, AclWarning, Ctx, ExprMeta};

fn acl_err(words: &str) -> (String, usize) {
    let ws: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let e = parse_acl("a", &ws, &[], &mut Vec::new()).unwrap_err();
    (e.msg, e.word)
}

#[test]
fn acl_errors_blame_their_word() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "missing fetch method in ACL expression ''", 0),
        ("nosuch x", "unknown fetch method 'nosuch' in ACL expression 'nosuch'", 0),
        ("path( /x", "ACL keyword 'path' : expected ')'", 0),
        ("hdr(x,-11) y", "in argument to 'hdr', header occurrence must be >= -10", 0),
        ("path,nosuch x", "ACL keyword 'path' : unknown converter 'nosuch'.", 0),
        ("src lower ipmask(24) x", "'lower' is not a valid IPv4 or IPv6 address", 1),
        ("always_true ipmask(24)", "converter 'ipmask' cannot be applied in ACL expression 'always_true'", 1),
        ("path -m nosuch x", "unknown matching method 'nosuch' when parsing ACL expression", 2),
        ("method -m int 3", "matching method 'int' cannot be used with fetch keyword 'method'", 2),
        ("path -f /nonexistent", "failed to open pattern file </nonexistent>", 2),
        ("path -u abc x", "the argument of -u must be an integer", 1),
        ("path -i -x y", "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'", 2),
        (
            "var(txn.x) x",
            "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')",
            0,
        ),
        (
            "var(txn.x) -f /x",
            "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')",
            1,
        ),
        ("src_port 80 abc", "'abc' is not a number", 2),
        ("src_port 5:3", "'5:3' is not a valid number range", 1),
        ("src_port gt abc", "'abc' is neither a number nor a supported operator", 2),
        ("req.ssl_ver gt 3.70000", "'3.70000' contains too large a minor value", 2),
        ("req.ssl_ver gt 70000.1", "'70000.1' contains too large a major value", 2),
        ("req.ssl_ver 3.x", "'3.x' is not a dotted number", 1),
        ("req.ssl_ver 3.1:3.x", "'3.1:3.x' is not a valid dotted number range", 1),
        ("src 1.2.3.4/33", "'1.2.3.4/33' is not a valid IPv4 or IPv6 address", 1),
        ("path_reg (", "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)", 1),
        ("path -m bin 0", "an even number of hex digit is expected", 3),
        ("bin() -m found", "invalid args in fetch method 'bin' : (null) in ACL expression 'bin()'", 0),
    ];
    for (words, msg, word) in cases {
        assert_eq!(acl_err(words), (msg.to_string(), *word), "{words}");
    }
}

#[test]
fn acl_names() {
    assert_eq!(check_acl_name("a%b").unwrap_err(), "character '%' is not permitted in acl name 'a%b'.");
    assert_eq!(check_acl_name("").unwrap_err(), "character '");
    assert!(check_acl_name("OR").unwrap_err().starts_with("acl name 'OR' will never match."));
    assert!(check_acl_name("a:b.c-d_e").is_ok());
    assert!(check_acl_name("and").is_ok());
}

fn warnings(words: &str) -> Vec<AclWarning> {
    let ws: Vec<&str> = words.split(' ').collect();
    let mut w = Vec::new();
    parse_acl("a", &ws, &[], &mut w).unwrap();
    w
}

#[test]
fn acl_warnings() {
    let w = warnings("path_beg");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].headline, "parsing acl keyword 'path_beg' :");
    assert!(!w[0].located);
    assert_eq!(w[0].detail.last().map(String::as_str), Some(""));
    assert!(warnings("always_true").is_empty());
    assert!(warnings("path -m found").is_empty());
    assert!(warnings("path --").is_empty());
    let w = warnings("path (x");
    assert_eq!(w[0].headline, "parsing acl 'a' :");
    assert_eq!(w[0].detail[0], "  matching 'path' for pattern '(x' is likely a mistake and probably");
    assert_eq!(w[0].word, 1);
    assert!(warnings("path -- (x").is_empty());
}

fn known(name: &str) -> Option<Vec<ExprMeta>> {
    match name {
        "p" => expr_meta(&["path_beg", "/x"]).map(|m| vec![m]),
        "q" => Some(vec![expr_meta(&["src", "1.2.3.4"]).unwrap(), expr_meta(&["res.hdr(x)", "y"]).unwrap()]),
        "r" => expr_meta(&["res.hdr(x)", "y"]).map(|m| vec![m]),
        _ => None,
    }
}

fn cond_err(words: &str) -> (String, usize) {
    let ws: Vec<&str> = words.split(' ').collect();
    let e = check_condition(&ws, &known, &[], &mut Vec::new()).unwrap_err();
    (e.msg, e.word)
}

#[test]
fn condition_errors_blame_their_word() {
    assert_eq!(cond_err("when p"), ("conditions must start with either 'if' or 'unless'".into(), 0));
    assert_eq!(cond_err("if p nosuch"), ("no such ACL : 'nosuch'".into(), 2));
    assert_eq!(cond_err("if p { path /x"), ("missing closing '}' in condition".into(), 2));
    assert_eq!(cond_err("if p { nosuch }"), ("unknown fetch method 'nosuch' in ACL expression 'nosuch'".into(), 3));
    assert_eq!(cond_err("if { }"), ("missing fetch method in ACL expression ''".into(), 2));
    assert_eq!(cond_err("if {}"), ("no such ACL : '{}'".into(), 1));
    assert_eq!(cond_err("if !HTTP_3.0"), ("no such ACL : 'HTTP_3.0'".into(), 1));
    assert_eq!(
        cond_err("if { path -m nosuch }"),
        ("unknown matching method 'nosuch' when parsing ACL expression".into(), 4)
    );
}

#[test]
fn conditions_accept_what_haproxy_accepts() {
    for c in [
        "if",
        "unless",
        "if !",
        "if or",
        "if p or",
        "if TRUE OR FALSE",
        "if ! TRUE",
        "if !!p || !{ src 10/8 }",
        "if METH_GET LOCALHOST",
    ] {
        let ws: Vec<&str> = c.split(' ').collect();
        assert!(check_condition(&ws, &known, &[], &mut Vec::new()).is_ok(), "{c}");
    }
}

#[test]
fn keyword_conflicts() {
    let info = |c: &str| {
        let ws: Vec<&str> = c.split(' ').collect();
        check_condition(&ws, &known, &[], &mut Vec::new()).unwrap()
    };
    let c = info("if r").conflict(Ctx::FE_SET_BCK).unwrap();
    assert_eq!(c.message(), "acl 'r' will never match because it only involves keywords that are incompatible with 'frontend use-backend rule'");
    let c = info("if p q").conflict(Ctx::FE_SET_BCK).unwrap();
    assert_eq!(
        c.message(),
        "acl 'q' involves keywords 'res.hdr' which is incompatible with 'frontend use-backend rule'"
    );
    let c = info("if { res.hdr(x) y }").conflict(Ctx::FE_SET_BCK).unwrap();
    assert_eq!(c.message(), "anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend use-backend rule'");
    let c = info("if p").conflict(Ctx::FE_CON_ACC).unwrap();
    assert_eq!(c.tcp_message("tcp-request connection"), "acl 'p' will never match in 'tcp-request connection' because it only involves keywords that are incompatible with 'frontend tcp-request connection rule'");
    let c = info("if q").conflict(Ctx::FE_CON_ACC).unwrap();
    assert_eq!(
        c.tcp_message("tcp-request connection"),
        "acl 'q' involves keyword 'res.hdr' which is incompatible with 'frontend tcp-request connection rule'"
    );
    assert!(info("if p").conflict(Ctx::FE_SET_BCK).is_none());
    assert!(info("if p").conflict(Ctx::FE_HRQ_HDR | Ctx::BE_HRQ_HDR).is_none());
    assert!(info("if RDP_COOKIE").uses_l6());
    assert!(!info("if p").uses_l6());
}

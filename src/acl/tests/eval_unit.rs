//! Evaluator details not covered by the recorded runs: sample-fetch (non-ACL) semantics,
//! regsub groups, what cannot run yet, and how a proxy's ACL lines build conditions.

use crate::acl::eval::eval_expr;
use crate::acl::{compile_proxy, unsupported, unsupported_fetches, AclTable, ConfigLookup, Line, ProxyCtx, Sample};
use crate::acl::{parse_sample_expr, resolve_expr, ArgCtx, SampleSource};

struct Hdrs(Vec<(&'static str, &'static str)>);
impl SampleSource for Hdrs {
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.0.get(i).map(|(n, v)| (n.as_bytes(), v.as_bytes()))
    }
    fn uri(&self) -> Option<&[u8]> {
        Some(b"/a/b?x=1")
    }
}

struct NoRefs;
impl ConfigLookup for NoRefs {
    fn backend(&self, n: &str) -> bool {
        n == "be"
    }
    fn frontend(&self, n: &str) -> bool {
        n == "fe"
    }
    fn server(&self, p: &str, s: &str) -> bool {
        p == "be" && s == "s1"
    }
    fn table(&self, _: &str) -> bool {
        false
    }
    fn userlist(&self, _: &str) -> bool {
        false
    }
}

const FE: ProxyCtx = ProxyCtx { name: "fe", frontend: true, backend: false };

fn expr(s: &str) -> crate::acl::SampleExpr {
    let mut e = parse_sample_expr(&[s], &mut 0).unwrap();
    let kw = e.fetch.name;
    assert!(resolve_expr(&mut e, kw, ArgCtx::ACL, &FE, &NoRefs).is_empty());
    e
}

#[test]
fn sample_fetches_take_the_last_occurrence() {
    let src = Hdrs(vec![("X-F", "a, b"), ("x-f", "c")]);
    assert_eq!(eval_expr(&expr("req.hdr(x-f)"), &src), Some(Sample::str(b"c")));
    assert_eq!(eval_expr(&expr("req.hdr(x-f,1)"), &src), Some(Sample::str(b"a")));
    assert_eq!(eval_expr(&expr("req.hdr(x-f,-2)"), &src), Some(Sample::str(b"b")));
    assert_eq!(eval_expr(&expr("req.fhdr(x-f,1)"), &src), Some(Sample::str(b"a, b")));
    assert_eq!(eval_expr(&expr("req.hdr(x-f,4)"), &src), None);
    assert_eq!(eval_expr(&expr("req.hdr_cnt(x-f)"), &src), Some(Sample::Sint(3)));
    assert_eq!(eval_expr(&expr("path,upper"), &src), Some(Sample::str(b"/A/B")));
    assert_eq!(eval_expr(&expr("query,length"), &src), Some(Sample::Sint(3)));
}

#[test]
fn regsub_groups_and_flags() {
    let src = Hdrs(vec![("x", "Hello World hello")]);
    let e = expr("req.hdr(x),regsub(\"(h)ello\",\\1i,ig)");
    assert_eq!(eval_expr(&e, &src), Some(Sample::str(b"Hi World hi")));
    let e = expr("req.hdr(x),regsub(o,0)");
    assert_eq!(eval_expr(&e, &src), Some(Sample::str(b"Hell0 World hello")));
    let e = expr("req.hdr(x),regsub(o,0,g)");
    assert_eq!(eval_expr(&e, &src), Some(Sample::str(b"Hell0 W0rld hell0")));
    // Recorded from HAProxy with the same header.
    assert_eq!(eval_expr(&expr("req.hdr(x),field(2, )"), &src), Some(Sample::str(b"World")));
    assert_eq!(eval_expr(&expr("req.hdr(x),word(-1, )"), &src), Some(Sample::str(b"hello")));
    assert_eq!(eval_expr(&expr("req.hdr(x),field(1, ,0)"), &src), Some(Sample::str(b"Hello World hello")));
    assert_eq!(eval_expr(&expr("req.hdr(x),regsub(l,-,g)"), &src), Some(Sample::str(b"He--o Wor-d he--o")));
}

#[test]
fn what_cannot_run_is_reported() {
    let t = AclTable::build([("a", &["req.body", "-m", "str", "y"][..]), ("b", &["path", "/x"][..])]).unwrap();
    let c = t.condition(2, &["if", "a", "b", "{", "req.body_len", "gt", "1", "}"]).unwrap();
    assert_eq!(unsupported_fetches(&c), vec!["req.body".to_string(), "req.body_len".to_string()]);
    let c = t.condition(2, &["if", "{", "path,sha1,hex", "-m", "found", "}"]).unwrap();
    assert_eq!(unsupported(&c), vec!["converter 'sha1'".to_string()]);
    let c = t.condition(2, &["if", "{", "src_port,add(txn.x)", "1", "}"]).unwrap();
    assert_eq!(unsupported(&c), vec!["converter 'add' with a variable".to_string()]);
    let c = t.condition(2, &["unless", "b", "||", "TRUE"]).unwrap();
    assert!(unsupported(&c).is_empty());
}

#[test]
fn later_lines_extend_an_acl_and_predefined_acls_can_be_overridden() {
    let defs: Vec<(&str, Vec<String>)> = vec![
        ("a", vec!["path".into(), "/x".into()]),
        ("TRUE", vec!["path".into(), "/never".into()]),
        ("a", vec!["path".into(), "/y".into()]),
        ("METH_GET", vec!["always_false".into()]),
    ];
    let t = AclTable::build(defs.iter().map(|(n, w)| (*n, w.as_slice()))).unwrap();
    // A rule after the first line sees both lines of `a`.
    let c = t.condition(1, &["if", "a"]).unwrap();
    assert_eq!(c.suites[0][0].acl.exprs.len(), 2);
    // TRUE defined before the rule replaces the predefined one.
    let c = t.condition(2, &["if", "TRUE"]).unwrap();
    assert_eq!(c.suites[0][0].acl.exprs.len(), 1);
    assert_eq!(c.suites[0][0].acl.exprs[0].smp.fetch.name, "path");
    // METH_GET used before its line keeps its definition and gains the later line.
    let c = t.condition(3, &["if", "METH_GET"]).unwrap();
    let fetches: Vec<_> = c.suites[0][0].acl.exprs.iter().map(|e| e.smp.fetch.name).collect();
    assert_eq!(fetches, ["method", "always_false"]);
    // A name defined only later is unknown at the rule.
    assert_eq!(t.condition(0, &["if", "a"]).unwrap_err().msg, "no such ACL : 'a'");
}

#[test]
fn proxy_compilation_reports_in_declaration_order() {
    let a1 = vec!["nbsrv(nosuch)".to_string(), "1".into()];
    let c1 = vec!["if".to_string(), "{".into(), "srv_is_up(be/zz)".into(), "}".into()];
    let a2 = vec!["fe_conn(y)".to_string(), "1".into()];
    let c2 = vec!["if".to_string(), "x".into()];
    let lines = [
        Line::Acl { name: "x", words: a1.as_slice() },
        Line::Cond { words: c1.as_slice() },
        Line::Acl { name: "y", words: a2.as_slice() },
        Line::Cond { words: c2.as_slice() },
    ];
    let out = compile_proxy(&lines, &FE, &NoRefs);
    let errs: Vec<(usize, &str)> = out.errors.iter().map(|(i, m)| (*i, m.as_str())).collect();
    assert_eq!(
        errs,
        vec![
            (0, "unable to find backend 'nosuch' referenced in arg 1 of ACL keyword 'nbsrv' in proxy 'fe'."),
            (1, "unable to find server 'zz' in proxy 'be', referenced in arg 1 of ACL keyword 'srv_is_up' in proxy 'fe'."),
            (2, "unable to find frontend 'y' referenced in arg 1 of ACL keyword 'fe_conn' in proxy 'fe'."),
        ]
    );
    assert_eq!(out.conditions.len(), 2);
    let (head, detail) =
        crate::acl::format_errors(&[("f".into(), 3, "m1".into()), ("f".into(), 4, "m2".into())]).unwrap();
    assert_eq!(head, "multiple argument resolution errors:");
    assert_eq!(detail, vec!["        parsing [f:3]: m1".to_string(), "        parsing [f:4]: m2".to_string()]);
}

#[test]
fn implicit_proxy_arguments_are_bound() {
    let mut e = parse_sample_expr(&["be_conn"], &mut 0).unwrap();
    let be = ProxyCtx { name: "be", frontend: false, backend: true };
    assert!(resolve_expr(&mut e, "be_conn", ArgCtx::ACL, &be, &NoRefs).is_empty());
    assert_eq!(e.args, vec![crate::acl::args::Arg::Be("be".into())]);
    let mut e = parse_sample_expr(&["be_conn"], &mut 0).unwrap();
    assert_eq!(
        resolve_expr(&mut e, "be_conn", ArgCtx::ACL, &FE, &NoRefs),
        vec!["proxy 'fe', referenced in arg 1 of ACL keyword 'be_conn' in proxy 'fe', has not backend capability."
            .to_string()]
    );
}

/// Client bytes under inspection, with HAProxy's "may change" flag.
struct Bytes(&'static [u8], std::cell::Cell<bool>);
impl SampleSource for Bytes {
    fn req_payload(&self) -> Option<&[u8]> {
        Some(self.0)
    }
    fn note_missing(&self) {
        self.1.set(true);
    }
    fn take_missing(&self) -> bool {
        self.1.replace(false)
    }
}

/// While data may still come, a test that lacks bytes is a miss, and stays one through `!`,
/// `unless` and `or` (unless another term decides).
#[test]
fn conditions_on_partial_data() {
    use crate::acl::eval::Tri;
    let t = AclTable::build([("tls", &["req.ssl_hello_type", "1"][..]), ("big", &["req.len", "gt", "3"][..])]).unwrap();
    let src = |b: &'static [u8]| Bytes(b, std::cell::Cell::new(false));
    let cond = |w: &[&str]| t.condition(2, w).unwrap();
    assert_eq!(cond(&["if", "tls"]).eval_partial(&src(b"\x16\x03")), Tri::Miss);
    assert_eq!(cond(&["if", "!", "tls"]).eval_partial(&src(b"\x16\x03")), Tri::Miss);
    assert_eq!(cond(&["unless", "tls"]).eval_partial(&src(b"\x16\x03")), Tri::Miss);
    assert_eq!(cond(&["if", "!", "tls"]).eval_partial(&src(b"GET /")), Tri::Pass);
    assert_eq!(cond(&["if", "tls", "||", "big"]).eval_partial(&src(b"\x16\x03\x01\x00\x05")), Tri::Pass);
    assert_eq!(cond(&["if", "tls", "big"]).eval_partial(&src(b"GET")), Tri::Fail);
    assert_eq!(cond(&["if", "big"]).eval_partial(&src(b"GET")), Tri::Miss);
    // Final evaluation: a lack of data is a plain failure.
    assert!(!cond(&["if", "tls"]).eval(&src(b"\x16\x03")));
}

#[test]
fn be2dec_reads_big_endian_chunks() {
    use crate::acl::convert::be2dec;
    let s = |v: Vec<u8>| String::from_utf8(v).unwrap();
    // Recorded from HAProxy 2.6.
    assert_eq!(s(be2dec(b"ABCDEFGHIJ", b"-", 3, false)), "4276803-4474182-4671561-74");
    assert_eq!(s(be2dec(b"ABCDEFGHIJ", b"-", 3, true)), "4276803-4474182-4671561");
    assert_eq!(s(be2dec(b"ABCDEFGHIJ", b",", 8, false)), "4702394921427289928,18762");
    assert_eq!(s(be2dec(b"AB", b":", 4, true)), "");
    assert_eq!(s(be2dec(b"ABCD", b"", 1, false)), "65666768");
    assert_eq!(s(be2dec(b"", b"-", 2, false)), "");
    assert_eq!(s(be2dec(b"ABC", b"-", 2, false)), "16706-67");
    assert_eq!(s(be2dec(&[0xff; 8], b"", 8, false)), u64::MAX.to_string());
}

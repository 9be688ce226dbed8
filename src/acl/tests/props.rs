//! Property tests: the matchers agree with simple models, and conditions obey boolean algebra.

use std::net::{Ipv4Addr, SocketAddr};

use proptest::prelude::*;

use crate::acl::parse::parse_acl_expr;
use crate::acl::pattern::{parse_int, parse_ip, Pattern};
use crate::acl::{AclTable, Sample, SampleSource};

/// A request whose headers `x-0`..`x-7` say which of the ACLs `a0`..`a7` are true.
struct Bits(Vec<(Vec<u8>, Vec<u8>)>, Option<SocketAddr>);

impl Bits {
    fn new(bits: &[bool]) -> Bits {
        let hdrs =
            bits.iter().enumerate().map(|(i, b)| (format!("x-{i}").into_bytes(), vec![b'0' + u8::from(*b)])).collect();
        Bits(hdrs, None)
    }
}

impl SampleSource for Bits {
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.0.get(i).map(|(n, v)| (n.as_slice(), v.as_slice()))
    }
    fn src(&self) -> Option<SocketAddr> {
        self.1
    }
}

const N: usize = 6;

fn table() -> AclTable {
    let words: Vec<Vec<String>> = (0..N).map(|i| vec![format!("req.hdr(x-{i})"), "1".to_string()]).collect();
    let names: Vec<String> = (0..N).map(|i| format!("a{i}")).collect();
    AclTable::build(names.iter().map(String::as_str).zip(words.iter().map(Vec::as_slice))).unwrap()
}

/// A condition as suites of (negated, acl index).
fn cond_strategy() -> impl Strategy<Value = Vec<Vec<(bool, usize)>>> {
    prop::collection::vec(prop::collection::vec((any::<bool>(), 0..N), 1..4), 0..4)
}

fn render(suites: &[Vec<(bool, usize)>], or: &str) -> Vec<String> {
    let mut w = Vec::new();
    for (i, s) in suites.iter().enumerate() {
        if i > 0 {
            w.push(or.to_string());
        }
        for (neg, a) in s {
            w.push(format!("{}a{a}", if *neg { "!" } else { "" }));
        }
    }
    w
}

fn model(suites: &[Vec<(bool, usize)>], bits: &[bool]) -> bool {
    suites.iter().any(|s| s.iter().all(|(neg, a)| bits[*a] != *neg))
}

fn eval(t: &AclTable, pol: &str, words: &[String], bits: &[bool]) -> bool {
    let mut all = vec![pol.to_string()];
    all.extend(words.iter().cloned());
    t.condition(t.len(), &all).unwrap().eval(&Bits::new(bits))
}

proptest! {
    #[test]
    fn conditions_follow_the_boolean_model(suites in cond_strategy(), bits in prop::collection::vec(any::<bool>(), N), or in prop::sample::select(vec!["or", "||", "OR"])) {
        let t = table();
        let words = render(&suites, or);
        prop_assert_eq!(eval(&t, "if", &words, &bits), model(&suites, &bits));
    }

    #[test]
    fn unless_is_if_negated(suites in cond_strategy(), bits in prop::collection::vec(any::<bool>(), N)) {
        let t = table();
        let words = render(&suites, "||");
        prop_assert_eq!(eval(&t, "unless", &words, &bits), !eval(&t, "if", &words, &bits));
    }

    #[test]
    fn de_morgan(a in 0..N, b in 0..N, bits in prop::collection::vec(any::<bool>(), N)) {
        let t = table();
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        // not (a or b) == (not a) and (not b)
        prop_assert_eq!(eval(&t, "unless", &w(&format!("a{a} || a{b}")), &bits), eval(&t, "if", &w(&format!("!a{a} !a{b}")), &bits));
        // not (a and b) == (not a) or (not b)
        prop_assert_eq!(eval(&t, "unless", &w(&format!("a{a} a{b}")), &bits), eval(&t, "if", &w(&format!("!a{a} or !a{b}")), &bits));
        // double negation
        prop_assert_eq!(eval(&t, "if", &w(&format!("!!a{a}")), &bits), bits[a]);
        prop_assert_eq!(eval(&t, "if", &w(&format!("! a{a}")), &bits), !bits[a]);
    }

    #[test]
    fn string_methods_are_consistent(s in "[a-zA-Z/._-]{0,12}", i in 0usize..13, j in 0usize..13, icase in any::<bool>()) {
        let (i, j) = (i.min(s.len()), j.min(s.len()));
        let (i, j) = (i.min(j), i.max(j));
        let sub = &s[i..j];
        let m = |method: &str, pat: &str| -> bool {
            if pat.is_empty() { return method != "str" || s.is_empty(); }
            let mut words: Vec<String> = vec!["hdr(x-s)".into(), "-m".into(), method.into()];
            if icase { words.push("-i".into()); }
            words.push("--".into());
            words.push(pat.into());
            let ws: Vec<&str> = words.iter().map(String::as_str).collect();
            let e = parse_acl_expr(&ws, &[], &mut Vec::new()).unwrap().expr;
            let src = Bits(vec![(b"x-s".to_vec(), s.as_bytes().to_vec())], None);
            e.matches(&src)
        };
        // A substring is found by sub; a prefix by beg; a suffix by end; the whole by all four.
        prop_assert!(m("sub", sub));
        prop_assert!(m("beg", &s[..j]));
        prop_assert!(m("end", &s[i..]));
        if !s.is_empty() {
            prop_assert!(m("str", &s) && m("beg", &s) && m("end", &s) && m("sub", &s));
        }
        // Case folding: with -i, changing the case of the pattern changes nothing.
        if icase {
            prop_assert_eq!(m("str", &s.to_uppercase()), m("str", &s));
            prop_assert_eq!(m("sub", &sub.to_lowercase()), m("sub", sub));
        }
        // str implies beg, end and sub.
        let p = &s[i..j];
        if !p.is_empty() && m("str", p) {
            prop_assert!(m("beg", p) && m("end", p) && m("sub", p));
        }
        // beg or end imply sub.
        if !p.is_empty() && (m("beg", p) || m("end", p)) {
            prop_assert!(m("sub", p));
        }
    }

    #[test]
    fn ipv4_networks(addr in any::<u32>(), len in 0u32..=32, sample in any::<u32>()) {
        let text = format!("{}/{len}", Ipv4Addr::from(addr));
        let Ok(Pattern::V4 { .. }) = parse_ip(&text, true) else { panic!("{text}") };
        let words = ["src", text.as_str()];
        let e = parse_acl_expr(&words, &[], &mut Vec::new()).unwrap().expr;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let inside = (sample & mask) == (addr & mask);
        let v4 = Bits(vec![], Some(SocketAddr::from((Ipv4Addr::from(sample), 1))));
        prop_assert_eq!(e.matches(&v4), inside);
        // The same client seen as an IPv4-mapped IPv6 address matches the same networks.
        let v6 = Bits(vec![], Some(SocketAddr::from((Ipv4Addr::from(sample).to_ipv6_mapped(), 1))));
        prop_assert_eq!(e.matches(&v6), inside);
        // And the sample itself is always inside its own /len network.
        let own = format!("{}/{len}", Ipv4Addr::from(sample));
        let e2 = parse_acl_expr(&["src", own.as_str()], &[], &mut Vec::new()).unwrap().expr;
        prop_assert!(e2.matches(&v4));
    }

    #[test]
    fn integer_ranges_and_operators(a in -1000i64..1000, b in -1000i64..1000, v in -1000i64..1000) {
        let (lo, hi) = (a.min(b), a.max(b));
        if lo >= 0 {
            let Ok(Pattern::Range { min, max }) = parse_int(&format!("{lo}:{hi}")) else { panic!() };
            prop_assert_eq!(min.unwrap() <= v && v <= max.unwrap(), lo <= v && v <= hi);
        }
        let src = Bits(vec![(b"x-v".to_vec(), v.to_string().into_bytes())], None);
        // Negative values start with '-', which HAProxy reads as a range separator.
        for (op, expect) in [("eq", v == a), ("gt", v > a), ("ge", v >= a), ("lt", v < a), ("le", v <= a)] {
            if a < 0 { continue; }
            let pat = a.to_string();
            let words = ["hdr_val(x-v)", op, pat.as_str()];
            let e = parse_acl_expr(&words, &[], &mut Vec::new()).unwrap().expr;
            prop_assert_eq!(e.matches(&src), expect, "{} {}", op, a);
        }
    }

    #[test]
    fn parsers_never_panic(words in prop::collection::vec("[ -~]{0,12}", 0..6)) {
        let ws: Vec<&str> = words.iter().map(String::as_str).collect();
        let _ = parse_acl_expr(&ws, &[], &mut Vec::new());
        let mut c = vec!["if"];
        c.extend(ws.iter().copied());
        let _ = crate::acl::check_condition(&c, &|_| None, &[], &mut Vec::new());
        for w in &ws {
            let _ = crate::acl::args::make_arg_list(w, &crate::acl::types::ArgSig { min: 1, types: &[crate::acl::types::ArgType::Str, crate::acl::types::ArgType::Sint] });
        }
    }
}

#[test]
fn samples_borrow_from_the_request() {
    // Fetching a header value does not copy it.
    let src = Bits(vec![(b"host".to_vec(), b"example.com".to_vec())], None);
    let e = parse_acl_expr(&["req.hdr(host)", "example.com"], &[], &mut Vec::new()).unwrap().expr;
    let mut seen = false;
    crate::acl::fetch_each(&e.smp, &src, true, &mut |s| {
        seen = matches!(s, Sample::Str(std::borrow::Cow::Borrowed(_)));
        true
    });
    assert!(seen);
}

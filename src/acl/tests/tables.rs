//! The fetch, converter and ACL keyword tables must list exactly what HAProxy 2.6.12 registers
//! (its `-dKsmp`, `-dKcnv` and `-dKacl` dumps, recorded in testdata/golden/2.6/keywords/).

use crate::acl::fetch_table::FETCHES;
use crate::acl::kw_table::{ACL_KEYWORDS, CONVERTERS};
use crate::acl::types::Ctx;

const SMP: &str = include_str!("../../../testdata/golden/2.6/keywords/dK_smp.txt");
const CNV: &str = include_str!("../../../testdata/golden/2.6/keywords/dK_cnv.txt");
const ACL: &str = include_str!("../../../testdata/golden/2.6/keywords/dK_acl.txt");

fn split_sig(s: &str) -> (&str, &str) {
    match s.find('(') {
        Some(p) => (&s[..p], s[p + 1..].strip_suffix(')').unwrap_or(&s[p + 1..])),
        None => (s, ""),
    }
}

#[test]
fn fetches_match_haproxy() {
    let mut recorded = Vec::new();
    for line in SMP.lines().filter(|l| l.starts_with('[')) {
        let (cols, rest) = line[1..].split_once(']').unwrap();
        let (sig, out) = rest.trim().rsplit_once(": ").unwrap();
        let (name, args) = split_sig(sig);
        recorded.push((name.to_string(), args.to_string(), out.to_string(), Ctx::from_dump(cols).to_dump()));
    }
    let ours: Vec<_> = FETCHES
        .iter()
        .map(|f| (f.name.to_string(), f.args.describe(), f.out.name().to_string(), f.val.to_dump()))
        .collect();
    assert_eq!(recorded.len(), 453);
    for (r, o) in recorded.iter().zip(&ours) {
        assert_eq!(r, o);
    }
    assert_eq!(recorded, ours);
    assert!(FETCHES.windows(2).all(|w| w[0].name < w[1].name), "sorted for binary search");
}

#[test]
fn converters_match_haproxy() {
    // HAProxy prints `name(args): <out> => <in>`.
    let recorded: Vec<_> = CNV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (sig, types) = l.rsplit_once(": ").unwrap();
            let (out, inp) = types.split_once(" => ").unwrap();
            let (name, args) = split_sig(sig);
            (name.to_string(), args.to_string(), inp.to_string(), out.to_string())
        })
        .collect();
    let ours: Vec<_> = CONVERTERS
        .iter()
        .map(|c| (c.name.to_string(), c.args.describe(), c.in_type.name().to_string(), c.out_type.name().to_string()))
        .collect();
    assert_eq!(recorded.len(), 135);
    assert_eq!(recorded, ours);
    assert!(CONVERTERS.windows(2).all(|w| w[0].name < w[1].name));
}

#[test]
fn acl_keywords_match_haproxy() {
    let recorded: Vec<_> = ACL
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, rest) = l.split_once(" = ").unwrap();
            let (fetch, m) = rest.split_once(" -m ").unwrap();
            (name.to_string(), fetch.to_string(), m.to_string())
        })
        .collect();
    let ours: Vec<_> =
        ACL_KEYWORDS.iter().map(|k| (k.name.to_string(), k.fetch.to_string(), k.method.name().to_string())).collect();
    assert_eq!(recorded.len(), 77);
    assert_eq!(recorded, ours);
    assert!(ACL_KEYWORDS.windows(2).all(|w| w[0].name < w[1].name));
    for k in ACL_KEYWORDS {
        assert!(crate::acl::fetch_table::find_fetch(k.fetch).is_some(), "{} relies on {}", k.name, k.fetch);
    }
}

#[test]
fn fetch_sources_match_haproxy() {
    let recorded: Vec<(String, String)> = include_str!("../../../testdata/golden/2.6/keywords/fetch_src.tsv")
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect();
    let ours: Vec<(String, String)> =
        crate::acl::fetch_src::FETCH_SOURCES.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(recorded, ours);
    assert!(ours.windows(2).all(|w| w[0].0 < w[1].0));
    // Every fetch unusable somewhere in a proxy has a recorded source.
    for f in FETCHES {
        let proxy_places = Ctx((1 << 20) - 1);
        if f.val.0 & proxy_places.0 != proxy_places.0 {
            assert!(crate::acl::fetch_source(f.name).is_some(), "{}", f.name);
        }
    }
    let e = crate::acl::parse_sample_expr(&["path"], &mut 0).unwrap();
    assert_eq!(
        crate::acl::check_place(&e, Ctx::FE_CON_ACC, "set-var(sess.x)").unwrap_err(),
        "fetch method 'set-var(sess.x)' extracts information from 'HTTP request headers', none of which is available here"
    );
    assert!(crate::acl::check_place(&e, Ctx::FE_HRQ_HDR, "x").is_ok());
}

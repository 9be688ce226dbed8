//! Evaluation against HAProxy: every ACL of testdata/golden/2.6/keywords/acl_eval.in is
//! evaluated on every request there, and must match exactly when HAProxy 2.6 matched it
//! (acl_eval.golden, recorded by record_eval.py with the same requests and proxies).

use std::net::SocketAddr;

use crate::acl::{AclTable, ConfigLookup, ProxyCtx, SampleSource};

const INPUT: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_eval.in");
const GOLDEN: &str = include_str!("../../../testdata/golden/2.6/keywords/acl_eval.golden");

/// A parsed request, with the proxy state of the recording (see acl_eval.in).
struct Req {
    method: Vec<u8>,
    uri: Vec<u8>,
    version: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Req {
    fn parse(raw: &str) -> Req {
        let mut lines = raw.split("\\r\\n");
        let start: Vec<&str> = lines.next().unwrap().split(' ').collect();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.as_bytes().to_vec(), v.trim_matches([' ', '\t']).as_bytes().to_vec())
            })
            .collect();
        Req {
            method: start[0].as_bytes().to_vec(),
            uri: start[1].as_bytes().to_vec(),
            version: start[2].as_bytes().to_vec(),
            headers,
        }
    }
}

impl SampleSource for Req {
    fn src(&self) -> Option<SocketAddr> {
        Some("127.0.0.1:40000".parse().unwrap())
    }
    fn dst(&self) -> Option<SocketAddr> {
        Some("127.0.0.1:40001".parse().unwrap())
    }
    fn is_http(&self) -> bool {
        true
    }
    fn method(&self) -> Option<&[u8]> {
        Some(&self.method)
    }
    fn uri(&self) -> Option<&[u8]> {
        Some(&self.uri)
    }
    fn version(&self) -> Option<&[u8]> {
        Some(&self.version)
    }
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.headers.get(i).map(|(n, v)| (n.as_slice(), v.as_slice()))
    }
    fn nbsrv(&self, backend: &str) -> Option<i64> {
        match backend {
            "be" => Some(1),
            "be2" => Some(0),
            _ => None,
        }
    }
    fn srv_is_up(&self, backend: &str, server: &str) -> Option<bool> {
        match (backend, server) {
            ("be", "s1") => Some(true),
            ("be", "s2") => Some(false),
            _ => None,
        }
    }
    fn avg_queue(&self, _: &str) -> Option<i64> {
        Some(0)
    }
    fn queue(&self, _: &str) -> Option<i64> {
        Some(0)
    }
    fn be_conn(&self, _: &str) -> Option<i64> {
        Some(0)
    }
    fn connslots(&self, backend: &str) -> Option<i64> {
        // s1: (maxconn 10 - 0) + (maxqueue 5 - 0); s2 is in maintenance.
        Some(if backend == "be" { crate::acl::eval::connslots([(10, 0, 5, 0)]) } else { 0 })
    }
    fn fe_conn(&self, _: &str) -> Option<i64> {
        Some(1)
    }
}

struct Lookup;
impl ConfigLookup for Lookup {
    fn backend(&self, name: &str) -> bool {
        matches!(name, "be" | "be2")
    }
    fn frontend(&self, name: &str) -> bool {
        name == "fe"
    }
    fn server(&self, proxy: &str, server: &str) -> bool {
        proxy == "be" && matches!(server, "s1" | "s2")
    }
    fn table(&self, _: &str) -> bool {
        false
    }
    fn userlist(&self, _: &str) -> bool {
        false
    }
}

#[test]
fn evaluation_matches_haproxy() {
    let mut reqs = Vec::new();
    let mut acls: Vec<Vec<String>> = Vec::new();
    for line in INPUT.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match line.strip_prefix("req ") {
            Some(r) => reqs.push(Req::parse(r)),
            None => acls.push(line.split(' ').map(String::from).collect()),
        }
    }
    let names: Vec<String> = (0..acls.len()).map(|i| format!("a{i}")).collect();
    let mut table = AclTable::build(names.iter().map(String::as_str).zip(acls.iter().map(Vec::as_slice)))
        .unwrap_or_else(|(i, e)| panic!("ACL {i} ({}): {}", acls[i].join(" "), e.msg));
    let px = ProxyCtx { name: "fe", frontend: true, backend: false };
    for e in table.exprs_mut() {
        let kw = e.smp.fetch.name;
        let errs = crate::acl::resolve_expr(&mut e.smp, kw, crate::acl::ArgCtx::ACL, &px, &Lookup);
        assert!(errs.is_empty(), "{errs:?}");
    }
    let conds: Vec<_> = names.iter().map(|n| table.condition(acls.len(), &["if", n.as_str()]).unwrap()).collect();
    for c in &conds {
        assert!(crate::acl::unsupported(c).is_empty(), "{:?}", crate::acl::unsupported(c));
    }
    let mut failures = Vec::new();
    let golden: Vec<&str> = GOLDEN.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(golden.len(), reqs.len(), "acl_eval.golden is out of date: run record_eval.py");
    for (n, line) in golden.iter().enumerate() {
        let bits = line.split_once(' ').unwrap().1.as_bytes();
        assert_eq!(bits.len(), acls.len(), "acl_eval.golden is out of date: run record_eval.py");
        for (i, c) in conds.iter().enumerate() {
            let got = c.eval(&reqs[n]);
            if got != (bits[i] == b'1') {
                failures.push(format!(
                    "request {n}, `{}`: haproxy {}, haproxide {got}",
                    acls[i].join(" "),
                    bits[i] == b'1'
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} difference(s):\n{}", failures.len(), failures.join("\n"));
}

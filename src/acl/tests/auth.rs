//! The Authorization header as HAProxy 2.6 reads it (cases measured on the binary), userlist
//! password checks against hashes made by Debian's libxcrypt, and no panic on garbage.

use proptest::prelude::*;

use super::{base64dec, fetch, parse_authorization, Credentials, Userlist};
use crate::acl::parse::parse_acl_expr;
use crate::acl::{Sample, SampleSource};
use crate::ir::types::{GroupSpec, UserSpec, UserlistSpec};

fn basic(user: &str, pass: &str) -> Option<Credentials<'static>> {
    Some(Credentials::Basic { user: user.as_bytes().to_vec(), pass: pass.as_bytes().to_vec() })
}

#[test]
fn basic_header_as_haproxy_reads_it() {
    let p = |v: &str| parse_authorization(v.as_bytes()).map(|c| format!("{c:?}"));
    let alice = basic("alice", "pw").map(|c| format!("{c:?}"));
    for ok in [
        "Basic YWxpY2U6cHc=",
        "basic YWxpY2U6cHc=",
        "BASIC YWxpY2U6cHc=",
        "Bas YWxpY2U6cHc=",
        "B YWxpY2U6cHc=",
        "Basic   YWxpY2U6cHc=",
        // Padded groups may be followed by more; "Y===" gives nothing; unused bits unchecked.
        "Basic YWw=aWNlOnB3",
        "Basic Y===YWxpY2U6cHc=",
        "Basic YWxpY2U6cHd=",
    ] {
        assert_eq!(p(ok), alice, "{ok}");
    }
    for bad in [
        "Basics YWxpY2U6cHc=",
        "Basic\tYWxpY2U6cHc=",
        "BasicYWxpY2U6cHc=",
        " YWxpY2U6cHc=",
        "Basic YWxpY2U6cA",
        "Basic YWxpY2U6cHc==",
        "Basic ====YWxpY2U6cHc=",
        "Basic =YWxpY2U6cHc=xxx",
        "Basic YWxpY2U6 cHc=",
        "Basic !!!!",
        "Basic ",
        "Digest username=x",
        "",
    ] {
        assert_eq!(p(bad), None, "{bad}");
    }
    // No colon (a NUL ends the text first), the password cut at a NUL.
    assert_eq!(parse_authorization(b"Basic YWxpY2UAeDpwdw=="), None);
    assert_eq!(parse_authorization(b"Basic YWxpY2U6cHcAanVuaw=="), basic("alice", "pw"));
    assert_eq!(parse_authorization(b"Basic OnB3"), basic("", "pw"));
    assert_eq!(parse_authorization(b"Basic YWxpY2U6cHc6eA=="), basic("alice", "pw:x"));
}

#[test]
fn bearer_header() {
    assert_eq!(parse_authorization(b"Bearer abc.def"), Some(Credentials::Bearer(b"abc.def")));
    assert_eq!(parse_authorization(b"bearer   abc def"), Some(Credentials::Bearer(b"abc def")));
    assert_eq!(parse_authorization(b"Bear x"), Some(Credentials::Bearer(b"x")));
    assert_eq!(parse_authorization(b"Bearer"), None);
    // `B` reads as Basic, whose base64 then fails.
    assert_eq!(parse_authorization(b"B x"), None);
}

#[test]
fn base64_lengths() {
    assert_eq!(base64dec(b"").as_deref(), Some(&b""[..]));
    assert_eq!(base64dec(b"YQ==").as_deref(), Some(&b"a"[..]));
    assert_eq!(base64dec(b"YWI=").as_deref(), Some(&b"ab"[..]));
    assert_eq!(base64dec(b"YWJj").as_deref(), Some(&b"abc"[..]));
    assert_eq!(base64dec(b"YQ=="), base64dec(b"YR=="));
    assert_eq!(base64dec(b"YQ=a"), None);
    assert_eq!(base64dec(b"YQ="), None);
}

/// Hashes of "s3cret:x" (and of "" for the last) made by Debian's libxcrypt (python's crypt).
const VECTORS: &[(&str, &str)] = &[
    ("s3cret:x", "$1$salt$1iu/fj8xfoGRepoVCUxN21"),
    ("s3cret:x", "$5$rounds=1000$salt$oZUGgMkb3WAK98LrEQqvwwLuBU1oQgnfUvzv4V7NslA"),
    (
        "s3cret:x",
        "$6$rounds=1000$salt$u4140HBDRLbMYHlKFg7kAnQ8XR8EUGORixjhGAUfWEvsRYDN3Y7Jt19hnt7ilHAap.59e0fTQdI9yNKZPrp3L/",
    ),
    ("s3cret:x", "$2b$04$abcdefghijklmnopqrstuuh51NQfZBCY2nUs1Btlpp7LsFp/mk44C"),
    ("s3cret:x", "abn1gjW3RKBRU"),
    ("", "$1$salt$UsdFqFVB.FsuinRDK5eE.."),
];

fn user(name: &str, pw: Option<&str>, insecure: bool, groups: &[&str]) -> UserSpec {
    UserSpec {
        name: name.into(),
        password: pw.map(String::from),
        insecure,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

#[test]
fn passwords() {
    for (i, (pw, hash)) in VECTORS.iter().enumerate() {
        let spec = UserlistSpec { users: vec![user("u", Some(hash), false, &[])], groups: vec![] };
        let ul = Userlist::new("L", &spec);
        assert!(ul.check(b"u", pw.as_bytes()), "vector {i}");
        assert!(!ul.check(b"u", b"s3cret:y"), "vector {i}");
        assert!(!ul.check(b"v", pw.as_bytes()), "vector {i}");
    }
    let spec = UserlistSpec {
        users: vec![
            user("plain", Some("pw"), true, &[]),
            user("locked", Some("*"), false, &[]),
            user("yes", Some("$y$j9T$salt$x"), false, &[]),
            user("none", None, false, &[]),
            user("empty", Some(""), true, &[]),
        ],
        groups: vec![],
    };
    let ul = Userlist::new("L", &spec);
    assert!(ul.check(b"plain", b"pw"));
    assert!(!ul.check(b"plain", b"pW"));
    assert!(!ul.check(b"locked", b"*"));
    assert!(!ul.check(b"locked", b""));
    assert!(!ul.check(b"yes", b"x"));
    assert!(!ul.check(b"none", b""));
    assert!(ul.check(b"empty", b""));
}

/// A request with headers and one userlist.
struct Req(Vec<(&'static str, String)>, Userlist);

impl SampleSource for Req {
    fn req_header(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.0.get(i).map(|(n, v)| (n.as_bytes(), v.as_bytes()))
    }
    fn userlist(&self, name: &str) -> Option<&Userlist> {
        (name == self.1.name).then_some(&self.1)
    }
}

fn groups_list() -> Userlist {
    let spec = UserlistSpec {
        users: vec![
            user("alice", Some("pw"), true, &[]),
            user("bob", Some("pw"), true, &["ops"]),
            user("carol", Some("pw"), true, &[]),
        ],
        groups: vec![
            GroupSpec { name: "admins".into(), users: vec!["alice".into()] },
            GroupSpec { name: "ops".into(), users: vec![] },
        ],
    };
    Userlist::new("L", &spec)
}

fn acl_matches(words: &[&str], auth: &str) -> bool {
    let e = parse_acl_expr(words, &[], &mut Vec::new()).unwrap().expr;
    let req = Req(vec![("Authorization", auth.to_string())], groups_list());
    e.matches(&req)
}

#[test]
fn groups_from_both_sides() {
    let b = |u: &str| format!("Basic {}", b64(format!("{u}:pw").as_bytes()));
    assert!(acl_matches(&["http_auth_group(L)", "admins"], &b("alice")));
    assert!(acl_matches(&["http_auth_group(L)", "nope", "ops"], &b("bob")));
    assert!(!acl_matches(&["http_auth_group(L)", "admins"], &b("bob")));
    assert!(!acl_matches(&["http_auth_group(L)", "admins", "ops"], &b("carol")));
    // Wrong password: no user, no group.
    assert!(!acl_matches(&["http_auth_group(L)", "admins"], "Basic YWxpY2U6cHg="));
    assert!(acl_matches(&["http_auth(L)"], &b("carol")));
    assert!(!acl_matches(&["http_auth(L)"], "Bearer x"));
}

#[test]
fn fetches() {
    let req = |v: &str| Req(vec![("Authorization", v.to_string()), ("X-Tok", "bearer  t x".into())], groups_list());
    let get = |r: &Req, name: &str, args: &[crate::acl::args::Arg]| {
        fetch(name, args, r).map(|s| String::from_utf8_lossy(s.as_bytes().unwrap_or(b"?")).into_owned())
    };
    let r = req("Basic YWxpY2U6cHc=, Basic eDp5");
    assert_eq!(get(&r, "http_auth_user", &[]).as_deref(), Some("alice"));
    assert_eq!(get(&r, "http_auth_pass", &[]).as_deref(), Some("pw"));
    assert_eq!(get(&r, "http_auth_type", &[]).as_deref(), Some("Basic"));
    assert_eq!(get(&r, "http_auth_bearer", &[]), None);
    let tok = [crate::acl::args::Arg::Str("X-Tok".into())];
    assert_eq!(get(&r, "http_auth_bearer", &tok).as_deref(), Some("t x"));
    let other = [crate::acl::args::Arg::Str("Authorization".into())];
    assert_eq!(get(&r, "http_auth_bearer", &other).as_deref(), Some(""));
    let r = req("Bear abc");
    assert_eq!(get(&r, "http_auth_bearer", &[]).as_deref(), Some("abc"));
    assert_eq!(get(&r, "http_auth_type", &[]).as_deref(), Some("Bearer"));
    assert_eq!(get(&r, "http_auth_user", &[]), None);
    let ul = [crate::acl::args::Arg::Usr("L".into())];
    assert!(matches!(fetch("http_auth", &ul, &req("Basic YWxpY2U6cHc=")), Some(Sample::Bool(true))));
    assert!(matches!(fetch("http_auth", &ul, &req("Basic YWxpY2U6cHg=")), Some(Sample::Bool(false))));
    let missing = [crate::acl::args::Arg::Usr("M".into())];
    assert!(fetch("http_auth", &missing, &req("Basic YWxpY2U6cHc=")).is_none());
}

fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

proptest! {
    #[test]
    fn no_panic_on_garbage(v in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_authorization(&v);
        let _ = base64dec(&v);
    }

    #[test]
    fn base64_round_trip(data in proptest::collection::vec(any::<u8>(), 0..100)) {
        prop_assert_eq!(base64dec(b64(&data).as_bytes()), Some(data));
    }

    #[test]
    fn basic_round_trip(user in "[a-z0-9_.-]{0,20}", pass in "[ -~]{0,30}") {
        let hdr = format!("Basic {}", b64(format!("{user}:{pass}").as_bytes()));
        prop_assert_eq!(parse_authorization(hdr.as_bytes()), basic(&user, &pass));
    }
}

//! Cookie handling checked against what HAProxy 2.6.12 was measured to do (the cases and
//! their outputs were recorded with curl against `haproxy` and its logs).

use super::*;
use crate::ir::types::{CookieMode, CookieSpec};

fn conf(mode: CookieMode, f: impl FnOnce(&mut CookieSpec)) -> CookieConf {
    let mut c = CookieSpec { name: "SRV".into(), mode, ..Default::default() };
    f(&mut c);
    CookieConf::from_ir(&c)
}

const SERVERS: [CkServer<'static>; 2] =
    [CkServer { cookie: Some(b"c1"), running: true }, CkServer { cookie: Some(b"c2"), running: true }];

/// Run the request side over one Cookie header: (fate, server, %tsc cookie char).
fn req(c: &CookieConf, servers: &[CkServer], persist: bool, value: &str) -> (Fate, Option<usize>, u8) {
    let r = Request { conf: Some(c), capture: None, servers, persist, now: 1_795_234_000 };
    let mut flags = Flags::default();
    let mut txn = CookieTxn::new(b"GET");
    let f = r.header(value.as_bytes(), &mut flags, &mut txn);
    (f, flags.assigned, txn.tsc(Some(c))[0])
}

fn set(v: &str) -> Fate {
    Fate::Set(v.as_bytes().to_vec())
}

#[test]
fn insert_indirect_strips_our_cookie() {
    let c = conf(CookieMode::Insert, |c| c.indirect = true);
    assert_eq!(req(&c, &SERVERS, false, "SRV=c2"), (Fate::Remove, Some(1), b'V'));
    assert_eq!(req(&c, &SERVERS, false, "a=1; SRV=c2; b=2"), (set("a=1; b=2"), Some(1), b'V'));
    assert_eq!(req(&c, &SERVERS, false, "a=1; SRV=c2"), (set("a=1"), Some(1), b'V'));
    assert_eq!(req(&c, &SERVERS, false, "SRV=c1;a=1"), (set("a=1"), Some(0), b'V'));
    assert_eq!(req(&c, &SERVERS, false, "SRV=zz"), (Fate::Remove, None, b'I'));
    assert_eq!(req(&c, &SERVERS, false, "a=1"), (Fate::Keep, None, b'N'));
}

#[test]
fn spaces_around_equal_signs_are_removed() {
    let c = conf(CookieMode::Insert, |_| ());
    assert_eq!(req(&c, &SERVERS, false, "a = 1; SRV =  c1"), (set("a=1; SRV=c1"), Some(0), b'V'));
}

#[test]
fn prefix_gives_the_server_its_own_cookie() {
    let c = conf(CookieMode::Prefix, |_| ());
    assert_eq!(req(&c, &SERVERS, false, "SRV=c2~abc; o=1"), (set("SRV=abc; o=1"), Some(1), b'V'));
    assert_eq!(req(&c, &SERVERS, false, "SRV=c2"), (Fate::Keep, Some(1), b'V'));
    // An unknown prefix is invalid but stripped all the same.
    assert_eq!(req(&c, &SERVERS, false, "SRV=zz~abc"), (set("SRV=abc"), None, b'I'));
}

#[test]
fn passive_and_rewrite_leave_the_request_alone() {
    let c = conf(CookieMode::Passive, |_| ());
    let (f, s, _) = req(&c, &SERVERS, false, "SRV=c2");
    assert_eq!((f, s), (Fate::Keep, Some(1)));
    assert_eq!(CookieTxn::default().tsc(Some(&c)), *b"--");
    let c = conf(CookieMode::Rewrite, |_| ());
    assert_eq!(req(&c, &SERVERS, false, "SRV=c2"), (Fate::Keep, Some(1), b'V'));
}

#[test]
fn down_servers() {
    let c = conf(CookieMode::Insert, |c| c.indirect = true);
    let down = [CkServer { cookie: Some(b"c1"), running: false }, SERVERS[1]];
    assert_eq!(req(&c, &down, false, "SRV=c1"), (Fate::Remove, None, b'D'));
    // `option persist` keeps sending it there.
    assert_eq!(req(&c, &down, true, "SRV=c1"), (Fate::Remove, Some(0), b'D'));
    // The how-to: the active server is down, the backup sharing its cookie takes over.
    let howto = [
        CkServer { cookie: Some(b"app1"), running: false },
        CkServer { cookie: Some(b"app2"), running: true },
        CkServer { cookie: Some(b"app1"), running: true },
    ];
    assert_eq!(req(&c, &howto, false, "SRV=app1"), (Fate::Remove, Some(2), b'V'));
}

#[test]
fn force_and_ignore_persist() {
    let c = conf(CookieMode::Insert, |_| ());
    let down = [CkServer { cookie: Some(b"c1"), running: false }, SERVERS[1]];
    let r = Request { conf: Some(&c), capture: None, servers: &down, persist: false, now: 0 };
    let mut flags = Flags { force: true, ..Default::default() };
    let mut txn = CookieTxn::default();
    r.header(b"SRV=c1", &mut flags, &mut txn);
    assert_eq!((flags.assigned, txn.ck), (Some(0), ck::DOWN));
    let mut flags = Flags { ignore: true, ..Default::default() };
    let mut txn = CookieTxn::default();
    r.header(b"SRV=c2", &mut flags, &mut txn);
    assert_eq!((flags.assigned, txn.ck), (None, ck::UNUSED));
}

#[test]
fn dates() {
    let c = conf(CookieMode::Insert, |c| {
        c.maxidle = Some(1800);
        c.maxlife = Some(8 * 3600);
    });
    let now = i64::from(b64tos30(b"awEaS")) << 2;
    let r = Request { conf: Some(&c), capture: None, servers: &SERVERS, persist: false, now };
    let mut flags = Flags::default();
    let mut txn = CookieTxn::default();
    r.header(b"SRV=c1|zzzzz|aaaaa", &mut flags, &mut txn);
    assert_eq!((flags.assigned, txn.ck), (None, ck::OLD));
    // A date field shorter than five characters is ignored: valid, and refreshed.
    let mut flags = Flags::default();
    let mut txn = CookieTxn::default();
    r.header(b"SRV=c1|abc", &mut flags, &mut txn);
    assert_eq!((flags.assigned, txn.ck, txn.last_date), (Some(0), ck::VALID, 0));
}

fn resp<'a>(c: &'a CookieConf, srv: Option<&'a [u8]>, now: i64) -> Response<'a> {
    Response { conf: Some(c), capture: None, server: Some(srv), now, post: false }
}

#[test]
fn set_cookie_from_the_server() {
    let rw = conf(CookieMode::Rewrite, |_| ());
    let mut txn = CookieTxn::default();
    let f = resp(&rw, Some(b"c2"), 0).set_cookie(b"SRV=abc; path=/", &Flags::default(), &mut txn);
    assert_eq!((f, txn.sck), (set("SRV=c2; path=/"), sck::REPLACED));
    let pfx = conf(CookieMode::Prefix, |_| ());
    let mut txn = CookieTxn::default();
    let f = resp(&pfx, Some(b"c1"), 0).set_cookie(b"SRV=def; path=/", &Flags::default(), &mut txn);
    assert_eq!(f, set("SRV=c1~def; path=/"));
    let ins = conf(CookieMode::Insert, |c| c.indirect = true);
    let mut txn = CookieTxn::default();
    let f = resp(&ins, Some(b"c1"), 0).set_cookie(b"SRV=x; path=/", &Flags::default(), &mut txn);
    assert_eq!((f, txn.sck), (Fate::Remove, sck::DELETED));
    let f = resp(&ins, Some(b"c1"), 0).set_cookie(b"a=b", &Flags::default(), &mut txn);
    assert_eq!(f, Fate::Keep);
    // `preserve` leaves it, and then nothing is inserted.
    let psv = conf(CookieMode::Insert, |c| c.preserve = true);
    let mut txn = CookieTxn::default();
    let r = resp(&psv, Some(b"c1"), 0);
    assert_eq!(r.set_cookie(b"SRV=mine", &Flags::default(), &mut txn), Fate::Keep);
    assert_eq!(txn.sck, sck::FOUND);
    assert_eq!(r.insert(&Flags::default(), &mut txn), None);
}

#[test]
fn inserted_set_cookie_bytes() {
    let c = conf(CookieMode::Insert, |c| c.nocache = true);
    let mut txn = CookieTxn::new(b"GET");
    Response::check_cacheability(200, [(&b"Cache-Control"[..], &b"max-age=10"[..])].into_iter(), &mut txn);
    let got = resp(&c, Some(b"c1"), 0).insert(&Flags::default(), &mut txn);
    assert_eq!(got, Some((b"SRV=c1; path=/".to_vec(), true)));
    assert_eq!(txn.sck, sck::INSERTED);
    // A direct hit needs nothing.
    let mut txn = CookieTxn::new(b"GET");
    let direct = Flags { direct: true, assigned: Some(0), ..Default::default() };
    assert_eq!(resp(&c, Some(b"c1"), 0).insert(&direct, &mut txn), None);

    let c = conf(CookieMode::Insert, |c| {
        c.httponly = true;
        c.secure = true;
        c.domains = vec![".example.com".into(), ".b.com".into()];
        c.maxidle = Some(1800);
        c.maxlife = Some(8 * 3600);
        c.attrs = vec!["SameSite=Lax".into(), "x=y".into()];
    });
    let now = (i64::from(b64tos30(b"awEaS")) << 2) - 3;
    let mut txn = CookieTxn::new(b"GET");
    let (v, private) = resp(&c, Some(b"c1"), now).insert(&Flags::default(), &mut txn).unwrap();
    assert_eq!(
        String::from_utf8(v).unwrap(),
        "SRV=c1|awEaS|awEaS; path=/; domain=.example.com; domain=.b.com; HttpOnly; Secure; SameSite=Lax; x=y"
    );
    assert!(!private);
    // A server without a cookie makes the client forget it.
    let mut txn = CookieTxn::new(b"GET");
    let (v, _) = resp(&c, None, now).insert(&Flags::default(), &mut txn).unwrap();
    assert_eq!(
        String::from_utf8(v).unwrap(),
        "SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=.example.com; domain=.b.com; HttpOnly; Secure; SameSite=Lax; x=y"
    );
    // postonly: only POST responses get one.
    let c = conf(CookieMode::Insert, |c| c.postonly = true);
    let mut txn = CookieTxn::new(b"GET");
    assert_eq!(resp(&c, Some(b"c1"), 0).insert(&Flags::default(), &mut txn), None);
}

#[test]
fn cacheability_as_measured() {
    let check = |method: &[u8], hdrs: &[(&str, &str)]| {
        let mut txn = CookieTxn::new(method);
        let h: Vec<(&[u8], &[u8])> = hdrs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
        Response::check_cacheability(200, h.into_iter(), &mut txn);
        txn.cacheable
    };
    assert!(check(b"GET", &[("Cache-Control", "max-age=10")]));
    assert!(check(b"GET", &[("ETag", "x")]));
    assert!(check(b"GET", &[("Last-Modified", "x")]));
    assert!(check(b"GET", &[("Expires", "0")]));
    assert!(check(b"GET", &[("Cache-Control", "no-cache=\"set-cookie\", max-age=5")]));
    assert!(!check(b"GET", &[]));
    assert!(!check(b"GET", &[("Cache-Control", "public")]));
    assert!(!check(b"GET", &[("Cache-Control", "private")]));
    assert!(!check(b"GET", &[("Cache-Control", "max-age=0")]));
    assert!(!check(b"GET", &[("Cache-Control", "max-age=0, s-maxage=5")]));
    assert!(!check(b"GET", &[("Cache-Control", "max-age=10"), ("Pragma", "no-cache")]));
    assert!(!check(b"POST", &[("Cache-Control", "max-age=10")]));
}

#[test]
fn captures() {
    let c = conf(CookieMode::Prefix, |_| ());
    let cap = Capture::new("SRV", 32);
    let r = Request { conf: Some(&c), capture: Some(&cap), servers: &SERVERS, persist: false, now: 0 };
    let mut flags = Flags::default();
    let mut txn = CookieTxn::default();
    r.header(b"x=1; SRV=c2~abc", &mut flags, &mut txn);
    assert_eq!(txn.cli_cookie.as_deref(), Some(&b"SRV=c2~abc"[..]));
    let resp = Response { conf: Some(&c), capture: Some(&cap), server: Some(Some(b"c1")), now: 0, post: false };
    resp.set_cookie(b"SRV=def; path=/", &flags, &mut txn);
    resp.set_cookie(b"SRV=g", &flags, &mut txn);
    assert_eq!(txn.srv_cookie.as_deref(), Some(&b"SRV=def"[..]));
    assert_eq!(Capture::new("x", 100).len, 63);
}

#[test]
fn dynamic_cookies_match_haproxy() {
    let ip = "127.0.0.1".parse().unwrap();
    assert_eq!(dynamic_cookie("MYKEY", ip, 21081), "151c21e4566f2842");
    assert_eq!(dynamic_cookie("MYKEY", ip, 21082), "8c862b8f8bbfe911");
}

#[test]
fn base64_dates_round_trip() {
    let mut v = Vec::new();
    s30tob64(448_808_594, &mut v);
    assert_eq!(v, b"awEaS");
    assert_eq!(b64tos30(b"awEaS"), 448_808_594);
    assert_eq!(b64tos30(b"ab#cd"), 26 * 64 + 27);
}

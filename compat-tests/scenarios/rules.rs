//! Rules, compared byte for byte with HAProxy: what the server receives after `http-request`
//! rewrites, what the client receives from `deny`, `return`, redirects and `http-response` /
//! `http-after-response` rules, how the connections end, and the log line with its
//! termination flags. TCP-level rules (`tcp-request connection|session|content`,
//! `tcp-response content`) in both modes.

use super::http_kit::{check, serve, tx, Case, C, GET, OK, S};

fn c(name: &str) -> Case {
    Case::new(name).fe("option httplog")
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: h.com\r\nX-In: v1\r\n\r\n").into_bytes()
}

/// A server answer with a few headers to edit.
const RESP: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: mock\r\nX-Srv: aab, aaab\r\nSet-Cookie: s=1\r\n\r\nok";

#[test]
fn generated_responses() {
    crate::require_haproxy!();
    let cases = vec![
        c("deny").fe("http-request deny").request(&get("/")),
        c("deny status").fe("http-request deny deny_status 404").request(&get("/")),
        c("deny reply")
            .fe("http-request deny status 429 content-type text/plain string \"slow down\" hdr X-A \"b c\"")
            .request(&get("/")),
        c("deny errorfile-like status").fe("http-request deny deny_status 503").request(&get("/")),
        c("tarpit").fe("timeout tarpit 200ms").fe("http-request tarpit").request(&get("/")),
        c("tarpit status").fe("timeout tarpit 200ms").fe("http-request tarpit deny_status 429").request(&get("/")),
        c("tarpit on connect timeout").fe("timeout connect 150ms").fe("http-request tarpit if { path /t }").client(vec![
            tx(&get("/t")),
            C::Resp(1),
            tx(&get("/")),
            C::Resp(1),
            C::Idle(100),
        ]),
        c("tarpit in backend").be("timeout tarpit 100ms").be("http-request tarpit").request(&get("/")),
        c("deny in backend").be("http-request deny").request(&get("/")),
        c("deny http/1.0").fe("http-request deny").request(b"GET / HTTP/1.0\r\n\r\n"),
        c("deny then next request").fe("http-request deny if { path /d }").client(vec![
            tx(&get("/d")),
            C::Resp(1),
            tx(&get("/ok")),
            C::Resp(1),
            C::Idle(150),
        ]),
        c("deny body all in").fe("http-request deny").client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        c("deny body partial").fe("http-request deny").request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello"),
        c("return empty").fe("http-request return").request(&get("/")),
        c("return string").fe("http-request return status 200 content-type text/plain string ok hdr X-A b").request(&get("/")),
        c("return lf").fe("http-request return status 201 content-type text/html lf-string \"hi %[path] %[req.hdr(x-in)]\" hdr X-P %[path]").request(&get("/a?b")),
        c("return 503 empty").fe("http-request return status 503").request(&get("/")),
        c("return default page").fe("http-request return status 404 default-errorfiles").request(&get("/")),
        c("return http/1.0 keep-alive").fe("http-request return status 200").request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        c("return partial body").fe("http-request return").request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello"),
        c("return chunked all in").fe("http-request return").client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(150),
        ]),
        c("reject").fe("http-request reject").client(vec![tx(&get("/")), C::UntilClose(1000)]),
        c("reject in backend").be("http-request reject if { path /r }").client(vec![tx(&get("/r")), C::UntilClose(1000)]),
    ];
    check("", &cases);
}

#[test]
fn redirects() {
    crate::require_haproxy!();
    let r = |name: &str, rule: &str, path: &str| c(name).fe(rule).request(&get(path));
    let cases = vec![
        r("location", "http-request redirect location /x", "/"),
        r("301 set-cookie", "http-request redirect location /x code 301 set-cookie A=1", "/"),
        r("303 clear-cookie", "http-request redirect location /x code 303 clear-cookie B", "/"),
        r("307", "http-request redirect location /x code 307", "/"),
        r("308", "http-request redirect location /x code 308", "/"),
        r("prefix drop-query", "http-request redirect prefix https://ex.com drop-query", "/p/a?b=c"),
        r("prefix append-slash", "http-request redirect prefix https://ex.com append-slash", "/p/a?q"),
        r("prefix slash", "http-request redirect prefix / code 301", "/p/a?q"),
        r("scheme", "http-request redirect scheme https", "/s/x?y"),
        r("scheme append-slash", "http-request redirect scheme https append-slash drop-query", "/s/x?y"),
        r("location fmt", "http-request redirect location https://%[req.hdr(host)]%[path]?from=%[req.hdr(x-in)]", "/a"),
        r("ignore-empty empty", "http-request redirect location %[req.hdr(x-none)] ignore-empty", "/"),
        r("ignore-empty set", "http-request redirect location %[req.hdr(x-in)] ignore-empty", "/"),
        r("keyword", "redirect location /old code 301", "/"),
        r("keyword prefix", "redirect prefix http://other", "/a?b"),
        r("keyword with condition", "redirect location /no if { path /x }", "/"),
        r("keyword scheme", "redirect scheme https if { hdr(host) -m beg h. }", "/z"),
        r("in backend", "http-request deny if FALSE", "/").be("http-request redirect location /b"),
        c("http/1.0").fe("http-request redirect location /x").request(b"GET / HTTP/1.0\r\n\r\n"),
        c("partial body")
            .fe("http-request redirect location /x")
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc"),
        c("response redirect").be("http-response redirect location /elsewhere if { status 200 }").request(&get("/")),
    ];
    check("", &cases);
}

#[test]
fn request_rewrites_reach_the_server() {
    crate::require_haproxy!();
    let e = |name: &str, rule: &str, req: &[u8]| c(name).fe(rule).answer(OK).request(req);
    let cases = vec![
        e("set-header", "http-request set-header X-A %[req.hdr(x-in)]", &get("/")),
        e(
            "set-header replaces all",
            "http-request set-header X-In new",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-In: a\r\nX-In: b\r\nY: c\r\n\r\n",
        ),
        e("add-header", "http-request add-header X-In other", &get("/")),
        e("add-header vars", "http-request add-header X-C \"%ci %fi %f %b %HM %HU %HP %HQ %HV\"", &get("/p?q=1")),
        e("missing sample", "http-request set-header X-A \"[%[req.hdr(none)]]\"", &get("/")),
        e(
            "control bytes encoded",
            "http-request set-header X-A %[req.hdr(x-raw)]",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-Raw: a\"b%c#d\x01e\r\n\r\n",
        ),
        e("del-header", "http-request del-header X-In", &get("/")),
        e(
            "del-header -m beg",
            "http-request del-header x-d -m beg",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-DD: 1\r\nX-Dx: 2\r\nY: 3\r\n\r\n",
        ),
        e(
            "del-header -m sub",
            "http-request del-header - -m sub",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-DD: 1\r\nY: 3\r\n\r\n",
        ),
        e(
            "replace-header",
            "http-request replace-header X-H (a+)b [\\1]",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-H: aab, aaab\r\nx-h: cab\r\n\r\n",
        ),
        e(
            "replace-value",
            "http-request replace-value X-H (a+)b [\\1]",
            b"GET / HTTP/1.1\r\nHost: h\r\nX-H: aab, aaab,zz\r\n\r\n",
        ),
        e("set-path", "http-request set-path /new%[path]", &get("/p?q=1")),
        e("set-path absolute", "http-request set-path /new", b"GET http://h.com/p?q=1 HTTP/1.1\r\nHost: h.com\r\n\r\n"),
        e("set-pathq", "http-request set-pathq /n?x", &get("/p?q=1")),
        e("set-query", "http-request set-query a=b", &get("/p")),
        e("set-query empty", "http-request set-query %[req.hdr(none)]", &get("/p?q=1")),
        e("set-uri", "http-request set-uri http://other/x?y", &get("/p")),
        e("set-method", "http-request set-method POST", &get("/")),
        e("replace-path", "http-request replace-path /a/(.*) /b/\\1", &get("/a/x/y?z")),
        e("replace-uri", "http-request replace-uri ^/(.*)\\?(.*) /\\2/\\1", &get("/p?q=1")),
        e("replace-uri no match", "http-request replace-uri ^/nomatch /x", &get("/p")),
        c("rules see rewrites")
            .fe("http-request set-header X-A 1")
            .fe("http-request deny if { req.hdr(x-a) 1 }")
            .request(&get("/")),
        c("vars")
            .fe("http-request set-var(txn.p) path")
            .fe("http-request set-var(req.m) method")
            .fe("http-request set-header X-V \"%[var(txn.p)] %[var(req.m)]\"")
            .answer(OK)
            .request(&get("/v")),
        c("var conditions")
            .fe("http-request set-var(txn.a) str(one)")
            .fe("http-request set-var(txn.a,ifnotexists) str(two)")
            .fe("http-request set-var(txn.b,ifexists) str(x)")
            .fe("http-request set-header X-V \"%[var(txn.a)]-%[var(txn.b)]\"")
            .answer(OK)
            .request(&get("/")),
        c("set-var-fmt and unset")
            .fe("http-request set-var-fmt(txn.a) \"%[path]-%ci\"")
            .fe("http-request set-header X-V %[var(txn.a)]")
            .fe("http-request unset-var(txn.a)")
            .fe("http-request set-header X-W \"[%[var(txn.a)]]\"")
            .answer(OK)
            .request(&get("/q")),
        c("backend rules after frontend")
            .fe("http-request set-header X-Order fe")
            .be("http-request add-header X-Order be")
            .answer(OK)
            .request(&get("/")),
        c("allow stops").fe("http-request allow if { path /a }").fe("http-request deny").answer(OK).request(&get("/a")),
        c("conditions")
            .fe("acl is_a path_beg /a")
            .fe("http-request set-header X-A yes if is_a !{ req.hdr(x-in) v2 }")
            .fe("http-request set-header X-B yes unless is_a")
            .answer(OK)
            .request(&get("/a")),
        c("default port cut with rewrite")
            .fe("http-request set-header X-A 1")
            .answer(OK)
            .request(b"GET http://h.com:80/p HTTP/1.1\r\nHost: h.com:80\r\n\r\n"),
    ];
    check("", &cases);
}

#[test]
fn response_rules() {
    crate::require_haproxy!();
    let e = |name: &str| c(name).answer(RESP);
    let cases = vec![
        e("set-header").be("http-response set-header X-R %[res.hdr(server)]").request(&get("/")),
        e("add-header").fe("http-response add-header X-Srv again").request(&get("/")),
        e("del-header").be("http-response del-header set-cookie").request(&get("/")),
        e("replace-header").be("http-response replace-header X-Srv (a+)b [\\1]").request(&get("/")),
        e("replace-value").be("http-response replace-value X-Srv (a+)b [\\1]").request(&get("/")),
        e("set-status").be("http-response set-status 201").request(&get("/")),
        e("set-status reason").be("http-response set-status 299 reason \"All Good\"").request(&get("/")),
        e("deny").be("http-response deny if { status 200 }").request(&get("/")),
        e("deny status").fe("http-response deny deny_status 403").request(&get("/")),
        e("return").be("http-response return status 203 content-type text/plain string replaced").request(&get("/")),
        e("order backend then frontend")
            .be("http-response set-header X-Order be")
            .fe("http-response add-header X-Order fe")
            .request(&get("/")),
        e("condition on response header")
            .be("http-response set-header X-M yes if { res.hdr(x-srv) -m sub aaab }")
            .request(&get("/")),
        e("var across")
            .fe("http-request set-var(txn.p) path")
            .be("http-response set-header X-P %[var(txn.p)]")
            .request(&get("/path")),
        e("after-response on server response")
            .fe("http-after-response set-header X-After 1")
            .be("http-response set-header X-R 1")
            .request(&get("/")),
        c("after-response on deny")
            .fe("http-after-response set-header X-After 1")
            .fe("http-request deny")
            .request(&get("/")),
        c("after-response on return")
            .fe("http-after-response add-header X-After 1")
            .fe("http-request return status 200")
            .request(&get("/")),
        c("after-response on redirect")
            .fe("http-after-response set-header X-After 1")
            .fe("http-request redirect location /x")
            .request(&get("/")),
        c("after-response on 503").fe("http-after-response set-header X-After 1").no_server().request(&get("/")),
        c("after-response status").fe("http-after-response set-status 299").answer(RESP).request(&get("/")),
    ];
    check("", &cases);
}

/// Cookie fetches on both sides (`req.cook*`, `cook*`, `res.cook*`, `scook*`, `cookie`) and the
/// integer forms, on odd header values: repeated names (a sample is the last one, an ACL sees
/// each), comma-separated values, blanks, quotes, `$` attributes, `Set-Cookie` attributes,
/// empty names and values, numbers HAProxy reads leniently.
#[test]
fn cookie_fetches() {
    crate::require_haproxy!();
    let req_side = |name: &str, cookies: &[&str]| {
        let mut head = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for c in cookies {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        head.push_str("\r\n");
        c(name)
            .answer(OK)
            .be("http-request set-var(txn.a) req.cook(SID)")
            .be("http-request set-var(txn.b) req.cook()")
            .be("http-request set-var(txn.n) req.cook_cnt()")
            .be("http-request set-var(txn.m) cook_cnt(SID)")
            .be("http-request set-var(txn.v) cook_val(SID)")
            .be("http-request set-var(txn.l) int(1) if { cook(SID) -m str 1 }")
            .be("http-response set-header X-R \"%[var(txn.a)]|%[var(txn.b)]|%[var(txn.n)]|%[var(txn.m)]|%[var(txn.v)]|%[var(txn.l)]\"")
            .request(head.as_bytes())
    };
    let res_side = |name: &str, set_cookies: &[&str]| {
        let mut resp = String::from("HTTP/1.1 200 OK\r\n");
        for c in set_cookies {
            resp.push_str(&format!("Set-Cookie: {c}\r\n"));
        }
        resp.push_str("Content-Length: 2\r\n\r\nok");
        c(name)
            .answer(resp.as_bytes())
            .be("http-response set-header X-A \"%[res.cook(SID)]|%[res.cook_cnt(SID)]|%[res.cook_val(SID)]|%[res.cook()]\"")
            .be("http-response set-header X-B \"%[res.cook_cnt()]|%[cookie(SID)]|%[scook(SID)]|%[scook_val(SID)]\"")
            .be("http-response set-header X-L 1 if { scook(SID) -m str 1 }")
            .request(GET)
    };
    let cases = vec![
        req_side("request, repeated name", &["SID=1; SID=2"]),
        req_side("request, among others", &["a=1; SID=5"]),
        req_side("request, two headers", &["SID=7", "SID=8"]),
        req_side("request, word without value", &["x", "SID=3"]),
        req_side("request, blanks", &[" SID = 4 ; b=2"]),
        req_side("request, comma", &["SID=1, SID=2"]),
        req_side("request, empty name", &["=v; SID=9"]),
        req_side("request, quoted", &["SID=\"q;x\"; b=1"]),
        req_side("request, empty value at the end", &["SID="]),
        req_side("request, empty value after another", &["a=1; SID="]),
        req_side("request, dollar attribute", &["$Version=1; SID=3"]),
        req_side("request, lenient number", &["SID=+5"]),
        res_side("response, attributes", &["SID=abc; Path=/"]),
        res_side("response, name as attribute", &["other=1; SID=x"]),
        res_side("response, blanks", &[" SID = v1 ; Path=/"]),
        res_side("response, two headers", &["a=1", "SID=second"]),
        res_side("response, quoted", &["SID=\"quoted;v\"; Path=/"]),
        res_side("response, empty value", &["SID=; Path=/"]),
        res_side("response, expires with a comma", &["SID=a,b; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "SID=c"]),
        res_side("response, no equal sign", &["SID"]),
        res_side("response, empty name", &["=v; SID=z"]),
        res_side("response, number", &["SID=12abc"]),
        res_side("response, repeated in one header", &["SID=1, SID=2"]),
        res_side("response, none", &[]),
    ];
    check("", &cases);
}

#[test]
fn tcp_level_rules_in_http_mode() {
    crate::require_haproxy!();
    let cases = vec![
        c("content reject").fe("tcp-request content reject").client(vec![tx(&get("/")), C::UntilClose(1000)]),
        c("content reject by path").fe("tcp-request content reject if { path /x }").client(vec![
            tx(&get("/ok")),
            C::Resp(1),
            tx(&get("/x")),
            C::UntilClose(1000),
        ]),
        c("content accept stops").fe("tcp-request content accept").fe("tcp-request content reject").request(&get("/")),
        c("content set-var")
            .fe("tcp-request content set-var(txn.s) src")
            .fe("http-request set-header X-S %[var(txn.s)]")
            .answer(OK)
            .request(&get("/")),
        c("connection accept")
            .fe("tcp-request connection accept if { src 127.0.0.1 }")
            .fe("tcp-request connection reject")
            .request(&get("/")),
        c("session set-var")
            .fe("tcp-request session set-var(sess.a) int(7)")
            .fe("http-request set-header X-S %[var(sess.a)]")
            .answer(OK)
            .request(&get("/")),
    ];
    check("", &cases);
}

#[test]
fn connection_rejects() {
    crate::require_haproxy!();
    // Refused before any request: the client sees its connection reset (connection rules) or
    // closed (session rules), and nothing is logged.
    let cases = vec![
        c("connection reject").fe("tcp-request connection reject").client(vec![C::Sleep(100), C::UntilClose(1000)]),
        c("session reject").fe("tcp-request session reject").client(vec![C::Sleep(100), C::UntilClose(1000)]),
    ];
    check("", &cases);
}

#[test]
fn tcp_mode_rules() {
    crate::require_haproxy!();
    let echo = vec![S::Echo];
    let t = |name: &str| Case::new(name).fe("mode tcp").be("mode tcp").fe("option tcplog").server(echo.clone());
    let cases = vec![
        t("content accept").fe("tcp-request content accept if { src 127.0.0.1 }").client(vec![
            tx(b"hello"),
            C::Idle(200),
            C::ShutWr,
            C::UntilClose(1000),
        ]),
        t("content reject").fe("tcp-request content reject").client(vec![tx(b"hello"), C::UntilClose(1000)]),
        t("content reject inspect-delay")
            .fe("tcp-request inspect-delay 1s")
            .fe("tcp-request content reject if { src 127.0.0.1 }")
            .client(vec![tx(b"hello"), C::UntilClose(1500)]),
        t("backend content reject").be("tcp-request content reject").client(vec![tx(b"hello"), C::UntilClose(1000)]),
        t("response reject").be("tcp-response content reject").client(vec![C::Sleep(100), C::UntilClose(1000)]),
        t("response accept").be("tcp-response content accept").be("tcp-response content reject").client(vec![
            tx(b"hi"),
            C::Idle(200),
            C::ShutWr,
            C::UntilClose(1000),
        ]),
    ];
    let _ = serve;
    check("", &cases);
    // Alone in its batch: HAProxy writes this log line only when the next connection arrives.
    check("", &[t("response close").be("tcp-response content close").client(vec![C::Sleep(100), C::UntilClose(1000)])]);
}

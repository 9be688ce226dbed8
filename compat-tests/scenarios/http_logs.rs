//! Traffic log lines of the HTTP path compared with HAProxy: the default "Connect from" line per
//! request, httplog fields for every way a transaction can end (flags, timers that did not
//! happen, `<NOSRV>`, `<BADREQ>`), the HTX-sized byte counts, `%r` escaping, `dontlognull`, `dontlog-normal`,
//! `log-separate-errors`, clf and tcplog renderings, and custom formats.

use super::http_kit::{check, send, tx, Case, C, GET, OK, S};

/// Requests that end in every way the connection and stream layers know.
fn endings() -> Vec<Case> {
    vec![
        Case::new("200"),
        Case::new("two requests").client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(100)]),
        Case::new("bad request").request(b"GARBAGE\r\n\r\n"),
        Case::new("408").fe("timeout http-request 200ms").client(vec![tx(b"GET / HT"), C::UntilClose(1000)]),
        Case::new("null connection").client(vec![C::ShutWr, C::Idle(200)]),
        Case::new("null connection timing out").fe("timeout http-request 200ms").client(vec![C::UntilClose(1000)]),
        Case::new("503 no server").no_server(),
        Case::new("503 refused").no_server().be("server s1 127.0.0.1:1").be("retries 1").be("timeout connect 100ms"),
        Case::new("502").server(vec![S::Req, S::Close]),
        Case::new("504").be("timeout server 200ms").server(vec![S::Req]),
        Case::new("quote in uri").request(b"GET /a\"b?c=\"d\" HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case::new("long uri is cut")
            .request(format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "u".repeat(2000)).as_bytes()),
        Case::new("absolute uri normalised")
            .request(b"GET http://example.com:80/x HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        Case::new("http/1.2 request").request(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n"),
        Case::new("server connection close")
            .answer(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
        Case::new("server conn tokens")
            .answer(b"HTTP/1.1 200 OK\r\nConnection: X-Foo, keep-alive\r\nContent-Length: 2\r\n\r\nok"),
        Case::new("duplicate lengths").answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
        Case::new("chunked with trailers").answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
        ),
        Case::new("100 continue")
            .answer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        Case::new("close-delimited").server(vec![S::Req, send(b"HTTP/1.1 200 OK\r\n\r\nabcde"), S::Close]),
        Case::new("big body")
            .answer(&[b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".as_slice(), &[b'x'; 100000]].concat())
            .client(vec![tx(GET), C::Resp(1), C::Idle(100)]),
        Case::new("client aborts mid-body").server(vec![S::Head, S::Req]).client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"),
            C::Sleep(100),
            C::ShutWr,
            C::Idle(200),
        ]),
        Case::new("monitor").fe("monitor-uri /m").request(b"GET /m HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case::new("silent close")
            .servers(vec![vec![S::Req, send(OK), S::Req, S::Close], vec![S::Req, send(OK), S::Req]])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(30), tx(GET), C::Idle(300)]),
        Case::new("idle close after a request").fe("timeout http-keep-alive 100ms").client(vec![
            tx(GET),
            C::Resp(1),
            C::UntilClose(1000),
        ]),
    ]
}

#[test]
fn default_format_connect_lines() {
    crate::require_haproxy!();
    check("", &endings());
}

#[test]
fn httplog_endings() {
    crate::require_haproxy!();
    check("  option httplog\n", &endings());
}

#[test]
fn httplog_dontlognull_and_separate_errors() {
    crate::require_haproxy!();
    let mut cases = endings();
    for c in cases.iter_mut() {
        c.fe.push_str("  option log-separate-errors\n");
    }
    check("  option httplog\n  option dontlognull\n", &cases);
}

#[test]
fn dontlog_normal_keeps_only_errors() {
    crate::require_haproxy!();
    check("  option httplog\n  option dontlog-normal\n", &endings());
    check("  option dontlog-normal\n", &endings()[..3]);
}

#[test]
fn other_formats() {
    crate::require_haproxy!();
    let mut cases = Vec::new();
    for (name, fmt) in [
        ("clf", "option httplog clf"),
        ("tcplog", "option tcplog"),
        ("custom", "log-format \"%ST %B %U %tsc %HM %HU %HV %Tr %Tw %Tc %TR %Ta %{+Q}r\""),
        ("paths", "log-format \"%HP %HPO %HQ\""),
    ] {
        cases.push(Case::new(name).fe(fmt));
        cases.push(
            Case::new(&format!("{name}, post"))
                .fe(fmt)
                .request(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
        );
        cases.push(Case::new(&format!("{name}, chunked post")).fe(fmt).request(
            b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: v\r\n\r\n",
        ));
        cases.push(Case::new(&format!("{name}, forwardfor")).fe(fmt).fe("option forwardfor"));
        cases.push(Case::new(&format!("{name}, 503")).fe(fmt).no_server());
        cases.push(
            Case::new(&format!("{name}, absolute uri"))
                .fe(fmt)
                .request(b"GET http://example.com/a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        );
        cases.push(Case::new(&format!("{name}, 400")).fe(fmt).request(b"GARBAGE\r\n\r\n"));
    }
    cases.push(Case::new("frontend log line").fe("no log").fe("log 127.0.0.1:${SYSLOG} local1").fe("option httplog"));
    cases.push(
        Case::new("notice level filters").fe("no log").fe("log 127.0.0.1:${SYSLOG} local0 notice").fe("option httplog"),
    );
    cases.push(
        Case::new("local7 errors")
            .fe("no log")
            .fe("log 127.0.0.1:${SYSLOG} local7")
            .fe("option httplog")
            .fe("option log-separate-errors")
            .no_server(),
    );
    check("", &cases);
}

/// The timers themselves (in 300 ms buckets): idle time, head time, queue, connect, response
/// and total, for a slow head, a slow server, an idle keep-alive wait and failures.
#[test]
fn timer_values() {
    crate::require_haproxy!();
    let fmt = "log-format \"T %Th %Ti %TR %Tw %Tc %Tr %Td %Ta %Tt %Tq\"";
    let cases = vec![
        Case::new("fast").fe(fmt).timers(),
        Case::new("idle before the first byte").fe(fmt).timers().client(vec![
            C::Sleep(300),
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("slow head").fe(fmt).timers().client(vec![
            tx(b"GET / HTTP/1.1\r\n"),
            C::Sleep(300),
            tx(b"Host: h\r\n\r\n"),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("slow server").fe(fmt).timers().server(vec![S::Req, S::Sleep(300), send(OK), S::Req]),
        Case::new("slow body").fe(fmt).timers().server(vec![
            S::Req,
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"),
            S::Sleep(300),
            send(b"cd"),
            S::Req,
        ]),
        Case::new("second request after idle").fe(fmt).timers().client(vec![
            tx(GET),
            C::Resp(1),
            C::Sleep(600),
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("504").fe(fmt).timers().be("timeout server 600ms").server(vec![S::Req]),
        Case::new("503").fe(fmt).timers().no_server(),
        Case::new("408")
            .fe(fmt)
            .timers()
            .fe("timeout http-request 600ms")
            .client(vec![tx(b"GET"), C::UntilClose(2000)]),
        Case::new("client closes mid-head").fe(fmt).timers().client(vec![
            tx(b"GET"),
            C::Sleep(300),
            C::ShutWr,
            C::Idle(200),
        ]),
    ];
    check("", &cases);
}

/// `capture request header`, `capture response header` and `capture cookie` in httplog lines
/// and in `%hr`/`%hs`/`%hrl`/`%hsl`/`%CC`/`%CS`: last occurrences, cuts to the length, the
/// encoding of `|`, `{`, `"` and the like, missing headers, responses that never came, and
/// cookies captured with and without a cookie-persistence backend.
#[test]
fn captures() {
    crate::require_haproxy!();
    let caps = |c: Case| {
        c.fe("option httplog")
            .fe("capture request header Host len 10")
            .fe("capture request header X-Multi len 20")
            .fe("capture response header X-Resp len 4")
            .fe("capture response header Server len 64")
            .fe("capture cookie SID len 12")
    };
    let req = b"GET / HTTP/1.1\r\nHost: a-very-long-host.example.com\r\nX-Multi: first\r\nX-Multi: se|co{nd}\"\r\nCookie: x=1; SIDE=abcdefghijklmnop; SID=2\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nX-Resp: 123456\r\nServer: mock\r\nSet-Cookie: SIDX=val; path=/\r\nContent-Length: 2\r\n\r\nok";
    let cases = vec![
        caps(Case::new("all captured")).request(req).answer(resp),
        caps(Case::new("nothing to capture")),
        caps(Case::new("no response")).request(req).no_server(),
        caps(Case::new("with cookie persistence"))
            .be("cookie SRV insert indirect")
            .srv("cookie s1")
            .request(req)
            .answer(resp),
        caps(Case::new("custom format"))
            .fe("log-format \"%hr %hs %hrl %hsl %CC %CS %{+Q}hr\"")
            .request(req)
            .answer(resp),
        Case::new("declared slot")
            .fe("option httplog")
            .fe("declare capture request len 8")
            .fe("capture request header Host len 8"),
        Case::new("capture rules")
            .fe("option httplog")
            .fe("declare capture request len 8")
            .fe("capture request header Host len 8")
            .fe("http-request capture path len 3")
            .fe("http-request capture req.hdr(x-multi) id 0")
            .fe("declare capture response len 5")
            .fe("http-response capture res.hdr(x-resp) id 0")
            .fe("http-request capture req.hdr(nope) len 4")
            .request(req)
            .answer(resp),
    ];
    check("", &cases);
}

/// Log-format flags: `+X` (hexadecimal addresses and counters), `+E` (escaping), `+Q`,
/// their `-` forms and `%o` setting them for what follows; `%rt` and `%lc`. (Ports, dates and
/// pids vary between runs; unit tests cover their hexadecimal forms.)
#[test]
fn format_flags_and_counters() {
    crate::require_haproxy!();
    let mut cases = Vec::new();
    for (name, fmt) in [
        ("hex", "log-format \"%f %{+X}o %ci %fi %bi %si %rt %lc %B %ST %ac %rc %bq %{-X}ci %{+Q}si\""),
        ("hex per var", "log-format \"%f %{+X}ci %{+X}rt %{+X}lc %{+X}B %{+X}ST %{+X,+Q}si\""),
        (
            "escape",
            "log-format \"%f %{+E}r %{+E,+Q}HU %{+E}CC %{+E}hr %{+E}HP %{+Q}o %HQ %{-Q}HM %{+E}hrl %HV %HPO %{+E}CS\"",
        ),
        ("counters", "log-format \"%f %rt %lc %{+Q}rt\""),
    ] {
        let captures = |c: Case| c.fe(fmt).fe("capture request header X-A len 20").fe("capture cookie c len 20");
        cases.push(captures(Case::new(name)));
        cases.push(captures(
            Case::new(&format!("{name}, odd request"))
                .request(b"GET /a\"b\\c]d?e=\\\" HTTP/1.1\r\nHost: h\r\nX-A: q\"\\]x\r\nCookie: c=v\"\\]w\r\n\r\n"),
        ));
        cases.push(captures(Case::new(&format!("{name}, 503")).no_server()));
        // Not `%bi`: haproxide has no source address for a failed attempt (README, Differences).
        cases.push(
            Case::new(&format!("{name}, refused"))
                .fe(&fmt.replace("%bi ", ""))
                .no_server()
                .be("server s1 127.0.0.1:1")
                .be("retries 1")
                .be("timeout connect 100ms"),
        );
        cases.push(captures(Case::new(&format!("{name}, keep-alive")).client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ])));
        cases.push(captures(Case::new(&format!("{name}, 400")).request(b"GARBAGE\r\n\r\n")));
    }
    check("", &cases);
}

/// `unique-id-format` and `unique-id-header`: the ID in the request the server gets, in `%ID`,
/// and through the `unique-id` fetch in rules (generated on first use, so a frontend rule sees
/// the frontend as `%b`), for forwarded, denied and unserved requests.
#[test]
fn unique_ids() {
    crate::require_haproxy!();
    let log = "log-format \"%f %ID %ST\"";
    let fmt = "unique-id-format %{+X}o%ci_%fi_%rt-%b-%[req.hdr(host)]";
    let cases = vec![
        Case::new("header and log").fe(log).fe(fmt).fe("unique-id-header X-Unique-ID"),
        Case::new("log only").fe(log).fe(fmt),
        Case::new("keep-alive").fe(log).fe(fmt).fe("unique-id-header X-Unique-ID").client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(100),
        ]),
        Case::new("fetched by a frontend rule")
            .fe(log)
            .fe(fmt)
            .fe("unique-id-header X-Unique-ID")
            .fe("http-request set-header X-Rule %[unique-id]"),
        Case::new("fetched by a backend rule").fe(log).fe(fmt).be("http-request set-header X-Rule %[unique-id]"),
        Case::new("response rule").fe(log).fe(fmt).fe("http-response set-header X-Rule %[unique-id]"),
        Case::new("no format").fe(log).fe("http-request set-header X-Rule %[unique-id]"),
        Case::new("denied").fe(log).fe(fmt).fe("http-request deny"),
        Case::new("503").fe(log).fe(fmt).fe("unique-id-header X-ID").no_server(),
        Case::new("400").fe(log).fe(fmt).request(b"GARBAGE\r\n\r\n"),
        Case::new("%ID in a rule").fe(log).fe(fmt).be("http-request set-header X-Rule %ID"),
        Case::new("quoted").fe("log-format \"%f %{+Q}ID\"").fe("unique-id-format %rt\\ \\\"x\\\""),
        Case::new("long id cut at 127 bytes")
            .fe(log)
            .fe(&format!("unique-id-format %rt-{}", "a".repeat(200)))
            .fe("unique-id-header X-ID"),
    ];
    check("", &cases);
    check("  unique-id-format %rt.%f\n  unique-id-header X-Req\n", &cases[..2]);
}

/// `%[...]` samples in log-format: evaluated when the line is built (the request and response
/// are gone by then, variables and connection fetches remain), quoted, escaped, absent.
#[test]
fn log_format_samples() {
    crate::require_haproxy!();
    let fmt = "log-format \"%f %[src] %[var(txn.host)] %{+Q}[var(txn.none)] %[fe_name] %[be_name] %[str(abc),upper] %{+E}[var(txn.odd)] %[str()]\"";
    let vars = "http-request set-var(txn.host) req.hdr(host)";
    let odd = "http-request set-var(txn.odd) req.hdr(x-odd)";
    let cases = vec![
        Case::new("forwarded").fe(fmt).fe(vars).fe(odd),
        Case::new("odd characters")
            .fe(fmt)
            .fe(vars)
            .fe(odd)
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nX-Odd: q\"\\]x\r\n\r\n"),
        Case::new("503").fe(fmt).fe(vars).no_server(),
        Case::new("denied").fe(fmt).fe(vars).fe("http-request deny"),
        Case::new("400").fe(fmt).fe(vars).request(b"GARBAGE\r\n\r\n"),
        Case::new("keep-alive").fe(fmt).fe(vars).client(vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(100)]),
    ];
    check("", &cases);
    let tcp_cases = vec![Case::new("tcp").fe(fmt).fe("mode tcp").be("mode tcp")];
    check("", &tcp_cases);
}

/// `log-tag` in a proxy: the frontend's tag heads its traffic lines (a backend's does not).
#[test]
fn proxy_log_tags() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("frontend tag").fe("option httplog").fe("log-tag fe-haproxy"),
        Case::new("backend tag").fe("option httplog").be("log-tag be-haproxy"),
        Case::new("own log line")
            .fe("option httplog")
            .fe("no log")
            .fe("log 127.0.0.1:${SYSLOG} local2")
            .fe("log-tag own-haproxy"),
        Case::new("503").fe("option httplog").fe("log-tag x-haproxy").no_server(),
        Case::new("400").fe("option httplog").fe("log-tag y-haproxy").request(b"GARBAGE\r\n\r\n"),
    ];
    check("", &cases);
    check("  log-tag dflt-haproxy\n  option httplog\n", &cases[..2]);
}

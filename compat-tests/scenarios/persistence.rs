//! Cookie persistence compared with HAProxy: the Cookie header the server gets, the Set-Cookie
//! and `Cache-control` the client gets in every cookie mode and option, the server each request
//! lands on (valid, invalid and down cookies, `option persist`, `option redispatch`,
//! `force-persist`, `ignore-persist`, `use-server`, `dynamic` cookies), the `%tsc` cookie flags
//! of httplog lines, and the how-to: one application listed twice (active on one port, backup
//! with the same cookie on another) keeps its clients when the active port stops answering.

use std::time::Duration;

use super::http_kit::{check, tx, Case, C};
use crate::harness::client::Request;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc;

const INSERT: &str = "cookie SRV insert indirect nocache";

fn get(cookie: &str) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: h\r\nCookie: {cookie}\r\n\r\n").into_bytes()
}

fn answer_with(set_cookie: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nSet-Cookie: {set_cookie}\r\nContent-Length: 2\r\n\r\nok").into_bytes()
}

/// Cookie modes and options on one server (`cookie a`), as the client and the server see them.
fn modes() -> Vec<Case> {
    let c = |name: &str, line: &str| Case::new(name).fe("option httplog").be(line).srv("cookie a");
    vec![
        c("insert, new client", INSERT),
        c("insert, valid cookie", INSERT).request(&get("SRV=a")),
        c("insert, cookie among others", INSERT).request(&get("x=1; SRV=a; y=2")),
        c("insert, cookie first of two", INSERT).request(&get("SRV=a; y=2")),
        c("insert, two cookie headers", INSERT)
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nCookie: x=1\r\nCookie: SRV=a\r\n\r\n"),
        c("insert, unknown value", INSERT).request(&get("SRV=zz")),
        c("insert, empty value", INSERT).request(&get("SRV=")),
        c("insert, server sets the cookie", INSERT).answer(&answer_with("SRV=mine; path=/")),
        c("insert, not cacheable", INSERT)
            .answer(b"HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nContent-Length: 2\r\n\r\nok"),
        c("insert, cacheable with max-age", INSERT)
            .answer(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok"),
        c("insert, post", INSERT).request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx"),
        c("insert without indirect", "cookie SRV insert").request(&get("SRV=a")),
        c("insert, attributes", "cookie SRV insert httponly secure domain .example.com attr SameSite=Lax"),
        c("insert, two domains", "cookie SRV insert domain .a.com domain .b.com"),
        c("postonly, get", "cookie SRV insert postonly"),
        c("postonly, post", "cookie SRV insert postonly")
            .request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx"),
        c("preserve", "cookie SRV insert preserve").answer(&answer_with("SRV=kept")),
        c("rewrite", "cookie SRV rewrite").answer(&answer_with("SRV=x; path=/")),
        c("rewrite, valid cookie", "cookie SRV rewrite").request(&get("SRV=a")).answer(&answer_with("SRV=x")),
        c("rewrite without server cookie", "cookie SRV rewrite"),
        c("prefix", "cookie JSESSIONID prefix").answer(&answer_with("JSESSIONID=abc; path=/")),
        c("prefix, request", "cookie JSESSIONID prefix").request(&get("JSESSIONID=a~abc; z=1")),
        c("passive", "cookie SRV").request(&get("SRV=a")),
        c("nocache on 304", INSERT).answer(b"HTTP/1.1 304 Not Modified\r\n\r\n"),
        c("keep-alive, second request direct", INSERT).client(vec![
            tx(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            C::Resp(1),
            tx(&get("SRV=a")),
            C::Resp(1),
            C::Idle(100),
        ]),
    ]
}

#[test]
fn cookie_modes_bytes_and_logs() {
    crate::require_haproxy!();
    check("", &modes());
}

/// Which server: a second server `s0` on a closed port (down, or in maintenance), the
/// persistence options, and the rules that override the cookie.
fn choices() -> Vec<Case> {
    let dead = "server s0 127.0.0.1:1 cookie z disabled";
    let c = |name: &str| {
        Case::new(name).fe("option httplog").be(INSERT).be("retries 1").be("timeout connect 200ms").srv("cookie a")
    };
    vec![
        c("down server's cookie").be(dead).request(&get("SRV=z")),
        c("down server, option persist, redispatch")
            .be(dead)
            .be("option persist")
            .be("option redispatch")
            .request(&get("SRV=z")),
        c("down server, option persist, no redispatch").be(dead).be("option persist").request(&get("SRV=z")),
        c("force-persist")
            .be(dead)
            .be("option redispatch")
            .be("force-persist if { path /f }")
            .request(b"GET /f HTTP/1.1\r\nHost: h\r\nCookie: SRV=z\r\n\r\n"),
        c("ignore-persist")
            .be("ignore-persist if { path /i }")
            .request(b"GET /i HTTP/1.1\r\nHost: h\r\nCookie: SRV=a\r\n\r\n"),
        c("ignore-persist, new client").be("ignore-persist if TRUE"),
        c("use-server wins").be("use-server s1 if TRUE").request(&get("SRV=z")),
        c("use-server to a maintenance server, force-persist")
            .be(dead)
            .be("use-server s0 if TRUE")
            .be("force-persist if TRUE")
            .request(&get("SRV=a")),
    ]
}

#[test]
fn cookie_server_choice() {
    crate::require_haproxy!();
    check("", &choices());
}

/// Who answered and the Set-Cookie the client got.
fn who(port: u16, req: &Request) -> String {
    match req.send(port) {
        Ok(r) => format!("{} {} set-cookie={}", r.status, r.body_text(), r.header("set-cookie").unwrap_or("-")),
        Err(e) => format!("error: {e}"),
    }
}

/// `dynamic` cookies: the same backends (same addresses, so the same hashes) behind both
/// implementations; the cookie each server gets and where it leads back; after `set server
/// addr` moves a server to another port, its cookie follows the new address.
#[test]
fn dynamic_cookies() {
    crate::require_haproxy!();
    let s: Vec<MockHttp> = (1..=3).map(|i| MockHttp::start(&format!("s{i}"))).collect();
    let [theirs, ours] = both(|imp| {
        let mut t = Template::new();
        let dir = crate::harness::tempdir::TempDir::new(imp.name());
        let sock = dir.join("admin.sock");
        t.set("DIR", dir.path().display().to_string());
        let cfg = t.render(&format!(
            "global\n  stats socket ${{DIR}}/admin.sock level admin\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen li\n  bind 127.0.0.1:${{PORT_0}}\n  balance roundrobin\n  cookie DYN insert dynamic\n  \
             dynamic-cookie-key s3cr3t\n  server s1 127.0.0.1:{}\n  server s2 127.0.0.1:{}\n  \
             server s3 127.0.0.1:{} cookie fixed\n",
            s[0].port(),
            s[1].port(),
            s[1].port()
        ));
        let mut inst = proc::start_in(imp, dir, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[&sock]);
        let mut out = Vec::new();
        let mut got = Vec::new();
        for _ in 0..2 {
            let line = who(t.port(0), &Request::get("/"));
            if let Some(v) = line.split("set-cookie=DYN=").nth(1) {
                got.push(v.split(';').next().unwrap_or("").to_string());
            }
            out.push(line);
        }
        for v in &got {
            for _ in 0..2 {
                out.push(who(t.port(0), &Request::get("/").header("Cookie", &format!("DYN={v}"))));
            }
        }
        // s1 moves to the third backend; s3 keeps its own cookie whatever its address.
        for srv in ["s1", "s3"] {
            let line = format!("set server li/{srv} addr 127.0.0.1 port {}", s[2].port());
            out.push(crate::harness::cli::cmd(sock.as_path(), &line).unwrap_or_else(|e| format!("error: {e}")));
        }
        for _ in 0..3 {
            out.push(who(t.port(0), &Request::get("/")));
        }
        out.join("\n")
    });
    assert_same("dynamic cookies", &theirs, &ours);
}

/// The how-to: `app1` answers on two ports, listed as the active server `a1` and as the backup
/// `a1b` with the same cookie; `app2` is another active server. When a1's port stops answering
/// and checks mark it down, clients holding `SRV=app1` land on a1b (the same application), new
/// clients go to app2.
#[test]
fn howto_backup_with_the_same_cookie() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let a1 = MockHttp::start("app1");
        let a1b = MockHttp::start("app1 (backup port)");
        let a2 = MockHttp::start("app2");
        let mut t = Template::new();
        let cfg = t.render(&format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen li\n  bind 127.0.0.1:${{PORT_0}}\n  balance roundrobin\n  cookie SRV insert indirect nocache\n  \
             option redispatch\n  default-server inter 50ms fall 1 rise 1\n  \
             server a1 127.0.0.1:{} cookie app1 check\n  server a1b 127.0.0.1:{} cookie app1 backup check\n  \
             server a2 127.0.0.1:{} cookie app2 check\n",
            a1.port(),
            a1b.port(),
            a2.port()
        ));
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[]);
        let p = t.port(0);
        let mut out = vec!["-- all up".to_string()];
        for _ in 0..2 {
            out.push(who(p, &Request::get("/")));
        }
        out.push(who(p, &Request::get("/").header("Cookie", "SRV=app1")));
        out.push(who(p, &Request::get("/").header("Cookie", "SRV=app2")));
        a1.stop();
        // Wait until the checks marked a1 down: a request with its cookie leaves it.
        let deadline = std::time::Instant::now() + Duration::from_secs(4);
        while std::time::Instant::now() < deadline {
            let r = who(p, &Request::get("/").header("Cookie", "SRV=app1"));
            if r.contains("backup port") {
                break;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        out.push("-- a1's port stopped answering".into());
        for _ in 0..2 {
            out.push(who(p, &Request::get("/").header("Cookie", "SRV=app1")));
        }
        for _ in 0..2 {
            out.push(who(p, &Request::get("/")));
        }
        out.push(who(p, &Request::get("/").header("Cookie", "SRV=app2")));
        a1.restart();
        out.join("\n")
    });
    assert_same("backup with the same cookie", &theirs, &ours);
}

/// Entry addresses and remaining lifetimes differ between processes; the rest is compared.
fn table_norm(s: &str) -> String {
    table_norm_in(s, 60_000)
}

/// `show table` without its pointers, and with expiry (a millisecond countdown) rounded up to
/// `unit_ms`, so that both implementations read right after the same traffic compare equal.
pub(super) fn table_norm_in(s: &str, unit_ms: u64) -> String {
    let s = regex::Regex::new(r"0x[0-9a-f]+:").unwrap().replace_all(s, "PTR:").into_owned();
    regex::Regex::new(r"exp=(\d+)")
        .unwrap()
        .replace_all(&s, |c: &regex::Captures| {
            let ms: u64 = c[1].parse().unwrap_or(0);
            // HAProxy's clock can lag its entry stamps by a few milliseconds (an entry just
            // touched reads 600003 of 600000): a second of slack before rounding up.
            format!("exp~{}", ms.saturating_sub(1000).div_ceil(unit_ms))
        })
        .into_owned()
}

const STICK_CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    stats socket ${DIR}/oper.sock level operator
    stats socket ${DIR}/user.sock level user
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen li
    bind 127.0.0.1:${PORT_0}
    balance roundrobin
    stick-table type ip size 10 expire 10m
    stick on src
    server s1 127.0.0.1:${WEB}
    server s2 127.0.0.1:${WEB}
listen by_hdr
    bind 127.0.0.1:${PORT_1}
    balance roundrobin
    stick-table type string len 8 size 3 store http_req_cnt
    stick match req.hdr(x-user)
    stick store-request req.hdr(x-user) if { req.hdr(x-store) yes }
    server a 127.0.0.1:${WEB}
    server b 127.0.0.1:${WEB}
    server c 127.0.0.1:${WEB} non-stick
listen ports
    bind 127.0.0.1:${PORT_2}
    stick-table type integer size 5
    stick match dst_port
    server p 127.0.0.1:${WEB}
backend spare
    stick-table type ipv6 size 2 store gpc0,conn_cnt
";

/// `stick on` / `match` / `store-request` with traffic, then every form of `show table`,
/// `set table` and `clear table`, on all three levels.
#[test]
fn stick_tables_after_traffic() {
    crate::require_haproxy!();
    let web = MockHttp::start("web");
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start(imp, STICK_CFG, &web);
        let mut ports = c.ports.clone();
        let (p0, p1, p2) = (ports.port(0), ports.port(1), ports.port(2));
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(who(p0, &Request::get("/")));
        }
        // Users: stored only when asked, matched afterwards; more users than the table holds.
        for (user, store) in [("u1", "yes"), ("u2", "yes"), ("u1", "no"), ("u3", "yes"), ("u4", "yes"), ("u2", "no")] {
            let r = Request::get("/").header("X-User", user).header("X-Store", store);
            out.push(format!("{user} {store}: {}", who(p1, &r)));
        }
        out.push(who(p2, &Request::get("/")));
        let cmds = [
            "show table",
            "show table li",
            "show table by_hdr",
            "show table ports",
            "show table spare",
            "show table li key 127.0.0.1",
            "show table li key 10.0.0.1",
            "show table by_hdr data.server_id eq 1",
            "show table by_hdr data.server_id gt 1",
            "show table by_hdr data.nope eq 1",
            "show table by_hdr data.http_req_cnt eq 0",
            "set table spare key ::1 data.gpc0 7 data.conn_cnt 3",
            "set table spare key 127.0.0.1 data.gpc0 1",
            "show table spare",
            "set table ports key 80 data.server_id 1",
            "set table ports key abc",
            "show table ports",
            "clear table ports key 80",
            "clear table by_hdr data.server_id eq 2",
            "show table by_hdr",
            "clear table li",
            "show table li",
            "show table nope",
            "set table li",
            "clear table",
        ];
        for cmd in cmds {
            out.push(format!("> {cmd}\n{}", table_norm(&c.cmd(cmd))));
        }
        for sock in ["oper.sock", "user.sock"] {
            for cmd in ["show table by_hdr", "set table spare key ::2", "clear table spare key ::1"] {
                out.push(format!("{sock}> {cmd}\n{}", table_norm(&c.raw_on(sock, format!("{cmd}\n").as_bytes()))));
            }
        }
        out.join("\n")
    });
    assert_same("stick tables", &theirs, &ours);
}

/// A stuck client stays on its server when others come and go, and leaves it for another one
/// when its server goes into maintenance (and comes back to a new entry).
#[test]
fn stick_on_src_follows_server_state() {
    crate::require_haproxy!();
    let s1 = MockHttp::start("s1");
    let s2 = MockHttp::start("s2");
    let [theirs, ours] = both(|imp| {
        let cfg = format!(
            "global\n    stats socket ${{DIR}}/admin.sock level admin\ndefaults\n    mode http\n    timeout connect 1s\n    \
             timeout client 5s\n    timeout server 5s\nlisten li\n    bind 127.0.0.1:${{PORT_0}}\n    balance roundrobin\n    \
             stick-table type ip size 10 expire 10m\n    stick on src\n    server s1 127.0.0.1:{}\n    server s2 127.0.0.1:{}\n",
            s1.port(),
            s2.port()
        );
        let c = super::runtime_api::Cli::start(imp, &cfg, &s1);
        let p = c.ports.clone().port(0);
        let mut out = Vec::new();
        for _ in 0..2 {
            out.push(who(p, &Request::get("/")));
        }
        out.push(c.cmd("set server li/s1 state maint"));
        for _ in 0..2 {
            out.push(who(p, &Request::get("/")));
        }
        out.push(table_norm(&c.cmd("show table li")));
        out.push(c.cmd("set server li/s1 state ready"));
        for _ in 0..2 {
            out.push(who(p, &Request::get("/")));
        }
        out.push(table_norm(&c.cmd("show table li")));
        out.push(
            c.cmd("show stat")
                .lines()
                .filter(|l| l.starts_with("li,"))
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    format!("{} stot={} lbtot={}", f[1], f[7], f[30])
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        out.join("\n")
    });
    assert_same("stick on src", &theirs, &ours);
}

/// Follows [`super::runtime_api::ADMIN_HTTP`].
const STORE_RESPONSE_CFG: &str = "\
listen by_cookie
    bind 127.0.0.1:${PORT_0}
    balance roundrobin
    stick-table type string len 16 size 10 expire 10m
    stick match req.cook(SID)
    stick store-response res.cook(SID)
    http-request set-var(txn.deny) int(1) if { path /deny }
    http-response deny if { var(txn.deny) -m int 1 }
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2}
listen by_header
    bind 127.0.0.1:${PORT_1}
    balance roundrobin
    stick-table type string len 8 size 10 store http_req_cnt
    stick store-request req.hdr(x-user)
    stick store-response res.hdr(x-server) if { status 200 }
    stick store-response res.hdr(x-nope)
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2} non-stick
listen tcp
    bind 127.0.0.1:${PORT_2}
    mode tcp
    stick-table type ip size 10
    stick store-response src
    server t1 127.0.0.1:${S2}
";

/// `stick store-response`: the classic session cookie learnt from the server's Set-Cookie and
/// matched on the client's Cookie (through a server in maintenance, and a response that an
/// `http-response deny` replaces), response headers stored with and without conditions next to
/// a request-side store into the same table (and a `non-stick` server), and TCP mode.
#[test]
fn stick_store_response() {
    crate::require_haproxy!();
    let s1 = MockHttp::start("s1");
    let s2 = MockHttp::start("s2");
    s1.add_response_header("Set-Cookie", "SID=one; path=/");
    s2.add_response_header("Set-Cookie", "SID=two");
    let vars = [("S1", s1.port().to_string()), ("S2", s2.port().to_string())];
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_http(imp, STORE_RESPONSE_CFG, &s1, &vars);
        let mut ports = c.ports.clone();
        let (p0, p1, p2) = (ports.port(0), ports.port(1), ports.port(2));
        let mut out = Vec::new();
        let with = |sid: &str| Request::get("/").header("Cookie", &format!("SID={sid}"));
        // Stored before `http-response deny` replaces the response.
        out.push(format!("denied: {}", who(p0, &Request::get("/deny"))));
        out.push(format!("> show table by_cookie\n{}", table_norm(&c.cmd("show table by_cookie"))));
        out.push(who(p0, &Request::get("/")));
        for sid in ["one", "two", "two", "one", "nobody"] {
            out.push(format!("SID={sid}: {}", who(p0, &with(sid))));
        }
        out.push(format!("> show table by_cookie\n{}", table_norm(&c.cmd("show table by_cookie"))));
        out.push(c.cmd("set server by_cookie/s2 state maint"));
        out.push(format!("SID=two, s2 in maintenance: {}", who(p0, &with("two"))));
        out.push(c.cmd("set server by_cookie/s2 state ready"));
        out.push(format!("> show table by_cookie\n{}", table_norm(&c.cmd("show table by_cookie"))));
        for user in ["u1", "u2", "u3"] {
            out.push(format!("{user}: {}", who(p1, &Request::get("/").header("X-User", user))));
        }
        out.push(format!("> show table by_header\n{}", table_norm(&c.cmd("show table by_header"))));
        out.push(format!("tcp: {}", who(p2, &Request::get("/"))));
        out.push(format!("> show table tcp\n{}", table_norm(&c.cmd("show table tcp"))));
        out.join("\n")
    });
    assert_same("stick store-response", &theirs, &ours);
}

const DYN_CMDS_CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    stats socket ${DIR}/oper.sock level operator
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen li
    bind 127.0.0.1:${PORT_0}
    balance roundrobin
    cookie SRV insert indirect dynamic
    dynamic-cookie-key abc
    server s1 127.0.0.1:${S1}
    server s2 127.0.0.1:${S2}
    server s3 127.0.0.1:${S1} cookie fixed
listen plain
    bind 127.0.0.1:${PORT_1}
    balance roundrobin
    cookie SRV insert
    server p1 127.0.0.1:${S1}
    server p2 127.0.0.1:${S2}
backend tcpb
    mode tcp
    server t1 127.0.0.1:${S1}
";

/// `set dynamic-cookie-key backend`, `enable|disable dynamic-cookie backend`: the cookies
/// servers get afterwards (explicit ones kept), where a client's old cookie leads, and every
/// error reply.
#[test]
fn dynamic_cookie_commands() {
    crate::require_haproxy!();
    let s1 = MockHttp::start("s1");
    let s2 = MockHttp::start("s2");
    let vars = [("S1", s1.port().to_string()), ("S2", s2.port().to_string())];
    let [theirs, ours] = both(|imp| {
        let c = super::runtime_api::Cli::start_with(imp, DYN_CMDS_CFG, &s1, &vars);
        let mut ports = c.ports.clone();
        let (p0, p1) = (ports.port(0), ports.port(1));
        let mut out = Vec::new();
        let round = |out: &mut Vec<String>, port: u16| {
            for _ in 0..3 {
                out.push(who(port, &Request::get("/")));
            }
        };
        round(&mut out, p0);
        let old = Request::get("/").header("Cookie", "SRV=6a1e8b1ce5d2f6b4");
        for cmd in [
            "set dynamic-cookie-key backend li xyz",
            "disable dynamic-cookie backend li",
            "enable dynamic-cookie backend li",
            "set dynamic-cookie-key backend #2 a b c",
        ] {
            out.push(format!("> {cmd}\n{}", c.cmd(cmd)));
            round(&mut out, p0);
            out.push(format!("old cookie: {}", who(p0, &old)));
        }
        round(&mut out, p1);
        for cmd in ["enable dynamic-cookie backend plain", "set dynamic-cookie-key backend plain k"] {
            out.push(format!("> {cmd}\n{}", c.cmd(cmd)));
            round(&mut out, p1);
        }
        for cmd in [
            "set dynamic-cookie-key backend",
            "set dynamic-cookie-key backend li",
            "set dynamic-cookie-key backend nope k",
            "set dynamic-cookie-key backend tcpb k",
            "enable dynamic-cookie backend",
            "enable dynamic-cookie backend nope",
            "disable dynamic-cookie backend",
            "disable dynamic-cookie backend #99",
            "disable dynamic-cookie backend tcpb",
        ] {
            out.push(format!("> {cmd}\n{}", c.cmd(cmd)));
        }
        for cmd in ["set dynamic-cookie-key backend li k", "enable dynamic-cookie backend li"] {
            out.push(format!("oper> {cmd}\n{}", c.raw_on("oper.sock", format!("{cmd}\n").as_bytes())));
        }
        out.join("\n")
    });
    assert_same("dynamic cookie commands", &theirs, &ours);
}

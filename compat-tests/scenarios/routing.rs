//! Routing decisions compared with HAProxy: which backend (and server) serves each request under
//! `use_backend` rules with every kind of fetch and match flag, dynamic backend names,
//! `use-server`, `monitor-uri` with `monitor fail`, and the how-to scenario: a frontend that
//! sends clients to a second backend when the first one's average queue grows and the second
//! is up, with a health frontend answering 503 while the first backend is too busy.

use std::time::{Duration, Instant};

use crate::harness::client::{self, Request};
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl};

const DEFAULTS: &str =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout queue 10s\n";

/// Who answered: the mock server's name, or the status when the proxy answered itself.
fn who(port: u16, req: &Request) -> String {
    match req.send(port) {
        Ok(r) if r.status == 200 && r.header("x-server").is_some() => r.body_text(),
        Ok(r) => format!("{} {}", r.status, r.header("location").unwrap_or("")).trim_end().to_string(),
        Err(e) => format!("error: {e}"),
    }
}

const ROUTING: &str = r#"
frontend fe
  bind 127.0.0.1:${PORT_0}
  acl p_api path_beg /api/
  acl p_img path_end .png .jpg
  acl p_sub path_sub /admin/
  acl p_reg path_reg ^/v[0-9]+/
  acl p_dir path_dir static
  acl p_exact path /exact
  acl p_len path -m len 4
  acl h_admin hdr(host) -i admin.example.com
  acl h_dom hdr_dom(host) -i example.org
  acl h_beg hdr_beg(x-client) -i mobile
  acl h_cnt hdr_cnt(x-multi) ge 2
  acl h_val hdr_val(x-num) gt 10
  acl h_found req.hdr(x-flag) -m found
  acl q_debug url_param(debug) -m str 1
  acl m_post method POST
  acl c_beta req.cook(beta) 1
  acl c_any cook(session) -m found
  acl u_sub url_sub token=
  acl s_local src 127.0.0.0/8
  acl s_other src 10.0.0.0/8
  acl d_port dst_port ${PORT_0}
  acl i_eq req.hdr(x-n),lower -m str abc
  acl no_match path /never
  use_backend b_api if p_api !m_post
  use_backend b_post if p_api m_post
  use_backend b_img if p_img || p_sub
  use_backend b_reg if p_reg
  use_backend b_static if p_dir
  use_backend b_exact if p_exact or p_len
  use_backend b_admin if h_admin
  use_backend b_dom if h_dom
  use_backend b_mobile if h_beg
  use_backend b_multi if h_cnt
  use_backend b_num if h_val
  use_backend b_flag if h_found !s_other
  use_backend b_debug if q_debug
  use_backend b_beta if c_beta
  use_backend b_sess if c_any
  use_backend b_token if u_sub
  use_backend b_port if d_port { req.hdr(x-port) -m found }
  use_backend b_lower if i_eq
  use_backend %[req.hdr(x-backend)] if { req.hdr(x-backend) -m found }
  use_backend b_never if no_match
  use_backend b_unless unless s_local
  default_backend b_default
"#;

const BACKENDS: &[&str] = &[
    "b_api",
    "b_post",
    "b_img",
    "b_reg",
    "b_static",
    "b_exact",
    "b_admin",
    "b_dom",
    "b_mobile",
    "b_multi",
    "b_num",
    "b_flag",
    "b_debug",
    "b_beta",
    "b_sess",
    "b_token",
    "b_port",
    "b_lower",
    "b_never",
    "b_unless",
    "b_default",
];

#[test]
fn use_backend_per_fetch_and_flag() {
    crate::require_haproxy!();
    let reqs: Vec<Request> = vec![
        Request::get("/api/users"),
        Request::get("/api/users").method("POST").body("x"),
        Request::get("/a/b.png"),
        Request::get("/a/B.PNG"),
        Request::get("/x/admin/y"),
        Request::get("/v2/items"),
        Request::get("/vx/items"),
        Request::get("/a/static/b"),
        Request::get("/staticx/b"),
        Request::get("/exact"),
        Request::get("/abc"),
        Request::get("/").header("Host", "ADMIN.example.com"),
        Request::get("/").header("Host", "www.example.org"),
        Request::get("/").header("Host", "example.orgx"),
        Request::get("/").header("X-Client", "Mobile Safari"),
        Request::get("/").header("X-Multi", "a").header("X-Multi", "b"),
        Request::get("/").header("X-Multi", "a, b"),
        Request::get("/").header("X-Num", "11"),
        Request::get("/").header("X-Num", "9"),
        Request::get("/").header("X-Flag", ""),
        Request::get("/x?debug=1"),
        Request::get("/x?a=b&debug=0"),
        Request::get("/").header("Cookie", "a=1; beta=1"),
        Request::get("/").header("Cookie", "session=xyz"),
        Request::get("/p?token=abc"),
        Request::get("/").header("X-Port", "1"),
        Request::get("/").header("X-N", "ABC"),
        Request::get("/").header("X-Backend", "b_dom"),
        Request::get("/").header("X-Backend", "nosuch"),
        Request::get("/never"),
        Request::get("/nothing/special"),
    ];
    let [theirs, ours] = both(|imp| {
        let servers: Vec<MockHttp> = BACKENDS.iter().map(|b| MockHttp::start(&format!("srv-{b}"))).collect();
        let mut t = Template::new();
        let mut cfg = format!("global\n{DEFAULTS}{ROUTING}");
        for (b, s) in BACKENDS.iter().zip(&servers) {
            cfg.push_str(&format!("backend {b}\n  server s1 127.0.0.1:{}\n", s.port()));
        }
        let cfg = t.render(&cfg);
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[]);
        let out: Vec<String> =
            reqs.iter().map(|r| format!("{} {} -> {}", r.method, r.path, who(t.port(0), r))).collect();
        out.join("\n")
    });
    assert_same("routing decisions", &theirs, &ours);
}

#[test]
fn use_server_and_listen_sections() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let s: Vec<MockHttp> = (1..=3).map(|i| MockHttp::start(&format!("s{i}"))).collect();
        let mut t = Template::new();
        let cfg = t.render(&format!(
            "global\n{DEFAULTS}listen li\n  bind 127.0.0.1:${{PORT_0}}\n  balance roundrobin\n  \
             use-server s3 if {{ path_beg /three }}\n  use-server s2 if {{ req.hdr(x-srv) 2 }}\n  \
             use-server s1 unless {{ path_beg / }}\n  \
             server s1 127.0.0.1:{}\n  server s2 127.0.0.1:{}\n  server s3 127.0.0.1:{} disabled\n",
            s[0].port(),
            s[1].port(),
            s[2].port()
        ));
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[]);
        let reqs = [
            Request::get("/a"),
            Request::get("/three"),
            Request::get("/b").header("X-Srv", "2"),
            Request::get("/b").header("X-Srv", "2"),
            Request::get("/c"),
            Request::get("/d"),
        ];
        reqs.iter().map(|r| format!("{} -> {}", r.path, who(t.port(0), r))).collect::<Vec<_>>().join("\n")
    });
    assert_same("use-server", &theirs, &ours);
}

#[test]
fn monitor_uri_with_monitor_fail() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let s1 = MockHttp::start("s1");
        let s2 = MockHttp::start("s2");
        let mut t = Template::new();
        let cfg = t.render(&format!(
            "global\n{DEFAULTS}frontend up\n  bind 127.0.0.1:${{PORT_0}}\n  monitor-uri /check\n  \
             monitor fail if {{ nbsrv(b1) lt 1 }}\n  default_backend b1\n\
             frontend down\n  bind 127.0.0.1:${{PORT_1}}\n  monitor-uri /check\n  \
             acl dead nbsrv(b2) lt 1\n  monitor fail if dead\n  default_backend b2\n\
             frontend unless\n  bind 127.0.0.1:${{PORT_2}}\n  monitor-uri /health\n  \
             monitor fail unless {{ srv_is_up(b2/s2) }}\n  default_backend b1\n\
             backend b1\n  server s1 127.0.0.1:{}\nbackend b2\n  server s2 127.0.0.1:{} disabled\n",
            s1.port(),
            s2.port()
        ));
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0), t.port(1), t.port(2)], &[]);
        let mut out = Vec::new();
        for (port, path) in
            [(t.port(0), "/check"), (t.port(1), "/check"), (t.port(2), "/health"), (t.port(0), "/other")]
        {
            let raw = client::Request::get(path).send(port).map(|r| String::from_utf8_lossy(&r.raw).into_owned());
            out.push(format!("{path}:\n{}", raw.unwrap_or_else(|e| format!("error: {e}"))));
        }
        out.join("\n")
    });
    assert_same("monitor answers", &theirs, &ours);
}

/// Poll `f` until it returns `want` or 4 s pass; the last value either way.
fn poll(mut f: impl FnMut() -> String, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(4);
    loop {
        let v = f();
        if v == want || Instant::now() >= deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const HOWTO: &str = r#"
frontend www
  bind 127.0.0.1:${PORT_0}
  timeout client 30s
  use_backend be1 if { path_beg /load }
  acl be1_busy avg_queue(be1) gt 1
  acl be2_up srv_is_up(be2/s2)
  use_backend be2 if be1_busy be2_up
  default_backend be1
frontend health
  bind 127.0.0.1:${PORT_1}
  monitor-uri /check
  acl be1_too_busy avg_queue(be1) gt 3
  monitor fail if be1_too_busy
backend be1
  server s1 127.0.0.1:${PORT_2} maxconn 1
backend be2
  server s2 127.0.0.1:${PORT_3}${S2_OPTS}
"#;

/// The how-to: load on be1 (one slow server, maxconn 1) builds a queue; past an average queue
/// of 1 new clients go to be2 if s2 is up; past 3 the health frontend answers 503.
fn howto(imp: Impl, s2_opts: &str) -> String {
    let s1 = MockHttp::start("s1");
    let s2 = MockHttp::start("s2");
    let mut t = Template::new();
    t.set_port(2, s1.port()).set_port(3, s2.port()).set("S2_OPTS", s2_opts);
    let cfg = t.render(&format!("global\n{DEFAULTS}{HOWTO}"));
    let mut inst = proc::start(imp, &cfg, &[]);
    inst.wait_ready(&[t.port(0), t.port(1)], &[]);
    let (www, health) = (t.port(0), t.port(1));
    let status = |port: u16, path: &str| {
        client::Request::get(path).send(port).map(|r| r.status.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    };
    let mut out = vec![
        format!("idle: / -> {}", who(www, &Request::get("/"))),
        format!("idle: health {}", status(health, "/check")),
    ];
    // Load: s1 takes 1.5 s per request and serves one at a time.
    s1.slow(Duration::from_millis(1500));
    let before = s1.requests();
    let mut load = Vec::new();
    let mut spawn_load = |n: usize| {
        for _ in 0..n {
            load.push(std::thread::spawn(move || who(www, &Request::get("/load"))));
            std::thread::sleep(Duration::from_millis(30));
        }
    };
    // One in service and two queued: the average queue is 2.
    spawn_load(3);
    let _ = crate::harness::wait::wait_for(Duration::from_secs(3), || (s1.requests() > before).then_some(()));
    out.push(format!("queue 2: / -> {}", poll(|| who(www, &Request::get("/probe")), "s2")));
    out.push(format!("queue 2: health {}", status(health, "/check")));
    // Two more queued: 4 > 3, the health check fails.
    spawn_load(2);
    out.push(format!("queue 4: health {}", poll(|| status(health, "/check"), "503")));
    for h in load {
        let _ = h.join();
    }
    s1.normal();
    out.push(format!("drained: health {}", poll(|| status(health, "/check"), "200")));
    out.push(format!("drained: / -> {}", who(www, &Request::get("/"))));
    out.join("\n")
}

#[test]
fn howto_queue_overflow_to_second_backend() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| howto(imp, ""));
    assert_same("how-to with s2 up", &theirs, &ours);
    assert!(theirs.contains("queue 2: / -> s2"), "the oracle should overflow to be2:\n{theirs}");
    assert!(theirs.contains("queue 4: health 503"), "the oracle should fail the health check:\n{theirs}");
    // With s2 in maintenance, srv_is_up() is false: everything stays on be1.
    let [theirs, ours] = both(|imp| howto(imp, " disabled"));
    assert_same("how-to with s2 down", &theirs, &ours);
}

/// Host and path routing through map files (`use_backend %[...,map*(file,default)]`), and the
/// map converters' answers in a returned body: exact keys, longest prefixes and addresses,
/// first matches in file order for the other methods, `_int` outputs, defaults, comments and
/// blanks in the files, `map_regm` captures.
#[test]
fn map_routing_and_converters() {
    crate::require_haproxy!();
    let maps = crate::harness::tempdir::TempDir::new("maps");
    let hosts =
        maps.write("hosts.map", "# host -> backend\na.example.com b_a\n  b.example.com   b_b  \nA.example.com b_b\n");
    let paths = maps.write("paths.map", "/api b_a\n/api/v2 b_b\n/api b_b\n");
    let doms = maps.write("doms.map", "com b_a\nexample.org b_b\n");
    let ips = maps.write("ips.map", "127.0.0.0/8 loop8\n127.0.0.1 host\n10.0.0.0/8 ten\n");
    let ints = maps.write("ints.map", "10 100\n1:20 200\n5 500\n");
    let regm = maps.write("regm.map", "^/u/([a-z]+)/(\\d+) user=\\1,id=\\2\n^/u/ fallback\n");
    let subs = maps.write("subs.map", "b sub_b\nab sub_ab\n");
    let p = |f: &std::path::PathBuf| f.display().to_string();
    let cfg_body = format!(
        "frontend fe\n  bind 127.0.0.1:${{PORT_0}}\n  use_backend %[req.hdr(host),lower,map({h},b_default)] if {{ req.hdr(x-by) host }}\n  \
         use_backend %[path,map_beg({pa},b_default)] if {{ req.hdr(x-by) path }}\n  \
         use_backend %[req.hdr(host),map_dom({d})] if {{ req.hdr(x-by) dom }}\n  \
         http-request return status 200 content-type text/plain lf-string \"ip=%[src,map_ip({i},none)] int=%[req.hdr(n),map_int_int({n},-1)] \
         regm=%[path,map_regm({r},none)] sub=%[path,map_sub({s},none)] str=%[req.hdr(host),map_str({h})]\" if {{ req.hdr(x-by) show }}\n  \
         default_backend b_default\n",
        h = p(&hosts),
        pa = p(&paths),
        d = p(&doms),
        i = p(&ips),
        n = p(&ints),
        r = p(&regm),
        s = p(&subs),
    );
    let reqs: Vec<Request> = vec![
        Request::get("/").header("X-By", "host").header("Host", "a.example.com"),
        Request::get("/").header("X-By", "host").header("Host", "A.EXAMPLE.COM"),
        Request::get("/").header("X-By", "host").header("Host", "b.example.com"),
        Request::get("/").header("X-By", "host").header("Host", "c.example.com"),
        Request::get("/api/v2/x").header("X-By", "path"),
        Request::get("/api/v1").header("X-By", "path"),
        Request::get("/other").header("X-By", "path"),
        Request::get("/").header("X-By", "dom").header("Host", "www.example.org"),
        Request::get("/").header("X-By", "dom").header("Host", "x.com"),
        Request::get("/").header("X-By", "dom").header("Host", "x.net"),
        Request::get("/u/bob/42").header("X-By", "show").header("N", "10").header("Host", "A.example.com"),
        Request::get("/u/x").header("X-By", "show").header("N", "15").header("Host", "a.example.com"),
        Request::get("/zab").header("X-By", "show").header("N", "7"),
    ];
    let [theirs, ours] = both(|imp| {
        let backends = ["b_a", "b_b", "b_default"];
        let servers: Vec<MockHttp> = backends.iter().map(|b| MockHttp::start(&format!("srv-{b}"))).collect();
        let mut t = Template::new();
        let mut cfg = format!("global\n{DEFAULTS}{cfg_body}");
        for (b, s) in backends.iter().zip(&servers) {
            cfg.push_str(&format!("backend {b}\n  server s1 127.0.0.1:{}\n", s.port()));
        }
        let cfg = t.render(&cfg);
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[]);
        let out: Vec<String> = reqs
            .iter()
            .map(|r| match r.send(t.port(0)) {
                Ok(resp) if resp.header("x-server").is_none() => format!("{} {}", r.path, resp.body_text()),
                _ => format!("{} -> {}", r.path, who(t.port(0), r)),
            })
            .collect();
        out.join("\n")
    });
    assert_same("map routing", &theirs, &ours);
}

/// `balance hash <expr>`: the server each key lands on, map-based and consistent, with strings,
/// integers and addresses as keys, and requests without a key (round robin).
#[test]
fn balance_hash_expressions() {
    crate::require_haproxy!();
    let backends = [
        ("h_str", "balance hash req.hdr(x)"),
        ("h_cons", "balance hash req.hdr(x),lower\n  hash-type consistent sdbm avalanche"),
        ("h_int", "balance hash req.hdr_val(n)"),
        ("h_ip", "balance hash src\n  hash-type map-based crc32"),
    ];
    let mut cfg_body = String::from("frontend fe\n  bind 127.0.0.1:${PORT_0}\n");
    for (b, _) in &backends {
        cfg_body.push_str(&format!("  use_backend {b} if {{ req.hdr(x-be) {b} }}\n"));
    }
    let [theirs, ours] = both(|imp| {
        let servers: Vec<MockHttp> = (0..4).map(|i| MockHttp::start(&format!("s{i}"))).collect();
        let mut cfg = format!("global\n{DEFAULTS}{cfg_body}");
        for (b, line) in &backends {
            cfg.push_str(&format!("backend {b}\n  {line}\n"));
            for (i, s) in servers.iter().enumerate() {
                cfg.push_str(&format!("  server s{i} 127.0.0.1:{}\n", s.port()));
            }
        }
        let mut t = Template::new();
        let cfg = t.render(&cfg);
        let mut inst = proc::start(imp, &cfg, &[]);
        inst.wait_ready(&[t.port(0)], &[]);
        let mut out = Vec::new();
        for (b, _) in &backends {
            for key in ["alpha", "beta", "Gamma", "delta", "epsilon", "12", "7", "-3", "", "none"] {
                let mut r = Request::get("/").header("X-Be", b);
                if key != "none" {
                    r = r.header("X", key).header("N", key);
                }
                out.push(format!("{b} {key:?} -> {}", who(t.port(0), &r)));
            }
        }
        out.join("\n")
    });
    assert_same("balance hash", &theirs, &ours);
}

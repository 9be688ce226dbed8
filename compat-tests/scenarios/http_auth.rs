//! HTTP basic authentication against a `userlist`, compared byte for byte with HAProxy:
//! `http-request auth` and its 401 (realms, default realm, in a backend, HEAD, HTTP/1.0, the
//! next request of a kept-alive connection), `http_auth` with insecure and hashed passwords
//! (`$1$`, `$5$`, `$6$`, bcrypt and DES hashes made by Debian's libxcrypt), `http_auth_group`
//! with groups named on either side, the `http_auth_*` fetches, malformed Authorization
//! headers, what the server receives, and the log lines.

use super::http_kit::{check, tx, Case, C};

/// The hashes are of `se:cr et` (a colon and a space in the password).
const USERLIST: &str = "userlist L
  group admins users alice
  group ops
  user alice insecure-password pw
  user bob password $1$k9Xz$xx1SWeHKrHNtjQRCjt6Ju/ groups ops
  user carol password $5$k9Xz$y0Qt79PPd.6rNGEECmtjOqd0uUA0a2BKJSWhQDfgZPD
  user cara password $5$rounds=2000$k9Xz$pKcVloetlTDccFdF2V2sm9RCghoVKA0jH7rdcTT88v3
  user dave password $6$k9Xz$GB3IKXH/tE41Crn5X.D75a9ST6gdM9FQ/MlpW0nQniXV4nOZsg4qqCn.tIUg5DShNV3tXeVSN/PNc3CiYxgWY/ groups ops,admins
  user erin password $2b$04$abcdefghijklmnopqrstuumkTTa64HwqiOXxTouiy1dVEFt6hRCxG
  user fred password k9zfWFQKeNwgo
  user gina password *
";

fn c(name: &str) -> Case {
    Case::new(name).fe("option httplog")
}

fn get(auth: &str) -> Vec<u8> {
    let hdr = if auth.is_empty() { String::new() } else { format!("Authorization: {auth}\r\n") };
    format!("GET /p HTTP/1.1\r\nHost: h\r\n{hdr}\r\n").into_bytes()
}

/// `http-request auth unless { http_auth(L) }` in the frontend, one request.
fn auth(name: &str, header: &str) -> Case {
    c(name).fe("http-request auth unless { http_auth(L) }").request(&get(header))
}

#[test]
fn passwords_and_headers() {
    crate::require_haproxy!();
    let cases = vec![
        auth("no credentials", ""),
        auth("insecure right", "Basic YWxpY2U6cHc="),
        auth("insecure wrong", "Basic YWxpY2U6cHg="),
        auth("md5 right", "Basic Ym9iOnNlOmNyIGV0"),
        auth("md5 wrong", "Basic Ym9iOnNlOmNyIGVU"),
        auth("sha256 right", "Basic Y2Fyb2w6c2U6Y3IgZXQ="),
        auth("sha256 rounds right", "Basic Y2FyYTpzZTpjciBldA=="),
        auth("sha512 right", "Basic ZGF2ZTpzZTpjciBldA=="),
        auth("bcrypt right", "Basic ZXJpbjpzZTpjciBldA=="),
        auth("des right", "Basic ZnJlZDpzZTpjciBldA=="),
        // DES reads 8 characters of the password.
        auth("des longer", "Basic ZnJlZDpzZTpjciBldFhZWg=="),
        auth("locked", "Basic Z2luYToq"),
        auth("unknown user", "Basic emVkOnB3"),
        auth("lowercase scheme", "basic YWxpY2U6cHc="),
        auth("scheme prefix", "B YWxpY2U6cHc="),
        auth("scheme too long", "Basics YWxpY2U6cHc="),
        auth("spaces", "Basic    YWxpY2U6cHc=   "),
        auth("tab", "Basic\tYWxpY2U6cHc="),
        auth("no space", "BasicYWxpY2U6cHc="),
        auth("no scheme", " YWxpY2U6cHc="),
        auth("bad base64", "Basic YWxp!2U6cHc="),
        auth("unpadded", "Basic YWxpY2U6cA"),
        auth("padded group inside", "Basic YWw=aWNlOnB3"),
        auth("no colon", "Basic YWxpY2Vwdw=="),
        auth("nul in password", "Basic YWxpY2U6cHcAanVuaw=="),
        auth("empty password", "Basic YWxpY2U6"),
        auth("comma", "Basic YWxpY2U6cHc=, Basic eDp5"),
        auth("bearer", "Bearer YWxpY2U6cHc="),
        c("empty")
            .fe("http-request auth unless { http_auth(L) }")
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization:\r\n\r\n"),
        c("second header ignored").fe("http-request auth unless { http_auth(L) }").request(
            b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eDp5\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n",
        ),
    ];
    check(USERLIST, &cases);
}

#[test]
fn realms_groups_and_connections() {
    crate::require_haproxy!();
    let ops = |name: &str, header: &str| {
        c(name).fe("http-request auth realm ops unless { http_auth_group(L) ops }").request(&get(header))
    };
    let cases = vec![
        c("realm").fe("http-request auth realm \"my realm\" if !{ http_auth(L) }").request(&get("")),
        c("realm with a quote").fe("http-request auth realm we\\\"ird if !{ http_auth(L) }").request(&get("")),
        c("in backend").be("http-request auth unless { http_auth(L) }").request(&get("Basic YWxpY2U6cHg=")),
        c("unconditional").fe("http-request auth").request(&get("Basic YWxpY2U6cHc=")),
        ops("group from user line", "Basic Ym9iOnNlOmNyIGV0"),
        ops("group from both lines", "Basic ZGF2ZTpzZTpjciBldA=="),
        ops("not in group", "Basic YWxpY2U6cHc="),
        c("group from group line")
            .fe("http-request auth unless { http_auth_group(L) ops admins }")
            .request(&get("Basic YWxpY2U6cHc=")),
        c("head").fe("http-request auth unless { http_auth(L) }").request(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"),
        c("http/1.0").fe("http-request auth unless { http_auth(L) }").request(b"GET / HTTP/1.0\r\n\r\n"),
        c("keep-alive after 401").fe("http-request auth unless { http_auth(L) }").client(vec![
            tx(&get("")),
            C::Resp(1),
            tx(&get("Basic YWxpY2U6cHc=")),
            C::Resp(1),
            C::Idle(150),
        ]),
        c("body after 401").fe("http-request auth unless { http_auth(L) }").client(vec![
            tx(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"),
            C::Resp(1),
            tx(&get("Basic YWxpY2U6cHc=")),
            C::Resp(1),
            C::Idle(150),
        ]),
    ];
    check(USERLIST, &cases);
}

#[test]
fn auth_fetches() {
    crate::require_haproxy!();
    let show = |name: &str, header: &str| {
        c(name)
            .fe("http-request return status 200 content-type text/plain lf-string \"u=%[http_auth_user] p=%[http_auth_pass] t=%[http_auth_type] b=%[http_auth_bearer] x=%[http_auth_bearer(X-Tok)] g=%[http_auth_group(L)] ok=%[http_auth(L)]\"")
            .request(&get(header))
    };
    let cases = vec![
        show("basic", "Basic ZGF2ZTpzZTpjciBldA=="),
        show("basic wrong", "Basic YWxpY2U6cHg="),
        show("bearer", "Bearer abc.def"),
        show("bearer prefix", "bear   abc def"),
        show("digest", "Digest username=x"),
        show("none", ""),
        c("bearer header")
            .fe("http-request return status 200 content-type text/plain lf-string \"x=%[http_auth_bearer(X-Tok)]\"")
            .request(b"GET / HTTP/1.1\r\nHost: h\r\nX-Tok: bearer  t1 x\r\n\r\n"),
        c("bearer found")
            .fe("http-request deny unless { http_auth_bearer -m found }")
            .request(&get("Basic YWxpY2U6cHc=")),
    ];
    check(USERLIST, &cases);
}

/// Follows [`super::runtime_api::ADMIN_HTTP`].
const COUNTERS_CFG: &str = "\
userlist L
    user alice insecure-password pw
frontend fe
    bind 127.0.0.1:${PORT_0}
    stick-table type ip size 10 expire 10s store http_req_cnt,http_err_cnt
    http-request track-sc0 src
    http-request auth unless { http_auth(L) } || { path /b }
    default_backend be
backend be
    http-request auth realm inner if { path /b }
    server web 127.0.0.1:${WEB}
";

/// What the frontend's and the backend's counters (denied, 4xx, requests, intercepted) and the
/// tracked entry say after 401s from either proxy's rules.
#[test]
fn counters_after_401() {
    crate::require_haproxy!();
    let web = crate::harness::mock_http::MockHttp::start("web");
    let [theirs, ours] = crate::harness::compare::both(|imp| {
        let c = super::runtime_api::Cli::start_http(imp, COUNTERS_CFG, &web, &[]);
        let port = c.ports.clone().port(0);
        let mut out = Vec::new();
        for (path, auth) in [("/", ""), ("/", "Basic YWxpY2U6cHc="), ("/b", "Basic YWxpY2U6cHc="), ("/", "Basic eDp5")]
        {
            let mut req = crate::harness::client::Request::get(path);
            if !auth.is_empty() {
                req = req.header("Authorization", auth);
            }
            out.push(match req.send(port) {
                Ok(r) => format!("{path} {} {}", r.status, r.header("www-authenticate").unwrap_or("-")),
                Err(e) => format!("{path} error: {e}"),
            });
        }
        let busy = regex::Regex::new(r"use=[1-9]").unwrap();
        crate::harness::wait::wait_until(std::time::Duration::from_secs(2), || !busy.is_match(&c.cmd("show table fe")));
        let table = c.cmd("show table fe");
        // The entry's address and its expiry (in ms, it moves) are left out.
        let exp = regex::Regex::new(r" exp=\d+").unwrap();
        out.extend(table.lines().map(|l| exp.replace(l.split_once(": key=").map_or(l, |(_, k)| k), "").into_owned()));
        for l in c.cmd("show stat").lines().filter(|l| l.starts_with("fe,") || l.starts_with("be,")) {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() > 80 && f[1] != "web" {
                out.push(format!(
                    "{} {} dreq={} 4xx={} req_tot={} intercepted={}",
                    f[0], f[1], f[10], f[42], f[48], f[80]
                ));
            }
        }
        out.join("\n")
    });
    crate::harness::compare::assert_same("counters after 401", &theirs, &ours);
}

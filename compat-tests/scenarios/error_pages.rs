//! A proxy's error pages compared with HAProxy byte for byte: `errorloc` / `errorloc302` /
//! `errorloc303` redirects, `http-errors` sections imported with `errorfiles`, `http-error`
//! replies (fixed, log-format, from files), which line wins when several set the same status
//! (the last one, the defaults' first, the backend's before the frontend's), and the
//! `errorfiles` / `default-errorfiles` arguments of `http-request return` and `deny`.

use super::http_kit::{check, tx, Case, C, GET, S};
use crate::harness::tempdir::TempDir;

const LOG: &str = "  option httplog\n";

/// Error files, and the `http-errors h` section (503 and 403) a batch puts after `defaults`.
struct Files {
    dir: TempDir,
    section: String,
}

impl Files {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
    /// `errorfile <code> <file>`.
    fn ef(&self, code: u16, name: &str) -> String {
        format!("errorfile {code} {}", self.path(name))
    }
}

fn files() -> Files {
    let d = TempDir::new("error-pages");
    d.write("s503.http", "HTTP/1.0 503 Section\r\nContent-Type: text/plain\r\nX-Src: section\r\n\r\nsection 503\n");
    d.write("s503b.http", "HTTP/1.1 503 Section B\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nsb!");
    d.write("s403.http", "HTTP/1.1 403 Section\r\nContent-Length: 4\r\n\r\ns403");
    d.write("a503.http", "HTTP/1.1 503 File\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nfa");
    d.write("a403.http", "HTTP/1.0 403 File\r\nContent-Type: text/plain\r\n\r\nfile 403\n");
    d.write("payload.txt", "<p>sorry</p>\n");
    let section = format!(
        "http-errors h\n  errorfile 503 {0}\n  errorfile 403 {1}\n  errorfile 503 {2}\n",
        d.join("s503.http").display(),
        d.join("s403.http").display(),
        d.join("s503b.http").display()
    );
    Files { dir: d, section }
}

/// Two requests on one connection: the second shows whether the reply kept it.
fn again() -> Vec<C> {
    vec![tx(GET), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)]
}

fn timeout(name: &str) -> Case {
    Case::new(name).be("timeout server 200ms").server(vec![S::Req])
}

#[test]
fn errorloc_redirects() {
    crate::require_haproxy!();
    let cases = vec![
        Case::new("errorloc 503").no_server().fe("errorloc 503 http://x.example/a?b=1").client(again()),
        Case::new("errorloc302 503").no_server().fe("errorloc302 503 /relative"),
        Case::new("errorloc303 503").no_server().be("errorloc303 503 http://x.example/303").client(again()),
        Case::new("errorloc to http/1.0").no_server().be("errorloc 503 /e").request(b"GET / HTTP/1.0\r\n\r\n"),
        Case::new("errorloc 403 on deny").fe("errorloc 403 /denied").fe("http-request deny"),
        Case::new("errorloc 504").be("errorloc303 504 /slow").be("timeout server 200ms").server(vec![S::Req]),
        Case::new("errorloc 400 leaves the connection layer's page")
            .fe("errorloc 400 /bad")
            .request(b"GET / HTTP/1.1\r\nbad header\r\n\r\n"),
        Case::new("an empty errorfile 400 silences the connection layer")
            .fe("errorfile 400 /dev/null")
            .request(b"GET / HTTP/1.1\r\nbad header\r\n\r\n"),
        Case::new("an empty errorfile 408 too, after an errorloc")
            .fe("errorloc 408 /x")
            .fe("errorfile 408 /dev/null")
            .fe("timeout http-request 200ms")
            .client(vec![tx(b"GET / HT"), C::UntilClose(2000)]),
        Case::new("errorloc 421 on deny").fe("errorloc 421 /m").fe("http-request deny deny_status 421"),
    ];
    check(LOG, &cases);
}

#[test]
fn http_errors_sections() {
    crate::require_haproxy!();
    let f = files();
    let head = format!("{LOG}{}", f.section);
    let cases = vec![
        Case::new("errorfiles all").no_server().fe("errorfiles h").client(again()),
        Case::new("errorfiles all, 403").fe("errorfiles h").fe("http-request deny"),
        Case::new("errorfiles one code").no_server().be("errorfiles h 403"),
        Case::new("errorfiles one code, 403").be("errorfiles h 403").be("http-request deny"),
        Case::new("http-error errorfiles").no_server().be("http-error status 503 errorfiles h"),
        Case::new("return errorfiles").fe("http-request return status 403 errorfiles h"),
        Case::new("deny errorfiles").fe("http-request deny deny_status 403 errorfiles h"),
        Case::new("return errorfiles, status not in the section").fe("http-request return status 404 errorfiles h"),
    ];
    check(&head, &cases);
}

#[test]
fn http_error_replies() {
    crate::require_haproxy!();
    let f = files();
    let file = |name: &str| f.path(name);
    let cases = vec![
        Case::new("string with headers")
            .no_server()
            .be("http-error status 503 content-type text/plain string oops hdr X-Foo bar hdr X-Empty %[req.hdr(nosuch)]")
            .client(again()),
        Case::new("no payload").no_server().be("http-error status 503"),
        Case::new("string to a head request")
            .no_server()
            .be("http-error status 503 content-type text/plain string oops")
            .client(vec![tx(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), C::Resp(1), tx(GET), C::Resp(1), C::Idle(150)]),
        Case::new("empty errorfile from http-error").no_server().be("http-error status 503 errorfile /dev/null"),
        Case::new("file").no_server().fe(&format!("http-error status 503 content-type text/html file {}", file("payload.txt"))),
        Case::new("errorfile").no_server().be(&format!("http-error status 503 errorfile {}", file("a503.http"))),
        Case::new("default-errorfiles resets an errorfile")
            .no_server()
            .be(&format!("errorfile 503 {}", file("a503.http")))
            .be("http-error status 503 default-errorfiles"),
        Case::new("lf-string reads the request")
            .no_server()
            .be("http-error status 503 content-type \"text/plain; charset=utf-8\" lf-string \"host=%[req.hdr(host)] path=%[path]\" hdr X-Path %[path]")
            .request(b"GET /p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        timeout("lf-string after the request left")
            .be("http-error status 504 content-type text/plain lf-string \"t=%[path]|%[req.hdr(host)]\" hdr x-p %[path]"),
        Case::new("lf-file on deny")
            .fe(&format!("http-error status 403 content-type text/plain lf-file {}", file("payload.txt")))
            .fe("http-request deny"),
        Case::new("the later http-error wins")
            .no_server()
            .be("http-error status 503 content-type text/plain string first")
            .be("http-error status 503 content-type text/plain string second"),
        Case::new("deny default-errorfiles uses http-error")
            .fe("http-error status 403 content-type text/plain string no")
            .fe("http-request deny deny_status 403 default-errorfiles"),
        Case::new("421 built-in page").fe("http-request deny deny_status 421"),
        Case::new("422 built-in page").fe("http-request return status 422 default-errorfiles"),
    ];
    check(LOG, &cases);
}

#[test]
fn which_line_wins() {
    crate::require_haproxy!();
    let f = files();
    let ef = |code: u16, name: &str| f.ef(code, name);
    let head = format!("{LOG}{}", f.section);
    let cases = vec![
        Case::new("errorfile then errorloc").no_server().be(&ef(503, "a503.http")).be("errorloc 503 /loc"),
        Case::new("errorloc then errorfile").no_server().be("errorloc 503 /loc").be(&ef(503, "a503.http")),
        Case::new("errorfiles then errorfile").no_server().be("errorfiles h").be(&ef(503, "a503.http")),
        Case::new("errorfile then errorfiles").no_server().be(&ef(503, "a503.http")).be("errorfiles h"),
        Case::new("http-error then errorloc303")
            .no_server()
            .be("http-error status 503 content-type text/plain string x")
            .be("errorloc303 503 /after"),
        Case::new("backend's over frontend's").no_server().fe("errorloc 503 /fe").be(&ef(503, "a503.http")),
        Case::new("frontend's when the backend has none").no_server().fe("errorloc 503 /fe").be("errorfiles h 403"),
        Case::new("backend's default-errorfiles falls back to the frontend's")
            .no_server()
            .fe("errorloc 503 /fe")
            .be(&ef(503, "a503.http"))
            .be("http-error status 503 default-errorfiles"),
        Case::new("deny in the frontend takes the frontend's")
            .fe("errorloc 403 /fe")
            .fe("http-request deny")
            .be(&ef(403, "a403.http")),
        Case::new("deny in the backend takes the backend's")
            .fe("errorloc 403 /fe")
            .be(&ef(403, "a403.http"))
            .be("http-request deny"),
        timeout("504 in the backend")
            .fe("errorloc 504 /fe")
            .be("http-error status 504 content-type text/plain string be-timeout"),
        Case::new("return default-errorfiles takes the frontend's")
            .fe("errorloc 503 /fe")
            .fe("http-request return status 503 default-errorfiles"),
    ];
    check(&head, &cases);
}

#[test]
fn defaults_lines_come_first() {
    crate::require_haproxy!();
    let f = files();
    // The defaults' lines, then the section (the proxies come after it).
    let head = format!("{LOG}  errorloc 503 /def\n  errorfiles h 403\n{}", f.section);
    let cases = vec![
        Case::new("inherited").no_server(),
        Case::new("inherited 403").fe("http-request deny"),
        Case::new("own errorfile after the defaults' errorloc").no_server().be(&f.ef(503, "a503.http")),
        Case::new("own errorfiles after the defaults'").no_server().be("errorfiles h"),
        Case::new("http-error default-errorfiles").no_server().be("http-error status 503 default-errorfiles"),
    ];
    check(&head, &cases);
}

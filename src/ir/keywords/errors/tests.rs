//! Error-message checks and the order error lines apply in, against HAProxy 2.6.12's measured
//! messages and answers.

use super::{check_message, errorloc_message};
use crate::ir::keywords::proxy::tests::run;
use crate::ir::rules::ReplyBody;
use crate::ir::types::{Config, ErrorPage};

#[test]
fn error_files_must_be_http_responses() {
    assert!(check_message(b"").is_ok());
    assert!(check_message(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nx").is_ok());
    assert!(check_message(b"HTTP/1.1 503 Oops\nContent-Length: 3\n\nabc").is_ok());
    assert_eq!(check_message(b"hello world\n").unwrap_err(), "unable to parse headers (error offset: 0)");
    assert_eq!(check_message(b"HTTP/1.0 abc X\r\n\r\n").unwrap_err(), "unable to parse headers (error offset: 9)");
    assert_eq!(
        check_message(b"HTTP/1.0 503 X\r\nbad header\r\n\r\n").unwrap_err(),
        "unable to parse headers (error offset: 19)"
    );
    assert_eq!(
        check_message(b"HTTP/1.0 503 X\r\nX-A: b\r\n").unwrap_err(),
        "unable to parse headers (error offset: -2)"
    );
    assert_eq!(
        check_message(b"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap_err(),
        "chunk-encoded payload not supported"
    );
}

#[test]
fn error_file_payloads_follow_their_head() {
    assert_eq!(
        check_message(b"HTTP/1.0 503 X\r\nContent-Length: 10\r\n\r\nabc").unwrap_err(),
        "payload size does not match the announced content-length (3 != 10)"
    );
    // A length with no payload at all is not checked.
    assert!(check_message(b"HTTP/1.0 503 X\r\nContent-Length: 10\r\n\r\n").is_ok());
    assert_eq!(
        check_message(b"HTTP/1.0 503 X\r\nContent-Length: 0\r\n\r\nabc").unwrap_err(),
        "message payload not expected"
    );
    assert_eq!(check_message(b"HTTP/1.0 204 X\r\n\r\nabc").unwrap_err(), "message payload not expected");
    // 204 and 304 ignore what the head says about framing.
    assert!(check_message(b"HTTP/1.0 304 X\r\nTransfer-Encoding: chunked\r\n\r\n").is_ok());
    assert_eq!(
        check_message(b"HTTP/1.0 100 X\r\n\r\n").unwrap_err(),
        "invalid http status code for an error message (100)"
    );
    assert!(check_message(b"HTTP/1.0 101 X\r\n\r\n").is_ok());
}

#[test]
fn error_files_must_fit_an_htx_message() {
    // Measured limits: reason + each header's name and value + 8 + payload <= 16280.
    let msg = |head: &[u8], total: usize| [head, &vec![b'x'; total - head.len()]].concat();
    assert!(check_message(&msg(b"HTTP/1.0 503 X\r\n\r\n", 16297)).is_ok());
    assert_eq!(
        check_message(&msg(b"HTTP/1.0 503 X\r\n\r\n", 16298)).unwrap_err(),
        "unable to add payload into the HTX message"
    );
    let three = b"HTTP/1.0 503 X\r\nA: b\r\nC: d\r\nE: f\r\n\r\n";
    assert!(check_message(&msg(three, 16285)).is_ok());
    assert!(check_message(&msg(three, 16286)).is_err());
}

#[test]
fn errorloc_builds_haproxy_redirects() {
    assert_eq!(
        errorloc_message(302, "http://x/a?b"),
        b"HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: http://x/a?b\r\n\r\n"
    );
    assert_eq!(
        errorloc_message(303, "/e"),
        b"HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /e\r\n\r\n"
    );
}

const HEAD: &str = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n";

/// `text` parsed and checked; fails on any alert.
fn config(text: &str) -> Config {
    let (lines, cfg) = run(text);
    assert!(lines.iter().all(|l| !l.starts_with("ALERT")), "{lines:?}");
    cfg
}

fn page<'a>(cfg: &'a Config, proxy: &str, status: u16) -> Option<&'a ErrorPage> {
    cfg.proxies.iter().find(|p| p.name == proxy)?.error_pages.get(&status)
}

fn message(cfg: &Config, proxy: &str, status: u16) -> String {
    match page(cfg, proxy, status) {
        Some(ErrorPage::Message(m)) => String::from_utf8_lossy(m).into_owned(),
        other => panic!("{proxy} {status}: {other:?}"),
    }
}

fn section(dir: &Dir) -> String {
    format!(
        "http-errors h\n    errorfile 503 {0}/s503\n    errorfile 403 {0}/s403\n    errorfile 503 {0}/s503b\n",
        dir.0.display()
    )
}

/// A directory of error files, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("haproxide-errors-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        for (name, text) in [
            ("s503", "HTTP/1.0 503 S\r\n\r\ns503"),
            ("s503b", "HTTP/1.0 503 S\r\n\r\ns503b"),
            ("s403", "HTTP/1.0 403 S\r\n\r\ns403"),
            ("a503", "HTTP/1.0 503 A\r\n\r\na503"),
        ] {
            std::fs::write(p.join(name), text).expect("write");
        }
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_last_line_for_a_status_wins() {
    let d = Dir::new("last");
    let a = format!("{}/a503", d.0.display());
    let cfg = config(&format!(
        "{}{HEAD}backend b1\n    errorfile 503 {a}\n    errorloc 503 http://b/\n\
         backend b2\n    errorloc 503 http://b/\n    errorfile 503 {a}\n\
         backend b3\n    errorfiles h\n    errorfile 503 {a}\n\
         backend b4\n    errorfile 503 {a}\n    errorfiles h\n\
         backend b5\n    errorfile 503 {a}\n    http-error status 503 default-errorfiles\n\
         backend b6\n    http-error status 503 content-type text/plain string x\n    errorloc303 503 /x\n",
        section(&d)
    ));
    assert!(message(&cfg, "b1", 503).contains("Location: http://b/"));
    assert_eq!(message(&cfg, "b2", 503), "HTTP/1.0 503 A\r\n\r\na503");
    assert_eq!(message(&cfg, "b3", 503), "HTTP/1.0 503 A\r\n\r\na503");
    // A section's later line for a status replaces its earlier one.
    assert_eq!(message(&cfg, "b4", 503), "HTTP/1.0 503 S\r\n\r\ns503b");
    assert_eq!(message(&cfg, "b4", 403), "HTTP/1.0 403 S\r\n\r\ns403");
    // `default-errorfiles` drops the proxy's page: the frontend's or the built-in one answers.
    assert_eq!(page(&cfg, "b5", 503), None);
    assert!(message(&cfg, "b6", 503).starts_with("HTTP/1.1 303 See Other\r\n"));
}

#[test]
fn sections_give_all_or_the_listed_codes() {
    let d = Dir::new("codes");
    let cfg = config(&format!(
        "{}{HEAD}backend b1\n    errorfiles h 403\nbackend b2\n    http-error status 503 errorfiles h\n",
        section(&d)
    ));
    assert_eq!(message(&cfg, "b1", 403), "HTTP/1.0 403 S\r\n\r\ns403");
    assert_eq!(page(&cfg, "b1", 503), None);
    assert_eq!(message(&cfg, "b2", 503), "HTTP/1.0 503 S\r\n\r\ns503b");
    assert_eq!(page(&cfg, "b2", 403), None);
}

#[test]
fn defaults_lines_come_first() {
    let d = Dir::new("defaults");
    let a = format!("{}/a503", d.0.display());
    let cfg = config(&format!(
        "{}{HEAD}    errorloc 503 http://def/\n    errorfiles h 403\nbackend b1\n    errorfile 503 {a}\nbackend b2\n",
        section(&d)
    ));
    assert_eq!(message(&cfg, "b1", 503), "HTTP/1.0 503 A\r\n\r\na503");
    assert!(message(&cfg, "b2", 503).contains("Location: http://def/"));
    assert_eq!(message(&cfg, "b2", 403), "HTTP/1.0 403 S\r\n\r\ns403");
}

#[test]
fn http_error_replies_are_kept_to_build() {
    let cfg = config(&format!(
        "{HEAD}backend b\n    http-error status 429 content-type text/plain lf-string \"%[req.hdr(host)]\" hdr X-A b\n"
    ));
    let Some(ErrorPage::Reply(r)) = page(&cfg, "b", 429) else { panic!("{:?}", page(&cfg, "b", 429)) };
    assert_eq!((r.status, r.ctype.as_deref(), r.hdrs.len()), (429, Some("text/plain"), 1));
    assert!(matches!(r.body, ReplyBody::Fmt(_)));
}

#[test]
fn section_replies_resolve_to_the_page_or_nothing() {
    let d = Dir::new("replies");
    let (lines, cfg) = run(&format!(
        "{}{HEAD}frontend f\n    bind :8080\n    http-request deny deny_status 403 errorfiles h if {{ path /a }}\n    http-request return status 404 errorfiles h\n",
        section(&d)
    ));
    assert_eq!(
        lines,
        ["WARNING config : Proxy 'f': status '404' referenced by an http reply not declared in http-errors section 'h'."]
    );
    let f = cfg.proxies.iter().find(|p| p.name == "f").expect("f");
    let bodies: Vec<&ReplyBody> = f
        .http_request
        .iter()
        .filter_map(|r| match &r.action {
            crate::ir::rules::Action::Deny(rep) | crate::ir::rules::Action::Return(rep) => Some(&rep.body),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, [&ReplyBody::ErrorFile(b"HTTP/1.0 403 S\r\n\r\ns403".to_vec()), &ReplyBody::Empty]);
}

#[test]
fn every_2_6_error_code_is_handled() {
    for code in [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504] {
        let cfg = config(&format!("{HEAD}backend b\n    errorloc {code} /x\n"));
        assert!(page(&cfg, "b", code).is_some(), "{code}");
    }
    let (lines, _) = run(&format!("{HEAD}backend b\n    errorloc 302 /x\n    errorfiles h 406\n"));
    assert_eq!(
        lines,
        [
            "ALERT config : parsing [t.cfg:7] : errorloc : status code '302' not handled.",
            "ALERT config : parsing [t.cfg:8] : errorfiles : status code '406' not handled.",
            "ALERT config : Error(s) found in configuration file : t.cfg",
        ]
    );
}

//! The protocol: one-shot close, `;` chains and escapes, payloads, prompt mode, `quit`,
//! severity output, help and the unknown-command suggestions, binary garbage, long lines, idle
//! clients.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::{compare_inputs, Cli, BASE};
use crate::harness::cli::PromptSession;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;

#[test]
fn framing_matches() {
    crate::require_haproxy!();
    compare_inputs(
        BASE,
        &[
            b"show version",
            b"show version\r\n",
            b"show version;show cli level\n",
            b"show version;show cli level",
            b"show\\ version\n",
            b"show  \t version  \n",
            b"show version\\;show cli level\n",
            b";;show version\n",
            b"show cli level\n\n\nshow version\n",
            b"show version <<\nabc\n\nshow cli level\n",
            b"show version<<\nabc\n\n",
            b"foo <<\nabc\n\n",
            b"get weight be/s1 <<\n\n",
            b"show\x00version\n",
            b"\xff\xfe\x01garbage\n",
            b"\x00show version\n",
            b"show \x00 version\n",
            b"show version\r\r\n",
            b"show version\\\\\n",
            b"quit\nshow version\n",
            b"prompt\n",
            b"prompt\nshow cli level\nprompt\nshow version\n",
            b"prompt\nquit\nshow version\n",
            b"prompt\nshow version <<\nabc\ndef\n\nshow cli level\n",
            b"prompt\nuser -\nshow cli level\n",
            b"user -\nshow cli level\n",
            b"operator -\n",
            b"_getsocks\nshow version\n",
        ],
    );
}

#[test]
fn help_and_suggestions_match() {
    crate::require_haproxy!();
    compare_inputs(
        BASE,
        &[
            b"help\n",
            b"help show\n",
            b"help show st\n",
            b"help foo\n",
            b"foo\n",
            b"\n",
            b"   \n",
            b"show\n",
            b"set server\n",
            b"shw stat\n",
            b"sho info\n",
            b"show stats\n",
            b"set sever\n",
            b"get weigth be/s1\n",
            b"enable\n",
            b"x y z w v u\n",
            b"expert-mode\nexpert-mode on;expert-mode\nexperimental-mode x;experimental-mode\n",
            b"expert-mode on;help\n",
            b"experimental-mode on;help\n",
            b"debug dev exit\n",
            b"set var proc.x int(1)\n",
            b"expert-mode on;user;help\n",
        ],
    );
}

#[test]
fn session_settings_match() {
    crate::require_haproxy!();
    compare_inputs(
        BASE,
        &[
            b"set severity-output number;show cli level;get weight be/s1;set server be/s1 weight x;foo\n",
            b"set severity-output string;set server be/s2 addr 127.0.0.3;set server be/s2 weight 300;show servers state tcpbe\n",
            b"set severity-output number\nshow stat 3 1 -1 json\nshow stat 3 1 -1 typed\nhelp foo\n",
            b"set severity-output\nset severity-output foo\nset severity-output none;show version\n",
            b"set timeout cli\nset timeout cli x\nset timeout cli 0\nset timeout foo\nset timeout cli 10\nset timeout cli 100ms\n",
            b"show env NOPE\nshow cli level\n",
        ],
    );
}

/// A `prompt` session as interactive tools hold it: every reply ends with `> `.
#[test]
fn prompt_session_matches() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, BASE, &web);
        c.settle();
        let mut s = PromptSession::open(c.sock("admin.sock")).unwrap();
        let mut out = Vec::new();
        for cmd in [
            "set timeout cli 60",
            "show info",
            "show stat",
            "get weight be/s2",
            "set weight be/s2 10",
            "set weight be/s2 100%",
            "disable server be/s2",
            "show stat be 4 2",
            "enable server be/s2",
            "show stat be 4 2",
            "foo",
            "help",
            "user",
            "disable server be/s2",
            "show cli level",
        ] {
            out.push(format!("> {cmd}\n{}", c.norm(&s.cmd(cmd).unwrap())));
        }
        // A payload: `+ ` after each gathered line, then the reply.
        s.send_raw(b"show version <<\n").unwrap();
        out.push(s.read_reply("+ ").unwrap());
        s.send_raw(b"line\n").unwrap();
        out.push(s.read_reply("+ ").unwrap());
        s.send_raw(b"\n").unwrap();
        out.push(c.norm(&s.read_reply("> ").unwrap()));
        s.send_raw(b"quit\n").unwrap();
        out.push(format!("after quit: {:?}", s.read_to_eof().unwrap()));
        out.join("\n")
    });
    assert_same("prompt session", &theirs, &ours);
}

const SHORT_TIMEOUT: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock level admin
    stats timeout 1s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend be
    server s1 127.0.0.1:${WEB}
";

fn read_all(mut s: std::os::unix::net::UnixStream) -> (Vec<u8>, Duration) {
    let t0 = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (out, t0.elapsed())
}

/// A client that connects and says nothing is released after `stats timeout`, and so is a
/// session idle after `set timeout cli`; one that stopped in the middle of a line is kept, as
/// HAProxy keeps it.
#[test]
fn idle_clients_and_timeouts_match() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, SHORT_TIMEOUT, &web);
        let mut res = Vec::new();
        for input in [&b""[..], b"show ver", b"prompt\nset timeout cli 1\n"] {
            let mut s = std::os::unix::net::UnixStream::connect(c.sock("admin.sock")).unwrap();
            s.write_all(input).unwrap();
            let (out, took) = read_all(s);
            res.push(format!(
                "{:?} closed within 3s: {}",
                String::from_utf8_lossy(&out),
                took < Duration::from_secs(3)
            ));
        }
        res.join("\n")
    });
    assert_same("idle clients", &theirs, &ours);
    assert!(ours.starts_with("\"\" closed within 3s: true"), "{ours}");
}

/// An idle prompt session is released after `stats timeout` (HAProxy does it too, though not
/// on every run: the check is on haproxide only).
#[test]
fn idle_prompt_sessions_are_released() {
    let web = MockHttp::start("web");
    let c = Cli::start(crate::harness::proc::Impl::Haproxide, SHORT_TIMEOUT, &web);
    let mut s = std::os::unix::net::UnixStream::connect(c.sock("admin.sock")).unwrap();
    s.write_all(b"prompt\nshow cli level\n").unwrap();
    let (out, took) = read_all(s);
    assert_eq!(String::from_utf8_lossy(&out), "\n> admin\n\n> ");
    assert!(took < Duration::from_secs(3));
}

/// Long lines within HAProxy's buffer work. Beyond what fits in its buffer HAProxy stops reading
/// and the client gets nothing (it is even unreliable from about 15 KB, when the line arrives in
/// several reads); haproxide takes every line up to 16383 bytes, terminator included, and
/// answers a longer one with a one-line error before closing (README, "Differences").
#[test]
fn long_lines() {
    crate::require_haproxy!();
    let line = |n: usize| {
        let mut l = b"show version".to_vec();
        l.resize(n, b' ');
        l.push(b'\n');
        l
    };
    let [theirs, ours] = both(|imp| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, SHORT_TIMEOUT, &web);
        [4000usize, 12000].iter().map(|&n| c.raw(&line(n))).collect::<Vec<_>>().join("|")
    });
    assert_same("lines that fit", &theirs, &ours);
    let web = MockHttp::start("web");
    let c = Cli::start(crate::harness::proc::Impl::Haproxide, SHORT_TIMEOUT, &web);
    assert_eq!(c.raw(&line(16382)), "VERSION\n\n");
    assert_eq!(c.raw(&line(16383)), "Request line too long: the limit is 16383 bytes, terminator included.\n");
}

/// Random binary input never hurts the process: it answers each line as HAProxy does.
#[test]
fn binary_garbage_matches() {
    crate::require_haproxy!();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..12 {
        let mut v = Vec::new();
        for _ in 0..200 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            v.push((x >> 16) as u8);
        }
        v.push(b'\n');
        inputs.push(v);
    }
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    compare_inputs(BASE, &refs);
}

/// A stale socket file left by a previous run is replaced, and the new socket gets the
/// configured mode; a TCP socket serves the same protocol.
#[test]
fn sockets_replace_stale_files_and_take_their_mode() {
    crate::require_haproxy!();
    use std::os::unix::fs::PermissionsExt;
    let [theirs, ours] = both(|imp| {
        let web = MockHttp::start("web");
        let socks = crate::harness::tempdir::TempDir::new("socks");
        let stale = socks.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let mut t = crate::harness::ports::Template::new();
        let tcp = t.port(7);
        let cfg = format!(
            "global\n    stats socket ${{DIR}}/admin.sock level admin\n    stats socket ${{SOCKS}}/stale.sock mode 640\n    \
             stats socket ipv4@127.0.0.1:{tcp} level user\nbackend be\n    server s1 127.0.0.1:${{WEB}}\n"
        );
        let c = Cli::start_with(imp, &cfg, &web, &[("SOCKS", socks.path().display().to_string())]);
        let mode = std::fs::metadata(&stale).unwrap().permissions().mode() & 0o777;
        let level = crate::harness::cli::cmd(stale.as_path(), "show cli level").unwrap();
        let over_tcp =
            crate::harness::cli::cmd(crate::harness::cli::CliAddr::Tcp(tcp), "show cli level;show backend").unwrap();
        let sockets = c
            .cmd("show cli sockets")
            .replace(&socks.path().display().to_string(), "SOCKS")
            .replace(&tcp.to_string(), "TCP");
        format!("mode {mode:o}\n{level}{over_tcp}{sockets}")
    });
    assert_same("stats sockets", &theirs, &ours);
}

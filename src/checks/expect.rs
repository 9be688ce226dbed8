//! The `expect` rules of TCP checks, pure: match received bytes (`string`, `rstring`,
//! `binary`, `rbinary`, log-format patterns, `!`, `min-recv`), run the protocol checks' custom
//! matchers (MySQL, LDAP), and word the results as HAProxy does (`TCPCHK did not match content
//! '+PONG' at step 2`, `on-error` / `on-success` texts, payload-derived messages).

use std::collections::HashMap;

use super::rules::{self, Custom, Expect, Matcher, Msg, Proto, Step, Value};
use crate::engine::health::CheckStatus;
use crate::engine::state::AgentReply;

/// What an expect rule concludes from the data received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eval {
    /// More data is needed.
    Wait,
    /// Matched: go on with the next rule.
    Continue,
    /// The check ends here with this status (an error, or a custom matcher's verdict).
    Stop { status: CheckStatus, code: i32, desc: String },
    /// The agent answered.
    Agent(AgentReply),
}

/// Inputs an expect rule needs beyond the data.
pub struct Cx<'a> {
    pub proto: Proto,
    pub step: &'a Step,
    pub vars: &'a HashMap<String, Value>,
    /// No more data will come (connection closed, or buffer full).
    pub last_read: bool,
    /// The rule is the last one of its set (custom matchers conclude the check then).
    pub is_last: bool,
}

/// `res.payload(off,0)` with HAProxy's converters.
pub fn payload_text(buf: &[u8], offset: usize, ltrim: bool, cut_crlf: bool) -> String {
    let mut b = buf.get(offset..).unwrap_or(&[]);
    if ltrim {
        while b.first() == Some(&b' ') {
            b = &b[1..];
        }
    }
    if cut_crlf {
        if let Some(p) = b.iter().position(|&c| c == b'\r' || c == b'\n') {
            b = &b[..p];
        }
    }
    // The sample ends up in a C string: it stops at the first NUL byte.
    if let Some(p) = b.iter().position(|&c| c == 0) {
        b = &b[..p];
    }
    String::from_utf8_lossy(b).into_owned()
}

/// Evaluate an `on-error`/`on-success` message.
pub fn render_msg(m: &Msg, buf: &[u8], vars: &HashMap<String, Value>) -> String {
    match m {
        Msg::Text(t) => t.clone(),
        Msg::Fmt(parts) => String::from_utf8_lossy(&rules::eval_fmt(parts, vars)).into_owned(),
        Msg::Payload { offset, ltrim, cut_crlf } => payload_text(buf, *offset, *ltrim, *cut_crlf),
    }
}

/// `tcpcheck_expect_onerror_message`.
pub fn error_message(e: &Expect, cx: &Cx, matched: bool, info: &str, buf: &[u8]) -> String {
    let mut out = String::new();
    if !info.is_empty() {
        out.push_str(info);
    } else if let Some(m) = &e.on_error {
        out.push_str(&render_msg(m, buf, cx.vars));
    } else if cx.proto == Proto::TcpCheck {
        out.push_str(if matched { "TCPCHK matched unwanted content" } else { "TCPCHK did not match content" });
        let step = cx.step.step_id();
        match &e.matcher {
            Matcher::Status(_) => out.push_str(&format!("(status codes) at step {step}")),
            Matcher::Bytes { data, binary: false } => {
                out.push_str(&format!(" '{}' at step {step}", String::from_utf8_lossy(data)))
            }
            Matcher::Bytes { binary: true, .. } => out.push_str(&format!(" (binary) at step {step}")),
            Matcher::Regex(_) | Matcher::StatusRegex(_) => out.push_str(&format!(" (regex) at step {step}")),
            Matcher::HexRegex(_) => out.push_str(&format!(" (binary regex) at step {step}")),
            Matcher::Fmt { binary: false, .. } => out.push_str(&format!(" (log-format string) at step {step}")),
            Matcher::Fmt { binary: true, .. } => out.push_str(&format!(" (log-format binary) at step {step}")),
            Matcher::Custom(_) => out.push_str(&format!(" (custom function) at step {step}")),
            Matcher::Header { .. } => out.push_str(&format!(" (header pattern) at step {step}")),
        }
    }
    if let Some(c) = &cx.step.comment {
        out.push_str(" comment: ");
        out.push_str(c);
    }
    out
}

/// `tcpcheck_expect_onsuccess_message`.
pub fn success_message(e: &Expect, proto: Proto, buf: &[u8], vars: &HashMap<String, Value>) -> String {
    if let Some(m) = &e.on_success {
        render_msg(m, buf, vars)
    } else if proto == Proto::TcpCheck {
        "(tcp-check)".into()
    } else {
        String::new()
    }
}

/// Evaluate a TCP expect rule against the data received since the last send
/// (`tcpcheck_eval_expect`).
pub fn eval_tcp(e: &Expect, cx: &Cx, buf: &[u8]) -> Eval {
    // A full buffer counts as the end of the data (HAProxy's 16kB check buffer).
    let last_read = cx.last_read || buf.len() >= bufsize();
    if !last_read {
        if let Matcher::Bytes { data: p, .. } = &e.matcher {
            if buf.len() < p.len() {
                return Eval::Wait;
            }
        }
        if e.min_recv > 0 && (buf.len() as i64) < e.min_recv {
            return Eval::Wait;
        }
    }
    let err_status = e.error_status.unwrap_or(CheckStatus::L7Rsp);
    let matched = match &e.matcher {
        Matcher::Bytes { data: p, .. } => find(buf, p),
        Matcher::Regex(r) => r.is_match(&buf[..buf.len().min(bufsize() - 1)]),
        Matcher::HexRegex(r) => r.is_match(rules::hex_upper(buf).as_bytes()),
        Matcher::Fmt { parts, binary } => {
            let mut pat = rules::eval_fmt(parts, cx.vars);
            if pat.is_empty() {
                return stop(err_status, 0, "log-format string evaluated to an empty string");
            }
            if *binary {
                match crate::ir::checks::parse_binary(&String::from_utf8_lossy(&pat)) {
                    Ok(b) => pat = b,
                    Err(_) => {
                        return stop(
                            err_status,
                            0,
                            "Failed to parse hexastring resulting of eval of a log-format string",
                        )
                    }
                }
            }
            if buf.len() < pat.len() && !last_read {
                return Eval::Wait;
            }
            find(buf, &pat)
        }
        Matcher::Custom(c) => return eval_custom(*c, e, cx, buf),
        Matcher::Status(_) | Matcher::StatusRegex(_) | Matcher::Header { .. } => false,
    };
    if !matched && !last_read && e.min_recv == -1 {
        return Eval::Wait;
    }
    if matched != e.inverse {
        return Eval::Continue;
    }
    let code = e.code_from_payload.map(|(off, len)| payload_code(buf, off, len)).unwrap_or(0);
    Eval::Stop { status: err_status, code, desc: error_message(e, cx, matched, "", buf) }
}

/// HAProxy's check buffer size (tune.bufsize).
pub fn bufsize() -> usize {
    crate::ir::types::Buffers::running_bufsize()
}

fn stop(status: CheckStatus, code: i32, desc: &str) -> Eval {
    Eval::Stop { status, code, desc: desc.to_string() }
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// `status-code res.payload(off,len)`: the digits of the payload as an integer.
fn payload_code(buf: &[u8], off: usize, len: usize) -> i32 {
    let b = buf.get(off..off + len).unwrap_or(&[]);
    std::str::from_utf8(b).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn eval_custom(c: Custom, e: &Expect, cx: &Cx, buf: &[u8]) -> Eval {
    match c {
        Custom::MysqlInitHandshake => mysql_packet(e, cx, buf, 0),
        Custom::MysqlOk => {
            let hslen = 4
                + usize::from(buf.first().copied().unwrap_or(0))
                + (usize::from(buf.get(1).copied().unwrap_or(0)) << 8)
                + (usize::from(buf.get(2).copied().unwrap_or(0)) << 16);
            mysql_packet(e, cx, buf, hslen)
        }
        Custom::LdapBindResponse => ldap_bind_response(e, cx, buf),
        Custom::Agent => match super::agent::parse(buf, cx.last_read) {
            Some(r) => Eval::Agent(r),
            None => Eval::Wait,
        },
    }
}

/// `tcpcheck_mysql_expect_packet`: one MySQL packet at `off`; an error packet fails with its
/// code and text; the last rule passes with the server version as text.
fn mysql_packet(e: &Expect, cx: &Cx, buf: &[u8], off: usize) -> Eval {
    let fail = |status: CheckStatus, code: i32, info: &str| Eval::Stop {
        status,
        code,
        desc: error_message(e, cx, false, info, buf),
    };
    if buf.len() < off + 4 {
        return if cx.last_read { fail(CheckStatus::L7Rsp, 0, "") } else { Eval::Wait };
    }
    let plen = usize::from(buf[off]) + (usize::from(buf[off + 1]) << 8) + (usize::from(buf[off + 2]) << 16);
    if buf.len() < off + plen + 4 {
        return if cx.last_read { fail(CheckStatus::L7Rsp, 0, "") } else { Eval::Wait };
    }
    if buf.get(off + 4) == Some(&0xff) {
        let code = i32::from(buf.get(off + 5).copied().unwrap_or(0))
            + (i32::from(buf.get(off + 6).copied().unwrap_or(0)) << 8);
        let text = String::from_utf8_lossy(buf.get(off + 7..).unwrap_or(&[])).into_owned();
        return fail(CheckStatus::L7Sts, code, &text);
    }
    if !cx.is_last {
        return Eval::Continue;
    }
    let version = buf.get(5..).unwrap_or(&[]);
    let end = version.iter().position(|&b| b == 0).unwrap_or(version.len());
    Eval::Stop {
        status: e.ok_status.unwrap_or(CheckStatus::L7Ok),
        code: 0,
        desc: String::from_utf8_lossy(&version[..end]).into_owned(),
    }
}

/// `tcpcheck_ldap_expect_bindrsp`: a BER-encoded bindResponse with result code 0.
fn ldap_bind_response(e: &Expect, cx: &Cx, buf: &[u8]) -> Eval {
    let at = |i: usize| buf.get(i).copied().unwrap_or(0);
    let not_ldap = || Eval::Stop {
        status: CheckStatus::L7Rsp,
        code: 0,
        desc: error_message(e, cx, false, "Not LDAPv3 protocol", buf),
    };
    let mut msglen = if at(1) & 0x80 != 0 { usize::from(at(1) & 0x7f) } else { 0 };
    if msglen > 2 || buf.get(2 + msglen..6 + msglen) != Some(&[0x02, 0x01, 0x01, 0x61][..]) {
        return not_ldap();
    }
    let b = at(msglen + 6);
    msglen += if b & 0x80 != 0 { usize::from(b & 0x7f) } else { 0 };
    if msglen > 4 || buf.get(7 + msglen..9 + msglen) != Some(&[0x0a, 0x01][..]) {
        return not_ldap();
    }
    let code = i32::from(at(msglen + 9));
    if code != 0 {
        return Eval::Stop {
            status: CheckStatus::L7Sts,
            code,
            desc: error_message(e, cx, false, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9", buf),
        };
    }
    Eval::Stop { status: e.ok_status.unwrap_or(CheckStatus::L7Ok), code, desc: "Success".into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rules::{compile_expect, Kind};
    use crate::ir::checks::{parse_rule, RuleKind};

    fn step_of(index: u32, words: &[&str]) -> Step {
        let RuleKind::Expect(e) = parse_rule("tcp-check", words).unwrap() else { panic!() };
        let comment = e.comment.clone();
        Step { index, comment, kind: Kind::Expect(Box::new(compile_expect(&e))) }
    }

    fn run(step: &Step, buf: &[u8], last: bool) -> Eval {
        let Kind::Expect(e) = &step.kind else { panic!() };
        let vars = HashMap::new();
        let cx = Cx { proto: Proto::TcpCheck, step, vars: &vars, last_read: last, is_last: true };
        eval_tcp(e, &cx, buf)
    }

    #[test]
    fn string_waits_then_fails_with_haproxy_text() {
        let s = step_of(1, &["expect", "string", "+PONG"]);
        assert_eq!(run(&s, b"+PO", false), Eval::Wait);
        assert_eq!(run(&s, b"+PONG\r\n", false), Eval::Continue);
        assert_eq!(run(&s, b"hello world\r\n", false), Eval::Wait, "no min-recv: wait for more on mismatch");
        assert_eq!(
            run(&s, b"hello world\r\n", true),
            Eval::Stop {
                status: CheckStatus::L7Rsp,
                code: 0,
                desc: "TCPCHK did not match content '+PONG' at step 2".into()
            }
        );
    }

    #[test]
    fn inverse_with_comment() {
        let s = step_of(4, &["expect", "!", "string", "world", "comment", "no world"]);
        assert_eq!(
            run(&s, b"hello world", false),
            Eval::Stop {
                status: CheckStatus::L7Rsp,
                code: 0,
                desc: "TCPCHK matched unwanted content 'world' at step 5 comment: no world".into()
            }
        );
        assert_eq!(run(&s, b"hello there", true), Eval::Continue);
    }

    #[test]
    fn binary_and_regexes() {
        let s = step_of(0, &["expect", "binary", "2b504f4e47"]);
        assert_eq!(run(&s, b"+PONG", false), Eval::Continue);
        assert_eq!(
            run(&s, b"x\r\n", true),
            Eval::Stop {
                status: CheckStatus::L7Rsp,
                code: 0,
                desc: "TCPCHK did not match content (binary) at step 1".into()
            }
        );
        let s = step_of(0, &["expect", "rbinary", "^1[56]", "min-recv", "5"]);
        assert_eq!(run(&s, b"\x16\x03", false), Eval::Wait);
        assert_eq!(run(&s, b"\x16\x03\x01\x00\x05", false), Eval::Continue);
        let s = step_of(2, &["expect", "rstring", "^2[0-9]{2}[ \r]", "min-recv", "4"]);
        assert!(matches!(run(&s, b"554 no\r\n", false), Eval::Stop { .. }));
    }

    #[test]
    fn payload_messages() {
        assert_eq!(payload_text(b"554 go away\r\n", 4, true, true), "go away");
        assert_eq!(payload_text(b"-ERR nope\r\n", 0, false, true), "-ERR nope");
        assert_eq!(payload_code(b"554 go away", 0, 3), 554);
        assert_eq!(payload_text(b"E\x00\x00\x00\x20SFATAL\x00Mpassword", 6, false, false), "FATAL");
    }

    #[test]
    fn mysql_handshake() {
        let mut pkt = vec![0x0a];
        pkt.extend_from_slice(b"8.0.1\0rest");
        let mut buf = vec![pkt.len() as u8, 0, 0, 0];
        buf.extend_from_slice(&pkt);
        let e = Expect { ..compile_expect_custom(Custom::MysqlInitHandshake) };
        let step = Step { index: 1, comment: None, kind: Kind::Expect(Box::new(e.clone())) };
        let vars = HashMap::new();
        let cx = Cx { proto: Proto::Mysql, step: &step, vars: &vars, last_read: false, is_last: true };
        assert_eq!(eval_tcp(&e, &cx, &buf[..3]), Eval::Wait);
        assert_eq!(eval_tcp(&e, &cx, &buf), Eval::Stop { status: CheckStatus::L7Ok, code: 0, desc: "8.0.1".into() });
        let err = [9, 0, 0, 0, 0xff, 0x15, 0x04, b'd', b'e', b'n', b'i', b'e', b'd'];
        assert_eq!(
            eval_tcp(&e, &cx, &err),
            Eval::Stop { status: CheckStatus::L7Sts, code: 1045, desc: "denied".into() }
        );
    }

    fn compile_expect_custom(c: Custom) -> Expect {
        Expect {
            matcher: Matcher::Custom(c),
            inverse: false,
            min_recv: -1,
            ok_status: None,
            error_status: None,
            tout_status: None,
            on_success: None,
            on_error: None,
            code_from_payload: None,
        }
    }

    #[test]
    fn ldap_bind() {
        let e = compile_expect_custom(Custom::LdapBindResponse);
        let step = Step { index: 2, comment: None, kind: Kind::Expect(Box::new(e.clone())) };
        let vars = HashMap::new();
        let cx = Cx { proto: Proto::Ldap, step: &step, vars: &vars, last_read: false, is_last: true };
        let ok = [0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00];
        assert_eq!(eval_tcp(&e, &cx, &ok), Eval::Stop { status: CheckStatus::L7Ok, code: 0, desc: "Success".into() });
        let mut bad = ok;
        bad[9] = 0x31;
        assert!(matches!(eval_tcp(&e, &cx, &bad), Eval::Stop { status: CheckStatus::L7Sts, code: 49, .. }));
        assert!(matches!(eval_tcp(&e, &cx, b"xxxxxxxxxxxxxx"), Eval::Stop { status: CheckStatus::L7Rsp, .. }));
    }
}

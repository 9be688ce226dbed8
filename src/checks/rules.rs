//! Runnable check rule sets, compiled from the configuration the way HAProxy builds its
//! `tcpcheck_rules`: the implicit first `connect`, the request of `option httpchk` merged with
//! `http-check send`, the implicit `expect status 200-399`, comments folded into the rules they
//! describe, and the built-in rule sets of the protocol checks (redis, smtp, pgsql, mysql, ldap,
//! ssl-hello) and of agent checks.

use std::collections::HashMap;

use crate::acl::regex::Regex;

use crate::engine::health::CheckStatus;
use crate::ir::checks::{self as irc, ConnectRule, FmtPart, HttpSend, Pattern, RuleKind, SendRule};
use crate::ir::types::{CheckConfig, CheckKind};

/// Which family a rule set belongs to; it decides some texts (HAProxy's
/// `TCPCHK_RULES_PROTO_CHK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// A plain `check` with no check option.
    Default,
    /// `option tcp-check` with user rules: errors name the step.
    TcpCheck,
    Http,
    Redis,
    Smtp,
    Pgsql,
    Mysql,
    Ldap,
    SslHello,
    Agent,
}

/// A value of a check variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bytes(Vec<u8>),
    Int(i64),
}

/// A message computed from the received data (`on-error`/`on-success`/`status-code` of the
/// protocol checks: `%[res.payload(off,0),ltrim(' '),cut_crlf]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    Fmt(Vec<FmtPart>),
    Payload { offset: usize, ltrim: bool, cut_crlf: bool },
}

/// The built-in expect functions of protocol checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Custom {
    MysqlInitHandshake,
    MysqlOk,
    LdapBindResponse,
    Agent,
}

#[derive(Debug, Clone)]
pub enum Matcher {
    Bytes {
        data: Vec<u8>,
        binary: bool,
    },
    Regex(Regex),
    /// Regex on the upper-case hex dump of the data.
    HexRegex(Regex),
    Fmt {
        parts: Vec<FmtPart>,
        binary: bool,
    },
    Status(Vec<(u32, u32)>),
    StatusRegex(Regex),
    Header {
        name: String,
        name_match: irc::MatchKind,
        name_re: Option<Regex>,
        value: Option<(String, irc::MatchKind, Option<Regex>)>,
        full: bool,
    },
    Custom(Custom),
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub matcher: Matcher,
    pub inverse: bool,
    pub min_recv: i64,
    pub ok_status: Option<CheckStatus>,
    pub error_status: Option<CheckStatus>,
    pub tout_status: Option<CheckStatus>,
    pub on_success: Option<Msg>,
    pub on_error: Option<Msg>,
    /// `status-code res.payload(0,3)` of the SMTP check.
    pub code_from_payload: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub enum Send {
    Bytes(Vec<u8>),
    Fmt {
        parts: Vec<FmtPart>,
        binary: bool,
    },
    Http(HttpSend),
    /// The SSLv3 client hello of `ssl-hello-chk` (it carries the current time).
    SslHello,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Connect { rule: ConnectRule, implicit: bool },
    Send(Send),
    Expect(Box<Expect>),
    SetVar { name: String, value: SetValue },
    UnsetVar { name: String },
}

#[derive(Debug, Clone)]
pub enum SetValue {
    Sample(FmtPart),
    Fmt(Vec<FmtPart>),
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Rule index; step numbers in messages are `index + 1`, 0 for the implicit connect.
    pub index: u32,
    pub comment: Option<String>,
    pub kind: Kind,
}

impl Step {
    pub fn step_id(&self) -> u32 {
        match &self.kind {
            Kind::Connect { implicit: true, .. } => 0,
            _ => self.index + 1,
        }
    }
}

/// A compiled rule set and the variables it starts with.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub proto: Proto,
    pub steps: Vec<Step>,
    pub vars: HashMap<String, Value>,
}

fn status(name: &Option<String>) -> Option<CheckStatus> {
    Some(match name.as_deref()? {
        "L7OK" => CheckStatus::L7Ok,
        "L7OKC" => CheckStatus::L7OkC,
        "L6OK" => CheckStatus::L6Ok,
        "L4OK" => CheckStatus::L4Ok,
        "L7RSP" => CheckStatus::L7Rsp,
        "L7STS" => CheckStatus::L7Sts,
        "L6RSP" => CheckStatus::L6Rsp,
        "L4CON" => CheckStatus::L4Con,
        "L7TOUT" => CheckStatus::L7Tout,
        "L6TOUT" => CheckStatus::L6Tout,
        "L4TOUT" => CheckStatus::L4Tout,
        _ => return None,
    })
}

fn msg(text: &Option<String>) -> Option<Msg> {
    let t = text.as_deref()?;
    if t.contains("%[") {
        irc::parse_fmt(t).map(Msg::Fmt)
    } else {
        Some(Msg::Text(t.to_string()))
    }
}

fn re(p: &str) -> Regex {
    re_case(p, false)
}

fn re_case(p: &str, icase: bool) -> Regex {
    // Validated at parse time; a pattern the regex engine refuses matches nothing.
    Regex::new(p, icase, false).unwrap_or_else(|_| Regex::new("(*FAIL)", false, false).expect("static regex"))
}

/// Compile one expect rule from the configuration.
pub fn compile_expect(e: &irc::ExpectRule) -> Expect {
    let matcher = match &e.pattern {
        Pattern::String(b) => Matcher::Bytes { data: b.clone(), binary: false },
        Pattern::Binary(b) => Matcher::Bytes { data: b.clone(), binary: true },
        Pattern::RString(r) => Matcher::Regex(re(r)),
        Pattern::RBinary(r) => Matcher::HexRegex(re(r)),
        Pattern::StringLf(f) => Matcher::Fmt { parts: irc::parse_fmt(f).unwrap_or_default(), binary: false },
        Pattern::BinaryLf(f) => Matcher::Fmt { parts: irc::parse_fmt(f).unwrap_or_default(), binary: true },
        Pattern::Status(s) => Matcher::Status(s.clone()),
        Pattern::RStatus(r) => Matcher::StatusRegex(re(r)),
        Pattern::Header { name, name_match, value, full, .. } => Matcher::Header {
            name: name.clone(),
            name_match: *name_match,
            name_re: (*name_match == irc::MatchKind::Reg).then(|| re_case(name, true)),
            value: value.as_ref().map(|(v, m, _)| (v.clone(), *m, (*m == irc::MatchKind::Reg).then(|| re(v)))),
            full: *full,
        },
        Pattern::Custom => Matcher::Custom(Custom::Agent),
    };
    Expect {
        matcher,
        inverse: e.inverse,
        min_recv: e.min_recv,
        ok_status: status(&e.ok_status),
        error_status: status(&e.error_status),
        tout_status: status(&e.tout_status),
        on_success: msg(&e.on_success),
        on_error: msg(&e.on_error),
        code_from_payload: None,
    }
}

fn expect(matcher: Matcher) -> Expect {
    Expect {
        matcher,
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

fn implicit_connect() -> Step {
    Step {
        index: 0,
        comment: None,
        kind: Kind::Connect { rule: ConnectRule { default: true, ..Default::default() }, implicit: true },
    }
}

fn default_connect(index: u32) -> Step {
    Step {
        index,
        comment: None,
        kind: Kind::Connect {
            rule: ConnectRule { default: true, linger: true, ..Default::default() },
            implicit: false,
        },
    }
}

fn step(index: u32, kind: Kind) -> Step {
    Step { index, comment: None, kind }
}

fn from_ir(rules: &[irc::CheckRule]) -> Vec<Step> {
    let mut out = Vec::new();
    for r in rules {
        let (kind, comment) = match &r.kind {
            RuleKind::Connect(c) => (Kind::Connect { rule: c.clone(), implicit: false }, c.comment.clone()),
            RuleKind::Send(SendRule::Bytes { data, comment, .. }) => {
                (Kind::Send(Send::Bytes(data.clone())), comment.clone())
            }
            RuleKind::Send(SendRule::Format { fmt, binary, comment }) => (
                Kind::Send(Send::Fmt { parts: irc::parse_fmt(fmt).unwrap_or_default(), binary: *binary }),
                comment.clone(),
            ),
            RuleKind::Send(SendRule::Http(h)) => (Kind::Send(Send::Http(h.clone())), h.comment.clone()),
            RuleKind::Expect(e) => (Kind::Expect(Box::new(compile_expect(e))), e.comment.clone()),
            RuleKind::Comment(c) => {
                out.push(Step {
                    index: r.index,
                    comment: Some(c.clone()),
                    kind: Kind::UnsetVar { name: String::from("\u{0}comment") },
                });
                continue;
            }
            RuleKind::SetVar { name, expr, fmt } => {
                let value = if *fmt {
                    SetValue::Fmt(irc::parse_fmt(expr).unwrap_or_default())
                } else {
                    SetValue::Sample(irc::parse_sample(expr).unwrap_or(FmtPart::Lit(String::new())))
                };
                (Kind::SetVar { name: name.clone(), value }, None)
            }
            RuleKind::UnsetVar { name } => (Kind::UnsetVar { name: name.clone() }, None),
        };
        out.push(Step { index: r.index, comment, kind });
    }
    out
}

fn is_comment(s: &Step) -> bool {
    matches!(&s.kind, Kind::UnsetVar { name } if name == "\u{0}comment")
}

fn is_action(s: &Step) -> bool {
    matches!(s.kind, Kind::SetVar { .. } | Kind::UnsetVar { .. }) && !is_comment(s)
}

/// HAProxy's `check_proxy_tcpcheck` final touches: implicit connect first, comments folded
/// into the following rules of the same kind.
fn finish(mut steps: Vec<Step>) -> Vec<Step> {
    let first = steps.iter().find(|s| !is_comment(s) && !is_action(s));
    if !matches!(first.map(|s| &s.kind), Some(Kind::Connect { .. })) {
        steps.insert(0, implicit_connect());
    }
    let mut out = Vec::with_capacity(steps.len());
    let mut comment: Option<String> = None;
    let mut prev: Option<u8> = None;
    let tag = |s: &Step| -> u8 {
        if is_comment(s) {
            0
        } else {
            match s.kind {
                Kind::Connect { .. } => 1,
                Kind::Send(_) => 2,
                Kind::Expect(_) => 3,
                _ => 4,
            }
        }
    };
    for mut s in steps {
        let t = tag(&s);
        if prev.is_some_and(|p| p != 0 && p != t) {
            comment = None;
        }
        prev = Some(t);
        match t {
            0 => {
                comment = s.comment.take();
                continue;
            }
            1 => {
                if s.comment.is_none() {
                    s.comment = comment.clone();
                }
                comment = None;
            }
            4 => comment = None,
            _ => {
                if s.comment.is_none() {
                    s.comment = comment.clone();
                }
            }
        }
        out.push(s);
    }
    out
}

/// Merge the request of `option httpchk` into the first `http-check send` (its set fields
/// win), or put it first when the rules have no send (HAProxy's `tcpcheck_add_http_rule`).
fn http_steps(cfg: &CheckConfig) -> Vec<Step> {
    let mut steps = from_ir(&cfg.http_rules);
    let opt = cfg.httpchk.clone().unwrap_or_default();
    let first_real = steps.iter().position(|s| !is_comment(s) && !is_action(s));
    let first_after_connect = match first_real {
        Some(i) if matches!(steps[i].kind, Kind::Connect { .. }) => {
            steps.iter().skip(i + 1).position(|s| !is_comment(s) && !is_action(s)).map(|p| p + i + 1)
        }
        other => other,
    };
    match first_after_connect.map(|i| (i, &mut steps[i].kind)) {
        Some((_, Kind::Send(Send::Http(h)))) => {
            // The explicit rule keeps its fields; the option fills what it leaves unset.
            let mut merged = opt.clone();
            if h.meth.is_some() {
                merged.meth = h.meth.clone();
            }
            if h.uri.is_some() {
                merged.uri = h.uri.clone();
                merged.uri_lf = h.uri_lf;
            }
            if h.ver.is_some() {
                merged.ver = h.ver.clone();
            }
            merged.hdrs = h.hdrs.clone();
            if h.body.is_some() {
                merged.body = h.body.clone();
                merged.body_lf = h.body_lf;
            }
            *h = merged;
        }
        _ => {
            let pos = match first_real {
                Some(i) if matches!(steps[i].kind, Kind::Connect { .. }) => i + 1,
                _ => 0,
            };
            steps.insert(pos, step(0, Kind::Send(Send::Http(opt))));
        }
    }
    let last = steps.iter().rev().find(|s| !is_comment(s) && !is_action(s));
    if matches!(last.map(|s| &s.kind), Some(Kind::Send(_))) {
        let idx = last.map(|s| s.index).unwrap_or(0);
        steps.push(step(idx, Kind::Expect(Box::new(expect(Matcher::Status(vec![(200, 399)]))))));
    }
    finish(steps)
}

const SSL_EXPECT: &str = "^1[56]";
const PGSQL_OK: &str = "^52000000(08|0A|0C)000000(00|02|03|04|05|06)";

fn payload_msg(offset: usize, ltrim: bool) -> Msg {
    Msg::Payload { offset, ltrim, cut_crlf: true }
}

/// The rule set of a backend's health checks.
pub fn health_ruleset(cfg: &CheckConfig) -> Ruleset {
    let mut vars = HashMap::new();
    let (proto, steps) = match cfg.kind {
        CheckKind::Tcp | CheckKind::Spop | CheckKind::External => (Proto::Default, vec![implicit_connect()]),
        CheckKind::TcpCheck => (Proto::TcpCheck, finish(from_ir(&cfg.tcp_rules))),
        CheckKind::Http => (Proto::Http, http_steps(cfg)),
        CheckKind::Redis => {
            let mut e = expect(Matcher::Bytes { data: b"+PONG\r\n".to_vec(), binary: false });
            e.error_status = Some(CheckStatus::L7Sts);
            e.on_error = Some(payload_msg(0, false));
            e.on_success = Some(Msg::Text("Redis server is ok".into()));
            (
                Proto::Redis,
                vec![
                    implicit_connect(),
                    step(0, Kind::Send(Send::Bytes(b"*1\r\n$4\r\nPING\r\n".to_vec()))),
                    step(1, Kind::Expect(Box::new(e))),
                ],
            )
        }
        CheckKind::SslHello => {
            let mut e = expect(Matcher::HexRegex(re(SSL_EXPECT)));
            e.min_recv = 5;
            e.ok_status = Some(CheckStatus::L6Ok);
            e.error_status = Some(CheckStatus::L6Rsp);
            e.tout_status = Some(CheckStatus::L6Tout);
            (
                Proto::SslHello,
                vec![implicit_connect(), step(0, Kind::Send(Send::SslHello)), step(1, Kind::Expect(Box::new(e)))],
            )
        }
        CheckKind::Smtp => {
            let a = &cfg.proto_args;
            let cmd = if a.len() >= 2 && (a[0] == "EHLO" || a[0] == "HELO") {
                format!("{} {}", a[0], a[1])
            } else {
                "HELO localhost".to_string()
            };
            vars.insert("check.smtp_cmd".into(), Value::Bytes(cmd.into_bytes()));
            let mut e1 = expect(Matcher::Regex(re("^[0-9]{3}[ \r]")));
            e1.min_recv = 4;
            e1.error_status = Some(CheckStatus::L7Rsp);
            e1.on_error = Some(payload_msg(0, false));
            let mut e2 = expect(Matcher::Regex(re("^2[0-9]{2}[ \r]")));
            e2.min_recv = 4;
            e2.error_status = Some(CheckStatus::L7Sts);
            e2.on_error = Some(payload_msg(4, true));
            e2.code_from_payload = Some((0, 3));
            let mut e3 = expect(Matcher::Regex(re("^2[0-9]{2}[- \r]")));
            e3.min_recv = 4;
            e3.error_status = Some(CheckStatus::L7Sts);
            e3.on_error = Some(payload_msg(4, true));
            e3.on_success = Some(payload_msg(4, true));
            e3.code_from_payload = Some((0, 3));
            let send = Send::Fmt {
                parts: vec![
                    FmtPart::Sample { fetch: irc::Fetch::Var("check.smtp_cmd".into()), convs: vec![] },
                    FmtPart::Lit("\r\n".into()),
                ],
                binary: false,
            };
            (
                Proto::Smtp,
                vec![
                    default_connect(0),
                    step(1, Kind::Expect(Box::new(e1))),
                    step(2, Kind::Expect(Box::new(e2))),
                    step(3, Kind::Send(send)),
                    step(4, Kind::Expect(Box::new(e3))),
                ],
            )
        }
        CheckKind::Pgsql => {
            let user = cfg.proto_args.get(1).cloned().unwrap_or_default();
            vars.insert("check.plen".into(), Value::Int(15 + user.len() as i64));
            vars.insert("check.username".into(), Value::Bytes(user.into_bytes()));
            let parts = irc::parse_fmt("%[var(check.plen),htonl,hex]000300007573657200%[var(check.username),hex]0000")
                .unwrap_or_default();
            let mut e1 = expect(Matcher::Regex(re("^E")));
            e1.inverse = true;
            e1.min_recv = 5;
            e1.error_status = Some(CheckStatus::L7Rsp);
            e1.on_error = Some(Msg::Payload { offset: 6, ltrim: false, cut_crlf: false });
            let mut e2 = expect(Matcher::HexRegex(re(PGSQL_OK)));
            e2.min_recv = 9;
            e2.error_status = Some(CheckStatus::L7Sts);
            e2.on_success = Some(Msg::Text("PostgreSQL server is ok".into()));
            e2.on_error = Some(Msg::Text("PostgreSQL unknown error".into()));
            (
                Proto::Pgsql,
                vec![
                    default_connect(0),
                    step(1, Kind::Send(Send::Fmt { parts, binary: true })),
                    step(2, Kind::Expect(Box::new(e1))),
                    step(3, Kind::Expect(Box::new(e2))),
                ],
            )
        }
        CheckKind::Mysql => {
            let mut steps = vec![default_connect(0)];
            let mut index = 1;
            let with_user = cfg.proto_args.first().map(String::as_str) == Some("user");
            if with_user {
                let user = cfg.proto_args.get(1).cloned().unwrap_or_default();
                let pre41 = cfg.proto_args.get(2).map(String::as_str) == Some("pre-41");
                let plen = user.len() + if pre41 { 7 } else { 7 + 27 };
                let hdr = vec![(plen & 0xff) as u8, ((plen >> 8) & 0xff) as u8, ((plen >> 16) & 0xff) as u8, 1];
                vars.insert("check.header".into(), Value::Bytes(hdr));
                vars.insert("check.username".into(), Value::Bytes(user.into_bytes()));
                // The client authentication packet and a COM_QUIT, as HAProxy builds them.
                let f = if pre41 {
                    "%[var(check.header),hex]0080000001%[var(check.username),hex]000001000001".to_string()
                } else {
                    format!(
                        "%[var(check.header),hex]008200000080000121{}%[var(check.username),hex]000001000001",
                        "00".repeat(23)
                    )
                };
                steps.push(step(
                    index,
                    Kind::Send(Send::Fmt { parts: irc::parse_fmt(&f).unwrap_or_default(), binary: true }),
                ));
                index += 1;
            }
            steps.push(step(index, Kind::Expect(Box::new(expect(Matcher::Custom(Custom::MysqlInitHandshake))))));
            index += 1;
            if with_user {
                steps.push(step(index, Kind::Expect(Box::new(expect(Matcher::Custom(Custom::MysqlOk))))));
            }
            (Proto::Mysql, steps)
        }
        CheckKind::Ldap => {
            let req = irc::parse_binary("300C020101600702010304008000").unwrap_or_default();
            let mut e1 = expect(Matcher::HexRegex(re("^30")));
            e1.min_recv = 14;
            e1.on_error = Some(Msg::Text("Not LDAPv3 protocol".into()));
            (
                Proto::Ldap,
                vec![
                    implicit_connect(),
                    step(0, Kind::Send(Send::Bytes(req))),
                    step(1, Kind::Expect(Box::new(e1))),
                    step(2, Kind::Expect(Box::new(expect(Matcher::Custom(Custom::LdapBindResponse))))),
                ],
            )
        }
    };
    Ruleset { proto, steps, vars }
}

/// The rule set of an agent check: connect, send `agent-send` if any, read the reply line.
pub fn agent_ruleset(agent_send: Option<&str>) -> Ruleset {
    let mut vars = HashMap::new();
    if let Some(s) = agent_send {
        vars.insert("check.agent_string".into(), Value::Bytes(s.as_bytes().to_vec()));
    }
    let send = Send::Fmt {
        parts: vec![FmtPart::Sample { fetch: irc::Fetch::Var("check.agent_string".into()), convs: vec![] }],
        binary: false,
    };
    Ruleset {
        proto: Proto::Agent,
        steps: vec![
            implicit_connect(),
            step(0, Kind::Send(send)),
            step(1, Kind::Expect(Box::new(expect(Matcher::Custom(Custom::Agent))))),
        ],
        vars,
    }
}

/// Evaluate a supported log-format string against the check's variables.
pub fn eval_fmt(parts: &[FmtPart], vars: &HashMap<String, Value>) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            FmtPart::Lit(s) => out.extend_from_slice(s.as_bytes()),
            FmtPart::Sample { fetch, convs } => {
                if let Some(v) = eval_sample(fetch, convs, vars) {
                    out.extend_from_slice(&v);
                }
            }
        }
    }
    out
}

/// A sample with its converters, as bytes; `None` when the variable is unset.
pub fn eval_sample(fetch: &irc::Fetch, convs: &[String], vars: &HashMap<String, Value>) -> Option<Vec<u8>> {
    let mut v = match fetch {
        irc::Fetch::Var(n) => {
            let key = n.strip_prefix("check.").map(|r| format!("check.{r}")).unwrap_or_else(|| n.clone());
            vars.get(&key)?.clone()
        }
        irc::Fetch::Str(s) => Value::Bytes(unescape(s)),
        irc::Fetch::Int(i) => Value::Int(*i),
    };
    for c in convs {
        v = match (c.as_str(), v) {
            ("htonl", Value::Int(i)) => Value::Bytes((i as u32).to_be_bytes().to_vec()),
            ("htonl", Value::Bytes(b)) => {
                let i: i64 = String::from_utf8_lossy(&b).trim().parse().unwrap_or(0);
                Value::Bytes((i as u32).to_be_bytes().to_vec())
            }
            ("hex", v) => Value::Bytes(hex_upper(&to_bytes(v)).into_bytes()),
            ("lower", v) => Value::Bytes(to_bytes(v).to_ascii_lowercase()),
            ("upper", v) => Value::Bytes(to_bytes(v).to_ascii_uppercase()),
            (_, v) => v,
        };
    }
    Some(to_bytes(v))
}

fn to_bytes(v: Value) -> Vec<u8> {
    match v {
        Value::Bytes(b) => b,
        Value::Int(i) => i.to_string().into_bytes(),
    }
}

/// `str()` arguments may hold `\n`-style escapes, as in the SSL hello's random bytes.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b == b'\\' {
            match it.next() {
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(b't') => out.push(b'\t'),
                Some(o) => out.push(o),
                None => out.push(b'\\'),
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// HAProxy's `dump_binary`: upper-case hex.
pub fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The SSLv3 client hello HAProxy sends (`ssl-hello-chk`), with `now` in its random bytes.
pub fn ssl_hello(now: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(126);
    h.extend_from_slice(&[0x16, 0x03, 0x00, 0x00, 0x79, 0x01, 0x00, 0x00, 0x75, 0x03, 0x00]);
    h.extend_from_slice(&now.to_be_bytes());
    h.extend_from_slice(b"HAPROXYSSLCHK\nHAPROXYSSLCHK\n");
    h.push(0x00);
    h.extend_from_slice(&[0x00, 0x4E]);
    for c in (0x01u16..=0x1B).chain(0x2F..=0x3A) {
        h.extend_from_slice(&c.to_be_bytes());
    }
    h.extend_from_slice(&[0x01, 0x00]);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::Span;

    fn rule(index: u32, words: &[&str], kw: &str) -> irc::CheckRule {
        irc::CheckRule { span: Span { file: "f".into(), line: 1 }, index, kind: irc::parse_rule(kw, words).unwrap() }
    }

    #[test]
    fn plain_check_is_a_connect() {
        let r = health_ruleset(&CheckConfig::default());
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].step_id(), 0);
    }

    #[test]
    fn tcp_check_steps_and_comments() {
        let cfg = CheckConfig {
            kind: CheckKind::TcpCheck,
            tcp_rules: vec![
                rule(0, &["comment", "first step"], "tcp-check"),
                rule(1, &["connect"], "tcp-check"),
                rule(2, &["send-binary", "50494e470d0a", "comment", "send ping"], "tcp-check"),
                rule(3, &["expect", "rstring", "^hello"], "tcp-check"),
                rule(4, &["expect", "!", "string", "world", "comment", "no world"], "tcp-check"),
            ],
            ..Default::default()
        };
        let r = health_ruleset(&cfg);
        let ids: Vec<u32> = r.steps.iter().map(Step::step_id).collect();
        assert_eq!(ids, vec![2, 3, 4, 5]);
        assert_eq!(r.steps[0].comment.as_deref(), Some("first step"));
        assert_eq!(r.steps[1].comment.as_deref(), Some("send ping"));
        assert_eq!(r.steps[3].comment.as_deref(), Some("no world"));
    }

    #[test]
    fn httpchk_gets_implicit_expect_and_merge() {
        let (opt, _) = irc::parse_httpchk(&["GET", "/a", "HTTP/1.1"]);
        let cfg = CheckConfig {
            kind: CheckKind::Http,
            httpchk: Some(opt),
            http_rules: vec![rule(0, &["send", "hdr", "Host", "h6"], "http-check")],
            ..Default::default()
        };
        let r = health_ruleset(&cfg);
        assert_eq!(r.steps.len(), 3);
        let Kind::Send(Send::Http(h)) = &r.steps[1].kind else { panic!() };
        assert_eq!(
            (h.meth.as_deref(), h.uri.as_deref(), h.ver.as_deref()),
            (Some("GET"), Some("/a"), Some("HTTP/1.1"))
        );
        assert_eq!(h.hdrs, vec![("Host".to_string(), "h6".to_string())]);
        assert!(
            matches!(&r.steps[2].kind, Kind::Expect(e) if matches!(&e.matcher, Matcher::Status(s) if s == &vec![(200, 399)]))
        );
    }

    #[test]
    fn pgsql_request_bytes() {
        let cfg =
            CheckConfig { kind: CheckKind::Pgsql, proto_args: vec!["user".into(), "bob".into()], ..Default::default() };
        let r = health_ruleset(&cfg);
        let Kind::Send(Send::Fmt { parts, .. }) = &r.steps[1].kind else { panic!() };
        let hex = eval_fmt(parts, &r.vars);
        let bytes = irc::parse_binary(std::str::from_utf8(&hex).unwrap()).unwrap();
        assert_eq!(bytes, b"\x00\x00\x00\x12\x00\x03\x00\x00user\x00bob\x00\x00");
    }

    #[test]
    fn ssl_hello_layout() {
        let h = ssl_hello(0x01020304);
        assert_eq!(h.len(), 5 + 0x79);
        assert_eq!(&h[11..15], &[1, 2, 3, 4]);
        assert_eq!(&h[h.len() - 2..], &[0x01, 0x00]);
    }
}

//! Health-check rules as the configuration declares them (`tcp-check ...`, `http-check ...`,
//! `option httpchk` and the protocol check options), parsed and validated with HAProxy's
//! messages. The checks module compiles them into runnable rule sets.

use crate::config::ast::Span;

/// One `tcp-check` / `http-check` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRule {
    pub span: Span,
    /// Position in its rule set, counting comments (step numbers are `index + 1`).
    pub index: u32,
    pub kind: RuleKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    Connect(ConnectRule),
    Send(SendRule),
    Expect(ExpectRule),
    Comment(String),
    /// `set-var(<name>) <expr>` / `set-var-fmt(<name>) <fmt>`.
    SetVar {
        name: String,
        expr: String,
        fmt: bool,
    },
    UnsetVar {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectRule {
    pub port: Option<u16>,
    /// A sample expression for the port (not run by haproxide yet).
    pub port_expr: Option<String>,
    /// `addr <ip[:port]>`.
    pub addr: Option<String>,
    pub default: bool,
    pub send_proxy: bool,
    pub via_socks4: bool,
    pub linger: bool,
    pub ssl: bool,
    pub sni: Option<String>,
    pub alpn: Option<String>,
    pub proto: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendRule {
    /// `send` (string) and `send-binary` (already decoded).
    Bytes {
        data: Vec<u8>,
        binary: bool,
        comment: Option<String>,
    },
    /// `send-lf` / `send-binary-lf`: a log-format string.
    Format {
        fmt: String,
        binary: bool,
        comment: Option<String>,
    },
    Http(HttpSend),
}

/// `http-check send`, or the request of `option httpchk`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpSend {
    pub meth: Option<String>,
    pub uri: Option<String>,
    pub uri_lf: bool,
    pub ver: Option<String>,
    pub hdrs: Vec<(String, String)>,
    pub body: Option<String>,
    pub body_lf: bool,
    pub comment: Option<String>,
}

/// How a header name or value is matched (`-m str|beg|end|sub|reg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Str,
    Beg,
    End,
    Sub,
    Reg,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// TCP: substring of the received data. HTTP: substring of the body.
    String(Vec<u8>),
    /// TCP: regex on the data. HTTP: regex on the body.
    RString(String),
    Binary(Vec<u8>),
    /// Regex on the hex dump of the data.
    RBinary(String),
    StringLf(String),
    BinaryLf(String),
    /// HTTP status ranges.
    Status(Vec<(u32, u32)>),
    RStatus(String),
    Header {
        name: String,
        name_match: MatchKind,
        name_lf: bool,
        value: Option<(String, MatchKind, bool)>,
        full: bool,
    },
    /// Protocol checks' built-in matchers.
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectRule {
    pub pattern: Pattern,
    pub inverse: bool,
    /// -1: not set.
    pub min_recv: i64,
    /// Status names (`L7OK`, `L6RSP`, ...), as written.
    pub ok_status: Option<String>,
    pub error_status: Option<String>,
    pub tout_status: Option<String>,
    pub on_success: Option<String>,
    pub on_error: Option<String>,
    pub status_code: Option<String>,
    pub comment: Option<String>,
}

/// Decode HAProxy's hex "binary string" (`parse_binary`).
pub fn parse_binary(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("an even number of hex digit is expected".into());
    }
    let mut out = Vec::with_capacity(s.len() / 2);
    let b = s.as_bytes();
    for pair in b.chunks(2) {
        let mut v = 0u8;
        for &c in pair {
            let d =
                (c as char).to_digit(16).ok_or_else(|| format!("an hex digit is expected (found '{}')", c as char))?;
            v = (v << 4) | d as u8;
        }
        out.push(v);
    }
    Ok(out)
}

/// Compile-check a regex as HAProxy does (PCRE2, no automatic captures), with its message.
pub fn check_regex(p: &str) -> Result<(), String> {
    crate::acl::regex::Regex::new(p, false, false).map(|_| ())
}

fn arg<'a>(a: &[&'a str], i: usize) -> &'a str {
    a.get(i).copied().unwrap_or("")
}

/// Parse `tcp-check connect ...` / `http-check connect ...` (words after `connect`).
fn parse_connect(kw: &str, a: &[&str]) -> Result<ConnectRule, String> {
    let mut c = ConnectRule::default();
    let mut i = 0;
    while i < a.len() {
        match a[i] {
            "default" => c.default = true,
            "addr" => {
                if arg(a, i + 1).is_empty() {
                    return Err(format!("'{}' expects <ipv4|ipv6> as argument.", a[i]));
                }
                c.addr = Some(a[i + 1].to_string());
                i += 1;
            }
            "port" => {
                let v = arg(a, i + 1);
                if v.is_empty() {
                    return Err(format!("'{}' expects a port number or a sample expression as argument.", a[i]));
                }
                i += 1;
                let digits = v.bytes().take_while(u8::is_ascii_digit).count();
                if digits == v.len() {
                    match v.parse::<u32>() {
                        Ok(p) if (1..=65535).contains(&p) => c.port = Some(p as u16),
                        _ => {
                            return Err(format!(
                                "expects a valid TCP port (from range 1 to 65535) or a sample expression, got {v}."
                            ))
                        }
                    }
                } else {
                    let fetch = v.split(['(', ',']).next().unwrap_or(v);
                    if !KNOWN_PORT_FETCHES.contains(&fetch) {
                        return Err(format!(
                            "error detected while parsing port expression : unknown fetch method '{fetch}'"
                        ));
                    }
                    c.port_expr = Some(v.to_string());
                }
            }
            "proto" => {
                let v = arg(a, i + 1);
                if v.is_empty() {
                    return Err(format!("'{}' expects a MUX protocol as argument.", a[i]));
                }
                let tcp = matches!(v, "none");
                let http = matches!(v, "h1" | "h2" | "fcgi");
                if !(tcp || http) {
                    return Err(format!("'{}' : unknown MUX protocol '{v}'.", a[i]));
                }
                if kw == "tcp-check" && !tcp {
                    return Err(format!("'{}' : invalid MUX protocol '{v}' for tcp-check", a[i]));
                }
                if kw == "http-check" && !http {
                    return Err(format!("'{}' : invalid MUX protocol '{v}' for http-check", a[i]));
                }
                c.proto = Some(v.to_string());
                i += 1;
            }
            "comment" => {
                if arg(a, i + 1).is_empty() {
                    return Err(format!("'{}' expects a string as argument.", a[i]));
                }
                c.comment = Some(a[i + 1].to_string());
                i += 1;
            }
            "send-proxy" => c.send_proxy = true,
            "via-socks4" => c.via_socks4 = true,
            "linger" => c.linger = true,
            "ssl" => c.ssl = true,
            "sni" | "alpn" => {
                if arg(a, i + 1).is_empty() {
                    return Err(format!("'{}' expects a string as argument.", a[i]));
                }
                if a[i] == "sni" {
                    c.sni = Some(a[i + 1].to_string());
                } else {
                    c.alpn = Some(a[i + 1].to_string());
                }
                i += 1;
            }
            other => {
                return Err(format!(
                    "expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '{other}' as argument."
                ))
            }
        }
        i += 1;
    }
    Ok(c)
}

/// Sample fetches HAProxy accepts in a check rule's port expression (checked by name only).
const KNOWN_PORT_FETCHES: &[&str] = &["int", "var", "str", "srv_port", "dst_port"];

fn parse_send(a: &[&str], sub: &str) -> Result<SendRule, String> {
    let data = arg(a, 0);
    if data.is_empty() {
        // HAProxy swaps its two arguments in this message.
        let what = if sub == "send-binary" { "binary string" } else { "string" };
        return Err(format!("'{what}' expects a {sub} as argument"));
    }
    let mut comment = None;
    let mut i = 1;
    while i < a.len() {
        if a[i] == "comment" {
            if arg(a, i + 1).is_empty() {
                return Err(format!("'{}' expects a string as argument.", a[i]));
            }
            comment = Some(a[i + 1].to_string());
            i += 2;
        } else {
            return Err(format!("expects 'comment' but got '{}' as argument.", a[i]));
        }
    }
    Ok(match sub {
        "send" => SendRule::Bytes { data: data.as_bytes().to_vec(), binary: false, comment },
        "send-binary" => {
            let d = parse_binary(data).map_err(|e| format!("'{data}' invalid binary string ({e}).\n"))?;
            SendRule::Bytes { data: d, binary: true, comment }
        }
        "send-lf" => SendRule::Format { fmt: data.to_string(), binary: false, comment },
        _ => SendRule::Format { fmt: data.to_string(), binary: true, comment },
    })
}

fn parse_send_http(a: &[&str]) -> Result<HttpSend, String> {
    let mut h = HttpSend::default();
    let mut host_seen: Option<String> = None;
    let mut i = 0;
    while i < a.len() {
        let k = a[i];
        let need = |i: usize| -> Result<&str, String> {
            let v = arg(a, i + 1);
            if v.is_empty() {
                Err(format!("'{k}' expects a string as argument."))
            } else {
                Ok(v)
            }
        };
        match k {
            "meth" => {
                h.meth = Some(need(i)?.to_string());
                i += 1;
            }
            "uri" | "uri-lf" => {
                h.uri = Some(need(i)?.to_string());
                h.uri_lf = k == "uri-lf";
                i += 1;
            }
            "ver" => {
                h.ver = Some(need(i)?.to_string());
                i += 1;
            }
            "hdr" => {
                let (n, v) = (arg(a, i + 1), arg(a, i + 2));
                if n.is_empty() || v.is_empty() {
                    return Err(format!("'{k}' expects <name> and <value> as arguments"));
                }
                if n.eq_ignore_ascii_case("host") {
                    if let Some(prev) = &host_seen {
                        return Err(format!("'{n}' header already defined (previous value is '{prev}')"));
                    }
                    host_seen = Some(v.to_string());
                }
                if !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("transfer-encoding") {
                    h.hdrs.push((n.to_string(), v.to_string()));
                }
                i += 2;
            }
            "body" | "body-lf" => {
                h.body = Some(need(i)?.to_string());
                h.body_lf = k == "body-lf";
                i += 1;
            }
            "comment" => {
                h.comment = Some(need(i)?.to_string());
                i += 1;
            }
            other => {
                return Err(format!(
                    "expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{other}' as argument."
                ))
            }
        }
        i += 1;
    }
    Ok(h)
}

mod expect;
pub use expect::parse_expect;

/// Parse the words after `tcp-check` / `http-check` (`kw`) into a rule. Errors are complete
/// messages as HAProxy prints them after `parsing [file:line] : `.
pub fn parse_rule(kw: &str, a: &[&str]) -> Result<RuleKind, String> {
    let http = kw == "http-check";
    let sub = arg(a, 0);
    let wrap = |e: String| format!("'{kw} {sub}' : {e}.");
    let rest = if a.is_empty() { &[][..] } else { &a[1..] };
    match sub {
        "connect" => parse_connect(kw, rest).map(RuleKind::Connect).map_err(wrap),
        "send" if http => parse_send_http(rest).map(|h| RuleKind::Send(SendRule::Http(h))).map_err(wrap),
        "send" | "send-binary" | "send-lf" | "send-binary-lf" if !http => {
            parse_send(rest, sub).map(RuleKind::Send).map_err(wrap)
        }
        "expect" => parse_expect(rest, http).map(RuleKind::Expect).map_err(wrap),
        "comment" => {
            if arg(rest, 0).is_empty() {
                Err(wrap("expects a string as argument".into()))
            } else {
                Ok(RuleKind::Comment(rest[0].to_string()))
            }
        }
        s if s.starts_with("set-var(") || s.starts_with("set-var-fmt(") || s.starts_with("unset-var(") => {
            let (name, fmt, unset) = if let Some(n) = s.strip_prefix("set-var-fmt(") {
                (n, true, false)
            } else if let Some(n) = s.strip_prefix("set-var(") {
                (n, false, false)
            } else {
                (s.strip_prefix("unset-var(").unwrap_or(""), false, true)
            };
            let Some(name) = name.strip_suffix(')').filter(|n| !n.is_empty()) else {
                return Err(wrap(format!("'{s}' : invalid or incomplete action '{s}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'")));
            };
            if unset {
                return Ok(RuleKind::UnsetVar { name: name.to_string() });
            }
            if arg(rest, 0).is_empty() {
                return Err(wrap(format!("'{s}' : missing expression after variable name")));
            }
            Ok(RuleKind::SetVar { name: name.to_string(), expr: rest.join(" "), fmt })
        }
        "set-var" | "set-var-fmt" | "unset-var" => Err(wrap(format!(
            "'{sub}' : invalid or incomplete action '{sub}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"
        ))),
        _ => {
            let list = if http {
                "'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect'"
            } else {
                "'comment', 'connect', 'send', 'send-binary', 'expect'"
            };
            Err(format!(
                "'{kw}' only supports {list}, 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{sub}'"
            ))
        }
    }
}

/// `option httpchk [<method>] [<uri>] [<version>]` with the legacy headers/body hidden after
/// `\r\n` in the version. Returns the request and whether the legacy form was used (HAProxy
/// warns about it).
pub fn parse_httpchk(a: &[&str]) -> (HttpSend, bool) {
    let mut h = HttpSend::default();
    let (m, u, v) = (arg(a, 0), arg(a, 1), arg(a, 2));
    if !m.is_empty() {
        if u.is_empty() {
            h.uri = Some(m.to_string());
        } else {
            h.meth = Some(m.to_string());
        }
    }
    if !u.is_empty() {
        h.uri = Some(u.to_string());
    }
    let mut legacy = false;
    if !v.is_empty() {
        let hdrs_at = v.find("\r\n");
        let body_at = v.find("\r\n\r\n");
        let (ver, hdrs, body) = match (hdrs_at, body_at) {
            (Some(hp), Some(bp)) if hp == bp => (&v[..bp], None, Some(&v[bp + 4..])),
            (Some(hp), Some(bp)) => (&v[..hp], Some(&v[hp + 2..bp]), Some(&v[bp + 4..])),
            (Some(hp), None) => (&v[..hp], Some(&v[hp + 2..]), None),
            _ => (v, None, None),
        };
        legacy = hdrs.is_some() || body.is_some();
        h.ver = Some(ver.to_string());
        if let Some(hs) = hdrs {
            for line in hs.split("\r\n") {
                if let Some((n, val)) = line.split_once(':') {
                    h.hdrs.push((n.trim().to_string(), val.trim().to_string()));
                }
            }
        }
        if let Some(b) = body {
            h.body = Some(b.to_string());
        }
    }
    (h, legacy)
}

/// A piece of the log-format subset check rules support: literal text, and `%[...]` samples
/// made of `var(<name>)`, `str(<text>)` or `int(<n>)` with optional `hex`/`htonl` converters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmtPart {
    Lit(String),
    Sample { fetch: Fetch, convs: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    Var(String),
    Str(String),
    Int(i64),
}

const CONVERTERS: &[&str] = &["hex", "htonl", "lower", "upper"];

/// Parse a log-format string of the supported subset; `None` when it uses anything else.
pub fn parse_fmt(f: &str) -> Option<Vec<FmtPart>> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = f;
    while let Some(pos) = rest.find("%[") {
        lit.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = after.find(']')?;
        let expr = &after[..end];
        if !lit.is_empty() {
            out.push(FmtPart::Lit(std::mem::take(&mut lit)));
        }
        out.push(parse_sample(expr)?);
        rest = &after[end + 1..];
    }
    lit.push_str(rest);
    if lit.contains('%') {
        return None;
    }
    if !lit.is_empty() {
        out.push(FmtPart::Lit(lit));
    }
    Some(out)
}

/// `fetch(args)[,conv]*`.
pub fn parse_sample(expr: &str) -> Option<FmtPart> {
    let open = expr.find('(')?;
    let close = expr.find(')')?;
    let name = &expr[..open];
    let arg = &expr[open + 1..close];
    let fetch = match name {
        "var" => Fetch::Var(arg.to_string()),
        "str" => Fetch::Str(arg.to_string()),
        "int" => Fetch::Int(arg.trim().parse().ok()?),
        _ => return None,
    };
    let convs: Vec<String> = expr[close + 1..].split(',').filter(|c| !c.is_empty()).map(str::to_string).collect();
    if convs.iter().any(|c| !CONVERTERS.contains(&c.as_str())) {
        return None;
    }
    Some(FmtPart::Sample { fetch, convs })
}

/// HAProxy's post-parse checks about health checks and tracking.
pub fn validate(cfg: &crate::ir::types::Config, diags: &mut crate::config::diag::Diags) {
    use crate::config::diag::{Diagnostic, Loc, Severity};
    use crate::ir::addr::Host;
    use crate::ir::types::CheckKind;
    for p in cfg.proxies.iter().filter(|p| p.is_backend() && !p.disabled) {
        for s in &p.servers {
            let who = format!("'server {}/{}'", p.name, s.name);
            if let Some(track) = &s.opts.track {
                if s.opts.check {
                    diags.push(Diagnostic::new(
                        Severity::Alert,
                        s.span.bracket(),
                        format!("{who} : unable to enable checks and tracking at the same time!"),
                    ));
                    continue;
                }
                let (px, sn) = track.split_once('/').unwrap_or((p.name.as_str(), track.as_str()));
                if let Some(tp) = cfg.backend(px) {
                    if let Some(ts) = tp.servers.iter().find(|t| t.name == sn) {
                        if !ts.opts.check && !ts.opts.agent_check && ts.opts.track.is_none() {
                            diags.push(Diagnostic::new(
                                Severity::Alert,
                                s.span.bracket(),
                                format!("{who} : unable to use {px}/{sn} for tracking as it does not have any check nor agent enabled."),
                            ));
                        } else if tp.name != p.name && tp.checks.disable_on_404 != p.checks.disable_on_404 {
                            diags.push(Diagnostic::new(
                                Severity::Alert,
                                s.span.bracket(),
                                format!(
                                    "{who} : unable to use {px}/{sn} fortracking: disable-on-404 option inconsistency."
                                ),
                            ));
                        }
                    }
                }
            }
            if s.opts.check && s.addr.fixed_port().is_none() && s.opts.check_port.unwrap_or(0) == 0 {
                let addr_port = s
                    .opts
                    .check_addr
                    .as_deref()
                    .and_then(|a| a.rsplit_once(':'))
                    .and_then(|(_, p)| p.parse::<u16>().ok());
                let rule_port = p.checks.kind == CheckKind::TcpCheck
                    && p.checks.tcp_rules.iter().any(|r| matches!(&r.kind, RuleKind::Connect(c) if c.port.is_some()));
                if addr_port.unwrap_or(0) == 0
                    && !rule_port
                    && !matches!(s.addr.host, Host::Path(_) | Host::Fd(_) | Host::Unresolved(_))
                {
                    diags.push(Diagnostic::new(
                        Severity::Alert,
                        Loc::None,
                        format!(
                            "config: backend '{}': server '{}' has neither service port nor check port.",
                            p.name, s.name
                        ),
                    ));
                }
            }
        }
        if !p.checks.http_rules.is_empty() && p.checks.kind != CheckKind::Http {
            diags.push(Diagnostic::new(
                Severity::Warning,
                Loc::None,
                format!("{} uses http-check rules without 'option httpchk', so the rules are ignored.", p.describe()),
            ));
        }
        if !p.checks.tcp_rules.is_empty() && p.checks.kind != CheckKind::TcpCheck {
            diags.push(Diagnostic::new(
                Severity::Warning,
                Loc::None,
                format!("{} uses tcp-check rules without 'option tcp-check', so the rules are ignored.", p.describe()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kw: &str, words: &str) -> String {
        parse_rule(kw, &words.split(' ').collect::<Vec<_>>()).unwrap_err()
    }

    #[test]
    fn messages_match_haproxy() {
        assert_eq!(
            err("http-check", "expect"),
            "'http-check expect' : expects at least a matching pattern as arguments."
        );
        assert_eq!(
            err("http-check", "expect status"),
            "'http-check expect' : 'status' expects a <pattern> as argument."
        );
        assert_eq!(err("http-check", "expect status 200 string x"), "'http-check expect' : only on pattern expected.");
        assert_eq!(
            err("http-check", "expect rstatus ("),
            "'http-check expect' : regex '(' is invalid (error=missing closing parenthesis, erroffset=1)."
        );
        assert_eq!(
            err("http-check", "expect status 2x0"),
            "'http-check expect' : invalid character 'x' in the list of status codes."
        );
        assert_eq!(
            err("http-check", "expect status 300-200"),
            "'http-check expect' : invalid range of status codes '300-200'."
        );
        assert_eq!(err("http-check", "send meth"), "'http-check send' : 'meth' expects a string as argument..");
        assert_eq!(
            err("http-check", "send hdr x"),
            "'http-check send' : 'hdr' expects <name> and <value> as arguments."
        );
        assert_eq!(
            err("http-check", "connect port 0"),
            "'http-check connect' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got 0.."
        );
        assert_eq!(err("tcp-check", "send"), "'tcp-check send' : 'string' expects a send as argument.");
        assert_eq!(
            err("tcp-check", "send-binary zz"),
            "'tcp-check send-binary' : 'zz' invalid binary string (an hex digit is expected (found 'z')).\n."
        );
        assert_eq!(
            err("tcp-check", "send-binary 414"),
            "'tcp-check send-binary' : '414' invalid binary string (an even number of hex digit is expected).\n."
        );
        assert_eq!(
            err("tcp-check", "expect binary zz"),
            "'tcp-check expect' : invalid binary string (an hex digit is expected (found 'z'))."
        );
        assert_eq!(
            err("tcp-check", "expect ok-status FOO string x"),
            "'tcp-check expect' : 'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'FOO').."
        );
        assert_eq!(
            err("tcp-check", "foo"),
            "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'"
        );
        assert_eq!(
            err("http-check", "expect hdr x"),
            "'http-check expect' : 'hdr' expects at the name keyword as first argument followed by a pattern."
        );
        assert_eq!(
            err("tcp-check", "connect port x"),
            "'tcp-check connect' : error detected while parsing port expression : unknown fetch method 'x'."
        );
    }

    #[test]
    fn expects() {
        let RuleKind::Expect(e) = parse_rule("tcp-check", &["expect", "!", "string", "world", "comment", "c"]).unwrap()
        else {
            panic!()
        };
        assert!(e.inverse);
        assert_eq!(e.pattern, Pattern::String(b"world".to_vec()));
        assert_eq!(e.comment.as_deref(), Some("c"));
        let RuleKind::Expect(e) = parse_rule("http-check", &["expect", "status", "200,302-304"]).unwrap() else {
            panic!()
        };
        assert_eq!(e.pattern, Pattern::Status(vec![(200, 200), (302, 304)]));
        let RuleKind::Expect(e) =
            parse_rule("http-check", &["expect", "hdr", "name", "-m", "beg", "x-", "value", "-m", "sub", "ok"])
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            e.pattern,
            Pattern::Header {
                name: "x-".into(),
                name_match: MatchKind::Beg,
                name_lf: false,
                value: Some(("ok".into(), MatchKind::Sub, false)),
                full: false
            }
        );
    }

    #[test]
    fn httpchk_forms() {
        let (h, legacy) = parse_httpchk(&[]);
        assert_eq!((h.meth, h.uri, h.ver, legacy), (None, None, None, false));
        let (h, _) = parse_httpchk(&["/ping"]);
        assert_eq!((h.meth, h.uri.as_deref()), (None, Some("/ping")));
        let (h, legacy) = parse_httpchk(&["GET", "/ping", "HTTP/1.1\r\nHost: www.example.com\r\nX-Foo: bar"]);
        assert!(legacy);
        assert_eq!(h.ver.as_deref(), Some("HTTP/1.1"));
        assert_eq!(h.hdrs, vec![("Host".into(), "www.example.com".into()), ("X-Foo".into(), "bar".into())]);
    }

    #[test]
    fn formats() {
        assert_eq!(
            parse_fmt("%[var(check.x),hex]00").unwrap(),
            vec![
                FmtPart::Sample { fetch: Fetch::Var("check.x".into()), convs: vec!["hex".into()] },
                FmtPart::Lit("00".into())
            ]
        );
        assert!(parse_fmt("%[src]").is_none());
        assert!(parse_fmt("%ci").is_none());
    }

    #[test]
    fn binary() {
        assert_eq!(parse_binary("50494e470d0a").unwrap(), b"PING\r\n");
    }
}

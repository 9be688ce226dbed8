//! `log-format` strings as rule arguments take them (`set-header X %[src]`, `return lf-string`,
//! `http-request redirect location %[...]`): HAProxy's `parse_logformat_string` state machine,
//! with its messages, compiled into [`LogFmt`]. Rules never merge spaces: a space is text.

use crate::acl::{self, Ctx};
use crate::ir::rules::{FmtNode, FmtOpts, LogFmt};

/// `%` variables: (name, HTTP mode only).
pub const VARS: &[(&str, bool)] = &[
    ("o", false),
    ("B", false),
    ("CC", true),
    ("CS", true),
    ("H", false),
    ("HM", true),
    ("HP", true),
    ("HPO", true),
    ("HQ", true),
    ("HU", true),
    ("HV", true),
    ("ID", false),
    ("ST", false),
    ("T", false),
    ("Ta", true),
    ("Tc", false),
    ("Th", false),
    ("Ti", true),
    ("Tl", false),
    ("Tq", true),
    ("Tr", true),
    ("TR", true),
    ("Td", false),
    ("Ts", false),
    ("Tt", false),
    ("Tu", false),
    ("Tw", false),
    ("U", false),
    ("ac", false),
    ("b", false),
    ("bc", false),
    ("bi", false),
    ("bp", false),
    ("bq", false),
    ("ci", false),
    ("cp", false),
    ("f", false),
    ("fc", false),
    ("fi", false),
    ("fp", false),
    ("ft", false),
    ("hr", false),
    ("hrl", false),
    ("hs", false),
    ("hsl", false),
    ("lc", false),
    ("ms", false),
    ("pid", false),
    ("r", true),
    ("rc", false),
    ("rt", false),
    ("s", false),
    ("sc", false),
    ("si", false),
    ("sp", false),
    ("sq", false),
    ("sslc", false),
    ("sslv", false),
    ("t", false),
    ("tr", true),
    ("trg", true),
    ("trl", true),
    ("ts", false),
    ("tsc", false),
];

/// `%` variables the engine renders in rule arguments (the others make a configuration
/// refused at start, "not supported yet").
pub const RENDERED_VARS: &[&str] =
    &["ci", "cp", "fi", "fp", "f", "ft", "b", "H", "pid", "HM", "HU", "HP", "HPO", "HQ", "HV", "rt", "Ts", "ms", "ID"];

/// What in a format the engine cannot render yet, named for the user.
pub fn unsupported(f: &crate::ir::rules::LogFmt, out: &mut Vec<String>) {
    for n in &f.nodes {
        match n {
            crate::ir::rules::FmtNode::Var { name, .. } if !RENDERED_VARS.contains(&name.as_str()) => {
                let s = format!("log-format variable '%{name}' in a rule");
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            crate::ir::rules::FmtNode::Expr { expr, .. } => crate::acl::eval::unsupported_in_expr(expr, out),
            _ => {}
        }
    }
}

/// What in a `unique-id-format` the engine cannot render: as in a rule, plus the unique ID
/// itself (a format cannot be built from its own result).
pub fn unsupported_in_unique_id(f: &crate::ir::rules::LogFmt, out: &mut Vec<String>) {
    unsupported(f, out);
    let circular = f.nodes.iter().any(|n| match n {
        crate::ir::rules::FmtNode::Var { name, .. } => name == "ID",
        crate::ir::rules::FmtNode::Expr { expr, .. } => expr.fetch.name == "unique-id",
        _ => false,
    });
    if circular {
        out.push("the unique ID inside 'unique-id-format'".to_string());
    }
}

/// Where a format is parsed.
#[derive(Debug, Clone, Copy)]
pub struct FmtPlace {
    /// Where its sample fetches run (`cap`).
    pub cap: Ctx,
    /// The proxy is in HTTP mode (some variables need it).
    pub http_proxy: bool,
    /// HAProxy's `LOG_OPT_HTTP` (header values, replies): L6 fetches get a warning.
    pub http_opt: bool,
}

/// HAProxy's `LF_*` states.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Init,
    StartVar,
    StArg,
    EdArg,
    StExpr,
    EdExpr,
    Var,
    Text,
    End,
}

fn apply_args(arg: &str, mut opts: FmtOpts) -> FmtOpts {
    for part in arg.split(',') {
        let (add, name) = match part.as_bytes().first() {
            Some(b'+') => (true, &part[1..]),
            Some(b'-') => (false, &part[1..]),
            _ => continue,
        };
        match name {
            "Q" => opts.quote = add,
            "X" => opts.hex = add,
            "E" => opts.escape = add,
            _ => {}
        }
    }
    opts
}

/// `parse_logformat_string`. `warnings` receives HAProxy's located warnings (their text after
/// `parsing [file:line] : `).
pub fn parse(text: &str, place: FmtPlace, warnings: &mut Vec<String>) -> Result<LogFmt, String> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut out = LogFmt::default();
    let mut defopts = FmtOpts::default();
    let mut sp = 0usize;
    let mut arg: Option<(usize, usize)> = None; // (start, end) of the `{...}` text
    let mut var: Option<usize> = None;
    let mut var_len = 0usize;
    let mut cformat = St::Init;
    let mut pformat;
    let mut i = 0usize;
    let push_text = |out: &mut LogFmt, s: &str| {
        if s.is_empty() {
            return;
        }
        if let Some(FmtNode::Text(t)) = out.nodes.last_mut() {
            t.push_str(s);
        } else {
            out.nodes.push(FmtNode::Text(s.to_string()));
        }
    };
    loop {
        pformat = cformat;
        let c = at(i);
        if c == 0 {
            cformat = St::End;
        }
        match pformat {
            St::StartVar => {
                arg = None;
                var = None;
                var_len = 0;
                if c == b'{' {
                    cformat = St::StArg;
                    arg = Some((i + 1, text.len()));
                } else if c == b'[' {
                    cformat = St::StExpr;
                    var = Some(i + 1);
                } else if c.is_ascii_alphabetic() {
                    cformat = St::Var;
                    var = Some(i);
                } else if c == b'%' {
                    cformat = St::Text;
                } else if c.is_ascii_digit() || c == b' ' || c == b'\t' {
                    return Err(format!(
                        "unexpected variable name near '{}' at position {i} line : '{text}'. Maybe you want to write a single '%', use the syntax '%%'",
                        c as char
                    ));
                } else {
                    cformat = St::Init;
                }
            }
            St::StArg => {
                if c == b'}' {
                    cformat = St::EdArg;
                    if let Some((s, _)) = arg {
                        arg = Some((s, i));
                    }
                }
            }
            St::EdArg => {
                if c == b'[' {
                    cformat = St::StExpr;
                    var = Some(i + 1);
                } else if c.is_ascii_alphanumeric() {
                    cformat = St::Var;
                    var = Some(i);
                } else {
                    let a = arg.map(|(s, e)| &text[s..e]).unwrap_or("");
                    return Err(format!("parse argument modifier without variable name near '%{{{a}}}'"));
                }
            }
            St::StExpr => {
                let start = var.unwrap_or(i);
                let rest = &text[start..];
                let (expr, used) = acl::parse_sample_expr_endptr(rest)
                    .map_err(|e| format!("failed to parse sample expression <{rest}> : {}", e.msg))?;
                let opts = match arg {
                    Some((s, e)) => apply_args(&text[s..e], defopts),
                    None => defopts,
                };
                if !expr.fetch.val.intersects(place.cap) {
                    let src = acl::fetch_source(expr.fetch.name).unwrap_or("internal state");
                    return Err(format!(
                        "sample fetch <{rest}> may not be reliably used here because it needs '{src}' which is not available here"
                    ));
                }
                if place.http_opt && expr.fetch.uses != acl::types::Uses::NONE {
                    warnings.push(format!("L6 sample fetch <{rest}> ignored in HTTP log-format string."));
                }
                out.nodes.push(FmtNode::Expr { expr, opts });
                i = start + used;
                let c = at(i);
                if c == b']' {
                    cformat = St::EdExpr;
                    pformat = St::EdExpr;
                    sp = i;
                } else {
                    let seen = &text[start..i];
                    return Err(if (0x20..0x7f).contains(&c) {
                        format!("expected ']' after '{seen}', but found '{}'", c as char)
                    } else {
                        format!("missing ']' after '{seen}'")
                    });
                }
            }
            St::Var => {
                var_len = i - var.unwrap_or(i);
                if !c.is_ascii_alphanumeric() {
                    cformat = St::Init;
                }
            }
            _ => cformat = St::Init,
        }
        if cformat == St::Init {
            cformat = match c {
                b'%' => St::StartVar,
                0 => St::End,
                _ => St::Text,
            };
        }
        if cformat != pformat {
            match pformat {
                St::Var => {
                    let v = var.unwrap_or(0);
                    let name = &text[v..v + var_len];
                    match VARS.iter().find(|(n, _)| *n == name) {
                        Some((_, true)) if !place.http_proxy => {
                            return Err(format!("format variable '{name}' is reserved for HTTP mode"));
                        }
                        Some(_) => {
                            let opts = match arg {
                                Some((s, e)) => apply_args(&text[s..e], defopts),
                                None => defopts,
                            };
                            if name == "o" {
                                defopts = opts;
                            } else {
                                out.nodes.push(FmtNode::Var { name: name.to_string(), opts });
                            }
                        }
                        None => {
                            return Err(format!(
                                "no such format variable '{name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'"
                            ))
                        }
                    }
                }
                St::Text => push_text(&mut out, &text[sp..i]),
                _ => {}
            }
            sp = i;
        }
        if cformat == St::End {
            break;
        }
        i += 1;
    }
    if matches!(pformat, St::StartVar | St::StArg | St::StExpr) {
        let what = match (var, arg) {
            (Some(v), _) => &text[v..],
            (None, Some((s, _))) => &text[s..],
            _ => "%",
        };
        return Err(format!("truncated line after '{what}'"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HRQ: FmtPlace = FmtPlace { cap: Ctx::FE_HRQ_HDR.union(Ctx::BE_HRQ_HDR), http_proxy: true, http_opt: true };

    fn p(s: &str) -> Result<LogFmt, String> {
        parse(s, HRQ, &mut Vec::new())
    }

    #[test]
    fn literal_text_and_percent() {
        assert_eq!(p("a b").unwrap().as_literal(), Some("a b"));
        assert_eq!(p("100%%").unwrap().as_literal(), Some("100%"));
        assert_eq!(p("").unwrap().as_literal(), Some(""));
        assert_eq!(p("%[src]]").unwrap().nodes.len(), 2);
    }

    #[test]
    fn samples_and_vars() {
        let f = p("x%[src]y%{+Q}ci").unwrap();
        assert_eq!(f.nodes.len(), 4);
        assert!(matches!(&f.nodes[3], FmtNode::Var { name, opts } if name == "ci" && opts.quote));
        assert!(p("%[hdr(a]b)]").is_ok());
        assert!(p("%[src,,lower]").is_ok());
    }

    #[test]
    fn messages_as_haproxy() {
        let cases = [
            ("%Z", "no such format variable 'Z'. If you wanted to emit the '%' character verbatim, you need to use '%%'"),
            ("%[src", "missing ']' after 'src'"),
            ("%{+Q", "truncated line after '+Q'"),
            ("a%", "truncated line after '%'"),
            (
                "%[res.hdr(x)]",
                "sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here",
            ),
            ("%[src]x%[dst,foo]", "failed to parse sample expression <dst,foo]> : unknown converter 'foo'"),
            ("%[req.hdr(host)x]", "expected ']' after 'req.hdr(host)', but found 'x'"),
            ("%[src,]", "failed to parse sample expression <src,]> : unknown converter ''"),
            ("%[src lower]", "expected ']' after 'src', but found ' '"),
            ("%[]", "failed to parse sample expression <]> : missing fetch method"),
            ("%{+Q}", "parse argument modifier without variable name near '%{+Q}'"),
            (
                "%5",
                "unexpected variable name near '5' at position 1 line : '%5'. Maybe you want to write a single '%', use the syntax '%%'",
            ),
        ];
        for (input, msg) in cases {
            assert_eq!(p(input).unwrap_err(), msg, "{input}");
        }
    }

    #[test]
    fn http_only_variables() {
        let tcp = FmtPlace { cap: Ctx::FE_REQ_CNT, http_proxy: false, http_opt: false };
        assert_eq!(parse("%HM", tcp, &mut Vec::new()).unwrap_err(), "format variable 'HM' is reserved for HTTP mode");
        assert!(parse("%ci", tcp, &mut Vec::new()).is_ok());
    }
}

//! `tcp-check expect` / `http-check expect`: the match kinds, patterns, status lists and the
//! status/`on-success`/`on-error` options, parsed with HAProxy 2.6's messages.

use super::*;

const STATUS_OK: &[&str] = &["L7OK", "L7OKC", "L6OK", "L4OK"];
const STATUS_ERR: &[&str] = &["L7RSP", "L7STS", "L7OKC", "L6RSP", "L4CON"];
const STATUS_TOUT: &[&str] = &["L7TOUT", "L6TOUT", "L4TOUT"];

/// Parse `expect` arguments (`http` for http-check).
pub fn parse_expect(a: &[&str], http: bool) -> Result<ExpectRule, String> {
    if arg(a, 0).is_empty() {
        return Err("expects at least a matching pattern as arguments".into());
    }
    let bad_http = |w: &str| {
        format!("'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '{w}' as argument.")
    };
    let bad_tcp = |w: &str| {
        format!("'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '{w}' as argument.")
    };
    let mut e = ExpectRule {
        pattern: Pattern::Custom,
        inverse: false,
        min_recv: -1,
        ok_status: None,
        error_status: None,
        tout_status: None,
        on_success: None,
        on_error: None,
        status_code: None,
        comment: None,
    };
    let mut pattern: Option<Pattern> = None;
    let words: Vec<String> = a.iter().map(|s| s.to_string()).collect();
    let mut i = 0;
    while i < words.len() {
        let mut w = words[i].clone();
        let mut in_pattern = false;
        if w.starts_with('!') {
            in_pattern = true;
            while let Some(r) = w.strip_prefix('!') {
                e.inverse = !e.inverse;
                w = r.to_string();
            }
            if w.is_empty() {
                i += 1;
                w = words.get(i).cloned().unwrap_or_default();
            }
        }
        let next = words.get(i + 1).cloned().unwrap_or_default();
        let no_bang = |w: &str| -> Result<(), String> {
            if in_pattern {
                Err(format!("[!] not supported with '{w}'"))
            } else {
                Ok(())
            }
        };
        let one = |p: &Option<Pattern>| -> Result<(), String> {
            if p.is_some() {
                Err("only on pattern expected".into())
            } else {
                Ok(())
            }
        };
        let need_pat = |w: &str| -> Result<(), String> {
            if next.is_empty() {
                Err(format!("'{w}' expects a <pattern> as argument"))
            } else {
                Ok(())
            }
        };
        match w.as_str() {
            "min-recv" => {
                no_bang(&w)?;
                if next.is_empty() {
                    return Err(format!("'{w}' expects a integer as argument"));
                }
                let v = crate::ir::keywords::global::atol(&next);
                if !(-1..=i64::from(i32::MAX)).contains(&v) {
                    return Err(format!("'{w}' expects -1 or an integer from 0 to INT_MAX"));
                }
                e.min_recv = v;
                i += 1;
            }
            "string" | "rstring" => {
                one(&pattern)?;
                need_pat(&w)?;
                if w == "rstring" {
                    check_regex(&next)?;
                }
                pattern = Some(if w == "string" {
                    Pattern::String(next.as_bytes().to_vec())
                } else {
                    Pattern::RString(next.clone())
                });
                i += 1;
            }
            "binary" | "rbinary" => {
                if http {
                    return Err(bad_http(&w));
                }
                one(&pattern)?;
                need_pat(&w)?;
                pattern = Some(if w == "binary" {
                    Pattern::Binary(parse_binary(&next).map_err(|e| format!("invalid binary string ({e})"))?)
                } else {
                    check_regex(&next)?;
                    Pattern::RBinary(next.clone())
                });
                i += 1;
            }
            "string-lf" | "binary-lf" => {
                if http && w == "binary-lf" {
                    return Err(bad_http(&w));
                }
                one(&pattern)?;
                need_pat(&w)?;
                pattern = Some(if w == "string-lf" {
                    Pattern::StringLf(next.clone())
                } else {
                    Pattern::BinaryLf(next.clone())
                });
                i += 1;
            }
            "status" | "rstatus" => {
                if !http {
                    return Err(bad_tcp(&w));
                }
                one(&pattern)?;
                need_pat(&w)?;
                pattern = Some(if w == "status" {
                    Pattern::Status(parse_status_list(&next)?)
                } else {
                    check_regex(&next)?;
                    Pattern::RStatus(next.clone())
                });
                i += 1;
            }
            "custom" => {
                no_bang(&w)?;
                one(&pattern)?;
                pattern = Some(Pattern::Custom);
            }
            "hdr" | "fhdr" => {
                if !http {
                    return Err(bad_tcp(&w));
                }
                one(&pattern)?;
                let (p, used) = parse_hdr(&words[i..])?;
                pattern = Some(p);
                i += used;
            }
            "comment" | "on-success" | "on-error" | "status-code" => {
                no_bang(&w)?;
                if next.is_empty() {
                    let what = if w == "status-code" { "an expression" } else { "a string" };
                    return Err(format!("'{w}' expects {what} as argument"));
                }
                match w.as_str() {
                    "comment" => e.comment = Some(next.clone()),
                    "on-success" => e.on_success = Some(next.clone()),
                    "on-error" => e.on_error = Some(next.clone()),
                    _ => e.status_code = Some(next.clone()),
                }
                i += 1;
            }
            "ok-status" | "error-status" | "tout-status" => {
                no_bang(&w)?;
                if next.is_empty() {
                    return Err(format!("'{w}' expects a string as argument"));
                }
                let (list, text) = match w.as_str() {
                    "ok-status" => (STATUS_OK, "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'"),
                    "error-status" => (STATUS_ERR, "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'"),
                    _ => (STATUS_TOUT, "'L4TOUT', 'L6TOUT' or 'L7TOUT'"),
                };
                let Some(v) = list.iter().find(|s| s.eq_ignore_ascii_case(&next)) else {
                    return Err(format!("'{w}' only supports {text} status (got '{next}')."));
                };
                let v = Some(v.to_string());
                match w.as_str() {
                    "ok-status" => e.ok_status = v,
                    "error-status" => e.error_status = v,
                    _ => e.tout_status = v,
                }
                i += 1;
            }
            other => return Err(if http { bad_http(other) } else { bad_tcp(other) }),
        }
        i += 1;
    }
    match pattern {
        Some(p) => e.pattern = p,
        None => return Err("pattern not found".into()),
    }
    Ok(e)
}

/// `hdr name [-m meth] <name> [value [-m meth] <value>]`; returns the pattern and how many
/// words (after the first) it used.
fn parse_hdr(w: &[String]) -> Result<(Pattern, usize), String> {
    let kw = w[0].as_str();
    let get = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    if get(1).is_empty() || get(2).is_empty() || (get(1) != "name" && get(1) != "name-lf") {
        return Err(format!("'{kw}' expects at the name keyword as first argument followed by a pattern"));
    }
    let name_lf = get(1) == "name-lf";
    let mut i = 2;
    let parse_m = |i: usize, lf: bool| -> Result<MatchKind, String> {
        let m = get(i + 1);
        if m.is_empty() {
            return Err(format!(
                "'{kw}' : '{}' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')",
                get(i)
            ));
        }
        Ok(match m {
            "str" => MatchKind::Str,
            "beg" => MatchKind::Beg,
            "end" => MatchKind::End,
            "sub" => MatchKind::Sub,
            "reg" if lf => {
                return Err(format!("'{kw}': log-format string is not supported with a regex matching method"))
            }
            "reg" => MatchKind::Reg,
            other => {
                return Err(format!(
                    "'{kw}' : '{}' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '{other}')",
                    get(i)
                ))
            }
        })
    };
    let mut name_match = MatchKind::Str;
    if get(i) == "-m" {
        name_match = parse_m(i, name_lf)?;
        i += 2;
    }
    let name = get(i).to_string();
    if name_match == MatchKind::Reg {
        check_regex(&name)?;
    }
    let mut value = None;
    if get(i + 1) == "value" || get(i + 1) == "value-lf" {
        let value_lf = get(i + 1) == "value-lf";
        let mut vm = MatchKind::Str;
        if get(i + 2) == "-m" {
            i += 2;
            vm = parse_m(i, value_lf)?;
        }
        let v = get(i + 2);
        if v.is_empty() {
            return Err(format!("'{kw}' expect a pattern with the value keyword"));
        }
        if vm == MatchKind::Reg {
            check_regex(v)?;
        }
        value = Some((v.to_string(), vm, value_lf));
        i += 2;
    }
    Ok((Pattern::Header { name, name_match, name_lf, value, full: kw == "fhdr" }, i))
}

/// `read_uint`-style status list: `200`, `200-399`, `200,302,400-499`.
fn parse_status_list(p: &str) -> Result<Vec<(u32, u32)>, String> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let read = |i: &mut usize| -> u32 {
        let mut v: u32 = 0;
        while *i < b.len() && b[*i].is_ascii_digit() {
            v = v.saturating_mul(10).saturating_add(u32::from(b[*i] - b'0'));
            *i += 1;
        }
        v
    };
    loop {
        let c1 = read(&mut i);
        let mut c2 = c1;
        if i < b.len() && b[i] == b'-' {
            i += 1;
            c2 = read(&mut i);
        }
        if c1 > c2 {
            return Err(format!("invalid range of status codes '{p}'"));
        }
        out.push((c1, c2));
        if i >= b.len() {
            break;
        }
        if b[i] != b',' {
            return Err(format!("invalid character '{}' in the list of status codes", b[i] as char));
        }
        i += 1;
    }
    Ok(out)
}

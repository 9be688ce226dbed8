//! `balance <algorithm> [<arguments>]`, `hash-type` and `hash-balance-factor`, with HAProxy's
//! argument rules (`backend_parse_balance`): errors read `balance <algo> <problem>`.

use crate::config::ast::Directive;
use crate::ir::types::{Balance, HashFunction, HashMethod};
use crate::ir::values;

use super::proxy::{Cx, Flow};

/// Parse the algorithm words (from word 1); `Err` is HAProxy's message after `balance `.
fn parse(d: &Directive) -> Result<Balance, String> {
    let algo = d.arg(1);
    Ok(match algo {
        // No algorithm: round robin.
        "" | "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "first" => Balance::First,
        "leastconn" => Balance::LeastConn,
        "source" => Balance::Source,
        a if a.starts_with("random") => {
            let rest = &a[6..];
            let mut draws = 2;
            if let Some(arg) = rest.strip_prefix('(').filter(|r| !r.starts_with(')')) {
                let n = arg.bytes().take_while(|b| b.is_ascii_digit()).count();
                draws = values::atoi(&arg[..n]);
                match arg[n..].chars().next() {
                    Some(')') => {}
                    None => return Err("random : missing closing parenthesis.".into()),
                    Some(c) => return Err(format!("random : unexpected character '{c}' after argument.")),
                }
                if draws < 1 {
                    return Err("random : number of draws must be at least 1.".into());
                }
            }
            Balance::Random { draws: draws as u32 }
        }
        "uri" => {
            let (mut whole, mut len, mut depth, mut path_only) = (false, None, None, false);
            let mut i = 2;
            while d.has_arg(i) {
                match d.arg(i) {
                    w @ ("len" | "depth") => {
                        let v = d.arg(i + 1);
                        if v.is_empty() || values::atoi(v) <= 0 {
                            return Err(format!("uri : '{w}' expects a positive integer (got '{v}')."));
                        }
                        if w == "len" {
                            len = Some(values::atoi(v) as u32);
                        } else {
                            depth = Some(values::atoi(v) as u32);
                        }
                        i += 2;
                    }
                    "whole" => {
                        whole = true;
                        i += 1;
                    }
                    "path-only" => {
                        path_only = true;
                        i += 1;
                    }
                    other => {
                        return Err(format!(
                            "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '{other}')."
                        ))
                    }
                }
            }
            Balance::Uri { whole, len, depth, path_only }
        }
        "url_param" => {
            if !d.has_arg(2) {
                return Err("url_param requires an URL parameter name.".into());
            }
            let mut check_post = None;
            if d.has_arg(3) {
                if d.arg(3) != "check_post" {
                    return Err(format!("url_param only accepts 'check_post' modifier (got '{}').", d.arg(3)));
                }
                check_post = Some(values::atoi(d.arg(4)).max(0) as u32);
            }
            Balance::UrlParam { name: d.arg(2).to_string(), check_post }
        }
        a if a.starts_with("hdr(") => {
            let inner = &a[4..];
            let name = match inner.find(')') {
                Some(end) if end > 0 => &inner[..end],
                _ => return Err("hdr requires an http header field name.".into()),
            };
            let mut use_domain_only = false;
            if d.has_arg(2) {
                if d.arg(2) != "use_domain_only" {
                    return Err(format!("{a} only accepts 'use_domain_only' modifier (got '{}').", d.arg(2)));
                }
                use_domain_only = true;
            }
            Balance::Hdr { name: name.to_string(), use_domain_only }
        }
        a if a.starts_with("rdp-cookie") => {
            let rest = &a[10..];
            let cookie = if rest.is_empty() {
                None
            } else {
                match rest.strip_prefix('(').and_then(|r| r.find(')').map(|e| &r[..e])) {
                    Some(name) if !name.is_empty() => Some(name.to_string()),
                    _ => return Err("rdp-cookie : missing cookie name.".into()),
                }
            };
            Balance::Rdp { cookie }
        }
        "hash" => {
            if !d.has_arg(2) {
                return Err("hash requires a sample expression.".into());
            }
            if d.has_arg(3) {
                return Err(format!("hash takes no other argument (got '{}').", d.arg(3)));
            }
            Balance::Hash { expr: d.arg(2).to_string() }
        }
        _ => {
            return Err("only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.".into())
        }
    })
}

pub fn balance(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    let b = match parse(d) {
        Ok(b) => b,
        Err(e) => {
            cx.r.alert_at(d, 1, format!("balance {e}"));
            return Flow::Continue;
        }
    };
    cx.p.balance = b;
    cx.p.balance_set = true;
    Flow::Continue
}

pub fn hash_type(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    cx.p.hash_type.method = match d.arg(1) {
        "consistent" => HashMethod::Consistent,
        "map-based" => HashMethod::MapBased,
        "avalanche" => {
            cx.r.alert(
                d,
                "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.",
            );
            return Flow::Continue;
        }
        _ => {
            cx.r.alert(d, "'hash-type' only supports 'consistent' and 'map-based'.");
            return Flow::Continue;
        }
    };
    // Every hash-type line resets the function and the avalanche modifier: without a function,
    // HAProxy uses sdbm, with avalanche for consistent hashing only.
    cx.p.hash_type.function = HashFunction::Sdbm;
    cx.p.hash_type.avalanche = cx.p.hash_type.method == HashMethod::Consistent && !d.has_arg(2);
    if d.has_arg(2) {
        cx.p.hash_type.function = match d.arg(2) {
            "sdbm" => HashFunction::Sdbm,
            "djb2" => HashFunction::Djb2,
            "wt6" => HashFunction::Wt6,
            "crc32" => HashFunction::Crc32,
            _ => {
                cx.r.alert(d, "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
                return Flow::Continue;
            }
        };
        if d.has_arg(3) {
            if d.arg(3) == "avalanche" {
                cx.p.hash_type.avalanche = true;
            } else {
                cx.r.alert(d, "'hash-type' only supports 'avalanche' as a modifier for hash functions.");
            }
        }
    }
    Flow::Continue
}

pub fn hash_balance_factor(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "'hash-balance-factor' expects an integer argument.");
        return Flow::Continue;
    }
    let v = values::atoi(d.arg(1));
    cx.p.hash_balance_factor = Some(v.max(0) as u32);
    if v != 0 && v <= 100 {
        cx.r.alert(d, "'hash-balance-factor' must be 0 or greater than 100.");
    }
    Flow::Continue
}

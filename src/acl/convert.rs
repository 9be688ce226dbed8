//! Converters haproxide evaluates, with HAProxy's semantics (saturating arithmetic, `field` /
//! `word` counting, `regsub` groups). Each casts its input to the converter's input type first.

use std::borrow::Cow;

use super::args::Arg;
use super::expr::ConvExpr;
use super::sample::Sample;
use super::smp_check::check_var_name;

/// The arithmetic converters taking an integer or a variable.
pub const ARITH: &[&str] = &["add", "and", "div", "mod", "mul", "or", "sub", "xor"];

fn arg_str(args: &[Arg], i: usize) -> &str {
    args.get(i).and_then(Arg::as_str).unwrap_or("")
}

fn arg_int(args: &[Arg], i: usize) -> i64 {
    args.get(i).and_then(Arg::as_int).unwrap_or(0)
}

fn arith(name: &str, a: i64, b: i64) -> i64 {
    match name {
        "add" => a.saturating_add(b),
        "sub" => a.saturating_sub(b),
        "mul" => a.saturating_mul(b),
        "div" => {
            if b == 0 || (a == i64::MIN && b == -1) {
                i64::MAX
            } else {
                a / b
            }
        }
        "mod" => {
            if b == 0 || (a == i64::MIN && b == -1) {
                0
            } else {
                a % b
            }
        }
        "and" => a & b,
        "or" => a | b,
        _ => a ^ b,
    }
}

/// `field`/`word`: the `idx`-th (negative: from the end) field or word delimited by any of
/// `delims`, with `count` following ones (0: all the rest).
fn field_or_word<'s>(s: Cow<'s, [u8]>, idx: i64, delims: &[u8], count: i64, word: bool) -> Option<Cow<'s, [u8]>> {
    let is_d = |c: &u8| delims.contains(c);
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, c) in s.iter().enumerate() {
        if is_d(c) {
            parts.push((start, i));
            start = i + 1;
        }
    }
    parts.push((start, s.len()));
    if word {
        parts.retain(|(a, b)| a < b);
    }
    let n = parts.len() as i64;
    let (first, last) = if idx > 0 {
        let first = idx - 1;
        let last = if count <= 0 { n - 1 } else { (first + count - 1).min(n - 1) };
        (first, last)
    } else {
        let last = n + idx;
        let first = if count <= 0 { 0 } else { (last - count + 1).max(0) };
        (first, last)
    };
    if first < 0 || last < 0 || first >= n || first > last {
        return if word { None } else { Some(Cow::Borrowed(&[])) };
    }
    let (a, _) = parts[first as usize];
    let (_, b) = parts[last as usize];
    Some(match s {
        Cow::Borrowed(x) => Cow::Borrowed(&x[a..b]),
        Cow::Owned(x) => Cow::Owned(x[a..b].to_vec()),
    })
}

fn map_bytes<'s>(s: Cow<'s, [u8]>, f: impl Fn(&[u8]) -> Vec<u8>) -> Cow<'s, [u8]> {
    Cow::Owned(f(&s))
}

/// `regsub`: replace the first (every with `g`) match of `re` by `repl`, where `\1`..`\9`
/// insert groups.
fn regsub(subject: &[u8], re: &super::regex::Regex, repl: &[u8], global: bool) -> Vec<u8> {
    let r = re.inner();
    let mut out = Vec::with_capacity(subject.len());
    let mut pos = 0;
    let mut locs = r.capture_locations();
    while pos <= subject.len() {
        let Ok(Some(m)) = r.captures_read_at(&mut locs, subject, pos) else {
            break;
        };
        let (ms, me) = (m.start(), m.end());
        out.extend_from_slice(&subject[pos..ms]);
        let mut i = 0;
        while i < repl.len() {
            if repl[i] == b'\\' && i + 1 < repl.len() && repl[i + 1].is_ascii_digit() {
                let g = usize::from(repl[i + 1] - b'0');
                if let Some((a, b)) = locs.get(g) {
                    out.extend_from_slice(&subject[a..b]);
                }
                i += 2;
            } else {
                out.push(repl[i]);
                i += 1;
            }
        }
        if me == ms {
            if me < subject.len() {
                out.push(subject[me]);
            }
            pos = me + 1;
        } else {
            pos = me;
        }
        if !global {
            break;
        }
    }
    if pos < subject.len() {
        out.extend_from_slice(&subject[pos..]);
    }
    out
}

/// HAProxy's output room for a converter's result (its trash buffer, `tune.bufsize`).
const TRASH: usize = 16384;

/// `be2dec(<sep>,<chunk>[,<truncate>])`: each `chunk` bytes (1 to 8) of `b` read as a
/// big-endian unsigned integer, in decimal, separated by `sep`; a last shorter chunk is read as
/// it is, or dropped with `truncate`. Like HAProxy, no new chunk starts once the output passed
/// its buffer's room.
pub fn be2dec(b: &[u8], sep: &[u8], chunk: i64, truncate: bool) -> Vec<u8> {
    let chunk = chunk.clamp(1, 8) as usize;
    let last = if truncate { (b.len() + 1).saturating_sub(chunk) } else { b.len() };
    let mut max = TRASH - 2;
    let mut out = Vec::new();
    let mut ptr = 0;
    while ptr < last && out.len() <= max {
        if ptr > 0 {
            out.extend_from_slice(sep);
        } else {
            max = max.saturating_sub(sep.len());
        }
        let end = (ptr + chunk).min(b.len());
        let n = b[ptr..end].iter().fold(0u64, |n, &x| (n << 8) | u64::from(x));
        ptr = end;
        out.extend_from_slice(n.to_string().as_bytes());
    }
    out
}

/// Apply one converter: cast to its input type, then transform. `None` ends the expression.
pub fn apply_conv<'s>(c: &'s ConvExpr, smp: Sample<'s>) -> Option<Sample<'s>> {
    let smp = smp.convert(c.conv.in_type)?;
    let a = &c.args;
    let name = c.conv.name;
    if name.starts_with("map") {
        return super::map::convert(name, a, &smp);
    }
    Some(match name {
        "lower" | "upper" => {
            let b = match smp {
                Sample::Str(b) | Sample::Bin(b) => b,
                _ => return None,
            };
            Sample::Str(map_bytes(b, |x| if name == "lower" { x.to_ascii_lowercase() } else { x.to_ascii_uppercase() }))
        }
        "length" => Sample::Sint(smp.as_bytes()?.len() as i64),
        "be2dec" => {
            let truncate = a.get(2).and_then(Arg::as_int).unwrap_or(0) != 0;
            Sample::owned_str(be2dec(smp.as_bytes()?, arg_str(a, 0).as_bytes(), arg_int(a, 1), truncate))
        }
        "hex" => {
            let b = smp.as_bytes()?;
            let mut s = Vec::with_capacity(b.len() * 2);
            for x in b {
                s.extend_from_slice(format!("{x:02X}").as_bytes());
            }
            Sample::owned_str(s)
        }
        "ltrim" | "rtrim" => {
            let chars = arg_str(a, 0).as_bytes();
            let b = match smp {
                Sample::Str(b) | Sample::Bin(b) => b,
                _ => return None,
            };
            let (mut s, mut e) = (0, b.len());
            if name == "ltrim" {
                while s < e && chars.contains(&b[s]) {
                    s += 1;
                }
            } else {
                while e > s && chars.contains(&b[e - 1]) {
                    e -= 1;
                }
            }
            Sample::Str(match b {
                Cow::Borrowed(x) => Cow::Borrowed(&x[s..e]),
                Cow::Owned(x) => Cow::Owned(x[s..e].to_vec()),
            })
        }
        "field" | "word" => {
            let b = match smp {
                Sample::Str(b) | Sample::Bin(b) => b,
                _ => return None,
            };
            // The count defaults to 1; 0 takes every remaining field.
            let count = a.get(2).and_then(Arg::as_int).unwrap_or(1);
            Sample::Str(field_or_word(b, arg_int(a, 0), arg_str(a, 1).as_bytes(), count, name == "word")?)
        }
        "regsub" => {
            let Some(Arg::Regex(re)) = a.first() else {
                return None;
            };
            let global = arg_str(a, 2).contains('g');
            Sample::owned_str(regsub(smp.as_bytes()?, re, arg_str(a, 1).as_bytes(), global))
        }
        "ipmask" => match smp {
            Sample::Ipv4(v4) => {
                let m = match a.first() {
                    Some(Arg::Ipv4(m)) => u32::from(*m),
                    _ => return None,
                };
                Sample::Ipv4((u32::from(v4) & m).into())
            }
            Sample::Ipv6(v6) => {
                let m = match a.get(1) {
                    Some(Arg::Ipv6(m)) => u128::from(*m),
                    _ => return None,
                };
                Sample::Ipv6((u128::from(v6) & m).into())
            }
            _ => return None,
        },
        _ => {
            let v = smp.as_int()?;
            match name {
                n if ARITH.contains(&n) => {
                    let s = arg_str(a, 0);
                    if check_var_name(s).is_ok() {
                        return None;
                    }
                    Sample::Sint(arith(n, v, super::args::read_int64(s.as_bytes()).0))
                }
                "neg" => Sample::Sint(if v == i64::MIN { i64::MAX } else { -v }),
                "cpl" => Sample::Sint(!v),
                "bool" => Sample::Bool(v != 0),
                "not" => Sample::Bool(v == 0),
                "odd" => Sample::Bool(v & 1 != 0),
                "even" => Sample::Bool(v & 1 == 0),
                _ => return None,
            }
        }
    })
}

/// Apply every converter in order.
pub fn apply_convs<'s>(convs: &'s [ConvExpr], mut smp: Sample<'s>) -> Option<Sample<'s>> {
    for c in convs {
        smp = apply_conv(c, smp)?;
    }
    Some(smp)
}

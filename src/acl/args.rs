//! HAProxy's typed argument lists (`make_arg_list`): the `(a,b,...)` after a fetch or converter
//! name, with its quoting rules, its implicit empty arguments and its exact error messages.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::types::{ArgSig, ArgType};

/// One parsed argument. Names of proxies, servers, tables and userlists stay names: they are
/// checked after the whole configuration is read (see `resolve`), as HAProxy does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Sint(i64),
    Str(String),
    /// From an IPv4 address or an IPv4 mask.
    Ipv4(Ipv4Addr),
    /// From an IPv6 address or an IPv6 mask.
    Ipv6(Ipv6Addr),
    Fe(String),
    Be(String),
    Tab(String),
    Srv(String),
    Usr(String),
    Map(String),
    /// A regex argument as written; [`crate::acl::resolve`] compiles it into `Regex`.
    Reg(String),
    /// A compiled regex argument.
    Regex(super::regex::Regex),
    /// A `map*` converter's map file, loaded by [`crate::acl::resolve`].
    MapTable(super::map::MapRef),
    PbufFnum(Vec<u32>),
}

impl Arg {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Str(s)
            | Arg::Fe(s)
            | Arg::Be(s)
            | Arg::Tab(s)
            | Arg::Srv(s)
            | Arg::Usr(s)
            | Arg::Map(s)
            | Arg::Reg(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Arg::Sint(i) => Some(*i),
            _ => None,
        }
    }
}

/// A failed argument list: HAProxy's message, and the argument position it blames (0-based;
/// converters report it as `invalid arg <pos+1>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub msg: String,
    pub pos: usize,
}

/// Parse the argument list at the start of `s` (the text right after a keyword). Returns the
/// arguments and how many bytes of `s` they used. Without a `(`, nothing is consumed but
/// mandatory arguments still get an empty value, which HAProxy later resolves (for example to
/// the current proxy for a backend argument).
pub fn make_arg_list(s: &str, sig: &ArgSig) -> Result<(Vec<Arg>, usize), ArgError> {
    let b = s.as_bytes();
    let min = usize::from(sig.min);
    let nbarg = sig.types.len();
    let (empty, mut i) = if b.first() == Some(&b'(') { (false, 1) } else { (true, 0) };
    let mut args = Vec::new();
    let mut pos = 0usize;

    let type_name = |pos: usize| sig.types.get(pos).map(|t| t.name()).unwrap_or("end of arguments");

    if nbarg > 0 && !(empty && min == 0) {
        while pos < nbarg {
            let mut out: Vec<u8> = Vec::new();
            if !empty {
                let (mut squote, mut dquote) = (false, false);
                while i < b.len() {
                    let c = b[i];
                    if c == b'"' && !squote {
                        dquote = !dquote;
                        i += 1;
                        continue;
                    }
                    if c == b'\'' && !dquote {
                        squote = !squote;
                        i += 1;
                        continue;
                    }
                    if c == b'\\' && !squote {
                        let Some(&n) = b.get(i + 1) else {
                            return Err(ArgError {
                                msg: format!(
                                    "failed to parse '{}' as type '{}' at position {}",
                                    String::from_utf8_lossy(&out),
                                    type_name(pos),
                                    pos + 1
                                ),
                                pos,
                            });
                        };
                        match n {
                            b'\\' | b' ' | b'"' | b'\'' => {
                                out.push(n);
                                i += 2;
                            }
                            b'r' => {
                                out.push(b'\r');
                                i += 2;
                            }
                            b'n' => {
                                out.push(b'\n');
                                i += 2;
                            }
                            b't' => {
                                out.push(b'\t');
                                i += 2;
                            }
                            _ => {
                                out.push(b'\\');
                                i += 1;
                            }
                        }
                        continue;
                    }
                    if !squote && !dquote && (c == b',' || c == b')') {
                        break;
                    }
                    out.push(c);
                    i += 1;
                }
            }
            let word = String::from_utf8_lossy(&out).into_owned();
            let t = sig.types[pos];
            let parse_err = |pos: usize| ArgError {
                msg: format!("failed to parse '{word}' as type '{}' at position {}", t.name(), pos + 1),
                pos,
            };
            let needs_value =
                matches!(t, ArgType::Sint | ArgType::Ipv4 | ArgType::Msk4 | ArgType::Ipv6 | ArgType::Msk6)
                    || matches!(t, ArgType::Time | ArgType::Size | ArgType::PbufFnum);
            if needs_value && word.is_empty() {
                // HAProxy's `empty_err`: an empty optional argument ends the list.
                if pos >= min {
                    break;
                }
                return Err(ArgError {
                    msg: format!("expected type '{}' at position {}, but got nothing", t.name(), pos + 1),
                    pos,
                });
            }
            let arg = match t {
                ArgType::Sint => {
                    let (v, used) = read_int64(word.as_bytes());
                    if used < word.len() {
                        return Err(parse_err(pos));
                    }
                    Arg::Sint(v)
                }
                ArgType::Str | ArgType::Var => Arg::Str(word),
                ArgType::Fe => Arg::Fe(word),
                ArgType::Be => Arg::Be(word),
                ArgType::Tab => Arg::Tab(word),
                ArgType::Srv => Arg::Srv(word),
                ArgType::Usr => Arg::Usr(word),
                ArgType::Map => Arg::Map(word),
                ArgType::Reg => Arg::Reg(word),
                ArgType::Ipv4 => match word.parse::<Ipv4Addr>() {
                    Ok(a) => Arg::Ipv4(a),
                    Err(_) => return Err(parse_err(pos)),
                },
                ArgType::Msk4 => match str2mask(&word) {
                    Some(a) => Arg::Ipv4(a),
                    None => return Err(parse_err(pos)),
                },
                ArgType::Ipv6 => match word.parse::<Ipv6Addr>() {
                    Ok(a) => Arg::Ipv6(a),
                    Err(_) => return Err(parse_err(pos)),
                },
                ArgType::Msk6 => match str2mask6(&word) {
                    Some(a) => Arg::Ipv6(a),
                    None => return Err(parse_err(pos)),
                },
                ArgType::Time => match parse_time_ms(&word) {
                    Some(v) => Arg::Sint(v),
                    None => return Err(parse_err(pos)),
                },
                ArgType::Size => match parse_size(&word) {
                    Some(v) => Arg::Sint(v),
                    None => return Err(parse_err(pos)),
                },
                ArgType::PbufFnum => match parse_dotted_uints(&word) {
                    Some(v) => Arg::PbufFnum(v),
                    None => return Err(parse_err(pos)),
                },
            };
            args.push(arg);
            pos += 1;
            if empty || i >= b.len() || b[i] == b')' || pos >= nbarg {
                break;
            }
            i += 1; // the comma
        }
    }

    if pos < min {
        return Err(ArgError {
            msg: format!("missing arguments (got {pos}/{min}), type '{}' expected", type_name(pos)),
            pos,
        });
    }
    if !empty {
        if b.get(i) == Some(&b')') {
            i += 1;
        } else {
            let rest = String::from_utf8_lossy(&b[i.min(b.len())..]);
            let msg =
                if rest.is_empty() { "expected ')'".to_string() } else { format!("expected ')' before '{rest}'") };
            // HAProxy fixes the position it reports when the missing parenthesis follows an
            // argument list it already counted.
            let pos = if pos > 1 { pos - 1 } else { pos };
            return Err(ArgError { msg, pos });
        }
    }
    Ok((args, i))
}

/// HAProxy's `read_int64`: an optional sign then digits, stopping at the first other byte.
/// Returns the value (wrapping like C on overflow) and how many bytes were used.
pub fn read_int64(s: &[u8]) -> (i64, usize) {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
        i += 1;
    }
    (if neg { v.wrapping_neg() } else { v }, i)
}

/// `strtol(s, &end, 10)` as used by `str2mask`: leading blanks, a sign, digits; `None` unless
/// the whole string is used.
fn strtol_all(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// HAProxy's `str2mask`: a dotted IPv4 mask (any bits) or a prefix length 0..32.
pub fn str2mask(s: &str) -> Option<Ipv4Addr> {
    if s.contains('.') {
        return s.parse::<Ipv4Addr>().ok();
    }
    let len = strtol_all(s)?;
    if !(0..=32).contains(&len) {
        return None;
    }
    Some(Ipv4Addr::from(prefix_mask4(len as u32)))
}

/// HAProxy's `str2mask6`: an IPv6 mask in address notation or a prefix length 0..128.
pub fn str2mask6(s: &str) -> Option<Ipv6Addr> {
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok();
    }
    let len = strtol_all(s)?;
    if !(0..=128).contains(&len) {
        return None;
    }
    Some(Ipv6Addr::from(prefix_mask6(len as u32)))
}

pub fn prefix_mask4(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32))
    }
}

pub fn prefix_mask6(len: u32) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len.min(128))
    }
}

/// A delay with HAProxy's units (default milliseconds).
fn parse_time_ms(s: &str) -> Option<i64> {
    let d = s.bytes().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 {
        return None;
    }
    let v: i64 = s[..d].parse().ok()?;
    let mult = match &s[d..] {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    Some((v as f64 * mult) as i64)
}

/// A size with HAProxy's `k`/`m`/`g` suffixes.
fn parse_size(s: &str) -> Option<i64> {
    let d = s.bytes().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 {
        return None;
    }
    let v: i64 = s[..d].parse().ok()?;
    let mult = match &s[d..] {
        "" => 1,
        "k" | "K" => 1024,
        "m" | "M" => 1024 * 1024,
        "g" | "G" => 1024 * 1024 * 1024,
        _ => return None,
    };
    Some(v * mult)
}

/// Protocol buffers field numbers: `1.2.3`.
fn parse_dotted_uints(s: &str) -> Option<Vec<u32>> {
    s.split('.').map(|p| if p.is_empty() { None } else { p.parse().ok() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::types::ArgType::*;

    fn sig(min: u8, types: &'static [ArgType]) -> ArgSig {
        ArgSig { min, types }
    }

    fn err(s: &str, g: ArgSig) -> (String, usize) {
        let e = make_arg_list(s, &g).unwrap_err();
        (e.msg, e.pos)
    }

    #[test]
    fn no_parenthesis_consumes_nothing() {
        assert_eq!(make_arg_list(",lower", &sig(0, &[Str, Sint])).unwrap(), (vec![], 0));
        // A mandatory argument still gets an empty value.
        assert_eq!(make_arg_list("", &sig(1, &[Be])).unwrap(), (vec![Arg::Be(String::new())], 0));
    }

    #[test]
    fn arguments_and_end() {
        let (a, n) = make_arg_list("(host,2),lower", &sig(0, &[Str, Sint])).unwrap();
        assert_eq!(a, vec![Arg::Str("host".into()), Arg::Sint(2)]);
        assert_eq!(n, 8);
        assert_eq!(make_arg_list("()", &sig(0, &[])).unwrap(), (vec![], 2));
        assert_eq!(make_arg_list("()", &sig(0, &[Str])).unwrap().0, vec![Arg::Str(String::new())]);
        assert_eq!(make_arg_list("()", &sig(0, &[Sint])).unwrap().0, vec![]);
        assert_eq!(make_arg_list("(x,)", &sig(0, &[Str, Sint])).unwrap().0, vec![Arg::Str("x".into())]);
    }

    #[test]
    fn quotes_and_escapes() {
        let (a, _) = make_arg_list("(\"a,b\")", &sig(0, &[Str])).unwrap();
        assert_eq!(a, vec![Arg::Str("a,b".into())]);
        let (a, _) = make_arg_list("('a)b')", &sig(0, &[Str])).unwrap();
        assert_eq!(a, vec![Arg::Str("a)b".into())]);
        let (a, _) = make_arg_list("(a\\\\b\\n\\q)", &sig(0, &[Str])).unwrap();
        assert_eq!(a, vec![Arg::Str("a\\b\n\\q".into())]);
    }

    #[test]
    fn messages_like_haproxy() {
        assert_eq!(err("(", sig(0, &[])), ("expected ')'".into(), 0));
        assert_eq!(err("(x)", sig(0, &[])), ("expected ')' before 'x)'".into(), 0));
        assert_eq!(err("(a,b)", sig(0, &[Str, Sint])).0, "failed to parse 'b' as type 'integer' at position 2");
        assert_eq!(err("(a,1,2)", sig(0, &[Str, Sint])), ("expected ')' before ',2)'".into(), 1));
        assert_eq!(err("(host", sig(0, &[Str, Sint])).0, "expected ')'");
        assert_eq!(
            err("(a)", sig(2, &[Reg, Str, Str])),
            ("missing arguments (got 1/2), type 'string' expected".into(), 1)
        );
        assert_eq!(
            err("", sig(1, &[Msk4, Msk6])),
            ("expected type 'IPv4 mask' at position 1, but got nothing".into(), 0)
        );
        assert_eq!(err("(33)", sig(1, &[Msk4, Msk6])).0, "failed to parse '33' as type 'IPv4 mask' at position 1");
        assert_eq!(
            err("(24,200)", sig(1, &[Msk4, Msk6])),
            ("failed to parse '200' as type 'IPv6 mask' at position 2".into(), 1)
        );
        assert_eq!(err("()", sig(1, &[Sint])).0, "expected type 'integer' at position 1, but got nothing");
    }

    #[test]
    fn masks() {
        assert_eq!(str2mask("24"), Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(str2mask("255.0.255.0"), Some(Ipv4Addr::new(255, 0, 255, 0)));
        assert_eq!(str2mask("-1"), None);
        assert_eq!(str2mask(""), None);
        assert_eq!(str2mask6("64").map(u128::from), Some(u128::MAX << 64));
        assert_eq!(str2mask6("129"), None);
    }

    #[test]
    fn int64_reader() {
        assert_eq!(read_int64(b"-11"), (-11, 3));
        assert_eq!(read_int64(b"12ab"), (12, 2));
        assert_eq!(read_int64(b"-"), (0, 1));
    }
}

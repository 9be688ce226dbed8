//! Match methods (`-m str|beg|...`), HAProxy's pattern parsers with their messages, and the
//! matching functions. Matching works on borrowed samples and does not allocate.

use std::net::{Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use super::args::{prefix_mask4, prefix_mask6, str2mask};
use super::regex::Regex;
use super::sample::{HttpMeth, Sample};
use super::types::SmpType;

/// The match methods `-m` accepts, in HAProxy's order (`pat_match_names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchMethod {
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Beg,
    Sub,
    Dir,
    Dom,
    End,
    Reg,
    Regm,
}

impl MatchMethod {
    pub const ALL: [MatchMethod; 14] = [
        MatchMethod::Found,
        MatchMethod::Bool,
        MatchMethod::Int,
        MatchMethod::Ip,
        MatchMethod::Bin,
        MatchMethod::Len,
        MatchMethod::Str,
        MatchMethod::Beg,
        MatchMethod::Sub,
        MatchMethod::Dir,
        MatchMethod::Dom,
        MatchMethod::End,
        MatchMethod::Reg,
        MatchMethod::Regm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MatchMethod::Found => "found",
            MatchMethod::Bool => "bool",
            MatchMethod::Int => "int",
            MatchMethod::Ip => "ip",
            MatchMethod::Bin => "bin",
            MatchMethod::Len => "len",
            MatchMethod::Str => "str",
            MatchMethod::Beg => "beg",
            MatchMethod::Sub => "sub",
            MatchMethod::Dir => "dir",
            MatchMethod::Dom => "dom",
            MatchMethod::End => "end",
            MatchMethod::Reg => "reg",
            MatchMethod::Regm => "regm",
        }
    }

    pub fn from_name(s: &str) -> Option<MatchMethod> {
        MatchMethod::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The type samples are cast to before matching (`pat_match_types`).
    pub fn expect_type(self) -> SmpType {
        match self {
            MatchMethod::Found | MatchMethod::Bool | MatchMethod::Int => SmpType::Sint,
            MatchMethod::Ip => SmpType::Addr,
            MatchMethod::Bin => SmpType::Bin,
            _ => SmpType::Str,
        }
    }

    /// How patterns are parsed and matched for this method.
    pub fn parts(self) -> (PatParse, MatchFn) {
        match self {
            MatchMethod::Found => (PatParse::Nothing, MatchFn::Found),
            MatchMethod::Bool => (PatParse::Nothing, MatchFn::Bool),
            MatchMethod::Int => (PatParse::Int, MatchFn::Int),
            MatchMethod::Ip => (PatParse::Ip, MatchFn::Ip),
            MatchMethod::Bin => (PatParse::Bin, MatchFn::Bin),
            MatchMethod::Len => (PatParse::Int, MatchFn::Len),
            MatchMethod::Str => (PatParse::Str, MatchFn::Str),
            MatchMethod::Beg => (PatParse::Str, MatchFn::Beg),
            MatchMethod::Sub => (PatParse::Str, MatchFn::Sub),
            MatchMethod::Dir => (PatParse::Str, MatchFn::Dir),
            MatchMethod::Dom => (PatParse::Str, MatchFn::Dom),
            MatchMethod::End => (PatParse::Str, MatchFn::End),
            MatchMethod::Reg | MatchMethod::Regm => (PatParse::Reg, MatchFn::Reg),
        }
    }
}

/// How pattern text is read (HAProxy's `pat_parse_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatParse {
    /// Patterns are accepted and ignored (`found`, `bool`).
    Nothing,
    Int,
    DottedVer,
    Ip,
    Bin,
    Str,
    Reg,
    Meth,
}

/// How a sample is compared with the patterns (HAProxy's `pat_match_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchFn {
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Beg,
    Sub,
    Dir,
    Dom,
    End,
    Reg,
    Meth,
    /// `http_auth_group`: needs the userlist, evaluated by the caller.
    AuthGroup,
}

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// An integer range; `None` is an open end.
    Range {
        min: Option<i64>,
        max: Option<i64>,
    },
    V4 {
        addr: u32,
        mask: u32,
    },
    V6 {
        addr: u128,
        mask: u128,
    },
    Bytes(Vec<u8>),
    Regex(Regex),
    Meth(HttpMeth, Vec<u8>),
}

/// The patterns of one source (the inline list, or one `-f` file), with the flags in force
/// when it was read: HAProxy keeps one pattern expression per source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatternSet {
    pub icase: bool,
    pub patterns: Vec<Pattern>,
}

/// How an ACL expression compares its samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub parse: PatParse,
    pub func: MatchFn,
    /// Samples are cast to this type before matching.
    pub expect: SmpType,
    pub sets: Vec<PatternSet>,
}

/// Parse one pattern. `no_dns` is `-n`.
pub fn parse_pattern(parse: PatParse, text: &str, icase: bool, no_dns: bool) -> Result<Option<Pattern>, String> {
    Ok(Some(match parse {
        PatParse::Nothing => return Ok(None),
        PatParse::Int => parse_int(text)?,
        PatParse::DottedVer => parse_dotted_ver(text)?,
        PatParse::Ip => parse_ip(text, no_dns)?,
        PatParse::Bin => Pattern::Bytes(parse_binary(text)?),
        PatParse::Str => Pattern::Bytes(text.as_bytes().to_vec()),
        PatParse::Reg => Pattern::Regex(Regex::new(text, icase, false)?),
        PatParse::Meth => {
            let m = HttpMeth::find(text.as_bytes());
            Pattern::Meth(m, if m == HttpMeth::Other { text.as_bytes().to_vec() } else { Vec::new() })
        }
    }))
}

/// HAProxy's `strl2llrc`: an optional `-` and digits only, with overflow detection.
pub fn strl2llrc(s: &str) -> Option<i64> {
    let (neg, d) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for c in d.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

fn split_range(text: &str) -> Option<usize> {
    text.find([':', '-'])
}

/// `pat_parse_int`: `n`, `a:b`, `a-b`, `:b`, `a:`.
pub fn parse_int(text: &str) -> Result<Pattern, String> {
    let bad_range = || format!("'{text}' is not a valid number range");
    if text.is_empty() {
        return Err(bad_range());
    }
    let Some(sep) = split_range(text) else {
        let v = strl2llrc(text).ok_or_else(|| format!("'{text}' is not a number"))?;
        return Ok(Pattern::Range { min: Some(v), max: Some(v) });
    };
    let (lo, hi) = (&text[..sep], &text[sep + 1..]);
    if sep == 0 && !hi.is_empty() {
        let max = strl2llrc(hi).ok_or_else(bad_range)?;
        return Ok(Pattern::Range { min: None, max: Some(max) });
    }
    if hi.is_empty() {
        let min = strl2llrc(lo).ok_or_else(bad_range)?;
        return Ok(Pattern::Range { min: Some(min), max: None });
    }
    let min = strl2llrc(lo).ok_or_else(bad_range)?;
    let max = strl2llrc(hi).ok_or_else(bad_range)?;
    if min > max {
        return Err(bad_range());
    }
    Ok(Pattern::Range { min: Some(min), max: Some(max) })
}

/// `strl2llrc_dotted`: `major[.minor]` as `major << 16 | minor`.
pub fn dotted(text: &str) -> Option<i64> {
    let (maj, min) = match text.find('.') {
        Some(p) => (&text[..p], Some(&text[p + 1..])),
        None => (text, None),
    };
    let major = strl2llrc(maj)?;
    if major >= 65536 {
        return None;
    }
    let minor = match min {
        Some(m) => strl2llrc(m)?,
        None => 0,
    };
    if minor >= 65536 {
        return None;
    }
    Some((major << 16) | (minor & 0xffff))
}

/// `pat_parse_dotted_ver`.
pub fn parse_dotted_ver(text: &str) -> Result<Pattern, String> {
    let bad_range = || format!("'{text}' is not a valid dotted number range");
    match split_range(text) {
        None if !text.is_empty() => {
            let v = dotted(text).ok_or_else(|| format!("'{text}' is not a dotted number"))?;
            Ok(Pattern::Range { min: Some(v), max: Some(v) })
        }
        None => Err(format!("'{text}' is not a dotted number")),
        Some(0) if text.len() > 1 => {
            Ok(Pattern::Range { min: None, max: Some(dotted(&text[1..]).ok_or_else(bad_range)?) })
        }
        Some(p) if p == text.len() - 1 => {
            Ok(Pattern::Range { min: Some(dotted(&text[..p]).ok_or_else(bad_range)?), max: None })
        }
        Some(p) => {
            let min = dotted(&text[..p]).ok_or_else(bad_range)?;
            let max = dotted(&text[p + 1..]).ok_or_else(bad_range)?;
            if min > max {
                return Err(bad_range());
            }
            Ok(Pattern::Range { min: Some(min), max: Some(max) })
        }
    }
}

/// `inet_aton`: the forms `a`, `a.b`, `a.b.c`, `a.b.c.d`, each part decimal, octal or hex.
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for p in &parts {
        let v = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            if h.is_empty() {
                0
            } else {
                u64::from_str_radix(h, 16).ok()?
            }
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()?
        } else {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            p.parse::<u64>().ok()?
        };
        vals.push(v);
    }
    let last = *vals.last()?;
    let n = vals.len();
    let mut addr: u64 = 0;
    for (i, v) in vals[..n - 1].iter().enumerate() {
        if *v > 255 {
            return None;
        }
        addr |= v << (24 - 8 * i);
    }
    let room = 32 - 8 * (n as u32 - 1);
    if room < 64 && last >> room != 0 {
        return None;
    }
    Some(Ipv4Addr::from((addr | last) as u32))
}

/// `gethostbyname` for a pattern: numeric forms first, then the system resolver (IPv4 only).
fn resolve_v4(host: &str) -> Option<Ipv4Addr> {
    if let Some(a) = inet_aton(host) {
        return Some(a);
    }
    if host.is_empty() || !host.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')) {
        return None;
    }
    (host, 0u16).to_socket_addrs().ok()?.find_map(|a| match a.ip() {
        std::net::IpAddr::V4(v4) => Some(v4),
        _ => None,
    })
}

/// `pat_parse_ip`: `str2net` (IPv4, resolving names unless `-n`) then `str62net` (IPv6).
pub fn parse_ip(text: &str, no_dns: bool) -> Result<Pattern, String> {
    let err = || format!("'{text}' is not a valid IPv4 or IPv6 address");
    // str2net
    let (host, mask) = match text.rfind('/') {
        Some(p) => (&text[..p], str2mask(&text[p + 1..])),
        None => (text, Some(Ipv4Addr::BROADCAST)),
    };
    if let Some(mask) = mask {
        let addr = host.parse::<Ipv4Addr>().ok().or_else(|| if no_dns { None } else { resolve_v4(host) });
        if let Some(a) = addr {
            return Ok(Pattern::V4 { addr: u32::from(a), mask: u32::from(mask) });
        }
    }
    // str62net
    let (host, len) = match text.rfind('/') {
        Some(p) => {
            let m = &text[p + 1..];
            if m.is_empty() || !m.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            let len: u32 = m.parse().map_err(|_| err())?;
            if len > 128 {
                return Err(err());
            }
            (&text[..p], len)
        }
        None => (text, 128),
    };
    let a: Ipv6Addr = host.parse().map_err(|_| err())?;
    Ok(Pattern::V6 { addr: u128::from(a), mask: prefix_mask6(len) })
}

/// `parse_binary`: an even number of hex digits.
pub fn parse_binary(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err("an even number of hex digit is expected".to_string());
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        let mut v = 0u8;
        for &c in pair {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(format!("an hex digit is expected (found '{}')", c as char)),
            };
            v = v << 4 | d;
        }
        out.push(v);
    }
    Ok(out)
}

fn eq_bytes(a: &[u8], b: &[u8], icase: bool) -> bool {
    if icase {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn find_sub(hay: &[u8], needle: &[u8], icase: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| eq_bytes(w, needle, icase))
}

/// `match_word`: `pat` found in `smp` between delimiters (`dir`: `/`; `dom`: `/?.:`).
pub fn match_word(smp: &[u8], pat: &[u8], icase: bool, delim: fn(u8) -> bool) -> bool {
    let mut ps = 0;
    let mut pl = pat.len();
    while pl > 0 && delim(pat[ps]) {
        pl -= 1;
        ps += 1;
    }
    while pl > 0 && delim(pat[ps + pl - 1]) {
        pl -= 1;
    }
    // A pattern made only of delimiters never matched in HAProxy's runs (its loop then reads
    // past the sample).
    if pl == 0 || pl > smp.len() {
        return false;
    }
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let p = &pat[ps..ps + pl];
    let p0 = at(pat, ps);
    let end = smp.len() - pl;
    let mut may_match = true;
    for c in 0..=end {
        let ch = at(smp, c);
        if delim(ch) {
            may_match = true;
            continue;
        }
        if !may_match {
            continue;
        }
        let first = if icase { ch.eq_ignore_ascii_case(&p0) } else { ch == p0 };
        if first && eq_bytes(&smp[c..c + pl], p, icase) && (c == end || delim(at(smp, c + pl))) {
            return true;
        }
        may_match = false;
    }
    false
}

pub fn is_dir_delim(c: u8) -> bool {
    c == b'/'
}

pub fn is_dom_delim(c: u8) -> bool {
    matches!(c, b'/' | b'?' | b'.' | b':')
}

fn v4_matches(v4: u32, addr: u32, mask: u32) -> bool {
    // Recorded: `127.0.0.1/255.0.255.0` matches 127.0.0.1, so the pattern's own bits outside
    // the mask do not count, whatever the mask.
    (v4 & mask) == (addr & mask)
}

/// The IPv4 address carried by an IPv6 one: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(a: &Ipv6Addr) -> Option<u32> {
    let o = a.octets();
    if o[..8].iter().all(|&b| b == 0) && (o[8..12] == [0, 0, 0, 0] || o[8..12] == [0, 0, 0xff, 0xff]) {
        return Some(u32::from_be_bytes([o[12], o[13], o[14], o[15]]));
    }
    if o[0] == 0x20 && o[1] == 0x02 {
        return Some(u32::from_be_bytes([o[2], o[3], o[4], o[5]]));
    }
    None
}

fn ip_matches(smp: &Sample, p: &Pattern) -> bool {
    match (smp, p) {
        (Sample::Ipv4(a), Pattern::V4 { addr, mask }) => v4_matches(u32::from(*a), *addr, *mask),
        (Sample::Ipv4(a), Pattern::V6 { addr, mask }) => u128::from(a.to_ipv6_mapped()) & mask == addr & mask,
        (Sample::Ipv6(a), Pattern::V6 { addr, mask }) => u128::from(*a) & mask == addr & mask,
        (Sample::Ipv6(a), Pattern::V4 { addr, mask }) => embedded_v4(a).is_some_and(|v4| v4_matches(v4, *addr, *mask)),
        _ => false,
    }
}

fn in_range(v: i64, p: &Pattern) -> bool {
    match p {
        Pattern::Range { min, max } => min.is_none_or(|m| m <= v) && max.is_none_or(|m| v <= m),
        _ => false,
    }
}

impl Matcher {
    pub fn new(parse: PatParse, func: MatchFn, expect: SmpType) -> Matcher {
        Matcher { parse, func, expect, sets: Vec::new() }
    }

    /// Whether this matcher has no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.patterns.is_empty())
    }

    /// `pattern_exec_match`: cast the sample, then compare it with every pattern set.
    pub fn matches(&self, smp: Sample<'_>) -> bool {
        if self.func == MatchFn::Found {
            return true;
        }
        let Some(smp) = smp.convert(self.expect) else {
            return false;
        };
        match self.func {
            MatchFn::Found => true,
            MatchFn::Bool => smp.as_int().is_some_and(|v| v != 0),
            MatchFn::AuthGroup => false,
            _ => self.sets.iter().any(|set| match_set(self.func, &smp, set)),
        }
    }
}

fn match_set(func: MatchFn, smp: &Sample, set: &PatternSet) -> bool {
    set.patterns.iter().any(|p| match_one(func, smp, p, set.icase))
}

/// Whether one pattern matches a sample already cast to the method's type (maps try their
/// entries one by one).
pub fn match_one(func: MatchFn, smp: &Sample, p: &Pattern, icase: bool) -> bool {
    match func {
        MatchFn::Int => smp.as_int().is_some_and(|v| in_range(v, p)),
        MatchFn::Len => smp.as_bytes().is_some_and(|b| in_range(b.len() as i64, p)),
        MatchFn::Ip => ip_matches(smp, p),
        MatchFn::Meth => match (smp, p) {
            (Sample::Meth(m, s), Pattern::Meth(HttpMeth::Other, ps)) => {
                *m == HttpMeth::Other && ps.len() == s.len() && eq_bytes(ps, s, icase)
            }
            (Sample::Meth(m, _), Pattern::Meth(pm, _)) => pm == m,
            _ => false,
        },
        _ => {
            let Some(b) = smp.as_bytes() else {
                return false;
            };
            match (func, p) {
                (MatchFn::Reg, Pattern::Regex(r)) => r.is_match(b),
                (MatchFn::Bin, Pattern::Bytes(p)) => b == p.as_slice(),
                (MatchFn::Str, Pattern::Bytes(p)) => eq_bytes(b, p, icase),
                (MatchFn::Beg, Pattern::Bytes(p)) => b.len() >= p.len() && eq_bytes(&b[..p.len()], p, icase),
                (MatchFn::End, Pattern::Bytes(p)) => b.len() >= p.len() && eq_bytes(&b[b.len() - p.len()..], p, icase),
                (MatchFn::Sub, Pattern::Bytes(p)) => find_sub(b, p, icase),
                (MatchFn::Dir, Pattern::Bytes(p)) => match_word(b, p, icase, is_dir_delim),
                (MatchFn::Dom, Pattern::Bytes(p)) => match_word(b, p, icase, is_dom_delim),
                _ => false,
            }
        }
    }
}

/// A prefix length as a mask, for callers building patterns.
pub fn v4_prefix(len: u32) -> u32 {
    prefix_mask4(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_patterns() {
        assert_eq!(parse_int("5"), Ok(Pattern::Range { min: Some(5), max: Some(5) }));
        assert_eq!(parse_int("1:2"), Ok(Pattern::Range { min: Some(1), max: Some(2) }));
        assert_eq!(parse_int("3-4"), Ok(Pattern::Range { min: Some(3), max: Some(4) }));
        assert_eq!(parse_int(":5"), Ok(Pattern::Range { min: None, max: Some(5) }));
        assert_eq!(parse_int("6:"), Ok(Pattern::Range { min: Some(6), max: None }));
        assert_eq!(parse_int("-1"), Ok(Pattern::Range { min: None, max: Some(1) }));
        assert_eq!(parse_int("abc"), Err("'abc' is not a number".into()));
        assert_eq!(parse_int("1:abc"), Err("'1:abc' is not a valid number range".into()));
        assert_eq!(parse_int("5:3"), Err("'5:3' is not a valid number range".into()));
        assert_eq!(parse_int("1:2:3"), Err("'1:2:3' is not a valid number range".into()));
        assert_eq!(parse_int("-1:-2"), Err("'-1:-2' is not a valid number range".into()));
        assert_eq!(parse_int("+5"), Err("'+5' is not a number".into()));
        assert_eq!(parse_int("99999999999999999999"), Err("'99999999999999999999' is not a number".into()));
        assert_eq!(parse_int(":-1"), Ok(Pattern::Range { min: None, max: Some(-1) }));
    }

    #[test]
    fn dotted_versions() {
        assert_eq!(parse_dotted_ver("3.1"), Ok(Pattern::Range { min: Some(0x30001), max: Some(0x30001) }));
        assert_eq!(parse_dotted_ver("3"), Ok(Pattern::Range { min: Some(0x30000), max: Some(0x30000) }));
        assert_eq!(parse_dotted_ver("3.x"), Err("'3.x' is not a dotted number".into()));
        assert_eq!(parse_dotted_ver("70000"), Err("'70000' is not a dotted number".into()));
        assert!(parse_dotted_ver("3.1:3.3").is_ok());
        assert!(parse_dotted_ver("3.1-3.3").is_ok());
    }

    #[test]
    fn ip_patterns() {
        let v4 = |s: &str| parse_ip(s, true);
        assert_eq!(v4("10.0.0.0/8"), Ok(Pattern::V4 { addr: 0x0a000000, mask: 0xff000000 }));
        assert_eq!(v4("1.2.3.4/255.255.0.0"), Ok(Pattern::V4 { addr: 0x01020304, mask: 0xffff0000 }));
        assert!(v4("::1/64").is_ok());
        for bad in ["1.2.3.4/33", "::1/129", "10.0.0.0/", "1.2.3.4:80", "1.2.3.4 ", "localhost"] {
            assert_eq!(v4(bad), Err(format!("'{bad}' is not a valid IPv4 or IPv6 address")), "{bad}");
        }
        // With DNS allowed, inet_aton forms and names resolve.
        assert_eq!(parse_ip("10/8", false), Ok(Pattern::V4 { addr: 10, mask: 0xff000000 }));
        assert_eq!(parse_ip("1.2.3", false), Ok(Pattern::V4 { addr: 0x01020003, mask: u32::MAX }));
    }

    #[test]
    fn binary_patterns() {
        assert_eq!(parse_binary("0a0B"), Ok(vec![0x0a, 0x0b]));
        assert_eq!(parse_binary("0"), Err("an even number of hex digit is expected".into()));
        assert_eq!(parse_binary("zz"), Err("an hex digit is expected (found 'z')".into()));
    }

    #[test]
    fn words() {
        assert!(match_word(b"/a/b/c", b"b", false, is_dir_delim));
        assert!(match_word(b"/a/b/c", b"/b/", false, is_dir_delim));
        assert!(!match_word(b"/a/bb/c", b"b", false, is_dir_delim));
        assert!(match_word(b"www.example.com", b"example", false, is_dom_delim));
        assert!(match_word(b"www.EXAMPLE.com", b"example.com", true, is_dom_delim));
        assert!(!match_word(b"www.example.com", b"exam", false, is_dom_delim));
        // A pattern made only of delimiters never matches.
        assert!(!match_word(b"/foo/", b"/", false, is_dir_delim));
        assert!(!match_word(b"/", b"/", false, is_dir_delim));
    }
}

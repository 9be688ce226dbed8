//! Map files and the `map*` converters (`map`, `map_str`, `map_beg`, `map_sub`, `map_dir`,
//! `map_dom`, `map_end`, `map_reg`, `map_regm`, `map_int`, `map_ip`, each with `_int` / `_ip`
//! outputs), loaded once when the configuration is resolved. Lookups follow HAProxy 2.6 as
//! measured on the binary: exact strings and prefixes (`beg`) and addresses (`ip`) are looked up
//! in trees, so the longest prefix wins and duplicates keep their first entry; every other
//! method tries the entries in file order and the first match wins. Keys end at the first blank,
//! values run to the end of the line without surrounding blanks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::pattern::{match_one, parse_ip, parse_pattern, strl2llrc, MatchFn, MatchMethod, Pattern};
use super::smp_check::read_pattern_file;
use super::Sample;

/// What a map's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Str,
    Int,
    Ip,
}

/// A loaded map file, for one converter.
#[derive(Debug)]
pub struct MapTable {
    pub path: String,
    method: MatchMethod,
    func: MatchFn,
    entries: Vec<(Pattern, Sample<'static>)>,
    /// Exact string keys (`map`, `map_str`): the first entry of each key.
    exact: HashMap<Vec<u8>, usize>,
    /// Prefix keys (`map_beg`) by length, longest first: the first entry of each key.
    prefixes: Vec<(usize, HashMap<Vec<u8>, usize>)>,
}

/// A loaded map as a converter argument.
#[derive(Debug, Clone)]
pub struct MapRef(pub Arc<MapTable>);

impl PartialEq for MapRef {
    fn eq(&self, o: &MapRef) -> bool {
        Arc::ptr_eq(&self.0, &o.0) || self.0.path == o.0.path
    }
}
impl Eq for MapRef {}

/// The match method and output of a converter name (`map_beg_int` → beg, int).
fn split_name(conv: &str) -> (MatchMethod, Output) {
    let mut parts = conv.split('_').skip(1);
    let method = parts.next().and_then(MatchMethod::from_name).unwrap_or(MatchMethod::Str);
    let out = match parts.next() {
        Some("int") => Output::Int,
        Some("ip") => Output::Ip,
        _ => Output::Str,
    };
    (method, out)
}

/// An `_int` map value: HAProxy's `strl2llrc`, for which an empty value is 0.
pub fn int_value(v: &str) -> Option<i64> {
    if v.is_empty() {
        Some(0)
    } else {
        strl2llrc(v)
    }
}

fn value_sample(v: &str, out: Output) -> Option<Sample<'static>> {
    match out {
        Output::Str => Some(Sample::owned_str(v.as_bytes().to_vec())),
        Output::Int => int_value(v).map(Sample::Sint),
        Output::Ip => match v.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => Some(Sample::Ipv4(a)),
            Ok(IpAddr::V6(a)) => Some(Sample::Ipv6(a)),
            Err(_) => match parse_ip(v, true).ok()? {
                Pattern::V4 { addr, .. } => Some(Sample::Ipv4(addr.into())),
                Pattern::V6 { addr, .. } => Some(Sample::Ipv6(addr.into())),
                _ => None,
            },
        },
    }
}

/// Whether this process loaded a map (the runtime API's map listing is not built yet).
static LOADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn loaded_any() -> bool {
    LOADED.load(std::sync::atomic::Ordering::Relaxed)
}

impl MapTable {
    /// Load `path` for the converter `conv`. Errors are HAProxy's (the configuration check
    /// reports them first).
    pub fn load(conv: &str, path: &str) -> Result<MapTable, String> {
        let (method, out) = split_name(conv);
        let (parse, func) = method.parts();
        let mut entries = Vec::new();
        let mut exact = HashMap::new();
        let mut prefixes: Vec<(usize, HashMap<Vec<u8>, usize>)> = Vec::new();
        for (n, line) in read_pattern_file(path)? {
            let k_end = line.find([' ', '\t']).unwrap_or(line.len());
            let (k, rest) = line.split_at(k_end);
            let v = rest.trim_matches([' ', '\t']);
            let bad = || format!("unable to parse '{v}' at line {n} of file '{path}'");
            let value = value_sample(v, out).ok_or_else(bad)?;
            let pattern = if method == MatchMethod::Regm {
                Pattern::Regex(super::regex::Regex::new(k, false, true)?)
            } else {
                match parse_pattern(parse, k, false, true)? {
                    Some(p) => p,
                    None => continue,
                }
            };
            match func {
                MatchFn::Str => {
                    exact.entry(k.as_bytes().to_vec()).or_insert(entries.len());
                }
                MatchFn::Beg => {
                    let at = match prefixes.iter().position(|(l, _)| *l == k.len()) {
                        Some(at) => at,
                        None => {
                            prefixes.push((k.len(), HashMap::new()));
                            prefixes.len() - 1
                        }
                    };
                    prefixes[at].1.entry(k.as_bytes().to_vec()).or_insert(entries.len());
                }
                _ => {}
            }
            entries.push((pattern, value));
        }
        LOADED.store(true, std::sync::atomic::Ordering::Relaxed);
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.0));
        Ok(MapTable { path: path.to_string(), method, func, entries, exact, prefixes })
    }

    /// The value the sample maps to (`None`: no entry matches).
    pub fn lookup<'s>(&'s self, smp: &Sample<'_>) -> Option<Sample<'s>> {
        let smp = smp.clone().convert(self.method.expect_type())?;
        let idx = match self.func {
            MatchFn::Str => *self.exact.get(smp.as_bytes()?)?,
            MatchFn::Beg => {
                // A prefix tree: the longest key the sample starts with.
                let b = smp.as_bytes()?;
                self.prefixes.iter().filter(|(l, _)| *l <= b.len()).find_map(|(l, m)| m.get(&b[..*l]).copied())?
            }
            MatchFn::Ip => {
                // A tree: the most specific entry, the first of equals.
                let mut best: Option<(u32, usize)> = None;
                for (i, (p, _)) in self.entries.iter().enumerate() {
                    if match_one(self.func, &smp, p, false) {
                        let len = specificity(p);
                        if best.is_none_or(|(l, _)| len > l) {
                            best = Some((len, i));
                        }
                    }
                }
                best?.1
            }
            f => self.entries.iter().position(|(p, _)| match_one(f, &smp, p, false))?,
        };
        let (p, v) = &self.entries[idx];
        if self.method == MatchMethod::Regm {
            if let (Pattern::Regex(re), Some(input), Some(value)) = (p, smp.as_bytes(), v.as_bytes()) {
                return Some(Sample::owned_str(expand_captures(re, input, value)));
            }
        }
        Some(borrow(v))
    }
}

/// How specific an address key is: its mask's bits.
fn specificity(p: &Pattern) -> u32 {
    match p {
        Pattern::V4 { mask, .. } => mask.count_ones() + 96,
        Pattern::V6 { mask, .. } => mask.count_ones(),
        _ => 0,
    }
}

fn borrow<'s>(v: &'s Sample<'static>) -> Sample<'s> {
    match v {
        Sample::Str(b) => Sample::Str(std::borrow::Cow::Borrowed(b)),
        other => other.clone(),
    }
}

/// `map_regm`: `\N` in the value stands for the match's capture N.
fn expand_captures(re: &super::regex::Regex, input: &[u8], value: &[u8]) -> Vec<u8> {
    let caps = re.inner().captures(input).ok().flatten();
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\' && value.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let n = usize::from(value[i + 1] - b'0');
            if let Some(m) = caps.as_ref().and_then(|c| c.get(n)) {
                out.extend_from_slice(m.as_bytes());
            }
            i += 2;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

/// Apply a `map*` converter whose map was loaded: the mapped value, else the default argument
/// (cast to the output type), else nothing.
pub fn convert<'s>(conv: &str, args: &'s [super::args::Arg], smp: &Sample<'_>) -> Option<Sample<'s>> {
    let Some(super::args::Arg::MapTable(m)) = args.first() else { return None };
    if let Some(v) = m.0.lookup(smp) {
        return Some(v);
    }
    let (_, out) = split_name(conv);
    match args.get(1)? {
        super::args::Arg::Sint(n) => Some(Sample::Sint(*n)),
        a => value_sample(a.as_str()?, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(conv: &str, text: &str) -> MapTable {
        let dir = std::env::temp_dir().join(format!("haproxide-map-{}-{conv}", std::process::id()));
        std::fs::write(&dir, text).unwrap();
        let t = MapTable::load(conv, dir.to_str().unwrap()).unwrap();
        let _ = std::fs::remove_file(&dir);
        t
    }

    fn get(t: &MapTable, s: &str) -> Option<String> {
        t.lookup(&Sample::str(s.as_bytes())).map(|v| String::from_utf8_lossy(v.as_bytes().unwrap()).into_owned())
    }

    /// The lookups measured on HAProxy 2.6 (see the compat scenario for the same files).
    #[test]
    fn lookups_as_measured() {
        let beg = table("map_beg", "/a first_a\n/a/b second_ab\n/a dup_a\n");
        assert_eq!(get(&beg, "/a/b/c").as_deref(), Some("second_ab"));
        assert_eq!(get(&beg, "/a/c").as_deref(), Some("first_a"));
        assert_eq!(get(&beg, "/z"), None);
        let sub = table("map_sub", "b sub_b\nab sub_ab\n");
        assert_eq!(get(&sub, "/zab").as_deref(), Some("sub_b"));
        let ip = table("map_ip", "10.0.0.0/8 eight\n10.1.0.0/16 sixteen\n10.1.2.3 host\n");
        let at = |a: &str| {
            ip.lookup(&Sample::Ipv4(a.parse().unwrap()))
                .map(|v| String::from_utf8_lossy(v.as_bytes().unwrap()).into_owned())
        };
        assert_eq!(at("10.1.2.3").as_deref(), Some("host"));
        assert_eq!(at("10.1.9.9").as_deref(), Some("sixteen"));
        assert_eq!(at("10.9.9.9").as_deref(), Some("eight"));
        let fmt = table("map", "x  spaced value  \n#c comment\n  y indented\n");
        assert_eq!(get(&fmt, "x").as_deref(), Some("spaced value"));
        assert_eq!(get(&fmt, "y").as_deref(), Some("indented"));
        let regm = table("map_regm", "^/u/([a-z]+)/(\\d+) user=\\1,id=\\2\n");
        assert_eq!(get(&regm, "/u/bob/42").as_deref(), Some("user=bob,id=42"));
        let int = table("map_int_int", "10 100\n1:20 200\n");
        assert_eq!(int.lookup(&Sample::Sint(15)), Some(Sample::Sint(200)));
    }
}

//! `acl <name> <criterion> [flags] [operator] <value>*`, parsed like HAProxy's
//! `parse_acl_expr`/`parse_acl`: ACL keywords and bare sample fetches, the flags
//! `-i -f -m -n -u -M --`, integer operators, pattern files, HAProxy's predefined ACLs, and the
//! warnings HAProxy prints along the way.

use super::args::make_arg_list;
use super::expr::{parse_converters, parse_sample_expr, ConvSource, SampleExpr};
use super::fetch_table::find_fetch;
use super::kw_table::{find_acl_kw, KwParser};
use super::pattern::{parse_pattern, MatchFn, MatchMethod, Matcher, PatParse, PatternSet};
use super::smp_check::{check_fetch_args, read_pattern_file};
use super::types::{idchar_len, Ctx, SmpType, Uses};

/// One line (or one `{ }` block) of an ACL: a sample expression and how to match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclExpr {
    /// The keyword HAProxy names in its messages: the ACL keyword, or the fetch.
    pub kw: &'static str,
    pub smp: SampleExpr,
    pub matcher: Matcher,
}

impl AclExpr {
    /// Where the expression's fetch may be used.
    pub fn val(&self) -> Ctx {
        self.smp.fetch.val
    }
}

/// A named ACL: every `acl` line with that name, ORed. Anonymous ACLs have an empty name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub name: String,
    pub exprs: Vec<AclExpr>,
}

/// A parse error: HAProxy's message (the caller adds its own prefix and the final `.`) and the
/// index of the word it blames, relative to the words given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclError {
    pub msg: String,
    pub word: usize,
}

impl AclError {
    pub fn new(msg: impl Into<String>, word: usize) -> AclError {
        AclError { msg: msg.into(), word }
    }
    pub(crate) fn shift(mut self, by: usize) -> AclError {
        self.word += by;
        self
    }
}

/// A warning HAProxy prints while parsing ACLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclWarning {
    /// The first line of the message.
    pub headline: String,
    /// The lines HAProxy prints under it, verbatim.
    pub detail: Vec<String>,
    /// Whether HAProxy prefixes the headline with `parsing [file:line] : ` (some ACL warnings
    /// are printed without any location).
    pub located: bool,
    pub word: usize,
}

/// Operators of the integer and version matches (`get_std_op`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StdOp {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

fn std_op(s: &str) -> Option<StdOp> {
    Some(match s {
        "eq" => StdOp::Eq,
        "gt" => StdOp::Gt,
        "ge" => StdOp::Ge,
        "lt" => StdOp::Lt,
        "le" => StdOp::Le,
        _ => return None,
    })
}

/// `strtol(s, &end, 10)` with `*end == 0` required, as `-u` reads its argument: an empty
/// string reads as 0; blanks, a sign and at least one digit otherwise.
fn strtol_whole(s: &str) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, d) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = d.parse().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// Rewrite `<op> <value>` the way HAProxy's compatibility layer does, into a range.
fn apply_op(op: StdOp, arg: &str, dotted: bool) -> Result<String, String> {
    let not_num = || format!("'{arg}' is neither a number nor a supported operator");
    let (int_part, minor) = match arg.find('.') {
        Some(p) => (&arg[..p], Some(&arg[p + 1..])),
        None => (arg, None),
    };
    let mut minor_v = 0;
    if dotted {
        if let Some(m) = minor {
            minor_v = super::pattern::strl2llrc(m).ok_or_else(not_num)?;
            if minor_v >= 65536 {
                return Err(format!("'{arg}' contains too large a minor value"));
            }
        }
    }
    let mut value = super::pattern::strl2llrc(int_part).ok_or_else(not_num)?;
    if dotted {
        if value >= 65536 {
            return Err(format!("'{arg}' contains too large a major value"));
        }
        value = (value << 16) | (minor_v & 0xffff);
    }
    let fmt = |v: i64| if dotted { format!("{}.{}", v >> 16, v & 0xffff) } else { v.to_string() };
    Ok(match op {
        StdOp::Eq => return Err("internal error".into()),
        StdOp::Gt => format!("{}:", fmt(value.wrapping_add(1))),
        StdOp::Ge => format!("{}:", fmt(value)),
        StdOp::Lt => format!(":{}", fmt(value.wrapping_sub(1))),
        StdOp::Le => format!(":{}", fmt(value)),
    })
}

/// The result of parsing one ACL expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedExpr {
    pub expr: AclExpr,
    /// The `-u` id it claimed, to be refused to later ACLs.
    pub unique_id: Option<i64>,
}

fn no_pattern_warning(kw: &str) -> AclWarning {
    AclWarning {
        headline: format!("parsing acl keyword '{kw}' :"),
        detail: vec![
            "  no pattern to match against were provided, so this ACL will never match.".into(),
            "  If this is what you intended, please add '--' to get rid of this warning.".into(),
            "  If you intended to match only for existence, please use '-m found'.".into(),
            "  If you wanted to force an int to match as a bool, please use '-m bool'.".into(),
            String::new(),
        ],
        located: false,
        word: 0,
    }
}

/// `parse_acl_expr`: `words[0]` is the criterion. `used_ids` are `-u` ids already taken.
pub fn parse_acl_expr(
    words: &[&str],
    used_ids: &[i64],
    warnings: &mut Vec<AclWarning>,
) -> Result<ParsedExpr, AclError> {
    let crit = words.first().copied().unwrap_or("");
    let n = idchar_len(crit);
    let aclkw = if n > 0 { find_acl_kw(&crit[..n]) } else { None };

    let (smp, conv_found) = match aclkw {
        Some(k) => {
            let Some(fetch) = find_fetch(k.fetch) else {
                return Err(AclError::new(format!("ACL keyword '{}' relies on an unknown fetch", k.name), 0));
            };
            let (args, used) = make_arg_list(&crit[n..], &fetch.args)
                .map_err(|e| AclError::new(format!("ACL keyword '{}' : {}", k.name, e.msg), 0))?;
            if !args.is_empty() {
                check_fetch_args(fetch, &args)
                    .map_err(|e| AclError::new(format!("in argument to '{}', {e}", k.name), 0))?;
            }
            let mut smp = SampleExpr { fetch, args, convs: Vec::new() };
            parse_converters(words, ConvSource::SameWord, 0, n + used, &mut smp)
                .map_err(|e| AclError::new(format!("ACL keyword '{}' : {}.", k.name, e.msg), e.word))?;
            let found = !smp.convs.is_empty();
            (smp, found)
        }
        None => {
            let mut idx = 0;
            let smp = parse_sample_expr(words, &mut idx)
                .map_err(|e| AclError::new(format!("{} in ACL expression '{crit}'", e.msg), e.word))?;
            (smp, false)
        }
    };

    let cur_type = smp.out_type();
    let mut kw = smp.fetch.name;
    // (parse, match, expected type) as HAProxy picks them before flags.
    let mut how: Option<(PatParse, MatchFn, SmpType)> = None;
    if let (Some(k), false) = (aclkw, conv_found) {
        kw = k.name;
        how = Some(match k.parser() {
            KwParser::Method(m) => {
                let (p, f) = m.parts();
                (p, f, cur_type)
            }
            KwParser::HttpMethod => (PatParse::Meth, MatchFn::Meth, cur_type),
            KwParser::DottedVer => (PatParse::DottedVer, MatchFn::Int, cur_type),
            KwParser::AuthGroup => (PatParse::Str, MatchFn::AuthGroup, cur_type),
        });
    }
    if how.is_none() {
        let m = match cur_type {
            SmpType::Bool => Some(MatchMethod::Bool),
            SmpType::Sint => Some(MatchMethod::Int),
            SmpType::Addr | SmpType::Ipv4 | SmpType::Ipv6 => Some(MatchMethod::Ip),
            SmpType::Str => Some(MatchMethod::Str),
            _ => None,
        };
        how = m.map(|m| {
            let (p, f) = m.parts();
            (p, f, m.expect_type())
        });
    }

    if how.is_some() && cur_type != SmpType::Bool && words.get(1).is_none_or(|w| w.is_empty()) {
        warnings.push(no_pattern_warning(crit));
    }

    let must_specify = |kw: &str| {
        format!("matching method must be specified first (using '-m') when using a sample fetch of this type ('{kw}')")
    };
    let (mut icase, mut no_dns) = (false, false);
    let mut unique_id = None;
    let mut is_loaded = false;
    let mut load_as_map = false;
    let mut sets: Vec<PatternSet> = Vec::new();
    let mut i = 1;
    while let Some(w) = words.get(i).filter(|w| w.starts_with('-')) {
        match *w {
            "-i" => icase = true,
            "-n" => no_dns = true,
            "-u" => {
                let a = words.get(i + 1).copied().unwrap_or("");
                let id = strtol_whole(a).ok_or_else(|| AclError::new("the argument of -u must be an integer", i))?;
                if used_ids.contains(&id) || unique_id == Some(id) {
                    return Err(AclError::new("the id is already used", i));
                }
                unique_id = Some(id);
                i += 1;
            }
            "-f" => {
                let Some((parse, _, _)) = how else {
                    return Err(AclError::new(must_specify(kw), i));
                };
                let path = words.get(i + 1).copied().unwrap_or("");
                let lines = read_pattern_file(path).map_err(|e| AclError::new(e, i + 1))?;
                let mut set = PatternSet { icase, patterns: Vec::new() };
                for (line, text) in lines {
                    let key = if load_as_map { text.split([' ', '\t']).next().unwrap_or("") } else { text.as_str() };
                    match parse_pattern(parse, key, icase, no_dns) {
                        Ok(Some(p)) => set.patterns.push(p),
                        Ok(None) => {}
                        Err(e) => return Err(AclError::new(format!("{e} at line {line} of file '{path}'"), i + 1)),
                    }
                }
                sets.push(set);
                is_loaded = true;
                i += 1;
            }
            "-m" => {
                if is_loaded {
                    return Err(AclError::new(
                        "'-m' must only be specified before patterns and files in parsing ACL expression",
                        i,
                    ));
                }
                let name = words.get(i + 1).copied().unwrap_or("");
                let Some(m) = MatchMethod::from_name(name) else {
                    return Err(AclError::new(
                        format!("unknown matching method '{name}' when parsing ACL expression"),
                        i + 1,
                    ));
                };
                if m != MatchMethod::Found && !cur_type.can_cast(m.expect_type()) {
                    return Err(AclError::new(
                        format!("matching method '{name}' cannot be used with fetch keyword '{kw}'"),
                        i + 1,
                    ));
                }
                let (p, f) = m.parts();
                how = Some((p, f, m.expect_type()));
                i += 1;
            }
            "-M" => load_as_map = true,
            "--" => {
                i += 1;
                break;
            }
            other => {
                return Err(AclError::new(
                    format!(
                        "'{other}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'"
                    ),
                    i,
                ))
            }
        }
        i += 1;
    }
    let Some((parse, func, expect)) = how else {
        return Err(AclError::new(must_specify(kw), 0));
    };

    let mut set = PatternSet { icase, patterns: Vec::new() };
    let mut op = StdOp::Eq;
    while let Some(arg) = words.get(i).filter(|w| !w.is_empty()) {
        let mut text = arg.to_string();
        if matches!(parse, PatParse::Int | PatParse::DottedVer) {
            if let Some(o) = std_op(arg) {
                op = o;
                i += 1;
                continue;
            }
            let has_sep = arg.contains([':', '-']);
            if !has_sep && op != StdOp::Eq {
                text = apply_op(op, arg, parse == PatParse::DottedVer).map_err(|e| AclError::new(e, i))?;
            }
        }
        match parse_pattern(parse, &text, icase, no_dns) {
            Ok(Some(p)) => set.patterns.push(p),
            Ok(None) => {}
            Err(e) => return Err(AclError::new(e, i)),
        }
        i += 1;
    }
    sets.push(set);
    let mut matcher = Matcher::new(parse, func, expect);
    matcher.sets = sets;
    Ok(ParsedExpr { expr: AclExpr { kw, smp, matcher }, unique_id })
}

/// HAProxy's checks of an `acl` name, in its order: forbidden characters, then `or`.
pub fn check_acl_name(name: &str) -> Result<(), String> {
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))) {
        return Err(format!("character '{c}' is not permitted in acl name '{name}'."));
    }
    if name.is_empty() {
        // HAProxy prints the NUL it found, which ends its message there.
        return Err("character '".into());
    }
    if name.eq_ignore_ascii_case("or") {
        return Err(format!(
            "acl name '{name}' will never match. 'or' is used to express a logical disjunction within a condition."
        ));
    }
    Ok(())
}

/// `parse_acl` after the name checks: the expression, then HAProxy's warning about a pattern
/// that starts with `(` right after a criterion without arguments. `words[0]` is the criterion.
pub fn parse_acl(
    name: &str,
    words: &[&str],
    used_ids: &[i64],
    warnings: &mut Vec<AclWarning>,
) -> Result<ParsedExpr, AclError> {
    let parsed = parse_acl_expr(words, used_ids, warnings)?;
    let crit = words.first().copied().unwrap_or("");
    if let Some(next) = words.get(1) {
        if !crit.contains('(') && next.starts_with('(') {
            warnings.push(AclWarning {
                headline: format!("parsing acl '{name}' :"),
                detail: vec![
                    format!("  matching '{crit}' for pattern '{next}' is likely a mistake and probably"),
                    "  not what you want. Maybe you need to remove the extraneous space before '('.".into(),
                    "  If you are really sure this is not an error, please insert '--' between the".into(),
                    "  match and the pattern to make this warning message disappear.".into(),
                ],
                located: false,
                word: 1,
            });
        }
    }
    Ok(parsed)
}

/// HAProxy 2.6's predefined ACLs and their definitions.
pub const DEFAULT_ACLS: &[(&str, &[&str])] = &[
    ("TRUE", &["always_true"]),
    ("FALSE", &["always_false"]),
    ("LOCALHOST", &["src", "127.0.0.1/8", "::1"]),
    ("HTTP", &["req.proto_http"]),
    ("HTTP_1.0", &["req.ver", "1.0"]),
    ("HTTP_1.1", &["req.ver", "1.1"]),
    ("HTTP_2.0", &["req.ver", "2.0"]),
    ("METH_CONNECT", &["method", "CONNECT"]),
    ("METH_DELETE", &["method", "DELETE"]),
    ("METH_GET", &["method", "GET", "HEAD"]),
    ("METH_HEAD", &["method", "HEAD"]),
    ("METH_OPTIONS", &["method", "OPTIONS"]),
    ("METH_POST", &["method", "POST"]),
    ("METH_PUT", &["method", "PUT"]),
    ("METH_TRACE", &["method", "TRACE"]),
    ("HTTP_URL_ABS", &["url_reg", "^[^/:]*://"]),
    ("HTTP_URL_SLASH", &["url_beg", "/"]),
    ("HTTP_URL_STAR", &["url", "*"]),
    ("HTTP_CONTENT", &["req.hdr_val(content-length)", "gt", "0"]),
    ("RDP_COOKIE", &["req.rdp_cookie_cnt", "gt", "0"]),
    ("REQ_CONTENT", &["req.len", "gt", "0"]),
    ("WAIT_END", &["wait_end"]),
];

/// The definition of a predefined ACL.
pub fn default_acl_words(name: &str) -> Option<&'static [&'static str]> {
    DEFAULT_ACLS.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}

/// A predefined ACL, parsed.
pub fn default_acl(name: &str) -> Option<Acl> {
    let words = default_acl_words(name)?;
    let parsed = parse_acl_expr(words, &[], &mut Vec::new()).ok()?;
    Some(Acl { name: name.to_string(), exprs: vec![parsed.expr] })
}

/// What conditions need to know about an ACL line without re-reading its patterns: the
/// keyword HAProxy reports, and where its fetch is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExprMeta {
    pub kw: &'static str,
    pub val: Ctx,
    pub uses: Uses,
}

/// The metadata of an ACL line already accepted by [`parse_acl`] (`words[0]` = criterion).
pub fn expr_meta(words: &[&str]) -> Option<ExprMeta> {
    let crit = words.first()?;
    let n = idchar_len(crit);
    let kw = &crit[..n];
    if let Some(k) = find_acl_kw(kw) {
        let f = find_fetch(k.fetch)?;
        let used = make_arg_list(&crit[n..], &f.args).map(|(_, u)| u).unwrap_or(0);
        let conv = crit.as_bytes().get(n + used) == Some(&b',');
        return Some(ExprMeta { kw: if conv { f.name } else { k.name }, val: f.val, uses: f.uses });
    }
    let f = find_fetch(kw)?;
    Some(ExprMeta { kw: f.name, val: f.val, uses: f.uses })
}

impl AclExpr {
    pub fn meta(&self) -> ExprMeta {
        ExprMeta { kw: self.kw, val: self.smp.fetch.val, uses: self.smp.fetch.uses }
    }
}

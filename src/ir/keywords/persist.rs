//! Persistence: `cookie`, `dynamic-cookie-key`, `persist rdp-cookie`, `force-persist` /
//! `ignore-persist`, `stick-table` and `stick` rules, parsed and checked the way HAProxy does.
//! The engine runs all of them (fetches it cannot evaluate in `stick` rules are recorded as not
//! supported, see `rules::post`).

use crate::acl;
use crate::config::ast::Directive;
use crate::ir::types::{CookieMode, CookieSpec, Rule, StickKind, StickRule, StickTableSpec, TableKey};
use crate::ir::values::{self, TimeError, TimeUnit};

use super::proxy::{split_condition, Cx, Flow};

/// HAProxy's `invalid_domainchar`: letters, digits, `-`, `_` and `.` are allowed in a domain.
fn invalid_domain_char(s: &str) -> Option<char> {
    s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
}

/// A `<time>` argument in seconds with HAProxy's cookie-option wording.
fn seconds(cx: &mut Cx, d: &Directive, i: usize) -> Option<u32> {
    let (kw, arg) = (d.arg(i), d.arg(i + 1));
    match values::parse_time(arg, TimeUnit::S) {
        Ok(v) => {
            super::timeouts::trailing_warning(cx.r, arg);
            Some(v as u32)
        }
        Err(TimeError::Overflow) => {
            cx.alert_tight(
                d,
                format!("timer overflow in argument <{arg}> to <{kw}>, maximum value is 2147483647 s (~68 years)."),
            );
            None
        }
        Err(TimeError::Underflow) => {
            cx.alert_tight(d, format!("timer underflow in argument <{arg}> to <{kw}>, minimum non-null value is 1 s."));
            None
        }
        Err(e) => {
            let c = if let TimeError::Unexpected(c) = e { c } else { '?' };
            cx.alert_tight(d, format!("unexpected character '{c}' in argument to <{kw}>."));
            None
        }
    }
}

/// `cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly]
/// [secure] [domain <d>]* [maxidle <t>] [maxlife <t>] [dynamic] [attr <v>]*`.
pub fn cookie(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'cookie' expects <cookie_name> as argument.");
        return Flow::Continue;
    }
    // Each `cookie` line starts over; only the dynamic key survives.
    let mut c = CookieSpec { name: d.arg(1).to_string(), mode: CookieMode::Passive, ..Default::default() };
    let (mut rw, mut ins, mut pfx) = (false, false, false);
    let mut i = 2;
    while d.has_arg(i) {
        let w = d.arg(i);
        match w {
            "rewrite" => rw = true,
            "insert" => ins = true,
            "prefix" => pfx = true,
            "indirect" => c.indirect = true,
            "nocache" => c.nocache = true,
            "postonly" => c.postonly = true,
            "preserve" => c.preserve = true,
            "httponly" => c.httponly = true,
            "secure" => c.secure = true,
            "domain" => {
                let v = d.arg(i + 1);
                if v.is_empty() {
                    cx.alert_tight(d, "'domain' expects <domain> as argument.");
                    return Flow::Continue;
                }
                if !v.contains('.') {
                    cx.warning_tight(
                        d,
                        format!("domain '{v}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)."),
                    );
                }
                if let Some(ch) = invalid_domain_char(v) {
                    cx.alert_tight(d, format!("character '{ch}' is not permitted in domain name '{v}'."));
                    return Flow::Continue;
                }
                c.domains.push(v.to_string());
                i += 1;
            }
            "maxidle" | "maxlife" => {
                if !d.has_arg(i + 1) {
                    let what = if w == "maxidle" { "idletime" } else { "lifetime" };
                    cx.alert_tight(d, format!("'{w}' expects <{what}> in seconds as argument."));
                    return Flow::Continue;
                }
                let Some(v) = seconds(cx, d, i) else {
                    return Flow::Continue;
                };
                if w == "maxidle" {
                    c.maxidle = Some(v);
                } else {
                    c.maxlife = Some(v);
                }
                i += 1;
            }
            "dynamic" => {
                if !cx.p.caps.backend {
                    let msg = format!("'dynamic' ignored because {} has no backend capability.", cx.p.describe());
                    cx.r.warning(d, msg);
                }
                c.dynamic = true;
            }
            "attr" => {
                let v = d.arg(i + 1);
                if v.is_empty() {
                    cx.alert_tight(d, "'attr' expects <value> as argument.");
                    return Flow::Continue;
                }
                if let Some(b) = v.bytes().find(|b| b.is_ascii_control() || *b == b';') {
                    cx.alert_tight(d, format!("character '%x{b:02X}' is not permitted in attribute value."));
                    return Flow::Continue;
                }
                c.attrs.push(v.to_string());
                i += 1;
            }
            _ => {
                cx.r.alert_at(
                    d,
                    i,
                    "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.",
                );
                return Flow::Continue;
            }
        }
        i += 1;
    }
    if rw && c.indirect {
        cx.r.alert(d, "cookie 'rewrite' and 'indirect' modes are incompatible.");
    }
    if [rw, ins, pfx].iter().filter(|b| **b).count() > 1 {
        cx.r.alert(d, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
    }
    if c.preserve && !ins && !c.indirect {
        cx.r.alert(d, "cookie 'preserve' requires at least 'insert' or 'indirect'.");
    }
    c.mode = if ins {
        CookieMode::Insert
    } else if pfx {
        CookieMode::Prefix
    } else if rw {
        CookieMode::Rewrite
    } else {
        CookieMode::Passive
    };
    cx.p.cookie = Some(c);
    Flow::Continue
}

pub fn dynamic_cookie_key(cx: &mut Cx, d: &Directive) -> Flow {
    cx.warn_if_not_cap(d, true, "");
    if !d.has_arg(1) {
        cx.r.alert(d, "'dynamic-cookie-key' expects <secret_key> as argument.");
        return Flow::Continue;
    }
    cx.p.dynamic_cookie_key = Some(d.arg(1).to_string());
    Flow::Continue
}

/// `persist rdp-cookie[(<name>)]`.
pub fn persist(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "missing persist method.");
        return Flow::Continue;
    }
    let Some(rest) = d.arg(1).strip_prefix("rdp-cookie") else {
        cx.r.alert(d, "unknown persist method.");
        return Flow::Continue;
    };
    let name = if rest.is_empty() {
        "msts".to_string()
    } else if let Some(inner) = rest.strip_prefix('(') {
        if cx.too_many(d, 1) {
            return Flow::Continue;
        }
        match inner.find(')') {
            Some(end) if end > 0 => inner[..end].to_string(),
            _ => {
                cx.r.alert(d, "persist rdp-cookie(name)' requires an rdp cookie name.");
                return Flow::Continue;
            }
        }
    } else {
        cx.r.alert(d, "persist rdp-cookie(name)' requires an rdp cookie name.");
        return Flow::Continue;
    };
    cx.p.rdp_cookie = Some(name);
    Flow::Continue
}

/// `force-persist` / `ignore-persist` `if|unless <condition>`.
pub fn force_persist(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    cx.warn_if_not_cap(d, true, "");
    if !matches!(d.arg(1), "if" | "unless") {
        cx.r.alert(d, format!("'{}' requires either 'if' or 'unless' followed by a condition.", d.keyword()));
        return Flow::Continue;
    }
    let what = format!("error detected while parsing a '{}' rule", d.keyword());
    let Some(info) = super::proxy::rule_condition(cx, d, 1, &what) else {
        return Flow::Continue;
    };
    // Persistence rules run once the backend is known, before its content rules.
    if let Some(c) = info.conflict(acl::Ctx::BE_REQ_CNT) {
        cx.r.warning(d, c.message());
    }
    let (words, cond) = split_condition(d, 0);
    cx.p.persist_rules.push(Rule { span: d.span.clone(), words, cond });
    Flow::Continue
}

/// Stick-table data types: name, whether it is an array, and its argument (`Some(true)`: a
/// delay, `None`: nothing).
const DATA_TYPES: &[(&str, bool, Option<bool>)] = &[
    ("server_id", false, None),
    ("gpt0", false, None),
    ("gpc0", false, None),
    ("gpc0_rate", false, Some(true)),
    ("conn_cnt", false, None),
    ("conn_rate", false, Some(true)),
    ("conn_cur", false, None),
    ("sess_cnt", false, None),
    ("sess_rate", false, Some(true)),
    ("http_req_cnt", false, None),
    ("http_req_rate", false, Some(true)),
    ("http_err_cnt", false, None),
    ("http_err_rate", false, Some(true)),
    ("bytes_in_cnt", false, None),
    ("bytes_in_rate", false, Some(true)),
    ("bytes_out_cnt", false, None),
    ("bytes_out_rate", false, Some(true)),
    ("gpc1", false, None),
    ("gpc1_rate", false, Some(true)),
    ("server_key", false, None),
    ("http_fail_cnt", false, None),
    ("http_fail_rate", false, Some(true)),
    ("gpt", true, None),
    ("gpc", true, None),
    ("gpc_rate", true, Some(true)),
];

/// One `store` item: `Err` is HAProxy's message (without the `stick-table: ` prefix).
fn store_item(item: &str, seen: &mut Vec<String>, warnings: &mut Vec<String>) -> Result<(), String> {
    let (name, args) = match item.find('(') {
        Some(open) => {
            let inner = &item[open + 1..];
            let Some(close) = inner.find(')') else {
                return Err(format!("missing closing parenthesis after store option '{}'.", &item[..open]));
            };
            (&item[..open], Some(&inner[..close]))
        }
        None => (item, None),
    };
    let Some(&(_, array, arg)) = DATA_TYPES.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!("unknown store option '{name}'."));
    };
    if seen.iter().any(|s| s == name) {
        warnings.push(format!("store option '{name}' already enabled, ignored."));
        return Ok(());
    }
    let (mut sa, sa2) = match args {
        Some(a) => match a.split_once(',') {
            Some((x, y)) => (Some(x), Some(y)),
            None => (Some(a), None),
        },
        None => (None, None),
    };
    if array {
        let Some(n) = sa else {
            return Err(format!("missing argument to store option '{name}'."));
        };
        let n = values::atoi(n);
        if !(1..=100).contains(&n) {
            return Err(format!("array size is out of allowed range (1-100) for store option '{name}'."));
        }
        sa = sa2;
    }
    match (arg, sa) {
        (None, Some(_)) => return Err(format!("unexpected argument to store option '{name}'.")),
        (Some(_), None) => return Err(format!("missing argument to store option '{name}'.")),
        (Some(_), Some(v)) if values::parse_ms(v).is_err() => {
            return Err(format!("error when processing store option '{name}'."))
        }
        _ => {}
    }
    seen.push(name.to_string());
    Ok(())
}

/// `stick-table type <t> size <n> [expire <t>] [nopurge] [peers <p>] [srvkey name|addr]
/// [store <data>[,...]]`, HAProxy's `parse_stick_table`. Also used for `table` lines of `peers`
/// sections (`from` is then 2). Returns the spec and its warnings, or the error HAProxy prints.
pub fn parse_table(d: &Directive, from: usize, in_peers: bool) -> Result<(StickTableSpec, Vec<String>), TableError> {
    parse_table_inner(d, from, in_peers).map_err(|m| match m.strip_prefix(TIGHT) {
        Some(t) => TableError { tight: true, msg: t.to_string() },
        None => TableError { tight: false, msg: m },
    })
}

/// A `stick-table` error: its message, and whether HAProxy prints it `parsing [f:l]: ` (tight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    pub tight: bool,
    pub msg: String,
}

/// Marks the two timer messages HAProxy prints without a space before the colon.
const TIGHT: &str = "\u{1}";

fn parse_table_inner(d: &Directive, from: usize, in_peers: bool) -> Result<(StickTableSpec, Vec<String>), String> {
    let kw = d.keyword();
    let mut key = None;
    let mut size = 0u64;
    let mut expire = None;
    let mut nopurge = false;
    let mut peers = None;
    let mut srvkey = None;
    let mut store = Vec::new();
    let mut seen = Vec::new();
    let mut warnings = Vec::new();
    let mut i = from;
    while d.has_arg(i) {
        let w = d.arg(i);
        match w {
            "size" => {
                if !d.has_arg(i + 1) {
                    return Err(format!("{kw}: missing argument after '{w}'."));
                }
                size = values::parse_size(d.arg(i + 1))
                    .map_err(|c| format!("{kw}: unexpected character '{c}' in argument of '{w}'."))?;
                i += 2;
            }
            "peers" if !in_peers => {
                if !d.has_arg(i + 1) {
                    return Err(format!("{kw}: missing argument after '{w}'."));
                }
                peers = Some(d.arg(i + 1).to_string());
                i += 2;
            }
            "expire" => {
                if !d.has_arg(i + 1) {
                    return Err(format!("{kw}: missing argument after '{w}'."));
                }
                let v = d.arg(i + 1);
                expire = Some(values::parse_ms(v).map_err(|e| match e {
                    TimeError::Overflow => format!(
                        "{TIGHT}{kw}: timer overflow in argument <{v}> to <{w}>, maximum value is 2147483647 ms (~24.8 days)."
                    ),
                    TimeError::Underflow => format!(
                        "{TIGHT}{kw}: timer underflow in argument <{v}> to <{w}>, minimum non-null value is 1 ms."
                    ),
                    TimeError::Unexpected(c) => format!("{kw}: unexpected character '{c}' in argument of '{w}'."),
                    TimeError::Empty => format!("{kw}: missing argument after '{w}'."),
                })?);
                i += 2;
            }
            "nopurge" => {
                nopurge = true;
                i += 1;
            }
            "type" => {
                i += 1;
                let t = d.arg(i);
                let custom = matches!(t, "string" | "binary");
                let k = match t {
                    "ip" => TableKey::Ip,
                    "ipv6" => TableKey::Ipv6,
                    "integer" => TableKey::Integer,
                    // HAProxy's default key size is 32 bytes with the string's NUL: 31
                    // characters, where `len 32` gives 32 (and 33 bytes).
                    "string" => TableKey::String { len: 31 },
                    "binary" => TableKey::Binary { len: 32 },
                    _ => return Err(format!("{kw}: unknown type '{t}'.")),
                };
                i += 1;
                let mut k = k;
                if custom && d.arg(i) == "len" {
                    i += 1;
                    let n = values::atoi(d.arg(i));
                    if n <= 0 {
                        return Err(format!("{kw}: unknown type '{}'.", d.arg(i)));
                    }
                    k = if t == "string" {
                        TableKey::String { len: n as u32 }
                    } else {
                        TableKey::Binary { len: n as u32 }
                    };
                    i += 1;
                }
                key = Some(k);
            }
            "store" => {
                i += 1;
                let list = d.arg(i);
                let mut depth = 0;
                let mut start = 0;
                let bytes = list.as_bytes();
                for (j, b) in bytes.iter().enumerate() {
                    match b {
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        b',' if depth == 0 => {
                            let item = &list[start..j];
                            store_item(item, &mut seen, &mut warnings).map_err(|m| format!("{kw}: {m}"))?;
                            store.push(item.to_string());
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
                if start < list.len() {
                    let item = &list[start..];
                    store_item(item, &mut seen, &mut warnings).map_err(|m| format!("{kw}: {m}"))?;
                    store.push(item.to_string());
                }
                let has = |n: &str| seen.iter().any(|s| s == n);
                if has("gpt") && has("gpt0") {
                    return Err(format!("{kw}: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'."));
                }
                if has("gpc") && (has("gpc0") || has("gpc1")) {
                    return Err(format!("{kw}: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'."));
                }
                if has("gpc_rate") && (has("gpc0_rate") || has("gpc1_rate")) {
                    return Err(format!("{kw}: simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'."));
                }
                i += 1;
            }
            "srvkey" => {
                i += 1;
                match d.arg(i) {
                    "name" | "addr" => srvkey = Some(d.arg(i).to_string()),
                    other => return Err(format!("{kw} : unknown server key type '{other}'.")),
                }
                i += 1;
            }
            other => return Err(format!("{kw}: unknown argument '{other}'.")),
        }
    }
    if size == 0 {
        return Err(format!("{kw}: missing size."));
    }
    let Some(key) = key else {
        return Err(format!("{kw}: missing type."));
    };
    let spec = StickTableSpec { span: d.span.clone(), key, size, expire, nopurge, peers, srvkey, store, seq: 0 };
    Ok((spec, warnings))
}

pub fn stick_table(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.p.is_defaults() {
        cx.r.alert(d, "'stick-table' is not supported in 'defaults' section.");
        return Flow::Continue;
    }
    if let Some((what, owner, at)) = cx.st.tables.iter().find(|(_, owner, _)| *owner == cx.p.name).cloned() {
        let msg = format!(
            "stick-table name '{}' conflicts with table declared in {what} '{owner}' at {}:{}.",
            cx.p.name, at.file, at.line
        );
        cx.r.alert(d, msg);
        return Flow::Continue;
    }
    // The timer parser warns about characters after the unit as soon as it reads `expire`.
    let mut i = 1;
    while d.has_arg(i + 1) {
        if d.arg(i) == "expire" && values::parse_ms(d.arg(i + 1)).is_ok() {
            super::timeouts::trailing_warning(cx.r, d.arg(i + 1));
            break;
        }
        i += 1;
    }
    match parse_table(d, 1, false) {
        Ok((spec, warnings)) => {
            for w in warnings {
                cx.warning_tight(d, format!("stick-table: {w}"));
            }
            let owner = (cx.p.caps.type_name().to_string(), cx.p.name.clone(), spec.span.clone());
            let spec = StickTableSpec { seq: cx.st.tables.len() as u32, ..spec };
            cx.st.tables.push(owner);
            cx.p.stick_table = Some(spec);
        }
        Err(e) if e.tight => cx.alert_tight(d, e.msg),
        Err(e) => cx.r.alert(d, e.msg),
    }
    Flow::Continue
}

/// `stick on|match|store-request|store-response <pattern> [table <name>] [if|unless <cond>]`,
/// HAProxy's parser: the pattern is a sample expression (converters may follow as separate
/// words), checked against what is available when the rule runs.
pub fn stick(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.alert_if_defaults(d) {
        return Flow::Continue;
    }
    if cx.warn_if_not_cap(d, true, "") {
        return Flow::Continue;
    }
    let kind = match d.arg(1) {
        "store" | "store-request" => StickKind::StoreRequest,
        "store-response" => StickKind::StoreResponse,
        "match" => StickKind::Match,
        "on" => StickKind::On,
        _ => {
            cx.r.alert(d, "'stick' expects 'on', 'match', or 'store'.");
            return Flow::Continue;
        }
    };
    if !d.has_arg(2) {
        cx.r.alert(d, "'stick' expects a fetch method.");
        return Flow::Continue;
    }
    let words: Vec<&str> = (0..d.len()).map(|i| d.arg(i)).collect();
    let mut i = 2;
    let parsed = match acl::parse_sample_expr(&words, &mut i) {
        Ok(e) => e,
        Err(e) => {
            cx.r.alert_at(d, e.word, format!("'stick': {}", e.msg));
            return Flow::Continue;
        }
    };
    let response = kind == StickKind::StoreResponse;
    let place = if response { acl::Ctx::BE_STO_RUL } else { acl::Ctx::BE_SET_SRV };
    if !parsed.fetch.val.intersects(place) {
        let src = acl::fetch_source(parsed.fetch.name).unwrap_or("internal state");
        let when = if response { "for 'store-response'" } else { "during request" };
        cx.r.alert_at(
            d,
            2,
            format!(
                "'stick': fetch method '{}' extracts information from '{src}', none of which is available {when}.",
                parsed.fetch.name
            ),
        );
        return Flow::Continue;
    }
    let expr = words[2..i].join(" ");
    let mut table = None;
    if d.arg(i) == "table" {
        table = Some(d.arg(i + 1).to_string());
        i += 2;
    }
    let cond = if matches!(d.arg(i), "if" | "unless") {
        let Some(info) =
            super::proxy::rule_condition(cx, d, i, "'stick': error detected while parsing sticking condition")
        else {
            return Flow::Continue;
        };
        if let Some(c) = info.conflict(place) {
            cx.r.warning(d, c.message());
        }
        split_condition(d, i).1
    } else if d.has_arg(i) {
        cx.r.alert_at(d, i, format!("'stick': unknown keyword '{}'.", d.arg(i)));
        return Flow::Continue;
    } else {
        None
    };
    cx.p.stick_rules.push(StickRule { span: d.span.clone(), kind, expr, parsed: Some(parsed), table, cond });
    Flow::Continue
}

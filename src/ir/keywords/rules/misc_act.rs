//! Actions several rule sets share (HAProxy's vars.c, stick_table.c, tcp_act.c, queue.c,
//! stream.c, resolvers.c, spoe, opentracing and cache parsers), and the C-style number readers
//! their messages depend on.

use super::Act;
use crate::acl::{self, Ctx};
use crate::ir::rules::{Action, Gpc, GptValue, LateCheck, RuleSet, TrackLevel, VarCond, VarRef};

/// C `strtol(s, &end, base)` (base 10 or 0): the value (saturated) and the unparsed rest.
pub fn c_strtol(s: &str, base: u32) -> (i64, &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || (b'\t'..=b'\r').contains(&b[i])) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut radix = base;
    if base == 0 {
        if b[i..].starts_with(b"0x") || b[i..].starts_with(b"0X") {
            if b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) {
                radix = 16;
                i += 2;
            } else {
                radix = 10;
            }
        } else if b.get(i) == Some(&b'0') {
            radix = 8;
        } else {
            radix = 10;
        }
    }
    let start = i;
    let mut v: i64 = 0;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(radix) else { break };
        v = v.saturating_mul(i64::from(radix)).saturating_add(i64::from(d));
        i += 1;
    }
    if i == start {
        // Nothing converted: the whole text is left.
        return (0, s);
    }
    (if neg { -v } else { v }, &s[i..])
}

/// `parse_time_err` outcomes beyond a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeErr {
    Over,
    Under,
    /// The character parsing stopped at (`'\0'` for an empty text).
    At(char),
}

/// HAProxy's `parse_time_err(text, &ms, TIME_UNIT_MS)`.
pub fn parse_time_c(text: &str) -> Result<u64, TimeErr> {
    use crate::ir::values::{parse_time, TimeError, TimeUnit};
    match parse_time(text, TimeUnit::Ms) {
        Ok(v) => Ok(v),
        Err(TimeError::Empty) => Err(TimeErr::At('\0')),
        Err(TimeError::Unexpected(c)) => Err(TimeErr::At(c)),
        Err(TimeError::Overflow) => Err(TimeErr::Over),
        Err(TimeError::Underflow) => Err(TimeErr::Under),
    }
}

fn src_names(e: &acl::SampleExpr) -> &'static str {
    acl::fetch_source(e.fetch.name).unwrap_or("internal state")
}

fn none_here(shown: &str, e: &acl::SampleExpr) -> String {
    format!("fetch method '{shown}' extracts information from '{}', none of which is available here", src_names(e))
}

/// `wait-for-handshake`: no argument.
pub fn no_args_final_false(_a: &mut Act, _cur: &mut usize) -> Result<Action, String> {
    Ok(Action::Unsupported)
}

pub fn silent_drop(a: &mut Act, _cur: &mut usize) -> Result<Action, String> {
    a.is_final = true;
    Ok(Action::SilentDrop)
}

const VAR_CONDS: &[(&str, VarCond)] = &[
    ("ifexists", VarCond::IfExists),
    ("ifnotexists", VarCond::IfNotExists),
    ("ifempty", VarCond::IfEmpty),
    ("ifnotempty", VarCond::IfNotEmpty),
    ("ifset", VarCond::IfSet),
    ("ifnotset", VarCond::IfNotSet),
    ("ifgt", VarCond::IfGt),
    ("iflt", VarCond::IfLt),
];

/// `set-var(<name>[,<cond>...]) <expr>`, `set-var-fmt(<name>[,<cond>...]) <fmt>`,
/// `unset-var(<name>)` (HAProxy's `parse_store`).
pub fn vars(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let (rest, mode) = if let Some(r) = kw.strip_prefix("set-var-fmt") {
        (r, 2)
    } else if let Some(r) = kw.strip_prefix("set-var") {
        (r, 1)
    } else {
        (kw.strip_prefix("unset-var").unwrap_or(kw), 0)
    };
    let Some(inner) = rest.strip_prefix('(') else {
        return Err(format!(
            "invalid or incomplete action '{kw}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"
        ));
    };
    let Some(inner) = inner.strip_suffix(')') else {
        return Err(format!(
            "incomplete argument after action '{kw}'. Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'"
        ));
    };
    let mut parts = inner.split(',');
    let name = parts.next().unwrap_or("");
    let conds_text: Vec<&str> = parts.collect();
    let mut conds = Vec::new();
    if conds_text.first().is_some_and(|c| !c.is_empty()) && mode == 0 {
        return Err("unset-var does not expect parameters after the variable name. Only \"set-var\" and \"set-var-fmt\" manage conditions".into());
    }
    for c in conds_text {
        if c.is_empty() {
            break;
        }
        match VAR_CONDS.iter().find(|(n, _)| *n == c) {
            Some((_, v)) => conds.push(*v),
            None => return Err(format!("unknown condition \"{c}\"")),
        }
    }
    if let Err(e) = acl::smp_check::check_var_name(name) {
        // HAProxy prints the rest of the action word from the faulty character on.
        if let Some(at) = e.strip_prefix("invalid syntax at char '").and_then(|r| r.strip_suffix('\'')) {
            let start = kw.len() - rest.len() + 1 + (name.len() - at.len());
            return Err(format!("invalid syntax at char '{}'", &kw[start..]));
        }
        return Err(e);
    }
    let var = VarRef::parse(name).ok_or_else(|| format!("invalid variable name '{name}'"))?;
    if mode == 0 {
        return Ok(Action::UnsetVar { var });
    }
    let place = a.where_both();
    if mode == 2 {
        let text = a.arg(*cur);
        let fmt = a.fmt(text, place, false)?;
        *cur += 1;
        return Ok(Action::SetVarFmt { var, conds, fmt });
    }
    let expr = a.expr(cur)?;
    if !expr.fetch.val.intersects(place) {
        return Err(none_here(kw, &expr));
    }
    Ok(Action::SetVar { var, conds, expr })
}

/// HAProxy's `cfg_parse_track_sc_num` on the text after `track-sc`.
pub fn track_sc_num(s: &str) -> Result<u8, String> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Wrong track-sc number '{s}'"));
    }
    let (v, _) = c_strtol(s, 10);
    if v >= 3 {
        return Err(format!("{v} track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value"));
    }
    Ok(v as u8)
}

/// `track-sc<n> <key> [table <t>]` in http rules.
pub fn http_track_sc(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let sc = track_sc_num(&kw[8..])?;
    let mut c = *cur;
    let e = a.expr(&mut c)?;
    let place = a.where_both();
    if !e.fetch.val.intersects(place) {
        return Err(none_here(a.arg(c - 1), &e));
    }
    let mut table = None;
    if a.arg(c) == "table" {
        c += 1;
        if a.arg(c).is_empty() {
            return Err("missing table name".into());
        }
        table = Some(a.arg(c).to_string());
        c += 1;
    }
    a.check = Some(LateCheck::Track { sc, table: table.clone(), key: e.clone() });
    *cur = c;
    let level = if a.set == RuleSet::HttpReq { TrackLevel::HttpRequest } else { TrackLevel::HttpResponse };
    Ok(Action::TrackSc { sc, table, key: e, level })
}

/// `sc-inc-gpc(<idx>,<sc>)`, `sc-inc-gpc0[(<sc>)]`, `sc-inc-gpc1[(<sc>)]`.
pub fn sc_inc_gpc(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let rest = &kw["sc-inc-gpc".len()..];
    let (gpc, sc) = if let Some(r) = rest.strip_prefix('(') {
        let (idx, after) = c_strtol(r, 10);
        let Some(after) = after.strip_prefix(',') else {
            return Err(format!("Missing gpc ID '{kw}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"));
        };
        let (sc, end) = c_strtol(after, 10);
        if !end.starts_with(')') {
            return Err(format!("invalid stick table track ID '{kw}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"));
        }
        if !(0..3).contains(&sc) {
            return Err(format!("invalid stick table track ID '{kw}'. The max allowed ID is 2"));
        }
        (Gpc::Idx(idx as u32), sc)
    } else if rest.starts_with('0') || rest.starts_with('1') {
        let which = Gpc::Legacy(rest.as_bytes()[0] - b'0');
        let r = &rest[1..];
        if r.is_empty() {
            (which, 0)
        } else {
            let Some(r) = r.strip_prefix('(') else {
                return Err(format!("invalid stick table track ID. Expects {kw}(<Track ID>)"));
            };
            let (sc, end) = c_strtol(r, 10);
            if !end.starts_with(')') {
                return Err(format!("invalid stick table track ID. Expects {kw}(<Track ID>)"));
            }
            if !(0..3).contains(&sc) {
                return Err("invalid stick table track ID. The max allowed ID is 2".into());
            }
            (which, sc)
        }
    } else {
        return Err(format!("invalid gpc ID '{kw}'. Expects sc-inc-gpc(<GPC ID>,<Track ID>)"));
    };
    Ok(Action::ScIncGpc { gpc, sc: sc as u8 })
}

/// `sc-set-gpt(<idx>,<sc>) <int|expr>`, `sc-set-gpt0[(<sc>)] <int|expr>`.
pub fn sc_set_gpt(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let rest = &kw["sc-set-gpt".len()..];
    let (idx, sc) = if let Some(r) = rest.strip_prefix('(') {
        let (idx, after) = c_strtol(r, 10);
        let Some(after) = after.strip_prefix(',') else {
            return Err(format!("Missing gpt ID '{kw}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"));
        };
        let (sc, end) = c_strtol(after, 10);
        if !end.starts_with(')') {
            return Err(format!("invalid stick table track ID '{kw}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"));
        }
        if !(0..3).contains(&sc) {
            return Err(format!("invalid stick table track ID '{kw}'. The max allowed ID is 2"));
        }
        (Some(idx as u32), sc)
    } else if let Some(r) = rest.strip_prefix('0') {
        if r.is_empty() {
            (None, 0)
        } else {
            let Some(r) = r.strip_prefix('(') else {
                return Err(format!("invalid stick table track ID '{kw}'. Expects sc-set-gpt0(<Track ID>)"));
            };
            let (sc, end) = c_strtol(r, 10);
            if !end.starts_with(')') {
                return Err(format!("invalid stick table track ID '{kw}'. Expects sc-set-gpt0(<Track ID>)"));
            }
            if !(0..3).contains(&sc) {
                return Err(format!("invalid stick table track ID '{kw}'. The max allowed ID is 2"));
            }
            (None, sc)
        }
    } else {
        return Err(format!("invalid gpt ID '{kw}'. Expects sc-set-gpt(<GPT ID>,<Track ID>)"));
    };
    let (n, end) = c_strtol(a.arg(*cur), 10);
    let value = if end.is_empty() {
        *cur += 1;
        GptValue::Int(n)
    } else {
        let e = a.expr(cur)?;
        let place = match a.set {
            RuleSet::TcpReqConn => Ctx::FE_CON_ACC,
            RuleSet::TcpReqSess => Ctx::FE_SES_ACC,
            RuleSet::TcpReqCont => Ctx::FE_REQ_CNT,
            RuleSet::TcpResCont => Ctx::BE_RES_CNT,
            RuleSet::HttpReq | RuleSet::Redirect => Ctx::FE_HRQ_HDR,
            RuleSet::HttpRes | RuleSet::HttpAfter => Ctx::BE_HRS_HDR,
        };
        if !e.fetch.val.intersects(place) {
            return Err(none_here(a.arg(*cur - 1), &e));
        }
        GptValue::Expr(e)
    };
    Ok(Action::ScSetGpt { idx, sc: sc as u8, value })
}

/// `set-src`, `set-src-port`, `set-dst`, `set-dst-port <expr>`.
pub fn set_src_dst(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let mut c = *cur;
    let e = a.expr(&mut c)?;
    let mut place = Ctx::default();
    if a.fe() {
        place = place | Ctx::FE_HRQ_HDR;
    }
    if a.be() {
        place = place | Ctx::BE_HRQ_HDR;
    }
    if !e.fetch.val.intersects(place) {
        return Err(none_here(a.arg(c - 1), &e));
    }
    *cur = c;
    Ok(Action::Unsupported)
}

/// `set-mark` / `set-tos <integer|hex>`.
pub fn set_mark(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let v = a.arg(*cur);
    if v.is_empty() {
        return Err("expects exactly 1 argument (integer/hex value)".into());
    }
    let (_, end) = c_strtol(v, 0);
    if !end.is_empty() {
        return Err(format!("invalid character starting at '{end}' (integer/hex value expected)"));
    }
    *cur += 1;
    Ok(Action::Unsupported)
}

pub fn set_nice(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    if a.arg(*cur).is_empty() {
        return Err("expects exactly 1 argument (integer value)".into());
    }
    *cur += 1;
    Ok(Action::Unsupported)
}

pub const LOG_LEVELS: &[&str] = &["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

pub fn set_log_level(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let v = a.arg(*cur);
    if v.is_empty() || (v != "silent" && !LOG_LEVELS.contains(&v)) {
        return Err("expects exactly 1 argument (log level name or 'silent')".into());
    }
    *cur += 1;
    Ok(Action::Unsupported)
}

/// `set-priority-class` / `set-priority-offset <expr>`.
pub fn set_priority(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let e = a.expr(cur)?;
    let mut place = Ctx::default();
    if a.fe() {
        place = place | Ctx::FE_HRQ_HDR;
    }
    if a.be() {
        place = place | Ctx::BE_HRQ_HDR;
    }
    if !e.fetch.val.intersects(place) {
        return Err(none_here(a.arg(0), &e));
    }
    Ok(Action::Unsupported)
}

/// Services `use-service` knows.
pub const SERVICES: &[&str] = &["prometheus-exporter"];

pub fn use_service(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    if a.arg(*cur).is_empty() {
        return Err(format!("'{}' expects a service name.", a.arg(0)));
    }
    if !SERVICES.contains(&a.arg(*cur)) {
        return Err(format!("'{}' unknown service name.", a.arg(1)));
    }
    if a.set != RuleSet::HttpReq {
        return Err("Prometheus exporter service only available on 'http-request' rulesets".into());
    }
    *cur += 1;
    a.is_final = true;
    Ok(Action::Unsupported)
}

/// `do-resolve(<var>,<resolvers>[,ipv4|ipv6]) <expr>`.
pub fn do_resolve(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let kw = a.arg(*cur - 1);
    let err = |w: &str| {
        format!(
            "Can't parse '{w}'. Expects 'do-resolve(<varname>,<resolvers>[,<options>]) <expr>'. Available options are 'ipv4' and 'ipv6'"
        )
    };
    let parsed = (|| {
        let open = kw.find('(')?;
        let inner = &kw[open + 1..];
        let comma = inner.find(',')?;
        let after = &inner[comma + 1..];
        let end = after.find(',').or_else(|| after.find(')'))?;
        let resolvers = after[..end].to_string();
        let mut rest = &after[end..];
        while !rest.starts_with(')') {
            let opt = &rest[1..];
            let e = opt.find(',').or_else(|| opt.find(')'))?;
            let o = &opt[..e];
            if !"ipv4".starts_with(o) && !"ipv6".starts_with(o) {
                return None;
            }
            rest = &opt[e..];
        }
        Some(resolvers)
    })();
    let Some(resolvers) = parsed else {
        return Err(err(kw));
    };
    let mut c = *cur;
    let e = a.expr(&mut c).map_err(|_| err(a.arg(c)))?;
    let mut place = Ctx::default();
    if a.fe() {
        place = place | Ctx::FE_HRQ_HDR;
    }
    if a.be() {
        place = place | Ctx::BE_HRQ_HDR;
    }
    if !e.fetch.val.intersects(place) {
        return Err(none_here(a.arg(c - 1), &e));
    }
    a.check = Some(LateCheck::Resolvers(resolvers));
    *cur = c;
    Ok(Action::Unsupported)
}

pub fn send_spoe_group(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() || (!a.arg(c + 2).is_empty() && !a.is_cond(c + 2)) {
        return Err("expects 2 arguments: <engine-id> <group-id>".into());
    }
    a.check = Some(LateCheck::SpoeGroup { engine: a.arg(c).to_string(), group: a.arg(c + 1).to_string() });
    *cur += 2;
    Ok(Action::Unsupported)
}

pub fn ot_group(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    if a.arg(c).is_empty() || a.arg(c + 1).is_empty() || (!a.arg(c + 2).is_empty() && !a.is_cond(c + 2)) {
        return Err("expects: <filter-id> <group-id> [{ if | unless } ...]".into());
    }
    a.check = Some(LateCheck::OtGroup { filter: a.arg(c).to_string(), group: a.arg(c + 1).to_string() });
    *cur += 2;
    Ok(Action::Unsupported)
}

/// `cache-use` / `cache-store <name>`.
pub fn cache_rule(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let name = a.arg(*cur);
    if name.is_empty() || a.is_cond(*cur) {
        return Err("expects a cache name".into());
    }
    a.check = Some(LateCheck::Cache(name.to_string()));
    *cur += 1;
    Ok(Action::Unsupported)
}

/// MUX protocols `switch-mode ... proto` accepts.
const MUX_PROTOS: &[&str] = &["h2", "h1", "fcgi", "none"];

/// `tcp-request content switch-mode http [proto <mux>]`.
pub fn switch_mode(a: &mut Act, cur: &mut usize) -> Result<Action, String> {
    let c = *cur;
    let (a0, kw) = (a.arg(0), a.arg(c - 1));
    if a.arg(c).is_empty() {
        return Err(format!("'{a0} {kw}' expects a mode as argument."));
    }
    if !a.fe() {
        return Err(format!(
            "'{a0} {kw}' not allowed because {} '{}' has no frontend capability",
            a.px_type(),
            a.p.name
        ));
    }
    if a.arg(c) != "http" {
        return Err(format!("'{a0} {kw}' expects a valid mode (got '{}').", a.arg(c)));
    }
    let mut next = c + 1;
    if a.arg(c + 1) == "proto" {
        if a.arg(c + 2).is_empty() {
            return Err(format!("'{a0} {kw}': '{}' expects a protocol as argument.", a.arg(c + 1)));
        }
        if !MUX_PROTOS.contains(&a.arg(c + 2)) {
            return Err(format!(
                "'{a0} {kw}': '{}' expects a valid MUX protocol, if specified (got '{}')",
                a.arg(c + 1),
                a.arg(c + 2)
            ));
        }
        next += 2;
    }
    *cur = next;
    a.is_final = true;
    Ok(Action::Unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(c_strtol("12ab", 10), (12, "ab"));
        assert_eq!(c_strtol("abc", 10), (0, "abc"));
        assert_eq!(c_strtol("0x1f", 0), (31, ""));
        assert_eq!(c_strtol("010", 0), (8, ""));
        assert_eq!(c_strtol(" -5", 10), (-5, ""));
        assert_eq!(c_strtol("", 10), (0, ""));
    }

    #[test]
    fn track_sc_numbers() {
        assert_eq!(track_sc_num("1"), Ok(1));
        assert_eq!(track_sc_num("3").unwrap_err(), "3 track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value");
    }
}

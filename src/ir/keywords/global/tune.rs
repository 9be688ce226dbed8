//! `tune.*` keywords: buffer and header sizes, timers, on/off switches, HTTP/2, Lua and
//! variable limits. None of them changes what haproxide does except the buffer and header
//! limits (`Global::buffers` gives their effective values; see the table for which are
//! refused).

use crate::config::ast::Directive;
use crate::ir::values::{self, TimeError};

use super::{atoi, atol, strtol, Cx, Status};

thread_local! {
    /// `tune.bufsize` and `tune.maxrewrite` as read so far: HAProxy sizes the error files and
    /// reply files of later sections with the values set when they are parsed.
    static PARSE_TIME: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((16384, 1024)) };
}

/// Start reading a configuration: the defaults apply until a global line sets them.
pub fn reset_parse_time() {
    PARSE_TIME.with(|c| c.set((16384, 1024)));
}

/// `tune.bufsize` as read so far.
pub fn parse_time_bufsize() -> u64 {
    PARSE_TIME.with(|c| c.get().0)
}

/// `tune.maxrewrite` as read so far (not yet capped at half the buffer, as in HAProxy).
pub fn parse_time_maxrewrite() -> u64 {
    PARSE_TIME.with(|c| c.get().1)
}

pub fn bufsize(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'tune.bufsize' expects an integer argument.");
        return;
    }
    // An int, rounded up to a multiple of two pointers.
    let v = (atol(d.arg(1)) as i32).wrapping_add(15) & -16;
    if v <= 0 {
        cx.alert(d, "'tune.bufsize' expects a positive integer argument.");
        return;
    }
    cx.store("tune.bufsize", i64::from(v));
    PARSE_TIME.with(|c| c.set((v as u64, c.get().1)));
    // Below this HAProxy 2.6.12 cannot build its own error pages and refuses the configuration
    // (one alert per page); haproxide does not reproduce those alerts.
    if v < 352 {
        cx.note = Some((Status::Rejected, "'tune.bufsize' below 352".into()));
    }
}

pub fn maxrewrite(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'tune.maxrewrite' expects an integer argument.");
        return;
    }
    let v = atol(d.arg(1)) as i32;
    if v < 0 {
        cx.alert(d, "'tune.maxrewrite' expects a positive integer argument.");
        return;
    }
    cx.store("tune.maxrewrite", i64::from(v));
    PARSE_TIME.with(|c| c.set((c.get().0, v as u64)));
}

pub fn idletimer(cx: &mut Cx, d: &Directive) {
    let range = "'tune.idletimer' expects a timer value between 0 and 65535 ms.";
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, range);
        return;
    }
    let arg = d.arg(1);
    match values::parse_ms(arg) {
        Ok(v) if v > 65535 => cx.alert(d, range),
        Ok(_) => {}
        Err(TimeError::Overflow) => cx.alert_tight(
            d,
            format!("timer overflow in argument <{arg}> to <tune.idletimer>, maximum value is 65535 ms."),
        ),
        Err(TimeError::Underflow) => cx.alert_tight(
            d,
            format!("timer underflow in argument <{arg}> to <tune.idletimer>, minimum non-null value is 1 ms."),
        ),
        Err(TimeError::Unexpected(c)) => {
            cx.alert_tight(d, format!("unexpected character '{c}' in argument to <tune.idletimer>."))
        }
        Err(TimeError::Empty) => cx.alert(d, range),
    }
}

pub fn maxhdr(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'tune.http.maxhdr' expects an integer argument.");
        return;
    }
    let v = atoi(d.arg(1));
    if !(1..=32767).contains(&v) {
        cx.alert(d, "'tune.http.maxhdr' expects a numeric value between 1 and 32767");
        return;
    }
    cx.store("tune.http.maxhdr", i64::from(v));
    // Below 5 HAProxy 2.6.12 fails to parse some of its own error pages (4 headers each) and
    // refuses the configuration; haproxide does not reproduce those alerts.
    if v < 5 {
        cx.note = Some((Status::Rejected, "'tune.http.maxhdr' below 5".into()));
    }
}

pub fn comp_maxlevel(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) || !(1..=9).contains(&atoi(d.arg(1))) {
        cx.alert(d, "'tune.comp.maxlevel' expects a numeric value between 1 and 9");
    }
}

pub fn pattern_cache_size(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) || atoi(d.arg(1)) < 0 {
        cx.alert(d, "'tune.pattern.cache-size' expects a positive numeric value");
    }
}

pub fn chksize(cx: &mut Cx, d: &Directive) {
    cx.alert_tight(d, "option 'tune.chksize' is not supported any more (tune.bufsize is used instead).");
}

pub fn fail_alloc(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !(0..=100).contains(&atoi(d.arg(1))) {
        cx.alert(d, "'tune.fail-alloc' expects a numeric value between 0 and 100.");
    }
}

pub fn on_off(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if kw == "tune.fd.edge-triggered" && !cx.g.expose_experimental {
        cx.alert(
            d,
            format!("'{kw}' directive is experimental, must be allowed via a global 'expose-experimental-directives'"),
        );
        return;
    }
    if cx.too_many(d, 1) {
        return;
    }
    if !matches!(d.arg(1), "on" | "off") {
        cx.alert(d, format!("'{kw}' expects either 'on' or 'off' but got '{}'.", d.arg(1)));
    }
}

pub fn h2_range(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if cx.too_many(d, 1) {
        return;
    }
    let (lo, hi) = if kw == "tune.h2.header-table-size" { (4096, 65536) } else { (16384, 16_777_215) };
    if !(lo..=hi).contains(&atoi(d.arg(1))) {
        cx.alert(d, format!("'{kw}' expects a numeric value between {lo} and {hi}."));
    }
}

pub fn positive_int(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if atoi(d.arg(1)) < 0 {
        cx.alert(d, format!("'{}' expects a positive numeric value.", d.keyword()));
    }
}

pub fn peers_max_updates(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if atoi(d.arg(1)) <= 0 {
        cx.alert(d, "'tune.peers.max-updates-at-once' expects an integer argument greater than 0.");
    }
}

pub fn fd_ratio(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) || !(0..=100).contains(&atoi(d.arg(1))) {
        cx.alert(d, format!("'{kw}' expects an integer argument between 0 and 100."));
    }
}

/// `tune.vars.*-max-size`: `strtol` over the whole word (no unit suffix).
pub fn vars_size(cx: &mut Cx, d: &Directive) {
    let (_, rest) = strtol(d.arg(1));
    if !rest.is_empty() {
        cx.alert(d, format!("{}: '{}' is an invalid size", d.keyword(), d.arg(1)));
    }
}

pub fn lua_forced_yield(cx: &mut Cx, d: &Directive) {
    let (_, rest) = strtol(d.arg(1));
    if !rest.is_empty() {
        cx.alert(d, "tune.lua.forced-yield: invalid number");
    }
}

pub fn lua_maxmem(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert(d, "'tune.lua.maxmem' expects an integer argument (Lua memory size in MB).");
        return;
    }
    let (_, rest) = strtol(d.arg(1));
    if let Some(c) = rest.chars().next() {
        cx.alert(d, format!("tune.lua.maxmem: invalid number {} (error at '{c}')", d.arg(1)));
    }
}

pub fn lua_timeout(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    let arg = d.arg(1);
    match values::parse_ms(arg) {
        Ok(_) => {}
        Err(TimeError::Overflow) => cx.alert(
            d,
            format!("timer overflow in argument <{arg}> to <{kw}> (maximum value is 2147483647 ms or ~24.8 days)"),
        ),
        Err(TimeError::Underflow) => {
            cx.alert(d, format!("timer underflow in argument <{arg}> to <{kw}> (minimum value is 1 ms)"))
        }
        Err(_) => cx.alert(d, format!("{kw}: invalid timeout")),
    }
}

//! Logging in proxy sections: `log` (targets, `log global`, `no log`), `log-format`,
//! `log-format-sd`, `error-log-format`, `log-tag`, `unique-id-format` and `unique-id-header`.
//! Format strings are compiled after parsing, as HAProxy does (see validate.rs).

use crate::config::ast::Directive;
use crate::ir::addr::{self, AddrOpts};
use crate::ir::types::{LogFormat, LogTarget};
use crate::ir::values;

use super::global::{FACILITIES, LEVELS};
use super::proxy::{Cx, Flow};
use super::Modifier;

const FORMATS: &[&str] = &["local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"];

/// HAProxy's `parse_logsrv` for `log <target> [len <n>] [format <f>] [sample <ranges>:<size>]
/// <facility> [<level> [<minlevel>]]`. `Err` is the message after `log : `.
pub fn parse_target(d: &Directive, in_global: bool) -> Result<LogTarget, String> {
    if !d.has_arg(1) || !d.has_arg(2) {
        return Err(format!(
            "expects <address> and <facility> {} as arguments",
            if in_global { "" } else { "or global" }
        ));
    }
    let mut i = 2;
    let mut len = None;
    if d.arg(i) == "len" {
        let v = values::atoi(d.arg(i + 1));
        if !(80..=65535).contains(&v) {
            return Err(format!("invalid log length '{}', must be between 80 and 65535", d.arg(i + 1)));
        }
        len = Some(v as u32);
        i += 2;
    }
    let mut format = None;
    if d.arg(i) == "format" {
        let f = d.arg(i + 1);
        if !FORMATS.contains(&f) {
            return Err(format!("unknown log format '{f}'"));
        }
        format = Some(f.to_string());
        i += 2;
    }
    let mut sample = None;
    if d.arg(i) == "sample" {
        let v = d.arg(i + 1);
        check_sample(v)?;
        sample = Some(v.to_string());
        i += 2;
    }
    let facility = d.arg(i);
    if !FACILITIES.contains(&facility) {
        return Err(format!("unknown log facility '{facility}'"));
    }
    i += 1;
    let mut level = None;
    if d.has_arg(i) {
        if !LEVELS.contains(&d.arg(i)) {
            return Err(format!("unknown optional log level '{}'", d.arg(i)));
        }
        level = Some(d.arg(i).to_string());
        i += 1;
    }
    let mut minlevel = None;
    if d.has_arg(i) {
        if !LEVELS.contains(&d.arg(i)) {
            return Err(format!("unknown optional minimum log level '{}'", d.arg(i)));
        }
        minlevel = Some(d.arg(i).to_string());
        i += 1;
    }
    if d.has_arg(i) {
        return Err(format!("cannot handle unexpected argument '{}'", d.arg(i)));
    }
    let mut target = d.arg(1).to_string();
    if !matches!(target.as_str(), "stdout" | "stderr") && !target.starts_with("ring@") {
        let opts = AddrOpts { resolve: true, dgram: true, ..Default::default() };
        addr::parse_address_env(&target, opts).map_err(|e| e.to_string())?;
        target = addr::env_expand(&target);
    }
    Ok(LogTarget::Target {
        span: d.span.clone(),
        addr: target,
        len,
        format,
        sample,
        facility: facility.to_string(),
        level,
        minlevel,
    })
}

/// `<low>[-<high>][,...]:<size>`, with HAProxy's messages.
fn check_sample(v: &str) -> Result<(), String> {
    let Some((ranges, size)) = v.split_once(':') else {
        return Err("Missing sample size".into());
    };
    let mut max_high = 0u64;
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut rest = ranges;
    while !rest.is_empty() {
        let (item, next) = match rest.find(',') {
            Some(c) => (&rest[..c], &rest[c + 1..]),
            None => (rest, ""),
        };
        let bad = || format!("wrong sample range '{rest}'");
        let (lo, hi) = match item.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (item, None),
        };
        let low: u64 = lo.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let high = match hi {
            Some(h) => h.parse().ok().filter(|n| *n > low).ok_or_else(bad)?,
            None => low,
        };
        if seen.iter().any(|&(l, h)| (low >= l && low <= h) || (high >= l && high <= h)) {
            return Err("ranges are overlapping".into());
        }
        seen.push((low, high));
        max_high = max_high.max(high);
        rest = next;
    }
    if seen.is_empty() {
        return Err("no sampling ranges given".into());
    }
    let n: u64 = size
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("wrong sample size '{size}' for sample range '{ranges}'"))?;
    if n < max_high {
        return Err(format!(
            "sample size {n} should be greater or equal to {max_high} the maximum of the high ranges limits"
        ));
    }
    Ok(())
}

pub fn log(cx: &mut Cx, d: &Directive) -> Flow {
    if cx.st.modifier == Modifier::No {
        if d.has_arg(1) {
            cx.r.alert(d, "log : 'no log' does not expect arguments");
            return Flow::Continue;
        }
        cx.p.log.targets.clear();
        cx.p.log.disabled = true;
        return Flow::Continue;
    }
    if d.arg(1) == "global" && !d.has_arg(2) {
        cx.p.log.disabled = false;
        // HAProxy copies the global targets declared so far: none yet means none at all.
        if !cx.global.log.is_empty() {
            cx.p.log.targets.push(LogTarget::Global);
        }
        return Flow::Continue;
    }
    match parse_target(d, false) {
        Ok(t) => {
            if let LogTarget::Target { addr, .. } = &t {
                if addr.starts_with("tcp@") || addr.starts_with("ring@") {
                    cx.r.not_yet(d, "log to a ring or over TCP");
                }
            }
            if let LogTarget::Target { sample: Some(_), .. } = &t {
                cx.r.not_yet(d, "log sampling");
            }
            cx.p.log.disabled = false;
            cx.p.log.targets.push(t);
        }
        Err(e) => cx.r.alert(d, format!("log : {e}")),
    }
    Flow::Continue
}

/// How HAProxy names the format a defaults section already had, in "overrides" warnings.
pub fn format_origin(f: &LogFormat) -> &'static str {
    match f {
        LogFormat::Http => "option httplog",
        LogFormat::Tcp => "option tcplog",
        LogFormat::HttpClf => "option httplog clf",
        LogFormat::Https => "option httpslog",
        _ => "log-format",
    }
}

/// The checks common to the format keywords: exactly one argument.
fn one_format_arg(cx: &mut Cx, d: &Directive) -> bool {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.r.alert(d, format!("{kw} expects an argument."));
        return false;
    }
    if d.has_arg(2) {
        cx.r.alert(d, format!("{kw} expects only one argument, don't forget to escape spaces!"));
        return false;
    }
    true
}

/// The warning HAProxy gives for format keywords in a backend.
fn warn_backend(cx: &mut Cx, d: &Directive, what: &str) {
    if !cx.p.is_defaults() && !cx.p.caps.frontend {
        let msg = format!("backend '{}' : '{what}' directive is ignored in backends.", cx.p.name);
        cx.r.warning(d, msg);
    }
}

pub fn log_format(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    if cx.p.is_defaults() && cx.p.log.format != LogFormat::Default {
        let old = format_origin(&cx.p.log.format);
        cx.warning_tight(d, format!("'log-format' overrides previous '{old}' in 'defaults' section."));
    }
    cx.p.log.format = LogFormat::Custom(d.arg(1).to_string());
    cx.p.log.format_line = Some(d.span.clone());
    warn_backend(cx, d, "log-format");
    Flow::Continue
}

pub fn log_format_sd(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    cx.p.log.format_sd = Some(d.arg(1).to_string());
    warn_backend(cx, d, "log-format-sd");
    Flow::Continue
}

pub fn error_log_format(cx: &mut Cx, d: &Directive) -> Flow {
    if !one_format_arg(cx, d) {
        return Flow::Continue;
    }
    if cx.p.is_defaults() && cx.p.log.error_format.is_some() {
        cx.warning_tight(d, "'error-log-format' overrides previous 'error-log-format' in 'defaults' section.");
    }
    cx.p.log.error_format = Some(d.arg(1).to_string());
    warn_backend(cx, d, "error-log-format");
    Flow::Continue
}

pub fn log_tag(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "'log-tag' expects a tag for use in syslog.");
        return Flow::Continue;
    }
    cx.p.log.tag = Some(d.arg(1).to_string());
    Flow::Continue
}

pub fn unique_id_format(cx: &mut Cx, d: &Directive) -> Flow {
    if one_format_arg(cx, d) {
        cx.p.unique_id_format = Some(d.arg(1).to_string());
    }
    Flow::Continue
}

pub fn unique_id_header(cx: &mut Cx, d: &Directive) -> Flow {
    if !d.has_arg(1) {
        cx.r.alert(d, "unique-id-header expects an argument.");
        return Flow::Continue;
    }
    cx.p.unique_id_header = Some(d.arg(1).to_string());
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::check_sample;

    #[test]
    fn sample_ranges() {
        assert!(check_sample("1:2").is_ok());
        assert!(check_sample("1-2,4:5").is_ok());
        assert_eq!(check_sample("1:abc").unwrap_err(), "wrong sample size 'abc' for sample range '1'");
        assert_eq!(check_sample("1").unwrap_err(), "Missing sample size");
        assert_eq!(check_sample("1-2,2:5").unwrap_err(), "ranges are overlapping");
        assert!(check_sample("3:2").unwrap_err().starts_with("sample size 2 should be"));
    }
}

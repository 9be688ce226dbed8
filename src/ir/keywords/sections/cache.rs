//! `cache` sections: sizes and ages. HAProxy stops reading the configuration at a bad number
//! here, reporting it only as a warning; a section without `total-max-size` is dropped with an
//! alert when it ends; objects may not exceed half the cache.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::global::{atoi, strtol};
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, AuxSection, CacheSpec, Config};

use super::{Cx, State};

pub const KEYWORDS: &[&str] =
    &["total-max-size", "max-age", "max-object-size", "max-secondary-entries", "process-vary"];

fn spec<'a>(cx: &'a mut Cx) -> &'a mut CacheSpec {
    match &mut cx.aux.detail {
        AuxDetail::Cache(s) => s,
        _ => unreachable!("a cache section has a cache detail"),
    }
}

/// `strtoul` over the whole word: digits (a sign is taken and wraps), nothing after them.
fn whole_ulong(s: &str) -> Option<u64> {
    let (v, rest) = strtol(s);
    (rest.is_empty() && !s.is_empty()).then_some(v as u64)
}

/// HAProxy gives up on the whole configuration here, with only a warning saying why.
fn abort(cx: &mut Cx, d: &Directive, msg: String) -> Flow {
    cx.warning_tight(d, msg);
    cx.st.failed = true;
    Flow::Abort
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    let kw = d.keyword();
    if KEYWORDS.contains(&kw) && cx.too_many(d, 1) {
        return Flow::Abort;
    }
    match kw {
        "total-max-size" => {
            let Some(v) = whole_ulong(d.arg(1)) else {
                return abort(cx, d, format!("total-max-size wrong value '{}'", d.arg(1)));
            };
            if v > 4095 {
                return abort(cx, d, format!("\"total-max-size\" ({}) must not be greater than 4095", d.arg(1)));
            }
            spec(cx).total_max_size = v;
        }
        "max-age" => {
            if !d.has_arg(1) {
                cx.warning_tight(d, "'max-age' expects an age parameter in seconds.");
                return Flow::Continue;
            }
            spec(cx).max_age = Some(atoi(d.arg(1)) as u32);
        }
        "max-object-size" => {
            if !d.has_arg(1) {
                cx.warning_tight(d, "'max-object-size' expects a maximum file size parameter in bytes.");
            }
            let Some(v) = whole_ulong(d.arg(1)) else {
                return abort(cx, d, format!("max-object-size wrong value '{}'", d.arg(1)));
            };
            spec(cx).max_object_size = Some(v & 0xffff_ffff);
        }
        "max-secondary-entries" => {
            if !d.has_arg(1) {
                cx.warning_tight(d, "'max-secondary-entries' expects a strictly positive number.");
            }
            match whole_ulong(d.arg(1)) {
                Some(v) if v != 0 => spec(cx).max_secondary_entries = Some(v),
                _ => return abort(cx, d, format!("max-secondary-entries wrong value '{}'", d.arg(1))),
            }
        }
        "process-vary" => match d.arg(1) {
            "on" => spec(cx).process_vary = true,
            "off" => spec(cx).process_vary = false,
            other => {
                // HAProxy prints this one twice when the value is missing.
                let msg = "'process-vary' expects \"on\" or \"off\" (enable or disable vary processing).";
                cx.warning_tight(d, msg);
                if other.is_empty() {
                    cx.warning_tight(d, msg);
                }
            }
        },
        _ => cx.unknown(d),
    }
    Flow::Continue
}

/// At the end of the section: a cache without a size is not registered.
pub fn end(diags: &mut Diags, aux: &mut AuxSection, st: &State) -> bool {
    let AuxDetail::Cache(s) = &aux.detail else { return true };
    if st.failed {
        return false;
    }
    if s.total_max_size == 0 {
        super::alert(diags, format!("Size not specified for cache '{}'", aux.name));
        return false;
    }
    true
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for c in &cfg.caches {
        let AuxDetail::Cache(s) = &c.detail else { continue };
        let half = s.total_max_size * 1024 * 1024 / 2;
        if let Some(m) = s.max_object_size {
            if m > half {
                super::alert(
                    diags,
                    format!("\"max-object-size\" is limited to an half of \"total-max-size\" => {half}"),
                );
            }
        }
    }
}

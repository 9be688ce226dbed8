//! Numeric limits of the global section (`maxconn`, rates, file descriptors, buffer counts),
//! read with C's lenient `atol`/`atoi` exactly where HAProxy is lenient.

use crate::config::ast::Directive;

use super::{atoi, atol, Cx};

/// An integer HAProxy refuses to set twice ("already specified. Continuing." when the stored
/// value is not zero): `maxconn`, `maxconnrate`, `ulimit-n`, `tune.maxaccept`...
pub fn int_once(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword().to_string();
    if cx.too_many(d, 1) {
        return;
    }
    if cx.stored(&kw) != 0 {
        cx.alert_soft(d, format!("'{kw}' already specified. Continuing."));
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("'{kw}' expects an integer argument."));
        return;
    }
    let v = atol(d.arg(1));
    if kw == "tune.maxaccept" && v > i64::from(i32::MAX) {
        cx.alert(d, "'tune.maxaccept' expects -1 or an integer from 0 to INT_MAX.");
        return;
    }
    // HAProxy keeps these in ints.
    let v = i64::from(v as i32);
    cx.store(&kw, v);
    if kw == "maxconn" {
        cx.g.maxconn = Some(v.max(0) as u32);
    }
}

/// An integer read with `atol`, any value accepted.
pub fn int_plain(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword().to_string();
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("'{kw}' expects an integer argument."));
        return;
    }
    let v = atol(d.arg(1));
    cx.store(&kw, v);
}

/// The SSL library's integer settings (`maxsslconn`, `tune.ssl.cachesize`...): `atoi`, not
/// negative.
pub fn ssl_int(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword().to_string();
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("'{kw}' expects an integer argument."));
        return;
    }
    let v = atoi(d.arg(1));
    if v < 0 {
        cx.alert(d, format!("'{kw}' expects a positive numeric value."));
        return;
    }
    cx.store(&kw, i64::from(v));
}

pub fn maxcomprate(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'maxcomprate' expects an integer argument in kb/s.");
        return;
    }
    cx.store("maxcomprate", i64::from(atoi(d.arg(1))));
}

pub fn maxcompcpuusage(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    // HAProxy stores `100 - atoi()` in an unsigned int and refuses anything above 100.
    let v = atoi(d.arg(1));
    if !d.has_arg(1) || !(0..=100).contains(&v) {
        cx.alert(d, "'maxcompcpuusage' expects an integer argument between 0 and 100.");
        return;
    }
    cx.store("maxcompcpuusage", i64::from(v));
}

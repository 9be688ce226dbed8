//! Evaluation: what a stream offers to fetches ([`SampleSource`]), the fetches and converters
//! haproxide implements, ACL matching, and conditions. Fetches iterate over the values they find
//! (every occurrence of a header in an ACL) without allocating; a converter failure ends the
//! expression, as in HAProxy. Anything that parses but cannot be evaluated is listed by
//! [`unsupported`] so that the engine refuses the configuration instead of guessing.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use super::args::Arg;
use super::cond::{Condition, Polarity};
use super::convert::{apply_convs, ARITH};
use super::expr::SampleExpr;
use super::parse::{Acl, AclExpr};
use super::pattern::MatchFn;
use super::sample::{HttpMeth, Sample};
use super::smp_check::check_var_name;

/// What a stream offers to sample fetches. Every method has a default that reports the value
/// as absent, so an implementation only provides what it has; the fetch then fails (and the
/// ACL does not match), exactly as HAProxy's fetches fail on missing data.
///
/// Proxy-state lookups take proxy names already resolved by [`crate::acl::resolve`]; they are
/// called with no lock held by this module and must not block.
pub trait SampleSource {
    /// Client address (`src`, `src_port`).
    fn src(&self) -> Option<SocketAddr> {
        None
    }
    /// Address the client connected to (`dst`, `dst_port`).
    fn dst(&self) -> Option<SocketAddr> {
        None
    }
    /// Whether the stream carries a parsed HTTP request (`req.proto_http`).
    fn is_http(&self) -> bool {
        false
    }
    /// The request method as received.
    fn method(&self) -> Option<&[u8]> {
        None
    }
    /// The request target as received (`url`).
    fn uri(&self) -> Option<&[u8]> {
        None
    }
    /// The request's protocol version as received, e.g. `HTTP/1.1`.
    fn version(&self) -> Option<&[u8]> {
        None
    }
    /// The `i`-th request header line (name, value), in order; `None` past the last one.
    fn req_header(&self, _i: usize) -> Option<(&[u8], &[u8])> {
        None
    }
    /// `nbsrv`: HAProxy's `be_usable_srv` (0 when the backend is stopped, else the number of
    /// usable active servers, else 1 if a backup is in use with `allbackups` off, else the
    /// number of usable backup servers).
    fn nbsrv(&self, _backend: &str) -> Option<i64> {
        None
    }
    /// `srv_is_up`: the server is not in maintenance and is up (or not checked).
    fn srv_is_up(&self, _backend: &str, _server: &str) -> Option<bool> {
        None
    }
    /// `avg_queue`: see [`avg_queue`] for HAProxy's formula.
    fn avg_queue(&self, _backend: &str) -> Option<i64> {
        None
    }
    /// `queue`: requests queued in the backend and its servers (`totpend`).
    fn queue(&self, _backend: &str) -> Option<i64> {
        None
    }
    /// `be_conn`: current connections of the backend.
    fn be_conn(&self, _backend: &str) -> Option<i64> {
        None
    }
    /// `connslots`: see [`connslots`] for HAProxy's formula.
    fn connslots(&self, _backend: &str) -> Option<i64> {
        None
    }
    /// `fe_conn`: current connections of the frontend.
    fn fe_conn(&self, _frontend: &str) -> Option<i64> {
        None
    }
    /// Whether fetches that exist for both directions (`hdr`) look at the response.
    fn is_response(&self) -> bool {
        false
    }
    /// The response status (`status`).
    fn status(&self) -> Option<i64> {
        None
    }
    /// The response's protocol version as received, e.g. `HTTP/1.1` (`res.ver`).
    fn res_version(&self) -> Option<&[u8]> {
        None
    }
    /// The `i`-th response header line (name, value), in order.
    fn res_header(&self, _i: usize) -> Option<(&[u8], &[u8])> {
        None
    }
    /// A variable by its full name (`txn.foo`), for `var()`.
    fn var(&self, _name: &str) -> Option<Sample<'_>> {
        None
    }
    /// `unique-id`: the stream's unique ID, generated on first use; `None` without a
    /// `unique-id-format`.
    fn unique_id(&self) -> Option<&[u8]> {
        None
    }
    /// `srv_id` / `srv_name`: the server the stream was given, once one is.
    fn srv_id(&self) -> Option<i64> {
        None
    }
    fn srv_name(&self) -> Option<&str> {
        None
    }
    /// `fe_name` / `be_name`: the frontend, and the backend once one is chosen.
    fn fe_name(&self) -> Option<&str> {
        None
    }
    fn be_name(&self) -> Option<&str> {
        None
    }
    /// A stick-counter fetch (`sc_*`, `sc0_*`..`sc2_*`, `src_*`, `table_*`; see
    /// [`crate::engine::stick::track::is_stick_fetch`]) with its arguments.
    fn stick_fetch(&self, _name: &str, _args: &[Arg]) -> Option<Sample<'static>> {
        None
    }
    /// The client bytes a TCP stream holds before relaying them (content inspection).
    fn req_payload(&self) -> Option<&[u8]> {
        None
    }
    /// The server bytes a TCP stream holds before relaying them (response inspection).
    fn res_payload(&self) -> Option<&[u8]> {
        None
    }
    /// A `userlist` section by name, for `http_auth` and `http_auth_group`.
    fn userlist(&self, _name: &str) -> Option<&super::auth::Userlist> {
        None
    }
    /// A fetch lacked bytes that may still come (HAProxy's `SMP_F_MAY_CHANGE`).
    fn note_missing(&self) {}
    /// Whether a fetch lacked bytes since the last call (and forget it).
    fn take_missing(&self) -> bool {
        false
    }
}

/// HAProxy's `avg_queue`: queued requests divided by usable servers, rounded up; twice the
/// queue when no server is usable.
pub fn avg_queue(totpend: i64, usable_servers: i64) -> i64 {
    if usable_servers > 0 {
        (totpend + usable_servers - 1) / usable_servers
    } else {
        totpend * 2
    }
}

/// HAProxy's `connslots` over the servers that are not stopped, given as
/// (maxconn, current sessions, maxqueue, queued): free connection and queue slots, or -1 as
/// soon as one server has no maxconn or no maxqueue.
pub fn connslots(servers: impl IntoIterator<Item = (i64, i64, i64, i64)>) -> i64 {
    let mut total = 0;
    for (maxconn, cur, maxqueue, queued) in servers {
        if maxconn == 0 || maxqueue == 0 {
            return -1;
        }
        total += (maxconn - cur) + (maxqueue - queued);
    }
    total
}

/// Fetches haproxide evaluates.
pub const EVALUABLE_FETCHES: &[&str] = &[
    "always_false",
    "always_true",
    "avg_queue",
    "base",
    "be_conn",
    "be_name",
    "bin",
    "bool",
    "connslots",
    "cook",
    "cook_cnt",
    "cook_val",
    "cookie",
    "dst",
    "dst_port",
    "env",
    "fe_conn",
    "fe_name",
    "hdr",
    "hdr_cnt",
    "hdr_ip",
    "hdr_val",
    "int",
    "ipv4",
    "ipv6",
    "meth",
    "method",
    "nbsrv",
    "path",
    "query",
    "queue",
    "req.cook",
    "req.cook_cnt",
    "req.cook_val",
    "req.fhdr",
    "req.fhdr_cnt",
    "req.hdr",
    "req.hdr_cnt",
    "req.hdr_ip",
    "req.hdr_val",
    "req.proto_http",
    "req.ver",
    "req_proto_http",
    "req_ver",
    "res.cook",
    "res.cook_cnt",
    "res.cook_val",
    "res.fhdr",
    "res.fhdr_cnt",
    "res.hdr",
    "res.hdr_cnt",
    "res.hdr_val",
    "res.ver",
    "resp_ver",
    "scook",
    "scook_cnt",
    "scook_val",
    "shdr",
    "shdr_cnt",
    "shdr_val",
    "src",
    "src_port",
    "srv_id",
    "srv_is_up",
    "srv_name",
    "status",
    "str",
    "unique-id",
    "url",
    "url_param",
    "urlp",
    "uuid",
    "var",
];

/// Converters haproxide evaluates.
pub const EVALUABLE_CONVERTERS: &[&str] = &[
    "add", "and", "be2dec", "bool", "cpl", "div", "even", "field", "hex", "ipmask", "length", "lower", "ltrim", "mod",
    "mul", "neg", "not", "odd", "or", "regsub", "rtrim", "sub", "upper", "word", "xor",
];

/// Whether haproxide evaluates a fetch: the list above, the authentication fetches, the
/// stick-counter and payload fetches.
fn evaluable_fetch(name: &str) -> bool {
    EVALUABLE_FETCHES.contains(&name)
        || super::auth::FETCHES.contains(&name)
        || crate::engine::stick::track::is_stick_fetch(name)
        || super::payload::is_payload_fetch(name)
}

/// What in an expression haproxide cannot evaluate yet, as user-facing names.
pub fn unsupported_in_expr(e: &SampleExpr, out: &mut Vec<String>) {
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    if !evaluable_fetch(e.fetch.name) {
        push(format!("fetch '{}'", e.fetch.name));
    }
    for c in &e.convs {
        let name = c.conv.name;
        if name.starts_with("map") {
            if !matches!(c.args.first(), Some(Arg::MapTable(_))) {
                push(format!("converter '{name}' with a map that did not load"));
            }
        } else if !EVALUABLE_CONVERTERS.contains(&name) {
            push(format!("converter '{name}'"));
        } else if ARITH.contains(&name)
            && c.args.first().and_then(Arg::as_str).is_some_and(|s| check_var_name(s).is_ok())
        {
            push(format!("converter '{name}' with a variable"));
        } else if name == "regsub" && !matches!(c.args.first(), Some(Arg::Regex(_))) {
            push("converter 'regsub' with an unresolved regex".to_string());
        }
    }
}

/// Everything in a condition that haproxide cannot evaluate yet (fetches, converters,
/// matches), each named once. Empty when the condition can run.
pub fn unsupported(cond: &Condition) -> Vec<String> {
    let mut out = Vec::new();
    for e in cond.exprs() {
        unsupported_in_expr(&e.smp, &mut out);
    }
    out
}

/// The fetch names in a condition that cannot be evaluated (the engine refuses to start with
/// any of them, instead of evaluating them as false).
pub fn unsupported_fetches(cond: &Condition) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for e in cond.exprs() {
        if !evaluable_fetch(e.smp.fetch.name) && !names.iter().any(|n| n == e.smp.fetch.name) {
            names.push(e.smp.fetch.name.to_string());
        }
    }
    names
}

fn ip_sample<'s>(a: SocketAddr) -> Sample<'s> {
    match a.ip() {
        IpAddr::V4(v4) => Sample::Ipv4(v4),
        IpAddr::V6(v6) => Sample::Ipv6(v6),
    }
}

fn trim_lws(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Split a header value on commas outside double quotes, trimming blanks.
pub(super) fn for_each_value<'s>(v: &'s [u8], f: &mut dyn FnMut(&'s [u8]) -> bool) -> bool {
    let mut start = 0;
    let mut quoted = false;
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b',' if !quoted => {
                if f(trim_lws(&v[start..i])) {
                    return true;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    f(trim_lws(&v[start.min(v.len())..]))
}

/// Every value of the request's (`res` false) or the response's headers named `name` (all
/// headers when empty): comma-split unless `full`. `f` returns true to stop; returns true if
/// stopped.
fn for_each_hdr_in<'s>(
    src: &'s dyn SampleSource,
    res: bool,
    name: &[u8],
    full: bool,
    f: &mut dyn FnMut(&'s [u8]) -> bool,
) -> bool {
    let mut i = 0;
    loop {
        let line = if res { src.res_header(i) } else { src.req_header(i) };
        let Some((n, v)) = line else { break };
        i += 1;
        if !name.is_empty() && !n.eq_ignore_ascii_case(name) {
            continue;
        }
        let stop = if full { f(v) } else { for_each_value(v, f) };
        if stop {
            return true;
        }
    }
    false
}

/// The first value of the request's header `name` (comma-split, as HAProxy's
/// `http_find_header` gives it).
pub(super) fn first_req_value<'s>(src: &'s dyn SampleSource, name: &[u8]) -> Option<&'s [u8]> {
    let mut found = None;
    for_each_hdr_in(src, false, name, false, &mut |v| {
        found = Some(v);
        true
    });
    found
}

fn count_hdr(src: &dyn SampleSource, name: &[u8], full: bool) -> i64 {
    count_hdr_in(src, false, name, full)
}

fn count_hdr_in(src: &dyn SampleSource, res: bool, name: &[u8], full: bool) -> i64 {
    let mut n = 0;
    for_each_hdr_in(src, res, name, full, &mut |_| {
        n += 1;
        false
    });
    n
}

/// The header value at occurrence `occ` (1-based from the first, negative from the last), or
/// every value when `occ` is 0 and `iterate`, or the last one when 0 otherwise.
fn hdr_occurrences<'s>(
    src: &'s dyn SampleSource,
    name: &[u8],
    full: bool,
    occ: i64,
    iterate: bool,
    f: &mut dyn FnMut(&'s [u8]) -> bool,
) {
    hdr_occurrences_in(src, false, name, full, occ, iterate, f)
}

fn hdr_occurrences_in<'s>(
    src: &'s dyn SampleSource,
    res: bool,
    name: &[u8],
    full: bool,
    occ: i64,
    iterate: bool,
    f: &mut dyn FnMut(&'s [u8]) -> bool,
) {
    let occ = if occ == 0 && !iterate { -1 } else { occ };
    if occ == 0 {
        for_each_hdr_in(src, res, name, full, f);
        return;
    }
    let want = if occ > 0 { occ } else { count_hdr_in(src, res, name, full) + occ + 1 };
    if want <= 0 {
        return;
    }
    let mut n = 0;
    let mut found = None;
    for_each_hdr_in(src, res, name, full, &mut |v| {
        n += 1;
        if n == want {
            found = Some(v);
            return true;
        }
        false
    });
    if let Some(v) = found {
        f(v);
    }
}

/// `http_get_path`: the path of an origin-form or absolute-form target, up to the query.
fn uri_path(uri: &[u8]) -> Option<&[u8]> {
    let p = if uri.first() == Some(&b'/') {
        uri
    } else {
        let scheme = uri.windows(3).position(|w| w == b"://")?;
        let after = &uri[scheme + 3..];
        let slash = after.iter().position(|&c| c == b'/')?;
        &after[slash..]
    };
    let end = p.iter().position(|&c| c == b'?').unwrap_or(p.len());
    Some(&p[..end])
}

fn uri_query(uri: &[u8]) -> Option<&[u8]> {
    let q = uri.iter().position(|&c| c == b'?')?;
    Some(&uri[q + 1..])
}

fn is_param_delim(c: u8, delim: u8) -> bool {
    c == b'&' || c == b';' || c == delim
}

/// `url_param(name[,delim])`, as HAProxy's `http_find_next_url_param`: the parameters start
/// after the first `delim` (`?` by default) and are separated by `&`, `;` or `delim`; a name
/// matches only when followed by `=`; an empty name takes the value after the first `=`.
/// Every occurrence is given to `f` in order.
fn for_each_url_param<'s>(uri: &'s [u8], name: &[u8], delim: u8, f: &mut dyn FnMut(&'s [u8]) -> bool) {
    let Some(q) = uri.iter().position(|&c| c == delim) else {
        return;
    };
    let end = uri.len();
    let mut pos = q + 1;
    loop {
        let value_start = if name.is_empty() {
            match uri[pos.min(end)..].iter().position(|&c| c == b'=') {
                Some(e) => pos + e + 1,
                None => return,
            }
        } else {
            let nl = name.len();
            let found = loop {
                if pos >= end || pos + nl >= end {
                    return;
                }
                if uri[pos + nl] == b'=' {
                    if &uri[pos..pos + nl] == name {
                        break pos;
                    }
                    pos += nl + 1;
                }
                while pos < end && !is_param_delim(uri[pos], delim) {
                    pos += 1;
                }
                if pos >= end {
                    return;
                }
                pos += 1;
            };
            found + nl + 1
        };
        let mut value_end = value_start;
        while value_end < end && !is_param_delim(uri[value_end], delim) {
            value_end += 1;
        }
        if f(&uri[value_start..value_end]) {
            return;
        }
        if value_end >= end {
            return;
        }
        pos = value_end;
    }
}

/// Cookies named `name` (every cookie when empty) of the Cookie headers, in order.
/// Every cookie named `name` (any when empty) in the request's `Cookie` headers (`res`
/// false) or the response's `Set-Cookie` headers, in order; `f` returns true to stop.
fn for_each_cookie<'s>(src: &'s dyn SampleSource, res: bool, name: &[u8], f: &mut dyn FnMut(&'s [u8]) -> bool) {
    let header: &[u8] = if res { b"set-cookie" } else { b"cookie" };
    for_each_hdr_in(src, res, header, false, &mut |v| super::cookie::each_in(v, name, !res, f));
}

/// The cookie a sample fetch returns: the last occurrence of a named cookie, the first
/// cookie of all when no name is given (HAProxy's `smp_fetch_cookie` outside ACLs).
fn sample_cookie<'s>(src: &'s dyn SampleSource, res: bool, name: &[u8]) -> Option<&'s [u8]> {
    let mut found = None;
    for_each_cookie(src, res, name, &mut |v| {
        found = Some(v);
        name.is_empty()
    });
    found
}

/// `env(<name>)`: the process environment now (the configuration's `setenv` lines included).
/// A name libc could not hold finds nothing, as HAProxy's `getenv` does.
fn env_value(name: &str) -> Option<Sample<'static>> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return None;
    }
    let v = std::env::var_os(name)?;
    Some(Sample::owned_str(std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec()))
}

fn arg_str(args: &[Arg], i: usize) -> &str {
    args.get(i).and_then(Arg::as_str).unwrap_or("")
}

fn arg_int(args: &[Arg], i: usize) -> i64 {
    args.get(i).and_then(Arg::as_int).unwrap_or(0)
}

/// HAProxy's lenient integer reading of a header or cookie value.
fn atoi(v: &[u8]) -> i64 {
    super::cookie::strl2ic(v)
}

/// Call `f` with each value the fetch yields (`iterate`: ACL semantics, every occurrence).
/// `f` returns true to stop.
pub fn fetch_each<'s>(
    e: &'s SampleExpr,
    src: &'s dyn SampleSource,
    iterate: bool,
    f: &mut dyn FnMut(Sample<'s>) -> bool,
) {
    let a = &e.args;
    let one = |f: &mut dyn FnMut(Sample<'s>) -> bool, s: Option<Sample<'s>>| {
        if let Some(s) = s {
            f(s);
        }
    };
    match e.fetch.name {
        "always_true" => one(f, Some(Sample::Bool(true))),
        "always_false" => one(f, Some(Sample::Bool(false))),
        "src" => one(f, src.src().map(ip_sample)),
        "dst" => one(f, src.dst().map(ip_sample)),
        "src_port" => one(f, src.src().map(|a| Sample::Sint(i64::from(a.port())))),
        "dst_port" => one(f, src.dst().map(|a| Sample::Sint(i64::from(a.port())))),
        "int" => one(f, Some(Sample::Sint(arg_int(a, 0)))),
        "str" => one(f, Some(Sample::str(arg_str(a, 0).as_bytes()))),
        "bool" => one(f, Some(Sample::Bool(matches!(arg_str(a, 0).to_ascii_lowercase().as_str(), "true" | "1")))),
        "bin" => one(f, super::pattern::parse_binary(arg_str(a, 0)).ok().map(|b| Sample::Bin(Cow::Owned(b)))),
        "ipv4" => one(f, a.first().and_then(|x| if let Arg::Ipv4(v) = x { Some(Sample::Ipv4(*v)) } else { None })),
        "ipv6" => one(f, a.first().and_then(|x| if let Arg::Ipv6(v) = x { Some(Sample::Ipv6(*v)) } else { None })),
        "meth" => {
            one(f, Some(Sample::str(arg_str(a, 0).as_bytes())).and_then(|s| s.convert(super::types::SmpType::Meth)))
        }
        "method" => one(
            f,
            src.method().map(|m| {
                let k = HttpMeth::find(m);
                Sample::Meth(k, if k == HttpMeth::Other { Cow::Borrowed(m) } else { Cow::Borrowed(&[]) })
            }),
        ),
        "req.proto_http" | "req_proto_http" => one(f, Some(Sample::Bool(src.is_http()))),
        "req.ver" | "req_ver" => one(f, src.version().map(|v| Sample::str(v.strip_prefix(b"HTTP/").unwrap_or(v)))),
        "url" => one(f, src.uri().map(Sample::str)),
        "path" => one(f, src.uri().and_then(uri_path).map(Sample::str)),
        "query" => one(f, src.uri().and_then(uri_query).map(Sample::str)),
        "base" => {
            let Some(path) = src.uri().and_then(uri_path) else {
                return;
            };
            let mut host: &[u8] = b"";
            hdr_occurrences(src, b"host", true, 1, false, &mut |v| {
                host = v;
                true
            });
            let mut b = Vec::with_capacity(host.len() + path.len());
            b.extend_from_slice(host);
            b.extend_from_slice(path);
            f(Sample::owned_str(b));
        }
        "url_param" | "urlp" => {
            let Some(uri) = src.uri() else {
                return;
            };
            let delim = arg_str(a, 1).bytes().next().unwrap_or(b'?');
            let mut stop = false;
            for_each_url_param(uri, arg_str(a, 0).as_bytes(), delim, &mut |v| {
                stop = f(Sample::str(v));
                stop || !iterate
            });
        }
        "hdr" | "req.hdr" | "req.fhdr" | "res.hdr" | "res.fhdr" | "shdr" => {
            let full = matches!(e.fetch.name, "req.fhdr" | "res.fhdr");
            let res =
                matches!(e.fetch.name, "res.hdr" | "res.fhdr" | "shdr") || (e.fetch.name == "hdr" && src.is_response());
            hdr_occurrences_in(src, res, arg_str(a, 0).as_bytes(), full, arg_int(a, 1), iterate, &mut |v| {
                f(Sample::str(v))
            });
        }
        "res.hdr_val" | "shdr_val" => {
            hdr_occurrences_in(src, true, arg_str(a, 0).as_bytes(), false, arg_int(a, 1), iterate, &mut |v| {
                f(Sample::Sint(atoi(v)))
            });
        }
        "res.hdr_cnt" | "res.fhdr_cnt" | "shdr_cnt" => {
            let full = e.fetch.name == "res.fhdr_cnt";
            f(Sample::Sint(count_hdr_in(src, true, arg_str(a, 0).as_bytes(), full)));
        }
        "status" => one(f, src.status().map(Sample::Sint)),
        "res.ver" | "resp_ver" => one(f, src.res_version().map(|v| Sample::str(v.strip_prefix(b"HTTP/").unwrap_or(v)))),
        "var" => {
            let found = src.var(arg_str(a, 0));
            match found {
                Some(v) => f(v),
                None if a.len() > 1 => f(Sample::owned_str(arg_str(a, 1).as_bytes().to_vec())),
                None => false,
            };
        }
        "fe_name" => one(f, src.fe_name().map(|n| Sample::str(n.as_bytes()))),
        "srv_id" => one(f, src.srv_id().map(Sample::Sint)),
        "env" => one(f, env_value(arg_str(a, 0))),
        "srv_name" => one(f, src.srv_name().map(|n| Sample::str(n.as_bytes()))),
        "unique-id" => one(f, src.unique_id().map(Sample::str)),
        "uuid" => one(f, Some(Sample::owned_str(super::uuid::uuid().into_bytes()))),
        "be_name" => one(f, src.be_name().map(|n| Sample::str(n.as_bytes()))),
        "hdr_val" | "req.hdr_val" => {
            hdr_occurrences(src, arg_str(a, 0).as_bytes(), false, arg_int(a, 1), iterate, &mut |v| {
                f(Sample::Sint(atoi(v)))
            });
        }
        "hdr_ip" | "req.hdr_ip" => {
            hdr_occurrences(
                src,
                arg_str(a, 0).as_bytes(),
                false,
                arg_int(a, 1),
                iterate,
                &mut |v| match Sample::str(v).convert(super::types::SmpType::Addr) {
                    Some(s) => f(s),
                    None => false,
                },
            );
        }
        "hdr_cnt" | "req.hdr_cnt" | "req.fhdr_cnt" => {
            let full = e.fetch.name == "req.fhdr_cnt";
            f(Sample::Sint(count_hdr(src, arg_str(a, 0).as_bytes(), full)));
        }
        "cook" | "req.cook" | "res.cook" | "scook" | "cookie" => {
            let res = matches!(e.fetch.name, "res.cook" | "scook") || (e.fetch.name == "cookie" && src.is_response());
            let name = arg_str(a, 0).as_bytes();
            if iterate && !name.is_empty() {
                // ACLs see every occurrence.
                for_each_cookie(src, res, name, &mut |v| f(Sample::str(v)));
            } else {
                one(f, sample_cookie(src, res, name).map(Sample::str));
            }
        }
        "cook_val" | "req.cook_val" | "res.cook_val" | "scook_val" => {
            let res = matches!(e.fetch.name, "res.cook_val" | "scook_val");
            let name = arg_str(a, 0).as_bytes();
            if iterate {
                for_each_cookie(src, res, name, &mut |v| f(Sample::Sint(atoi(v))));
            } else {
                one(f, sample_cookie(src, res, name).map(|v| Sample::Sint(atoi(v))));
            }
        }
        "cook_cnt" | "req.cook_cnt" | "res.cook_cnt" | "scook_cnt" => {
            let res = matches!(e.fetch.name, "res.cook_cnt" | "scook_cnt");
            let mut n = 0;
            for_each_cookie(src, res, arg_str(a, 0).as_bytes(), &mut |_| {
                n += 1;
                false
            });
            f(Sample::Sint(n));
        }
        "nbsrv" => one(f, src.nbsrv(arg_str(a, 0)).map(Sample::Sint)),
        "avg_queue" => one(f, src.avg_queue(arg_str(a, 0)).map(Sample::Sint)),
        "queue" => one(f, src.queue(arg_str(a, 0)).map(Sample::Sint)),
        "be_conn" => one(f, src.be_conn(arg_str(a, 0)).map(Sample::Sint)),
        "connslots" => one(f, src.connslots(arg_str(a, 0)).map(Sample::Sint)),
        "fe_conn" => one(f, src.fe_conn(arg_str(a, 0)).map(Sample::Sint)),
        "srv_is_up" => {
            let s = arg_str(a, 0);
            let (be, sv) = s.split_once('/').unwrap_or(("", s));
            one(f, src.srv_is_up(be, sv).map(Sample::Bool));
        }
        name if super::payload::is_payload_fetch(name) => one(f, super::payload::fetch(name, a, src)),
        name if super::auth::FETCHES.contains(&name) => one(f, super::auth::fetch(name, a, src)),
        name => one(f, src.stick_fetch(name, a)),
    }
}

/// The first value of an expression after its converters (sample-fetch semantics: the last
/// occurrence of a header), for rules that use expressions outside ACLs.
pub fn eval_expr<'s>(e: &'s SampleExpr, src: &'s dyn SampleSource) -> Option<Sample<'s>> {
    let mut out = None;
    fetch_each(e, src, false, &mut |s| {
        out = apply_convs(&e.convs, s);
        true
    });
    out
}

impl AclExpr {
    /// Whether one of the values the expression fetches matches. A value a converter cannot
    /// handle ends the expression without a match.
    pub fn matches(&self, src: &dyn SampleSource) -> bool {
        let mut matched = false;
        fetch_each(&self.smp, src, true, &mut |s| match apply_convs(&self.smp.convs, s) {
            Some(s) if self.matcher.func == MatchFn::AuthGroup => {
                matched = self.auth_group(src, &s);
                matched
            }
            Some(s) => {
                matched = self.matcher.matches(s);
                matched
            }
            None => true,
        });
        matched
    }

    /// `http_auth_group(<userlist>) <group>...`: the fetch gave the authenticated user; does
    /// it belong to one of the groups (HAProxy's `pat_match_auth`)?
    fn auth_group(&self, src: &dyn SampleSource, user: &Sample<'_>) -> bool {
        let (Some(Arg::Usr(name)), Some(user)) = (self.smp.args.first(), user.as_bytes()) else {
            return false;
        };
        let Some(ul) = src.userlist(name) else { return false };
        let groups = self.matcher.sets.iter().flat_map(|set| set.patterns.iter()).filter_map(|p| match p {
            super::pattern::Pattern::Bytes(g) => Some(g.as_slice()),
            _ => None,
        });
        ul.in_any_group(user, groups)
    }
}

impl Acl {
    /// An ACL matches when one of its expressions does.
    pub fn matches(&self, src: &dyn SampleSource) -> bool {
        self.exprs.iter().any(|e| e.matches(src))
    }
}

/// A condition's outcome while more data may come (HAProxy's `ACL_TEST_*`): a test that fails
/// for lack of data is a miss, which makes a content rule wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Fail,
    Miss,
    Pass,
}

impl Tri {
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::Fail, _) | (_, Tri::Fail) => Tri::Fail,
            (Tri::Miss, _) | (_, Tri::Miss) => Tri::Miss,
            _ => Tri::Pass,
        }
    }
    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::Pass, _) | (_, Tri::Pass) => Tri::Pass,
            (Tri::Miss, _) | (_, Tri::Miss) => Tri::Miss,
            _ => Tri::Fail,
        }
    }
    /// A miss stays a miss.
    fn not(self) -> Tri {
        match self {
            Tri::Fail => Tri::Pass,
            Tri::Miss => Tri::Miss,
            Tri::Pass => Tri::Fail,
        }
    }
}

impl Condition {
    /// [`Condition::eval`] while more data may come: an expression that does not match and
    /// lacked data is a miss.
    pub fn eval_partial(&self, src: &dyn SampleSource) -> Tri {
        let expr = |e: &AclExpr| {
            src.take_missing();
            if e.matches(src) {
                Tri::Pass
            } else if src.take_missing() {
                Tri::Miss
            } else {
                Tri::Fail
            }
        };
        let mut res = Tri::Fail;
        for suite in &self.suites {
            let mut s = Tri::Pass;
            for t in suite {
                let acl = t.acl.exprs.iter().fold(Tri::Fail, |r, e| if r == Tri::Pass { r } else { r.or(expr(e)) });
                s = s.and(if t.neg { acl.not() } else { acl });
                if s == Tri::Fail {
                    break;
                }
            }
            res = res.or(s);
            if res == Tri::Pass {
                break;
            }
        }
        match self.polarity {
            Polarity::If => res,
            Polarity::Unless => res.not(),
        }
    }

    /// Evaluate the condition, polarity included: `if` passes when a suite has all its terms
    /// true; `unless` is the opposite.
    pub fn eval(&self, src: &dyn SampleSource) -> bool {
        let res = self.suites.iter().any(|suite| suite.iter().all(|t| t.acl.matches(src) != t.neg));
        match self.polarity {
            Polarity::If => res,
            Polarity::Unless => !res,
        }
    }
}

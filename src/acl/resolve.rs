//! References in arguments (backends, frontends, servers, tables, userlists) and regex
//! arguments, checked and bound once the whole configuration is known, as HAProxy's
//! `smp_resolve_args` does after parsing. Empty names mean the current proxy.

use super::args::Arg;
use super::cond::Condition;
use super::expr::SampleExpr;
use super::regex::Regex;

/// What resolution needs to know about the configuration.
pub trait ConfigLookup {
    /// A proxy with the backend capability (backend or listen) of that name.
    fn backend(&self, name: &str) -> bool;
    /// A proxy with the frontend capability (frontend or listen) of that name.
    fn frontend(&self, name: &str) -> bool;
    /// A server of that name in the backend-capable proxy `proxy`.
    fn server(&self, proxy: &str, server: &str) -> bool;
    /// A stick-table of that name (a proxy's own table, or a peers section table).
    fn table(&self, name: &str) -> bool;
    /// A userlist of that name.
    fn userlist(&self, name: &str) -> bool;
    /// A group declared in that userlist (for `http_auth_group` patterns).
    fn userlist_group(&self, _userlist: &str, _group: &str) -> bool {
        true
    }
}

/// The proxy an expression belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyCtx<'a> {
    pub name: &'a str,
    pub frontend: bool,
    pub backend: bool,
}

/// Where an expression comes from, as HAProxy names it in resolution errors: the keyword's
/// kind and the words before `proxy '<name>'` (`smp_resolve_args`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgCtx {
    pub kind: &'static str,
    pub place: &'static str,
}

const fn fetch_in(place: &'static str) -> ArgCtx {
    ArgCtx { kind: "sample fetch keyword", place }
}

impl ArgCtx {
    pub const ACL: ArgCtx = ArgCtx { kind: "ACL keyword", place: "in" };
    pub const STICK: ArgCtx = fetch_in("in stick rule in");
    pub const TRACK: ArgCtx = fetch_in("in tracking rule in");
    pub const LOG: ArgCtx = fetch_in("in log-format string in");
    pub const LOG_SD: ArgCtx = fetch_in("in log-format-sd string in");
    pub const HTTP_REQ: ArgCtx = fetch_in("in http-request expression in");
    pub const HTTP_RES: ArgCtx = fetch_in("in http-response response in");
    pub const UNIQUE_ID: ArgCtx = fetch_in("in unique-id-format string in");
    pub const REDIRECT: ArgCtx = fetch_in("in redirect format string in");
    pub const CAPTURE: ArgCtx = fetch_in("in capture rule in");
    pub const SERVER: ArgCtx = fetch_in("in server directive in");
    pub const USE_BACKEND: ArgCtx = fetch_in("in use_backend expression in");
    pub const USE_SERVER: ArgCtx = fetch_in("in use-server or balance expression in");
    pub const HTTP_ERROR: ArgCtx = fetch_in("in http-error directive in");
    pub const TCP_CHECK: ArgCtx = fetch_in("in tcp-check option directive in");
    pub const HTTP_CHECK: ArgCtx = fetch_in("in http-check directive in");
}

fn resolve_args(
    args: &mut [Arg],
    what: &str,
    px: &ProxyCtx,
    look: &dyn ConfigLookup,
    regex_icase: bool,
    out: &mut Vec<String>,
) {
    for (i, arg) in args.iter_mut().enumerate() {
        let n = i + 1;
        let ctx = format!("arg {n} of {what} proxy '{}'", px.name);
        match arg {
            Arg::Be(_) | Arg::Fe(_) => {
                let is_be = matches!(arg, Arg::Be(_));
                let (cap, has) = if is_be { ("backend", px.backend) } else { ("frontend", px.frontend) };
                let name = match arg {
                    Arg::Be(s) | Arg::Fe(s) => s,
                    _ => unreachable!(),
                };
                if name.is_empty() {
                    if !has {
                        out.push(format!(
                            "proxy '{}', referenced in arg {n} of {what} proxy '{}', has not {cap} capability.",
                            px.name, px.name
                        ));
                    }
                    *name = px.name.to_string();
                } else if !(if is_be { look.backend(name) } else { look.frontend(name) }) {
                    out.push(format!("unable to find {cap} '{name}' referenced in {ctx}."));
                }
            }
            Arg::Srv(spec) => {
                if spec.is_empty() {
                    out.push(format!("missing server name in {ctx}."));
                    continue;
                }
                let (pname, sname) = match spec.split_once('/') {
                    Some((p, s)) => (p.to_string(), s.to_string()),
                    None => (px.name.to_string(), spec.clone()),
                };
                if spec.contains('/') && !look.backend(&pname) {
                    out.push(format!("unable to find proxy '{pname}' referenced in {ctx}."));
                    continue;
                }
                let found = if pname == px.name && !spec.contains('/') {
                    px.backend && look.server(&pname, &sname)
                } else {
                    look.server(&pname, &sname)
                };
                if !found {
                    out.push(format!("unable to find server '{sname}' in proxy '{pname}', referenced in {ctx}."));
                    continue;
                }
                *spec = format!("{pname}/{sname}");
            }
            Arg::Tab(name) => {
                if name.is_empty() {
                    *name = px.name.to_string();
                }
                if !look.table(name) {
                    out.push(format!("unable to find table '{name}' referenced in {ctx}."));
                }
            }
            Arg::Usr(name) if name.is_empty() => {
                out.push(format!("missing userlist name in {ctx}."));
            }
            Arg::Usr(name) if !look.userlist(name) => {
                out.push(format!("unable to find userlist '{name}' referenced in {ctx}."));
            }
            Arg::Reg(src) if src.is_empty() => out.push(format!("missing regex in {ctx}.")),
            Arg::Reg(src) => {
                let src = src.clone();
                match Regex::new(&src, regex_icase, true) {
                    Ok(re) => *arg = Arg::Regex(re),
                    Err(e) => out.push(format!("error in regex '{src}' in {ctx} : {e}.")),
                }
            }
            _ => {}
        }
    }
}

/// Check and bind the references of one expression. `kw` is the keyword HAProxy names (for
/// ACLs, the fetch keyword). Returns HAProxy's messages, without location.
pub fn resolve_expr(e: &mut SampleExpr, kw: &str, ctx: ArgCtx, px: &ProxyCtx, look: &dyn ConfigLookup) -> Vec<String> {
    let mut out = Vec::new();
    let what = format!("{} '{kw}' {}", ctx.kind, ctx.place);
    resolve_args(&mut e.args, &what, px, look, false, &mut out);
    let fetch_kw = e.fetch.name;
    for c in &mut e.convs {
        // A map is loaded once here; a file that does not load was reported when parsing.
        if c.conv.name.starts_with("map") {
            if let Some(Arg::Str(path)) = c.args.first() {
                if let Ok(t) = super::map::MapTable::load(c.conv.name, path) {
                    c.args[0] = Arg::MapTable(super::map::MapRef(std::sync::Arc::new(t)));
                }
            }
        }
        let icase = c.conv.name == "regsub" && c.args.get(2).and_then(Arg::as_str).is_some_and(|f| f.contains('i'));
        let what = format!("conversion keyword '{}' for {} '{fetch_kw}' {}", c.conv.name, ctx.kind, ctx.place);
        resolve_args(&mut c.args, &what, px, look, icase, &mut out);
    }
    out
}

/// Resolve every expression of a condition (ACL context).
pub fn resolve_condition(c: &mut Condition, px: &ProxyCtx, look: &dyn ConfigLookup) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.exprs_mut() {
        let kw = e.smp.fetch.name;
        for m in resolve_expr(&mut e.smp, kw, ArgCtx::ACL, px, look) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// How HAProxy reports the resolution errors of one proxy: `(file, line, message)` each.
/// One error is one alert `parsing [f:l]: msg`; several are one alert
/// `multiple argument resolution errors:` followed by an indented line per error.
/// Returns the alert's headline and its verbatim continuation lines.
pub fn format_errors(errors: &[(String, u32, String)]) -> Option<(String, Vec<String>)> {
    match errors {
        [] => None,
        [(f, l, m)] => Some((format!("parsing [{f}:{l}]: {m}"), Vec::new())),
        many => Some((
            "multiple argument resolution errors:".to_string(),
            many.iter().map(|(f, l, m)| format!("        parsing [{f}:{l}]: {m}")).collect(),
        )),
    }
}

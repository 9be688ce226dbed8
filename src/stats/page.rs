//! The stats page as an HTTP resource: what a request under `stats uri` asks for (`;csv`,
//! `;json`, `;up`, `;norefresh`, `;st=`, `?scope=`), which proxies `stats scope` lets it see,
//! and the body it gets (CSV and JSON as `show stat`, or the HTML page), built from one
//! snapshot of the engine.

use super::html::{self, PageOpts, ProcInfo, ProxyBlock, StCode};
use super::rows::{self, Filter};
use super::{fields, Format, Row, Value};
use crate::engine::Engine;
use crate::ir::types::{Mode, StatsSpec};

/// What the request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `None`: the HTML page.
    pub format: Option<Format>,
    pub json_schema: bool,
    pub hide_down: bool,
    pub no_maint: bool,
    pub no_refresh: bool,
    pub st: Option<StCode>,
    pub scope: String,
}

/// HAProxy's `http_handle_stats`: every option is searched for anywhere after the prefix;
/// the last format named in its own order (csv, typed, json) wins.
pub fn parse_query(rest: &str, refresh: bool) -> Query {
    let mut q = Query { hide_down: rest.contains(";up"), no_maint: rest.contains(";no-maint"), ..Default::default() };
    q.no_refresh = refresh && rest.contains(";norefresh");
    if rest.contains(";csv") {
        q.format = Some(Format::Csv);
    }
    if rest.contains(";typed") {
        q.format = Some(Format::Typed);
    }
    if rest.contains(";json") {
        q.format = Some(Format::Json);
        q.json_schema = rest.contains(";json-schema");
    }
    if let Some(i) = rest.find(";st=") {
        q.st = StCode::parse(&rest[i + 4..]);
    }
    if let Some(i) = rest.find("?scope=") {
        q.scope = rest[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
            .take(html::SCOPE_MAX)
            .collect();
    }
    q
}

/// Does the request path fall under the stats URI (a plain prefix match, query included)?
pub fn matches(spec: &StatsSpec, path: &[u8]) -> Option<usize> {
    let prefix = uri_prefix(spec);
    path.starts_with(prefix.as_bytes()).then_some(prefix.len())
}

/// `stats uri`, or HAProxy's default.
pub fn uri_prefix(spec: &StatsSpec) -> &str {
    spec.uri.as_deref().unwrap_or("/haproxy?stats")
}

/// `stats realm`, or HAProxy's default.
pub fn realm(spec: &StatsSpec) -> &str {
    spec.realm.as_deref().unwrap_or("HAProxy Statistics")
}

/// Does `user:pass` (decoded from a Basic Authorization header) match a `stats auth` line?
pub fn auth_ok(spec: &StatsSpec, credentials: &[u8]) -> bool {
    spec.auth.iter().any(|a| a.as_bytes() == credentials)
}

/// May this request see proxy `name` (`stats scope`, `.` being the proxy serving the page,
/// and the request's `?scope=` as a case-insensitive substring)?
fn visible(spec: &StatsSpec, q: &Query, name: &str, serving: &str) -> bool {
    if !spec.scope.is_empty() && !spec.scope.iter().any(|s| s == name || (s == "." && name == serving)) {
        return false;
    }
    q.scope.is_empty() || name.to_ascii_lowercase().contains(&q.scope.to_ascii_lowercase())
}

fn filter(spec: &StatsSpec, q: &Query) -> Filter {
    Filter { hide_down: q.hide_down, hide_maint: q.no_maint, show_legends: spec.show_legends, ..Filter::default() }
}

fn visible_rows(eng: &Engine, spec: &StatsSpec, q: &Query, serving: &str) -> Vec<Row> {
    let mut rows = rows::collect(eng, &filter(spec, q));
    rows.retain(|r| matches!(r.values.first(), Some(Value::Str(n)) if visible(spec, q, n, serving)));
    rows
}

/// The body of a `;csv`, `;typed` or `;json` request.
pub fn export(eng: &Engine, spec: &StatsSpec, q: &Query, serving: &str) -> String {
    if q.json_schema {
        return format!("{}\n", fields::json_schema());
    }
    let rows = visible_rows(eng, spec, q, serving);
    super::render(&rows, q.format.unwrap_or_default(), false)
}

fn proc_info(eng: &Engine) -> ProcInfo {
    let v = super::info::values(eng, super::info::Extra::default(), false);
    let n = |i: usize| match v.get(i) {
        Some(Value::Int(x)) => *x as u32,
        _ => 0,
    };
    let s = |i: usize| match v.get(i) {
        Some(Value::Str(x)) => x.clone(),
        _ => String::new(),
    };
    ProcInfo {
        version: format!("{}, released {}", crate::VERSION, super::info::RELEASE_DATE),
        pid: n(6),
        nbthread: n(3),
        uptime: eng.started.elapsed().as_secs(),
        ulimit_n: n(13),
        maxsock: n(14),
        maxconn: n(15),
        cur_conns: n(17),
        conn_rate: n(26),
        tasks: n(47),
        run_queue: n(48),
        idle_pct: n(49),
        node: s(50),
        desc: s(51),
    }
}

/// The HTML page. `admin`: `stats admin` granted this request.
pub fn html_page(eng: &Engine, spec: &StatsSpec, q: &Query, serving: &str, admin: bool) -> String {
    let info = proc_info(eng);
    let rows = visible_rows(eng, spec, q, serving);
    let mut blocks: Vec<ProxyBlock> = Vec::new();
    for r in rows {
        if blocks.last().is_none_or(|b| b.id != r.iid) {
            let name = match r.values.first() {
                Some(Value::Str(n)) => n.clone(),
                _ => String::new(),
            };
            let Some(p) = eng.config.proxies.iter().find(|p| p.name == name && !p.disabled) else { continue };
            let cap = match (p.caps.frontend, p.caps.backend) {
                (true, true) => "proxy",
                (true, false) => "frontend",
                _ => "backend",
            };
            blocks.push(ProxyBlock {
                name,
                cap,
                mode: if p.mode == Mode::Http { "http" } else { "tcp" },
                id: r.iid,
                desc: p.description.clone(),
                has_servers: p.caps.backend && !p.servers.is_empty(),
                rows: Vec::new(),
            });
        }
        if let Some(b) = blocks.last_mut() {
            b.rows.push(r);
        }
    }
    let opts = PageOpts {
        uri_prefix: uri_prefix(spec).to_string(),
        refresh: spec.refresh,
        hide_down: q.hide_down,
        no_refresh: q.no_refresh,
        admin,
        legends: spec.show_legends,
        node: spec.show_node.as_ref().map(|n| if n.is_empty() { info.node.clone() } else { n.clone() }),
        desc: spec.show_desc.as_ref().map(|d| if d.is_empty() { info.desc.clone() } else { d.clone() }),
        hide_version: spec.hide_version,
        scope: q.scope.clone(),
        st: q.st,
    };
    html::render(&opts, &info, &blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_options() {
        let q = parse_query(";csv;norefresh", true);
        assert_eq!(q.format, Some(Format::Csv));
        assert!(q.no_refresh);
        assert!(!parse_query(";norefresh", false).no_refresh, "only with a refresh set");
        let q = parse_query(";up;json", false);
        assert_eq!(q.format, Some(Format::Json));
        assert!(q.hide_down);
        assert_eq!(parse_query("", false), Query::default());
        assert_eq!(parse_query(";st=DONE", false).st, Some(StCode::Done));
        assert_eq!(parse_query("?scope=Be;up", false).scope, "Be");
        assert!(parse_query(";json-schema", false).json_schema);
    }

    #[test]
    fn prefix_and_scope() {
        let mut spec = StatsSpec { enabled: true, ..Default::default() };
        assert_eq!(matches(&spec, b"/haproxy?stats;csv"), Some(14));
        assert_eq!(matches(&spec, b"/haproxy"), None);
        spec.uri = Some("/st".into());
        assert_eq!(matches(&spec, b"/stats"), Some(3));
        spec.scope = vec![".".into(), "be".into()];
        let q = Query::default();
        assert!(visible(&spec, &q, "be", "st"));
        assert!(visible(&spec, &q, "st", "st"));
        assert!(!visible(&spec, &q, "fe", "st"));
        spec.auth = vec!["a:b".into()];
        assert!(auth_ok(&spec, b"a:b"));
        assert!(!auth_ok(&spec, b"a:c"));
    }
}

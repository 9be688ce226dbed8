//! The HTML stats page of HAProxy 2.6 (`stats uri` without `;csv`/`;json`): the head with its
//! style sheet, the "General process information" block with the legend and display options,
//! the admin result banner, one table per proxy (rows from [`super::html_rows`]) with the admin
//! form, and the trailer. A pure function of a [`Page`] snapshot.

use std::fmt::Write;

use super::html_rows::{row_html, RowOpts};
use super::Row;

/// HAProxy's style sheet, byte for byte (measured from HAProxy 2.6.12's page).
const STYLE: &str = include_str!("html_style.txt");

/// The length a `scope` query is cut to (`STAT_SCOPE_TXT_MAXLEN`).
pub const SCOPE_MAX: usize = 20;

/// Process-wide figures of the information block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// `HAProxy version ..., released ...` without the product name.
    pub version: String,
    pub pid: u32,
    pub nbthread: u32,
    pub uptime: u64,
    pub ulimit_n: u32,
    pub maxsock: u32,
    pub maxconn: u32,
    pub cur_conns: u32,
    pub conn_rate: u32,
    pub tasks: u32,
    pub run_queue: u32,
    pub idle_pct: u32,
    pub node: String,
    pub desc: String,
}

/// One proxy's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyBlock {
    pub name: String,
    /// `proxy_cap_str`: proxy (a listen section), frontend or backend.
    pub cap: &'static str,
    pub mode: &'static str,
    pub id: u32,
    pub desc: Option<String>,
    /// A backend with servers: it gets the admin form.
    pub has_servers: bool,
    pub rows: Vec<Row>,
}

/// The result banner of an admin action (`;st=<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StCode {
    Done,
    None,
    Part,
    Errp,
    Excd,
    Deny,
    Ival,
    Unknown,
}

impl StCode {
    /// The code in the redirect location.
    pub fn name(self) -> &'static str {
        match self {
            StCode::Done => "DONE",
            StCode::None => "NONE",
            StCode::Part => "PART",
            StCode::Errp => "ERRP",
            StCode::Excd => "EXCD",
            StCode::Deny => "DENY",
            StCode::Ival => "IVAL",
            StCode::Unknown => "UNKN",
        }
    }
    pub fn parse(s: &str) -> Option<StCode> {
        [
            StCode::Done,
            StCode::None,
            StCode::Part,
            StCode::Errp,
            StCode::Excd,
            StCode::Deny,
            StCode::Ival,
            StCode::Unknown,
        ]
        .into_iter()
        .find(|c| s.starts_with(c.name()))
    }
}

/// Everything the page shows besides the rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageOpts {
    pub uri_prefix: String,
    pub refresh: Option<u32>,
    pub hide_down: bool,
    pub no_refresh: bool,
    pub admin: bool,
    pub legends: bool,
    /// `stats show-node`: the node name shown (already resolved to the global one if empty).
    pub node: Option<String>,
    /// `stats show-desc`: the description shown.
    pub desc: Option<String>,
    pub hide_version: bool,
    /// The `?scope=` text of the request.
    pub scope: String,
    pub st: Option<StCode>,
}

/// The whole page.
pub fn render(o: &PageOpts, info: &ProcInfo, proxies: &[ProxyBlock]) -> String {
    let mut out = String::with_capacity(32 * 1024);
    head(&mut out, o);
    info_block(&mut out, o, info);
    let ro = RowOpts { admin: o.admin, legends: o.legends };
    for px in proxies {
        px_header(&mut out, o, px);
        for r in &px.rows {
            row_html(&mut out, r, ro);
        }
        out.push_str("</table>");
        if px.has_servers && o.admin {
            let _ = write!(
                out,
                "Choose the action to perform on the checked servers : <select name=action><option value=\"\"></option>\
                 <option value=\"ready\">Set state to READY</option><option value=\"drain\">Set state to DRAIN</option>\
                 <option value=\"maint\">Set state to MAINT</option><option value=\"dhlth\">Health: disable checks</option>\
                 <option value=\"ehlth\">Health: enable checks</option><option value=\"hrunn\">Health: force UP</option>\
                 <option value=\"hnolb\">Health: force NOLB</option><option value=\"hdown\">Health: force DOWN</option>\
                 <option value=\"dagent\">Agent: disable checks</option><option value=\"eagent\">Agent: enable checks</option>\
                 <option value=\"arunn\">Agent: force UP</option><option value=\"adown\">Agent: force DOWN</option>\
                 <option value=\"shutdown\">Kill Sessions</option></select><input type=\"hidden\" name=\"b\" value=\"#{}\">\
                 &nbsp;<input type=\"submit\" value=\"Apply\"></form>",
                px.id
            );
        }
        out.push_str("<p>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn head(out: &mut String, o: &PageOpts) {
    let node = o.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
    let _ = write!(
        out,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\"http://www.w3.org/TR/html4/loose.dtd\">\n\
         <html><head><title>Statistics Report for HAProxy{node}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n"
    );
    out.push_str(STYLE);
}

fn info_block(out: &mut String, o: &PageOpts, i: &ProcInfo) {
    let up = i.uptime;
    let version = if o.hide_version { String::new() } else { format!(" version {}", i.version) };
    let node = o.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
    let desc = o.desc.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
    let _ = write!(
        out,
        "<body><h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy{version}</a></h1>\n\
         <h2>Statistics Report for pid {pid}{node}{desc}</h2>\n<hr width=\"100%\" class=\"hr\">\n\
         <h3>&gt; General process information</h3>\n<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n\
         <p><b>pid = </b> {pid} (process #1, nbproc = 1, nbthread = {nbt})<br>\n\
         <b>uptime = </b> {}d {}h{:02}m{:02}s<br>\n\
         <b>system limits:</b> memmax = unlimited; ulimit-n = {}<br>\n\
         <b>maxsock = </b> {}; <b>maxconn = </b> {}; <b>maxpipes = </b> 0<br>\n\
         current conns = {}; current pipes = 0/0; conn rate = {}/sec; bit rate = 0.000 kbps<br>\n\
         Running tasks: {}/{}; idle = {} %<br>\n</td><td align=\"center\" nowrap>\n",
        up / 86400,
        (up % 86400) / 3600,
        (up % 3600) / 60,
        up % 60,
        i.ulimit_n,
        i.maxsock,
        i.maxconn,
        i.cur_conns,
        i.conn_rate,
        i.run_queue,
        i.tasks,
        i.idle_pct,
        pid = i.pid,
        nbt = i.nbthread,
    );
    out.push_str(
        "<table class=\"lgd\"><tr>\n\
         <td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td><td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr><tr>\n\
         <td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td></tr><tr>\n\
         <td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td></tr><tr>\n\
         <td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td></tr><tr>\n\
         <td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n\
         <td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n\
         Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td><td align=\"left\" valign=\"top\" nowrap width=\"1%\">\
         <b>Display option:</b><ul style=\"margin-top: 0.25em;\">",
    );
    let _ = writeln!(
        out,
        "<li><form method=\"GET\">Scope : <input value=\"{}\" name=\"scope\" size=\"8\" maxlength=\"{SCOPE_MAX}\" tabindex=\"1\"/></form>",
        o.scope
    );
    let scope = if o.scope.is_empty() { String::new() } else { format!("?scope={}", o.scope) };
    let p = &o.uri_prefix;
    let up_s = if o.hide_down { ";up" } else { "" };
    let nr = if o.no_refresh { ";norefresh" } else { "" };
    if o.hide_down {
        let _ = writeln!(out, "<li><a href=\"{p}{nr}{scope}\">Show all servers</a><br>");
    } else {
        let _ = writeln!(out, "<li><a href=\"{p};up{nr}{scope}\">Hide 'DOWN' servers</a><br>");
    }
    if o.refresh.is_some_and(|r| r > 0) {
        if o.no_refresh {
            let _ = writeln!(out, "<li><a href=\"{p}{up_s}{scope}\">Enable refresh</a><br>");
        } else {
            let _ = writeln!(out, "<li><a href=\"{p}{up_s};norefresh{scope}\">Disable refresh</a><br>");
        }
    }
    let _ = writeln!(out, "<li><a href=\"{p}{up_s}{nr}{scope}\">Refresh now</a><br>");
    let nr_export = if o.refresh.is_some_and(|r| r > 0) { ";norefresh" } else { "" };
    let _ = writeln!(out, "<li><a href=\"{p};csv{nr_export}{scope}\">CSV export</a><br>");
    let _ = writeln!(
        out,
        "<li><a href=\"{p};json{nr_export}{scope}\">JSON export</a> (<a href=\"{p};json-schema\">schema</a>)<br>"
    );
    out.push_str(
        "</ul></td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>External resources:</b><ul style=\"margin-top: 0.25em;\">\n\
         <li><a href=\"http://www.haproxy.org/\">Primary site</a><br>\n\
         <li><a href=\"http://www.haproxy.org/#down\">Updates (v2.6)</a><br>\n\
         <li><a href=\"http://www.haproxy.org/#docs\">Online manual</a><br>\n\
         </ul></td></tr></table>\n",
    );
    if let Some(st) = o.st {
        let (class, text) = match st {
            StCode::Done => ("active_up", "Action processed successfully."),
            StCode::None => ("active_going_down", "Nothing has changed."),
            StCode::Part => (
                "active_going_down",
                "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).",
            ),
            StCode::Errp => (
                "active_down",
                "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li>\
                 <li>Invalid key parameter (empty or too long).</li>\
                 <li>The backend name is probably unknown or ambiguous (duplicated names).</li>\
                 <li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>",
            ),
            StCode::Excd => (
                "active_down",
                "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
            ),
            StCode::Deny => ("active_down", "<b>Action denied.</b>"),
            StCode::Ival => ("active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>"),
            StCode::Unknown => ("active_no_check", "Unexpected result."),
        };
        let _ = writeln!(
            out,
            "<p><div class={class}><a class=lfsb href=\"{p}{up_s}{nr}{scope}\" title=\"Remove this message\">[X]</a> {text}</div>"
        );
        out.push_str("<p>\n");
    }
}

fn px_header(out: &mut String, o: &PageOpts, px: &ProxyBlock) {
    let form = px.has_servers && o.admin;
    if form {
        out.push_str("<form method=\"post\">");
    }
    let name = &px.name;
    let _ = write!(
        out,
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\"{name}\"></a>{}<a class=px href=\"#{name}\">{name}</a>",
        if o.legends { "<u>" } else { "" }
    );
    if o.legends {
        let _ = write!(out, "<div class=tips>cap: {}, mode: {}, id: {}</div>", px.cap, px.mode, px.id);
    }
    let _ = write!(
        out,
        "{}</th><th class=\"{}\" width=\"90%\">{}</th></tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">",
        if o.legends { "</u>" } else { "" },
        if px.desc.is_some() { "desc" } else { "empty" },
        px.desc.as_deref().unwrap_or("")
    );
    if o.admin {
        if form {
            let _ = write!(
                out,
                "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('{name}-checkbox')) document.getElementsByClassName('{name}-checkbox').item(c).checked = this.checked\"></th>"
            );
        } else {
            out.push_str("<th rowspan=2></th>");
        }
    }
    out.push_str(
        "<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>\
         <th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th>\
         <th colspan=9>Server</th></tr>\n<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th>\
         <th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th>\
         <th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th>\
         <th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th>\
         <th>Dwntme</th><th>Thrtle</th>\n</tr>",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn st_codes_round_trip() {
        for c in ["DONE", "NONE", "PART", "ERRP", "EXCD", "DENY", "IVAL", "UNKN"] {
            assert_eq!(StCode::parse(c).map(StCode::name), Some(c));
        }
        assert_eq!(StCode::parse("NOPE"), None);
    }

    #[test]
    fn page_shape() {
        let o = PageOpts { uri_prefix: "/stats".into(), refresh: Some(5), ..Default::default() };
        let info = ProcInfo { version: "X".into(), pid: 7, ..Default::default() };
        let px = ProxyBlock {
            name: "be".into(),
            cap: "backend",
            mode: "http",
            id: 3,
            desc: None,
            has_servers: true,
            rows: vec![],
        };
        let page = render(&o, &info, &[px]);
        assert!(page.starts_with("<!DOCTYPE HTML"));
        assert!(page.contains("<h2>Statistics Report for pid 7</h2>"));
        assert!(page.contains("<li><a href=\"/stats;norefresh\">Disable refresh</a><br>\n"));
        assert!(page.contains("<li><a href=\"/stats;csv;norefresh\">CSV export</a><br>\n"));
        assert!(!page.contains("<form method=\"post\">"), "no admin, no form");
        assert!(page.ends_with("</table><p>\n</body></html>\n"));
        let admin = render(&PageOpts { admin: true, ..o }, &info, &[]);
        assert!(!admin.contains("Choose the action"));
    }
}

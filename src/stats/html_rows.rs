//! One `<tr>` of the HTML stats page per `show stat` row, as HAProxy 2.6 draws it: the same
//! fields as the CSV, with digit grouping, hover tips, the status colour class of a server and
//! the admin checkbox. Pure functions of a [`Row`].

use std::fmt::Write;

use super::col::*;
use super::fields::ObjType;
use super::{Row, Value};

/// Row options of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowOpts {
    /// `stats admin` granted: a checkbox column.
    pub admin: bool,
    /// `stats show-legends`: addresses, ids and cookies in tips.
    pub legends: bool,
}

/// A number with HAProxy's digit grouping (`U2H`): the digit before each group of three is
/// wrapped in a letter-spaced span.
pub fn u2h(v: u64) -> String {
    let digits = v.to_string();
    let n = digits.len();
    let mut out = String::with_capacity(n + 16);
    for (i, c) in digits.chars().enumerate() {
        let after = n - i - 1;
        if after > 0 && after.is_multiple_of(3) {
            let _ = write!(out, "<span class=\"rls\">{c}</span>");
        } else {
            out.push(c);
        }
    }
    out
}

/// `LIM2A`: the limit, or the placeholder when there is none.
fn lim(v: u64, none: &str) -> String {
    if v == 0 {
        none.to_string()
    } else {
        v.to_string()
    }
}

/// HAProxy's `human_time` (at most two units; `?` for negative values).
pub fn human_time(t: i64) -> String {
    if t < 0 {
        return "?".into();
    }
    let (day, hour, min) = (86400, 3600, 60);
    let mut out = String::new();
    let mut cnt = 2;
    if t >= day {
        let _ = write!(out, "{}d", t / day);
        cnt -= 1;
    }
    if cnt > 0 && t % day / hour != 0 {
        let _ = write!(out, "{}h", t % day / hour);
        cnt -= 1;
    }
    if cnt > 0 && t % hour / min != 0 {
        let _ = write!(out, "{}m", t % hour / min);
        cnt -= 1;
    }
    if (cnt > 0 && t % min != 0) || t == 0 {
        let _ = write!(out, "{}s", t % min);
    }
    out
}

/// `chunk_htmlencode`: `<`, `>`, `&`, `"`, `'` and non-printable bytes as entities.
pub fn html_enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' | '>' | '&' | '"' | '\'' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

struct F<'a>(&'a Row);

impl F<'_> {
    fn n(&self, i: usize) -> u64 {
        match self.0.values.get(i) {
            Some(Value::Int(v)) => *v as u64,
            _ => 0,
        }
    }
    fn i(&self, i: usize) -> i64 {
        match self.0.values.get(i) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        }
    }
    fn h(&self, i: usize) -> String {
        u2h(self.n(i))
    }
    fn s(&self, i: usize) -> &str {
        match self.0.values.get(i) {
            Some(Value::Str(s)) => s.as_str(),
            _ => "",
        }
    }
    fn set(&self, i: usize) -> bool {
        self.0.values.get(i).is_some_and(|v| !v.is_empty())
    }
    fn http(&self) -> bool {
        self.s(MODE) == "http"
    }
    fn pct(&self, num: usize, den: u64) -> u64 {
        (100 * self.n(num)).checked_div(den).unwrap_or(0)
    }
}

/// The `<tr>` of one row.
pub fn row_html(out: &mut String, r: &Row, o: RowOpts) {
    let f = F(r);
    match r.obj {
        ObjType::Frontend => frontend(out, &f, o),
        ObjType::Server => server(out, &f, o),
        ObjType::Backend => backend(out, &f, o),
        ObjType::Listener => {}
    }
}

/// The tips of the bytes-out cell (compression figures).
fn bytes_out(out: &mut String, f: &F) {
    let comp = f.n(COMP_IN) != 0 || f.n(COMP_BYP) != 0;
    let (cin, cout, bout) = (f.n(COMP_IN), f.n(COMP_OUT), f.n(BOUT));
    let _ = write!(
        out,
        "<td>{}{}<div class=tips><table class=det><tr><th>Response bytes in:</th><td>{}</td></tr>\
         <tr><th>Compression in:</th><td>{}</td></tr><tr><th>Compression out:</th><td>{}</td><td>({}%)</td></tr>\
         <tr><th>Compression bypass:</th><td>{}</td></tr><tr><th>Total bytes saved:</th><td>{}</td><td>({}%)</td></tr>\
         </table></div>{}</td>",
        if comp { "<u>" } else { "" },
        f.h(BOUT),
        f.h(BOUT),
        f.h(COMP_IN),
        f.h(COMP_OUT),
        (cout * 100).checked_div(cin).unwrap_or(0),
        f.h(COMP_BYP),
        u2h(cin.wrapping_sub(cout)),
        cin.wrapping_sub(cout).wrapping_mul(100).checked_div(bout).unwrap_or(0),
        if comp { "</u>" } else { "" },
    );
}

fn frontend(out: &mut String, f: &F, o: RowOpts) {
    let px = f.s(PXNAME);
    out.push_str("<tr class=\"frontend\">");
    if o.admin {
        out.push_str("<td></td>");
    }
    let _ = write!(
        out,
        "<td class=ac><a name=\"{px}/Frontend\"></a><a class=lfsb href=\"#{px}/Frontend\">Frontend</a></td><td colspan=3></td>"
    );
    let _ = write!(
        out,
        "<td><u>{}<div class=tips><table class=det><tr><th>Current connection rate:</th><td>{}/s</td></tr>\
         <tr><th>Current session rate:</th><td>{}/s</td></tr>",
        f.h(RATE),
        f.h(CONN_RATE),
        f.h(RATE)
    );
    if f.http() {
        let _ = write!(out, "<tr><th>Current request rate:</th><td>{}/s</td></tr>", f.h(REQ_RATE));
    }
    let _ = write!(
        out,
        "</table></div></u></td><td><u>{}<div class=tips><table class=det><tr><th>Max connection rate:</th><td>{}/s</td></tr>\
         <tr><th>Max session rate:</th><td>{}/s</td></tr>",
        f.h(RATE_MAX),
        f.h(CONN_RATE_MAX),
        f.h(RATE_MAX)
    );
    if f.http() {
        let _ = write!(out, "<tr><th>Max request rate:</th><td>{}/s</td></tr>", f.h(REQ_RATE_MAX));
    }
    let _ = write!(out, "</table></div></u></td><td>{}</td>", lim(f.n(RATE_LIM), "-"));
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td><u>{}<div class=tips><table class=det>\
         <tr><th>Cum. connections:</th><td>{}</td></tr><tr><th>Cum. sessions:</th><td>{}</td></tr>",
        f.h(SCUR),
        f.h(SMAX),
        f.h(SLIM),
        f.h(STOT),
        f.h(CONN_TOT),
        f.h(STOT)
    );
    if f.http() {
        let _ = write!(
            out,
            "<tr><th>Cum. HTTP requests:</th><td>{}</td></tr><tr><th>- HTTP 1xx responses:</th><td>{}</td></tr>\
             <tr><th>- HTTP 2xx responses:</th><td>{}</td></tr><tr><th>&nbsp;&nbsp;Compressed 2xx:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>- HTTP 3xx responses:</th><td>{}</td></tr><tr><th>- HTTP 4xx responses:</th><td>{}</td></tr>\
             <tr><th>- HTTP 5xx responses:</th><td>{}</td></tr><tr><th>- other responses:</th><td>{}</td></tr>\
             <tr><th>Intercepted requests:</th><td>{}</td></tr><tr><th>Cache lookups:</th><td>{}</td></tr>\
             <tr><th>Cache hits:</th><td>{}</td><td>({}%)</td></tr><tr><th>Failed hdr rewrites:</th><td>{}</td></tr>\
             <tr><th>Internal errors:</th><td>{}</td></tr>",
            f.h(REQ_TOT),
            f.h(HRSP_1XX),
            f.h(HRSP_1XX + 1),
            f.h(COMP_RSP),
            f.pct(COMP_RSP, f.n(HRSP_1XX + 1)),
            f.h(HRSP_1XX + 2),
            f.h(HRSP_1XX + 3),
            f.h(HRSP_1XX + 4),
            f.h(HRSP_1XX + 5),
            f.h(INTERCEPTED),
            f.h(CACHE_LOOKUPS),
            f.h(CACHE_HITS),
            f.pct(CACHE_HITS, f.n(CACHE_LOOKUPS)),
            f.h(WREW),
            f.h(EINT)
        );
    }
    let _ = write!(out, "</table></div></u></td><td></td><td></td><td>{}</td>", f.h(BIN));
    bytes_out(out, f);
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td></td><td></td><td></td><td></td><td class=ac>{}</td><td class=ac colspan=8></td></tr>",
        f.h(DREQ),
        f.h(DRESP),
        f.h(EREQ),
        f.s(STATUS)
    );
}

/// The hover table shared by server and backend session totals: HTTP figures then times.
fn times(out: &mut String, f: &F) {
    out.push_str("<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>");
    let _ = write!(out, "<tr><th>- Queue time:</th><td>{} / {}</td><td>ms</td></tr>", f.h(QT_MAX), f.h(QTIME));
    let _ =
        write!(out, "<tr><th>- Connect time:</th><td>{} / {}</td><td>ms</td></tr>", f.h(QT_MAX + 1), f.h(QTIME + 1));
    if f.http() {
        let _ = write!(
            out,
            "<tr><th>- Responses time:</th><td>{} / {}</td><td>ms</td></tr>",
            f.h(QT_MAX + 2),
            f.h(QTIME + 2)
        );
    }
    let _ = write!(out, "<tr><th>- Total time:</th><td>{} / {}</td><td>ms</td></tr>", f.h(QT_MAX + 3), f.h(QTIME + 3));
}

fn reuse_pct(f: &F) -> u64 {
    let total = f.n(CONNECT) + f.n(REUSE);
    (100 * f.n(REUSE)).checked_div(total).unwrap_or(0)
}

/// The colour class of a server row (`<tr class=...>`).
pub fn server_class(f_status: &str, backup: bool, check_full: bool, weight: u64) -> String {
    if f_status.starts_with("MAINT") {
        return "maintain".into();
    }
    let style = match f_status {
        "DOWN" | "DOWN (agent)" => "down",
        "DOWN " => "going_up",
        "DRAIN" => "draining",
        "NOLB " => "going_down",
        "NOLB" => "nolb",
        "no check" => "no_check",
        _ if check_full => {
            if weight != 0 {
                "up"
            } else {
                "draining"
            }
        }
        _ => "going_down",
    };
    format!("{}_{style}", if backup { "backup" } else { "active" })
}

/// The status text HAProxy compares against: the CSV status with its `n/m` health counts
/// taken off (`DOWN 1/2` reads `DOWN `, as the C code's fixed-width comparisons see it).
fn status_key(s: &str) -> String {
    match s.split_once(' ') {
        Some((head, tail)) if tail.chars().next().is_some_and(|c| c.is_ascii_digit()) => format!("{head} "),
        _ => s.to_string(),
    }
}

fn server(out: &mut String, f: &F, o: RowOpts) {
    let (px, sv) = (f.s(PXNAME), f.s(SVNAME));
    let status = f.s(STATUS);
    let key = status_key(status);
    let full = !f.set(CHKFAIL) || f.n(CHECK_HEALTH) == f.n(CHECK_RISE) + f.n(CHECK_FALL) - 1;
    let class = server_class(&key, f.n(BCK) != 0, full, f.n(WEIGHT));
    let _ = write!(out, "<tr class=\"{class}\">");
    if o.admin {
        let _ = write!(out, "<td><input class='{px}-checkbox' type=\"checkbox\" name=\"s\" value=\"{sv}\"></td>");
    }
    let _ = write!(
        out,
        "<td class=ac><a name=\"{px}/{sv}\"></a>{}<a class=lfsb href=\"#{px}/{sv}\">{sv}</a>",
        if o.legends { "<u>" } else { "" }
    );
    if o.legends {
        out.push_str("<div class=tips>");
        let addr = f.s(ADDR);
        if addr.starts_with(|c: char| c.is_ascii_digit()) {
            let _ = write!(out, "IPv4: {addr}, ");
        } else if addr.starts_with('[') {
            let _ = write!(out, "IPv6: {addr}, ");
        } else if !addr.is_empty() {
            let _ = write!(out, "{addr}, ");
        }
        let _ = write!(out, "id: {}", f.n(SID));
        if f.set(COOKIE) {
            let _ = write!(out, ", cookie: '{}'", html_enc(f.s(COOKIE)));
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td>",
        if o.legends { "</u>" } else { "" },
        f.h(QCUR),
        f.h(QMAX),
        lim(f.n(QLIMIT), "-"),
        f.h(RATE),
        f.h(RATE_MAX)
    );
    let _ = write!(
        out,
        "<td><u>{}<div class=tips><table class=det><tr><th>Current active connections:</th><td>{}</td></tr>\
         <tr><th>Current used connections:</th><td>{}</td></tr><tr><th>Current idle connections:</th><td>{}</td></tr>\
         <tr><th>- unsafe:</th><td>{}</td></tr><tr><th>- safe:</th><td>{}</td></tr>\
         <tr><th>Estimated need of connections:</th><td>{}</td></tr><tr><th>Active connections limit:</th><td>{}</td></tr>\
         <tr><th>Idle connections limit:</th><td>{}</td></tr></table></div></u></td><td>{}</td><td>{}</td>\
         <td><u>{}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>{}</td></tr>",
        f.h(SCUR),
        f.h(SCUR),
        f.h(USED_CONN_CUR),
        f.h(SRV_ICUR),
        f.h(IDLE_CONN_CUR),
        f.h(SAFE_CONN_CUR),
        f.h(NEED_CONN_EST),
        lim(f.n(SLIM), "-"),
        if f.set(SRV_ILIM) { f.h(SRV_ILIM) } else { "-".into() },
        f.h(SMAX),
        lim(f.n(SLIM), "-"),
        f.h(STOT),
        f.h(STOT)
    );
    if f.http() {
        let req = f.n(REQ_TOT);
        let _ = write!(
            out,
            "<tr><th>New connections:</th><td>{}</td></tr><tr><th>Reused connections:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>Cum. HTTP requests:</th><td>{}</td></tr>",
            f.h(CONNECT),
            f.h(REUSE),
            reuse_pct(f),
            f.h(REQ_TOT)
        );
        for (i, name) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let _ = write!(
                out,
                "<tr><th>- HTTP {name} responses:</th><td>{}</td><td>({}%)</td></tr>",
                f.h(HRSP_1XX + i),
                f.pct(HRSP_1XX + i, req)
            );
        }
        let _ = write!(
            out,
            "<tr><th>- other responses:</th><td>{}</td><td>({}%)</td></tr><tr><th>Failed hdr rewrites:</th><td>{}</td></tr>\
             <tr><th>Internal error:</th><td>{}</td></tr>",
            f.h(HRSP_1XX + 5),
            f.pct(HRSP_1XX + 5, req),
            f.h(WREW),
            f.h(EINT)
        );
    }
    times(out, f);
    let _ = write!(out, "</table></div></u></td><td>{}</td><td>{}</td>", f.h(LBTOT), human_time(f.i(LASTSESS)));
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td></td><td>{}</td><td></td><td>{}</td>\
         <td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td><td>{}</td><td>{}</td>",
        f.h(BIN),
        f.h(BOUT),
        f.h(DRESP),
        f.h(ECON),
        f.h(ERESP),
        f.i(CLI_ABRT),
        f.i(SRV_ABRT),
        f.i(WRETR),
        f.i(WREDIS)
    );
    out.push_str("<td class=ac>");
    if status.starts_with("MAINT") {
        let _ = write!(out, "{} MAINT", human_time(f.i(LASTCHG)));
    } else if status == "no check" {
        out.push_str("<i>no check</i>");
    } else {
        let _ = write!(out, "{} {status}", human_time(f.i(LASTCHG)));
        if status.starts_with("DOWN") {
            if f.n(CHECK_HEALTH) != 0 {
                out.push_str(" &uarr;");
            }
        } else if f.n(CHECK_HEALTH) < (f.n(CHECK_RISE) + f.n(CHECK_FALL)).wrapping_sub(1) {
            out.push_str(" &darr;");
        }
    }
    let last_result = |out: &mut String, st: usize, code: usize, dur: usize, desc: usize, last: usize| {
        let _ = write!(out, "</td><td class=ac><u> {}", f.s(st));
        if f.set(code) {
            let _ = write!(out, "/{}", f.n(code));
        }
        if f.set(dur) {
            let _ = write!(out, " in {}ms", f.n(dur));
        }
        let _ = write!(out, "<div class=tips>{}", f.s(desc));
        if !f.s(last).is_empty() {
            let _ = write!(out, ": {}", html_enc(f.s(last)));
        }
        out.push_str("</div></u>");
    };
    if status.starts_with("DOWN") && f.set(AGENT_STATUS) && f.n(AGENT_HEALTH) == 0 {
        last_result(out, AGENT_STATUS, AGENT_CODE, AGENT_DURATION, AGENT_DESC, LAST_AGT);
    } else if f.set(CHECK_STATUS) {
        last_result(out, CHECK_STATUS, CHECK_CODE, CHECK_DURATION, CHECK_DESC, LAST_CHK);
    } else {
        out.push_str("</td><td>");
    }
    let bck = f.n(BCK) != 0;
    let _ = write!(
        out,
        "</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>",
        f.n(WEIGHT) as u32,
        f.n(UWEIGHT) as u32,
        if bck { "-" } else { "Y" },
        if bck { "Y" } else { "-" }
    );
    if status == "MAINT (resolution)" {
        out.push_str("<td class=ac colspan=3>resolution</td>");
    } else if f.set(CHKFAIL) {
        let _ = write!(out, "<td><u>{}", f.i(CHKFAIL));
        if f.set(HANAFAIL) {
            let _ = write!(out, "/{}", f.i(HANAFAIL));
        }
        let _ = write!(
            out,
            "<div class=tips>Failed Health Checks{}</div></u></td><td>{}</td><td>{}</td>",
            if f.set(HANAFAIL) { "/Health Analyses" } else { "" },
            f.i(CHKDOWN),
            human_time(f.i(DOWNTIME))
        );
    } else if status != "MAINT" && f.set(TRACKED) {
        let t = f.s(TRACKED);
        let _ = write!(out, "<td class=ac colspan=3><a class=lfsb href=\"#{t}\">via {t}</a></td>");
    } else {
        out.push_str("<td colspan=3></td>");
    }
    if f.set(THROTTLE) {
        let _ = writeln!(out, "<td class=ac>{} %</td>", f.n(THROTTLE));
    } else {
        out.push_str("<td class=ac>-</td>");
    }
    out.push_str("</tr>\n");
}

fn backend(out: &mut String, f: &F, o: RowOpts) {
    let px = f.s(PXNAME);
    out.push_str("<tr class=\"backend\">");
    if o.admin {
        out.push_str("<td></td>");
    }
    let _ = write!(
        out,
        "<td class=ac>{}<a name=\"{px}/Backend\"></a><a class=lfsb href=\"#{px}/Backend\">Backend</a>",
        if o.legends { "<u>" } else { "" }
    );
    if o.legends {
        let _ = write!(out, "<div class=tips>balancing: {}", f.s(ALGO));
        if f.set(COOKIE) {
            let _ = write!(out, ", cookie: '{}'", html_enc(f.s(COOKIE)));
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "{}</td><td>{}</td><td>{}</td><td></td><td>{}</td><td>{}</td><td></td>",
        if o.legends { "</u>" } else { "" },
        f.h(QCUR),
        f.h(QMAX),
        f.h(RATE),
        f.h(RATE_MAX)
    );
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td><u>{}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>{}</td></tr>",
        f.h(SCUR),
        f.h(SMAX),
        f.h(SLIM),
        f.h(STOT),
        f.h(STOT)
    );
    if f.http() {
        let _ = write!(
            out,
            "<tr><th>New connections:</th><td>{}</td></tr><tr><th>Reused connections:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>Cum. HTTP requests:</th><td>{}</td></tr><tr><th>- HTTP 1xx responses:</th><td>{}</td></tr>\
             <tr><th>- HTTP 2xx responses:</th><td>{}</td></tr><tr><th>&nbsp;&nbsp;Compressed 2xx:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>- HTTP 3xx responses:</th><td>{}</td></tr><tr><th>- HTTP 4xx responses:</th><td>{}</td></tr>\
             <tr><th>- HTTP 5xx responses:</th><td>{}</td></tr><tr><th>- other responses:</th><td>{}</td></tr>\
             <tr><th>Cache lookups:</th><td>{}</td></tr><tr><th>Cache hits:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>Failed hdr rewrites:</th><td>{}</td></tr><tr><th>Internal errors:</th><td>{}</td></tr>",
            f.h(CONNECT),
            f.h(REUSE),
            reuse_pct(f),
            f.h(REQ_TOT),
            f.h(HRSP_1XX),
            f.h(HRSP_1XX + 1),
            f.h(COMP_RSP),
            f.pct(COMP_RSP, f.n(HRSP_1XX + 1)),
            f.h(HRSP_1XX + 2),
            f.h(HRSP_1XX + 3),
            f.h(HRSP_1XX + 4),
            f.h(HRSP_1XX + 5),
            f.h(CACHE_LOOKUPS),
            f.h(CACHE_HITS),
            f.pct(CACHE_HITS, f.n(CACHE_LOOKUPS)),
            f.h(WREW),
            f.h(EINT)
        );
    }
    times(out, f);
    let _ = write!(
        out,
        "</table></div></u></td><td>{}</td><td>{}</td><td>{}</td>",
        f.h(LBTOT),
        human_time(f.i(LASTSESS)),
        f.h(BIN)
    );
    bytes_out(out, f);
    let status = f.s(STATUS);
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td></td><td>{}</td>\
         <td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td><td>{}</td><td>{}</td>\
         <td class=ac>{} {}</td><td class=ac>&nbsp;</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>",
        f.h(DREQ),
        f.h(DRESP),
        f.h(ECON),
        f.h(ERESP),
        f.i(CLI_ABRT),
        f.i(SRV_ABRT),
        f.i(WRETR),
        f.i(WREDIS),
        human_time(f.i(LASTCHG)),
        if status == "DOWN" { "<font color=\"red\"><b>DOWN</b></font>" } else { status },
        f.n(WEIGHT) as u32,
        f.n(UWEIGHT) as u32,
        f.n(ACT) as u32,
        f.n(BCK) as u32
    );
    let _ = write!(
        out,
        "<td class=ac>&nbsp;</td><td>{}</td><td>{}</td><td></td></tr>",
        f.n(CHKDOWN) as u32,
        if f.set(DOWNTIME) { human_time(f.i(DOWNTIME)) } else { "&nbsp;".into() }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_grouping() {
        assert_eq!(u2h(0), "0");
        assert_eq!(u2h(999), "999");
        assert_eq!(u2h(9985), "<span class=\"rls\">9</span>985");
        assert_eq!(u2h(85362), "8<span class=\"rls\">5</span>362");
        assert_eq!(u2h(1234567), "<span class=\"rls\">1</span>23<span class=\"rls\">4</span>567");
    }

    #[test]
    fn human_times() {
        assert_eq!(human_time(-1), "?");
        assert_eq!(human_time(0), "0s");
        assert_eq!(human_time(20), "20s");
        assert_eq!(human_time(60), "1m");
        assert_eq!(human_time(3723), "1h2m");
        assert_eq!(human_time(90061), "1d1h");
    }

    #[test]
    fn server_classes() {
        assert_eq!(server_class("DOWN", false, false, 1), "active_down");
        assert_eq!(server_class("DOWN ", true, false, 1), "backup_going_up");
        assert_eq!(server_class("no check", true, true, 5), "backup_no_check");
        assert_eq!(server_class("UP", false, true, 1), "active_up");
        assert_eq!(server_class("UP", false, true, 0), "active_draining");
        assert_eq!(server_class("UP ", false, false, 1), "active_going_down");
        assert_eq!(server_class("MAINT (via be/s1)", false, true, 1), "maintain");
        assert_eq!(status_key("DOWN 1/2"), "DOWN ");
        assert_eq!(status_key("DOWN (agent)"), "DOWN (agent)");
    }
}

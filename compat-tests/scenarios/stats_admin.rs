//! `stats admin` on the HTTP stats page against HAProxy 2.6: the page with its admin form when
//! the condition grants it, the form's POST (`s=...&action=...&b=...`) answered with the 303
//! head byte for byte, its result code (DONE, PART, NONE, ERRP, DENY), and the effect of the
//! actions on the servers as `show stat` reports it.

use crate::harness::client::Request;
use crate::harness::mock_http::MockHttp;
use crate::harness::proc::Impl;

use super::runtime_api::Cli;

const CFG: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen st
    bind 127.0.0.1:${PORT_0}
    stats uri /stats
    stats admin if { src 127.0.0.1 }
listen ro
    bind 127.0.0.1:${PORT_1}
    stats uri /stats
    stats admin unless TRUE
backend be
    server s1 127.0.0.1:${WEB}
    server s2 127.0.0.1:${WEB} check inter 1s
    server s3 127.0.0.1:${WEB}
";

/// pxname, svname, status, weight, chkdown-free check columns: what the actions change.
fn servers(c: &Cli) -> String {
    c.cmd("show stat")
        .lines()
        .filter(|l| l.starts_with("be,s"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            // status, weight, check_status (empty when checks are off)
            format!("{},{},{},{}\n", f[1], f[17], f[18], f[36])
        })
        .collect()
}

#[test]
fn admin_form_and_actions_match() {
    crate::require_haproxy!();
    let [theirs, ours] = crate::harness::compare::both(|imp: Impl| {
        let web = MockHttp::start("web");
        let mut c = Cli::start(imp, CFG, &web);
        let (p0, p1) = (c.ports.port(0), c.ports.port(1));
        c.inst.wait_ready(&[p0, p1], &[]);
        c.settle();
        let mut out = Vec::new();
        let post = |port: u16, path: &str, body: &str| {
            let req = Request::get(path).method("POST").header("Content-Type", "application/x-www-form-urlencoded");
            let r = req.body(body).send(port).unwrap_or_else(|e| panic!("{imp}: {e}"));
            String::from_utf8_lossy(&r.raw).into_owned()
        };
        let page = Request::get("/stats").send(p0).unwrap_or_else(|e| panic!("{imp}: {e}"));
        out.push(("admin page".into(), super::stats_page::norm_html(&c, &page.body_text()).replace("><", ">\n<")));
        let page = Request::get("/stats").send(p1).unwrap_or_else(|e| panic!("{imp}: {e}"));
        let form = page.body_text().contains("<form");
        out.push(("no form without admin".into(), format!("{form}")));
        for (path, body) in [
            ("/stats", "s=s1&action=maint&b=be"),
            ("/stats;up", "s=s1&s=nope&action=drain&b=be"),
            ("/stats", "s=s2&action=dhlth&b=be"),
            ("/stats", "s=s1&action=dhlth&b=be"),
            ("/stats", "b=be&action=hdown&s=s3"),
            ("/stats", "s=s2&action=bogus&b=be"),
            ("/stats", "s=s2&action=maint&b=nope"),
            ("/stats", "action=maint&b=be"),
            ("/stats", "s=s2&action=stop&b=be"),
        ] {
            out.push((format!("POST {path} {body}"), post(p0, path, body)));
            out.push((format!("servers after {body}"), servers(&c)));
        }
        out.push(("denied".into(), post(p1, "/stats", "s=s1&action=ready&b=be")));
        out.push(("servers after denied".into(), servers(&c)));
        for body in ["s=s1&s=s3&action=ready&b=be", "s=s3&action=hrunn&b=be", "s=s2&action=ehlth&b=be"] {
            out.push((format!("POST {body}"), post(p0, "/stats", body)));
            out.push((format!("servers after {body}"), servers(&c)));
        }
        out
    });
    assert_eq!(theirs.len(), ours.len());
    for ((what, a), (_, b)) in theirs.iter().zip(&ours) {
        crate::harness::compare::assert_same(what, a, b);
    }
    // The scenario sees what it is meant to: the form, and each result code.
    let all: String = ours.iter().map(|(_, v)| v.as_str()).collect();
    assert!(ours[0].1.contains("Choose the action to perform on the checked servers"), "admin form drawn");
    for code in ["DONE", "PART", "NONE", "ERRP", "DENY"] {
        assert!(all.contains(&format!(";st={code}")), "{code} seen");
    }
    assert!(all.contains("s1,MAINT"), "maint applied");
}

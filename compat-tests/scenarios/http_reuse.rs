//! Keep-alive and server connection reuse compared with HAProxy: which server connection serves
//! which request under each `http-reuse` mode, what happens to idle connections when their client
//! leaves or their server closes them, round robin over a keep-alive client connection, and the
//! silent close of a later request whose server connection died.

use super::http_kit::{check, send, tx, Case, C, GET, OK, S};

const LOG: &str = "  option httplog\n";

fn one_request() -> Vec<C> {
    vec![tx(GET), C::Resp(1), C::Idle(50)]
}

fn two_requests() -> Vec<C> {
    vec![tx(GET), C::Resp(1), C::Sleep(30), tx(GET), C::Resp(1), C::Idle(50)]
}

#[test]
fn http_reuse_modes() {
    crate::require_haproxy!();
    let mut cases = Vec::new();
    for mode in ["", "never", "safe", "aggressive", "always"] {
        let name = if mode.is_empty() { "default" } else { mode };
        let mk = |what: &str| {
            let c = Case::new(&format!("{name}: {what}"));
            if mode.is_empty() {
                c
            } else {
                c.be(&format!("http-reuse {mode}"))
            }
        };
        cases.push(mk("2 sequential clients, 1 request each").clients(vec![one_request(), one_request()], false));
        cases.push(mk("2 sequential clients, 2 requests each").clients(vec![two_requests(), two_requests()], false));
        cases.push(mk("same client, 3 requests").client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(50),
        ]));
    }
    check(LOG, &cases);
}

#[test]
fn idle_server_connections() {
    crate::require_haproxy!();
    let cases = vec![
        // The idle connection outlives its client and `timeout server`.
        Case::new("kept after the client left").clients(vec![one_request(), vec![C::Sleep(2300)]], false),
        Case::new("server closed it while idle")
            .servers(vec![vec![S::Req, send(OK), S::Sleep(50), S::Close], vec![S::Req, send(OK), S::Req]])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(200), tx(GET), C::Resp(1), C::Idle(100)]),
        Case::new("server drops the second request")
            .servers(vec![vec![S::Req, send(OK), S::Req, S::Close], vec![S::Req, send(OK), S::Req]])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(30), tx(GET), C::Idle(300)]),
        Case::new("server resets on the second request")
            .servers(vec![vec![S::Req, send(OK), S::Req, S::Reset], vec![S::Req, send(OK), S::Req]])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(30), tx(GET), C::Idle(300)]),
        Case::new("always: another client's first request on a dying connection")
            .be("http-reuse always")
            .servers(vec![vec![S::Req, send(OK), S::Req, S::Close], vec![S::Req, send(OK), S::Req]])
            .clients(vec![one_request(), vec![C::Sleep(50), tx(GET), C::Resp(1), C::Idle(100)]], false),
        Case::new("server-close: second request's new connection dies")
            .fe("option http-server-close")
            .servers(vec![vec![S::Req, send(OK), S::Req], vec![S::Req, S::Close]])
            .client(vec![tx(GET), C::Resp(1), C::Sleep(30), tx(GET), C::Idle(300)]),
        Case::new("round robin over one client connection").nsrv(2).client(vec![
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            tx(GET),
            C::Resp(1),
            C::Idle(50),
        ]),
        Case::new("round robin, two clients").nsrv(2).clients(vec![two_requests(), two_requests()], false),
    ];
    check(LOG, &cases);
}

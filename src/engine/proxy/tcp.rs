//! `mode tcp` sessions: pick a server, connect (with retries and redispatch), then relay bytes
//! both ways under the client/server/tunnel timeouts.

use std::time::Duration;

use tokio::net::TcpStream;

use super::connect::{self, ConnectFailure};
use super::relay::{relay, RelayEnd, RelayTimeouts};
use super::{ms_since, Session};

fn ms(v: Option<u32>) -> Option<Duration> {
    v.map(|m| Duration::from_millis(u64::from(m)))
}

pub async fn serve(s: Session, mut client: TcpStream) {
    let mut rec = s.record();
    let Some(be) = s.fe.default_backend.map(|i| s.eng.backends[i].clone()) else {
        // No backend: HAProxy closes the connection at once.
        rec.backend = s.fe.name.clone();
        rec.server = "<NOSRV>".into();
        rec.term = *b"SC--";
        rec.t_total = ms_since(s.accepted);
        s.log(&rec, false);
        return;
    };
    rec.backend = be.name.clone();
    be.counters.sessions.inc();
    be.counters.total.inc();
    let src_key = match s.client.ip() {
        std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
        std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    let result = connect::connect(&be, Some(&src_key), s.local.port()).await;
    let mut killed_by_down = false;
    let (up, down, end) = match result {
        Err(f) => {
            rec.server = f.server.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "<NOSRV>".into());
            rec.retries = f.retries;
            rec.redispatched = f.redispatched;
            rec.t_queue = f.t_queue.as_millis() as i64;
            rec.term = match f.why {
                ConnectFailure::QueueTimeout => *b"sQ--",
                ConnectFailure::Timeout => *b"sC--",
                _ => *b"SC--",
            };
            rec.t_total = ms_since(s.accepted);
            be.counters.sessions.dec();
            s.log(&rec, false);
            return;
        }
        Ok(mut c) => {
            let srv = c.server.clone();
            srv.counters.sessions.inc();
            srv.counters.total.inc();
            srv.counters.lb_total.inc();
            be.counters.lb_total.inc();
            rec.server = srv.name.clone();
            rec.server_addr = Some(c.addr);
            rec.backend_src = c.stream.local_addr().ok();
            rec.retries = c.retries;
            rec.redispatched = c.redispatched;
            rec.t_queue = c.t_queue.as_millis() as i64;
            rec.t_connect = c.t_connect.as_millis() as i64;
            rec.beconn = be.counters.sessions.get();
            rec.srv_conn = srv.counters.sessions.get();
            let p = &be.spec;
            let fe_t = &s.fe.spec.timeouts;
            let tunnel = ms(p.timeouts.tunnel);
            let t = RelayTimeouts {
                client: tunnel.or(ms(fe_t.client)),
                server: tunnel.or(ms(p.timeouts.server)),
                client_fin: ms(fe_t.client_fin),
                server_fin: ms(p.timeouts.server_fin),
            };
            // `on-marked-down shutdown-sessions` ends the session when the server goes down.
            let stats = tokio::select! {
                st = relay(&mut client, &mut c.stream, t, s.eng.run_state.subscribe()) => st,
                _ = srv.shutdown.notified() => {
                    killed_by_down = true;
                    super::relay::RelayStats { up: 0, down: 0, end: RelayEnd::Killed }
                }
            };
            srv.counters.bytes_in.add(stats.up);
            srv.counters.bytes_out.add(stats.down);
            srv.counters.sessions.dec();
            be.release(&srv);
            (stats.up, stats.down, stats.end)
        }
    };
    be.counters.bytes_in.add(up);
    be.counters.bytes_out.add(down);
    s.fe.counters.bytes_in.add(up);
    s.fe.counters.bytes_out.add(down);
    be.counters.sessions.dec();
    rec.bytes_out = down;
    rec.bytes_in = up;
    rec.term = match end {
        RelayEnd::Done => *b"----",
        RelayEnd::ClientTimeout => *b"cD--",
        RelayEnd::ServerTimeout => *b"sD--",
        RelayEnd::ClientError => *b"CD--",
        RelayEnd::ServerError => *b"SD--",
        RelayEnd::Killed => *b"KD--",
    };
    if killed_by_down {
        rec.term = *b"D---";
    }
    rec.t_total = ms_since(s.accepted);
    rec.t_active = rec.t_total;
    s.log(&rec, up == 0 && down == 0);
}

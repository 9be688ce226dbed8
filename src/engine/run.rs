//! Running the engine: bind every listener, accept connections under the maxconn limits, hand
//! them to the TCP or HTTP session code, and stop as HAProxy does (hard on SIGINT/SIGTERM, soft on
//! SIGUSR1: stop listening, finish what is in flight, then exit).

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use super::proxy::listener::{self, Listener, ListenerInfo};
use super::proxy::{self, FrontendLog, Session};
use super::{Engine, EngineError, Frontend, RunState};
use crate::ir::types::Mode;

/// Bind all listeners (before dropping privileges, like HAProxy) and compile log settings.
/// Each frontend with its bound listeners.
pub type Bound = Vec<(Arc<Frontend>, Vec<Listener>)>;

pub fn prepare(eng: &Arc<Engine>) -> Result<Bound, EngineError> {
    let mut out = Vec::new();
    for fe in &eng.frontends {
        let log = FrontendLog::build(&eng.log, &eng.config, fe).map_err(EngineError::Other)?;
        let _ = fe.log.set(log);
        if fe.disabled.load(std::sync::atomic::Ordering::Relaxed) {
            continue;
        }
        out.push((fe.clone(), listener::bind_frontend(fe)?));
    }
    Ok(out)
}

async fn permits(eng: &Engine, fe: &Frontend) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    let g = eng.global_conn_limit.clone().acquire_owned().await.ok()?;
    let f = fe.conn_limit.clone().acquire_owned().await.ok()?;
    Some((g, f))
}

enum AsyncListener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// Accept on one listener until the process stops.
async fn accept_loop(eng: Arc<Engine>, fe: Arc<Frontend>, l: Listener, info: Arc<ListenerInfo>) {
    let l = match l {
        Listener::Tcp(t) => tokio::net::TcpListener::from_std(t).map(AsyncListener::Tcp),
        Listener::Unix(u) => tokio::net::UnixListener::from_std(u).map(AsyncListener::Unix),
    };
    let l = match l {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(frontend = %fe.name, "cannot register listener: {e}");
            return;
        }
    };
    let mut state = eng.run_state.subscribe();
    let mut l = l;
    loop {
        // Registered before the flags are read, so a change in between is not missed.
        let listen_state = fe.listen_state.notified();
        tokio::pin!(listen_state);
        listen_state.as_mut().enable();
        if eng.frontend_stopping(&fe) {
            return;
        }
        if fe.paused.load(std::sync::atomic::Ordering::Relaxed) {
            // `disable frontend` (runtime API): refuse connections until `enable frontend`.
            let Some(resumed) = paused(l, &fe, &mut state).await else { return };
            l = resumed;
            continue;
        }
        // Wait for room under both maxconn limits before accepting anything.
        let got = tokio::select! {
            p = permits(&eng, &fe) => p,
            _ = state.changed() => continue,
            _ = &mut listen_state => continue,
        };
        let Some(held) = got else { return };
        let accepted = tokio::select! {
            r = accept(&l) => r,
            _ = state.changed() => continue,
            _ = &mut listen_state => continue,
        };
        match accepted {
            Ok(conn) => {
                let eng2 = eng.clone();
                let fe2 = fe.clone();
                let info2 = info.clone();
                tokio::spawn(async move {
                    let _held = held;
                    serve(eng2, fe2, conn, &info2).await;
                });
            }
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(frontend = %fe.name, "accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// A paused frontend (`disable frontend`) stops listening while keeping its socket bound, as
/// HAProxy does (shutdown of the listening TCP socket, `listen()` again on resume): meanwhile
/// connection attempts are refused. The socket leaves the reactor while paused, so the shut
/// socket's readiness cannot spin the accept loop. None when the process stops meanwhile.
async fn paused(
    l: AsyncListener,
    fe: &Frontend,
    state: &mut tokio::sync::watch::Receiver<RunState>,
) -> Option<AsyncListener> {
    let std = match l {
        AsyncListener::Tcp(t) => t.into_std().ok()?,
        unix => {
            // Unix sockets cannot be paused this way; they just stop being accepted from.
            wait_resume(fe, state).await?;
            return Some(unix);
        }
    };
    let _ = socket2::SockRef::from(&std).shutdown(std::net::Shutdown::Both);
    wait_resume(fe, state).await?;
    let _ = socket2::SockRef::from(&std).listen(1024);
    tokio::net::TcpListener::from_std(std).ok().map(AsyncListener::Tcp)
}

/// Wait until the frontend is resumed; None if it is stopped or the process stops.
async fn wait_resume(fe: &Frontend, state: &mut tokio::sync::watch::Receiver<RunState>) -> Option<()> {
    loop {
        let n = fe.listen_state.notified();
        tokio::pin!(n);
        n.as_mut().enable();
        if fe.stopped.load(std::sync::atomic::Ordering::Relaxed) || *state.borrow() != RunState::Running {
            return None;
        }
        if !fe.paused.load(std::sync::atomic::Ordering::Relaxed) {
            return Some(());
        }
        tokio::select! {
            _ = n => {}
            r = state.changed() => r.ok()?,
        }
    }
}

pub enum Accepted {
    Tcp(tokio::net::TcpStream, std::net::SocketAddr, std::net::SocketAddr),
    Unix(tokio::net::UnixStream),
}

async fn accept(l: &AsyncListener) -> std::io::Result<Accepted> {
    match l {
        AsyncListener::Tcp(t) => {
            let (s, peer) = t.accept().await?;
            let local = s.local_addr()?;
            Ok(Accepted::Tcp(s, peer, local))
        }
        AsyncListener::Unix(u) => Ok(Accepted::Unix(u.accept().await?.0)),
    }
}

async fn serve(eng: Arc<Engine>, fe: Arc<Frontend>, conn: Accepted, info: &ListenerInfo) {
    let tick = crate::engine::stick::now_ms();
    eng.active_conns.inc();
    eng.total_conns.inc();
    eng.conn_rate.hit(tick);
    eng.sess_rate.hit(tick);
    fe.counters.sessions.inc();
    fe.counters.connections.inc();
    fe.counters.conn_rate.hit(tick);
    fe.counters.total.inc();
    fe.counters.sess_rate.hit(tick);
    match conn {
        Accepted::Tcp(stream, peer, local) => {
            let _ = stream.set_nodelay(true);
            proxy::sockopt::apply_keepalive(&stream, fe.client_keepalive.as_ref());
            let mut s = Session::new(eng.clone(), fe.clone(), peer, local);
            if !accept_rules(&mut s, &stream, info).await {
                fe.counters.sessions.dec();
                eng.active_conns.dec();
                return;
            }
            match fe.spec.mode {
                Mode::Http => proxy::http::serve(s, stream).await,
                // Boxed so that the task of an HTTP connection is not sized for a TCP relay.
                _ => Box::pin(proxy::tcp::serve(s, stream)).await,
            }
        }
        Accepted::Unix(_stream) => {
            // Unix-socket frontends carry traffic like TCP ones once supported end to end.
            tracing::warn!(frontend = %fe.name, "connection on a unix socket frontend closed: not supported yet");
        }
    }
    fe.counters.sessions.dec();
    eng.active_conns.dec();
}

/// `tcp-request connection` rules, the PROXY protocol header if the listener or those rules
/// expect one, then `tcp-request session` rules on a new connection. A connection rejected by
/// the first is reset at once; by the second, closed. Neither is logged, unless a PROXY header
/// was awaited: HAProxy then logs why the connection ended before its session started.
async fn accept_rules(s: &mut Session, stream: &tokio::net::TcpStream, info: &ListenerInfo) -> bool {
    use crate::engine::rules::Verdict;
    let fe = s.fe.clone();
    let mut txn = crate::engine::rules::vars::Vars::default();
    if let Verdict::Reject | Verdict::Close = s.tcp_rules(&fe.spec.tcp_request_connection, None, &mut txn) {
        fe.counters.denied_conn.inc();
        let _ = socket2::SockRef::from(stream).set_linger(Some(std::time::Duration::ZERO));
        return false;
    }
    // Connection rules saw the real addresses; everything from here on sees the header's.
    let handshake = info.accept_proxy || s.vars.expect_proxy;
    if handshake {
        let timeout = fe.spec.timeouts.client.map(|ms| std::time::Duration::from_millis(u64::from(ms)));
        match proxy::pp::receive(stream, timeout).await {
            Ok(got) => {
                if let Some((src, dst)) = got.addrs {
                    s.client = src;
                    s.local = dst;
                }
                s.pp_authority = got.authority;
            }
            Err(why) => {
                s.log_embryonic(&info.log_name, &why.to_string(), why.null());
                return false;
            }
        }
    }
    if let Verdict::Reject | Verdict::Close = s.tcp_rules(&fe.spec.tcp_request_session, None, &mut txn) {
        fe.counters.denied_sess.inc();
        if handshake {
            // HAProxy ends the waiting session with no error code: "Success".
            s.log_embryonic(&info.log_name, "Success", false);
        }
        return false;
    }
    // The session exists: the counters it tracks count it.
    s.vars.stk.session_started(crate::engine::stick::now_ms());
    true
}

/// Run until stopped; returns the process exit code.
pub async fn run(eng: Arc<Engine>, listeners: Bound) -> i32 {
    let mut tasks = Vec::new();
    for (fe, ls) in listeners {
        let infos = listener::listener_infos(&fe);
        for (l, info) in ls.into_iter().zip(infos) {
            tasks.push(tokio::spawn(accept_loop(eng.clone(), fe.clone(), l, info)));
        }
    }
    spawn_signal_handlers(eng.clone());
    spawn_table_expiry(&eng);
    if let Err(e) = super::peers::start(&eng) {
        let pid = std::process::id();
        eprintln!("[ALERT]    ({pid}) : {e}");
        if matches!(e, super::peers::PeersError::Bind { .. }) {
            eprintln!("[ALERT]    ({pid}) : [haproxy.main()] Some protocols failed to start their listeners! Exiting.");
        }
        return 1;
    }
    crate::checks::start(&eng);
    let mut state = eng.run_state.subscribe();
    loop {
        let s = *state.borrow_and_update();
        match s {
            RunState::Running => {
                if state.changed().await.is_err() {
                    return 0;
                }
            }
            RunState::HardStop => return 0,
            RunState::SoftStop => {
                // Listeners close as their accept loops see the state; wait for the last session.
                for t in &tasks {
                    t.abort();
                }
                announce_stopped_proxies(&eng);
                // `hard-stop-after`: the soft stop ends there, whatever is still running.
                let hard_at = eng
                    .config
                    .global
                    .hard_stop_after
                    .map(|ms| tokio::time::Instant::now() + std::time::Duration::from_millis(u64::from(ms)));
                loop {
                    if eng.active_conns.get() == 0 {
                        return 0;
                    }
                    if hard_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
                        announce_hard_stop(&eng);
                        // Streams still waiting on a server are killed (HTTP ones answer 502,
                        // as HAProxy's do); give them a moment to say so, then exit.
                        for be in eng.backends.iter() {
                            for srv in be.servers.iter() {
                                srv.kill_sessions(b'K');
                            }
                        }
                        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
                        while eng.active_conns.get() > 0 && tokio::time::Instant::now() < deadline {
                            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        }
                        return 0;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                        r = state.changed() => {
                            if r.is_err() || *state.borrow() == RunState::HardStop {
                                return 0;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// HAProxy's "Proxy X stopped (cumulated conns: FE: n, BE: m)." line for every proxy, in
/// configuration order, on stderr and in the proxy's logs, when it stops listening.
fn announce_stopped_proxies(eng: &Engine) {
    // HAProxy stops the proxies that listen first, then the backends.
    let listening = eng.config.proxies.iter().filter(|p| p.caps.frontend);
    let backends = eng.config.proxies.iter().filter(|p| !p.caps.frontend);
    for p in listening.chain(backends) {
        let fe = eng.frontends.iter().find(|f| f.name == p.name && p.caps.frontend);
        let be = if p.caps.backend { eng.backend(&p.name) } else { None };
        let fe_conns = fe.map(|f| f.counters.total.get()).unwrap_or(0);
        let be_conns = be.map(|b| b.counters.total.get()).unwrap_or(0);
        let msg = format!("Proxy {} stopped (cumulated conns: FE: {fe_conns}, BE: {be_conns}).", p.name);
        if super::events::stderr_on() {
            eprintln!("[WARNING]  ({}) : {msg}", std::process::id());
        }
        let targets = eng.log.targets_for(&p.log.targets, p.log.disabled, p.log.tag.as_deref());
        eng.log.emit(&targets, 4, &msg);
    }
    // HAProxy also stops its internal HTTP client proxy, and says so through the global logs;
    // tools that count these lines see the same number.
    let msg = "Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).";
    if super::events::stderr_on() {
        eprintln!("[WARNING]  ({}) : {msg}", std::process::id());
    }
    eng.log.emit(&eng.log.global, 4, msg);
}

/// `hard-stop-after` expired: HAProxy's warning, then a line for every frontend that still has
/// connections (they are closed as the process exits).
fn announce_hard_stop(eng: &Engine) {
    let pid = std::process::id();
    if super::events::stderr_on() {
        eprintln!("[WARNING]  ({pid}) : soft-stop running for too long, performing a hard-stop.");
    }
    for fe in eng.frontends.iter() {
        let n = fe.counters.sessions.get();
        if n > 0 {
            let msg = format!("Proxy {} hard-stopped ({n} remaining conns will be closed).", fe.name);
            if super::events::stderr_on() {
                eprintln!("[WARNING]  ({pid}) : {msg}");
            }
            let targets = eng.log.targets_for(&fe.spec.log.targets, fe.spec.log.disabled, fe.spec.log.tag.as_deref());
            eng.log.emit(&targets, 4, &msg);
        }
    }
}

/// Expired stick-table entries are already invisible to lookups and `show table`; this task
/// gives their memory back (HAProxy's table expiry task), at the next expiry and at least
/// once a second, as entries come and go in tables with different `expire` values.
fn spawn_table_expiry(eng: &Arc<Engine>) {
    if eng.tables.is_empty() {
        return;
    }
    let weak = Arc::downgrade(eng);
    tokio::spawn(async move {
        loop {
            let wait = {
                let Some(eng) = weak.upgrade() else { return };
                let now = super::stick::now_ms();
                let next = eng.tables.sweep(now);
                next.map_or(1000, |t| u64::from(t.wrapping_sub(now)).clamp(1, 1000))
            };
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        }
    });
}

/// SIGUSR1 stops softly. SIGINT and SIGTERM are left to their default action, which ends the
/// process at once, exactly as HAProxy 2.6 in the foreground ends (killed by the signal).
fn spawn_signal_handlers(eng: Arc<Engine>) {
    use tokio::signal::unix::{signal, SignalKind};
    if let Ok(mut sig) = signal(SignalKind::user_defined1()) {
        tokio::spawn(async move {
            while sig.recv().await.is_some() {
                eng.stop(RunState::SoftStop);
            }
        });
    }
}

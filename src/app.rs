//! Starting the proxy for real once the configuration checked out: refuse what we cannot run
//! yet, build the engine, bind every listener, go to the background if asked, drop privileges
//! (chroot, group, user), write the pidfile, then serve until a signal stops us.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::engine::{run, Engine};
use crate::ir::types::Config;
use crate::log::{Logger, Target};

/// Set in the environment of the background child started for `-D` / `daemon`.
pub(crate) const DAEMON_CHILD_ENV: &str = "HAPROXIDE_DAEMON_CHILD";
/// What the background child prints on stdout once it is listening.
const READY: &str = "haproxide-ready";

/// Options from the command line that matter once running.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub pidfile: Option<String>,
    pub daemon: bool,
    /// `-db` / `-d`: stay in the foreground even if the configuration says `daemon`.
    pub foreground: bool,
    /// The full argv, to start the background child with the same arguments.
    pub argv: Vec<String>,
    /// `-q`: no messages on stderr once running.
    pub quiet: bool,
    /// `-sf` / `-st`: old processes to stop softly (SIGUSR1) or at once (SIGTERM) once we listen.
    pub finish_pids: Vec<i32>,
    pub terminate_pids: Vec<i32>,
    /// `-n`: global maxconn override; `-N`: default maxconn of proxies without one.
    pub maxconn: Option<i64>,
    pub per_proxy_maxconn: Option<i64>,
    /// Flags HAProxy accepts whose behaviour is not built yet: starting is refused.
    pub refused_flags: Vec<String>,
    /// `-W` / `-Ws`: run a master process (see `crate::master`).
    pub master_worker: bool,
    /// `-Ws`: tell systemd through `$NOTIFY_SOCKET`.
    pub systemd: bool,
    /// `-S` arguments: the master CLI sockets.
    pub master_cli: Vec<String>,
    /// What the master needs to read the configuration again on a reload.
    pub config_files: Vec<String>,
    pub check: crate::check::CheckOptions,
}

fn alert(msg: &str) {
    eprintln!("[ALERT]    ({}) : {msg}", std::process::id());
}

/// Start serving. Returns the process exit code; alerts go to stderr in HAProxy's format.
pub fn start(mut config: Config, opts: &RunOptions) -> i32 {
    if let Some(flag) = opts.refused_flags.first() {
        alert(&format!("not supported yet: command-line flag '{flag}'"));
        return 1;
    }
    if let Some(n) = opts.maxconn.filter(|n| *n > 0) {
        config.global.maxconn = Some(n.min(i64::from(u32::MAX)) as u32);
    }
    if let Some(n) = opts.per_proxy_maxconn.filter(|n| *n > 0) {
        for p in config.proxies.iter_mut().filter(|p| p.caps.frontend && p.maxconn.is_none()) {
            p.maxconn = Some(n.min(i64::from(u32::MAX)) as u32);
        }
    }
    // Before any thread exists: `show env`, external programs and the workers see it.
    config.global.env.apply_to_process();
    if !config.unsupported.is_empty() {
        for u in &config.unsupported {
            alert(&format!("config : parsing [{}:{}] : not supported yet: {}", u.span.file, u.span.line, u.what));
        }
        alert("config : Fatal errors found in configuration.");
        return 1;
    }
    if opts.quiet || config.global.quiet {
        crate::engine::events::set_stderr(false);
    }
    // A worker of a master (`-W`) is never the one that goes to the background or writes the
    // pidfile or stops older processes: the master does.
    let worker = crate::master::worker_socket();
    let daemon = (opts.daemon || config.global.daemon) && !opts.foreground && worker.is_none();
    if daemon && std::env::var_os(DAEMON_CHILD_ENV).is_none() {
        return spawn_background(opts, config.global.pidfile.as_deref());
    }
    if worker.is_none() && (opts.master_worker || config.global.master_worker) {
        return crate::master::run(config, opts);
    }
    if let Some(path) = &worker {
        match crate::master::internal_bind(path) {
            Ok(b) => config.global.stats_sockets.push(b),
            Err(e) => {
                alert(&e.to_string());
                return 1;
            }
        }
    }
    let rings = match crate::log::ring::Rings::from_config(&config) {
        Ok(r) => r,
        Err(alerts) => {
            for a in alerts {
                alert(&format!("config : {a}"));
            }
            return 1;
        }
    };
    let global_targets = config.global.log.iter().filter_map(|t| Target::from_ir(t, &rings)).collect();
    let logger = Arc::new(
        Logger::new(config.global.log_tag.as_deref(), config.global.log_send_hostname.as_deref(), global_targets)
            .with_rings(rings),
    );
    let (relays, relay_warnings) = crate::log::relay::bind_all(&config, &logger);
    for w in relay_warnings {
        eprintln!("[WARNING]  ({}) : {w}", std::process::id());
    }
    let threads = config
        .global
        .nbthread
        .map(|n| n as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let eng = Engine::new(config, logger);
    // `server-state-file`: the states saved before a reload come back before anything serves.
    crate::runtime_api::state_file::load(&eng, crate::runtime_api::state_file::configured);
    let listeners = match run::prepare(&eng) {
        Ok(l) => l,
        Err(e) => {
            alert(&e.to_string());
            return 1;
        }
    };
    // The stats sockets are bound now too, while their mode and owner may still be set.
    let cli = match crate::runtime_api::bind(&eng) {
        Ok(c) => c,
        Err(e) => {
            alert(&e.to_string());
            return 1;
        }
    };
    let pid = std::process::id();
    // In the foreground the pidfile is ours to write; a background child's parent writes it.
    if std::env::var_os(DAEMON_CHILD_ENV).is_none() && worker.is_none() {
        if let Some(path) = opts.pidfile.as_ref().or(eng.config.global.pidfile.as_ref()) {
            if let Err(e) = std::fs::write(path, format!("{pid}\n")) {
                alert(&format!("[haproxide.main()] Cannot create pidfile {path} : {e}"));
                return 1;
            }
        }
    }
    // Listening now (SO_REUSEPORT lets the old process keep its sockets meanwhile): ask the old
    // processes to finish, as HAProxy does for a reload.
    for (pids, sig) in [
        (&opts.finish_pids, nix::sys::signal::Signal::SIGUSR1),
        (&opts.terminate_pids, nix::sys::signal::Signal::SIGTERM),
    ] {
        for &p in pids.iter().filter(|_| worker.is_none()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), sig);
        }
    }
    if let Err(msg) = drop_privileges(&eng.config.global) {
        alert(&msg);
        return 1;
    }
    if std::env::var_os(DAEMON_CHILD_ENV).is_some() {
        detach();
    } else if std::env::var_os(crate::master::WORKER_DETACH_ENV).is_some() {
        null_stdio();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(threads.max(1)).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            alert(&format!("cannot start the runtime: {e}"));
            return 1;
        }
    };
    rt.block_on(async move {
        eng.log.rings.spawn_forwarders();
        eng.start_email_senders();
        crate::log::relay::spawn(relays, eng.log.clone());
        crate::runtime_api::spawn(eng.clone(), cli);
        run::run(eng, listeners).await
    })
}

/// `chroot`, `group`/`gid`, `user`/`uid` from the global section, in HAProxy's order.
fn drop_privileges(g: &crate::ir::types::Global) -> Result<(), String> {
    use nix::unistd::{chdir, chroot, setgid, setgroups, setuid, Gid, Uid};
    if let Some(dir) = &g.chroot {
        chroot(dir.as_str())
            .and_then(|_| chdir("/"))
            .map_err(|e| format!("[haproxide.main()] Cannot chroot({dir}): {}.", e.desc()))?;
    }
    if let Some(gid) = g.gid {
        let gid = Gid::from_raw(gid);
        setgroups(&[gid])
            .map_err(|e| format!("[haproxide.main()] Failed to drop supplementary groups: {}.", e.desc()))?;
        setgid(gid).map_err(|e| format!("[haproxide.main()] Cannot set gid {gid}: {}.", e.desc()))?;
    }
    if let Some(uid) = g.uid {
        setuid(Uid::from_raw(uid)).map_err(|e| format!("[haproxide.main()] Cannot set uid {uid}: {}.", e.desc()))?;
    }
    Ok(())
}

/// `-D`: start the same command in the background, wait until it listens, write its pid to the
/// pidfile, and return so the foreground process exits, as HAProxy's parent does.
fn spawn_background(opts: &RunOptions, cfg_pidfile: Option<&str>) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            alert(&format!("cannot find our own executable to go to background: {e}"));
            return 1;
        }
    };
    let mut child = match std::process::Command::new(exe)
        .args(&opts.argv)
        .env(DAEMON_CHILD_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            alert(&format!("cannot go to background: {e}"));
            return 1;
        }
    };
    let ready = child
        .stdout
        .take()
        .map(|out| std::io::BufReader::new(out).lines().next().and_then(|l| l.ok()).is_some_and(|l| l == READY))
        .unwrap_or(false);
    if !ready {
        return child.wait().ok().and_then(|s| s.code()).unwrap_or(1);
    }
    if let Some(path) = opts.pidfile.as_deref().or(cfg_pidfile) {
        if let Err(e) = std::fs::write(path, format!("{}\n", child.id())) {
            alert(&format!("[haproxide.main()] Cannot create pidfile {path} : {e}"));
            return 1;
        }
    }
    0
}

/// In the background child: tell the parent we listen, leave its session, drop stdio.
pub(crate) fn detach() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{READY}");
    let _ = out.flush();
    drop(out);
    let _ = nix::unistd::setsid();
    null_stdio();
}

/// Point stdin, stdout and stderr at /dev/null.
fn null_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        let _ = nix::unistd::dup2(null.as_raw_fd(), 0);
        let _ = nix::unistd::dup2(null.as_raw_fd(), 1);
        let _ = nix::unistd::dup2(null.as_raw_fd(), 2);
    }
}

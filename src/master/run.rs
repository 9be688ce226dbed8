//! The master's event loop: start the first worker, then wait for signals, worker exits and
//! reload requests from the master CLI, and act on them as HAProxy 2.6's master does (messages on
//! stderr, systemd notifications with `-Ws`, the pidfile, going to the background with `-D`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::table::{ExitStatus, Msg, ProcTable};
use super::{serve, Error, WORKER_DETACH_ENV, WORKER_SOCKET_ENV};
use crate::app::{RunOptions, DAEMON_CHILD_ENV};
use crate::config::diag::Severity;
use crate::ir::types::Config;

/// What the master and its CLI sessions share. Locked briefly, never across an `.await`.
pub struct Shared {
    pub table: ProcTable,
    /// Each worker's internal socket.
    pub sockets: std::collections::HashMap<u32, PathBuf>,
}

pub type SharedRef = Arc<Mutex<Shared>>;

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

struct Master<'a> {
    opts: &'a RunOptions,
    pid: u32,
    exe: PathBuf,
    dir: PathBuf,
    seq: u32,
    shared: SharedRef,
    exits: mpsc::UnboundedSender<(u32, ExitStatus)>,
    daemon_child: bool,
    /// HAProxy prints its `haproxy version is` banner before the first warning or alert of each
    /// process image; its master re-executes on every reload, so the banner comes back.
    banner_done: std::cell::Cell<bool>,
}

/// Run the master until no worker is left; returns the exit status.
pub fn run(config: Config, opts: &RunOptions) -> i32 {
    let pid = std::process::id();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            say(opts, pid, Msg::Alert(format!("cannot start the runtime: {e}")));
            return 1;
        }
    };
    let code = rt.block_on(async {
        match start(config, opts, pid).await {
            Ok(code) => code,
            Err(e) => {
                say(opts, pid, Msg::Alert(e.to_string()));
                1
            }
        }
    });
    let _ = std::fs::remove_dir_all(private_dir(pid));
    code
}

fn say(opts: &RunOptions, pid: u32, m: Msg) {
    if !opts.quiet {
        eprintln!("{}", m.render(pid));
    }
}

fn private_dir(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("haproxide-mworker-{pid}"))
}

/// `sd_notify`: one datagram to `$NOTIFY_SOCKET`, only with `-Ws` and only if it is set.
fn notify(opts: &RunOptions, state: &str) {
    if !opts.systemd {
        return;
    }
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else { return };
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        if let Ok(addr) = std::os::unix::net::SocketAddr::from_abstract_name(name) {
            let _ = sock.send_to_addr(state.as_bytes(), &addr);
        }
    } else {
        let _ = sock.send_to(state.as_bytes(), Path::new(&path));
    }
}

async fn start(config: Config, opts: &RunOptions, pid: u32) -> Result<i32, Error> {
    let exe = std::env::current_exe().map_err(|e| Error::Io(format!("cannot find our own executable: {e}")))?;
    let dir = private_dir(pid);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut clis = Vec::new();
    for arg in &opts.master_cli {
        let bind = super::parse_master_cli(arg)?;
        let (listener, name) = crate::runtime_api::server::bind_one(&bind).map_err(|e| Error::Io(e.to_string()))?;
        clis.push((listener, name));
    }
    let mut table = ProcTable::new(pid, now(), crate::VERSION);
    table.no_exit_on_failure = config.global.master_worker_no_exit_on_failure;
    let shared = Arc::new(Mutex::new(Shared { table, sockets: Default::default() }));
    let (exits_tx, mut exits) = mpsc::unbounded_channel();
    let daemon_child = std::env::var_os(DAEMON_CHILD_ENV).is_some();
    let mut m = Master {
        opts,
        pid,
        exe,
        dir,
        seq: 0,
        shared: shared.clone(),
        exits: exits_tx,
        daemon_child,
        banner_done: std::cell::Cell::new(false),
    };
    // HAProxy's master re-executes itself once the worker runs, which tells systemd it reloads.
    notify(opts, "RELOADING=1");
    let first = match m.start_worker().await {
        Ok(p) => p,
        Err(status) => return Ok(status.code()),
    };
    shared.lock().table.started(first, now());
    // In the background, HAProxy's master has closed stderr by the time the worker is ready.
    if daemon_child {
        crate::app::detach();
    }
    m.say(Msg::Notice("Loading success.".into()));
    notify(opts, &format!("READY=1\nMAINPID={pid}"));
    for (pids, sig) in [(&opts.finish_pids, libc_sig::USR1), (&opts.terminate_pids, libc_sig::TERM)] {
        for &p in pids.iter() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), sig);
        }
    }
    // In the background, the parent writes the pidfile with our pid once `detach` told it we serve.
    let pidfile = opts.pidfile.as_ref().or(config.global.pidfile.as_ref()).filter(|_| !daemon_child);
    if let Some(path) = pidfile {
        if let Err(e) = std::fs::write(path, format!("{pid}\n")) {
            m.say(Msg::Alert(format!("[haproxide.main()] Cannot create pidfile {path} : {e}")));
            m.signal_all(libc_sig::TERM);
            return Ok(1);
        }
    }
    // What HAProxy's re-executed master (and so every later configuration read and worker) sees.
    std::env::set_var("HAPROXY_MWORKER", "1");
    let names: Vec<&str> = clis.iter().map(|(_, n)| n.as_str()).collect();
    if !names.is_empty() {
        std::env::set_var("HAPROXY_MASTER_CLI", names.join(";"));
    }
    let (reload_tx, mut reloads) = mpsc::unbounded_channel();
    for (listener, _) in clis {
        serve::spawn(listener, shared.clone(), reload_tx.clone());
    }
    let sig = |k: SignalKind| signal(k).map_err(|e| Error::Io(format!("cannot catch signals: {e}")));
    let (mut term, mut int, mut usr1) =
        (sig(SignalKind::terminate())?, sig(SignalKind::interrupt())?, sig(SignalKind::user_defined1())?);
    let (mut usr2, mut hup, mut quit) =
        (sig(SignalKind::user_defined2())?, sig(SignalKind::hangup())?, sig(SignalKind::quit())?);
    loop {
        tokio::select! {
            // Signals first: a master told to stop says so before it reports the exits it causes.
            biased;
            _ = term.recv() => m.stop(libc_sig::TERM),
            _ = int.recv() => m.stop(libc_sig::INT),
            _ = usr1.recv() => m.stop(libc_sig::USR1),
            _ = usr2.recv() => m.reload().await,
            _ = hup.recv() => m.reload().await,
            // HAProxy's master does nothing visible on SIGQUIT.
            _ = quit.recv() => {}
            Some(()) = reloads.recv() => m.reload().await,
            Some((p, status)) = exits.recv() => {
                let out = shared.lock().table.exited(p, status);
                shared.lock().sockets.remove(&p).map(|s| std::fs::remove_file(s).ok());
                for msg in out.msgs {
                    m.say(msg);
                }
                if out.kill_all {
                    m.signal_all(libc_sig::TERM);
                }
                if let Some(code) = out.master_exit {
                    return Ok(code);
                }
            }
        }
    }
}

/// The signals the master sends, under short names.
mod libc_sig {
    pub use nix::sys::signal::Signal::{SIGINT as INT, SIGTERM as TERM, SIGUSR1 as USR1};
}

use std::os::unix::fs::DirBuilderExt;

impl Master<'_> {
    fn say(&self, m: Msg) {
        if !matches!(m, Msg::Notice(_)) && !self.banner_done.replace(true) {
            let exe = self.exe.display();
            say(self.opts, self.pid, Msg::Notice(format!("haproxy version is {}", crate::VERSION)));
            say(self.opts, self.pid, Msg::Notice(format!("path to executable is {exe}")));
        }
        say(self.opts, self.pid, m);
    }

    fn signal_all(&self, sig: nix::sys::signal::Signal) {
        for p in self.shared.lock().table.pids() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p as i32), sig);
        }
    }

    /// SIGTERM, SIGINT, SIGUSR1: say so once, then pass the signal on to every worker.
    fn stop(&mut self, sig: nix::sys::signal::Signal) {
        let first = !std::mem::replace(&mut self.shared.lock().table.stopping, true);
        if first {
            self.say(Msg::Warning("Exiting Master process...".into()));
            notify(self.opts, "STOPPING=1");
        }
        self.signal_all(sig);
    }

    /// Start a worker and wait until it serves (its internal socket appears). On failure the
    /// worker's own alerts are on stderr already; its status comes back.
    async fn start_worker(&mut self) -> Result<u32, ExitStatus> {
        self.seq += 1;
        let sock = self.dir.join(format!("worker-{}.sock", self.seq));
        let _ = std::fs::remove_file(&sock);
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(&self.opts.argv).env(WORKER_SOCKET_ENV, &sock).env_remove(DAEMON_CHILD_ENV);
        cmd.stdin(std::process::Stdio::null());
        if self.daemon_child {
            cmd.env(WORKER_DETACH_ENV, "1");
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                self.say(Msg::Alert(format!("[haproxide.main()] Cannot fork: {e}")));
                return Err(ExitStatus::Code(1));
            }
        };
        let pid = child.id().unwrap_or(0);
        self.say(Msg::Notice(format!("New worker ({pid}) forked")));
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(convert(st));
            }
            if sock.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.shared.lock().sockets.insert(pid, sock);
        let tx = self.exits.clone();
        tokio::spawn(async move {
            let st = child.wait().await.map(convert).unwrap_or(ExitStatus::Code(1));
            let _ = tx.send((pid, st));
        });
        Ok(pid)
    }

    /// Read the configuration again; if it holds, start a new worker and stop the others
    /// softly, else keep them and say the loading failed.
    async fn reload(&mut self) {
        self.say(Msg::Notice("Reloading HAProxy".into()));
        self.banner_done.set(false);
        notify(self.opts, "RELOADING=1");
        notify(self.opts, "RELOADING=1");
        let ok = self.check_again()
            && match self.start_worker().await {
                Ok(new) => {
                    let old = self.shared.lock().table.reload_ok(new, now());
                    self.say(Msg::Notice("Loading success.".into()));
                    for p in old {
                        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p as i32), libc_sig::USR1);
                    }
                    true
                }
                Err(_) => false,
            };
        if !ok {
            self.shared.lock().table.reload_failed();
            self.say(Msg::Warning("Loading failure!".into()));
        }
        notify(self.opts, &format!("READY=1\nMAINPID={}", self.pid));
    }

    /// The same checks `main` makes before a start, with the same messages.
    fn check_again(&self) -> bool {
        let outcome = crate::check::check_files(&self.opts.config_files, &self.opts.check);
        let exe = self.exe.display().to_string();
        let mut err = crate::config::diag::Printer::new(std::io::stderr(), self.pid, crate::VERSION, &exe);
        err.quiet = self.opts.quiet;
        err.print_all(&outcome.diags.list);
        let loud = outcome.diags.list.iter().any(|d| matches!(d.severity, Severity::Warning | Severity::Alert));
        if loud && !err.quiet {
            // The printer put the banner before them.
            self.banner_done.set(true);
        }
        if !err.quiet {
            for n in &outcome.notes {
                err.write_raw(&format!("   = {n}\n"));
            }
        }
        let Some(config) = outcome.config.filter(|_| outcome.exit_code != 1) else { return false };
        if !config.unsupported.is_empty() {
            for u in &config.unsupported {
                self.say(Msg::Alert(format!(
                    "config : parsing [{}:{}] : not supported yet: {}",
                    u.span.file, u.span.line, u.what
                )));
            }
            self.say(Msg::Alert("config : Fatal errors found in configuration.".into()));
            return false;
        }
        true
    }
}

fn convert(st: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => ExitStatus::Code(c),
        (None, Some(s)) => ExitStatus::Signal(s),
        _ => ExitStatus::Code(1),
    }
}

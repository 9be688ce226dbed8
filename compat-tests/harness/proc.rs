//! Running the two implementations: `haproxy` (the oracle, `$HAPROXY_BIN` or PATH) and the
//! haproxide binary Cargo built for this test. One-shot runs (`-c`, `-v`...) with a timeout and
//! captured output, and long-running instances behind kill-on-drop guards, each with its config
//! written into its own temp dir and its stdout/stderr captured continuously.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::tempdir::TempDir;
use super::wait;

/// Which implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impl {
    HAProxy,
    Haproxide,
}

impl Impl {
    /// Both, oracle first.
    pub const BOTH: [Impl; 2] = [Impl::HAProxy, Impl::Haproxide];

    pub fn name(self) -> &'static str {
        match self {
            Impl::HAProxy => "haproxy",
            Impl::Haproxide => "haproxide",
        }
    }

    /// The executable to run. Panics for HAProxy when it is not installed (tests check
    /// `require_haproxy!` first).
    pub fn program(self) -> PathBuf {
        match self {
            Impl::HAProxy => haproxy_program().expect("haproxy not installed (use require_haproxy!)"),
            Impl::Haproxide => PathBuf::from(env!("CARGO_BIN_EXE_haproxide")),
        }
    }
}

impl std::fmt::Display for Impl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `$HAPROXY_BIN` if set and present, else the first `haproxy` on PATH.
pub fn haproxy_program() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HAPROXY_BIN") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("haproxy")).find(|p| p.is_file())
}

/// The result of a one-shot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit code; None if killed by a signal (or by our timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// How long a one-shot run may take before it is killed (a hang is a failure, not a wait).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

fn reader(mut r: impl Read + Send + 'static, sink: Arc<Mutex<Vec<u8>>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

fn text(b: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&b.lock().unwrap()).into_owned()
}

/// Run `imp` with `args` in `cwd` to completion (killed after [`RUN_TIMEOUT`]).
pub fn run(imp: Impl, args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(imp.program());
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    let mut child = ChildGuard::spawn(cmd, imp);
    let status = child.wait_timeout(RUN_TIMEOUT);
    let (stdout, stderr) = child.take_output();
    Output { code: status.and_then(|s| s.code()), stdout, stderr }
}

/// `-c -f <file>` run from `cwd` (so messages name `file` exactly as given).
pub fn check_file(imp: Impl, cwd: &Path, file: &str) -> Output {
    run(imp, &["-c", "-f", file], cwd)
}

/// Write `cfg` to a temp dir as `haproxy.cfg` and run `-c -f haproxy.cfg` there.
pub fn check_config(imp: Impl, cfg: &str) -> Output {
    let dir = TempDir::new("check");
    dir.write("haproxy.cfg", cfg);
    check_file(imp, dir.path(), "haproxy.cfg")
}

/// A child process in its own process group, killed (the whole group) on drop, with stdout and
/// stderr captured by background threads.
pub struct ChildGuard {
    child: Child,
    imp: Impl,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawn `cmd` with piped stdout/stderr in a new process group.
    pub fn spawn(mut cmd: Command, imp: Impl) -> ChildGuard {
        use std::os::unix::process::CommandExt;
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {imp}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            reader(child.stdout.take().expect("piped stdout"), stdout.clone()),
            reader(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        ChildGuard { child, imp, stdout, stderr, readers, status: None }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn imp(&self) -> Impl {
        self.imp
    }

    /// Stdout captured so far.
    pub fn stdout(&self) -> String {
        text(&self.stdout)
    }

    /// Stderr captured so far.
    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// The exit status if the process has exited (non-blocking).
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Wait up to `timeout` for the process to exit; on timeout kill it and return None.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let st = wait::wait_for(timeout, || self.try_status());
        if st.is_none() {
            self.kill();
        }
        st
    }

    /// Send a signal to the process (SIGHUP, SIGUSR1, SIGTERM...).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig);
    }

    /// SIGKILL the whole process group and reap the child. Only while the child is not reaped
    /// yet (running, or a zombie) is its group id guaranteed to be ours, so a child already
    /// reaped by [`ChildGuard::try_status`] is left alone.
    pub fn kill(&mut self) {
        if self.status.is_none() {
            let _ =
                nix::sys::signal::killpg(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::SIGKILL);
            self.status = self.child.wait().ok();
        }
    }

    /// Wait (bounded) for the output readers to see EOF and return (stdout, stderr). A reader
    /// still blocked after the deadline (a forked process kept the pipe) is abandoned.
    pub fn take_output(&mut self) -> (String, String) {
        let readers = std::mem::take(&mut self.readers);
        wait::wait_until(Duration::from_secs(5), || readers.iter().all(|r| r.is_finished()));
        for r in readers {
            if r.is_finished() {
                let _ = r.join();
            }
        }
        (self.stdout(), self.stderr())
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A long-running instance started on a config: the temp dir (config, sockets, pidfiles) lives
/// as long as the instance. The process is killed on drop.
pub struct Instance {
    pub child: ChildGuard,
    pub dir: TempDir,
    pub config_path: PathBuf,
}

/// Start `imp` in the foreground (`-db`) on `cfg` (already templated), written as
/// `<tmp>/haproxy.cfg`; `extra_args` go before `-f`. Does not wait for readiness: use
/// [`Instance::wait_ready`] with the ports the config binds.
pub fn start(imp: Impl, cfg: &str, extra_args: &[&str]) -> Instance {
    start_in(imp, TempDir::new(imp.name()), cfg, extra_args)
}

/// Like [`start`] in a directory the caller prepared (e.g. whose path was templated into `cfg`
/// as `${DIR}` for stats sockets).
pub fn start_in(imp: Impl, dir: TempDir, cfg: &str, extra_args: &[&str]) -> Instance {
    let config_path = dir.write("haproxy.cfg", cfg);
    let mut cmd = Command::new(imp.program());
    cmd.arg("-db").args(extra_args).arg("-f").arg(&config_path).current_dir(dir.path()).stdin(Stdio::null());
    Instance { child: ChildGuard::spawn(cmd, imp), dir, config_path }
}

impl Instance {
    pub fn imp(&self) -> Impl {
        self.child.imp()
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Stderr so far, raw.
    pub fn stderr(&self) -> String {
        self.child.stderr()
    }

    /// Wait until every TCP port in `ports` is listening (checked without connecting, so no
    /// probe shows up in logs) and every path in `sockets` exists. Panics (with the stderr so far) if the process exits or the deadline passes.
    pub fn wait_ready(&mut self, ports: &[u16], sockets: &[&Path]) {
        let deadline = Instant::now() + wait::DEFAULT_TIMEOUT;
        loop {
            if let Some(st) = self.child.try_status() {
                panic!("{} exited during startup ({st}); stderr:\n{}", self.imp(), self.stderr());
            }
            if ports.iter().all(|&p| wait::port_listening(p)) && sockets.iter().all(|s| s.exists()) {
                return;
            }
            if Instant::now() >= deadline {
                panic!("{} not ready after {:?}; stderr:\n{}", self.imp(), wait::DEFAULT_TIMEOUT, self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Wait for stderr to contain `needle`; returns the whole stderr then.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> Option<String> {
        wait::wait_for(timeout, || {
            let s = self.stderr();
            s.contains(needle).then_some(s)
        })
    }

    /// Send a signal to the main process.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        self.child.signal(sig)
    }

    /// Stop the instance now (SIGKILL the group) and return its captured (stdout, stderr).
    pub fn kill(mut self) -> (String, String) {
        self.child.kill();
        self.child.take_output()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxide_binary_runs_and_is_reaped() {
        let out = run(Impl::Haproxide, &["-v"], Path::new("."));
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(out.stdout.contains("version"), "{out:?}");
    }

    #[test]
    fn check_config_writes_the_file() {
        let out = check_config(Impl::Haproxide, "global\n  maxconn 10\n  bogus_global_kw x\n");
        assert_ne!(out.code, Some(0), "{out:?}");
        assert!(out.stderr.contains("haproxy.cfg:3"), "{out:?}");
    }
}

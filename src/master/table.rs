//! The master's process table and what it decides, with no I/O: which workers run, which one is
//! current, how many reloads each has seen, the `show proc` rendering, the `@` prefixes of the
//! master CLI, and what a worker's exit means (the lines HAProxy 2.6 prints, whether every other
//! process is killed, whether the master leaves and with which status). Time is passed in.

/// The status a finished process left, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    /// HAProxy's `exitcode`: the exit code, or 128 plus the signal number.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c,
            ExitStatus::Signal(s) => 128 + s,
        }
    }

    /// The text in parentheses: `Exit`, or glibc's `strsignal()` wording.
    pub fn describe(self) -> &'static str {
        match self {
            ExitStatus::Code(_) => "Exit",
            ExitStatus::Signal(s) => signal_name(s),
        }
    }
}

/// glibc's `strsignal()` texts for Linux signal numbers.
fn signal_name(sig: i32) -> &'static str {
    const NAMES: [&str; 32] = [
        "Unknown signal 0",
        "Hangup",
        "Interrupt",
        "Quit",
        "Illegal instruction",
        "Trace/breakpoint trap",
        "Aborted",
        "Bus error",
        "Floating point exception",
        "Killed",
        "User defined signal 1",
        "Segmentation fault",
        "User defined signal 2",
        "Broken pipe",
        "Alarm clock",
        "Terminated",
        "Stack fault",
        "Child exited",
        "Continued",
        "Stopped (signal)",
        "Stopped",
        "Stopped (tty input)",
        "Stopped (tty output)",
        "Urgent I/O condition",
        "CPU time limit exceeded",
        "File size limit exceeded",
        "Virtual timer expired",
        "Profiling timer expired",
        "Window changed",
        "I/O possible",
        "Power failure",
        "Bad system call",
    ];
    usize::try_from(sig).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("Real-time signal")
}

/// A message the master prints, with HAProxy's severity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Notice(String),
    Warning(String),
    Alert(String),
}

impl Msg {
    /// The stderr line (`[NOTICE]   (pid) : text`), without the line feed.
    pub fn render(&self, pid: u32) -> String {
        let (tag, text) = match self {
            Msg::Notice(t) => ("[NOTICE]   ", t),
            Msg::Warning(t) => ("[WARNING]  ", t),
            Msg::Alert(t) => ("[ALERT]    ", t),
        };
        format!("{tag}({pid}) : {text}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub pid: u32,
    /// Reloads of the master this worker lived through.
    pub reloads: u32,
    /// Start time, in seconds since the epoch.
    pub started: u64,
    pub version: String,
}

/// What a worker's exit leads to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExitOutcome {
    pub msgs: Vec<Msg>,
    /// `exit-on-failure`: SIGTERM every remaining worker.
    pub kill_all: bool,
    /// No worker left: the master exits with this status.
    pub master_exit: Option<i32>,
}

/// Where a master CLI request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Master,
    Worker(u32),
}

/// The master's view of its processes.
#[derive(Debug, Clone)]
pub struct ProcTable {
    pub master_pid: u32,
    pub master_started: u64,
    pub version: String,
    pub reloads: u32,
    /// Failed reloads since the last successful one.
    pub failed_reloads: u32,
    /// The current worker first, then the old ones, newest first.
    workers: Vec<Worker>,
    /// Whether the first entry of `workers` is the current worker (it may have exited).
    has_current: bool,
    /// The master was told to stop (SIGTERM, SIGINT, SIGUSR1): exits are no failures.
    pub stopping: bool,
    /// `master-worker no-exit-on-failure`.
    pub no_exit_on_failure: bool,
    /// The status the master will exit with, set by the current worker's exit.
    exit_status: i32,
}

impl ProcTable {
    pub fn new(master_pid: u32, now: u64, version: &str) -> ProcTable {
        ProcTable {
            master_pid,
            master_started: now,
            version: version.to_string(),
            reloads: 0,
            failed_reloads: 0,
            workers: Vec::new(),
            has_current: false,
            stopping: false,
            no_exit_on_failure: false,
            exit_status: 0,
        }
    }

    pub fn current(&self) -> Option<u32> {
        self.has_current.then(|| self.workers.first().map(|w| w.pid)).flatten()
    }

    /// Every worker pid, current and old.
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().map(|w| w.pid).collect()
    }

    /// The first worker is ready.
    pub fn started(&mut self, pid: u32, now: u64) {
        self.workers.insert(0, Worker { pid, reloads: 0, started: now, version: self.version.clone() });
        self.has_current = true;
    }

    /// A reload succeeded: every running worker becomes old and counts one more reload; the
    /// returned pids are the ones to stop softly.
    pub fn reload_ok(&mut self, new_pid: u32, now: u64) -> Vec<u32> {
        self.reloads += 1;
        self.failed_reloads = 0;
        let old = self.pids();
        for w in &mut self.workers {
            w.reloads += 1;
        }
        self.started(new_pid, now);
        old
    }

    /// A reload failed: the workers keep running (and still count the reload).
    pub fn reload_failed(&mut self) {
        self.reloads += 1;
        self.failed_reloads += 1;
        for w in &mut self.workers {
            w.reloads += 1;
        }
    }

    /// A process ended. Unknown pids (a new worker that failed to start) change nothing.
    pub fn exited(&mut self, pid: u32, status: ExitStatus) -> ExitOutcome {
        let mut out = ExitOutcome::default();
        let Some(idx) = self.workers.iter().position(|w| w.pid == pid) else {
            return out;
        };
        let current = idx == 0 && self.has_current;
        self.workers.remove(idx);
        if current {
            self.has_current = false;
        }
        let code = status.code();
        let text = |kind: &str| format!("{kind} worker ({pid}) exited with code {code} ({})", status.describe());
        if current {
            out.msgs.push(if code == 0 { Msg::Warning(text("Current")) } else { Msg::Alert(text("Current")) });
            // A worker stopped by SIGTERM was asked to stop: the master leaves successfully.
            self.exit_status = if code == 143 { 0 } else { code };
            let failure = !matches!(code, 0 | 130 | 143);
            if failure && !self.stopping && !self.no_exit_on_failure {
                out.msgs.push(Msg::Alert("exit-on-failure: killing every processes with SIGTERM".into()));
                out.kill_all = true;
            }
        } else {
            out.msgs.push(Msg::Warning(text("Former")));
        }
        if self.workers.is_empty() {
            out.msgs.push(Msg::Warning(format!("All workers exited. Exiting... ({})", self.exit_status)));
            out.master_exit = Some(self.exit_status);
        }
        out
    }

    /// `show proc`, byte for byte as HAProxy 2.6 lays it out (without the final empty line).
    pub fn show_proc(&self, now: u64) -> String {
        let mut s =
            format!("#{:<14} {:<15} {:<15} {:<15} {:<15}\n", "<PID>", "<type>", "<reloads>", "<uptime>", "<version>");
        let master_reloads = format!("{} [failed: {}]", self.reloads, self.failed_reloads);
        s.push_str(&format!(
            "{:<15} {:<15} {:<15} {:<15} {}\n",
            self.master_pid,
            "master",
            master_reloads,
            uptime(now.saturating_sub(self.master_started)),
            self.version
        ));
        let row = |w: &Worker| {
            format!(
                "{:<15} {:<15} {:<15} {:<15} {}\n",
                w.pid,
                "worker",
                w.reloads,
                uptime(now.saturating_sub(w.started)),
                w.version
            )
        };
        s.push_str("# workers\n");
        let split = usize::from(self.has_current).min(self.workers.len());
        for w in &self.workers[..split] {
            s.push_str(&row(w));
        }
        if split < self.workers.len() {
            s.push_str("# old workers\n");
            for w in &self.workers[split..] {
                s.push_str(&row(w));
            }
        }
        s.push_str("# programs\n");
        s
    }

    /// The process a `@` prefix names: `@`, `@0` and `@master` the master, `@1` the current
    /// worker, `@!<pid>` any worker. None when nothing matches.
    pub fn resolve(&self, prefix: &str) -> Option<Target> {
        let rest = prefix.strip_prefix('@')?;
        if rest.is_empty() || rest == "master" {
            return Some(Target::Master);
        }
        if let Some(pid) = rest.strip_prefix('!') {
            let pid: u32 = digits(pid)?;
            return self.workers.iter().any(|w| w.pid == pid).then_some(Target::Worker(pid));
        }
        match digits(rest)? {
            0 => Some(Target::Master),
            1 => self.current().map(Target::Worker),
            _ => None,
        }
    }
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// HAProxy's uptime column: `0d00h00m02s`.
pub fn uptime(secs: u64) -> String {
    format!("{}d{:02}h{:02}m{:02}s", secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;

//! What the probe replays share: the recorded `EXPECTED` table (`name`, exit code, `file:line` of
//! the first `[ALERT]`, its text), running the built `haproxide -c -f` on one probe the way the
//! recording ran haproxy (empty environment, from the probe directory), and running many probes
//! on all CPUs.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Probe {
    pub name: String,
    pub rc: i32,
    pub loc: String,
    pub first: String,
}

/// The probes recorded in `dir/EXPECTED`.
pub fn expected(dir: &Path) -> Vec<Probe> {
    let text = std::fs::read_to_string(dir.join("EXPECTED")).expect("EXPECTED");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(4, '\t');
            let name = f.next().unwrap().to_string();
            let rc = f.next().unwrap().parse().unwrap();
            let loc = f.next().unwrap().to_string();
            let first = f.next().unwrap_or("-").to_string();
            Probe { name, rc, loc, first }
        })
        .collect()
}

/// What haproxide says about one probe: exit code, first `[ALERT]` line with pids hidden
/// (`None` without one), and that line's `file:line` (`none` without one).
pub struct Verdict {
    pub rc: i32,
    pub first: Option<String>,
    pub loc: String,
}

pub fn verdict(dir: &Path, name: &str) -> Verdict {
    let out = Command::new(env!("CARGO_BIN_EXE_haproxide"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["-c", "-f", &format!("{name}.cfg")])
        .output()
        .expect("run haproxide");
    let rc = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().find(|l| l.starts_with("[ALERT]")).map(hide_pid);
    let loc = first.as_deref().and_then(location).unwrap_or_else(|| "none".to_string());
    Verdict { rc, first, loc }
}

/// `f` on every probe, on up to 8 threads; results in the probes' order.
pub fn run_all<T: Send>(probes: &[Probe], f: impl Fn(&Probe) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(probes.len()));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = probes.get(i) else { break };
                let o = f(p);
                results.lock().unwrap().push((i, o));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

/// `[ALERT]    (1234) : ...` with the pids (of every message merged on the line) replaced by
/// `PID`.
pub fn hide_pid(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("] ") {
        let (head, tail) = rest.split_at(at + 1);
        out.push_str(head);
        let spaces = tail.len() - tail.trim_start_matches(' ').len();
        let after = &tail[spaces..];
        let digits = after.strip_prefix('(').map_or(0, |a| a.bytes().take_while(u8::is_ascii_digit).count());
        if digits > 0 && after[1 + digits..].starts_with(')') {
            out.push_str(&tail[..spaces]);
            out.push_str("(PID)");
            rest = &after[digits + 2..];
        } else {
            rest = tail;
            if rest.is_empty() {
                break;
            }
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The `file.cfg:N` of the first `[f.cfg:N]` in a line.
pub fn location(line: &str) -> Option<String> {
    let mut rest = line;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        if let Some(j) = after.find(']') {
            let inner = &after[..j];
            if let Some((f, l)) = inner.rsplit_once(':') {
                if f.ends_with(".cfg") && !f.contains('[') && !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) {
                    return Some(inner.to_string());
                }
            }
        }
        rest = after;
    }
    None
}

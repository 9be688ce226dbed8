//! Master-worker mode (`-W`, `-S`) compared with HAProxy: the master's messages and exit status
//! when it is told to stop or its worker dies, `show proc` and the `@` prefixes on the master
//! CLI, reloads through SIGUSR2 and the master CLI's `reload` that keep the service answering,
//! and a reload with a broken configuration that keeps the old worker.
//!
//! The master's own lines are compared in order; the workers' lines (`Proxy fe stopped`...) race
//! with the master's in both implementations, so they are compared as a sorted set.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::harness::cli;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use std::process::{Command, Stdio};

use crate::harness::proc::{ChildGuard, Impl, Instance};
use crate::harness::tempdir::TempDir;
use crate::harness::{client, normalize, wait};

const CFG: &str = "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
                   frontend fe\n  bind 127.0.0.1:${PORT_0}\n  default_backend be\n\
                   backend be\n  server s1 127.0.0.1:${PORT_1}\n";

const WAIT: Duration = Duration::from_secs(10);

struct Running {
    inst: Instance,
    port: u16,
    sock: std::path::PathBuf,
    _s1: MockHttp,
}

fn start(imp: Impl) -> Running {
    let s1 = MockHttp::start("s1");
    let mut t = Template::new();
    t.set_port(1, s1.port());
    let cfg = t.render(CFG);
    let dir = TempDir::new(imp.name());
    let sock = dir.join("master.sock");
    let sock_arg = sock.display().to_string();
    // As users run it: no `-db` (which proc::start adds).
    let config_path = dir.write("haproxy.cfg", &cfg);
    let mut cmd = Command::new(imp.program());
    cmd.args(["-W", "-S", &sock_arg, "-f"]).arg(&config_path).current_dir(dir.path()).stdin(Stdio::null());
    let mut inst = Instance { child: ChildGuard::spawn(cmd, imp), dir, config_path };
    inst.wait_ready(&[t.port(0)], &[&sock]);
    assert!(inst.wait_stderr("Loading success.", WAIT).is_some(), "{imp}: {}", inst.stderr());
    let r = Running { inst, port: t.port(0), sock, _s1: s1 };
    settle(&r);
    r
}

/// HAProxy's master re-executes itself once its worker runs, and a signal that lands during
/// that exec is lost or kills it: wait until the re-executed image runs (its environment then
/// holds `HAPROXY_MWORKER_REEXEC`) and answers on the master CLI (only a master in its event
/// loop does). haproxide's master does not re-execute.
fn settle(r: &Running) {
    if r.inst.imp() == Impl::HAProxy {
        let environ = format!("/proc/{}/environ", r.inst.pid());
        let ok = wait::wait_until(WAIT, || {
            std::fs::read(&environ)
                .is_ok_and(|e| e.split(|&b| b == 0).any(|v| v.starts_with(b"HAPROXY_MWORKER_REEXEC=")))
        });
        assert!(ok, "haproxy master did not re-execute: {}", r.inst.stderr());
    }
    // HAProxy's socket refuses connections while its master re-executes.
    let answers = || cli::cmd_half_close(r.sock.as_path(), "show proc\n").is_ok_and(|s| s.starts_with("#<PID>"));
    assert!(wait::wait_until(WAIT, answers), "{}: the master CLI does not answer", r.inst.imp());
}

/// The pid in `... worker (<pid>) forked` lines, in order.
fn forked(stderr: &str) -> Vec<u32> {
    stderr.lines().filter_map(|l| l.split("New worker (").nth(1)?.split(')').next()?.parse().ok()).collect()
}

/// Master lines in order, then the other processes' lines sorted; pids, banners, haproxide's
/// excerpts and the temp dir normalised.
fn lines(stderr: &str, master: u32, dir: &std::path::Path) -> String {
    let text = normalize::drop_excerpts(&normalize::drop_banner(stderr)).replace(&dir.display().to_string(), "DIR");
    let tag = format!("({master}) :");
    let (mut mine, mut others): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for l in text.lines() {
        if l.contains(&tag) {
            mine.push(l);
        } else {
            others.push(l);
        }
    }
    others.sort_unstable();
    let all = format!("{}\n--\n{}\n", mine.join("\n"), others.join("\n"));
    normalize::replace_digits_after(&normalize::pids(&all), "worker (", "PID")
}

fn status(inst: &mut Instance) -> String {
    inst.child
        .wait_timeout(WAIT)
        .map(|s| format!("code={:?} signal={:?}", s.code(), s.signal()))
        .unwrap_or_else(|| "still running".into())
}

/// What `show proc` shows, with the volatile columns (pids, uptimes, versions) replaced; the
/// column layout is kept by checking that the volatile columns keep their width.
fn proc_shape(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.starts_with('#') || l.is_empty() {
                return l.to_string();
            }
            let pid_ok = l.len() > 64 && l[..16].trim_end().bytes().all(|b| b.is_ascii_digit()) && &l[15..16] == " ";
            let up = l.get(48..64).unwrap_or("");
            let up_ok = up.ends_with(' ') && up.trim_end().ends_with('s') && up.contains('d');
            format!(
                "PID({pid_ok}) {}|{}| UPTIME({up_ok}) VERSION",
                l.get(16..32).unwrap_or(""),
                l.get(32..48).unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Signal the master (`to_worker` false) or its worker, and report how the master ended.
fn signal_and_wait(imp: Impl, sig: Signal, to_worker: bool) -> String {
    let mut r = start(imp);
    let target = if to_worker { forked(&r.inst.stderr())[0] } else { r.inst.pid() };
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(target as i32), sig);
    let st = status(&mut r.inst);
    let master = r.inst.pid();
    let dir = r.inst.dir.path().to_path_buf();
    let (_, stderr) = r.inst.kill();
    format!("{st}\n{}", lines(&stderr, master, &dir))
}

#[test]
fn master_signals_reach_the_worker() {
    crate::require_haproxy!();
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGUSR1] {
        let [o, h] = both(|imp| signal_and_wait(imp, sig, false));
        assert_same(&format!("master {sig}"), &o, &h);
    }
}

#[test]
fn a_dying_worker_ends_the_master() {
    crate::require_haproxy!();
    for sig in [Signal::SIGKILL, Signal::SIGTERM, Signal::SIGUSR1] {
        let [o, h] = both(|imp| signal_and_wait(imp, sig, true));
        assert_same(&format!("worker {sig}"), &o, &h);
    }
}

#[test]
fn master_cli_show_proc_help_and_prefixes() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let r = start(imp);
        let worker = forked(&r.inst.stderr())[0];
        let ask = |line: &str| cli::cmd_half_close(r.sock.as_path(), &format!("{line}\n")).unwrap_or_default();
        let info = ask("@1 show info");
        let by_pid = ask(&format!("@!{worker} show info"));
        let pid_line = |s: &str| s.lines().find(|l| l.starts_with("Pid: ")).map(String::from);
        let mut out = vec![
            proc_shape(&ask("show proc")),
            proc_shape(&ask("@master show proc")),
            format!("@1 answered by the worker: {}", pid_line(&info) == Some(format!("Pid: {worker}"))),
            format!("@!pid answered by the worker: {}", pid_line(&by_pid) == Some(format!("Pid: {worker}"))),
            ask("@2 show info"),
            ask("@!1 show info"),
            ask("help"),
            ask("foo"),
            ask("show cli level"),
            ask("operator;show cli level"),
            ask("show proc;quit;show proc").lines().count().to_string(),
        ];
        out.push(ask("prompt\nshow cli level\n@master\nquit").replace(&worker.to_string(), "PID"));
        drop(r.inst.kill());
        out.join("\n==\n")
    });
    assert_same("master CLI", &o, &h);
}

/// SIGUSR2, then `reload` on the master CLI: a new worker each time, the old one stops softly,
/// requests are served throughout, and `show proc` counts the reloads.
#[test]
fn reloads_keep_serving() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let r = start(imp);
        let count = |n: usize| wait::wait_until(WAIT, || r.inst.stderr().matches("Loading success.").count() >= n);
        let mut out = vec![format!("before: {}", client::get(r.port, "/").map(|x| x.status).unwrap_or(0))];
        r.inst.signal(Signal::SIGUSR2);
        out.push(format!("usr2 reloaded: {}", count(2)));
        // The old worker's exit line must come before the next reload's lines, in both.
        let first_gone = wait::wait_until(WAIT, || r.inst.stderr().matches("Former worker").count() >= 1);
        out.push(format!("first old worker gone: {first_gone}"));
        settle(&r);
        out.push(format!("after usr2: {}", client::get(r.port, "/").map(|x| x.status).unwrap_or(0)));
        let reply = cli::cmd_half_close(r.sock.as_path(), "reload\n").unwrap_or_else(|e| e.to_string());
        out.push(format!("reload reply: {reply:?}"));
        out.push(format!("cli reloaded: {}", count(3)));
        settle(&r);
        out.push(format!("after cli reload: {}", client::get(r.port, "/").map(|x| x.status).unwrap_or(0)));
        let old_gone = wait::wait_until(WAIT, || r.inst.stderr().matches("Former worker").count() >= 2);
        out.push(format!("old workers gone: {old_gone}"));
        out.push(proc_shape(&cli::cmd_half_close(r.sock.as_path(), "show proc\n").unwrap_or_default()));
        let master = r.inst.pid();
        let dir = r.inst.dir.path().to_path_buf();
        let (_, stderr) = r.inst.kill();
        out.push(lines(&stderr, master, &dir));
        out.join("\n")
    });
    assert_same("reloads", &o, &h);
}

/// A reload with a broken configuration: the master prints the errors and `Loading failure!`,
/// the old worker keeps serving, `show proc` counts the failure; a fixed configuration then
/// reloads normally.
#[test]
fn failed_reload_keeps_the_old_worker() {
    crate::require_haproxy!();
    let [o, h] = both(|imp| {
        let r = start(imp);
        let worker = forked(&r.inst.stderr())[0];
        let good = std::fs::read_to_string(&r.inst.config_path).unwrap();
        std::fs::write(&r.inst.config_path, format!("{good}  bogus_keyword here\n")).unwrap();
        r.inst.signal(Signal::SIGUSR2);
        let failed = r.inst.wait_stderr("Loading failure!", WAIT).is_some();
        settle(&r);
        let mut out = vec![format!("failed: {failed}")];
        out.push(format!("still served: {}", client::get(r.port, "/").map(|x| x.status).unwrap_or(0)));
        let show = cli::cmd_half_close(r.sock.as_path(), "show proc\n").unwrap_or_default();
        out.push(format!("same worker: {}", show.contains(&format!("\n{worker} "))));
        out.push(proc_shape(&show));
        std::fs::write(&r.inst.config_path, good).unwrap();
        r.inst.signal(Signal::SIGUSR2);
        out.push(format!("reloaded: {}", r.inst.wait_stderr("Former worker", WAIT).is_some()));
        out.push(proc_shape(&cli::cmd_half_close(r.sock.as_path(), "show proc\n").unwrap_or_default()));
        let master = r.inst.pid();
        let dir = r.inst.dir.path().to_path_buf();
        let (_, stderr) = r.inst.kill();
        out.push(lines(&stderr, master, &dir));
        out.join("\n")
    });
    assert_same("failed reload", &o, &h);
}

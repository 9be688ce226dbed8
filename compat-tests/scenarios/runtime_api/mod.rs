//! The runtime API (stats socket) against HAProxy 2.6: every command, reply for reply, in
//! one-shot and prompt mode, at every level, with chains, payloads, errors and bad input; the
//! how-to scenario; load. Shared helpers live here, scenarios in the submodules.
//!
//! Normalisation keeps only what truly differs between two processes started at different
//! times: pids, version and release date, uptimes and ages (`lastchg`, `downtime`,
//! `srv_time_since_last_change`), check durations, socket paths, process-wide connection and
//! task counters.

mod commands;
mod counters;
mod dynamic;
mod environment;
mod howto;
mod load;
mod minconn;
mod protocol;
mod sessions;
mod state_file;

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::harness::cli;
use crate::harness::mock_http::MockHttp;
use crate::harness::ports::Template;
use crate::harness::proc::{self, Impl, Instance};
use crate::harness::tempdir::TempDir;
use crate::harness::wait;

/// A running instance with its stats sockets (`admin.sock`, `oper.sock`, `user.sock`).
pub struct Cli {
    pub inst: Instance,
    pub dir: PathBuf,
    pub ports: Template,
    /// The mock backend's port (it differs between the two runs).
    pub web: u16,
}

impl Cli {
    /// Start `imp` on `cfg`, where `${DIR}` is the instance's directory and `${WEB}` the port of a
    /// mock HTTP server answering 200. Waits for `admin.sock` and the frontend ports `${PORT_0}`.
    pub fn start(imp: Impl, cfg: &str, web: &MockHttp) -> Cli {
        Cli::start_with(imp, cfg, web, &[])
    }

    /// [`Cli::start_with`] on [`ADMIN_HTTP`] followed by `body`.
    pub fn start_http(imp: Impl, body: &str, web: &MockHttp, vars: &[(&str, String)]) -> Cli {
        Cli::start_with(imp, &format!("{ADMIN_HTTP}{body}"), web, vars)
    }

    /// [`Cli::start`] with more `${NAME}` values for the configuration.
    pub fn start_with(imp: Impl, cfg: &str, web: &MockHttp, vars: &[(&str, String)]) -> Cli {
        Cli::start_args(imp, cfg, web, vars, &[])
    }

    /// [`Cli::start_with`], with `args` on the command line before `-f`.
    pub fn start_args(imp: Impl, cfg: &str, web: &MockHttp, vars: &[(&str, String)], args: &[&str]) -> Cli {
        let dir = TempDir::new(imp.name());
        let path = dir.path().to_path_buf();
        let mut t = Template::new();
        t.set("DIR", path.display().to_string()).set("WEB", web.port().to_string());
        for (k, v) in vars {
            t.set(k, v.clone());
        }
        let text = t.render(cfg);
        let mut inst = proc::start_in(imp, dir, &text, args);
        let sock = path.join("admin.sock");
        let ports: Vec<u16> = if cfg.contains("${PORT_0}") { vec![t.port(0)] } else { vec![] };
        inst.wait_ready(&ports, &[sock.as_path()]);
        // The socket file may exist a moment before it accepts.
        let answering =
            wait::wait_until(Duration::from_secs(10), || cli::cmd(sock.as_path(), "show cli level").is_ok());
        assert!(answering, "{imp}: the stats socket does not answer");
        Cli { inst, dir: path, ports: t, web: web.port() }
    }

    pub fn sock(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// One-shot on the admin socket: send `input` as is, read to EOF, normalise.
    pub fn raw(&self, input: &[u8]) -> String {
        self.raw_on("admin.sock", input)
    }

    pub fn raw_on(&self, sock: &str, input: &[u8]) -> String {
        let out = cli::cmd_bytes(self.sock(sock), input).unwrap_or_else(|e| format!("<error: {e}>").into_bytes());
        self.norm(&String::from_utf8_lossy(&out))
    }

    /// [`norm`], plus this run's mock backend port.
    pub fn norm(&self, s: &str) -> String {
        sub(&norm(s, &self.dir), &format!(r"\b{}\b", self.web), "WEB")
    }

    /// One command line on the admin socket.
    pub fn cmd(&self, line: &str) -> String {
        self.raw(format!("{line}\n").as_bytes())
    }

    /// Wait until every checked server's first check has finished (`show stat` no longer
    /// shows `INI`, nor a check in progress): the configs use `inter 1s`, so views taken
    /// right after see one check result, wherever start-up put the first check and however
    /// loaded the machine is.
    pub fn settle(&self) {
        let first_checks_done = |stat: &str| {
            stat.lines().filter(|l| !l.starts_with('#')).all(|l| {
                let status = l.split(',').nth(36).unwrap_or("");
                status != "INI" && !status.starts_with("* ")
            })
        };
        let done = wait::wait_until(Duration::from_secs(10), || first_checks_done(&self.cmd("show stat")));
        assert!(done, "the first health checks did not finish within 10 s");
    }
}

/// Replace every match of `re` with `to`.
fn sub(s: &str, re: &str, to: &str) -> String {
    Regex::new(re).unwrap().replace_all(s, to).into_owned()
}

/// Blank the given comma-separated columns of CSV data lines (not the `# ` header).
fn blank_csv(s: &str, cols: &[usize]) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            if l.starts_with("# ") || l.matches(',').count() < 100 {
                return l.to_string();
            }
            let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
            for &c in cols {
                if let Some(x) = f.get_mut(c) {
                    if !x.is_empty() {
                        *x = "T".into();
                    }
                }
            }
            f.join(",")
        })
        .collect()
}

/// Blank the columns fed by measurements the traffic path does not take yet (request bytes at
/// HTX granularity, rates, the server's request count, last session age, response times): only
/// where traffic flowed.
pub fn blank_traffic(s: &str) -> String {
    blank_csv(s, &[8, 9, 33, 35, 46, 47, 48, 55, 58, 59, 60, 61, 77, 78, 90, 91, 92, 93])
}

/// Blank the time since the last change of `show servers state` data lines (25 words), and
/// the traces of a check caught running (the state's in-progress bit, and the result, which
/// HAProxy resets while a check runs): whether a periodic check is running at the instant of
/// the command is a race in either process.
fn blank_state(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            let w: Vec<&str> = l.trim_end_matches('\n').split(' ').collect();
            if w.len() == 25 && w[0].chars().all(|c| c.is_ascii_digit()) {
                let mut w: Vec<String> = w.iter().map(|x| x.to_string()).collect();
                w[9] = "T".into();
                if let Ok(state) = w[13].parse::<u32>() {
                    w[11] = "R".into();
                    w[13] = (state & !1).to_string();
                }
                let mut o = w.join(" ");
                if l.ends_with('\n') {
                    o.push('\n');
                }
                o
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// Normalise what differs between two processes started at different times.
pub fn norm(s: &str, dir: &std::path::Path) -> String {
    let mut s = s.replace(&dir.display().to_string(), "DIR");
    s = s.replace(haproxide::VERSION, "VERSION");
    s = sub(&s, r"2\.6\.12-1\+deb12u\d+", "VERSION");
    for name in [
        "Pid",
        "Uptime_sec",
        "CumConns",
        "CumReq",
        "Tasks",
        "Run_queue",
        "Idle_pct",
        "Ulimit-n",
        "Maxsock",
        "Start_time_sec",
        "PoolAlloc_bytes",
        "PoolUsed_bytes",
        "PoolAlloc_MB",
        "PoolUsed_MB",
        "TotalBytesOut",
        "BytesOutRate",
        "Jobs",
        "node",
    ] {
        // Plain (`Name: value`), typed (`n.Name.1:TAG:type:value`) and JSON forms.
        s = sub(&s, &format!(r"(?m)^{name}: [^:\n]*"), &format!("{name}: X"));
        s = sub(&s, &format!(r"(?m)^(\d+\.{name}\.1:[^:]*:[^:]*:)[^:\n]*"), "${1}X");
        s = sub(&s, &format!(r#"("name":"{name}"\}},.*?"value":\{{"type":"\w+","value":)("[^"]*"|[0-9.]+)"#), "${1}X");
    }
    s = sub(&s, r"(?m)^Uptime: .*", "Uptime: X");
    s = sub(&s, r"(?m)^(\d+\.Uptime\.1:[^:]*:[^:]*:).*", "${1}X");
    s = sub(&s, r#"("name":"Uptime"\},.*?"value":\{"type":"str","value":)"[^"]*""#, "${1}X");
    s = sub(&s, r"(Release_date[^\n]*?)\d{4}/\d\d/\d\d", "${1}DATE");
    s = sub(&s, r#"("name":"Release_date"\},.*?"value":\{"type":"str","value":)"[^"]*""#, "${1}DATE");
    // Ages and durations in stat rows (lastchg, downtime, check_duration, agent_duration).
    s = blank_csv(&s, &[23, 24, 38, 64]);
    s = sub(&s, r"(?m)^([SB]\.\d+\.\d+\.(23|24|38|64)\.\w+\.1:\w+:\w+:)\d+", "${1}T");
    s = sub(&s, r#"("pos":(23|24|38|64),"name":"\w+"\},.*?"value":\{"type":"\w+","value":)\d+"#, "${1}T");
    blank_state(&s)
}

/// Run `cfg` through both implementations, send each input on a fresh connection, and compare
/// the replies one by one.
pub fn compare_inputs(cfg: &str, inputs: &[&[u8]]) {
    let [theirs, ours] = crate::harness::compare::both(|imp| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, cfg, &web);
        c.settle();
        inputs.iter().map(|i| c.raw(i)).collect::<Vec<_>>()
    });
    for ((i, a), b) in inputs.iter().zip(&theirs).zip(&ours) {
        crate::harness::compare::assert_same(&format!("reply to {:?}", String::from_utf8_lossy(i)), a, b);
    }
}

/// Like [`compare_inputs`] for command lines, one per connection (`@oper ` and `@user ` send
/// on the operator and user sockets; `${WEB}` is the mock backend's port).
pub fn compare_lines(cfg: &str, lines: &[&str]) {
    let [theirs, ours] = crate::harness::compare::both(|imp| {
        let web = MockHttp::start("web");
        let c = Cli::start(imp, cfg, &web);
        c.settle();
        lines
            .iter()
            .map(|l| {
                let l = l.replace("${WEB}", &c.web.to_string());
                if let Some(x) = l.strip_prefix("@oper ") {
                    c.raw_on("oper.sock", format!("{x}\n").as_bytes())
                } else if let Some(x) = l.strip_prefix("@user ") {
                    c.raw_on("user.sock", format!("{x}\n").as_bytes())
                } else {
                    c.cmd(&l)
                }
            })
            .collect::<Vec<_>>()
    });
    for ((l, a), b) in lines.iter().zip(&theirs).zip(&ours) {
        crate::harness::compare::assert_same(&format!("reply to {l:?}"), a, b);
    }
}

/// The head of most scenarios' configurations: an admin socket and HTTP defaults.
pub const ADMIN_HTTP: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
";

/// [`ADMIN_HTTP`] for TCP scenarios.
pub const ADMIN_TCP: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
";

/// The reference configuration: a frontend, an HTTP backend with a checked server, an
/// unchecked one and three `check disabled` template slots, a TCP backend, three sockets.
pub const BASE: &str = "\
global
    maxconn 1000
    stats socket ${DIR}/admin.sock mode 600 level admin
    stats socket ${DIR}/oper.sock
    stats socket ${DIR}/user.sock level user
    stats timeout 30s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${PORT_0}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:${WEB} check inter 1s
    server s2 127.0.0.1:${WEB} weight 50
    server-template websrv 1-3 192.168.122.1:80 disabled
backend tcpbe
    mode tcp
    server t1 127.0.0.1:${WEB}
";

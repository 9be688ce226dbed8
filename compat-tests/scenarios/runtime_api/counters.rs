//! Traffic counters after scripted traffic: the same requests through HAProxy and haproxide,
//! then `show stat` and `show info`. Counts (stot, req_tot, conn_tot, hrsp_*, lbtot, ...) must
//! be equal; rates and times depend on when the requests land, so each implementation is held
//! to what the field means (a burst of N is at most N per second, and at least half of it
//! lands in one of the two one-second periods it can straddle; a response delayed by the
//! server shows in rtime).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Cli;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::MockHttp;
use crate::harness::mock_tcp::MockTcp;
use crate::harness::proc::Impl;
use crate::harness::{client, wait};

const CFG: &str = "\
global
    stats socket ${DIR}/admin.sock level admin
    maxconn 500
defaults
    timeout client 10s
    timeout server 10s
    timeout connect 2s
frontend fe
    bind 127.0.0.1:${PORT_0}
    mode http
    default_backend be
frontend tfe
    bind 127.0.0.1:${PORT_1}
    mode tcp
    default_backend tbe
backend be
    mode http
    server s1 127.0.0.1:${WEB}
    server s2 127.0.0.1:${WEB}
backend tbe
    mode tcp
    server t1 127.0.0.1:${ECHO}
";

/// Requests in the HTTP burst, TCP sessions, and the server's delay on the slow path.
const BURST: u64 = 12;
const TCP: u64 = 5;
const DELAY_MS: u64 = 60;

/// Deterministic columns, compared exactly (not smax: whether a closing connection still
/// counts when the next one arrives is a race in both).
const EXACT: &[&str] = &[
    "qcur",
    "qmax",
    "scur",
    "stot",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "lbtot",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "cache_lookups",
    "cache_hits",
    "qtime",
    "qtime_max",
];

/// `show stat` as (pxname/svname) -> column -> value.
fn parse(csv: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").trim_start_matches("# ").split(',').collect();
    let mut rows = BTreeMap::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = l.split(',').collect();
        let row: BTreeMap<String, String> =
            header.iter().zip(&f).map(|(h, v)| (h.to_string(), v.to_string())).collect();
        rows.insert(format!("{}/{}", f[0], f[1]), row);
    }
    rows
}

fn num(row: &BTreeMap<String, String>, col: &str) -> u64 {
    row.get(col).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{col} in {row:?}"))
}

struct Run {
    exact: String,
    stat: BTreeMap<String, BTreeMap<String, String>>,
    info: BTreeMap<String, String>,
    /// The burst (HTTP, TCP) fitted in one second, so it straddles at most two periods.
    http_fast: bool,
    tcp_fast: bool,
}

fn run(imp: Impl) -> Run {
    let web = MockHttp::start("web");
    let echo = MockTcp::echo();
    let c = Cli::start_with(imp, CFG, &web, &[("ECHO", echo.port().to_string())]);
    let mut ports = c.ports.clone();
    let (http, tcp) = (ports.port(0), ports.port(1));
    let t0 = Instant::now();
    for _ in 0..BURST {
        assert_eq!(client::get(http, "/").unwrap().status, 200);
    }
    let http_fast = t0.elapsed() < Duration::from_millis(900);
    // Two slow responses, one per server: rtime then reads at least the delay.
    web.slow(Duration::from_millis(DELAY_MS));
    for _ in 0..2 {
        assert_eq!(client::get(http, "/slow").unwrap().status, 200);
    }
    web.normal();
    let t1 = Instant::now();
    for _ in 0..TCP {
        assert_eq!(client::tcp_roundtrip_half_close(tcp, b"ping").unwrap(), b"ping");
    }
    let tcp_fast = t1.elapsed() < Duration::from_millis(900);
    // The counters of a stream are final once it is closed on the proxy side too.
    let settled = wait::wait_until(Duration::from_secs(5), || {
        let s = parse(&c.cmd("show stat"));
        s.get("tbe/t1").is_some_and(|r| num(r, "stot") == TCP && num(r, "scur") == 0)
            && s.get("be/BACKEND").is_some_and(|r| num(r, "scur") == 0)
    });
    assert!(settled, "{imp}: sessions still open:\n{}", c.cmd("show stat"));
    let stat = parse(&c.cmd("show stat"));
    let mut exact = String::new();
    for (name, row) in &stat {
        let vals: Vec<String> = EXACT.iter().map(|col| format!("{col}={}", row[*col])).collect();
        exact.push_str(&format!("{name}: {}\n", vals.join(" ")));
    }
    // Raw: the usual normalisation hides the process-wide counters checked here.
    let info = crate::harness::cli::cmd(c.sock("admin.sock").as_path(), "show info")
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    Run { exact, stat, info, http_fast, tcp_fast }
}

/// What the rate and time fields must satisfy in one run.
fn check_meaning(imp: Impl, r: &Run) {
    let total_http = BURST + 2;
    let at_least_half = |max: u64, n: u64, fast: bool| max <= n && (!fast || max >= n.div_ceil(2));
    for (row, n, fast) in [
        ("fe/FRONTEND", total_http, false),
        ("be/BACKEND", total_http, false),
        ("tfe/FRONTEND", TCP, r.tcp_fast),
        ("tbe/BACKEND", TCP, r.tcp_fast),
        ("tbe/t1", TCP, r.tcp_fast),
    ] {
        let s = &r.stat[row];
        let (rate, max) = (num(s, "rate"), num(s, "rate_max"));
        assert!(max >= 1 && at_least_half(max, n, fast), "{imp} {row}: rate_max {max} for {n}");
        assert!(rate <= max.max(n), "{imp} {row}: rate {rate}");
        let last = s["lastsess"].as_str();
        if row.ends_with("FRONTEND") {
            assert_eq!(last, "", "{imp} {row}");
        } else {
            let age: i64 = last.parse().unwrap();
            assert!((0..5).contains(&age), "{imp} {row}: lastsess {last}");
        }
    }
    let fe = &r.stat["fe/FRONTEND"];
    for col in ["req_rate_max", "conn_rate_max"] {
        assert!(num(fe, col) >= 1 && num(fe, col) <= BURST + 2, "{imp}: {col} {}", fe[col]);
    }
    if r.http_fast {
        // The burst alone: at least half of it in one period.
        assert!(num(fe, "req_rate_max") >= BURST.div_ceil(2), "{imp}: req_rate_max {}", fe["req_rate_max"]);
    }
    // Each server got one delayed response among its 7: the average response time carries it,
    // and the maximum is at least the delay. Totals include the response.
    for row in ["be/s1", "be/s2", "be/BACKEND"] {
        let s = &r.stat[row];
        assert!(num(s, "rtime_max") >= DELAY_MS, "{imp} {row}: rtime_max {}", s["rtime_max"]);
        assert!(num(s, "ttime_max") >= num(s, "rtime_max"), "{imp} {row}: ttime_max {}", s["ttime_max"]);
        assert!(num(s, "ttime") >= num(s, "rtime"), "{imp} {row}: ttime {} rtime {}", s["ttime"], s["rtime"]);
        assert!(num(s, "ctime_max") >= num(s, "ctime"), "{imp} {row}");
    }
    // TCP: the response time is the connect time, so its share is always 0.
    for row in ["tbe/t1", "tbe/BACKEND"] {
        assert_eq!((num(&r.stat[row], "rtime"), num(&r.stat[row], "rtime_max")), (0, 0), "{imp} {row}");
    }
    let i = |k: &str| -> u64 { r.info[k].parse().unwrap() };
    let sessions = total_http + TCP;
    assert!(i("MaxConnRate") >= 1 && i("MaxConnRate") <= sessions, "{imp}: MaxConnRate {}", i("MaxConnRate"));
    assert!(i("MaxSessRate") >= 1 && i("MaxSessRate") <= sessions, "{imp}: MaxSessRate {}", i("MaxSessRate"));
    assert!(i("ConnRate") <= sessions && i("SessRate") <= sessions, "{imp}: {:?}", r.info);
    // The stats socket's own connections count in CumConns, not in the rates.
    assert!(i("CumConns") >= sessions, "{imp}: CumConns {}", i("CumConns"));
}

#[test]
fn counters_after_scripted_traffic() {
    if !crate::harness::haproxy_installed() {
        check_meaning(Impl::Haproxide, &run(Impl::Haproxide));
        return;
    }
    let [theirs, ours] = both(run);
    check_meaning(Impl::HAProxy, &theirs);
    check_meaning(Impl::Haproxide, &ours);
    assert_same("show stat counts", &theirs.exact, &ours.exact);
}

/// `clear counters` forgets the maximums (rate_max, *_max) and keeps the totals;
/// `clear counters all` zeroes everything.
#[test]
fn clear_counters_resets_maxima() {
    let run = |imp: Impl| {
        let web = MockHttp::start("web");
        let echo = MockTcp::echo();
        let c = Cli::start_with(imp, CFG, &web, &[("ECHO", echo.port().to_string())]);
        let http = c.ports.clone().port(0);
        for _ in 0..3 {
            assert_eq!(client::get(http, "/").unwrap().status, 200);
        }
        let cols = ["stot", "rate_max", "req_tot", "req_rate_max", "conn_rate_max", "conn_tot"];
        let pick = |csv: String| {
            let s = parse(&csv);
            let fe = &s["fe/FRONTEND"];
            let mut out: Vec<String> = cols.iter().map(|k| format!("{k}={}", fe[*k])).collect();
            out.push(format!("be.rtime_max_zero={}", s["be/BACKEND"]["rtime_max"] == "0"));
            out.push(format!("be.lastsess={}", s["be/BACKEND"]["lastsess"] != "-1"));
            out.join(" ")
        };
        let mut out = vec![];
        assert_eq!(c.cmd("clear counters"), "\n");
        out.push(pick(c.cmd("show stat")));
        assert_eq!(c.cmd("clear counters all"), "\n");
        out.push(pick(c.cmd("show stat")));
        out.join("\n")
    };
    let ours = run(Impl::Haproxide);
    assert!(ours.contains("stot=3 rate_max=0 req_tot=3 req_rate_max=0 conn_rate_max=0 conn_tot=3"), "{ours}");
    if crate::harness::haproxy_installed() {
        assert_same("clear counters", &run(Impl::HAProxy), &ours);
    }
}

//! One test per family of global keywords: each runs a `global` section through the reader and
//! the lowerer and compares the diagnostics with HAProxy 2.6.12's (recorded with the real binary).

use crate::config::diag::{Diags, Severity};
use crate::config::parse::{self, Source};
use crate::ir::lower;
use crate::ir::types::Config;

use super::{atoi, atol, strl2irc, strtol};

/// Lower `global` + the given lines; return the config and `(severity, headline)` pairs.
fn run(lines: &[&str]) -> (Config, Vec<(Severity, String)>) {
    let mut text = String::from("global\n");
    for l in lines {
        text.push_str("    ");
        text.push_str(l);
        text.push('\n');
    }
    let ast = parse::parse(&[Source { name: "t.cfg".into(), text: text.into_bytes() }]);
    let mut diags = Diags::default();
    let lowered = lower::lower(&ast, &mut diags);
    let out = diags
        .list
        .iter()
        .filter(|d| !d.msg.starts_with("Error(s) found") && !d.quiet_from_here)
        .map(|d| (d.severity, d.headline()))
        .collect();
    (lowered.config, out)
}

fn alerts(lines: &[&str]) -> Vec<String> {
    run(lines).1.into_iter().filter(|(s, _)| *s == Severity::Alert).map(|(_, m)| m).collect()
}

fn one(lines: &[&str]) -> String {
    let a = alerts(lines);
    assert_eq!(a.len(), 1, "{a:?}");
    a[0].clone()
}

#[test]
fn c_numbers() {
    assert_eq!(atol("12abc"), 12);
    assert_eq!(atol("  -7"), -7);
    assert_eq!(atol("abc"), 0);
    assert_eq!(atoi("99999999999"), 1_215_752_191);
    assert_eq!(strtol("10x"), (10, "x"));
    assert_eq!(strtol("x"), (0, "x"));
    assert_eq!(strl2irc("-1"), Some(-1));
    assert_eq!(strl2irc("1x"), None);
    assert_eq!(strl2irc("99999999999"), None);
}

#[test]
fn flags_refuse_arguments() {
    assert_eq!(one(&["daemon x"]), "config : parsing [t.cfg:2] : 'daemon' cannot handle unexpected argument 'x'.");
    assert!(alerts(&["numa-cpu-mapping x", "ssl-mode-async x", "expose-experimental-directives x"]).is_empty());
    let (cfg, d) = run(&["daemon", "quiet", "zero-warning"]);
    assert!(d.is_empty() && cfg.global.daemon && cfg.global.quiet && cfg.global.zero_warning);
    // `quiet` silences what comes after it, as HAProxy sets its mode while parsing the line.
    let text = "global\n    foo\n    quiet\n    bar\n";
    let ast = parse::parse(&[Source { name: "t.cfg".into(), text: text.as_bytes().to_vec() }]);
    let mut diags = Diags::default();
    lower::lower(&ast, &mut diags);
    let mut out = Vec::new();
    let mut printer = crate::config::diag::Printer::new(&mut out, 1, "v", "e");
    printer.extras = false;
    printer.print_all(&diags.list);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("'foo'") && !out.contains("'bar'"), "{out}");
}

#[test]
fn no_and_default_prefixes() {
    let neg = "config : parsing [t.cfg:2]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.";
    assert!(alerts(&["no busy-polling", "no strict-limits", "no numa-cpu-mapping x"]).is_empty());
    assert_eq!(alerts(&["no maxconn 10"]), vec![neg.to_string()]);
    // `default` shifts without emptying the last word: `default daemon` reads `daemon daemon`.
    assert_eq!(
        alerts(&["default daemon"]),
        vec![
            neg.to_string(),
            "config : parsing [t.cfg:2] : 'daemon' cannot handle unexpected argument 'daemon'.".into()
        ]
    );
    assert_eq!(
        alerts(&["default busy-polling"]),
        vec![
            "config : parsing [t.cfg:2] : 'busy-polling' cannot handle unexpected argument 'busy-polling'.".to_string()
        ]
    );
    assert_eq!(alerts(&["no"])[1], "config : parsing [t.cfg:2] : unknown keyword '' in 'global' section");
    let (cfg, d) = run(&["log 127.0.0.1 local0", "no log"]);
    assert!(d.is_empty() && cfg.global.log.is_empty());
    assert_eq!(
        one(&["no log 127.0.0.1 local0"]),
        "config : parsing [t.cfg:2] : log : 'no log' does not expect arguments"
    );
}

#[test]
fn unknown_keywords_get_haproxys_suggestion() {
    assert_eq!(
        one(&["maxconnn 10"]),
        "config : parsing [t.cfg:2] : unknown keyword 'maxconnn' in 'global' section; did you mean 'maxconn' maybe ?"
    );
    assert_eq!(
        one(&["balance roundrobin"]),
        "config : parsing [t.cfg:2] : unknown keyword 'balance' in 'global' section; did you mean 'ca-base' maybe ?"
    );
    assert_eq!(one(&["debug"]), "config : parsing [t.cfg:2] : unknown keyword 'debug' in 'global' section");
}

#[test]
fn limits_are_lenient_and_set_once() {
    let (cfg, d) = run(&["maxconn abc", "maxconn 20"]);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(cfg.global.maxconn, Some(20));
    let (cfg, d) = run(&["maxconn 10", "maxconn 20"]);
    assert_eq!(cfg.global.maxconn, Some(10));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].1, "config : parsing [t.cfg:3] : 'maxconn' already specified. Continuing.");
    assert_eq!(one(&["ulimit-n"]), "config : parsing [t.cfg:2] : 'ulimit-n' expects an integer argument.");
    assert_eq!(
        one(&["tune.maxaccept 99999999999"]),
        "config : parsing [t.cfg:2] : 'tune.maxaccept' expects -1 or an integer from 0 to INT_MAX."
    );
    assert_eq!(
        one(&["maxcompcpuusage -1"]),
        "config : parsing [t.cfg:2] : 'maxcompcpuusage' expects an integer argument between 0 and 100."
    );
    assert_eq!(one(&["maxsslconn -1"]), "config : parsing [t.cfg:2] : 'maxsslconn' expects a positive numeric value.");
}

#[test]
fn identity_and_paths() {
    let (_, d) = run(&["uid 10", "uid 20", "gid abc"]);
    assert_eq!(d[0].1, "config : parsing [t.cfg:3] : user/uid already specified. Continuing.");
    assert_eq!(d[1], (Severity::Warning, "config : parsing [t.cfg:4] :  gid: string 'abc' is not a number.".into()));
    assert_eq!(
        one(&["user nosuchuserzz"]),
        "config : parsing [t.cfg:2] : cannot find user id for 'nosuchuserzz' (0:Success)"
    );
    assert_eq!(one(&["pidfile"]), "config : parsing [t.cfg:2] : 'pidfile' expects a file name as an argument.");
    assert_eq!(run(&["chroot /a", "chroot /b"]).0.global.chroot.as_deref(), Some("/a"));
    assert_eq!(
        one(&["node a/b"]),
        "config : parsing [t.cfg:2]: 'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_)."
    );
}

#[test]
fn threads_and_cpus() {
    assert_eq!(one(&["nbthread 0"]), "config : parsing [t.cfg:2] : 'nbthread' value must be between 1 and 64 (was 0)");
    assert_eq!(
        one(&["nbthread 1x"]),
        "config : parsing [t.cfg:2] : 'nbthread' passed a missing or unparsable integer value in '1x'"
    );
    assert_eq!(run(&["nbthread 4"]).0.global.nbthread, Some(4));
    assert_eq!(
        one(&["thread-groups 2"]),
        "config : parsing [t.cfg:2] : 'thread-groups' value must be between 1 and 1 (was 2)"
    );
    assert_eq!(one(&["cpu-map 1 abc"]), "config : parsing [t.cfg:2] : cpu-map : 'abc' is not a CPU range.");
    assert_eq!(one(&["cpu-map abc 0"]), "config : parsing [t.cfg:2] : cpu-map : 'abc' is not a valid number/range.");
    assert!(alerts(&["cpu-map auto:1/1-2 0-1", "cpu-map 1 0 1"]).is_empty());
}

#[test]
fn times_keep_haproxys_line_feeds() {
    let (_, d) = run(&["grace abc"]);
    assert_eq!(d[0].1, "config : parsing [t.cfg:2] : unexpected character 'a' in argument to <grace>.");
    assert_eq!(
        one(&["hard-stop-after 99999999999"]),
        "config : parsing [t.cfg:2] : timer overflow in argument '99999999999' to 'hard-stop-after' (maximum value is 2147483647 ms or ~24.8 days)"
    );
    assert_eq!(
        one(&["max-spread-checks 1x"]),
        "config : parsing [t.cfg:2]: unsupported character 'x' in 'max-spread-checks' (wants an integer delay)."
    );
    assert_eq!(
        one(&["spread-checks 60"]),
        "config : parsing [t.cfg:2]: 'spread-checks' needs a positive value in range 0..50."
    );
}

#[test]
fn tune_keywords() {
    assert_eq!(
        one(&["tune.bufsize abc"]),
        "config : parsing [t.cfg:2] : 'tune.bufsize' expects a positive integer argument."
    );
    assert_eq!(
        one(&["tune.http.maxhdr 0"]),
        "config : parsing [t.cfg:2] : 'tune.http.maxhdr' expects a numeric value between 1 and 32767"
    );
    assert_eq!(
        one(&["tune.fd.edge-triggered on"]),
        "config : parsing [t.cfg:2] : 'tune.fd.edge-triggered' directive is experimental, must be allowed via a global 'expose-experimental-directives'"
    );
    assert!(alerts(&["expose-experimental-directives", "tune.fd.edge-triggered on"]).is_empty());
    assert_eq!(
        one(&["tune.idletimer 70000"]),
        "config : parsing [t.cfg:2] : 'tune.idletimer' expects a timer value between 0 and 65535 ms."
    );
    assert_eq!(
        one(&["tune.vars.txn-max-size 1x"]),
        "config : parsing [t.cfg:2] : tune.vars.txn-max-size: '1x' is an invalid size"
    );
    assert!(
        alerts(&["tune.vars.txn-max-size -1", "tune.h2.initial-window-size abc", "tune.lua.forced-yield"]).is_empty()
    );
    assert_eq!(
        one(&["tune.lua.maxmem 1x"]),
        "config : parsing [t.cfg:2] : tune.lua.maxmem: invalid number 1x (error at 'x')"
    );
    assert_eq!(
        one(&["tune.chksize 1"]),
        "config : parsing [t.cfg:2]: option 'tune.chksize' is not supported any more (tune.bufsize is used instead)."
    );
}

#[test]
fn ssl_keywords() {
    assert_eq!(one(&["ca-base /a", "ca-base /b"]), "config : parsing [t.cfg:3] : 'ca-base' already specified.");
    assert_eq!(
        one(&["ssl-default-bind-options no-sslv3 bogus"]),
        "config : parsing [t.cfg:2] : unknown option 'bogus' on global statement 'ssl-default-bind-options'."
    );
    assert_eq!(
        one(&["ssl-default-server-options ssl-min-ver TLSv9"]),
        "config : parsing [t.cfg:2] : 'TLSv9' : unknown ssl/tls version on global statement 'ssl-default-server-options'."
    );
    assert!(alerts(&["ssl-default-bind-ciphers ECDHE", "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets"])
        .is_empty());
    assert_eq!(
        one(&["tune.ssl.default-dh-param 512"]),
        "config : parsing [t.cfg:2] : 'tune.ssl.default-dh-param' expects a value >= 1024."
    );
    assert_eq!(
        alerts(&["httpclient.ssl.verify bogus"]),
        vec![
            "config : parsing [t.cfg:2] : 'httpclient.ssl.verify' expects 'none' or 'required' as argument."
                .to_string(),
            "config : parsing [t.cfg:2] : (null)".into()
        ]
    );
    assert_eq!(
        one(&["lua-load /nonexistent/x.lua"]),
        "config : parsing [t.cfg:2] : error in Lua file '/nonexistent/x.lua': cannot open /nonexistent/x.lua: No such file or directory"
    );
}

#[test]
fn logging_and_stats() {
    assert_eq!(one(&["log"]), "config : parsing [t.cfg:2] : log : expects <address> and <facility>  as arguments");
    assert_eq!(
        one(&["log global"]),
        "config : parsing [t.cfg:2] : log : 'global' is not supported for a global syslog server"
    );
    assert_eq!(
        one(&["log 127.0.0.1 len 10 local0"]),
        "config : parsing [t.cfg:2] : log : invalid log length '10', must be between 80 and 65535"
    );
    assert_eq!(one(&["stats maxconn abc"]), "config : parsing [t.cfg:2] : 'stats maxconn' expects a positive value");
    assert_eq!(one(&["stats timeout"]), "config : parsing [t.cfg:2] : 'stats timeout' : unexpected character '");
    assert_eq!(
        one(&["stats bind-process abc"]),
        "config : parsing [t.cfg:2] : 'stats bind-process' : 'abc' is not a valid number/range."
    );
    let (cfg, d) = run(&["stats socket /tmp/x.sock level admin", "stats bind-process 1"]);
    assert!(d.is_empty());
    assert_eq!(cfg.global.stats_sockets.len(), 1);
    assert!(cfg.unsupported.is_empty(), "the runtime API serves stats sockets; bind-process has no effect");
    assert_eq!(cfg.global.ignored.len(), 1);
}

#[test]
fn statuses_are_recorded() {
    let (cfg, _) = run(&["tune.ssl.cachesize 1000", "master-worker", "daemon", "mworker-max-reloads 3"]);
    assert_eq!(cfg.global.ignored.len(), 1, "tuning has no observable effect");
    assert_eq!(cfg.unsupported.len(), 1, "mworker-max-reloads is not run yet");
    assert!(cfg.unsupported[0].what.contains("mworker-max-reloads"));
    assert!(cfg.global.master_worker && !cfg.global.master_worker_no_exit_on_failure);
    let (cfg, _) = run(&["master-worker no-exit-on-failure"]);
    assert!(cfg.global.master_worker_no_exit_on_failure);
}

#[test]
fn buffer_settings_as_they_apply() {
    use crate::ir::types::Buffers;
    let b = |lines: &[&str]| run(lines).0.global.buffers();
    assert_eq!(b(&[]), Buffers { bufsize: 16384, maxrewrite: 1024, maxhdr: 101 });
    // Rounded up to 16 bytes; maxrewrite capped at half the buffer (measured on 2.6.12).
    assert_eq!(
        b(&["tune.bufsize 8191", "tune.http.maxhdr 20"]),
        Buffers { bufsize: 8192, maxrewrite: 1024, maxhdr: 20 }
    );
    assert_eq!(b(&["tune.maxrewrite 9000"]).maxrewrite, 8192);
    assert_eq!(b(&["tune.bufsize 1024"]).maxrewrite, 512);
    assert_eq!(b(&["tune.maxrewrite 0"]).maxrewrite, 0);
    assert_eq!(b(&["tune.bufsize 2048", "tune.maxrewrite 1023"]).maxrewrite, 1023);
    // Values with which HAProxy refuses its own error pages are refused at start.
    let refused = |lines: &[&str]| run(lines).0.unsupported.iter().map(|u| u.what.clone()).collect::<Vec<_>>();
    assert!(refused(&["tune.bufsize 8192", "tune.http.maxhdr 5"]).is_empty());
    assert_eq!(refused(&["tune.bufsize 336"]).len(), 1);
    assert_eq!(refused(&["tune.http.maxhdr 4"]).len(), 1);
}

#[test]
fn later_sections_see_the_buffer_size_read_so_far() {
    run(&["tune.bufsize 8192", "tune.maxrewrite 9000"]);
    // Uncapped while reading, as HAProxy's parsers see it.
    assert_eq!((super::parse_time_bufsize(), super::parse_time_maxrewrite()), (8192, 9000));
    run(&[]);
    assert_eq!((super::parse_time_bufsize(), super::parse_time_maxrewrite()), (16384, 1024));
}

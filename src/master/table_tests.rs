use super::*;

const V: &str = "2.6.12-1+deb12u4";

fn table() -> ProcTable {
    let mut t = ProcTable::new(2396, 1000, V);
    t.started(2399, 1000);
    t
}

#[test]
fn show_proc_matches_haproxy_layout() {
    // Recorded from HAProxy 2.6.12 (`haproxy -W -S ...`, then `show proc` two seconds later).
    let want = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
                2396            master          0 [failed: 0]   0d00h00m02s     2.6.12-1+deb12u4\n\
                # workers\n\
                2399            worker          0               0d00h00m02s     2.6.12-1+deb12u4\n\
                # programs\n";
    assert_eq!(table().show_proc(1002), want);
}

#[test]
fn old_workers_get_their_own_section_and_keep_counting_reloads() {
    // HAProxy after two reloads with 2853 still finishing a connection.
    let mut t = ProcTable::new(2850, 0, V);
    t.started(2853, 0);
    assert_eq!(t.reload_ok(2857, 1), vec![2853]);
    let old = t.reload_ok(2861, 2);
    assert_eq!(old, vec![2857, 2853]);
    t.exited(2857, ExitStatus::Code(0));
    let want = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
                2850            master          2 [failed: 0]   0d00h00m02s     2.6.12-1+deb12u4\n\
                # workers\n\
                2861            worker          0               0d00h00m00s     2.6.12-1+deb12u4\n\
                # old workers\n\
                2853            worker          2               0d00h00m02s     2.6.12-1+deb12u4\n\
                # programs\n";
    assert_eq!(t.show_proc(2), want);
}

#[test]
fn failed_reloads_count_until_a_good_one() {
    let mut t = table();
    t.reload_failed();
    t.reload_failed();
    assert!(t.show_proc(1000).contains("2396            master          2 [failed: 2]"));
    assert!(t.show_proc(1000).contains("2399            worker          2    "));
    t.reload_ok(2400, 1000);
    assert!(t.show_proc(1000).contains("master          3 [failed: 0]"));
}

#[test]
fn uptime_format() {
    assert_eq!(uptime(0), "0d00h00m00s");
    assert_eq!(uptime(86400 * 3 + 3600 * 5 + 61), "3d05h01m01s");
}

fn lines(o: &ExitOutcome) -> Vec<String> {
    o.msgs.iter().map(|m| m.render(1)).collect()
}

#[test]
fn sigterm_on_the_master_exits_zero() {
    let mut t = table();
    t.stopping = true;
    let o = t.exited(2399, ExitStatus::Signal(15));
    assert_eq!(
        lines(&o),
        [
            "[ALERT]    (1) : Current worker (2399) exited with code 143 (Terminated)",
            "[WARNING]  (1) : All workers exited. Exiting... (0)"
        ]
    );
    assert_eq!(o.master_exit, Some(0));
    assert!(!o.kill_all);
}

#[test]
fn sigint_keeps_the_status() {
    let mut t = table();
    t.stopping = true;
    let o = t.exited(2399, ExitStatus::Signal(2));
    assert_eq!(lines(&o)[0], "[ALERT]    (1) : Current worker (2399) exited with code 130 (Interrupt)");
    assert_eq!(o.master_exit, Some(130));
}

#[test]
fn a_clean_exit_is_a_warning() {
    let mut t = table();
    let o = t.exited(2399, ExitStatus::Code(0));
    assert_eq!(lines(&o)[0], "[WARNING]  (1) : Current worker (2399) exited with code 0 (Exit)");
    assert_eq!(o.master_exit, Some(0));
}

#[test]
fn a_crash_kills_everyone() {
    let mut t = table();
    t.reload_ok(2400, 1000);
    let o = t.exited(2400, ExitStatus::Signal(9));
    assert_eq!(
        lines(&o),
        [
            "[ALERT]    (1) : Current worker (2400) exited with code 137 (Killed)",
            "[ALERT]    (1) : exit-on-failure: killing every processes with SIGTERM"
        ]
    );
    assert!(o.kill_all);
    assert_eq!(o.master_exit, None);
    let o = t.exited(2399, ExitStatus::Signal(15));
    assert_eq!(
        lines(&o),
        [
            "[WARNING]  (1) : Former worker (2399) exited with code 143 (Terminated)",
            "[WARNING]  (1) : All workers exited. Exiting... (137)"
        ]
    );
    assert_eq!(o.master_exit, Some(137));
}

#[test]
fn no_exit_on_failure_spares_the_others() {
    let mut t = table();
    t.no_exit_on_failure = true;
    t.reload_ok(2400, 1000);
    let o = t.exited(2400, ExitStatus::Signal(11));
    assert_eq!(lines(&o), ["[ALERT]    (1) : Current worker (2400) exited with code 139 (Segmentation fault)"]);
    assert!(!o.kill_all);
}

#[test]
fn unknown_pids_change_nothing() {
    let mut t = table();
    assert_eq!(t.exited(77, ExitStatus::Code(1)), ExitOutcome::default());
    assert_eq!(t.current(), Some(2399));
}

#[test]
fn prefixes() {
    let mut t = table();
    t.reload_ok(2400, 1000);
    assert_eq!(t.resolve("@"), Some(Target::Master));
    assert_eq!(t.resolve("@master"), Some(Target::Master));
    assert_eq!(t.resolve("@0"), Some(Target::Master));
    assert_eq!(t.resolve("@1"), Some(Target::Worker(2400)));
    assert_eq!(t.resolve("@!2399"), Some(Target::Worker(2399)));
    for bad in ["@2", "@-1", "@!", "@!999", "@abc", "@!2396", "@1x"] {
        assert_eq!(t.resolve(bad), None, "{bad}");
    }
}

//! HAProxy 2.6's command-line quirks.

use super::*;

fn p(args: &[&str]) -> Result<Action, ArgError> {
    parse(&args.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>())
}

fn run(args: &[&str]) -> Args {
    match p(args) {
        Ok(Action::Run(a)) => *a,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[test]
fn usual_flags() {
    let a = run(&["-c", "-f", "a.cfg", "-f", "dir", "-q"]);
    assert!(a.check_only && a.quiet);
    assert_eq!(a.config_files, vec!["a.cfg", "dir"]);
    let a = run(&["-db", "-W", "-p", "/run/x.pid", "-sf", "10", "11", "-f", "x.cfg"]);
    assert!(a.foreground && a.master_worker);
    assert_eq!(a.finish_pids, vec![10, 11]);
    assert_eq!(a.config_files, vec!["x.cfg"]);
    assert_eq!(run(&["-cc", "version_atleast(2.5)"]).check_condition.as_deref(), Some(&b"version_atleast(2.5)"[..]));
    assert_eq!(run(&["-f", "a", "--", "b", "-f"]).config_files, vec!["a", "b", "-f"]);
    let a = run(&["-dD", "-dW", "-dr", "-V", "-Ws"]);
    assert!(a.diag && a.zero_warning && a.ignore_resolution_failures && a.verbose && a.systemd && a.master_worker);
}

#[test]
fn only_the_first_letters_count() {
    assert!(run(&["-qc"]).quiet && !run(&["-qc"]).check_only);
    assert!(run(&["-cfoo"]).check_only);
    assert!(run(&["-cq"]).check_only && !run(&["-cq"]).quiet);
    assert!(run(&["-dWx"]).zero_warning);
    assert!(run(&["-Vx"]).verbose);
    assert_eq!(run(&["-ccx", "1"]).check_condition.as_deref(), Some(&b"1"[..]));
    assert_eq!(p(&["-vfoo"]), Ok(Action::Version(1)));
    assert_eq!(p(&["-vv"]), Ok(Action::Version(2)));
    assert!(run(&["-dx", "-dZ"]).debug);
    // `-f` takes the next argument even when it starts with '-'; an attached value is ignored.
    assert_eq!(run(&["-fbaseline.cfg", "-c"]).config_files, vec!["-c"]);
}

#[test]
fn values_at_the_end_fail_to_copy_argv() {
    for flag in ["-f", "-L", "-N", "-n", "-m", "-p", "-S", "-C", "-fbaseline.cfg"] {
        assert_eq!(p(&["-c", flag]), Err(ArgError::Alert("failed to copy argv.".into())), "{flag}");
    }
    assert_eq!(p(&["-x"]), Err(ArgError::AlertThenUsage("Unix socket path expected with the -x flag\n".into())));
    assert_eq!(run(&["-x", "/nonexistent"]).socket_transfer.as_deref(), Some("/nonexistent"));
}

#[test]
fn usage_cases() {
    for args in [&["foo"][..], &["-z"], &["-z", "x"], &["-"], &[""], &["-s", "x"], &["-cc"], &["-h"], &["--help"]] {
        assert_eq!(p(args), Err(ArgError::Usage), "{args:?}");
    }
}

#[test]
fn old_pids() {
    assert!(run(&["-sf"]).finish_pids.is_empty());
    assert_eq!(p(&["-sf", "-1"]), Err(ArgError::Usage));
    assert_eq!(p(&["-sf", "abc"]), Err(ArgError::Alert("-sf option: some bytes unconsumed in PID list {abc}".into())));
    assert_eq!(p(&["-st", "1x"]), Err(ArgError::Alert("-st option: some bytes unconsumed in PID list {x}".into())));
    assert_eq!(p(&["-sf", "0"]), Err(ArgError::Usage));
    assert_eq!(p(&["-sf", "2147483648"]), Err(ArgError::Usage));
    assert_eq!(run(&["-sf", "2147483647"]).finish_pids, vec![2147483647]);
    assert_eq!(run(&["-sf", "99999999999"]).finish_pids, vec![99999999999_i64 as i32]);
    assert_eq!(run(&["-st", "5 ", "-c"]).terminate_pids, vec![5]);
    assert_eq!(
        p(&["-sf", "99999999999999999999"]),
        Err(ArgError::Alert(
            "-sf option: failed to parse {99999999999999999999}: Numerical result out of range".into()
        ))
    );
}

#[test]
fn values_are_not_validated() {
    let a = run(&["-N", "abc", "-n", "12x", "-m", "abc", "-L", ""]);
    assert_eq!((a.per_proxy_maxconn, a.maxconn, a.memory_limit_mb), (Some(0), Some(12), Some(0)));
    assert_eq!(a.local_peer.as_deref(), Some(""));
}

#[test]
fn pool_debugging() {
    assert_eq!(p(&["-dMhelp"]), Ok(Action::PoolHelp));
    assert_eq!(p(&["-dMbogus"]), Err(ArgError::Alert("-dM: unknown pool debugging feature <bogus>".into())));
    assert_eq!(p(&["-dMall"]), Err(ArgError::Alert("-dM: unknown pool debugging feature <all>".into())));
    for ok in ["-dM", "-dM0", "-dM0x41,tag", "-dMfail,no-fail", "-dM,", "-dM256"] {
        assert!(matches!(p(&[ok]), Ok(Action::Run(_))), "{ok}");
    }
}

#[test]
fn usage_text_matches_haproxy() {
    let u = usage_text("haproxy");
    assert!(u.starts_with("Usage : haproxy [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n"));
    assert!(u.ends_with("        -S <bind>[,<bind options>...] new master CLI\n\n"));
}

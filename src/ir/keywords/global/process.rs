//! Process keywords of the global section: daemon and master-worker, threads and CPUs, the
//! identity the process runs as, environment variables, and the other settings HAProxy reads
//! in `cfg_parse_global` or registers for the global section.

use crate::config::ast::Directive;
use crate::ir::values::{self, TimeError};

use super::{atol, strl2irc, strtol, Cx};

/// A keyword without arguments.
pub fn flag(cx: &mut Cx, d: &Directive) {
    cx.too_many(d, 0);
}

/// A keyword that ignores whatever follows it.
pub fn flag_loose(_: &mut Cx, _: &Directive) {}

pub fn daemon(cx: &mut Cx, d: &Directive) {
    if !cx.too_many(d, 0) {
        cx.g.daemon = true;
    }
}

pub fn quiet(cx: &mut Cx, d: &Directive) {
    if !cx.too_many(d, 0) {
        cx.g.quiet = true;
        cx.r.push(crate::config::diag::Diagnostic::quiet_marker());
    }
}

pub fn zero_warning(cx: &mut Cx, d: &Directive) {
    if !cx.too_many(d, 0) {
        cx.g.zero_warning = true;
    }
}

/// `pp2-never-send-local`: health checks send a PROXY v2 command with their own addresses
/// instead of LOCAL.
pub fn pp2_never_send_local(cx: &mut Cx, d: &Directive) {
    if !cx.too_many(d, 0) {
        cx.g.pp2_never_send_local = true;
    }
}

pub fn external_check(cx: &mut Cx, d: &Directive) {
    if !cx.too_many(d, 0) {
        cx.g.external_check = true;
    }
}

pub fn expose_experimental(cx: &mut Cx, _: &Directive) {
    cx.g.expose_experimental = true;
}

pub fn master_worker(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if d.has_arg(1) && d.arg(1) != "no-exit-on-failure" {
        cx.alert(d, "'master-worker' only supports 'no-exit-on-failure' option.");
        return;
    }
    cx.g.master_worker = true;
    cx.g.master_worker_no_exit_on_failure |= d.has_arg(1);
}

pub fn nbproc(cx: &mut Cx, d: &Directive) {
    cx.alert(d, "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.");
}

/// `strtol` over the whole word, as HAProxy's thread keywords read numbers.
fn whole_number(s: &str) -> Option<i64> {
    let (v, rest) = strtol(s);
    (!s.is_empty() && rest.is_empty() && s.bytes().any(|b| b.is_ascii_digit())).then_some(v)
}

pub fn nbthread(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    match whole_number(d.arg(1)) {
        None => cx.alert(d, format!("'nbthread' passed a missing or unparsable integer value in '{}'", d.arg(1))),
        Some(n) if !(1..=64).contains(&n) => {
            cx.alert(d, format!("'nbthread' value must be between 1 and 64 (was {n})"))
        }
        Some(n) => cx.g.nbthread = Some(n as u32),
    }
}

pub fn thread_groups(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    match whole_number(d.arg(1)) {
        None => cx.alert(d, format!("'thread-groups' passed a missing or unparsable integer value in '{}'", d.arg(1))),
        Some(n) if n != 1 => cx.alert(d, format!("'thread-groups' value must be between 1 and 1 (was {n})")),
        Some(_) => {}
    }
}

pub fn thread_group(cx: &mut Cx, d: &Directive) {
    match whole_number(d.arg(1)) {
        None => cx.alert(d, format!("'thread-group' passed a missing or unparsable integer value in '{}'", d.arg(1))),
        Some(n) if n != 1 => {
            cx.alert(d, format!("'thread-group' thread-group number must be between 1 and 1 (was {n})"))
        }
        Some(_) => {
            for w in d.args_from(2) {
                let ok = w.split('-').all(|p| p.is_empty() || whole_number(p).is_some_and(|n| (1..=64).contains(&n)));
                if !ok || w.is_empty() {
                    let msg = format!(
                        "'thread-group 1' passed an unparsable or invalid thread number '{w}' (valid range is 1 to 64)"
                    );
                    cx.alert(d, msg);
                    return;
                }
            }
            cx.keep(d);
        }
    }
}

/// HAProxy's `parse_process_number`: `all`, `odd`, `even`, `<n>` or `<n>-<m>` (either order)
/// within 1..=64. The error comes with a line feed when the syntax is right but the range
/// is not.
fn process_set(s: &str) -> Result<(), (String, bool)> {
    if matches!(s, "all" | "odd" | "even") {
        return Ok(());
    }
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let num = |x: &str, dflt: i64| -> Option<i64> {
        if x.is_empty() {
            return Some(dflt);
        }
        x.bytes().all(|b| b.is_ascii_digit()).then(|| atol(x))
    };
    match (num(lo, 1), num(hi, 64)) {
        (Some(a), Some(b)) if (1..=64).contains(&a) && (1..=64).contains(&b) => Ok(()),
        (Some(_), Some(_)) => {
            Err((format!("'{s}' is not a valid number/range. It supports numbers from 1 to 64."), true))
        }
        _ => Err((format!("'{s}' is not a valid number/range."), false)),
    }
}

/// HAProxy's `parse_cpu_set`: each word starts with a CPU number, optionally `-<number>`
/// (a missing end means the last CPU); CPUs go from 0 to 1023.
fn cpu_set(words: &[&str]) -> Result<(), String> {
    for w in words {
        if !w.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Err(format!("'{w}' is not a CPU range."));
        }
        let low = atol(w);
        let high = match w.split_once('-') {
            Some((_, "")) => 1023,
            Some((_, h)) => atol(h),
            None => low,
        };
        if low.max(high) > 1023 {
            return Err("supports CPU numbers from 0 to 1023.".to_string());
        }
    }
    Ok(())
}

pub fn cpu_map(cx: &mut Cx, d: &Directive) {
    let usage = "cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.";
    if !d.has_arg(1) || !d.has_arg(2) {
        cx.alert(d, usage);
        return;
    }
    let spec = d.arg(1).strip_prefix("auto:").unwrap_or(d.arg(1));
    let (group, thread) = match spec.split_once('/') {
        Some((g, t)) => (g, Some(t)),
        None => (spec, None),
    };
    for part in std::iter::once(group).chain(thread) {
        match process_set(part) {
            Ok(()) => {}
            Err((e, true)) => return cx.alert_nl(d, format!("cpu-map : {e}")),
            Err((e, false)) => return cx.alert(d, format!("cpu-map : {e}")),
        }
    }
    let cpus: Vec<&str> = d.args_from(2).collect();
    if let Err(e) = cpu_set(&cpus) {
        cx.alert(d, format!("cpu-map : {e}"));
        return;
    }
    cx.keep(d);
}

pub fn pidfile(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if cx.g.pidfile.is_some() {
        cx.alert_soft(d, "'pidfile' already specified. Continuing.");
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'pidfile' expects a file name as an argument.");
        return;
    }
    cx.g.pidfile = Some(d.arg(1).to_string());
}

pub fn chroot(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if cx.g.chroot.is_some() {
        cx.alert_soft(d, "'chroot' already specified. Continuing.");
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'chroot' expects a directory as an argument.");
        return;
    }
    cx.g.chroot = Some(d.arg(1).to_string());
}

/// HAProxy remembers the uid and gid as numbers; 0 means "not set" for its checks.
fn uid_set(cx: &Cx) -> bool {
    cx.g.uid.is_some_and(|u| u != 0)
}
fn gid_set(cx: &Cx) -> bool {
    cx.g.gid.is_some_and(|g| g != 0)
}

pub fn user(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if uid_set(cx) {
        cx.alert_soft(d, "user/uid already specified. Continuing.");
        return;
    }
    match nix::unistd::User::from_name(d.arg(1)) {
        Ok(Some(u)) => {
            cx.g.user = Some(d.arg(1).to_string());
            cx.g.uid = Some(u.uid.as_raw());
        }
        _ => cx.alert(d, format!("cannot find user id for '{}' (0:Success)", d.arg(1))),
    }
}

pub fn group(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if gid_set(cx) {
        cx.alert_soft(d, "gid/group was already specified. Continuing.");
        return;
    }
    match nix::unistd::Group::from_name(d.arg(1)) {
        Ok(Some(gr)) => {
            cx.g.group = Some(d.arg(1).to_string());
            cx.g.gid = Some(gr.gid.as_raw());
        }
        _ => cx.alert(d, format!("cannot find group id for '{}' (0:Success)", d.arg(1))),
    }
}

pub fn uid(cx: &mut Cx, d: &Directive) {
    id_number(cx, d, true);
}

pub fn gid(cx: &mut Cx, d: &Directive) {
    id_number(cx, d, false);
}

fn id_number(cx: &mut Cx, d: &Directive, is_uid: bool) {
    if cx.too_many(d, 1) {
        return;
    }
    if if is_uid { uid_set(cx) } else { gid_set(cx) } {
        cx.alert_soft(
            d,
            if is_uid { "user/uid already specified. Continuing." } else { "group/gid already specified. Continuing." },
        );
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("'{}' expects an integer argument.", d.keyword()));
        return;
    }
    match strl2irc(d.arg(1)) {
        Some(n) if is_uid => cx.g.uid = Some(n as u32),
        Some(n) => cx.g.gid = Some(n as u32),
        None => {
            let (what, name) = if is_uid { ("uid", "user") } else { ("gid", "group") };
            cx.warning(d, format!(" {what}: string '{}' is not a number.", d.arg(1)));
            let hint = format!("You might want to use the '{name}' parameter to use a system {name} name.");
            cx.r.diags.list.last_mut().expect("just pushed").detail.push(hint);
        }
    }
}

pub fn node(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    let name = d.arg(1);
    let ok = !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    if !ok {
        cx.alert_tight(d, "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).");
        return;
    }
    cx.g.node = Some(name.to_string());
}

pub fn description(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert_tight(d, "'description' expects a string argument.");
        return;
    }
    cx.g.description = Some(d.args_from(1).collect::<Vec<_>>().join(" "));
}

/// `-L <name>`: names the local peer, and a `localpeer` line is then ignored.
static CMDLINE_LOCALPEER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Record `-L <name>` before the configuration is read.
pub fn set_cmdline_localpeer(name: &str) {
    let _ = CMDLINE_LOCALPEER.set(name.to_string());
}

pub fn cmdline_localpeer() -> Option<&'static str> {
    CMDLINE_LOCALPEER.get().map(String::as_str)
}

pub fn localpeer(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'localpeer' expects a name as an argument.");
        return;
    }
    if cmdline_localpeer().is_some() {
        cx.warning(d, "'localpeer' ignored since it is already set by using the '-L' command line argument.");
        return;
    }
    if cx.g.peers_seen {
        cx.warning(d, "'localpeer' ignored since it is used after 'peers' section.");
        return;
    }
    cx.g.localpeer = Some(d.arg(1).to_string());
}

pub fn cluster_secret(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "expects an ASCII string argument.");
        return;
    }
    if cx.g.cluster_secret {
        cx.alert_soft(d, "'cluster-secret' already specified. Continuing.");
        return;
    }
    cx.g.cluster_secret = true;
}

pub fn setenv(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 3) {
        return;
    }
    if !d.has_arg(2) {
        cx.alert_tight(d, format!("'{}' expects a name and a value.", d.keyword()));
        return;
    }
    if !crate::config::env::valid_name(d.arg(1)) {
        cx.alert_tight(d, format!("'{}' failed on variable '{}' : Invalid argument.", d.keyword(), d.arg(1)));
    }
    // The reader already ran the line on the environment (config::env), as HAProxy does
    // while parsing, so that later lines see it.
}

pub fn unsetenv(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert_tight(d, "'unsetenv' expects at least one variable name.");
        return;
    }
    let mut i = 1;
    while d.has_arg(i) {
        if !crate::config::env::valid_name(d.arg(i)) {
            cx.alert_tight(d, format!("'unsetenv' failed on variable '{}' : Invalid argument.", d.arg(i)));
            return;
        }
        i += 1;
    }
    cx.keep(d);
}

pub fn unix_bind(cx: &mut Cx, d: &Directive) {
    let mut i = 1;
    while d.has_arg(i) {
        let val = d.arg(i + 1);
        match d.arg(i) {
            "prefix" => {
                if cx.g.unix_bind_prefix.is_some() {
                    cx.alert_soft(d, format!("unix-bind '{}' already specified. Continuing.", d.arg(i)));
                    i += 2;
                    continue;
                }
                if !d.has_arg(i + 1) {
                    cx.alert(d, format!("unix_bind '{}' expects a path as an argument.", d.arg(i)));
                    return;
                }
                cx.g.unix_bind_prefix = Some(val.to_string());
            }
            "mode" | "uid" | "gid" => {}
            "user" => {
                if !matches!(nix::unistd::User::from_name(val), Ok(Some(_))) {
                    cx.alert(d, format!("'unix-bind' : '{val}' unknown user."));
                    return;
                }
            }
            "group" => {
                if !matches!(nix::unistd::Group::from_name(val), Ok(Some(_))) {
                    cx.alert(d, format!("'unix-bind' : '{val}' unknown group."));
                    return;
                }
            }
            _ => {
                cx.alert(
                    d,
                    "'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options.",
                );
                return;
            }
        }
        i += 2;
    }
    cx.keep(d);
}

/// `hard-stop-after`, `grace`, `close-spread-time`: a time in milliseconds, read by a
/// registered parser (its messages end with a line feed, except the overflow ones).
pub fn time_kw(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.alert_nl(d, format!("'{kw}' expects <time> as argument."));
        return;
    }
    match values::parse_ms(d.arg(1)) {
        Ok(v) => {
            if kw == "hard-stop-after" {
                cx.g.hard_stop_after = Some(v);
            }
        }
        Err(TimeError::Unexpected(c)) => cx.alert_nl(d, format!("unexpected character '{c}' in argument to <{kw}>.")),
        Err(TimeError::Overflow) => cx.alert(
            d,
            format!(
                "timer overflow in argument '{}' to '{kw}' (maximum value is 2147483647 ms or ~24.8 days)",
                d.arg(1)
            ),
        ),
        Err(TimeError::Underflow) => {
            cx.alert(d, format!("timer underflow in argument '{}' to '{kw}' (minimum value is 1 ms)", d.arg(1)))
        }
        Err(TimeError::Empty) => cx.alert_nl(d, format!("'{kw}' expects <time> as argument.")),
    }
}

/// `mworker-max-reloads`: HAProxy reports its errors as warnings, with a `(null)` where its
/// message buffer was left unset.
pub fn mworker_max_reloads(cx: &mut Cx, d: &Directive) {
    let at = format!("parsing [{}:{}]", d.span.file, d.span.line);
    if d.has_arg(2) {
        cx.alert_soft(d, format!("'mworker-max-reloads' cannot handle unexpected argument '{}'.", d.arg(2)));
        cx.warning(d, "(null)");
        return;
    }
    if !d.has_arg(1) {
        cx.warning(d, format!("(null){at} : 'mworker-max-reloads' expects an integer argument."));
        cx.r.diags.list.last_mut().expect("just pushed").detail_raw.push(String::new());
        return;
    }
    let v = atol(d.arg(1));
    if v < 0 {
        cx.warning(d, format!("(null){at} 'mworker-max-reloads' : invalid value {v}, must be >= 0"));
    }
}

pub fn default_path(cx: &mut Cx, d: &Directive) {
    let modes = "supported modes include 'current', 'config', 'parent', and 'origin'.";
    match d.arg(1) {
        "current" | "config" | "parent" => {}
        "origin" => {
            if !d.has_arg(2) {
                cx.alert(d, "'default-path origin' expects a directory as an argument.");
                return;
            }
        }
        "" => {
            cx.alert(d, format!("missing default-path mode '' for 'default-path', {modes}"));
            return;
        }
        m => {
            cx.alert(d, format!("unsupported default-path mode '{m}' for 'default-path', {modes}"));
            return;
        }
    }
    cx.keep(d);
}

/// `set-var` / `set-var-fmt` in the global section: a `proc.` variable and an expression.
pub fn set_var(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    let what = if kw == "set-var" { "a sample expression" } else { "a format string" };
    if !d.has_arg(2) {
        cx.alert(d, format!("'{kw}' requires a process-wide variable name ('proc.<name>') and {what}."));
        return;
    }
    let name = d.arg(1);
    let scope = name.split('.').next().unwrap_or("");
    if !name.contains('.') || !["proc", "sess", "txn", "req", "res", "check"].contains(&scope) {
        cx.alert(d, format!("invalid variable name '{name}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"));
        return;
    }
    if scope != "proc" {
        cx.alert(
            d,
            format!("'{kw}': cannot set variable '{name}', only scope 'proc' is permitted in the global section."),
        );
        return;
    }
    cx.keep(d);
}

pub fn profiling_tasks(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !matches!(d.arg(1), "on" | "auto" | "off") {
        cx.alert(d, format!("'profiling.tasks' expects either 'on', 'auto', or 'off' but got '{}'.", d.arg(1)));
    }
}

pub fn server_state_file(cx: &mut Cx, d: &Directive) {
    if cx.g.server_state_file.is_some() {
        cx.alert_soft(d, "'server-state-file' already specified. Continuing.");
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'server-state-file' expect one argument: a file path.");
        return;
    }
    cx.g.server_state_file = Some(d.arg(1).to_string());
}

pub fn server_state_base(cx: &mut Cx, d: &Directive) {
    if cx.g.server_state_base.is_some() {
        cx.alert_soft(d, "'server-state-base' already specified. Continuing.");
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'server-state-base' expects one argument: a directory path.");
        return;
    }
    cx.g.server_state_base = Some(d.arg(1).to_string());
}

pub fn spread_checks(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if cx.g.spread_checks.is_some_and(|v| v != 0) {
        cx.alert_soft_tight(d, "spread-checks already specified. Continuing.");
        return;
    }
    if !d.has_arg(1) {
        cx.alert_tight(d, "'spread-checks' expects an integer argument (0..50).");
        return;
    }
    // HAProxy keeps the value (an int) even when it then refuses it.
    let v = atol(d.arg(1)) as i32;
    cx.g.spread_checks = Some(v as u32);
    if !(0..=50).contains(&v) {
        cx.alert_tight(d, "'spread-checks' needs a positive value in range 0..50.");
    }
}

pub fn max_spread_checks(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert_tight(d, "'max-spread-checks' expects an integer argument (0..50).");
        return;
    }
    let arg = d.arg(1);
    match values::parse_ms(arg) {
        Ok(v) => cx.g.max_spread_checks = Some(v),
        Err(TimeError::Overflow) => cx.alert_tight(
            d,
            format!("timer overflow in argument <{arg}> to <max-spread-checks>, maximum value is 2147483647 ms (~24.8 days)."),
        ),
        Err(TimeError::Underflow) => cx.alert_tight(
            d,
            format!("timer underflow in argument <{arg}> to <max-spread-checks>, minimum non-null value is 1 ms."),
        ),
        Err(TimeError::Unexpected(c)) => {
            cx.alert_tight(d, format!("unsupported character '{c}' in 'max-spread-checks' (wants an integer delay)."))
        }
        Err(TimeError::Empty) => cx.alert_tight(d, "'max-spread-checks' expects an integer argument (0..50)."),
    }
}

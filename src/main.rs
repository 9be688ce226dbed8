//! haproxide's entry point: HAProxy's command line, then the library.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use haproxide::check::{self, CheckOptions};
use haproxide::cli::{self, Action, ArgError};
use haproxide::config::diag::{Diagnostic, Loc, Printer, Severity};
use haproxide::config::lex::{self, CondArgError, ProcessEnv};
use haproxide::config::{cond, parse};

/// The four lines `-v` prints (and the usage text is preceded by).
fn version_banner() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim_end().to_string()).unwrap_or_default();
    format!(
        "HAProxy version {} 2023/03/28 - https://github.com/haproxide\n\
         Status: long-term supported branch - will stop receiving fixes around Q2 2027.\n\
         Known bugs: http://www.haproxy.org/bugs/bugs-2.6.12.html\n\
         Running on: {} {} {} {}\n",
        haproxide::VERSION,
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        read("/proc/sys/kernel/version"),
        std::env::consts::ARCH
    )
}

fn build_options() -> String {
    format!(
        "Build options :\n  TARGET  = linux (haproxide, written in Rust)\n\n\
         Feature list : {}\n\n\
         Default settings :\n  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200\n\n\
         Built with multi-threading support.\n\n\
         Available polling systems :\n      epoll : pref=300,  test result OK\n\
         Total: 1 (1 usable), will use epoll.\n\n",
        cond::feature_string()
    )
}

fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(&lex::text_to_bytes(s));
    let _ = o.flush();
}

fn alert(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Severity::Alert, Loc::None, msg).without_context()
}

fn main() -> ExitCode {
    let pid = std::process::id();
    let argv: Vec<Vec<u8>> = std::env::args_os().map(|a| a.as_bytes().to_vec()).collect();
    let argv0 = argv.first().cloned().unwrap_or_default();
    let progname = lex::bytes_to_text(argv0.rsplit(|&b| b == b'/').next().unwrap_or(&argv0));
    let exe = if argv0.contains(&b'/') {
        lex::bytes_to_text(&argv0)
    } else {
        std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| lex::bytes_to_text(&argv0))
    };
    let mut err = Printer::new(std::io::stderr(), pid, haproxide::VERSION, &exe);
    let usage = |err: &mut Printer<std::io::Stderr>| {
        out(&version_banner());
        err.write_raw(&cli::usage_text(&progname));
        ExitCode::from(1)
    };
    let args = match cli::parse(argv.get(1..).unwrap_or(&[])) {
        Ok(Action::Run(a)) => a,
        Ok(Action::Version(n)) => {
            out(&version_banner());
            if n > 1 {
                out(&build_options());
            }
            return ExitCode::SUCCESS;
        }
        Ok(Action::PoolHelp) => {
            out(cli::POOL_HELP);
            out("\n");
            out(&version_banner());
            return ExitCode::SUCCESS;
        }
        Err(ArgError::Usage) => return usage(&mut err),
        Err(ArgError::AlertThenUsage(m)) => {
            err.print(&alert(m));
            return usage(&mut err);
        }
        Err(ArgError::Alert(m)) => {
            err.print(&alert(m));
            return ExitCode::from(1);
        }
    };
    // A master-worker's worker reads the configuration its master has just checked and reported
    // on: printing the same diagnostics again would show them twice.
    err.quiet = args.quiet_effective() || haproxide::master::worker_socket().is_some();
    err.diag_mode = args.diag;

    // Variables HAProxy sets before reading its configuration.
    let local_peer = args.local_peer.clone().unwrap_or_else(haproxide::config::env::hostname);
    if let Some(l) = &args.local_peer {
        haproxide::ir::keywords::global::set_cmdline_localpeer(l);
    }
    std::env::set_var("HAPROXY_LOCALPEER", local_peer);
    if std::env::var_os("HAPROXY_STARTUP_VERSION").is_none() {
        std::env::set_var("HAPROXY_STARTUP_VERSION", haproxide::VERSION);
    }

    if let Some(dir) = &args.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            err.print(&alert(format!("Could not change to directory {dir} : {}", parse::io_reason(&e))));
            return ExitCode::from(1);
        }
    }

    if let Some(c) = &args.check_condition {
        let env = ProcessEnv { file: None, line: 0, section: None, overlay: None };
        let fail = |err: &mut Printer<std::io::Stderr>, m: String| {
            err.print(&Diagnostic::new(Severity::Alert, Loc::None, m));
            ExitCode::from(2)
        };
        let text = match lex::tokenize_condition_arg(c, &env) {
            Ok(t) => t,
            Err(CondArgError::UnmatchedQuote) => {
                return fail(&mut err, "Syntax Error in condition: Unmatched quote.".into());
            }
            Err(CondArgError::BadHex) => {
                return fail(&mut err, "Syntax Error in condition: Truncated or invalid hexadecimal sequence.".into());
            }
            Err(CondArgError::TooLong) => return fail(&mut err, "Error in condition: Line too long.".into()),
            Err(CondArgError::TooMany) => return fail(&mut err, "Error in condition: Too many words.".into()),
            Err(CondArgError::Other) => {
                return fail(&mut err, "Unhandled error in condition, please report this to the developers.".into());
            }
        };
        return match cond::eval(&text, &env) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => fail(&mut err, format!("Failed to evaluate condition: {}", e.msg)),
        };
    }

    let opts = CheckOptions {
        zero_warning: args.zero_warning,
        ignore_resolution_failures: args.ignore_resolution_failures,
        master_worker: args.master_worker,
        master_cli: !args.master_cli.is_empty(),
    };
    let outcome = check::check_files(&args.config_files, &opts);
    if outcome.usage {
        return usage(&mut err);
    }
    err.print_all(&outcome.diags.list);
    if !err.quiet {
        for n in &outcome.notes {
            err.write_raw(&format!("   = {n}\n"));
        }
    }
    if args.check_only {
        if !err.quiet {
            for line in &outcome.stdout {
                out(&format!("{line}\n"));
            }
        }
        return ExitCode::from(outcome.exit_code as u8);
    }
    if outcome.exit_code == 1 {
        return ExitCode::from(1);
    }
    let Some(config) = outcome.config else { return ExitCode::from(1) };
    let run = haproxide::app::RunOptions {
        pidfile: args.pidfile.clone(),
        daemon: args.daemon,
        foreground: args.foreground,
        argv: argv.iter().skip(1).map(|a| lex::bytes_to_text(a)).collect(),
        quiet: args.quiet_effective(),
        finish_pids: args.finish_pids.clone(),
        terminate_pids: args.terminate_pids.clone(),
        maxconn: args.maxconn,
        per_proxy_maxconn: args.per_proxy_maxconn,
        refused_flags: [(args.socket_transfer.is_some(), "-x"), (args.memory_limit_mb.is_some(), "-m")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| f.to_string())
            .collect(),
        master_worker: args.master_worker,
        systemd: args.systemd,
        master_cli: args.master_cli.clone(),
        config_files: args.config_files.clone(),
        check: opts.clone(),
    };
    ExitCode::from(haproxide::app::start(config, &run) as u8)
}

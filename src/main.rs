//! haproxide's entry point: HAProxy's command line, then the library.

use std::io::Write;
use std::process::ExitCode;

use haproxide::check::{self, CheckOptions};
use haproxide::cli::{self, ArgError};
use haproxide::config::{cond, lex};

fn usage() -> String {
    format!(
        "HAProxy version {} - https://github.com/haproxide\n\
Usage : haproxide [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n\
        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]\n\
        -v displays version ; -vv shows known build options.\n\
        -d enters debug mode ; -db only disables background mode.\n\
        -V enters verbose mode (disables quiet mode)\n\
        -D goes daemon ; -C changes to <dir> before loading files.\n\
        -W master-worker mode.\n\
        -Ws master-worker mode with systemd notify support.\n\
        -q quiet mode : don't display messages\n\
        -c check mode : only check config files and exit\n\
        -cc check condition : evaluate a condition and exit\n\
        -n sets the maximum total # of connections (uses ulimit -n)\n\
        -m limits the usable amount of memory (in MB)\n\
        -N sets the default, per-proxy maximum # of connections (0)\n\
        -L set local peer name (default to hostname)\n\
        -p writes pids of all children to this file\n\
        -dr ignores server address resolution failures\n\
        -dW fails if any warning is emitted\n\
        -dD diagnostic mode : warn about suspicious configuration statements\n\
        -sf/-st [pid ]* finishes/terminates old pids.\n\
        -x <unix_socket> get listening sockets from a unix socket\n\
        -S <bind>[,<bind options>...] new master CLI\n",
        haproxide::VERSION
    )
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match cli::parse(&argv) {
        Ok(a) => a,
        Err(ArgError::Usage) => {
            eprint!("{}", usage());
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("[ALERT]    ({}) : {e}", std::process::id());
            return ExitCode::from(1);
        }
    };
    if args.help {
        eprint!("{}", usage());
        return ExitCode::from(1);
    }
    if args.version > 0 {
        println!("HAProxy version {} - https://github.com/haproxide", haproxide::VERSION);
        if args.version > 1 {
            println!("Feature list : {}", cond::FEATURES.iter().map(|f| format!("+{f}")).collect::<Vec<_>>().join(" "));
        }
        return ExitCode::SUCCESS;
    }
    if let Some(c) = &args.check_condition {
        let env = lex::ProcessEnv { file: "", line: 0, section: "" };
        return match cond::eval(c, &env) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("[ALERT]    ({}) : config : Failed to evaluate condition: {e}", std::process::id());
                ExitCode::from(2)
            }
        };
    }
    if let Some(dir) = &args.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            eprintln!("[ALERT]    ({}) : config : Could not change to directory {dir} : {e}", std::process::id());
            return ExitCode::from(1);
        }
    }
    let opts =
        CheckOptions { zero_warning: args.zero_warning, ignore_resolution_failures: args.ignore_resolution_failures };
    let outcome = check::check_files(&args.config_files, &opts);
    let pid = std::process::id();
    let quiet = args.quiet && !args.verbose;
    if !quiet || outcome.exit_code != 0 {
        let mut err = std::io::stderr().lock();
        for d in &outcome.diags.list {
            if d.severity == haproxide::config::diag::Severity::Diag && !args.diag {
                continue;
            }
            let _ = err.write_all(d.render(pid, true).as_bytes());
        }
    }
    if args.check_only {
        if !quiet {
            for line in &outcome.stdout {
                println!("{line}");
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
        argv: argv.clone(),
    };
    ExitCode::from(haproxide::app::start(config, &run) as u8)
}

//! HAProxy's command line: the same flags, parsed into [`Args`]. Pure (no I/O) so it is tested
//! directly; `main.rs` feeds it `std::env::args`.

use thiserror::Error;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub config_files: Vec<String>,
    pub check_only: bool,
    pub check_condition: Option<String>,
    pub version: u8,
    pub help: bool,
    pub debug: bool,
    pub foreground: bool,
    pub daemon: bool,
    pub master_worker: bool,
    pub systemd: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub zero_warning: bool,
    pub ignore_resolution_failures: bool,
    pub diag: bool,
    pub pidfile: Option<String>,
    pub chdir: Option<String>,
    pub maxconn: Option<u32>,
    pub per_proxy_maxconn: Option<u32>,
    pub local_peer: Option<String>,
    pub memory_limit_mb: Option<u32>,
    pub master_cli: Vec<String>,
    pub finish_pids: Vec<i32>,
    pub terminate_pids: Vec<i32>,
    pub socket_transfer: Option<String>,
    /// Flags HAProxy accepts that only tune its own poller/allocator; harmless for us.
    pub tuning_flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArgError {
    /// HAProxy prints its usage text and exits 1.
    #[error("usage")]
    Usage,
    #[error("'{0}' expects an argument")]
    MissingValue(String),
    #[error("not supported yet: command-line flag '{0}'")]
    NotYet(String),
}

/// Parse argv (without the program name).
pub fn parse(argv: &[String]) -> Result<Args, ArgError> {
    let mut a = Args::default();
    let mut i = 0;
    let value = |i: &mut usize, flag: &str| -> Result<String, ArgError> {
        *i += 1;
        argv.get(*i).cloned().ok_or_else(|| ArgError::MissingValue(flag.to_string()))
    };
    while i < argv.len() {
        let arg = argv[i].as_str();
        if arg == "--" {
            a.config_files.extend(argv[i + 1..].iter().cloned());
            break;
        }
        if !arg.starts_with('-') || arg.len() < 2 {
            return Err(ArgError::Usage);
        }
        match arg {
            "-v" => a.version = a.version.max(1),
            "-vv" => a.version = 2,
            "-V" => a.verbose = true,
            "-h" => a.help = true,
            "-c" => a.check_only = true,
            "-cc" => a.check_condition = Some(value(&mut i, arg)?),
            "-d" => {
                a.debug = true;
                a.foreground = true;
            }
            "-db" => a.foreground = true,
            "-dW" => a.zero_warning = true,
            "-dr" => a.ignore_resolution_failures = true,
            "-dD" => a.diag = true,
            "-D" => a.daemon = true,
            "-W" => a.master_worker = true,
            "-Ws" => {
                a.master_worker = true;
                a.systemd = true;
            }
            "-q" => a.quiet = true,
            "-f" => a.config_files.push(value(&mut i, arg)?),
            "-p" => a.pidfile = Some(value(&mut i, arg)?),
            "-C" => a.chdir = Some(value(&mut i, arg)?),
            "-n" => a.maxconn = Some(number(&value(&mut i, arg)?)),
            "-N" => a.per_proxy_maxconn = Some(number(&value(&mut i, arg)?)),
            "-m" => a.memory_limit_mb = Some(number(&value(&mut i, arg)?)),
            "-L" => a.local_peer = Some(value(&mut i, arg)?),
            "-S" => a.master_cli.push(value(&mut i, arg)?),
            "-x" => a.socket_transfer = Some(value(&mut i, arg)?),
            "-sf" | "-st" => {
                // Every following numeric word is a pid.
                while let Some(p) = argv.get(i + 1).and_then(|s| s.parse::<i32>().ok()) {
                    if arg == "-sf" {
                        a.finish_pids.push(p);
                    } else {
                        a.terminate_pids.push(p);
                    }
                    i += 1;
                }
            }
            "-de" | "-dp" | "-dS" | "-dG" | "-dR" | "-dV" | "-dL" => a.tuning_flags.push(arg.to_string()),
            _ if arg.starts_with("-dM") || arg.starts_with("-dK") => a.tuning_flags.push(arg.to_string()),
            _ => return Err(ArgError::Usage),
        }
        i += 1;
    }
    Ok(a)
}

fn number(s: &str) -> u32 {
    crate::ir::values::atoi(s).max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Args, ArgError> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn haproxy_flags() {
        let a = p("-c -f a.cfg -f dir -q").unwrap();
        assert!(a.check_only && a.quiet);
        assert_eq!(a.config_files, vec!["a.cfg", "dir"]);
        let a = p("-db -W -p /run/x.pid -sf 10 11 -f x.cfg").unwrap();
        assert!(a.foreground && a.master_worker);
        assert_eq!(a.finish_pids, vec![10, 11]);
        assert_eq!(a.config_files, vec!["x.cfg"]);
        assert_eq!(p("-cc version_atleast(2.5)").unwrap().check_condition.as_deref(), Some("version_atleast(2.5)"));
        assert_eq!(p("-f a -- b c").unwrap().config_files, vec!["a", "b", "c"]);
    }

    #[test]
    fn errors() {
        assert_eq!(p("-z"), Err(ArgError::Usage));
        assert_eq!(p("-f"), Err(ArgError::MissingValue("-f".into())));
        assert_eq!(p("foo"), Err(ArgError::Usage));
    }
}

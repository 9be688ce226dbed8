//! HAProxy's command line: the same flags, parsed the way HAProxy 2.6 parses them, into
//! [`Args`]. Pure (no I/O) so it is tested directly; `main.rs` feeds it `std::env::args_os`.
//!
//! HAProxy looks only at the first letters of each option (`-qc` is `-q`, `-cfoo` is `-c`), takes
//! the next argument as the value of `-f -L -N -n -m -p -S -C` even when it starts with `-`, and
//! copies argv once before parsing it (which is where `failed to copy argv.` comes from).

/// What the command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub config_files: Vec<String>,
    pub check_only: bool,
    /// `-cc <condition>`, as raw bytes.
    pub check_condition: Option<Vec<u8>>,
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
    pub dump_libs: bool,
    pub dump_keywords: Option<String>,
    pub pidfile: Option<String>,
    pub chdir: Option<String>,
    pub maxconn: Option<i64>,
    pub per_proxy_maxconn: Option<i64>,
    pub local_peer: Option<String>,
    pub memory_limit_mb: Option<i64>,
    pub master_cli: Vec<String>,
    pub finish_pids: Vec<i32>,
    pub terminate_pids: Vec<i32>,
    pub socket_transfer: Option<String>,
    /// Flags that only tune HAProxy's poller/allocator: accepted, harmless for us.
    pub tuning_flags: Vec<String>,
}

impl Args {
    /// `-q` without `-V`: HAProxy prints nothing but `[DIAG]` lines.
    pub fn quiet_effective(&self) -> bool {
        self.quiet && !self.verbose
    }
}

/// What to do instead of running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(Box<Args>),
    /// `-v` (1) or `-vv` (2): print the version and exit 0.
    Version(u8),
    /// `-dMhelp`: print the pool debugging help and exit 0.
    PoolHelp,
}

/// Why the command line was refused. HAProxy exits 1 for all of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// The version banner on stdout, the usage text on stderr.
    Usage,
    /// An alert (no `config :` context), then the usage.
    AlertThenUsage(String),
    /// An alert (no `config :` context), then exit.
    Alert(String),
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgError::Usage => f.write_str("usage"),
            ArgError::AlertThenUsage(m) | ArgError::Alert(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ArgError {}

/// The options that take a value in HAProxy's argv copy.
fn takes_value(c: u8) -> bool {
    matches!(c, b'C' | b'n' | b'm' | b'N' | b'L' | b'f' | b'p' | b'S')
}

/// HAProxy's `copy_argv()`: fails when an option that takes a value comes last.
fn copy_argv_ok(argv: &[Vec<u8>]) -> bool {
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a.first() != Some(&b'-') {
            i += 1;
            continue;
        }
        let flag = &a[1..];
        if flag == b"-" {
            return true;
        }
        match flag.first().copied() {
            Some(b's') => {
                i += 1;
                if matches!(flag.get(1), Some(b'f' | b't')) {
                    while i < argv.len() && argv[i].first() != Some(&b'-') {
                        i += 1;
                    }
                }
            }
            Some(b'x') => {
                i += 1;
                if i < argv.len() {
                    i += 1;
                }
            }
            Some(c) if takes_value(c) => {
                i += 1;
                if i == argv.len() {
                    return false;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    true
}

fn text(b: &[u8]) -> String {
    crate::config::lex::bytes_to_text(b)
}

/// C `strtol(s, &end, 10)`: value (saturated), the unparsed rest, and whether it overflowed.
fn strtol10(s: &[u8]) -> (i64, &[u8], bool) {
    let mut i = 0;
    while s.get(i).is_some_and(|&b| crate::config::lex::is_c_space(b)) {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    if !s.get(i).is_some_and(u8::is_ascii_digit) {
        return (0, s, false);
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    while let Some(&d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        match v.checked_mul(10).and_then(|x| if neg { x.checked_sub(d) } else { x.checked_add(d) }) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        v = if neg { i64::MIN } else { i64::MAX };
    }
    (v, &s[i..], overflow)
}

/// C `atol()`.
fn atol(s: &[u8]) -> i64 {
    strtol10(s).0
}

/// The pool debugging keywords `-dM` accepts (set and clear forms).
const POOL_FEATURES: &[&str] = &[
    "fail",
    "no-fail",
    "no-merge",
    "merge",
    "cold-first",
    "hot-first",
    "integrity",
    "no-integrity",
    "no-global",
    "global",
    "no-cache",
    "cache",
    "caller",
    "no-caller",
    "tag",
    "no-tag",
    "poison",
    "no-poison",
];

/// `-dM[<byte>][,<keyword>...]`: `Ok(true)` when `help` was asked.
fn parse_pool_debugging(spec: &[u8]) -> Result<bool, String> {
    let mut rest = spec;
    if rest.first().is_some_and(u8::is_ascii_digit) {
        let n = rest.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        rest = &rest[n..];
    }
    for kw in rest.split(|&b| b == b',') {
        if kw.is_empty() {
            continue;
        }
        if kw == b"help" {
            return Ok(true);
        }
        if !POOL_FEATURES.iter().any(|f| f.as_bytes() == kw) {
            return Err(format!("-dM: unknown pool debugging feature <{}>", text(kw)));
        }
    }
    Ok(false)
}

/// Parse argv (without the program name), like HAProxy 2.6.
pub fn parse(argv: &[Vec<u8>]) -> Result<Action, ArgError> {
    if !copy_argv_ok(argv) {
        return Err(ArgError::Alert("failed to copy argv.".into()));
    }
    let mut a = Args::default();
    let mut i = 0usize;
    while i < argv.len() {
        let arg = &argv[i];
        if arg.first() != Some(&b'-') {
            return Err(ArgError::Usage);
        }
        let flag = &arg[1..];
        let f0 = flag.first().copied().unwrap_or(0);
        let f1 = flag.get(1).copied().unwrap_or(0);
        match (f0, f1) {
            (b'v', _) => return Ok(Action::Version(if f1 == b'v' { 2 } else { 1 })),
            (b'd', b'e' | b'p' | b'S' | b'G' | b'R' | b'V') => a.tuning_flags.push(text(arg)),
            (b'V', _) => a.verbose = true,
            (b'd', b'b') => a.foreground = true,
            (b'd', b'D') => a.diag = true,
            (b'd', b'W') => a.zero_warning = true,
            (b'd', b'M') => match parse_pool_debugging(&flag[2..]) {
                Ok(true) => return Ok(Action::PoolHelp),
                Ok(false) => a.tuning_flags.push(text(arg)),
                Err(m) => return Err(ArgError::Alert(m)),
            },
            (b'd', b'r') => a.ignore_resolution_failures = true,
            (b'd', b'L') => a.dump_libs = true,
            (b'd', b'K') => a.dump_keywords = Some(text(&flag[2..])),
            (b'd', _) => a.debug = true,
            (b'c', b'c') => {
                i += 1;
                match argv.get(i) {
                    Some(c) => a.check_condition = Some(c.clone()),
                    None => return Err(ArgError::Usage),
                }
            }
            (b'c', _) => a.check_only = true,
            (b'D', _) => a.daemon = true,
            (b'W', b's') => {
                a.master_worker = true;
                a.foreground = true;
                a.systemd = true;
            }
            (b'W', _) => a.master_worker = true,
            (b'q', _) => a.quiet = true,
            (b'x', _) => {
                if i + 1 >= argv.len() {
                    return Err(ArgError::AlertThenUsage("Unix socket path expected with the -x flag\n".into()));
                }
                i += 1;
                a.socket_transfer = Some(text(&argv[i]));
            }
            (b'S', _) => {
                if i + 1 >= argv.len() {
                    return Err(ArgError::AlertThenUsage(
                        "Socket and optional bind parameters expected with the -S flag".into(),
                    ));
                }
                i += 1;
                a.master_cli.push(text(&argv[i]));
            }
            (b's', b'f' | b't') => {
                let flag_txt = text(&flag[..2]);
                while i + 1 < argv.len() && argv[i + 1].first() != Some(&b'-') {
                    i += 1;
                    let (v, rest, overflow) = strtol10(&argv[i]);
                    if overflow {
                        return Err(ArgError::Alert(format!(
                            "-{flag_txt} option: failed to parse {{{}}}: Numerical result out of range",
                            text(&argv[i])
                        )));
                    }
                    let trailing = rest.iter().skip_while(|&&b| crate::config::lex::is_c_space(b));
                    if trailing.clone().next().is_some() {
                        return Err(ArgError::Alert(format!(
                            "-{flag_txt} option: some bytes unconsumed in PID list {{{}}}",
                            text(rest)
                        )));
                    }
                    let pid = v as i32;
                    if pid <= 0 {
                        return Err(ArgError::Usage);
                    }
                    if f1 == b'f' {
                        a.finish_pids.push(pid);
                    } else {
                        a.terminate_pids.push(pid);
                    }
                }
            }
            (b'-', 0) => {
                a.config_files.extend(argv[i + 1..].iter().map(|s| text(s)));
                break;
            }
            _ => {
                i += 1;
                let Some(v) = argv.get(i) else {
                    return Err(ArgError::Usage);
                };
                match f0 {
                    b'C' => a.chdir = Some(text(v)),
                    b'n' => a.maxconn = Some(atol(v)),
                    b'm' => a.memory_limit_mb = Some(atol(v)),
                    b'N' => a.per_proxy_maxconn = Some(atol(v)),
                    b'L' => a.local_peer = Some(text(v)),
                    b'f' => a.config_files.push(text(v)),
                    b'p' => a.pidfile = Some(text(v)),
                    _ => return Err(ArgError::Usage),
                }
            }
        }
        i += 1;
    }
    Ok(Action::Run(Box::new(a)))
}

/// The usage text HAProxy prints on stderr (`name` is the program's base name).
pub fn usage_text(name: &str) -> String {
    USAGE.replacen("{name}", name, 1)
}

const USAGE: &str = r#"Usage : {name} [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]
        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]
        -v displays version ; -vv shows known build options.
        -d enters debug mode ; -db only disables background mode.
        -dM[<byte>,help,...] debug memory (default: poison with <byte>/0x50)
        -V enters verbose mode (disables quiet mode)
        -D goes daemon ; -C changes to <dir> before loading files.
        -W master-worker mode.
        -Ws master-worker mode with systemd notify support.
        -q quiet mode : don't display messages
        -c check mode : only check config files and exit
        -cc check condition : evaluate a condition and exit
        -n sets the maximum total # of connections (uses ulimit -n)
        -m limits the usable amount of memory (in MB)
        -N sets the default, per-proxy maximum # of connections (0)
        -L set local peer name (default to hostname)
        -p writes pids of all children to this file
        -de disables epoll() usage even when available
        -dp disables poll() usage even when available
        -dS disables splice usage (broken on old kernels)
        -dG disables getaddrinfo() usage
        -dR disables SO_REUSEPORT usage
        -dL dumps loaded object files after config checks
        -dK{class[,...]} dump registered keywords (use 'help' for list)
        -dr ignores server address resolution failures
        -dV disables SSL verify on servers side
        -dW fails if any warning is emitted
        -dD diagnostic mode : warn about suspicious configuration statements
        -sf/-st [pid ]* finishes/terminates old pids.
        -x <unix_socket> get listening sockets from a unix socket
        -S <bind>[,<bind options>...] new master CLI

"#;

/// The text `-dMhelp` prints on stdout.
pub const POOL_HELP: &str = "-dM alone enables memory poisonning with byte 0x50 on allocation. A numeric
value may be appended immediately after -dM to use another value (0 supported).
Then an optional list of comma-delimited keywords may be appended to set or
clear some debugging options ('*' marks the current setting):

    set               clear            description
  -----------------+-----------------+-----------------------------------------
    fail           |* no-fail        | randomly fail allocations
    no-merge       |* merge          | disable merging of similar pools
    cold-first     |* hot-first      | pick cold objects first
    integrity      |* no-integrity   | enable cache integrity checks
  * no-global      |  global         | disable global shared cache
    no-cache       |* cache          | disable thread-local cache
    caller         |* no-caller      | save caller information in cache
  * tag            |  no-tag         | add tag at end of allocated objects
    poison         |* no-poison      | poison newly allocated objects
";

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;

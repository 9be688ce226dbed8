//! The configuration pipeline shared by `-c` and by a real start: find and read the files, parse,
//! lower, validate, resolve; then the verdict HAProxy would give, with its trailer lines and exit
//! code.

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::config::parse::{self, LoadError};
use crate::ir::{self, types::Config};

/// What checking a configuration concluded.
#[derive(Debug)]
pub struct Outcome {
    pub config: Option<Config>,
    /// Every diagnostic, in the order HAProxy prints them.
    pub diags: Diags,
    /// Exit code HAProxy's `-c` would give: 0 valid, 1 errors, 2 valid but nothing to run.
    pub exit_code: i32,
    /// The lines HAProxy prints on stdout (`Configuration file is valid` ...).
    pub stdout: Vec<String>,
    /// No configuration file at all: HAProxy prints its usage (and exits 1).
    pub usage: bool,
    /// haproxide's own notes (things a real start would refuse), printed as `   = ...` lines so
    /// they never change HAProxy's lines, its warning count or `-dW`.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub zero_warning: bool,
    pub ignore_resolution_failures: bool,
    /// `-W`/`-Ws`.
    pub master_worker: bool,
    /// `-S` was given.
    pub master_cli: bool,
}

fn fail(mut diags: Diags, fatal_line: bool) -> Outcome {
    if fatal_line {
        diags.push(Diagnostic::new(Severity::Alert, Loc::None, "Fatal errors found in configuration."));
    }
    Outcome { config: None, diags, exit_code: 1, stdout: Vec::new(), usage: false, notes: Vec::new() }
}

/// Run the whole pipeline on the given `-f` arguments.
pub fn check_files(paths: &[String], opts: &CheckOptions) -> Outcome {
    let mut diags = Diags::default();
    let files = match parse::list_files(paths) {
        Ok(f) => f,
        Err(LoadError::NoFiles) => {
            return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new(), usage: true, notes: Vec::new() };
        }
        Err(LoadError::Alert(d)) => {
            diags.push(*d);
            return fail(diags, false);
        }
    };
    let sources = match parse::read_sources(&files) {
        Ok(s) => s,
        Err(d) => {
            diags.push(*d);
            return fail(diags, false);
        }
    };
    let ast = parse::parse(&sources);
    let lowered = ir::lower::lower(&ast, &mut diags);
    if lowered.aborted {
        return fail(diags, false);
    }
    if diags.has_errors() {
        return fail(diags, true);
    }
    let mut config = lowered.config;
    if ir::keywords::sections::check_first(&config, &mut diags) {
        return fail(diags, true);
    }
    if opts.master_cli && !opts.master_worker {
        diags.push(Diagnostic::new(
            Severity::Warning,
            Loc::None,
            "a master CLI socket was defined, but master-worker mode (-W) is not enabled.",
        ));
    }
    ir::validate::validate(&mut config, &mut diags);
    ir::keywords::global::post::check(&config, &mut diags);
    ir::keywords::sections::check_last(&config, &mut diags, opts.master_worker);
    if diags.has_errors() {
        return fail(diags, true);
    }
    let mut resolve_diags = Diags::default();
    ir::validate::resolve_servers(&mut config, &mut resolve_diags, opts.ignore_resolution_failures);
    let resolve_failed = resolve_diags.has_errors();
    // Fallback warnings (`init-addr libc,none`, `-dr`) count like any other.
    diags.extend(resolve_diags);
    if resolve_failed {
        // HAProxy exits right after "Failed to initialize server(s) addr.".
        return fail(diags, false);
    }
    ir::keywords::global::post::state_file(&config, &mut diags);
    let mut notes: Vec<String> = config
        .unsupported
        .iter()
        .map(|u| {
            format!(
                "not supported yet: {} at {}:{} (haproxide will refuse to start with this configuration)",
                u.what, u.span.file, u.span.line
            )
        })
        .collect();
    // Options of a defaults section reach every proxy that inherits them: note each once.
    let mut seen = std::collections::HashSet::new();
    let proxy_ignored = config
        .proxies
        .iter()
        .flat_map(|p| p.ignored.iter())
        .filter(|u| seen.insert((u.span.file.clone(), u.span.line, u.what.clone())));
    notes.extend(
        config
            .global
            .ignored
            .iter()
            .chain(proxy_ignored)
            .map(|u| format!("ignored: {} at {}:{} has no effect in haproxide", u.what, u.span.file, u.span.line)),
    );
    let zero_warning = opts.zero_warning || config.global.zero_warning;
    if zero_warning && diags.warnings() > 0 {
        diags.push(Diagnostic::new(
            Severity::Alert,
            Loc::None,
            "Some warnings were found and 'zero-warning' is set. Aborting.",
        ));
        return Outcome { config: Some(config), diags, exit_code: 1, stdout: Vec::new(), usage: false, notes };
    }
    let mut stdout = Vec::new();
    if diags.warnings() > 0 {
        stdout.push("Warnings were found.".to_string());
    }
    let listeners: usize =
        config.proxies.iter().filter(|p| p.caps.frontend && !p.disabled).map(|p| p.binds.len()).sum();
    if listeners == 0 && config.global.stats_sockets.is_empty() {
        stdout.push("Configuration file has no error but will not start (no listener) => exit(2).".to_string());
        return Outcome { config: Some(config), diags, exit_code: 2, stdout, usage: false, notes };
    }
    stdout.push("Configuration file is valid".to_string());
    Outcome { config: Some(config), diags, exit_code: 0, stdout, usage: false, notes }
}

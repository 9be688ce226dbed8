//! The configuration pipeline shared by `-c` and by a real start: read the files, parse, lower,
//! validate, resolve; then the verdict HAProxy would give, with its trailer lines and exit code.

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::config::parse;
use crate::ir::{self, types::Config};

/// What checking a configuration concluded.
#[derive(Debug)]
pub struct Outcome {
    pub config: Option<Config>,
    pub diags: Diags,
    /// Exit code HAProxy's `-c` would give: 0 valid, 1 errors, 2 valid but nothing to run.
    pub exit_code: i32,
    /// The line HAProxy prints on stdout (`Configuration file is valid` ...), if any.
    pub stdout: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub zero_warning: bool,
    pub ignore_resolution_failures: bool,
}

/// Run the whole pipeline on the given `-f` arguments.
pub fn check_files(paths: &[String], opts: &CheckOptions) -> Outcome {
    let mut diags = Diags::default();
    if paths.is_empty() {
        diags.push(Diagnostic::new(Severity::Alert, Loc::None, "No configuration file specified.").without_context());
        return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
    }
    for p in paths {
        if std::fs::metadata(p).is_err() {
            let e = std::fs::metadata(p).err().map(|e| parse::io_reason(&e)).unwrap_or_default();
            diags.push(Diagnostic::new(
                Severity::Alert,
                Loc::None,
                format!("Cannot open configuration file/directory {p} : {e}"),
            ));
            return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
        }
    }
    let sources = parse::load_sources(paths, &mut diags);
    if diags.has_alerts() {
        return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
    }
    let ast = parse::parse(&sources);
    let lowered = ir::lower::lower(&ast, &mut diags);
    let fail = |diags: &mut Diags, files: &[std::sync::Arc<str>], fatal_line: bool| {
        for f in files {
            diags.push(Diagnostic::new(
                Severity::Alert,
                Loc::None,
                format!("Error(s) found in configuration file : {f}"),
            ));
        }
        if fatal_line {
            diags.push(Diagnostic::new(Severity::Alert, Loc::None, "Fatal errors found in configuration."));
        }
    };
    if lowered.aborted || diags.has_alerts() {
        let mut files = lowered.files_with_errors.clone();
        if files.is_empty() {
            files = ast.files.clone();
        }
        fail(&mut diags, &files, !lowered.aborted);
        return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
    }
    let mut config = lowered.config;
    ir::validate::validate(&mut config, &mut diags);
    if diags.has_alerts() {
        fail(&mut diags, &[], true);
        return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
    }
    let mut resolve_diags = Diags::default();
    ir::validate::resolve_servers(&mut config, &mut resolve_diags);
    if resolve_diags.has_alerts() && !opts.ignore_resolution_failures {
        diags.extend(resolve_diags);
        fail(&mut diags, &[], true);
        return Outcome { config: None, diags, exit_code: 1, stdout: Vec::new() };
    }
    for u in &config.unsupported {
        diags.push(Diagnostic::new(
            Severity::Warning,
            u.span.parsing(),
            format!("not supported yet: {} (haproxide will refuse to start with this configuration)", u.what),
        ));
    }
    let zero_warning = opts.zero_warning || config.global.zero_warning;
    if zero_warning && diags.warnings() > 0 {
        diags.push(Diagnostic::new(
            Severity::Alert,
            Loc::None,
            "Some warnings were found and 'zero-warning' is set. Aborting.",
        ));
        return Outcome { config: Some(config), diags, exit_code: 1, stdout: Vec::new() };
    }
    let listeners: usize =
        config.proxies.iter().filter(|p| p.caps.frontend && !p.disabled).map(|p| p.binds.len()).sum();
    if listeners == 0 && config.global.stats_sockets.is_empty() {
        let stdout = vec!["Configuration file has no error but will not start (no listener) => exit(2).".to_string()];
        return Outcome { config: Some(config), diags, exit_code: 2, stdout };
    }
    let mut stdout = Vec::new();
    if diags.warnings() > 0 {
        stdout.push("Warnings were found.".to_string());
    }
    stdout.push("Configuration file is valid".to_string());
    Outcome { config: Some(config), diags, exit_code: 0, stdout }
}

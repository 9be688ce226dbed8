//! Master-worker mode (`-W`, `-Ws`, global `master-worker`) as HAProxy 2.6 runs it: a master
//! process that starts one worker (our own binary again), forwards stop signals to the workers,
//! reloads on SIGUSR2/SIGHUP or the master CLI's `reload` (checks the configuration again, starts
//! a new worker, stops the old ones softly, keeps them when the new configuration is bad), leaves
//! with HAProxy's status once no worker is left, and serves the master CLI (`-S`).
//!
//! `table` (process table and exit rules) and `mcli` (master CLI requests) are pure; `run` is
//! the master's event loop and `serve` its CLI connections.
//!
//! HAProxy talks to each worker over an internal socketpair. A re-executed worker cannot be
//! handed one without unsafe code here, so each worker binds an extra admin-level stats socket at
//! a private path the master chose (`$TMPDIR/haproxide-mworker-<master pid>/worker-<n>.sock`,
//! in a 0700 directory) and the master routes `@` requests there. The worker's appearance of
//! that socket is also how the master learns the worker is ready.

mod mcli;
mod run;
mod serve;
pub mod table;

use std::sync::Arc;

use crate::config::ast::Span;
use crate::ir::addr::{self, AddrOpts};
use crate::ir::types::{Bind, BindOpts, CliLevel};

/// Set in a worker's environment: the path of its internal socket. Its presence makes the
/// process a worker.
pub const WORKER_SOCKET_ENV: &str = "HAPROXIDE_MWORKER_SOCKET";
/// Set in a worker's environment when the master runs in the background: the worker drops its
/// standard streams once it serves, as the master does.
pub const WORKER_DETACH_ENV: &str = "HAPROXIDE_MWORKER_DETACH";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("-S '{arg}': {msg}")]
    MasterCli { arg: String, msg: String },
    #[error("not supported yet: -S option '{0}'")]
    MasterCliOption(String),
    #[error("{0}")]
    Io(String),
}

/// In a worker: the internal socket the master asked for.
pub fn worker_socket() -> Option<String> {
    std::env::var(WORKER_SOCKET_ENV).ok().filter(|p| !p.is_empty())
}

fn span(what: &str) -> Span {
    Span { file: Arc::from(what), line: 0 }
}

/// The worker's internal socket, as a `stats socket` line at level admin would declare it.
pub fn internal_bind(path: &str) -> Result<Bind, Error> {
    let address = addr::parse_address(path, AddrOpts { port_required: true, resolve: true, ..Default::default() })
        .map_err(|e| Error::Io(format!("master-worker internal socket '{path}': {e}")))?;
    let opts =
        BindOpts { arg: path.to_string(), level: Some(CliLevel::Admin), mode: Some(0o600), ..Default::default() };
    Ok(Bind { span: span("master-worker"), addr: address, opts })
}

/// `-S <bind>[,<option>,<value>...]`: the address (a Unix path, `unix@`, `ipv4@`...) and the
/// socket options HAProxy's bind lines take that matter for a CLI socket.
pub fn parse_master_cli(arg: &str) -> Result<Bind, Error> {
    let mut parts = arg.split(',');
    let first = parts.next().unwrap_or_default();
    let err = |msg: String| Error::MasterCli { arg: arg.to_string(), msg };
    let address = addr::parse_address(first, AddrOpts { port_required: true, resolve: true, ..Default::default() })
        .map_err(|e| err(e.to_string()))?;
    let mut opts = BindOpts { arg: first.to_string(), level: Some(CliLevel::Admin), ..Default::default() };
    while let Some(opt) = parts.next() {
        let mut value = || parts.next().ok_or_else(|| err(format!("'{opt}' expects a value")));
        match opt {
            "mode" => {
                let v = value()?;
                opts.mode = Some(u32::from_str_radix(v, 8).map_err(|_| err(format!("invalid mode '{v}'")))?);
            }
            "uid" | "gid" => {
                let v = value()?;
                let n: u32 = v.parse().map_err(|_| err(format!("invalid {opt} '{v}'")))?;
                if opt == "uid" {
                    opts.uid = Some(n);
                } else {
                    opts.gid = Some(n);
                }
            }
            "user" => opts.user = Some(value()?.to_string()),
            "group" => opts.group = Some(value()?.to_string()),
            "level" => {
                opts.level = Some(match value()? {
                    "user" => CliLevel::User,
                    "operator" => CliLevel::Operator,
                    "admin" => CliLevel::Admin,
                    v => return Err(err(format!("'level' only supports 'user', 'operator', and 'admin' (got '{v}')"))),
                })
            }
            other => return Err(Error::MasterCliOption(other.to_string())),
        }
    }
    Ok(Bind { span: span("-S"), addr: address, opts })
}

pub use run::run;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_cli_arguments() {
        let b = parse_master_cli("/tmp/m.sock,mode,600,level,operator").unwrap();
        assert_eq!(b.opts.mode, Some(0o600));
        assert_eq!(b.opts.level, Some(CliLevel::Operator));
        let b = parse_master_cli("ipv4@127.0.0.1:9999").unwrap();
        assert_eq!(b.addr.fixed_port(), Some(9999));
        assert!(matches!(parse_master_cli("/tmp/m.sock,bogus,1"), Err(Error::MasterCliOption(o)) if o == "bogus"));
        assert!(parse_master_cli("/tmp/m.sock,mode").is_err());
        assert!(parse_master_cli("/tmp/m.sock,mode,9z").is_err());
    }
}

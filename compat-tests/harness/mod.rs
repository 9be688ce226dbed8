//! Shared machinery for the compat scenarios. Everything here is synchronous to call (mock servers
//! run on one shared background tokio runtime), so scenarios can be plain `#[test]` functions or
//! `#[tokio::test]` ones alike. Not every helper is used by every scenario yet.
//!
//! Map: [`proc`] (run `-c`, start instances, kill-on-drop guards), [`ports`] (fresh ports,
//! `${PORT_n}` templates), [`mock_http`] / [`mock_tcp`] / [`agent`] (backends), [`syslog`]
//! (UDP and Unix receivers), [`cli`] (runtime socket, one-shot and prompt), [`client`] (HTTP and
//! raw TCP requests), [`normalize`] (pids, dates, banners, excerpts, alert locations),
//! [`compare`] (run both, diff texts), [`wait`] (deadline polling), [`tempdir`].
//!
//! A scenario, in short:
//! ```ignore
//! crate::require_haproxy!();
//! let [theirs, ours] = compare::both(|imp| {
//!     let s1 = MockHttp::start("s1");
//!     let mut t = Template::new();
//!     t.set_port(1, s1.port());
//!     let mut inst = proc::start(imp, &t.render(CFG), &[]);
//!     inst.wait_ready(&[t.port(0)], &[]);
//!     client::get(t.port(0), "/").unwrap().body_text()
//! });
//! compare::assert_same("body", &theirs, &ours);
//! ```
#![allow(dead_code)]

pub mod agent;
pub mod cli;
pub mod client;
pub mod compare;
pub mod mock_http;
pub mod mock_tcp;
pub mod normalize;
pub mod ports;
pub mod proc;
pub mod rt;
#[cfg(test)]
mod selftest;
pub mod service;
pub mod sockets;
pub mod syslog;
pub mod tempdir;
pub mod wait;

use std::path::{Path, PathBuf};

/// The crate root (where Cargo.toml lives): testdata/ is found relative to it.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testdata/<rel>` under the crate root.
pub fn testdata(rel: impl AsRef<Path>) -> PathBuf {
    crate_root().join("testdata").join(rel)
}

/// Whether the oracle can run: `$HAPROXY_BIN` if set, else `haproxy` on PATH.
pub fn haproxy_installed() -> bool {
    proc::haproxy_program().is_some()
}

/// Decide whether a compat test may run. Under `CI=true` a missing haproxy is a hard failure with
/// a clear message; elsewhere the test prints `skipped: haproxy not installed` and returns.
/// Use through [`require_haproxy!`].
pub fn haproxy_or_skip() -> bool {
    if haproxy_installed() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "haproxy (the compat oracle) is not on PATH and CI=true: install Debian's haproxy 2.6 \
             package (scripts/test does it) or set HAPROXY_BIN"
        );
    }
    eprintln!("skipped: haproxy not installed");
    false
}

/// First line of every compat test: returns early (skips) when haproxy is missing outside CI,
/// fails under CI.
#[macro_export]
macro_rules! require_haproxy {
    () => {
        if !$crate::harness::haproxy_or_skip() {
            return;
        }
    };
}

//! haproxide: a drop-in replacement for HAProxy 2.6.
//!
//! Data flows one way: configuration text (`config`) -> validated IR (`ir`) -> running engine.
//! `check` is the pipeline shared by `-c` and a real start; `cli` parses HAProxy's flags.
#![forbid(unsafe_code)]

pub mod acl;
pub mod app;
pub mod check;
pub mod checks;
pub mod cli;
pub mod config;
pub mod engine;
pub mod ir;
pub mod log;
pub mod master;
pub mod runtime_api;
pub mod stats;

/// The version string we print where HAProxy prints its own: the HAProxy release whose
/// behaviour we match, then ours.
pub const VERSION: &str = concat!("2.6.12-haproxide-", env!("CARGO_PKG_VERSION"));

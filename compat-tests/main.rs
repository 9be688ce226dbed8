//! The differential compatibility suite: every scenario runs the same configuration through real
//! HAProxy 2.6 (the oracle) and through haproxide, and compares what a user would observe.
//! `harness` holds the shared machinery (processes, ports, mock backends, syslog and runtime-socket
//! clients, normalisation); `scenarios` holds one file per area.

mod harness;
mod scenarios;

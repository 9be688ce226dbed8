//! The runtime API: HAProxy's stats socket. `server` binds the `stats socket` lines (Unix and
//! TCP) and runs one session per connection, `framing` reads requests the way HAProxy's CLI
//! applet does, `commands` holds the command table and one file per family of commands, and
//! `state_file` restores `server-state-file` at start. Imports the IR, the engine's public handle
//! (state changes go through `engine::events::apply`, the single writer) and `stats` for the
//! renderings.

pub mod commands;
pub mod framing;
pub mod server;
pub mod state_file;

use std::sync::atomic::AtomicU64;

pub use commands::{Level, SocketInfo};
pub use server::{bind, spawn, Bound};

/// What every session of the runtime API shares.
#[derive(Debug, Default)]
pub struct Shared {
    /// The stats sockets, as `show cli sockets` lists them.
    pub sockets: Vec<SocketInfo>,
    /// CLI sessions open now (they count in `Jobs` in `show info`).
    pub active: AtomicU64,
}

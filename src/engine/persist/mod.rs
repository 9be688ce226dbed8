//! Persistence: which server a request sticks to. [`cookie`] holds HAProxy's cookie
//! persistence (pure functions over header values); [`xxh64`] the hash of `dynamic` cookies.
//! Stick tables live in `engine::stick`.

pub mod backend;
pub mod cookie;
pub mod xxh64;

//! IR to running state: backends and servers with their balancers and counters, the single
//! writer of server state, and (in `proxy`) the traffic path. The only module holding Arcs,
//! atomics and locks.

pub mod backend;
pub mod counters;
pub mod lb;
pub mod state;

//! HAProxy-format logging: traffic log lines (`option httplog`, `option tcplog`, `log-format`)
//! and server state events, sent to the configured `log` targets (UDP or Unix syslog with an
//! RFC3164 header, stdout/stderr, or rings forwarded over TCP) from a background task so the proxy path never blocks.

pub mod format;
pub mod record;
pub mod ring;
pub mod target;

pub use record::LogRecord;
pub use target::{Logger, Target};

//! HAProxy-format logging: traffic log lines (`option httplog`, `option tcplog`, `log-format`)
//! and server state events, sent to the configured `log` targets (UDP or Unix syslog with an
//! RFC3164 header, or stdout/stderr) from a background task so the proxy path never blocks.

pub mod format;
pub mod record;
pub mod target;

pub use record::LogRecord;
pub use target::{Logger, Target};

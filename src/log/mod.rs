//! HAProxy-format logging: traffic log lines (`option httplog`, `option tcplog`, `log-format`)
//! and server state events, sent to the configured `log` targets (UDP or Unix syslog with an
//! RFC3164 header, stdout/stderr, or rings forwarded over TCP) without blocking the proxy path;
//! and the syslog relay of `log-forward` sections.

pub mod format;
pub mod forward;
pub mod record;
pub mod relay;
pub mod ring;
pub mod target;

pub use record::LogRecord;
pub use target::{Logger, Target};

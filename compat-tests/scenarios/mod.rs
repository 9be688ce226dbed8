//! One module per observable area; each test runs both implementations and compares.
mod check_verdicts;
mod http_errors;
mod http_kit;
mod http_logs;
mod http_proxy;
mod http_requests;
mod http_responses;
mod http_reuse;
mod http_timeouts;
mod master_worker;
mod persistence;
mod process;
mod retries;
mod routing;
mod rules;
pub mod runtime_api;
mod stats_page;
mod tcp_proxy;

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
mod process;
mod retries;
mod runtime_api;
mod tcp_proxy;

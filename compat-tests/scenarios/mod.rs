//! One module per observable area; each test runs both implementations and compares.
mod check_verdicts;
mod http_proxy;
mod retries;
mod runtime_api;

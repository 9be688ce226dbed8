//! One module per observable area; each test runs both implementations and compares.
mod check_verdicts;
mod http_kit;
mod http_proxy;
mod http_requests;
mod http_responses;
mod retries;

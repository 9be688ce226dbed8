//! The responses HAProxy generates itself. They come from two layers with different bytes:
//!
//! * the connection layer (the H1 mux) answers requests it cannot parse (400), heads that do not
//!   arrive in time (408) and some Transfer-Encoding lists (422) with raw built-in text in
//!   HAProxy's own capitalisation (`Content-length`, `Cache-Control`, `Connection: close` but none
//!   on the 422), never replaced by `errorfile`, and always closes;
//! * the stream layer (502, 503, 504, monitor-uri answers, a 400 for a bad chunk found later)
//!   sends a message like any server response: the built-in page or the `errorfile`, parsed and
//!   re-serialised (lowercase names, its `Connection` header dropped), keeping the client
//!   connection unless something says otherwise. A proxy's `errorfile`, `errorloc`,
//!   `errorfiles` and `http-error` lines replace them ([`configured`]).

use std::sync::LazyLock;

use crate::ir::types::{ErrorPage, Proxy};

/// (status, reason, body text) of HAProxy's built-in pages.
const PAGES: &[(u16, &str, &str)] = &[
    (200, "OK", "Service ready."),
    (400, "Bad request", "Your browser sent an invalid request."),
    (401, "Unauthorized", "You need a valid user and password to access this content."),
    (403, "Forbidden", "Request forbidden by administrative rules."),
    (404, "Not Found", "The resource could not be found."),
    (
        405,
        "Method Not Allowed",
        "A request was made of a resource using a request method not supported by that resource",
    ),
    (407, "Unauthorized", "You need a valid user and password to access this content."),
    (408, "Request Time-out", "Your browser didn't send a complete request in time."),
    (410, "Gone", "The resource is no longer available and will not be available again."),
    (413, "Payload Too Large", "The request entity exceeds the maximum allowed."),
    (421, "Misdirected Request", "Request sent to a non-authoritative server."),
    (422, "Unprocessable Content", "The server cannot process the contained instructions."),
    (425, "Too Early", "Your browser sent early data."),
    (429, "Too Many Requests", "You have sent too many requests in a given amount of time."),
    (500, "Internal Server Error", "An internal server error occurred."),
    (501, "Not Implemented", ".The server does not support the functionality required to fulfill the request."),
    (502, "Bad Gateway", "The server returned an invalid or incomplete response."),
    (503, "Service Unavailable", "No server is available to handle this request."),
    (504, "Gateway Time-out", "The server didn't respond in time."),
];

fn render(status: u16) -> Vec<u8> {
    let (code, reason, text) = PAGES
        .iter()
        .find(|(c, _, _)| *c == status)
        .copied()
        .unwrap_or(*PAGES.iter().find(|p| p.0 == 500).unwrap_or(&PAGES[0]));
    let body = format!("<html><body><h1>{code} {reason}</h1>\n{text}\n</body></html>\n");
    let conn = if code == 422 { "" } else { "Connection: close\r\n" };
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-length: {}\r\nCache-Control: no-cache\r\n{conn}Content-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

static RENDERED: LazyLock<Vec<(u16, Vec<u8>)>> = LazyLock::new(|| PAGES.iter().map(|p| (p.0, render(p.0))).collect());

/// The stream layer's built-in messages: the same pages without their `Connection` header.
static STREAM: LazyLock<Vec<(u16, Vec<u8>)>> = LazyLock::new(|| {
    RENDERED
        .iter()
        .map(|(c, b)| {
            let text = String::from_utf8_lossy(b).replace("Connection: close\r\n", "");
            (*c, text.into_bytes())
        })
        .collect()
});

/// HAProxy's built-in response for `status` (500's page for codes it has none for).
pub fn builtin(status: u16) -> &'static [u8] {
    let find = |s: u16| RENDERED.iter().find(|(c, _)| *c == s).map(|(_, b)| b.as_slice());
    find(status).or_else(|| find(500)).unwrap_or_default()
}

/// The raw text the connection layer sends for 400, 408 and 422: the built-in page, or
/// nothing when the frontend maps the status to an empty message (`errorfile 400 /dev/null`),
/// the one error page HAProxy's H1 mux honours.
pub fn mux_page(fe: &Proxy, status: u16) -> &'static [u8] {
    match fe.error_pages.get(&status) {
        Some(ErrorPage::Message(m)) if m.is_empty() => b"",
        _ => builtin(status),
    }
}

/// The page a stream-level error answers with, if a proxy set one (HAProxy's
/// `http_error_message`): the backend's, else the frontend's.
pub fn configured<'a>(fe: &'a Proxy, be: Option<&'a Proxy>, status: u16) -> Option<&'a ErrorPage> {
    be.and_then(|b| b.error_pages.get(&status)).or_else(|| fe.error_pages.get(&status))
}

/// The stream layer's built-in message for `status` (500's page for codes it has none for).
pub fn stream_builtin(status: u16) -> &'static [u8] {
    let find = |s: u16| STREAM.iter().find(|(c, _)| *c == s).map(|(_, b)| b.as_slice());
    find(status).or_else(|| find(500)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_503_matches_haproxy() {
        let s = std::str::from_utf8(builtin(503)).unwrap();
        assert!(s.starts_with("HTTP/1.1 503 Service Unavailable\r\nContent-length: 107\r\n"));
        assert!(s.ends_with("\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"));
    }

    #[test]
    fn page_lengths() {
        assert_eq!(builtin(400).len(), 207);
        assert_eq!(builtin(408).len(), 233);
        assert_eq!(builtin(422).len(), 225);
        assert!(!std::str::from_utf8(builtin(422)).unwrap().contains("Connection"));
    }
}

//! The responses HAProxy generates itself, byte for byte: its default error pages (status line,
//! headers in HAProxy's own capitalisation, and body), and `errorfile` replacements sent verbatim.

use bytes::Bytes;

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
    (425, "Too Early", "Your browser sent early data."),
    (429, "Too Many Requests", "You have sent too many requests in a given amount of time."),
    (500, "Internal Server Error", "An internal server error occurred."),
    (501, "Not Implemented", ".The server does not support the functionality required to fulfill the request."),
    (502, "Bad Gateway", "The server returned an invalid or incomplete response."),
    (503, "Service Unavailable", "No server is available to handle this request."),
    (504, "Gateway Time-out", "The server didn't respond in time."),
];

/// HAProxy's built-in response for `status` (falls back to 500's page for unknown codes).
pub fn builtin(status: u16) -> Bytes {
    let (code, reason, text) = PAGES.iter().find(|(c, _, _)| *c == status).copied().unwrap_or(PAGES[12]);
    let body = format!("<html><body><h1>{code} {reason}</h1>\n{text}\n</body></html>\n");
    let head = if code == 407 {
        format!(
            "HTTP/1.1 407 Unauthorized\r\nContent-length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n",
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 {code} {reason}\r\nContent-length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n",
            body.len()
        )
    };
    Bytes::from(head + &body)
}

/// A proxy without errorfiles, for responses that errorfiles never replace (monitor-uri).
pub static NO_ERRORFILES: std::sync::LazyLock<crate::ir::types::Proxy> = std::sync::LazyLock::new(|| {
    crate::ir::types::Proxy::new(
        "",
        crate::ir::types::Caps::DEFAULTS,
        crate::config::ast::Span { file: "".into(), line: 0 },
    )
});

/// The response a proxy sends for `status`: its `errorfile` if configured, else the built-in.
pub fn for_proxy(p: &crate::ir::types::Proxy, status: u16) -> Bytes {
    match p.errorfiles.get(&status) {
        Some(f) => Bytes::from(f.body.clone()),
        None => builtin(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_503_matches_haproxy() {
        let b = builtin(503);
        let s = std::str::from_utf8(&b).unwrap();
        assert!(s.starts_with("HTTP/1.1 503 Service Unavailable\r\nContent-length: 107\r\n"));
        assert!(s.ends_with("\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"));
    }

    #[test]
    fn page_400_length() {
        assert!(std::str::from_utf8(&builtin(400)).unwrap().contains("Content-length: 90\r\n"));
    }
}

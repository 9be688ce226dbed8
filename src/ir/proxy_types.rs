//! Proxy settings that only some keyword families use: error messages, header captures,
//! connection reuse, server-state loading, source addresses, compression, e-mail alerts and
//! TCP keep-alive tuning. Re-exported from [`super::types`].

use super::rules::Reply;
use super::types::{ErrorFile, NameRef};
use crate::config::ast::Span;

/// One `errorfile` / `errorloc*` / `http-error` / `errorfiles` line, in configuration order
/// (HAProxy's `conf.errors`): later lines override earlier ones for the same status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorRule {
    File(ErrorFile),
    /// `errorloc` / `errorloc302` / `errorloc303`: a redirect with this code to a URL.
    Location {
        status: u16,
        code: u16,
        url: String,
    },
    /// `http-error status <code> ...` (its `errorfiles <name>` form is a `Section` rule).
    HttpError {
        reply: Box<Reply>,
        span: Span,
    },
    /// `errorfiles <name> [<code> ...]`: messages from an `http-errors` section.
    Section {
        name: NameRef,
        codes: Vec<u16>,
    },
}

/// What a proxy answers for one error status, once its error lines are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorPage {
    /// A whole HTTP response, sent re-serialised like a server's: an `errorfile`, an
    /// `http-errors` page, or the redirect an `errorloc` line builds.
    Message(Vec<u8>),
    /// An `http-error` reply, built for each error (its headers and body may be log-formats).
    Reply(Box<Reply>),
}

/// `capture request|response header <name> len <n>` and `declare capture request|response len <n>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSlot {
    pub span: Span,
    pub request: bool,
    /// The header name; `None` for a `declare capture` slot.
    pub header: Option<String>,
    pub len: i64,
}

/// `http-reuse never|safe|aggressive|always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpReuse {
    Never,
    #[default]
    Safe,
    Aggressive,
    Always,
}

/// `load-server-state-from-file global|local|none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerStateFrom {
    Global,
    Local,
    None,
}

/// `source <addr>[:<port>] [usesrc ...] [interface <name>]` in a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub addr: String,
    pub usesrc: Option<String>,
    pub interface: Option<String>,
}

/// The local address a `source` word (server option or proxy keyword) binds outgoing
/// connections to: port 0 lets the system pick. `Err` names the form haproxide cannot run yet
/// (for "not supported yet"): port ranges, and addresses that are not IPv4/IPv6.
pub fn source_bind(text: &str) -> Result<std::net::SocketAddr, &'static str> {
    use super::addr::{self, AddrOpts, Family, PortSpec};
    let opts = AddrOpts { allow_range: true, resolve: true, connect: true, ..Default::default() };
    let a = addr::parse_address_env(text, opts).map_err(|_| "an invalid address")?;
    let ip = match a.family {
        Family::Inet | Family::Ipv4 | Family::Ipv6 => a.ip().ok_or("an address that is not IPv4 or IPv6")?,
        _ => return Err("an address that is not IPv4 or IPv6"),
    };
    let port = match a.port {
        PortSpec::None => 0,
        PortSpec::Fixed(p) => p,
        // HAProxy hands out a range's ports one connection at a time, and checks take theirs
        // from the same range.
        PortSpec::Range(..) => return Err("a port range"),
        PortSpec::Offset(_) => return Err("a port offset"),
    };
    Ok(std::net::SocketAddr::new(ip, port))
}

/// `compression algo|type|offload`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionSpec {
    pub algos: Vec<String>,
    pub types: Vec<String>,
    pub offload: bool,
}

/// `email-alert from|to|mailers|myhostname|level`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAlert {
    /// At least one `email-alert` line was given (HAProxy's `email_alert.set`).
    pub set: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    pub mailers: Option<NameRef>,
    pub myhostname: Option<String>,
    pub level: Option<String>,
}

/// TCP keep-alive tuning: `clitcpka-*` (frontend side) and `srvtcpka-*` (backend side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpKeepAlive {
    pub cnt: Option<u32>,
    pub idle: Option<u32>,
    pub intvl: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::source_bind;

    #[test]
    fn source_addresses_to_bind() {
        let ok = |t: &str| source_bind(t).map(|a| a.to_string());
        assert_eq!(ok("127.0.0.2"), Ok("127.0.0.2:0".into()));
        assert_eq!(ok("127.0.0.2:4000"), Ok("127.0.0.2:4000".into()));
        assert_eq!(ok("0.0.0.0"), Ok("0.0.0.0:0".into()));
        assert_eq!(ok("ipv6@:8000"), Ok("[::]:8000".into()));
        assert_eq!(ok("127.0.0.2:4000-4010"), Err("a port range"));
        assert_eq!(ok("unix@/tmp/x"), Err("an address that is not IPv4 or IPv6"));
    }
}

//! Socket address arguments as HAProxy writes them (`str2sa_range`): family prefixes
//! (`ipv4@`, `ipv6@`, `unix@`, `abns@`, `fd@`, `sockpair@`, `udp@` ...), `host:port`,
//! `[v6]:port`, `*`/`::` wildcards, port ranges (`80-90`, bind side), port offsets (`+1`, server
//! side), and host names resolved with the system resolver as HAProxy does at parse time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// No prefix: IPv4 or IPv6, decided by the address itself.
    Inet,
    Ipv4,
    Ipv6,
    Unix,
    Abns,
    Fd,
    SockPair,
    Udp,
    Udp4,
    Udp6,
}

/// The port part of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortSpec {
    /// No port given (servers may omit it: they use the client's destination port).
    None,
    Fixed(u16),
    /// `low-high`, bind side only.
    Range(u16, u16),
    /// `+N` / `-N`: the client's destination port shifted (server side only).
    Offset(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// `*`, empty, `0.0.0.0` written as a wildcard: any address.
    Any,
    Ip(IpAddr),
    /// A name resolved at parse time; the name is kept for `show servers state` (`srv_fqdn`).
    Resolved {
        name: String,
        ip: IpAddr,
    },
    /// A name left unresolved (server `init-addr none`, or resolvers at runtime).
    Unresolved(String),
    Path(String),
    Fd(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub family: Family,
    pub host: Host,
    pub port: PortSpec,
    /// The text as written, for messages.
    pub text: String,
}

impl Address {
    pub fn ip(&self) -> Option<IpAddr> {
        match &self.host {
            Host::Any => Some(if self.family == Family::Ipv6 {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            }),
            Host::Ip(ip) | Host::Resolved { ip, .. } => Some(*ip),
            _ => None,
        }
    }
    pub fn fixed_port(&self) -> Option<u16> {
        match self.port {
            PortSpec::Fixed(p) => Some(p),
            _ => None,
        }
    }
    /// The socket addresses a listener binds: one per port of a range.
    pub fn socket_addrs(&self) -> Vec<SocketAddr> {
        let Some(ip) = self.ip() else {
            return Vec::new();
        };
        match self.port {
            PortSpec::Fixed(p) => vec![SocketAddr::new(ip, p)],
            PortSpec::Range(a, b) => (a..=b).map(|p| SocketAddr::new(ip, p)).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddrError {
    #[error("invalid address: '{host}' in '{text}'")]
    InvalidAddress { host: String, text: String },
    #[error("invalid port '{0}'")]
    InvalidPort(String),
    #[error("invalid character '{0}' in port number '{1}' in '{2}'")]
    PortChar(char, String, String),
    #[error("invalid port range '{0}'")]
    InvalidRange(String),
    #[error("missing port specification in '{0}'")]
    MissingPort(String),
    #[error("port offset not permitted here in '{0}'")]
    OffsetNotAllowed(String),
    #[error("port range not permitted here in '{0}'")]
    RangeNotAllowed(String),
    #[error("dgram-type address not acceptable in '{0}'")]
    DgramNotAcceptable(String),
    #[error("a file descriptor is not acceptable here in '{0}'")]
    FdNotAcceptable(String),
    #[error("could not resolve address '{0}'")]
    Unresolvable(String),
    #[error("{0}")]
    Other(String),
    /// A message HAProxy ends with a line feed (`"...\\n"`), shown without it.
    #[error("{0}")]
    OtherLf(String),
}

/// What the caller accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddrOpts {
    pub port_required: bool,
    pub allow_range: bool,
    pub allow_offset: bool,
    /// Resolve names now (true) or keep them unresolved (false, e.g. `init-addr none`).
    pub resolve: bool,
    /// Datagram context (log targets): `udp@` is the default meaning.
    pub dgram: bool,
    /// Outgoing connections (servers, `source`, `dispatch`): no `fd@`.
    pub connect: bool,
    /// Listeners: an `fd@` must be an open socket of the right type.
    pub socket_fd: bool,
}

/// Family prefixes of 2.6 and the socket type they force (`Some(true)` = datagram).
const PREFIXES: &[(&str, Family, Option<bool>)] = &[
    ("ipv4@", Family::Ipv4, None),
    ("ipv6@", Family::Ipv6, None),
    ("tcp4@", Family::Ipv4, Some(false)),
    ("tcp6@", Family::Ipv6, Some(false)),
    ("tcp@", Family::Inet, Some(false)),
    ("unix@", Family::Unix, None),
    ("uxst@", Family::Unix, Some(false)),
    ("uxdg@", Family::Unix, Some(true)),
    ("abns@", Family::Abns, None),
    ("fd@", Family::Fd, None),
    ("sockpair@", Family::SockPair, None),
    ("udp4@", Family::Udp4, Some(true)),
    ("udp6@", Family::Udp6, Some(true)),
    ("udp@", Family::Udp, Some(true)),
];

/// `sun_path` of `struct sockaddr_un`, less its final NUL.
const UNIX_PATH_MAX: usize = 107;

/// `getsockname()` on an inherited descriptor: the error text of `strerror()` when it is not a
/// socket. (HAProxy also checks the socket's type; that needs `SO_TYPE` on a raw descriptor,
/// which this crate does not do.)
fn check_socket(fd: i32) -> Result<(), String> {
    use nix::sys::socket::{getsockname, SockaddrStorage};
    getsockname::<SockaddrStorage>(fd).map(|_| ()).map_err(|e| {
        let text = std::io::Error::from_raw_os_error(e as i32).to_string();
        text.split(" (os error").next().unwrap_or_default().to_string()
    })
}

/// Resolve a host name with the system resolver, preferring IPv4 like HAProxy's default
/// `init-addr libc` lookup does when both families answer.
pub fn resolve(name: &str, family: Family) -> Option<IpAddr> {
    let addrs: Vec<SocketAddr> = (name, 0u16).to_socket_addrs().ok()?.collect();
    let want_v6 = matches!(family, Family::Ipv6 | Family::Udp6);
    let want_v4 = matches!(family, Family::Ipv4 | Family::Udp4);
    addrs
        .iter()
        .find(|a| (want_v6 && a.is_ipv6()) || (want_v4 && a.is_ipv4()) || (!want_v4 && !want_v6))
        .map(|a| a.ip())
}

/// The port part, as `str2sa_range` reads it: after a digit, `atoi` of each side of an optional
/// `-` (so `80x` is port 80); `+N` / `-N` offsets; anything else is an invalid character.
/// Port 0 is refused only where a port is mandatory.
fn parse_port(text: &str, whole: &str, opts: AddrOpts) -> Result<PortSpec, AddrError> {
    let atoi = |s: &str| -> i64 {
        s.bytes().take_while(u8::is_ascii_digit).take(10).fold(0, |a, b| a * 10 + i64::from(b - b'0'))
    };
    let min = i64::from(opts.port_required);
    match text.chars().next() {
        None if opts.port_required => Err(AddrError::MissingPort(whole.to_string())),
        None => Ok(PortSpec::None),
        Some('+' | '-') => {
            if !opts.allow_offset {
                return Err(AddrError::OffsetNotAllowed(whole.to_string()));
            }
            let n = atoi(&text[1..]) as i32;
            Ok(PortSpec::Offset(if text.starts_with('-') { -n } else { n }))
        }
        Some(c) if c.is_ascii_digit() => {
            let (p1, p2) = match text.split_once('-') {
                Some(_) if !opts.allow_range => return Err(AddrError::RangeNotAllowed(whole.to_string())),
                Some((a, b)) => (a, Some(b)),
                None => (text, None),
            };
            let lo = atoi(p1);
            if lo < min || lo > 65535 {
                return Err(AddrError::InvalidPort(p1.to_string()));
            }
            let Some(p2) = p2 else {
                return Ok(PortSpec::Fixed(lo as u16));
            };
            let hi = atoi(p2);
            if hi < min || hi > 65535 {
                return Err(AddrError::InvalidPort(p2.to_string()));
            }
            if lo > hi {
                return Err(AddrError::InvalidRange(format!("{lo}-{hi}")));
            }
            Ok(PortSpec::Range(lo as u16, hi as u16))
        }
        Some(c) => Err(AddrError::PortChar(c, text.to_string(), whole.to_string())),
    }
}

impl AddrError {
    /// The line feed some of `str2sa_range`'s messages end with (`"...in '%s'\n"`), which shows
    /// when a caller embeds the message in another one.
    pub fn trailing_lf(&self) -> &'static str {
        match self {
            AddrError::PortChar(..)
            | AddrError::InvalidAddress { .. }
            | AddrError::DgramNotAcceptable(_)
            | AddrError::FdNotAcceptable(_)
            | AddrError::OtherLf(_) => "\n",
            AddrError::Other(m) if m.ends_with("(environment variable missing?)") => "\n",
            _ => "",
        }
    }

    /// The error as HAProxy words it when the address was written `original` before its
    /// environment variables were expanded: the whole-address quotes show what was written,
    /// the port and host parts what was expanded.
    pub fn quoting(self, original: &str) -> AddrError {
        let o = original.to_string();
        match self {
            AddrError::InvalidAddress { host, .. } => AddrError::InvalidAddress { host, text: o },
            AddrError::PortChar(c, port, _) => AddrError::PortChar(c, port, o),
            AddrError::MissingPort(_) => AddrError::MissingPort(o),
            AddrError::OffsetNotAllowed(_) => AddrError::OffsetNotAllowed(o),
            AddrError::RangeNotAllowed(_) => AddrError::RangeNotAllowed(o),
            AddrError::DgramNotAcceptable(_) => AddrError::DgramNotAcceptable(o),
            AddrError::FdNotAcceptable(_) => AddrError::FdNotAcceptable(o),
            e => e,
        }
    }
}

/// HAProxy's `env_expand`, which `str2sa_range` applies to every address even outside double
/// quotes: `$NAME` (letters, digits, `_`) or `${NAME}` is replaced by the variable's value, or
/// by nothing when it is not set (a lone `$` disappears).
pub fn env_expand(text: &str) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let braced = after.starts_with('{');
        let name_start = usize::from(braced);
        let name_len = after[name_start..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let name = &after[name_start..name_start + name_len];
        if !name.is_empty() {
            out.push_str(&crate::config::env::lookup(name).unwrap_or_default());
        }
        let mut next = name_start + name_len;
        if braced && after[next..].starts_with('}') {
            next += 1;
        }
        rest = &after[next..];
    }
    out.push_str(rest);
    out
}

/// `str2sa_range` on a word as written: environment variables expanded first, then parsed;
/// errors quote the word as written.
pub fn parse_address_env(text: &str, opts: AddrOpts) -> Result<Address, AddrError> {
    let expanded = env_expand(text);
    if expanded.is_empty() {
        return Err(AddrError::Other(format!("'{text}' resolves to an empty address (environment variable missing?)")));
    }
    parse_address(&expanded, opts).map_err(|e| e.quoting(text))
}

/// Parse one address (no commas: callers split comma lists first), in `str2sa_range`'s order:
/// `stream+`/`dgram+`, the family prefix, file descriptors and socket paths, then the port and
/// the host, then whether the socket type suits the caller.
pub fn parse_address(text: &str, opts: AddrOpts) -> Result<Address, AddrError> {
    let mut rest = text;
    let mut dgram: Option<bool> = None;
    if let Some(r) = rest.strip_prefix("stream+") {
        (rest, dgram) = (r, Some(false));
    } else if let Some(r) = rest.strip_prefix("dgram+") {
        (rest, dgram) = (r, Some(true));
    }
    let mut family = Family::Inet;
    // QUIC: a datagram socket with a stream control layer, `Some(AF_INET / AF_INET6)`.
    let mut quic = None;
    if let Some(at) = rest.find('@') {
        let pfx = &rest[..=at];
        // HAProxy knows no other prefix: the whole word is then a host and a port.
        if let Some((_, f, d)) = PREFIXES.iter().find(|(p, ..)| *p == pfx) {
            family = *f;
            dgram = d.or(dgram);
            rest = &rest[at + 1..];
        } else if let Some(af) = [("quic4@", 2), ("quic6@", 10)].iter().find(|(p, _)| *p == pfx).map(|p| p.1) {
            family = if af == 2 { Family::Ipv4 } else { Family::Ipv6 };
            quic = Some(af);
            rest = &rest[at + 1..];
        }
    }
    if family == Family::Inet && rest.starts_with('/') {
        family = Family::Unix;
    }
    let is_dgram = quic.is_none() && dgram.unwrap_or(opts.dgram);
    let stream_ok = |a: Address| -> Result<Address, AddrError> {
        if is_dgram && !opts.dgram {
            return Err(AddrError::DgramNotAcceptable(text.to_string()));
        }
        if let Some(af) = quic.filter(|_| !opts.dgram) {
            return Err(AddrError::Other(format!(
                "unsupported stream protocol for datagram family {af} address '{text}'; QUIC is not compiled in if this is what you were looking for."
            )));
        }
        Ok(a)
    };
    match family {
        Family::Fd | Family::SockPair => {
            let fd = match rest.parse::<i64>() {
                Ok(n) if n >= 0 && !rest.starts_with('+') => n as i32,
                _ => {
                    let msg = format!("file descriptor '{rest}' is not a valid integer in '{text}'");
                    return Err(AddrError::OtherLf(msg));
                }
            };
            if family == Family::SockPair || opts.socket_fd {
                check_socket(fd)
                    .map_err(|e| AddrError::OtherLf(format!("cannot use file descriptor '{fd}' : {e}.")))?;
            } else if opts.connect {
                return Err(AddrError::FdNotAcceptable(text.to_string()));
            }
            let a = Address { family, host: Host::Fd(rest.to_string()), port: PortSpec::None, text: text.to_string() };
            return stream_ok(a);
        }
        Family::Unix | Family::Abns => {
            let max = if family == Family::Abns { UNIX_PATH_MAX } else { UNIX_PATH_MAX - 10 };
            if rest.len() > max {
                return Err(AddrError::OtherLf(format!("socket path '{text}' too long (max {max})")));
            }
            let a =
                Address { family, host: Host::Path(rest.to_string()), port: PortSpec::None, text: text.to_string() };
            return stream_ok(a);
        }
        _ => {}
    }
    // Split host and port: `[v6]:port`, or the last colon.
    let (host_txt, port_txt) = if let Some(inner) = rest.strip_prefix('[') {
        match inner.find(']') {
            Some(end) => {
                let after = &inner[end + 1..];
                let port = after.strip_prefix(':').unwrap_or(after);
                (&inner[..end], port)
            }
            None => return Err(AddrError::InvalidAddress { host: rest.to_string(), text: text.to_string() }),
        }
    } else {
        match rest.rfind(':') {
            Some(c) => (&rest[..c], &rest[c + 1..]),
            None => (rest, ""),
        }
    };
    let port = parse_port(port_txt, text, opts)?;
    let host = if host_txt.is_empty() || host_txt == "*" {
        Host::Any
    } else if let Ok(ip) = host_txt.parse::<IpAddr>() {
        match (family, ip) {
            (Family::Ipv4 | Family::Udp4, IpAddr::V6(_)) | (Family::Ipv6 | Family::Udp6, IpAddr::V4(_)) => {
                return Err(AddrError::InvalidAddress { host: host_txt.to_string(), text: text.to_string() })
            }
            _ => Host::Ip(ip),
        }
    } else if !opts.resolve {
        Host::Unresolved(host_txt.to_string())
    } else {
        match resolve(host_txt, family) {
            Some(ip) => Host::Resolved { name: host_txt.to_string(), ip },
            None => return Err(AddrError::InvalidAddress { host: host_txt.to_string(), text: text.to_string() }),
        }
    };
    stream_ok(Address { family, host, port, text: text.to_string() })
}

/// Does `net` (`a.b.c.d`, `a.b.c.d/len`, `a.b.c.d/mask`, or an IPv6 form) contain `ip`?
pub fn net_contains(net: &str, ip: IpAddr) -> bool {
    let (addr, len) = match net.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (net, None),
    };
    let Ok(base) = addr.parse::<IpAddr>() else { return false };
    match (base, ip) {
        (IpAddr::V4(b), IpAddr::V4(i)) => {
            let bits: u32 = match len {
                None => 32,
                Some(l) => match l.parse::<u32>() {
                    Ok(n) if n <= 32 => n,
                    _ => match l.parse::<Ipv4Addr>() {
                        Ok(m) => u32::from(m).count_ones(),
                        Err(_) => return false,
                    },
                },
            };
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(b) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(i)) => {
            let bits: u32 = len.and_then(|l| l.parse().ok()).unwrap_or(128).min(128);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(b) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind_opts() -> AddrOpts {
        AddrOpts { port_required: true, allow_range: true, resolve: true, ..Default::default() }
    }

    #[test]
    fn bind_forms() {
        let a = parse_address(":80", bind_opts()).unwrap();
        assert_eq!((a.host, a.port), (Host::Any, PortSpec::Fixed(80)));
        let a = parse_address("*:8000-8002", bind_opts()).unwrap();
        assert_eq!(a.port, PortSpec::Range(8000, 8002));
        let a = parse_address("ipv6@:::443", bind_opts()).unwrap();
        assert_eq!(a.family, Family::Ipv6);
        let a = parse_address("[::1]:80", bind_opts()).unwrap();
        assert_eq!(a.host, Host::Ip("::1".parse().unwrap()));
        let a = parse_address("/run/x.sock", bind_opts()).unwrap();
        assert_eq!(a.family, Family::Unix);
        let a = parse_address("fd@3", bind_opts()).unwrap();
        assert_eq!(a.host, Host::Fd("3".into()));
    }

    #[test]
    fn bind_errors() {
        assert_eq!(
            parse_address("1.2.3.4.5:80", bind_opts()),
            Err(AddrError::InvalidAddress { host: "1.2.3.4.5".into(), text: "1.2.3.4.5:80".into() })
        );
        assert_eq!(parse_address(":99999", bind_opts()), Err(AddrError::InvalidPort("99999".into())));
        assert_eq!(
            parse_address("1.2.3.4:abc", bind_opts()).unwrap_err().to_string(),
            "invalid character 'a' in port number 'abc' in '1.2.3.4:abc'"
        );
        assert_eq!(parse_address(":80-abc", bind_opts()), Err(AddrError::InvalidPort("abc".into())));
        assert_eq!(parse_address(":0-5", bind_opts()), Err(AddrError::InvalidPort("0".into())));
        assert_eq!(parse_address(":+1", bind_opts()), Err(AddrError::OffsetNotAllowed(":+1".into())));
        assert_eq!(parse_address("udp@:80", bind_opts()), Err(AddrError::DgramNotAcceptable("udp@:80".into())));
        assert_eq!(parse_address("127.0.0.1", bind_opts()), Err(AddrError::MissingPort("127.0.0.1".into())));
    }

    #[test]
    fn environment_in_addresses() {
        // Set by no test and by no sane environment.
        assert_eq!(env_expand("0.0.0.0:${HAPROXIDE_UNSET_X}1"), "0.0.0.0:1");
        assert_eq!(env_expand("0.0.0.0:80$"), "0.0.0.0:80");
        assert_eq!(env_expand("0.0.0.0:$-80"), "0.0.0.0:-80");
        assert_eq!(env_expand("a${HAPROXIDE_UNSET_X"), "a");
        assert_eq!(
            parse_address_env("0.0.0.0:$HAPROXIDE_UNSET_X", bind_opts()).unwrap_err().to_string(),
            "missing port specification in '0.0.0.0:$HAPROXIDE_UNSET_X'"
        );
        assert_eq!(
            parse_address_env("0.0.0.0:$-80", bind_opts()).unwrap_err().to_string(),
            "port offset not permitted here in '0.0.0.0:$-80'"
        );
        assert_eq!(
            parse_address_env("${HAPROXIDE_UNSET_X}", bind_opts()).unwrap_err().to_string(),
            "'${HAPROXIDE_UNSET_X}' resolves to an empty address (environment variable missing?)"
        );
    }

    #[test]
    fn server_forms() {
        let o = AddrOpts { allow_offset: true, resolve: true, ..Default::default() };
        assert_eq!(parse_address("127.0.0.1", o).unwrap().port, PortSpec::None);
        assert_eq!(parse_address("127.0.0.1:+1", o).unwrap().port, PortSpec::Offset(1));
        assert_eq!(parse_address("localhost:80", o).unwrap().ip(), Some("127.0.0.1".parse().unwrap()));
        let o = AddrOpts { resolve: false, ..o };
        assert_eq!(parse_address("app.invalid:80", o).unwrap().host, Host::Unresolved("app.invalid".into()));
    }
}

//! Run-time sample values and HAProxy's casts between them (`sample_casts`). Values borrow from
//! the request where they can, so fetching and matching do not allocate.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::args::read_int64;
use super::types::SmpType;

/// HTTP methods HAProxy knows by name (`enum http_meth_t`); anything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMeth {
    Options,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Trace,
    Connect,
    Other,
}

impl HttpMeth {
    /// HAProxy's `find_http_meth`: exact, case-sensitive names.
    pub fn find(s: &[u8]) -> HttpMeth {
        match s {
            b"OPTIONS" => HttpMeth::Options,
            b"GET" => HttpMeth::Get,
            b"HEAD" => HttpMeth::Head,
            b"POST" => HttpMeth::Post,
            b"PUT" => HttpMeth::Put,
            b"DELETE" => HttpMeth::Delete,
            b"TRACE" => HttpMeth::Trace,
            b"CONNECT" => HttpMeth::Connect,
            _ => HttpMeth::Other,
        }
    }
    pub fn name(self) -> &'static [u8] {
        match self {
            HttpMeth::Options => b"OPTIONS",
            HttpMeth::Get => b"GET",
            HttpMeth::Head => b"HEAD",
            HttpMeth::Post => b"POST",
            HttpMeth::Put => b"PUT",
            HttpMeth::Delete => b"DELETE",
            HttpMeth::Trace => b"TRACE",
            HttpMeth::Connect => b"CONNECT",
            HttpMeth::Other => b"",
        }
    }
}

/// One fetched value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample<'a> {
    Sint(i64),
    /// Booleans are integers 0/1, as in HAProxy.
    Bool(bool),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Str(Cow<'a, [u8]>),
    Bin(Cow<'a, [u8]>),
    /// A method: its kind, and its text when it is `Other`.
    Meth(HttpMeth, Cow<'a, [u8]>),
}

impl<'a> Sample<'a> {
    pub fn str(s: &'a [u8]) -> Sample<'a> {
        Sample::Str(Cow::Borrowed(s))
    }
    pub fn owned_str(s: Vec<u8>) -> Sample<'a> {
        Sample::Str(Cow::Owned(s))
    }

    pub fn smp_type(&self) -> SmpType {
        match self {
            Sample::Sint(_) => SmpType::Sint,
            Sample::Bool(_) => SmpType::Bool,
            Sample::Ipv4(_) => SmpType::Ipv4,
            Sample::Ipv6(_) => SmpType::Ipv6,
            Sample::Str(_) => SmpType::Str,
            Sample::Bin(_) => SmpType::Bin,
            Sample::Meth(..) => SmpType::Meth,
        }
    }

    /// The integer view (`data.u.sint`) of integers and booleans.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Sample::Sint(i) => Some(*i),
            Sample::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The bytes view (`data.u.str`) of strings and binaries.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Sample::Str(s) | Sample::Bin(s) => Some(s),
            _ => None,
        }
    }

    /// Turn a borrowed sample into one that owns its bytes.
    pub fn into_owned(self) -> Sample<'static> {
        match self {
            Sample::Sint(i) => Sample::Sint(i),
            Sample::Bool(b) => Sample::Bool(b),
            Sample::Ipv4(a) => Sample::Ipv4(a),
            Sample::Ipv6(a) => Sample::Ipv6(a),
            Sample::Str(s) => Sample::Str(Cow::Owned(s.into_owned())),
            Sample::Bin(s) => Sample::Bin(Cow::Owned(s.into_owned())),
            Sample::Meth(m, s) => Sample::Meth(m, Cow::Owned(s.into_owned())),
        }
    }

    /// HAProxy's `sample_convert`: cast to `to`. Casts HAProxy implements as no-ops keep the
    /// value as it is (a string "converted" to binary stays a string); `None` when there is no
    /// cast or the value does not convert.
    pub fn convert(self, to: SmpType) -> Option<Sample<'a>> {
        use SmpType as T;
        let from = self.smp_type();
        if !from.can_cast(to) {
            return None;
        }
        Some(match (self, to) {
            (s, T::Any) => s,
            (s @ (Sample::Sint(_) | Sample::Bool(_)), T::Sint | T::Bool) => s,
            (Sample::Sint(i), T::Addr | T::Ipv4) => Sample::Ipv4(Ipv4Addr::from(i as u32)),
            (Sample::Sint(i), T::Ipv6) => Sample::Ipv6(Ipv4Addr::from(i as u32).to_ipv6_mapped()),
            (s @ (Sample::Sint(_) | Sample::Bool(_)), T::Str) => {
                Sample::owned_str(s.as_int().unwrap_or(0).to_string().into_bytes())
            }
            (s @ (Sample::Sint(_) | Sample::Bool(_)), T::Bin) => {
                Sample::Bin(Cow::Owned(s.as_int().unwrap_or(0).to_be_bytes().to_vec()))
            }
            (Sample::Ipv4(a), T::Sint) => Sample::Sint(i64::from(u32::from(a))),
            (s @ Sample::Ipv4(_), T::Addr | T::Ipv4) => s,
            (Sample::Ipv4(a), T::Ipv6) => Sample::Ipv6(a.to_ipv6_mapped()),
            (Sample::Ipv4(a), T::Str) => Sample::owned_str(a.to_string().into_bytes()),
            (Sample::Ipv4(a), T::Bin) => Sample::Bin(Cow::Owned(a.octets().to_vec())),
            (s @ Sample::Ipv6(_), T::Addr | T::Ipv6) => s,
            (Sample::Ipv6(a), T::Ipv4) => Sample::Ipv4(v6_mapped_to_v4(&a)?),
            (Sample::Ipv6(a), T::Str) => Sample::owned_str(a.to_string().into_bytes()),
            (Sample::Ipv6(a), T::Bin) => Sample::Bin(Cow::Owned(a.octets().to_vec())),
            (Sample::Str(s), T::Sint | T::Bool) => {
                if s.is_empty() {
                    return None;
                }
                Sample::Sint(read_int64(&s).0)
            }
            (Sample::Str(s), T::Addr) => match buf2ip(&s) {
                Some(a) => Sample::Ipv4(a),
                None => Sample::Ipv6(buf2ip6(&s)?),
            },
            (Sample::Str(s), T::Ipv4) => Sample::Ipv4(buf2ip(&s)?),
            (Sample::Str(s), T::Ipv6) => Sample::Ipv6(buf2ip6(&s)?),
            (s @ Sample::Str(_), T::Str | T::Bin) => s,
            (Sample::Str(s) | Sample::Bin(s), T::Meth) => {
                let m = HttpMeth::find(&s);
                if m == HttpMeth::Other {
                    Sample::Meth(m, s)
                } else {
                    Sample::Meth(m, Cow::Borrowed(&[]))
                }
            }
            (s @ Sample::Bin(_), T::Bin) => s,
            (Sample::Bin(s), T::Str) => Sample::Str(s),
            (Sample::Meth(m, s), T::Str | T::Bin) => {
                let text = if m == HttpMeth::Other { s } else { Cow::Borrowed(m.name()) };
                if to == T::Str {
                    Sample::Str(text)
                } else {
                    Sample::Bin(text)
                }
            }
            (s @ Sample::Meth(..), T::Meth) => s,
            _ => return None,
        })
    }
}

/// `v6tov4`: the IPv4 address of a `::ffff:a.b.c.d` address.
pub fn v6_mapped_to_v4(a: &Ipv6Addr) -> Option<Ipv4Addr> {
    let o = a.octets();
    if o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff {
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else {
        None
    }
}

/// `buf2ip`: a strict dotted-quad IPv4 address.
pub fn buf2ip(s: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `buf2ip6`: an IPv6 address.
pub fn buf2ip6(s: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts() {
        assert_eq!(Sample::str(b"42abc").convert(SmpType::Sint), Some(Sample::Sint(42)));
        assert_eq!(Sample::str(b"").convert(SmpType::Sint), None);
        assert_eq!(Sample::Sint(0x01020304).convert(SmpType::Ipv4), Some(Sample::Ipv4(Ipv4Addr::new(1, 2, 3, 4))));
        assert_eq!(Sample::Ipv4(Ipv4Addr::new(1, 2, 3, 4)).convert(SmpType::Str), Some(Sample::str(b"1.2.3.4")));
        assert_eq!(Sample::Bool(true).convert(SmpType::Ipv4), None);
        assert_eq!(Sample::str(b"::1").convert(SmpType::Addr), Some(Sample::Ipv6(Ipv6Addr::LOCALHOST)));
        assert_eq!(Sample::str(b"GET").convert(SmpType::Meth), Some(Sample::Meth(HttpMeth::Get, Cow::Borrowed(&[]))));
        assert_eq!(Sample::Meth(HttpMeth::Post, Cow::Borrowed(&[])).convert(SmpType::Str), Some(Sample::str(b"POST")));
        let mapped = Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped();
        assert_eq!(Sample::Ipv6(mapped).convert(SmpType::Ipv4), Some(Sample::Ipv4(Ipv4Addr::new(10, 0, 0, 1))));
        assert_eq!(Sample::Ipv6(Ipv6Addr::LOCALHOST).convert(SmpType::Ipv4), None);
    }
}

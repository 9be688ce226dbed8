//! The vocabulary shared by the ACL parser, the tables and the evaluator: sample types and
//! HAProxy's cast table, argument types, and the check places ("contexts") a fetch may be
//! used in.

use std::fmt;

/// HAProxy's sample types (`SMP_T_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SmpType {
    Any,
    Sint,
    Bool,
    /// An address of either family; only a declared type, samples are always ipv4 or ipv6.
    Addr,
    Ipv4,
    Ipv6,
    Str,
    Bin,
    Meth,
}

impl SmpType {
    /// The name HAProxy's keyword dumps print.
    pub fn name(self) -> &'static str {
        match self {
            SmpType::Any => "any",
            SmpType::Sint => "sint",
            SmpType::Bool => "bool",
            SmpType::Addr => "addr",
            SmpType::Ipv4 => "ipv4",
            SmpType::Ipv6 => "ipv6",
            SmpType::Str => "str",
            SmpType::Bin => "bin",
            SmpType::Meth => "meth",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether HAProxy 2.6 has a cast from `self` to `to` (`sample_casts[from][to] != NULL`).
    /// Recorded from the binary: converter applicability ("converter 'x' cannot be applied")
    /// and `-m` checks ("matching method 'x' cannot be used") both follow this table.
    pub fn can_cast(self, to: SmpType) -> bool {
        // Columns: any sint bool addr ipv4 ipv6 str bin meth.
        const Y: bool = true;
        const N: bool = false;
        const CASTS: [[bool; 9]; 9] = [
            /* any  */ [Y, Y, Y, Y, Y, Y, Y, Y, Y],
            /* sint */ [Y, Y, Y, Y, Y, Y, Y, Y, N],
            /* bool */ [Y, Y, Y, N, N, N, Y, Y, N],
            /* addr */ [Y, N, N, N, N, N, N, N, N],
            /* ipv4 */ [Y, Y, N, Y, Y, Y, Y, Y, N],
            /* ipv6 */ [Y, N, N, Y, Y, Y, Y, Y, N],
            /* str  */ [Y, Y, Y, Y, Y, Y, Y, Y, Y],
            /* bin  */ [Y, N, N, N, N, N, Y, Y, Y],
            /* meth */ [Y, N, N, N, N, N, Y, Y, Y],
        ];
        CASTS[self.index()][to.index()]
    }
}

/// Argument types of fetches and converters (`ARGT_*`), named as HAProxy names them in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    Sint,
    Str,
    Ipv4,
    Msk4,
    Ipv6,
    Msk6,
    Time,
    Size,
    Fe,
    Be,
    Tab,
    Srv,
    Usr,
    Map,
    Reg,
    Var,
    PbufFnum,
}

impl ArgType {
    /// HAProxy's `arg_type_names`.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::Sint => "integer",
            ArgType::Str => "string",
            ArgType::Ipv4 => "IPv4 address",
            ArgType::Msk4 => "IPv4 mask",
            ArgType::Ipv6 => "IPv6 address",
            ArgType::Msk6 => "IPv6 mask",
            ArgType::Time => "delay",
            ArgType::Size => "size",
            ArgType::Fe => "frontend",
            ArgType::Be => "backend",
            ArgType::Tab => "table",
            ArgType::Srv => "server",
            ArgType::Usr => "user list",
            ArgType::Map => "map",
            ArgType::Reg => "regex",
            ArgType::Var => "variable",
            ArgType::PbufFnum => "Protocol buffers field number",
        }
    }
}

/// An argument list signature: how many arguments are mandatory, then every argument's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSig {
    pub min: u8,
    pub types: &'static [ArgType],
}

impl ArgSig {
    /// The signature the way HAProxy's keyword dump writes it: `string[,integer]`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        for (i, t) in self.types.iter().enumerate() {
            if i == usize::from(self.min) {
                s.push('[');
            }
            if i > 0 {
                s.push(',');
            }
            s.push_str(t.name());
        }
        if self.types.len() > usize::from(self.min) {
            s.push(']');
        }
        s
    }
}

/// The places a sample may be fetched from (`SMP_CKP_*`), one bit each, in the order of
/// HAProxy's `-dKsmp` dump columns.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ctx(pub u32);

impl Ctx {
    pub const FE_CON_ACC: Ctx = Ctx(1 << 0);
    pub const FE_SES_ACC: Ctx = Ctx(1 << 1);
    pub const FE_REQ_CNT: Ctx = Ctx(1 << 2);
    pub const FE_HRQ_HDR: Ctx = Ctx(1 << 3);
    pub const FE_HRQ_BDY: Ctx = Ctx(1 << 4);
    pub const FE_SET_BCK: Ctx = Ctx(1 << 5);
    pub const BE_REQ_CNT: Ctx = Ctx(1 << 6);
    pub const BE_HRQ_HDR: Ctx = Ctx(1 << 7);
    pub const BE_HRQ_BDY: Ctx = Ctx(1 << 8);
    pub const BE_SET_SRV: Ctx = Ctx(1 << 9);
    pub const BE_SRV_CON: Ctx = Ctx(1 << 10);
    pub const BE_RES_CNT: Ctx = Ctx(1 << 11);
    pub const BE_HRS_HDR: Ctx = Ctx(1 << 12);
    pub const BE_HRS_BDY: Ctx = Ctx(1 << 13);
    pub const BE_STO_RUL: Ctx = Ctx(1 << 14);
    pub const FE_RES_CNT: Ctx = Ctx(1 << 15);
    pub const FE_HRS_HDR: Ctx = Ctx(1 << 16);
    pub const FE_HRS_BDY: Ctx = Ctx(1 << 17);
    pub const FE_LOG_END: Ctx = Ctx(1 << 18);
    pub const BE_CHK_RUL: Ctx = Ctx(1 << 19);
    pub const CFG_PARSER: Ctx = Ctx(1 << 20);
    pub const CLI_PARSER: Ctx = Ctx(1 << 21);
    pub const COUNT: usize = 22;

    /// HAProxy's names of the check places (`fetch_ckp_names`), used in its warnings.
    pub const NAMES: [&'static str; Ctx::COUNT] = [
        "frontend tcp-request connection rule",
        "frontend tcp-request session rule",
        "frontend tcp-request content rule",
        "frontend http-request header rule",
        "frontend http-request body rule",
        "frontend use-backend rule",
        "backend tcp-request content rule",
        "backend http-request header rule",
        "backend http-request body rule",
        "backend use-server, balance or stick-match rule",
        "server source selection",
        "backend tcp-response content rule",
        "backend http-response header rule",
        "backend http-response body rule",
        "backend stick-store rule",
        "frontend tcp-response content rule",
        "frontend http-response header rule",
        "frontend http-response body rule",
        "logs",
        "backend tcp-check rule",
        "configuration parser",
        "CLI parser",
    ];

    /// Parse the `Y`/`.` columns of HAProxy's `-dKsmp` dump (spaces ignored).
    pub const fn from_dump(s: &str) -> Ctx {
        let b = s.as_bytes();
        let mut bits = 0u32;
        let mut i = 0;
        let mut col = 0;
        while i < b.len() {
            match b[i] {
                b'Y' => {
                    bits |= 1 << col;
                    col += 1;
                }
                b'.' => col += 1,
                _ => {}
            }
            i += 1;
        }
        Ctx(bits)
    }

    /// The columns as the dump prints them, without spaces.
    pub fn to_dump(self) -> String {
        (0..Ctx::COUNT).map(|i| if self.0 & (1 << i) != 0 { 'Y' } else { '.' }).collect()
    }

    pub const fn union(self, o: Ctx) -> Ctx {
        Ctx(self.0 | o.0)
    }
    pub const fn intersects(self, o: Ctx) -> bool {
        self.0 & o.0 != 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// HAProxy's `sample_ckp_names()`: the name of the first place in the set.
    pub fn name(self) -> &'static str {
        (0..Ctx::COUNT)
            .find(|i| self.0 & (1 << i) != 0)
            .map(|i| Ctx::NAMES[i])
            .unwrap_or("unknown sample check place, please report this bug")
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ctx({})", self.to_dump())
    }
}

impl std::ops::BitOr for Ctx {
    type Output = Ctx;
    fn bitor(self, o: Ctx) -> Ctx {
        self.union(o)
    }
}

/// What a fetch needs beyond its check places, for HAProxy's "L6 sample fetches ignored on
/// HTTP proxies" warning (`SMP_USE_L6REQ` / `SMP_USE_L6RES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uses {
    NONE,
    L6REQ,
    L6RES,
}

/// `is_idchar()`: characters of fetch and converter names.
pub fn is_idchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b':')
}

/// Length of the identifier prefix of `s`.
pub fn idchar_len(s: &str) -> usize {
    s.bytes().take_while(|&b| is_idchar(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_round_trips_through_the_dump_notation() {
        let c = Ctx::from_dump("Y Y . Y");
        assert_eq!(c.0, 0b1011);
        assert_eq!(&c.to_dump()[..4], "YY.Y");
        assert_eq!(Ctx::FE_SET_BCK.name(), "frontend use-backend rule");
        assert_eq!((Ctx::BE_REQ_CNT | Ctx::FE_REQ_CNT).name(), "frontend tcp-request content rule");
    }

    #[test]
    fn signatures_print_like_the_dump() {
        let s = ArgSig { min: 1, types: &[ArgType::Str, ArgType::Sint] };
        assert_eq!(s.describe(), "string[,integer]");
        let s = ArgSig { min: 0, types: &[ArgType::Str] };
        assert_eq!(s.describe(), "[string]");
        let s = ArgSig { min: 1, types: &[ArgType::Be] };
        assert_eq!(s.describe(), "backend");
    }

    #[test]
    fn casts_recorded_from_haproxy() {
        assert!(!SmpType::Bool.can_cast(SmpType::Ipv4));
        assert!(SmpType::Bool.can_cast(SmpType::Bin));
        assert!(!SmpType::Meth.can_cast(SmpType::Sint));
        assert!(!SmpType::Addr.can_cast(SmpType::Str));
        assert!(SmpType::Ipv4.can_cast(SmpType::Sint));
        assert!(!SmpType::Ipv6.can_cast(SmpType::Sint));
    }
}

//! Stick-table keys: how a sample or a CLI word becomes the bytes a table is keyed on
//! (HAProxy's `smp_to_stkey` and the CLI's key parsing), how keys sort in `show table` (the
//! order of HAProxy's trees), and how they print. Keys of up to 32 bytes (addresses, integers,
//! default-length strings) live inline, so looking them up or storing them does not allocate.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::acl::{Sample, SmpType};
use crate::ir::types::TableKey;

/// Bytes kept inline in a key.
const INLINE: usize = 32;

/// A table's key type with its length (`len` of string and binary tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ip,
    Ipv6,
    Integer,
    String(usize),
    Binary(usize),
}

impl KeyType {
    pub fn from_ir(k: TableKey) -> KeyType {
        match k {
            TableKey::Ip => KeyType::Ip,
            TableKey::Ipv6 => KeyType::Ipv6,
            TableKey::Integer => KeyType::Integer,
            TableKey::String { len } => KeyType::String(len as usize),
            TableKey::Binary { len } => KeyType::Binary(len as usize),
        }
    }

    /// The name `show table` prints.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ip => "ip",
            KeyType::Ipv6 => "ipv6",
            KeyType::Integer => "integer",
            KeyType::String(_) => "string",
            KeyType::Binary(_) => "binary",
        }
    }

    /// The sample type a key of this table is cast to.
    pub fn smp_type(self) -> SmpType {
        match self {
            KeyType::Ip => SmpType::Ipv4,
            KeyType::Ipv6 => SmpType::Ipv6,
            KeyType::Integer => SmpType::Sint,
            KeyType::String(_) => SmpType::Str,
            KeyType::Binary(_) => SmpType::Bin,
        }
    }

    /// HAProxy's `smp_to_stkey`: the key for a sample, or `None` when it does not convert.
    /// Strings are cut to the table's length; binaries are cut or padded with zeros to it;
    /// integers keep their low 32 bits (in host order, which decides how they sort).
    pub fn key_of(self, s: Sample<'_>) -> Option<Key> {
        let s = s.convert(self.smp_type())?;
        Some(match (self, s) {
            (KeyType::Ip, Sample::Ipv4(a)) => Key::from_bytes(&a.octets()),
            (KeyType::Ipv6, Sample::Ipv6(a)) => Key::from_bytes(&a.octets()),
            (KeyType::Integer, s) => Key::from_bytes(&(s.as_int()? as u32).to_le_bytes()),
            (KeyType::String(len), s) => {
                let b = s.as_bytes()?;
                Key::from_bytes(&b[..b.len().min(len)])
            }
            (KeyType::Binary(len), s) => {
                let b = s.as_bytes()?;
                Key::padded(&b[..b.len().min(len)], len)
            }
            _ => return None,
        })
    }

    /// The key of a CLI word (`set|show|clear table <t> key <k>`), or the error HAProxy
    /// prints (without its line feed).
    pub fn parse_cli(self, word: &str) -> Result<Key, &'static str> {
        match self {
            KeyType::Ip => Ok(Key::from_bytes(&inetaddr_host(word).to_be_bytes())),
            KeyType::Ipv6 => match word.parse::<Ipv6Addr>() {
                Ok(a) => Ok(Key::from_bytes(&a.octets())),
                Err(_) => Err("Invalid key"),
            },
            KeyType::Integer => match strtoul(word) {
                Some(v) if v <= u64::from(u32::MAX) => Ok(Key::from_bytes(&(v as u32).to_le_bytes())),
                _ => Err("Invalid key"),
            },
            KeyType::String(len) => Ok(Key::from_bytes(&word.as_bytes()[..word.len().min(len)])),
            KeyType::Binary(_) => Err("binary"),
        }
    }

    /// The order of HAProxy's key tree: bytes compared as memory (addresses in network order,
    /// integers in host order, binaries), strings as C strings.
    pub fn cmp(self, a: &Key, b: &Key) -> Ordering {
        match self {
            KeyType::String(_) => c_str(a.as_bytes()).cmp(c_str(b.as_bytes())),
            _ => a.as_bytes().cmp(b.as_bytes()),
        }
    }

    /// The key as `show table` prints it after `key=`.
    pub fn render(self, k: &Key, out: &mut String) {
        let b = k.as_bytes();
        match self {
            KeyType::Ip => {
                let o: [u8; 4] = b.try_into().unwrap_or([0; 4]);
                let _ = write!(out, "{}", Ipv4Addr::from(o));
            }
            KeyType::Ipv6 => {
                let o: [u8; 16] = b.try_into().unwrap_or([0; 16]);
                inet_ntop6(&o, out);
            }
            KeyType::Integer => {
                let o: [u8; 4] = b.try_into().unwrap_or([0; 4]);
                let _ = write!(out, "{}", u32::from_le_bytes(o));
            }
            KeyType::String(_) => dump_text(c_str(b), out),
            KeyType::Binary(_) => {
                for c in b {
                    let _ = write!(out, "{c:02X}");
                }
            }
        }
    }
}

fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// `strtoul(s, &end, 10)` accepting what glibc accepts: blanks, a sign, digits; `None` when no
/// digit was read or the value overflows.
fn strtoul(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let v: u64 = t[..digits].parse().ok()?;
    // A negated value wraps like unsigned long, hence always beyond 32 bits unless zero.
    Some(if neg { v.wrapping_neg() } else { v })
}

/// HAProxy's `inetaddr_host`: up to four dot-separated groups, each read from its last three
/// digits, summed per byte with carries into the next byte; anything else ends the address.
pub fn inetaddr_host(text: &str) -> u32 {
    inetaddr_host_lim_ret(text.as_bytes()).0
}

/// [`inetaddr_host`] over bytes, also saying where the address ended (HAProxy's
/// `inetaddr_host_lim_ret`, which the PROXY protocol's v1 parser uses).
pub fn inetaddr_host_lim_ret(b: &[u8]) -> (u32, usize) {
    let mut total: u32 = 0;
    let mut shift: i32 = 24;
    let mut start = 0;
    loop {
        let mut p = start;
        while p < b.len() && b[p].is_ascii_digit() {
            p += 1;
        }
        let group = &b[start..p];
        let digits = &group[group.len().saturating_sub(3)..];
        let mut v: u32 = 0;
        for d in digits {
            v = v * 10 + u32::from(d - b'0');
        }
        total = total.wrapping_add(v.wrapping_shl(shift as u32));
        if shift == 0 || b.get(p) != Some(&b'.') {
            return (total, p);
        }
        shift -= 8;
        start = p + 1;
    }
}

/// glibc's `inet_ntop(AF_INET6)`: the longest run of zero words (at least two, the first on
/// ties) becomes `::`; `::a.b.c.d` and `::ffff:a.b.c.d` keep their IPv4 tail.
pub fn inet_ntop6(o: &[u8; 16], out: &mut String) {
    let words: Vec<u16> = (0..8).map(|i| u16::from_be_bytes([o[2 * i], o[2 * i + 1]])).collect();
    let (mut best, mut best_len) = (usize::MAX, 0);
    let (mut cur, mut cur_len) = (usize::MAX, 0);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if cur == usize::MAX {
                cur = i;
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if cur != usize::MAX {
            if best == usize::MAX || cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
            cur = usize::MAX;
        }
    }
    if cur != usize::MAX && (best == usize::MAX || cur_len > best_len) {
        best = cur;
        best_len = cur_len;
    }
    if best != usize::MAX && best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if best != usize::MAX && i >= best && i < best + best_len {
            if i == best {
                out.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            let _ = write!(out, "{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            return;
        }
        let _ = write!(out, "{:x}", words[i]);
        i += 1;
    }
    if best != usize::MAX && best + best_len == 8 {
        out.push(':');
    }
}

/// HAProxy's `dump_text`: printable ASCII as is, `\t \n \r \e \\ \  \=` escaped, the rest as
/// `\xHH`.
pub fn dump_text(b: &[u8], out: &mut String) {
    for &c in b {
        match c {
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x1b => out.push_str("\\e"),
            b'\\' => out.push_str("\\\\"),
            b' ' => out.push_str("\\ "),
            b'=' => out.push_str("\\="),
            0x21..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\x{c:02X}");
            }
        }
    }
}

/// A key's bytes, inline when short.
#[derive(Clone)]
pub enum Key {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    pub fn from_bytes(b: &[u8]) -> Key {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline { len: b.len() as u8, buf }
        } else {
            Key::Heap(b.into())
        }
    }

    /// `b` padded with zeros to `len` bytes.
    pub fn padded(b: &[u8], len: usize) -> Key {
        if len <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline { len: len as u8, buf }
        } else {
            let mut v = vec![0u8; len];
            v[..b.len()].copy_from_slice(b);
            Key::Heap(v.into_boxed_slice())
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}
impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_bytes().hash(h)
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({:02x?})", self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: KeyType, k: &Key) -> String {
        let mut s = String::new();
        t.render(k, &mut s);
        s
    }

    #[test]
    fn inetaddr_host_is_haproxys() {
        assert_eq!(Ipv4Addr::from(inetaddr_host("10.1.2.3")), Ipv4Addr::new(10, 1, 2, 3));
        assert_eq!(Ipv4Addr::from(inetaddr_host("999.1.1.1")), Ipv4Addr::new(231, 1, 1, 1));
        assert_eq!(Ipv4Addr::from(inetaddr_host("1.2")), Ipv4Addr::new(1, 2, 0, 0));
        assert_eq!(Ipv4Addr::from(inetaddr_host("1.2.3.4.5")), Ipv4Addr::new(1, 2, 3, 4));
        assert_eq!(Ipv4Addr::from(inetaddr_host("abc")), Ipv4Addr::new(0, 0, 0, 0));
        // A group over 255 carries into the byte before it.
        assert_eq!(Ipv4Addr::from(inetaddr_host("1.256.0.0")), Ipv4Addr::new(2, 0, 0, 0));
    }

    #[test]
    fn cli_keys() {
        assert_eq!(
            KeyType::Integer.parse_cli("4294967295").map(|k| render(KeyType::Integer, &k)),
            Ok("4294967295".into())
        );
        assert_eq!(KeyType::Integer.parse_cli("4294967296"), Err("Invalid key"));
        assert_eq!(KeyType::Integer.parse_cli("-5"), Err("Invalid key"));
        assert_eq!(KeyType::Integer.parse_cli("abc"), Err("Invalid key"));
        assert_eq!(KeyType::Integer.parse_cli("12abc").map(|k| render(KeyType::Integer, &k)), Ok("12".into()));
        assert_eq!(KeyType::Ipv6.parse_cli("127.0.0.1"), Err("Invalid key"));
        let k = KeyType::String(12).parse_cli("abcdefghijklmnopqrstuvwxyz").unwrap();
        assert_eq!(render(KeyType::String(12), &k), "abcdefghijkl");
    }

    #[test]
    fn keys_sort_like_haproxys_trees() {
        let t = KeyType::Integer;
        let mut keys: Vec<Key> =
            [1u32, 256, 2, 65536, 80, u32::MAX].iter().map(|v| Key::from_bytes(&v.to_le_bytes())).collect();
        keys.sort_by(|a, b| t.cmp(a, b));
        let shown: Vec<String> = keys.iter().map(|k| render(t, k)).collect();
        assert_eq!(shown, ["65536", "256", "1", "2", "80", "4294967295"]);
        let t = KeyType::String(32);
        let mut keys: Vec<Key> = ["b", "a", "ab", "B"].iter().map(|s| Key::from_bytes(s.as_bytes())).collect();
        keys.sort_by(|a, b| t.cmp(a, b));
        let shown: Vec<String> = keys.iter().map(|k| render(t, k)).collect();
        assert_eq!(shown, ["B", "a", "ab", "b"]);
    }

    #[test]
    fn ipv6_prints_like_glibc() {
        for (a, want) in [
            ("::1", "::1"),
            ("::", "::"),
            ("::2", "::2"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ] {
            let ip: Ipv6Addr = a.parse().unwrap();
            let mut s = String::new();
            inet_ntop6(&ip.octets(), &mut s);
            assert_eq!(s, want, "{a}");
        }
    }

    #[test]
    fn samples_become_keys() {
        let k = KeyType::Ip.key_of(Sample::Ipv4(Ipv4Addr::new(1, 2, 3, 4))).unwrap();
        assert_eq!(k.as_bytes(), [1, 2, 3, 4]);
        assert!(KeyType::Ip.key_of(Sample::Ipv6(Ipv6Addr::LOCALHOST)).is_none());
        let k = KeyType::Ipv6.key_of(Sample::Ipv4(Ipv4Addr::new(1, 2, 3, 4))).unwrap();
        assert_eq!(render(KeyType::Ipv6, &k), "::ffff:1.2.3.4");
        let k = KeyType::Integer.key_of(Sample::Sint(0x1_0000_0050)).unwrap();
        assert_eq!(render(KeyType::Integer, &k), "80");
        let k = KeyType::Binary(4).key_of(Sample::str(b"ab")).unwrap();
        assert_eq!(render(KeyType::Binary(4), &k), "61620000");
        let k = KeyType::String(3).key_of(Sample::Sint(12345)).unwrap();
        assert_eq!(render(KeyType::String(3), &k), "123");
        let mut s = String::new();
        dump_text(b"a b=c\\\x01", &mut s);
        assert_eq!(s, "a\\ b\\=c\\\\\\x01");
    }
}

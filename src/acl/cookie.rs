//! Cookie values in `Cookie` and `Set-Cookie` header values, read the way HAProxy 2.6's
//! cookie fetches read them (`cook`, `req.cook*`, `res.cook*`, `scook*`, `cookie`), measured
//! on the binary: names and values are trimmed of blanks, a value may be double-quoted (the
//! quotes, and any `;` or `,` between them, belong to the value), attributes starting with `$`
//! and words without `=` are skipped, an empty name stands for any cookie. In a request header
//! every `name=value` pair of the line counts; in a `Set-Cookie` value only the first one does,
//! the rest being its attributes (unless the name is empty: then every pair counts).
//!
//! Integer forms (`*_val`) read numbers with [`strl2ic`], HAProxy's lenient reader, so odd
//! values give HAProxy's odd numbers.

fn blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The end of a cookie value starting at `from`: the first `;` or `,` outside double quotes.
fn value_end(h: &[u8], from: usize) -> usize {
    let mut quoted = false;
    let mut i = from;
    while i < h.len() {
        match h[i] {
            b'"' => quoted = !quoted,
            b';' | b',' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The next cookie named `name` (any name when empty) in the header value `h`, searching from
/// `from`: its value and where to search from next. `list` is false for `Set-Cookie`.
pub fn extract<'a>(h: &'a [u8], name: &[u8], list: bool, mut from: usize) -> Option<(&'a [u8], usize)> {
    // The whole of `name=` and at least one more byte must still fit.
    while from + name.len() + 1 < h.len() {
        let mut att_beg = from;
        while att_beg < h.len() && blank(h[att_beg]) {
            att_beg += 1;
        }
        let mut equal = att_beg;
        let mut att_end = att_beg;
        while equal < h.len() {
            let c = h[equal];
            if c == b'=' || c == b';' || (list && c == b',') {
                break;
            }
            equal += 1;
            if !blank(c) {
                att_end = equal;
            }
        }
        let (val_beg, val_end, next) = if equal < h.len() && h[equal] == b'=' {
            let mut vb = equal + 1;
            while vb < h.len() && blank(h[vb]) {
                vb += 1;
            }
            let next = value_end(h, vb);
            let mut ve = next;
            while ve > vb && blank(h[ve - 1]) {
                ve -= 1;
            }
            (vb, ve, next)
        } else {
            (equal, equal, equal)
        };
        from = next + 1;
        if h.get(att_beg) == Some(&b'$') || equal == next {
            continue;
        }
        if name.is_empty() || &h[att_beg..att_end] == name {
            return Some((&h[val_beg..val_end], from));
        }
        if !list {
            break;
        }
    }
    None
}

/// Every cookie named `name` in one header value, in order; `f` returns true to stop.
/// Returns whether it stopped.
pub fn each_in<'a>(h: &'a [u8], name: &[u8], list: bool, f: &mut dyn FnMut(&'a [u8]) -> bool) -> bool {
    // HAProxy skips values too short to hold `name=` and a byte.
    if h.len() < name.len() + 1 {
        return false;
    }
    let mut from = 0;
    while let Some((v, next)) = extract(h, name, list, from) {
        if f(v) {
            return true;
        }
        from = next;
    }
    false
}

/// HAProxy's `strl2ic`: digits are read until a byte above `9`; bytes below `0` count as
/// negative digits, a leading `-` negates, and the result wraps as a C `int` does.
pub fn strl2ic(s: &[u8]) -> i64 {
    let mut i: i32 = 0;
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    for &c in digits {
        let j = i32::from(c) - i32::from(b'0');
        if j > 9 {
            break;
        }
        let k = i.wrapping_mul(10);
        i = if neg { k.wrapping_sub(j) } else { k.wrapping_add(j) };
    }
    i64::from(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(h: &str, name: &str, list: bool) -> Vec<String> {
        let mut out = Vec::new();
        each_in(h.as_bytes(), name.as_bytes(), list, &mut |v| {
            out.push(String::from_utf8_lossy(v).into_owned());
            false
        });
        out
    }

    #[test]
    fn request_cookies() {
        assert_eq!(all("SID=1; SID=2", "SID", true), ["1", "2"]);
        assert_eq!(all(" SID = 4 ; b=2", "SID", true), ["4"]);
        assert_eq!(all("=v; SID=9", "", true), ["v", "9"]);
        assert_eq!(all("SID=\"q;x\"; b=1", "SID", true), ["\"q;x\""]);
        assert_eq!(all("$Version=1; SID=a", "", true), ["a"]);
        assert_eq!(all("x; SID=3", "SID", true), ["3"]);
        // Too short to hold `SID=` and a byte.
        assert_eq!(all("SID=", "SID", true), Vec::<String>::new());
        assert_eq!(all("a=1; SID=", "SID", true), [""]);
    }

    #[test]
    fn set_cookie_values() {
        assert_eq!(all("SID=abc; Path=/", "SID", false), ["abc"]);
        assert_eq!(all("SID=abc; Path=/", "", false), ["abc", "/"]);
        assert_eq!(all("other=1; SID=x", "SID", false), Vec::<String>::new());
        assert_eq!(all("SID=; Path=/", "SID", false), [""]);
        assert_eq!(all("SID", "SID", false), Vec::<String>::new());
    }

    #[test]
    fn lenient_integers() {
        assert_eq!(strl2ic(b"12abc"), 12);
        assert_eq!(strl2ic(b"\"q;x\""), -14);
        assert_eq!(strl2ic(b"-3"), -3);
        assert_eq!(strl2ic(b""), 0);
        assert_eq!(strl2ic(b"4294967297"), 1);
    }
}

//! Cookie persistence, as HAProxy 2.6's `http_manage_client_side_cookies` and
//! `http_manage_server_side_cookies` do it, byte for byte: which server a request's cookie
//! designates, what becomes of the Cookie header on its way to the server (stripped with
//! `insert indirect`, unprefixed with `prefix`), what becomes of the server's Set-Cookie
//! (deleted, rewritten, prefixed), the Set-Cookie HAProxy inserts and its
//! `Cache-control: private`, the `capture cookie` values (`%CC`, `%CS`) and the cookie
//! characters of the termination state (`%tsc`).
//!
//! Everything here is pure: headers come in as values, decisions and new values go out.
//! The header values are edited the way HAProxy edits them in place (same memmoves), so the
//! results keep its quirks.

use crate::ir::types::{CookieMode, CookieSpec};

/// The backend's `cookie` line, compiled (HAProxy's `ck_opts` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConf {
    pub name: Vec<u8>,
    pub rw: bool,
    pub ins: bool,
    pub pfx: bool,
    pub ind: bool,
    pub noc: bool,
    pub post: bool,
    pub psv: bool,
    pub httponly: bool,
    pub secure: bool,
    pub dynamic: bool,
    /// `domain` values joined as HAProxy joins them (`a; domain=b`).
    pub domain: Option<String>,
    pub maxidle: u32,
    pub maxlife: u32,
    /// `attr` values joined with `; `.
    pub attrs: Option<String>,
}

impl CookieConf {
    pub fn from_ir(c: &CookieSpec) -> CookieConf {
        let join = |v: &[String], sep: &str| (!v.is_empty()).then(|| v.join(sep));
        CookieConf {
            name: c.name.as_bytes().to_vec(),
            rw: c.mode == CookieMode::Rewrite,
            ins: c.mode == CookieMode::Insert,
            pfx: c.mode == CookieMode::Prefix,
            ind: c.indirect,
            noc: c.nocache,
            post: c.postonly,
            psv: c.preserve,
            httponly: c.httponly,
            secure: c.secure,
            dynamic: c.dynamic,
            domain: join(&c.domains, "; domain="),
            maxidle: c.maxidle.unwrap_or(0),
            maxlife: c.maxlife.unwrap_or(0),
            attrs: join(&c.attrs, "; "),
        }
    }

    /// HAProxy's `PR_CK_ANY`: the modes that show in `%tsc` (not passive ones).
    pub fn any(&self) -> bool {
        self.rw || self.ind || self.ins || self.pfx
    }
}

/// `capture cookie <name> len <n>` of the frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub name: Vec<u8>,
    pub len: usize,
}

impl Capture {
    /// HAProxy truncates the length to 63.
    pub fn new(name: &str, len: i64) -> Capture {
        Capture { name: name.as_bytes().to_vec(), len: len.clamp(0, 63) as usize }
    }
}

/// A server as cookie processing sees it, in the backend's order.
#[derive(Debug, Clone, Copy)]
pub struct CkServer<'a> {
    pub cookie: Option<&'a [u8]>,
    /// Not stopped (HAProxy's `cur_state != SRV_ST_STOPPED`): up, or going down.
    pub running: bool,
}

/// Request cookie states (`TX_CK_*`, index into `NIDVEOU`).
pub mod ck {
    pub const NONE: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const DOWN: u8 = 2;
    pub const VALID: u8 = 3;
    pub const EXPIRED: u8 = 4;
    pub const OLD: u8 = 5;
    pub const UNUSED: u8 = 6;
}

/// Response cookie states (`TX_SCK_*`, index into `NPDIRU`).
pub mod sck {
    pub const NONE: u8 = 0;
    pub const FOUND: u8 = 1;
    pub const DELETED: u8 = 2;
    pub const INSERTED: u8 = 3;
    pub const REPLACED: u8 = 4;
    pub const UPDATED: u8 = 5;
}

/// The stream flags persistence reads and sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `SF_DIRECT`: the server was chosen by persistence.
    pub direct: bool,
    /// `SF_ASSIGNED` and the server (index in the backend).
    pub assigned: Option<usize>,
    /// `force-persist` matched.
    pub force: bool,
    /// `ignore-persist` matched.
    pub ignore: bool,
}

/// What HAProxy keeps per transaction about cookies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieTxn {
    pub ck: u8,
    pub sck: u8,
    pub last_date: u32,
    pub first_date: u32,
    /// `%CC` and `%CS`.
    pub cli_cookie: Option<Vec<u8>>,
    pub srv_cookie: Option<Vec<u8>>,
    /// `TX_CACHEABLE` / `TX_CACHE_COOK`.
    pub cacheable: bool,
    pub cache_cook: bool,
}

impl CookieTxn {
    /// A new transaction; GET, HEAD, OPTIONS and TRACE start cacheable.
    pub fn new(method: &[u8]) -> CookieTxn {
        let c = matches!(method, b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE");
        CookieTxn { cacheable: c, cache_cook: c, ..Default::default() }
    }

    /// The cookie characters of `%tsc` (`--` unless the backend uses an active cookie mode).
    pub fn tsc(&self, conf: Option<&CookieConf>) -> [u8; 2] {
        if conf.is_some_and(CookieConf::any) {
            [b"NIDVEOU7"[self.ck as usize & 7], b"NPDIRU67"[self.sck as usize & 7]]
        } else {
            *b"--"
        }
    }
}

/// What to do with one header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Keep,
    Remove,
    Set(Vec<u8>),
}

fn spht(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `http_find_cookie_value_end`: the end of a value, quoted strings included.
fn cookie_value_end(h: &[u8], mut s: usize, e: usize) -> usize {
    let (mut quoted, mut qdpair) = (false, false);
    while s < e {
        let c = h[s];
        if qdpair {
            qdpair = false;
        } else if quoted {
            if c == b'\\' {
                qdpair = true;
            } else if c == b'"' {
                quoted = false;
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == b',' || c == b';' {
            return s;
        }
        s += 1;
    }
    s
}

/// `http_del_hdr_value`: remove `[*from, next)` from `h[start..end]` with HAProxy's handling
/// of the delimiter around it; returns the (negative) change of length.
fn del_hdr_value(h: &mut [u8], start: usize, end: usize, from: &mut usize, mut next: usize) -> isize {
    let mut prev = *from;
    if prev == start {
        if next < end {
            next += 1;
        }
        while next < end && spht(h[next]) {
            next += 1;
        }
    } else {
        while prev > 0 && spht(h[prev - 1]) {
            prev -= 1;
        }
        *from = prev;
        if next < end {
            h[prev] = h[next];
            prev += 1;
            next += 1;
            if prev + 1 < next {
                h[prev] = b' ';
                prev += 1;
            }
            while next < end && spht(h[next]) {
                next += 1;
            }
        }
    }
    h.copy_within(next..end, prev);
    prev as isize - next as isize
}

fn shift(p: &mut usize, d: isize) {
    *p = (*p as isize + d) as usize;
}

/// HAProxy's `s30tob64`: the low 30 bits as five base64 characters, most significant first.
pub fn s30tob64(mut v: u32, out: &mut Vec<u8>) {
    const TAB: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for _ in 0..5 {
        out.push(TAB[((v >> 24) & 0x3f) as usize]);
        v <<= 6;
    }
}

/// HAProxy's `b64tos30`: up to five characters, stopping at the first one that is not base64.
pub fn b64tos30(s: &[u8]) -> i32 {
    let mut out: i32 = 0;
    for &c in s.iter().take(5) {
        let v = match (c, crate::acl::auth::b64_value(c)) {
            (_, Some(v)) => v,
            (b'=', None) => 64,
            _ => break,
        };
        out = out.wrapping_shl(6).wrapping_add(i32::from(v));
    }
    out
}

/// What a request's cookies are read against.
pub struct Request<'a> {
    pub conf: Option<&'a CookieConf>,
    pub capture: Option<&'a Capture>,
    pub servers: &'a [CkServer<'a>],
    /// `option persist`.
    pub persist: bool,
    /// Wall-clock seconds (HAProxy's `date.tv_sec`).
    pub now: i64,
}

impl Request<'_> {
    /// Process one `Cookie` header line (the whole value), updating the transaction and the
    /// stream flags; returns what becomes of the line.
    pub fn header(&self, value: &[u8], flags: &mut Flags, txn: &mut CookieTxn) -> Fate {
        let mut h = value.to_vec();
        let hdr_beg = 0usize;
        let mut hdr_end = h.len();
        let mut del_from: Option<usize> = None;
        let mut preserve_hdr = false;
        let mut is_first = true;
        let mut prev = hdr_beg;
        while prev < hdr_end {
            let mut att_beg = prev;
            if !is_first {
                att_beg += 1;
            }
            is_first = false;
            while att_beg < hdr_end && spht(h[att_beg]) {
                att_beg += 1;
            }
            let mut equal = att_beg;
            let mut att_end = att_beg;
            while equal < hdr_end {
                let c = h[equal];
                if c == b'=' || c == b',' || c == b';' {
                    break;
                }
                equal += 1;
                if spht(c) {
                    continue;
                }
                att_end = equal;
            }
            let (mut val_beg, mut val_end, mut next);
            if equal < hdr_end && h[equal] == b'=' {
                val_beg = equal + 1;
                while val_beg < hdr_end && spht(h[val_beg]) {
                    val_beg += 1;
                }
                next = cookie_value_end(&h, val_beg, hdr_end);
                val_end = next;
                while val_end > val_beg && spht(h[val_end - 1]) {
                    val_end -= 1;
                }
            } else {
                val_beg = equal;
                val_end = equal;
                next = equal;
            }
            if att_beg < hdr_end && h[att_beg] == b'$' {
                prev = next;
                continue;
            }
            if equal == next {
                // No equal sign: not ours; an earlier cookie marked for removal goes alone.
                preserve_hdr = true;
                if let Some(mut df) = del_from.take() {
                    let delta = del_hdr_value(&mut h, hdr_beg, hdr_end, &mut df, prev);
                    shift(&mut next, delta);
                    shift(&mut hdr_end, delta);
                }
                prev = next;
                continue;
            }
            if att_end != equal || val_beg > equal + 1 {
                let mut stripped_before: isize = 0;
                if att_end != equal {
                    h.copy_within(equal..hdr_end, att_end);
                    stripped_before = att_end as isize - equal as isize;
                    shift(&mut equal, stripped_before);
                    shift(&mut val_beg, stripped_before);
                }
                if val_beg > equal + 1 {
                    let end = (hdr_end as isize + stripped_before) as usize;
                    h.copy_within(val_beg..end, equal + 1);
                    let stripped_after = (equal + 1) as isize - val_beg as isize;
                    shift(&mut val_beg, stripped_after);
                    stripped_before += stripped_after;
                }
                shift(&mut val_end, stripped_before);
                shift(&mut next, stripped_before);
                shift(&mut hdr_end, stripped_before);
            }
            if let Some(cap) = self.capture {
                if txn.cli_cookie.is_none()
                    && val_end - att_beg >= cap.name.len()
                    && h[att_beg..].starts_with(&cap.name)
                {
                    let n = (val_end - att_beg).min(cap.len);
                    txn.cli_cookie = Some(h[att_beg..att_beg + n].to_vec());
                }
            }
            let ours = self.conf.filter(|c| att_end - att_beg == c.name.len() && h[att_beg..att_end] == c.name[..]);
            if let Some(conf) = ours {
                let mut delim;
                if conf.pfx {
                    delim = val_beg;
                    while delim < val_end && h[delim] != b'~' {
                        delim += 1;
                    }
                } else {
                    delim = val_end;
                    if let Some(p) = h[val_beg..val_end].iter().position(|&c| c == b'|') {
                        delim = val_beg + p;
                        let mut vbar1 = delim + 1;
                        if val_end - vbar1 >= 5 {
                            let v = b64tos30(&h[vbar1..val_end]);
                            if v > 0 {
                                txn.last_date = (v as u32) << 2;
                            }
                        }
                        if let Some(p2) = h[vbar1..val_end].iter().position(|&c| c == b'|') {
                            vbar1 += p2;
                            if val_end - vbar1 > 5 {
                                let v = b64tos30(&h[vbar1 + 1..val_end]);
                                if v > 0 {
                                    txn.first_date = (v as u32) << 2;
                                }
                            }
                        }
                    }
                }
                let now = self.now;
                let since = |d: u32| (now - i64::from(d)) as i32;
                let ahead = |d: u32| (i64::from(d) - now) as i32;
                if txn.first_date != 0
                    && conf.maxlife != 0
                    && (since(txn.first_date) > conf.maxlife as i32 || ahead(txn.first_date) > 86400)
                {
                    txn.ck = ck::OLD;
                    delim = val_beg;
                    txn.first_date = 0;
                    txn.last_date = 0;
                } else if txn.last_date != 0
                    && conf.maxidle != 0
                    && (since(txn.last_date) > conf.maxidle as i32 || ahead(txn.last_date) > 86400)
                {
                    txn.ck = ck::EXPIRED;
                    delim = val_beg;
                    txn.first_date = 0;
                    txn.last_date = 0;
                }
                // The first running server with this cookie (several may share it, e.g. a
                // backup dedicated to one server); an empty cookie designates none.
                let mut found = None;
                if delim != val_beg && !flags.ignore && flags.assigned.is_none() {
                    let want = &h[val_beg..delim];
                    for (i, s) in self.servers.iter().enumerate() {
                        if s.cookie != Some(want) {
                            continue;
                        }
                        if s.running || self.persist || flags.force {
                            txn.ck = if s.running { ck::VALID } else { ck::DOWN };
                            flags.direct = true;
                            flags.assigned = Some(i);
                            found = Some(i);
                            break;
                        }
                        txn.ck = ck::DOWN;
                    }
                }
                // HAProxy tests the DOWN/EXPIRED/OLD bits, which VALID and UNUSED share.
                if found.is_none() && matches!(txn.ck, ck::NONE | ck::INVALID) {
                    txn.ck = if flags.ignore || flags.assigned.is_some() { ck::UNUSED } else { ck::INVALID };
                }
                if conf.pfx && delim != val_end {
                    // Give the server its own cookie back, without our prefix.
                    h.copy_within(delim + 1..hdr_end, val_beg);
                    let delta = val_beg as isize - (delim + 1) as isize;
                    shift(&mut next, delta);
                    shift(&mut hdr_end, delta);
                    del_from = None;
                    preserve_hdr = true;
                } else if del_from.is_none() && conf.ins && conf.ind {
                    del_from = Some(prev);
                }
            } else {
                preserve_hdr = true;
                if let Some(mut df) = del_from.take() {
                    let delta = del_hdr_value(&mut h, hdr_beg, hdr_end, &mut df, prev);
                    shift(&mut next, delta);
                    shift(&mut hdr_end, delta);
                }
            }
            let _ = val_end;
            prev = next;
        }
        if let Some(df) = del_from {
            hdr_end = if preserve_hdr { df } else { hdr_beg };
        }
        if hdr_end == hdr_beg {
            return if value.is_empty() { Fate::Keep } else { Fate::Remove };
        }
        h.truncate(hdr_end);
        if h == value {
            Fate::Keep
        } else {
            Fate::Set(h)
        }
    }
}

/// What a response's cookies are read against.
pub struct Response<'a> {
    pub conf: Option<&'a CookieConf>,
    pub capture: Option<&'a Capture>,
    /// The server that answered, and its cookie.
    pub server: Option<Option<&'a [u8]>>,
    pub now: i64,
    pub post: bool,
}

impl Response<'_> {
    /// Process one `Set-Cookie` header line; returns what becomes of it.
    pub fn set_cookie(&self, value: &[u8], flags: &Flags, txn: &mut CookieTxn) -> Fate {
        let mut h = value.to_vec();
        let hdr_end0 = h.len();
        let mut hdr_end = hdr_end0;
        let mut att_beg = 0;
        while att_beg < hdr_end && spht(h[att_beg]) {
            att_beg += 1;
        }
        let mut equal = att_beg;
        let mut att_end = att_beg;
        while equal < hdr_end {
            let c = h[equal];
            if c == b'=' || c == b';' {
                break;
            }
            equal += 1;
            if spht(c) {
                continue;
            }
            att_end = equal;
        }
        let (mut val_beg, mut val_end);
        if equal < hdr_end && h[equal] == b'=' {
            val_beg = equal + 1;
            while val_beg < hdr_end && spht(h[val_beg]) {
                val_beg += 1;
            }
            let next = cookie_value_end(&h, val_beg, hdr_end);
            val_end = next;
            while val_end > val_beg && spht(h[val_end - 1]) {
                val_end -= 1;
            }
        } else {
            val_beg = equal;
            val_end = equal;
        }
        if equal == val_end {
            return Fate::Keep;
        }
        let mut changed = false;
        if att_end != equal || val_beg > equal + 1 {
            let mut stripped_before: isize = 0;
            if att_end != equal {
                h.copy_within(equal..hdr_end, att_end);
                stripped_before = att_end as isize - equal as isize;
                shift(&mut equal, stripped_before);
                shift(&mut val_beg, stripped_before);
            }
            if val_beg > equal + 1 {
                let end = (hdr_end as isize + stripped_before) as usize;
                h.copy_within(val_beg..end, equal + 1);
                let stripped_after = (equal + 1) as isize - val_beg as isize;
                shift(&mut val_beg, stripped_after);
                stripped_before += stripped_after;
            }
            shift(&mut val_end, stripped_before);
            shift(&mut hdr_end, stripped_before);
            h.truncate(hdr_end);
            changed = true;
        }
        if let Some(cap) = self.capture {
            if txn.srv_cookie.is_none() && val_end - att_beg >= cap.name.len() && h[att_beg..].starts_with(&cap.name) {
                let n = (val_end - att_beg).min(cap.len);
                txn.srv_cookie = Some(h[att_beg..att_beg + n].to_vec());
            }
        }
        let ours = self.conf.filter(|c| att_end - att_beg == c.name.len() && h[att_beg..att_end] == c.name[..]);
        if let (Some(conf), false) = (ours, flags.ignore) {
            txn.sck = sck::FOUND;
            let srv = self.server;
            if conf.psv {
                // `preserve`: the server's own cookie is left alone.
            } else if (srv.is_some() && conf.ins) || (flags.direct && conf.ind) {
                txn.sck = sck::DELETED;
                return Fate::Remove;
            } else if let (Some(Some(ck)), true) = (srv, conf.rw) {
                h.splice(val_beg..val_end, ck.iter().copied());
                txn.sck = sck::REPLACED;
                changed = true;
            } else if let (Some(Some(ck)), true) = (srv, conf.pfx) {
                let mut ins = ck.to_vec();
                ins.push(b'~');
                h.splice(val_beg..val_beg, ins);
                txn.sck = sck::REPLACED;
                changed = true;
            }
        }
        if changed {
            Fate::Set(h)
        } else {
            Fate::Keep
        }
    }

    /// `http_check_response_for_cacheability` (2.6): `headers` are the response's (name,
    /// value) lines; `status` its code.
    pub fn check_cacheability<'h>(
        status: u16,
        headers: impl Iterator<Item = (&'h [u8], &'h [u8])> + Clone,
        txn: &mut CookieTxn,
    ) {
        if status < 200 {
            txn.cacheable = false;
            txn.cache_cook = false;
            return;
        }
        let named = |n: &'static [u8]| headers.clone().filter(move |(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v);
        if let Some(v) = named(b"pragma").next() {
            if v.eq_ignore_ascii_case(b"no-cache") {
                txn.cacheable = false;
                txn.cache_cook = false;
                return;
            }
        }
        let mut fresh = false;
        for line in named(b"cache-control") {
            for v in line.split(|&c| c == b',') {
                let v = trim(v);
                let starts = |p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
                if v.eq_ignore_ascii_case(b"public") {
                    txn.cacheable = true;
                    txn.cache_cook = true;
                } else if [&b"private"[..], b"no-cache", b"no-store", b"max-age=0", b"s-maxage=0"]
                    .iter()
                    .any(|p| v.eq_ignore_ascii_case(p))
                {
                    txn.cacheable = false;
                    txn.cache_cook = false;
                } else if starts(b"no-cache=\"set-cookie") {
                    txn.cache_cook = false;
                } else if starts(b"s-maxage") || starts(b"max-age") {
                    fresh = true;
                }
            }
        }
        if !fresh {
            fresh = named(b"expires").next().is_some();
        }
        let validator = !fresh && (named(b"etag").next().is_some() || named(b"last-modified").next().is_some());
        if !fresh && !validator {
            txn.cacheable = false;
        }
    }

    /// The Set-Cookie HAProxy adds in `insert` mode, if any, and whether `Cache-control:
    /// private` goes with it (`nocache` on a cacheable response). Call after every
    /// Set-Cookie line went through [`Response::set_cookie`] and after the cacheability check.
    pub fn insert(&self, flags: &Flags, txn: &mut CookieTxn) -> Option<(Vec<u8>, bool)> {
        let conf = self.conf?;
        let srv_cookie = self.server?;
        let found = txn.sck & 1 == 1;
        let now = self.now;
        let date_due =
            (conf.maxidle != 0 || txn.last_date != 0) && (txn.last_date == 0 || i64::from(txn.last_date) - now < 0);
        let needed = !flags.direct
            || date_due
            || (conf.maxlife != 0 && txn.first_date == 0)
            || (conf.maxlife == 0 && txn.first_date != 0);
        if !conf.ins || (found && conf.psv) || !needed || (conf.post && !self.post) || flags.ignore {
            return None;
        }
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(&conf.name);
        match srv_cookie {
            None => v.extend_from_slice(b"=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"),
            Some(c) => {
                v.push(b'=');
                v.extend_from_slice(c);
                if conf.maxidle != 0 || conf.maxlife != 0 {
                    v.push(b'|');
                    s30tob64(((now + 3) >> 2) as u32, &mut v);
                    if conf.maxlife != 0 {
                        v.push(b'|');
                        let first = if txn.first_date != 0 { txn.first_date >> 2 } else { ((now + 3) >> 2) as u32 };
                        s30tob64(first, &mut v);
                    }
                }
                v.extend_from_slice(b"; path=/");
            }
        }
        if let Some(d) = &conf.domain {
            v.extend_from_slice(b"; domain=");
            v.extend_from_slice(d.as_bytes());
        }
        if conf.httponly {
            v.extend_from_slice(b"; HttpOnly");
        }
        if conf.secure {
            v.extend_from_slice(b"; Secure");
        }
        if let Some(a) = &conf.attrs {
            v.extend_from_slice(b"; ");
            v.extend_from_slice(a.as_bytes());
        }
        txn.sck = if srv_cookie.is_some() && flags.direct { sck::UPDATED } else { sck::INSERTED };
        let private = conf.noc && txn.cacheable;
        if private {
            txn.cacheable = false;
            txn.cache_cook = false;
        }
        Some((v, private))
    }
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// A `dynamic` cookie: XXH64 of the backend's `dynamic-cookie-key`, the server's address
/// bytes and its port as a 32-bit big-endian number, as 16 hex digits (HAProxy's
/// `srv_set_dyncookie`).
pub fn dynamic_cookie(key: &str, ip: std::net::IpAddr, port: u16) -> String {
    let mut buf = key.as_bytes().to_vec();
    match ip {
        std::net::IpAddr::V4(a) => buf.extend_from_slice(&a.octets()),
        std::net::IpAddr::V6(a) => buf.extend_from_slice(&a.octets()),
    }
    buf.extend_from_slice(&u32::from(port).to_be_bytes());
    format!("{:016x}", super::xxh64::xxh64(&buf, 0))
}

#[cfg(test)]
#[path = "cookie_tests.rs"]
mod tests;

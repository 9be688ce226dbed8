//! HTTP authentication as HAProxy 2.6 reads it: the request's `Authorization` header
//! (`get_http_auth`: the scheme is any case-insensitive prefix of `Basic` or `Bearer`, then
//! spaces, then the credentials, decoded with HAProxy's own lenient base64 reader), the
//! `http_auth*` fetches, and userlists at run time (users, groups, password checks).
//!
//! Password hashes are verified with the `pwhash` crate, which implements the crypt(3)
//! schemes HAProxy gets from the system's libxcrypt that configurations use ($1$, $5$, $6$,
//! bcrypt, DES). As in HAProxy, the check is `crypt(pass, stored) == stored`, run on every
//! request with nothing cached.

use super::args::Arg;
use super::eval::SampleSource;
use super::sample::Sample;
use crate::ir::keywords::sections::userlist::{hash_scheme, HashScheme};
use crate::ir::types::UserlistSpec;

/// The fetches this module evaluates.
pub const FETCHES: &[&str] =
    &["http_auth", "http_auth_bearer", "http_auth_group", "http_auth_pass", "http_auth_type", "http_auth_user"];

/// What the Authorization header holds, once read as HAProxy does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// `Basic`: the user (up to the first `:`) and the password (after it, up to a NUL).
    Basic { user: Vec<u8>, pass: Vec<u8> },
    /// `Bearer`: the token, as sent.
    Bearer(&'a [u8]),
}

/// Does `word` (non-empty) case-insensitively start `scheme`? HAProxy compares with
/// `strncasecmp(scheme, word, len(word))`, so `B` and `bas` are Basic too.
fn scheme_prefix(word: &[u8], scheme: &[u8]) -> bool {
    !word.is_empty() && word.len() <= scheme.len() && scheme[..word.len()].eq_ignore_ascii_case(word)
}

/// The scheme word and the credentials after it: the word ends at the first space (a value
/// without one, or starting with one, has none), and every space after it is skipped.
fn split_scheme(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = value.iter().position(|&c| c == b' ')?;
    if sp == 0 {
        return None;
    }
    let rest = &value[sp..];
    let skip = rest.iter().take_while(|&&c| c == b' ').count();
    Some((&value[..sp], &rest[skip..]))
}

/// HAProxy's `get_http_auth` on the first value of the Authorization header.
pub fn parse_authorization(value: &[u8]) -> Option<Credentials<'_>> {
    let (scheme, data) = split_scheme(value)?;
    if scheme_prefix(scheme, b"Basic") {
        let mut decoded = base64dec(data)?;
        // HAProxy reads the decoded text as a C string.
        if let Some(nul) = decoded.iter().position(|&c| c == 0) {
            decoded.truncate(nul);
        }
        let colon = decoded.iter().position(|&c| c == b':')?;
        let pass = decoded.split_off(colon + 1);
        decoded.truncate(colon);
        return Some(Credentials::Basic { user: decoded, pass });
    }
    if scheme_prefix(scheme, b"Bearer") {
        return Some(Credentials::Bearer(data));
    }
    None
}

/// [`parse_authorization`] on a whole header value (HAProxy reads its first comma-separated
/// value).
pub fn parse_header(value: &[u8]) -> Option<Credentials<'_>> {
    let mut first = None;
    super::eval::for_each_value(value, &mut |v| {
        first = Some(v);
        true
    });
    parse_authorization(first?)
}

/// HAProxy's `base64dec`: the length must be a multiple of 4; each group of four may end in
/// one or two `=` (or three, giving nothing), and decoding goes on after a padded group; the
/// unused low bits of a last character are not checked.
pub fn base64dec(input: &[u8]) -> Option<Vec<u8>> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    for group in input.chunks_exact(4) {
        let mut t = [0u8; 4];
        let mut pad = 0usize;
        for (i, &c) in group.iter().enumerate() {
            if c == b'=' {
                // Padding never starts a group, and only padding follows it.
                if i == 0 {
                    return None;
                }
                pad += 1;
                continue;
            }
            let v = b64_value(c)?;
            if pad > 0 {
                return None;
            }
            t[i] = v;
        }
        let bytes = [(t[0] << 2) | (t[1] >> 4), (t[1] << 4) | (t[2] >> 2), (t[2] << 6) | t[3]];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// The value of a character of the standard base64 alphabet (`=` is not one).
pub fn b64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// A password as the userlist keeps it.
#[derive(Debug, Clone)]
enum Password {
    /// `insecure-password`: compared as is.
    Plain(String),
    /// `password`: a crypt(3) hash haproxide verifies.
    Crypt(String),
    /// No password, or a hash no password can match (crypt(3) rejects its setting, or its
    /// scheme is not verified here: the configuration check refuses those at start).
    Never,
}

#[derive(Debug, Clone)]
struct User {
    name: String,
    password: Password,
    /// Its groups, from its own `groups` and from the groups that list it in `users`.
    groups: Vec<String>,
}

/// A `userlist` section, ready for requests.
#[derive(Debug, Clone)]
pub struct Userlist {
    pub name: String,
    users: Vec<User>,
}

impl Userlist {
    pub fn new(name: &str, spec: &UserlistSpec) -> Userlist {
        let users = spec
            .users
            .iter()
            .map(|u| {
                let password = match &u.password {
                    Some(p) if u.insecure => Password::Plain(p.clone()),
                    Some(p) => match hash_scheme(p) {
                        HashScheme::Md5
                        | HashScheme::Sha256
                        | HashScheme::Sha512
                        | HashScheme::Bcrypt
                        | HashScheme::Des => Password::Crypt(p.clone()),
                        HashScheme::Locked | HashScheme::Unsupported(_) => Password::Never,
                    },
                    None => Password::Never,
                };
                let mut groups = u.groups.clone();
                for g in spec.groups.iter().filter(|g| g.users.contains(&u.name)) {
                    if !groups.contains(&g.name) {
                        groups.push(g.name.clone());
                    }
                }
                User { name: u.name.clone(), password, groups }
            })
            .collect();
        Userlist { name: name.to_string(), users }
    }

    fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.iter().find(|u| u.name.as_bytes() == name)
    }

    /// HAProxy's `check_user`: the user exists and the password matches. A hashed password
    /// costs a crypt(3) computation (milliseconds for SHA-crypt), on every call.
    pub fn check(&self, user: &[u8], pass: &[u8]) -> bool {
        let Some(u) = self.user(user) else { return false };
        match &u.password {
            Password::Plain(p) => p.as_bytes() == pass,
            Password::Crypt(h) => pwhash::unix::crypt(pass, h).is_ok_and(|out| out == *h),
            Password::Never => false,
        }
    }

    /// HAProxy's `pat_match_auth`: does the user belong to one of `groups`?
    pub fn in_any_group<'g>(&self, user: &[u8], mut groups: impl Iterator<Item = &'g [u8]>) -> bool {
        let Some(u) = self.user(user) else { return false };
        groups.any(|g| u.groups.iter().any(|mine| mine.as_bytes() == g))
    }
}

/// The request's credentials (none for a response or without an Authorization header).
fn credentials<'s>(src: &'s dyn SampleSource) -> Option<Credentials<'s>> {
    if src.is_response() {
        return None;
    }
    parse_authorization(super::eval::first_req_value(src, b"authorization")?)
}

fn basic(src: &dyn SampleSource) -> Option<(Vec<u8>, Vec<u8>)> {
    match credentials(src)? {
        Credentials::Basic { user, pass } => Some((user, pass)),
        Credentials::Bearer(_) => None,
    }
}

/// Evaluate one of [`FETCHES`]. `http_auth_group` yields the authenticated user's name; its
/// ACL matcher then checks the groups (see [`Userlist::in_any_group`]).
pub fn fetch<'s>(name: &str, args: &'s [Arg], src: &'s dyn SampleSource) -> Option<Sample<'s>> {
    let userlist = || match args.first() {
        Some(Arg::Usr(n)) => src.userlist(n),
        _ => None,
    };
    match name {
        "http_auth" => {
            let ul = userlist()?;
            let (user, pass) = basic(src)?;
            Some(Sample::Bool(ul.check(&user, &pass)))
        }
        "http_auth_group" => {
            let ul = userlist()?;
            let (user, pass) = basic(src)?;
            ul.check(&user, &pass).then(|| Sample::owned_str(user))
        }
        "http_auth_user" => basic(src).map(|(user, _)| Sample::owned_str(user)),
        "http_auth_pass" => basic(src).map(|(_, pass)| Sample::owned_str(pass)),
        "http_auth_type" => match credentials(src)? {
            Credentials::Basic { .. } => Some(Sample::str(&b"Basic"[..])),
            Credentials::Bearer(_) => Some(Sample::str(&b"Bearer"[..])),
        },
        "http_auth_bearer" => match args.first().and_then(Arg::as_str) {
            // A named header: its first value must be exactly `Bearer <token>`; the fetch
            // gives an empty string otherwise.
            Some(h) if !src.is_response() => {
                let token = super::eval::first_req_value(src, h.as_bytes())
                    .and_then(split_scheme)
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case(b"Bearer"))
                    .map_or(&b""[..], |(_, token)| token);
                Some(Sample::str(token))
            }
            Some(_) => None,
            None => match credentials(src)? {
                Credentials::Bearer(token) => Some(Sample::str(token)),
                Credentials::Basic { .. } => None,
            },
        },
        _ => None,
    }
}

#[cfg(test)]
#[path = "tests/auth.rs"]
mod tests;

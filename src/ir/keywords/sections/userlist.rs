//! `userlist` sections: `user <name> [password|insecure-password <p>] [groups <g>,...]` and
//! `group <name> [users <u>,...]`, and HAProxy's check that every group and user named exists.
//! A `password` hash of a scheme haproxide cannot verify is reported "not supported yet".

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, GroupSpec, Unsupported, UserSpec, UserlistSpec};

use super::Cx;

pub const KEYWORDS: &[&str] = &["user", "group"];

fn spec<'a>(cx: &'a mut Cx) -> &'a mut UserlistSpec {
    match &mut cx.aux.detail {
        AuxDetail::Userlist(s) => s,
        _ => unreachable!("a userlist section has a userlist detail"),
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "user" => user(cx, d),
        "group" => group(cx, d),
        kw => cx.alert_tight(d, format!("unknown keyword '{kw}' in 'users' section")),
    }
    Flow::Continue
}

fn list(v: &str) -> Vec<String> {
    v.split(',').filter(|s| !s.is_empty()).map(String::from).collect()
}

fn user(cx: &mut Cx, d: &Directive) {
    let name = d.arg(1);
    if name.is_empty() {
        cx.alert_tight(d, "'user' expects <name> as arguments.");
        return;
    }
    let ul = cx.aux.name.clone();
    if spec(cx).users.iter().any(|u| u.name == name) {
        cx.warning_tight(d, format!("ignoring duplicated user '{name}' in userlist '{ul}'."));
        return;
    }
    let mut u = UserSpec { name: name.to_string(), password: None, insecure: false, groups: Vec::new() };
    let mut i = 2;
    while d.has_arg(i) {
        match d.arg(i) {
            "password" => {
                u.password = Some(d.arg(i + 1).to_string());
                u.insecure = false;
                if let HashScheme::Unsupported(scheme) = hash_scheme(d.arg(i + 1)) {
                    let what = format!("password hash scheme '{scheme}'");
                    cx.r.unsupported.push(Unsupported { span: d.span.clone(), what });
                }
            }
            "insecure-password" => {
                u.password = Some(d.arg(i + 1).to_string());
                u.insecure = true;
            }
            "groups" => u.groups.extend(list(d.arg(i + 1))),
            _ => {
                cx.alert_tight(d, "'user' only supports 'password', 'insecure-password' and 'groups' options.");
                return;
            }
        }
        i += 2;
    }
    spec(cx).users.push(u);
}

fn group(cx: &mut Cx, d: &Directive) {
    let name = d.arg(1);
    if name.is_empty() {
        cx.alert_tight(d, "'group' expects <name> as arguments.");
        return;
    }
    let ul = cx.aux.name.clone();
    if spec(cx).groups.iter().any(|g| g.name == name) {
        cx.warning_tight(d, format!("ignoring duplicated group '{name}' in userlist '{ul}'."));
        return;
    }
    let mut g = GroupSpec { name: name.to_string(), users: Vec::new() };
    let mut i = 2;
    while d.has_arg(i) {
        if d.arg(i) != "users" {
            cx.alert_tight(d, "'group' only supports 'users' option.");
            return;
        }
        g.users.extend(list(d.arg(i + 1)));
        i += 2;
    }
    spec(cx).groups.push(g);
}

/// How a `password` hash is checked. HAProxy hands it to the system's crypt(3) (Debian:
/// libxcrypt, which knows many schemes); haproxide verifies the common ones itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashScheme {
    /// `$1$` MD5-crypt.
    Md5,
    /// `$5$` SHA-256-crypt.
    Sha256,
    /// `$6$` SHA-512-crypt.
    Sha512,
    /// `$2a$`, `$2b$`, `$2y$` bcrypt.
    Bcrypt,
    /// Traditional DES crypt: two salt characters, then the hash.
    Des,
    /// Not a setting crypt(3) accepts at all (`*`, `!`, empty...): libxcrypt then returns a
    /// failure token that never equals the stored text, so no password ever matches.
    Locked,
    /// A scheme haproxide cannot verify (yescrypt `$y$`, `$7$`, BSDi `_`...), by its prefix.
    Unsupported(String),
}

/// The scheme of a `password` hash, read as libxcrypt reads its setting.
pub fn hash_scheme(hash: &str) -> HashScheme {
    let salt_char = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'/';
    for (prefix, scheme) in [
        ("$1$", HashScheme::Md5),
        ("$5$", HashScheme::Sha256),
        ("$6$", HashScheme::Sha512),
        ("$2a$", HashScheme::Bcrypt),
        ("$2b$", HashScheme::Bcrypt),
        ("$2y$", HashScheme::Bcrypt),
    ] {
        if hash.starts_with(prefix) {
            return scheme;
        }
    }
    let b = hash.as_bytes();
    match b {
        [b'$', rest @ ..] => {
            let end = rest.iter().position(|&c| c == b'$').map_or(hash.len(), |i| i + 2);
            HashScheme::Unsupported(hash[..end].to_string())
        }
        [b'_', ..] => HashScheme::Unsupported("_".to_string()),
        [a, c, ..] if salt_char(*a) && salt_char(*c) => HashScheme::Des,
        _ => HashScheme::Locked,
    }
}

/// HAProxy links users and groups once everything is read. Its lists are built by prepending,
/// so the last userlist, the last user and the last group are checked first; the first
/// missing name stops everything.
pub fn post_parse(cfg: &Config, diags: &mut Diags) -> bool {
    for ul in cfg.userlists.iter().rev() {
        let AuxDetail::Userlist(s) = &ul.detail else { continue };
        for u in s.users.iter().rev() {
            if let Some(g) = u.groups.iter().find(|g| !s.groups.iter().any(|x| &x.name == *g)) {
                super::alert(
                    diags,
                    format!("userlist '{}': no such group '{g}' specified in user '{}'", ul.name, u.name),
                );
                return true;
            }
        }
        for g in s.groups.iter().rev() {
            if let Some(u) = g.users.iter().find(|u| !s.users.iter().any(|x| &x.name == *u)) {
                super::alert(
                    diags,
                    format!("userlist '{}': no such user '{u}' specified in group '{}'", ul.name, g.name),
                );
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{hash_scheme, HashScheme as H};

    #[test]
    fn schemes_as_libxcrypt_reads_them() {
        assert_eq!(hash_scheme("$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"), H::Md5);
        assert_eq!(hash_scheme("$5$rounds=1000$ab$x"), H::Sha256);
        assert_eq!(hash_scheme("$6$$x"), H::Sha512);
        assert_eq!(hash_scheme("$2y$05$abcdefghijklmnopqrstuu"), H::Bcrypt);
        assert_eq!(hash_scheme("abJnggxhB/yWI"), H::Des);
        assert_eq!(hash_scheme("garbage"), H::Des);
        assert_eq!(hash_scheme("$y$j9T$salt$x"), H::Unsupported("$y$".into()));
        assert_eq!(hash_scheme("$gy$j9T$salt$x"), H::Unsupported("$gy$".into()));
        assert_eq!(hash_scheme("$2x$05$abc"), H::Unsupported("$2x$".into()));
        assert_eq!(hash_scheme("$nodollar"), H::Unsupported("$nodollar".into()));
        assert_eq!(hash_scheme("_J9..salt"), H::Unsupported("_".into()));
        for locked in ["", "*", "!", "*0", "a", " ab", "a*", "é"] {
            assert_eq!(hash_scheme(locked), H::Locked, "{locked:?}");
        }
    }
}

//! `userlist` sections: `user <name> [password|insecure-password <p>] [groups <g>,...]` and
//! `group <name> [users <u>,...]`, and HAProxy's check that every group and user named exists.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, GroupSpec, UserSpec, UserlistSpec};

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

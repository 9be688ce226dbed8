//! `program` sections: the command the master process runs, its user and group, and
//! `option start-on-reload`. They need master-worker mode.

use crate::config::ast::Directive;
use crate::config::diag::Diags;
use crate::ir::keywords::proxy::Flow;
use crate::ir::keywords::Modifier;
use crate::ir::types::{AuxDetail, Config, ProgramSpec};

use super::Cx;

pub const KEYWORDS: &[&str] = &["command", "user", "group", "option"];

fn spec<'a>(cx: &'a mut Cx) -> &'a mut ProgramSpec {
    match &mut cx.aux.detail {
        AuxDetail::Program(s) => s,
        _ => unreachable!("a program section has a program detail"),
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    match d.keyword() {
        "command" => {
            if !d.has_arg(1) {
                cx.alert_tight(d, "'command' expects a command with optional arguments separated in words.");
                return Flow::Continue;
            }
            spec(cx).command = Some(d.args_from(1).map(String::from).collect());
        }
        "user" => {
            if !d.has_arg(1) {
                cx.alert_tight(d, "'user' expects a user name.");
            } else if cx.too_many(d, 1) {
            } else if !matches!(nix::unistd::User::from_name(d.arg(1)), Ok(Some(_))) {
                cx.alert(d, format!("cannot find user id for '{}' (0:Success)", d.arg(1)));
            } else {
                spec(cx).user = Some(d.arg(1).to_string());
            }
        }
        "group" => {
            if !d.has_arg(1) {
                cx.alert_tight(d, "'group' expects a group name.");
            } else if cx.too_many(d, 1) {
            } else if !matches!(nix::unistd::Group::from_name(d.arg(1)), Ok(Some(_))) {
                cx.alert(d, format!("cannot find group id for '{}' (0:Success)", d.arg(1)));
            } else {
                spec(cx).group = Some(d.arg(1).to_string());
            }
        }
        "option" => match d.arg(1) {
            "" => cx.alert_tight(d, "'option' expects an option name."),
            "start-on-reload" => {
                if d.has_arg(2) {
                    cx.alert(d, format!("'option start-on-reload' cannot handle unexpected argument '{}'.", d.arg(2)));
                    return Flow::Continue;
                }
                let on = cx.kwm != Modifier::No;
                spec(cx).start_on_reload = Some(on);
            }
            other => cx.alert(d, format!("unknown option '{other}'.")),
        },
        _ => cx.unknown(d),
    }
    Flow::Continue
}

/// After everything else: each program needs a command, and programs need master-worker mode
/// (`master-worker` in the global section, or `-W`).
pub fn post_parse(cfg: &Config, diags: &mut Diags, master_worker: bool) {
    for p in &cfg.programs {
        let AuxDetail::Program(s) = &p.detail else { continue };
        if s.command.is_none() {
            super::alert(diags, format!("The program section '{}' lacks a command to launch.", p.name));
        }
    }
    let master_worker = master_worker || cfg.global.master_worker;
    if !cfg.programs.is_empty() && !master_worker {
        super::alert(diags, "Can't use a 'program' section without master worker mode.");
    }
}

//! `filter <name> [args]` (HAProxy's flt_parse_filter and the filters' own parsers). No filter
//! runs in haproxide yet: every valid line is recorded and refused at start.

use super::located;
use crate::config::ast::Directive;
use crate::config::diag::Severity;
use crate::ir::keywords::proxy::{Cx, Flow};
use crate::ir::types::Rule;

/// The registered filters, as `flt_dump_kws` lists them.
const REGISTERED: &[(&str, &str)] = &[
    ("CACHE", "cache"),
    ("COMP", "compression"),
    ("FCGI", "fcgi-app"),
    ("  OT", "opentracing"),
    ("SPOE", "spoe"),
    ("TRACE", "trace"),
];

pub fn filter(cx: &mut Cx, d: &Directive) -> Flow {
    let loc = format!("parsing [{}:{}]", d.span.file, d.span.line);
    if cx.p.is_defaults() {
        cx.r.push(located(Severity::Alert, d, 0, format!("{loc} : filter is not allowed in a 'default' section.")));
        return Flow::Continue;
    }
    let args: Vec<&str> = d.args_from(0).collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    if arg(1).is_empty() {
        let msg = format!("{loc} : missing argument for 'filter' in {} '{}'.", cx.p.caps.type_name(), cx.p.name);
        cx.r.push(located(Severity::Alert, d, 0, msg));
        return Flow::Continue;
    }
    let name = arg(1);
    if !REGISTERED.iter().any(|(_, n)| *n == name) {
        let mut msg = format!("'filter' : unknown keyword '{name}'. Registered keywords :");
        for (tag, n) in REGISTERED {
            msg.push_str(&format!("\n    [{tag}] {n}"));
        }
        cx.r.push(located(Severity::Alert, d, 1, msg));
        return Flow::Continue;
    }
    let mut cur = 2;
    let res: Result<(), String> = match name {
        "trace" => {
            let mut r = Ok(());
            while !arg(cur).is_empty() {
                match arg(cur) {
                    "name" => {
                        if arg(cur + 1).is_empty() {
                            r = Err("'trace' : 'name' option without value".to_string());
                            break;
                        }
                        cur += 1;
                    }
                    "quiet" | "random-parsing" | "random-forwarding" | "hexdump" => {}
                    _ => break,
                }
                cur += 1;
            }
            r
        }
        "compression" => {
            if cx.p.filters.iter().any(|f| f.words.first().is_some_and(|w| w == "compression")) {
                Err(format!("{}: Proxy supports only one compression filter\n", cx.p.name))
            } else {
                Ok(())
            }
        }
        "cache" | "fcgi-app" => {
            if arg(2).is_empty() {
                Err(format!("{name} : expects a <name> argument"))
            } else if name == "cache"
                && cx.p.filters.iter().any(|f| {
                    f.words.first().is_some_and(|w| w == "cache") && f.words.get(1).map(String::as_str) == Some(arg(2))
                })
            {
                Err(format!("{}: multiple explicit declarations of the cache filter '{}'", cx.p.name, arg(2)))
            } else {
                cur = 3;
                Ok(())
            }
        }
        "spoe" => spoe(&args, &mut cur),
        _ => opentracing(&args, &mut cur),
    };
    if let Err(e) = res {
        cx.r.push(located(Severity::Alert, d, 1, format!("'filter' : '{e}'")));
        return Flow::Continue;
    }
    if !arg(cur).is_empty() {
        cx.r.push(located(Severity::Alert, d, cur, format!("'filter {name}' : unknown keyword '{}'.", arg(cur))));
        return Flow::Continue;
    }
    cx.p.filters.push(Rule {
        span: d.span.clone(),
        words: args[1..].iter().map(|s| s.to_string()).collect(),
        cond: None,
    });
    cx.r.not_yet(d, format!("filter {name}"));
    Flow::Continue
}

/// `filter spoe [engine <id>] config <file>`: the options, then the agent of the engine's scope
/// in the SPOE configuration file.
fn spoe(args: &[&str], cur: &mut usize) -> Result<(), String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let (mut engine, mut file) = (None, None);
    while !arg(*cur).is_empty() {
        match arg(*cur) {
            opt @ ("engine" | "config") => {
                if arg(*cur + 1).is_empty() {
                    return Err(format!("'spoe' : '{opt}' option without value"));
                }
                if opt == "engine" {
                    engine = Some(arg(*cur + 1));
                } else {
                    file = Some(arg(*cur + 1));
                }
                *cur += 2;
            }
            other => return Err(format!("unknown keyword '{other}'")),
        }
    }
    let Some(file) = file else {
        return Err("'spoe' : missing config file".into());
    };
    let text = std::fs::read_to_string(file).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
            std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
            _ => e.to_string(),
        };
        format!("Could not open configuration file {file} : {why}")
    })?;
    let mut scope: Option<String> = None;
    let mut found = false;
    for line in text.lines() {
        let l = line.trim();
        if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            scope = Some(s.trim().to_string());
            continue;
        }
        if l.split_whitespace().next() == Some("spoe-agent") && scope.as_deref() == engine {
            found = true;
        }
    }
    if !found {
        return Err(format!("No SPOE agent found in file {file}"));
    }
    Ok(())
}

/// `filter opentracing [id <id>] config <file>`.
fn opentracing(args: &[&str], cur: &mut usize) -> Result<(), String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let (mut id, mut file) = (None, None);
    while !arg(*cur).is_empty() {
        match arg(*cur) {
            "id" => {
                id = Some(arg(*cur + 1)).filter(|s| !s.is_empty());
                *cur += 2;
            }
            "config" => {
                file = Some(arg(*cur + 1)).filter(|s| !s.is_empty());
                *cur += 2;
            }
            "debug-level" => *cur += 2,
            other => return Err(format!("'opentracing' : unknown keyword '{other}'")),
        }
    }
    let _ = id;
    let Some(file) = file else {
        return Err(if arg(*cur).is_empty() && args.contains(&"config") {
            "'opentracing' : no configuration file set".into()
        } else if args.contains(&"id") && id.is_none() {
            "'opentracing' : no name set".into()
        } else {
            "'opentracing' : no configuration file specified".into()
        });
    };
    if std::fs::metadata(file).is_err() {
        return Err(format!("'{file}' : No such file or directory"));
    }
    Err("error encountered while processing 'opentracing'".into())
}

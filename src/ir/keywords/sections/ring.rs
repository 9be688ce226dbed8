//! `ring` sections: a ring buffer for logs with its size, format, optional backing file and
//! servers to forward to. Unknown words are "unknown statement"s here, and any `timeout` other
//! than `connect` and `server` is silently accepted.

use crate::config::ast::Directive;
use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::config::parse::io_reason;
use crate::ir::keywords::global::atol;
use crate::ir::keywords::proxy::Flow;
use crate::ir::types::{AuxDetail, Config, RingSpec};
use crate::ir::values::{self, TimeError};

use super::adapters::parsed_server_line;
use super::Cx;

pub const KEYWORDS: &[&str] = &["description", "format", "maxlen", "size", "backing-file", "server", "timeout"];

const FORMATS: &[&str] = &["iso", "local", "raw", "rfc3164", "rfc5424", "short", "priority", "timed"];

/// HAProxy's default ring size and event length.
pub fn spec() -> RingSpec {
    RingSpec { size: 16384, maxlen: 16384, ..Default::default() }
}

fn spec_mut<'a>(cx: &'a mut Cx) -> &'a mut RingSpec {
    match &mut cx.aux.detail {
        AuxDetail::Ring(s) => s,
        _ => unreachable!("a ring section has a ring detail"),
    }
}

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    let ring = cx.aux.name.clone();
    match d.keyword() {
        "description" => {
            if !d.has_arg(1) {
                cx.alert(d, "missing ring description text.");
                return Flow::Continue;
            }
            spec_mut(cx).description = Some(d.arg(1).to_string());
        }
        "format" => {
            if !FORMATS.contains(&d.arg(1)) {
                cx.alert(d, format!("unknown format '{}'.", d.arg(1)));
                return Flow::Continue;
            }
            spec_mut(cx).format = Some(d.arg(1).to_string());
        }
        "maxlen" => {
            // An unsigned int: -1 is 4294967295.
            let v = atol(d.arg(1)) as u32;
            if v == 0 {
                cx.alert(d, format!("invalid size '{}' for new sink buffer.", d.arg(1)));
                return Flow::Continue;
            }
            spec_mut(cx).maxlen = u64::from(v);
        }
        "size" => {
            let v = atol(d.arg(1));
            if v == 0 {
                cx.alert(d, format!("invalid size '{}' for new sink buffer.", d.arg(1)));
                return Flow::Continue;
            }
            let cur = spec_mut(cx).size;
            // A size_t: HAProxy cannot allocate a negative or enormous buffer.
            if !(0..1 << 32).contains(&v) {
                cx.alert(d, format!("fail to set sink buffer size '{cur}' for ring '{ring}'."));
                return Flow::Continue;
            }
            if (v as u64) < cur {
                let msg =
                    format!("ignoring new size '{v}' that is smaller than current size '{cur}' for ring '{ring}'.");
                cx.warning_fatal(d, msg);
                return Flow::Continue;
            }
            spec_mut(cx).size = v as u64;
        }
        "backing-file" => {
            let path = d.arg(1);
            if let Some(was) = spec_mut(cx).backing_file.clone() {
                cx.alert(d, format!("'backing-file' already specified for ring '{ring}' (was '{was}')."));
                return Flow::Continue;
            }
            let parent = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
            let err = match parent {
                _ if path.is_empty() => Some("No such file or directory".to_string()),
                Some(dir) => std::fs::metadata(dir).err().map(|e| io_reason(&e)),
                None => None,
            };
            if let Some(e) = err {
                cx.alert(d, format!("cannot open backing-file '{path}' for ring '{ring}': {e}."));
                return Flow::Continue;
            }
            spec_mut(cx).backing_file = Some(path.to_string());
            cx.r.not_yet(d, "ring 'backing-file'");
        }
        "server" => {
            if !d.has_arg(2) {
                cx.alert_bracket(d, "'server' expects <name> and <addr>[:<port>] as arguments.");
                return Flow::Continue;
            }
            let Some(server) = parsed_server_line(cx, &ring, d) else { return Flow::Continue };
            spec_mut(cx).servers += 1;
            // A ring server only carries logs: its address and `log-proto` are all we use.
            let mut words = d.all_words.iter().skip(3).map(|w| w.text.as_str());
            let mut octet_count = false;
            while let Some(w) = words.next() {
                if w == "log-proto" {
                    octet_count = words.next() == Some("octet-count");
                } else {
                    cx.r.not_yet(d, format!("ring server option '{w}'"));
                    return Flow::Continue;
                }
            }
            if server.addr.ip().is_none() || server.addr.fixed_port().is_none() {
                cx.r.not_yet(d, "a ring server without a fixed IP address and port");
                return Flow::Continue;
            }
            spec_mut(cx).server_list.push((server.name, server.addr, octet_count));
        }
        "timeout" => {
            let kind = d.arg(1);
            if kind != "connect" && kind != "server" {
                return Flow::Continue;
            }
            if !d.has_arg(2) {
                cx.alert(d, format!("'timeout {kind}' expects <time> as argument."));
                return Flow::Continue;
            }
            let arg = d.arg(2);
            match values::parse_ms(arg) {
                Ok(v) => {
                    let s = spec_mut(cx);
                    if kind == "connect" {
                        s.timeout_connect = Some(v);
                    } else {
                        s.timeout_server = Some(v);
                    }
                }
                Err(TimeError::Unexpected(c)) => {
                    cx.alert_tight(d, format!("unexpected character '{c}' in argument to <timeout {kind}>."))
                }
                Err(TimeError::Overflow) => cx.alert_tight(
                    d,
                    format!("timer overflow in argument <{arg}> to <timeout {kind}>, maximum value is 2147483647 ms (~24.8 days)."),
                ),
                Err(_) => cx.alert_tight(
                    d,
                    format!("timer underflow in argument <{arg}> to <timeout {kind}>, minimum non-null value is 1 ms."),
                ),
            }
        }
        kw => cx.alert(d, format!("unknown statement '{kw}'.")),
    }
    Flow::Continue
}

pub fn post_parse(cfg: &Config, diags: &mut Diags) {
    for r in &cfg.rings {
        let AuxDetail::Ring(s) = &r.detail else { continue };
        if s.servers > 0 && (s.timeout_connect.is_none() || s.timeout_server.is_none()) {
            let w =
                Diagnostic::new(Severity::Warning, Loc::None, format!("missing timeouts for backend '{}'.", r.name))
                    .with_detail(&[
                        "While not properly invalid, you will certainly encounter various problems",
                        "with such a configuration. To fix this, please ensure that all following",
                        "timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
                    ]);
            diags.push(w);
        }
        // A backing file holds the ring's header too.
        let room = if s.backing_file.is_some() { s.size.saturating_sub(72) } else { s.size };
        if s.maxlen > room {
            let msg =
                format!("ring '{}' event max length '{}' exceeds size, forced to size '{room}'.", r.name, s.maxlen);
            super::warning(diags, msg);
        }
    }
}

//! `namespace_list`: `namespace <name>` lines open the named network namespace while parsing;
//! any other line is ignored, as HAProxy ignores it.

use crate::config::ast::Directive;
use crate::ir::keywords::proxy::Flow;

use super::Cx;

pub const KEYWORDS: &[&str] = &["namespace"];

pub fn directive(cx: &mut Cx, d: &Directive) -> Flow {
    if d.keyword() == "namespace" && d.has_arg(1) {
        let name = d.arg(1);
        if !std::path::Path::new("/var/run/netns").join(name).exists() {
            cx.alert_tight(d, format!("Cannot open namespace '{name}'."));
            return Flow::Continue;
        }
        cx.r.not_yet(d, "network namespaces");
    }
    Flow::Continue
}

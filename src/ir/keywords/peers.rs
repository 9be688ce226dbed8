//! `peers` sections: their `table` lines declare stick tables named `<peers>/<table>`, parsed
//! like a backend's `stick-table` (HAProxy's `cfg_parse_peers`). The lines that set up
//! replication (`peer`, `server`, `bind`, ...) are kept as written; replication itself is not
//! run, so a section that would replicate (one naming the local peer) is "not supported yet".

use crate::config::ast::{Directive, Span};
use crate::config::diag::{Diagnostic, Loc, Severity};
use crate::ir::types::{AuxSection, StickTableSpec};

use super::persist::parse_table;
use super::Reporter;

/// A `table` line of a `peers` section, already checked by the section parser. `tables` lists
/// every table declared so far, as the proxies' parser keeps it, for HAProxy's name-conflict
/// check; `out` receives the table.
pub fn table(
    r: &mut Reporter,
    aux: &AuxSection,
    d: &Directive,
    tables: &mut Vec<(String, String, Span)>,
    out: &mut Vec<(String, StickTableSpec)>,
) {
    let full = format!("{}/{}", aux.name, d.arg(1));
    if let Some((what, owner, at)) = tables.iter().find(|(_, owner, _)| *owner == full) {
        let shown = owner.split_once('/').map(|(p, _)| p).unwrap_or(owner);
        let msg = format!(
            "stick-table name '{}' conflicts with table declared in {what} '{shown}' at {}:{}.",
            d.arg(1),
            at.file,
            at.line
        );
        r.alert(d, msg);
        return;
    }
    match parse_table(d, 2, true) {
        Ok((spec, warnings)) => {
            for w in warnings {
                r.push(tight(Severity::Warning, d, format!("table: {w}")));
            }
            let spec = StickTableSpec { seq: tables.len() as u32, ..spec };
            tables.push(("peers".to_string(), full.clone(), d.span.clone()));
            out.push((full, spec));
        }
        Err(e) if e.tight => r.push(tight(Severity::Alert, d, e.msg)),
        Err(e) => r.alert(d, e.msg),
    }
}

/// A `parsing [f:l]: msg` diagnostic.
fn tight(sev: Severity, d: &Directive, msg: String) -> Diagnostic {
    super::with_source(
        Diagnostic::new(sev, Loc::ParsingTight { file: d.span.file.clone(), line: d.span.line }, msg),
        d,
        0,
    )
}

//! `show table`, `set table` and `clear table` on the stats socket, with HAProxy 2.6.12's
//! replies byte for byte (`cli_parse_table_req`, `table_process_entry_per_key`,
//! `table_prepare_data_request` and the table I/O handler), quirks included: `set table <t>`
//! without a key empties the table, a missing key shows nothing, and entries print in the
//! order of HAProxy's key trees.
//!
//! [`table_command`] returns the reply text; the runtime API registers the three commands and
//! writes the text followed by its usual terminator.

use std::fmt::Write as _;

use crate::ir::types::CliLevel;

use super::data::{DataRef, DataType, StdType};
use super::freq::Tick;
use super::table::{Dumped, InUse, Table};
use super::Tables;

/// Which of the three commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Show,
    Set,
    Clear,
}

/// At most this many `data.<type> <op> <value>` filters (HAProxy's `STKTABLE_FILTER_LEN`).
const FILTERS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
}

fn std_op(s: &str) -> Option<Op> {
    Some(match s {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "le" => Op::Le,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "gt" => Op::Gt,
        _ => return None,
    })
}

/// HAProxy's `strl2llrc`: an optional sign and digits only, nothing else; `None` otherwise.
fn strl2llrc(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

struct Filter {
    dt: DataType,
    op: Op,
    value: i64,
}

impl Filter {
    /// Whether an entry passes (HAProxy skips it when the comparison fails).
    fn keeps(&self, d: DataRef<'_>, now: Tick) -> bool {
        let data = d.int(self.dt, now).unwrap_or(0);
        let v = self.value;
        !((data < v && matches!(self.op, Op::Eq | Op::Gt | Op::Ge))
            || (data == v && matches!(self.op, Op::Ne | Op::Gt | Op::Lt))
            || (data > v && matches!(self.op, Op::Eq | Op::Lt | Op::Le)))
    }
}

fn arg<'a>(args: &[&'a str], i: usize) -> &'a str {
    args.get(i).copied().unwrap_or("")
}

/// The `# table:` line.
fn head(t: &Table, now: Tick, out: &mut String) {
    let _ = writeln!(out, "# table: {}, type: {}, size:{}, used:{}", t.name, t.key_type.name(), t.size, t.used(now));
}

/// One entry line.
fn entry(t: &Table, e: &Dumped, now: Tick, out: &mut String) {
    let _ = write!(out, "{:#x}: key=", e.addr);
    t.key_type.render(&e.key, out);
    let _ = write!(out, " use={} exp={}", e.refs, e.exp);
    let d = DataRef { w: &e.words, l: &t.layout };
    for st in &t.layout.schema.stored {
        let dt = st.dt;
        let name = dt.name();
        if dt.is_array() {
            // `gpc_rate` prints as gpc0_rate(p), gpc1_rate(p)...
            let (pfx, sfx) = name.split_once('_').map(|(a, b)| (a, format!("_{b}"))).unwrap_or((name, String::new()));
            for i in 0..st.count as usize {
                let v = d.elem(dt, i, now).unwrap_or(0);
                if dt.std_type() == StdType::Frqp {
                    let _ = write!(out, " {pfx}{i}{sfx}({})={v}", st.period);
                } else {
                    let _ = write!(out, " {pfx}{i}{sfx}={v}");
                }
            }
            continue;
        }
        if dt.std_type() == StdType::Frqp {
            let _ = write!(out, " {name}({})=", st.period);
        } else {
            let _ = write!(out, " {name}=");
        }
        match dt.std_type() {
            StdType::Dict => match d.server_key().and_then(super::dict::get) {
                Some(s) => out.push_str(&s),
                None => out.push('-'),
            },
            StdType::Sint => {
                let _ = write!(out, "{}", d.server_id().unwrap_or(0));
            }
            _ => {
                let _ = write!(out, "{}", d.int(dt, now).unwrap_or(0));
            }
        }
    }
    out.push('\n');
}

fn usage(action: Action) -> String {
    match action {
        Action::Show => "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n",
        Action::Clear => {
            "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n"
        }
        Action::Set => "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n",
    }
    .to_string()
}

/// The reply to `<show|set|clear> table <args...>`; `args` are the words after `table`.
/// `level` is the client's CLI level; `now` the tables' clock.
pub fn table_command(tables: &Tables, action: Action, args: &[&str], level: CliLevel, now: Tick) -> String {
    // HAProxy's args[2..]: the table, then the options.
    let a = |i: usize| arg(args, i - 2);
    if a(2).is_empty() {
        if action != Action::Show {
            return usage(action);
        }
        let mut out = String::new();
        for t in tables.show_order() {
            head(t, now, &mut out);
        }
        return out;
    }
    let Some(t) = tables.get(a(2)) else {
        return "No such table\n".into();
    };
    let oper = level >= CliLevel::Operator;
    if a(3) == "key" {
        return per_key(t, action, args, oper, now);
    }
    let mut filters: Vec<Filter> = Vec::new();
    if a(3).starts_with("data.") {
        if action == Action::Set {
            return "content-based lookup is only supported with the \"show\" and \"clear\" actions\n".into();
        }
        let mut i = 0;
        while i < FILTERS {
            let w = a(3 + 3 * i);
            if i > 0 && w.is_empty() {
                break;
            }
            let n = i + 1;
            let Some(dt) = DataType::by_name(w.get(5..).unwrap_or("")) else {
                return format!("Filter entry #{n}: Unknown data type\n");
            };
            if !t.layout.has(dt) {
                return format!("Filter entry #{n}: Data type not stored in this table\n");
            }
            let Some(op) = std_op(a(4 + 3 * i)) else {
                return format!(
                    "Filter entry #{n}: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n"
                );
            };
            let Some(value) = Some(a(5 + 3 * i)).filter(|v| !v.is_empty()).and_then(strl2llrc) else {
                return format!("Filter entry #{n}: Require a valid integer value to compare against\n");
            };
            filters.push(Filter { dt, op, value });
            i += 1;
        }
        if !a(3 + 3 * i).is_empty() {
            return format!(
                "Detected extra data in filter, {}th word of input, after '{}'\n",
                3 + 3 * i + 1,
                a(2 + 3 * i)
            );
        }
    } else if !a(3).is_empty() {
        return usage(action);
    }
    let mut out = String::new();
    if action == Action::Show {
        head(t, now, &mut out);
        if !oper {
            out.push_str("# contents not dumped due to insufficient privileges\n");
            return out;
        }
    }
    if !oper {
        return out;
    }
    match action {
        Action::Show => {
            for e in t.dump(now) {
                let d = DataRef { w: &e.words, l: &t.layout };
                if filters.iter().all(|f| f.keeps(d, now)) {
                    entry(t, &e, now, &mut out);
                }
            }
        }
        // Without a key, `set` walks the table like `clear` does (HAProxy's I/O handler
        // treats every action but `show` as a removal).
        Action::Set | Action::Clear => {
            t.clear_where(now, |d| filters.iter().all(|f| f.keeps(d, now)));
        }
    }
    out
}

fn per_key(t: &Table, action: Action, args: &[&str], oper: bool, now: Tick) -> String {
    let a = |i: usize| arg(args, i - 2);
    if a(4).is_empty() {
        return "Key value expected\n".into();
    }
    let key = match t.key_type.parse_cli(a(4)) {
        Ok(k) => k,
        Err("binary") => {
            return match action {
                Action::Show => {
                    "Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n"
                }
                Action::Clear => {
                    "Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n"
                }
                Action::Set => {
                    "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n"
                }
            }
            .into()
        }
        Err(e) => return format!("{e}\n"),
    };
    if !oper {
        return "Permission denied\n".into();
    }
    match action {
        Action::Show => {
            let mut out = String::new();
            if let Some(e) = t.dump_one(key.as_bytes(), now) {
                head(t, now, &mut out);
                entry(t, &e, now, &mut out);
            }
            out
        }
        Action::Clear => match t.remove(key.as_bytes(), now) {
            Err(InUse) => "Entry currently in use, cannot remove\n".into(),
            Ok(_) => String::new(),
        },
        Action::Set => {
            let res = t.get_or_create(&key, now, |mut d| {
                let mut i = 5;
                while !a(i).is_empty() {
                    let Some(name) = a(i).strip_prefix("data.") else {
                        return "\"data.<type>\" followed by a value expected\n";
                    };
                    let Some(dt) = DataType::by_name(name) else {
                        return "Unknown data type\n";
                    };
                    if !d.l.has(dt) {
                        return "Data type not stored in this table\n";
                    }
                    let Some(v) = Some(a(i + 1)).filter(|v| !v.is_empty()).and_then(strl2llrc) else {
                        return "Require a valid integer value to store\n";
                    };
                    d.set_cli(dt, v, now);
                    i += 2;
                }
                ""
            });
            match res {
                Some(msg) => msg.to_string(),
                None => "Unable to allocate a new entry\n".into(),
            }
        }
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;

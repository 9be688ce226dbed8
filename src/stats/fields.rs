//! The fields of `show stat` and `show info`: names, descriptions, and for each kind of row the
//! tags (origin, nature, scope) and the type HAProxy 2.6.12 gives each field. Recorded from
//! HAProxy by scripts/record-golden-cli into testdata/golden/2.6/cli and embedded here, so the
//! typed and JSON renderings carry HAProxy's exact metadata.

use std::sync::OnceLock;

/// The kind of a `show stat` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjType {
    Frontend,
    Backend,
    Server,
    Listener,
}

impl ObjType {
    /// The letter of the typed format.
    pub fn letter(self) -> char {
        match self {
            ObjType::Frontend => 'F',
            ObjType::Backend => 'B',
            ObjType::Server => 'S',
            ObjType::Listener => 'L',
        }
    }
    /// The `objType` of the JSON format.
    pub fn json_name(self) -> &'static str {
        match self {
            ObjType::Frontend => "Frontend",
            ObjType::Backend => "Backend",
            ObjType::Server => "Server",
            ObjType::Listener => "Listener",
        }
    }
    fn index(self) -> usize {
        match self {
            ObjType::Frontend => 0,
            ObjType::Backend => 1,
            ObjType::Server => 2,
            ObjType::Listener => 3,
        }
    }
}

/// How a value is printed in the typed and JSON formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    U32,
    S32,
    U64,
    S64,
    Str,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::U32 => "u32",
            Kind::S32 => "s32",
            Kind::U64 => "u64",
            Kind::S64 => "s64",
            Kind::Str => "str",
        }
    }
    fn parse(s: &str) -> Kind {
        match s {
            "u32" => Kind::U32,
            "s32" => Kind::S32,
            "u64" => Kind::U64,
            "s64" => Kind::S64,
            _ => Kind::Str,
        }
    }
}

/// A field's metadata for one kind of row: three tag letters (`MGP`...) and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub tags: [u8; 3],
    pub kind: Kind,
}

/// One column of `show stat` or one line of `show info`.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub desc: String,
    /// Per object type (frontend, backend, server, listener); `show info` uses slot 0.
    pub meta: [Option<Meta>; 4],
}

/// `show stat` static fields (0..=102), then the module fields (ssl, h2, h1).
pub const STAT_STATIC: usize = 103;

fn parse(text: &str, stat: bool) -> Vec<FieldDef> {
    let mut defs: Vec<FieldDef> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            continue;
        }
        let pos: usize = cols[0].parse().unwrap_or(0);
        while defs.len() <= pos {
            defs.push(FieldDef { name: String::new(), desc: String::new(), meta: [None; 4] });
        }
        let d = &mut defs[pos];
        d.name = cols[1].to_string();
        d.desc = cols[5].to_string();
        let t = cols[3].as_bytes();
        let meta = Meta { tags: [t[0], t[1], t[2]], kind: Kind::parse(cols[4]) };
        let slot = if stat {
            match cols[2] {
                "F" => 0,
                "B" => 1,
                "S" => 2,
                _ => 3,
            }
        } else {
            0
        };
        d.meta[slot] = Some(meta);
    }
    defs
}

fn patch(defs: &mut Vec<FieldDef>, pos: usize, name: &str, desc: &str, slots: &[usize], tags: &str, kind: Kind) {
    while defs.len() <= pos {
        defs.push(FieldDef { name: String::new(), desc: String::new(), meta: [None; 4] });
    }
    let d = &mut defs[pos];
    d.name = name.to_string();
    if d.desc.is_empty() {
        d.desc = desc.to_string();
    }
    let t = tags.as_bytes();
    for &s in slots {
        if d.meta[s].is_none() {
            d.meta[s] = Some(Meta { tags: [t[0], t[1], t[2]], kind });
        }
    }
}

/// The `show stat` fields, in column order.
pub fn stat_fields() -> &'static [FieldDef] {
    static F: OnceLock<Vec<FieldDef>> = OnceLock::new();
    F.get_or_init(|| {
        let mut d = parse(include_str!("../../testdata/golden/2.6/cli/stat-fields.txt"), true);
        // Fields the recording cannot show filled: a server in slow start, and a limit 2.6
        // never fills.
        patch(
            &mut d,
            29,
            "throttle",
            "Current throttle percentage for the server when slowstart is active, or no value if not in slowstart.",
            &[2],
            "MaP",
            Kind::U32,
        );
        patch(
            &mut d,
            89,
            "src_ilim",
            "Limit on the number of available idle connections on the server (server 'pool_max_conn' directive)",
            &[2],
            "MGP",
            Kind::U32,
        );
        d
    })
}

/// The `show info` fields, in line order.
pub fn info_fields() -> &'static [FieldDef] {
    static F: OnceLock<Vec<FieldDef>> = OnceLock::new();
    F.get_or_init(|| {
        let mut d = parse(include_str!("../../testdata/golden/2.6/cli/info-fields.txt"), false);
        patch(
            &mut d,
            45,
            "ZlibMemUsage",
            "Memory currently used by HTTP compression on the current worker process (in bytes)",
            &[0],
            "MGP",
            Kind::U32,
        );
        patch(
            &mut d,
            46,
            "MaxZlibMemUsage",
            "Limit on the memory allowed to be used by HTTP compression on the current worker process (in bytes)",
            &[0],
            "CLP",
            Kind::U32,
        );
        patch(&mut d, 51, "description", "Node description (global.description)", &[0], "COS", Kind::Str);
        d
    })
}

/// The metadata of stat field `pos` for rows of type `t`.
pub fn stat_meta(pos: usize, t: ObjType) -> Option<Meta> {
    stat_fields().get(pos).and_then(|d| d.meta[t.index()].or(d.meta.iter().flatten().next().copied()))
}

/// The CSV header line of `show stat`, `# ` first and a comma after every name, with the `-`
/// separator before the module fields, as 2.6.12 prints it.
pub fn csv_header() -> String {
    let mut out = String::from("# ");
    for (i, f) in stat_fields().iter().enumerate() {
        if i == STAT_STATIC {
            out.push_str("-,");
        }
        out.push_str(&f.name);
        out.push(',');
    }
    out.push('\n');
    out
}

/// The JSON schema `show schema json` prints (HAProxy's own, recorded).
pub fn json_schema() -> &'static str {
    // The recording holds HAProxy's reply with its terminator.
    let s = include_str!("../../testdata/golden/2.6/cli/schema.json");
    s.strip_suffix('\n').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_haproxy_2_6_12() {
        let h = csv_header();
        assert!(h.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"));
        assert!(h.contains(",uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,"));
        assert!(h.ends_with(",h1_spliced_bytes_in,h1_spliced_bytes_out,\n"));
        assert_eq!(h.trim_end().trim_end_matches(',').split(',').count(), STAT_STATIC + 1 + 24);
        assert_eq!(stat_fields()[32].name, "type");
        assert_eq!(stat_fields()[79].name, "conn_tot");
    }

    #[test]
    fn metadata_is_complete() {
        for (i, f) in stat_fields().iter().enumerate() {
            assert!(!f.name.is_empty(), "stat field {i} has no name");
            assert!(f.meta.iter().any(|m| m.is_some()), "stat field {i} ({}) has no metadata", f.name);
        }
        for (i, f) in info_fields().iter().enumerate() {
            assert!(!f.name.is_empty(), "info field {i} has no name");
        }
        assert_eq!(info_fields().len(), 72);
        assert_eq!(stat_meta(4, ObjType::Server).map(|m| m.tags), Some(*b"MGP"));
    }
}

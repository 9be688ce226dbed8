//! Counters and their renderings, as HAProxy 2.6.12 prints them: `show stat` rows (CSV, typed,
//! JSON) built from the engine's counters and server states, `show info`, `show servers state`
//! (also the `server-state-file` format), and the HTML stats page. Reads engine snapshots only.

pub mod admin;
pub mod col;
pub mod fields;
pub mod html;
pub mod html_rows;
pub mod info;
pub mod page;
pub mod rows;
pub mod servers_state;

use fields::{stat_fields, stat_meta, Kind, ObjType, STAT_STATIC};

/// One value of a row. Empty values print as nothing in CSV and are left out of typed and JSON
/// output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Empty,
    Int(i64),
    Str(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }
    /// The value as `kind` prints it (a C `%u`/`%d`/`%llu`/`%lld` of the stored integer).
    pub fn format(&self, kind: Kind) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Str(s) => s.clone(),
            Value::Int(v) => match kind {
                Kind::U32 => (*v as u32).to_string(),
                Kind::S32 => (*v as i32).to_string(),
                Kind::U64 => (*v as u64).to_string(),
                Kind::S64 | Kind::Str => v.to_string(),
            },
        }
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v as i64)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

/// One `show stat` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub obj: ObjType,
    /// Proxy id.
    pub iid: u32,
    /// Server id (0 for frontend and backend rows, the listener id for listener rows).
    pub sid: u32,
    /// Every field in column order (static fields then module fields).
    pub values: Vec<Value>,
}

impl Row {
    pub fn new(obj: ObjType, iid: u32, sid: u32) -> Row {
        Row { obj, iid, sid, values: vec![Value::Empty; stat_fields().len()] }
    }
    pub fn set(&mut self, pos: usize, v: impl Into<Value>) {
        if let Some(slot) = self.values.get_mut(pos) {
            *slot = v.into();
        }
    }
}

/// HAProxy's `csv_enc`: quote a string holding a comma, quote or line break, doubling quotes.
pub fn csv_enc(s: &str) -> String {
    if !s.contains([',', '"', '\r', '\n']) {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The CSV line of a row (every field followed by a comma, `-` before the module fields).
pub fn csv_line(r: &Row) -> String {
    let mut out = String::new();
    for (i, v) in r.values.iter().enumerate() {
        if i == STAT_STATIC {
            out.push_str("-,");
        }
        if let Value::Str(s) = v {
            out.push_str(&csv_enc(s));
        } else if let Some(m) = stat_meta(i, r.obj) {
            out.push_str(&v.format(m.kind));
        } else {
            out.push_str(&v.format(Kind::U64));
        }
        out.push(',');
    }
    out.push('\n');
    out
}

/// The typed lines of a row: `F.2.0.4.scur.1:MGP:u32:0`, with `:"desc"` when asked.
pub fn typed_lines(r: &Row, desc: bool) -> String {
    let mut out = String::new();
    for (i, v) in r.values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let f = &stat_fields()[i];
        let m = stat_meta(i, r.obj).unwrap_or(fields::Meta { tags: *b"???", kind: Kind::Str });
        out.push_str(&format!(
            "{}.{}.{}.{}.{}.1:{}:{}:{}",
            r.obj.letter(),
            r.iid,
            r.sid,
            i,
            f.name,
            String::from_utf8_lossy(&m.tags),
            m.kind.name(),
            v.format(m.kind)
        ));
        if desc {
            out.push_str(&format!(":\"{}\"", f.desc));
        }
        out.push('\n');
    }
    out
}

fn tag_names(t: [u8; 3]) -> (&'static str, &'static str, &'static str) {
    let origin = match t[0] {
        b'M' => "Metric",
        b'S' => "Status",
        b'K' => "Key",
        b'C' => "Config",
        b'P' => "Product",
        _ => "Unknown",
    };
    let nature = match t[1] {
        b'G' => "Gauge",
        b'L' => "Limit",
        b'm' => "Min",
        b'M' => "Max",
        b'R' => "Rate",
        b'C' => "Counter",
        b'D' => "Duration",
        b'A' => "Age",
        b'T' => "Time",
        b'N' => "Name",
        b'O' => "Output",
        b'a' => "Avg",
        _ => "Unknown",
    };
    let scope = match t[2] {
        b'P' => "Process",
        b'S' => "Service",
        b's' => "System",
        b'C' => "Cluster",
        _ => "Unknown",
    };
    (origin, nature, scope)
}

/// `"tags":{...},"value":{...}` of one field, as HAProxy's JSON output writes it.
pub fn json_tags_value(tags: [u8; 3], kind: Kind, v: &Value) -> String {
    let (o, n, s) = tag_names(tags);
    let value = match kind {
        Kind::Str => format!("\"{}\"", v.format(kind)),
        _ => v.format(kind),
    };
    format!(
        "\"tags\":{{\"origin\":\"{o}\",\"nature\":\"{n}\",\"scope\":\"{s}\"}},\"value\":{{\"type\":\"{}\",\"value\":{value}}}",
        kind.name()
    )
}

/// The JSON array of one row's non-empty fields.
pub fn json_row(r: &Row) -> String {
    let mut parts = Vec::new();
    for (i, v) in r.values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let f = &stat_fields()[i];
        let m = stat_meta(i, r.obj).unwrap_or(fields::Meta { tags: *b"???", kind: Kind::Str });
        parts.push(format!(
            "{{\"objType\":\"{}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{},\"name\":\"{}\"}},\"processNum\":1,{}}}",
            r.obj.json_name(),
            r.iid,
            r.sid,
            i,
            f.name,
            json_tags_value(m.tags, m.kind, v)
        ));
    }
    format!("[{}]", parts.join(","))
}

/// How `show stat` renders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Csv,
    Typed,
    Json,
}

/// Render rows as `show stat` does: the CSV header then one line per row; typed lines; or one
/// JSON array of rows.
pub fn render(rows: &[Row], format: Format, desc: bool) -> String {
    match format {
        Format::Csv => {
            let mut out = fields::csv_header();
            for r in rows {
                out.push_str(&csv_line(r));
            }
            out
        }
        Format::Typed => rows.iter().map(|r| typed_lines(r, desc)).collect(),
        Format::Json => format!("[{}]\n", rows.iter().map(json_row).collect::<Vec<_>>().join(",")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_encoding() {
        assert_eq!(csv_enc("plain"), "plain");
        assert_eq!(csv_enc("a,b"), "\"a,b\"");
        assert_eq!(csv_enc("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn renderings() {
        let mut r = Row::new(ObjType::Frontend, 2, 0);
        r.set(0, "fe");
        r.set(1, "FRONTEND");
        r.set(4, 0u32);
        let csv = csv_line(&r);
        assert!(csv.starts_with("fe,FRONTEND,,,0,,"), "{csv}");
        assert!(csv.ends_with(",\n"));
        assert_eq!(
            typed_lines(&r, false),
            "F.2.0.0.pxname.1:KNS:str:fe\nF.2.0.1.svname.1:KNS:str:FRONTEND\nF.2.0.4.scur.1:MGP:u32:0\n"
        );
        assert!(typed_lines(&r, true).starts_with("F.2.0.0.pxname.1:KNS:str:fe:\"Proxy name\"\n"));
        let j = render(std::slice::from_ref(&r), Format::Json, false);
        assert!(j.starts_with("[[{\"objType\":\"Frontend\",\"proxyId\":2,\"id\":0,\"field\":{\"pos\":0,\"name\":\"pxname\"},\"processNum\":1,\"tags\":{\"origin\":\"Key\",\"nature\":\"Name\",\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"fe\"}}"), "{j}");
        assert_eq!(render(&[], Format::Json, false), "[]\n");
        assert_eq!(render(&[], Format::Typed, false), "");
    }
}

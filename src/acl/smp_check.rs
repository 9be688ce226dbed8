//! Argument checks HAProxy runs right after parsing a fetch's or a converter's arguments
//! (`val_args`), with their messages, and the pattern/map file reader they share with `-f`.
//! Checks not reproduced here accept what they are given.

use super::args::{read_int64, Arg};
use super::fetch_table::FetchDef;
use super::kw_table::ConvDef;
use super::pattern::{parse_binary, parse_ip, parse_pattern, MatchMethod};

/// HAProxy refuses header occurrences below `-MAX_HDR_HISTORY`.
const MAX_HDR_HISTORY: i64 = 10;

fn is_http_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// HAProxy's variable-name check (`vars_check_arg` / `register_name`).
pub fn check_var_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Empty variable name cannot be accepted".into());
    }
    let scope_len = [("proc.", 5), ("sess.", 5), ("txn.", 4), ("req.", 4), ("res.", 4), ("check.", 6)]
        .iter()
        .find(|(p, l)| name.len() > *l && name.starts_with(p))
        .map(|(_, l)| *l);
    let Some(l) = scope_len else {
        return Err(format!(
            "invalid variable name '{name}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"
        ));
    };
    if let Some(p) = name[l..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        return Err(format!("invalid syntax at char '{}'", &name[l + p..]));
    }
    Ok(())
}

fn str_arg(args: &[Arg], i: usize) -> Option<&str> {
    args.get(i).and_then(Arg::as_str)
}

fn time_unit(args: &[Arg], i: usize) -> Result<(), String> {
    match str_arg(args, i) {
        Some("s" | "ms" | "us") | None => Ok(()),
        Some(u) => Err(format!("expects 's', 'ms' or 'us', got '{u}'")),
    }
}

/// The fetch's `val_args`.
pub fn check_fetch_args(f: &FetchDef, args: &[Arg]) -> Result<(), String> {
    match f.name {
        "hdr" | "hdr_ip" | "hdr_val" | "req.fhdr" | "req.hdr" | "req.hdr_ip" | "req.hdr_val" | "res.fhdr"
        | "res.hdr" | "res.hdr_ip" | "res.hdr_val" | "shdr" | "shdr_ip" | "shdr_val" => {
            if let Some(Arg::Sint(o)) = args.get(1) {
                if *o < -MAX_HDR_HISTORY {
                    return Err(format!("header occurrence must be >= {}", -MAX_HDR_HISTORY));
                }
            }
            Ok(())
        }
        "meth" => match str_arg(args, 0) {
            Some(m) if !m.bytes().all(is_http_token) => Err("expects valid method.".into()),
            _ => Ok(()),
        },
        "var" => check_var_name(str_arg(args, 0).unwrap_or("")),
        "date" => time_unit(args, 1),
        "bool" => match str_arg(args, 0).map(str::to_ascii_lowercase).as_deref() {
            Some("true" | "1" | "false" | "0") => Ok(()),
            _ => Err("Expects 'true', 'false', '0' or '1'".into()),
        },
        "bin" => parse_binary(str_arg(args, 0).unwrap_or("")).map(|_| ()),
        "uuid" => match args.first() {
            Some(Arg::Sint(v)) if *v != 4 => Err(format!("Unsupported UUID version: '{v}'")),
            _ => Ok(()),
        },
        "payload" | "payload_lv" | "req.payload" | "req.payload_lv" | "res.payload" | "res.payload_lv" => {
            match args.get(1) {
                Some(Arg::Sint(0)) => Err("payload length must be > 0".into()),
                _ => Ok(()),
            }
        }
        "distcc_body" | "distcc_param" => match str_arg(args, 0) {
            Some(t) if t.len() != 4 => Err("token name must be exactly 4 characters".into()),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// `check_operator`: an integer or a variable name.
fn check_operator(args: &[Arg]) -> Result<(), String> {
    let s = str_arg(args, 0).unwrap_or("");
    if check_var_name(s).is_ok() {
        return Ok(());
    }
    if read_int64(s.as_bytes()).1 != s.len() {
        return Err("expects an integer or a variable name".into());
    }
    Ok(())
}

fn registered_var(args: &[Arg], i: usize) -> Result<(), String> {
    match str_arg(args, i) {
        Some(v) if !v.is_empty() && check_var_name(v).is_err() => {
            Err(format!("failed to register variable name '{v}'"))
        }
        _ => Ok(()),
    }
}

/// The converter's `val_args`.
pub fn check_conv_args(c: &ConvDef, args: &[Arg]) -> Result<(), String> {
    match c.name {
        "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" => check_operator(args),
        "field" | "word" => {
            if args.first().and_then(Arg::as_int) == Some(0) {
                return Err("Unexpected value 0 for index".into());
            }
            if str_arg(args, 1).is_some_and(str::is_empty) {
                return Err("Empty separators list".into());
            }
            Ok(())
        }
        "regsub" => match str_arg(args, 2).and_then(|f| f.chars().find(|c| !matches!(c, 'i' | 'g'))) {
            Some(bad) => Err(format!("invalid regex flag '{bad}', only 'i' and 'g' are supported")),
            None => Ok(()),
        },
        "json" => match str_arg(args, 0) {
            Some("" | "ascii" | "utf8" | "utf8s" | "utf8p" | "utf8ps") | None => Ok(()),
            Some(_) => {
                Err("Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'"
                    .into())
            }
        },
        "sha2" => match args.first() {
            Some(Arg::Sint(b)) if ![224, 256, 384, 512].contains(b) => {
                Err(format!("Unsupported number of bits: '{b}'"))
            }
            _ => Ok(()),
        },
        "http_date" => time_unit(args, 1),
        "set-var" | "unset-var" => check_var_name(str_arg(args, 0).unwrap_or("")),
        "concat" => registered_var(args, 1),
        "strcmp" | "secure_memcmp" => registered_var(args, 0),
        n if n == "map" || n.starts_with("map_") => check_map(n, args),
        _ => Ok(()),
    }
}

/// Lines of a pattern or map file as HAProxy reads them: `#` in the first column comments a
/// line, leading blanks are skipped, the line ends at CR or LF, empty lines are ignored;
/// trailing blanks are kept. Returns (line number, text).
pub fn read_pattern_file(path: &str) -> Result<Vec<(usize, String)>, String> {
    let data = std::fs::read(path).map_err(|_| format!("failed to open pattern file <{path}>"))?;
    let mut out = Vec::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        if raw.first() == Some(&b'#') {
            continue;
        }
        let start = raw.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(raw.len());
        let line = &raw[start..];
        let end = line.iter().position(|&b| b == b'\r').unwrap_or(line.len());
        let line = &line[..end];
        if line.is_empty() {
            continue;
        }
        out.push((i + 1, String::from_utf8_lossy(line).into_owned()));
    }
    Ok(out)
}

/// `sample_load_map`: the map file must open, and its keys and values must parse.
fn check_map(name: &str, args: &[Arg]) -> Result<(), String> {
    let mut parts = name.split('_').skip(1);
    let key = parts.next().unwrap_or("str");
    let out = parts.next().unwrap_or("str");
    let method = MatchMethod::from_name(key).unwrap_or(MatchMethod::Str);
    let path = str_arg(args, 0).unwrap_or("");
    for (n, line) in read_pattern_file(path)? {
        let k_end = line.find([' ', '\t']).unwrap_or(line.len());
        let (k, rest) = line.split_at(k_end);
        let v = rest.trim_start_matches([' ', '\t']);
        let parse = method.parts().0;
        let capture = method == MatchMethod::Regm;
        let res = if capture {
            super::regex::Regex::new(k, false, true).map(|_| ())
        } else {
            parse_pattern(parse, k, false, false).map(|_| ())
        };
        if let Err(e) = res {
            return Err(format!("{e} at line {n} of file '{path}'"));
        }
        if out == "ip" && parse_ip(v, true).is_err() {
            return Err(format!("unable to parse '{v}' at line {n} of file '{path}'"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_names() {
        assert!(check_var_name("txn.x").is_ok());
        assert_eq!(check_var_name("").unwrap_err(), "Empty variable name cannot be accepted");
        assert!(check_var_name("txn.").unwrap_err().starts_with("invalid variable name 'txn.'."));
        assert_eq!(check_var_name("txn.a-b").unwrap_err(), "invalid syntax at char '-b'");
    }

    #[test]
    fn pattern_files() {
        let dir = std::env::temp_dir().join(format!("haproxide-acl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("pats.txt");
        std::fs::write(&p, "a\n#comment\n  b  \n\n\tc\r\n").unwrap();
        let lines = read_pattern_file(p.to_str().unwrap()).unwrap();
        assert_eq!(lines, vec![(1, "a".into()), (3, "b  ".into()), (5, "c".into())]);
        assert_eq!(read_pattern_file("/nonexistent").unwrap_err(), "failed to open pattern file </nonexistent>");
    }
}

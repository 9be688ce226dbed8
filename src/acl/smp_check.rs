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
        "bin" => match str_arg(args, 0) {
            // HAProxy's hex parser reports no message for an empty string.
            Some("") => Err("(null)".into()),
            s => parse_binary(s.unwrap_or("")).map(|_| ()),
        },
        "fc_rtt" | "fc_rttvar" => match str_arg(args, 0) {
            Some("us" | "ms") | None => Ok(()),
            Some(u) => Err(format!("expects 'us' or 'ms', got '{u}'")),
        },
        n if n.starts_with("internal.htx_blk.") => match str_arg(args, 0) {
            Some("") => Err("a block position is expected (> 0) or a special block name (head, tail, first)".into()),
            Some("head" | "tail" | "first") | None => Ok(()),
            Some(p) if read_int64(p.as_bytes()).1 == p.len() => Ok(()),
            Some(_) => Err("invalid block position".into()),
        },
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

/// JWT algorithms HAProxy knows.
const JWT_ALGS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "none",
];

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
        "strcmp" | "secure_memcmp" => match str_arg(args, 0) {
            Some("") | None => Err("missing variable name".into()),
            _ => registered_var(args, 0),
        },
        "be2dec" => match args.get(1).and_then(Arg::as_int).unwrap_or(0) {
            1..=8 => Ok(()),
            n => Err(format!("chunk_size out of [1..8] range ({n})")),
        },
        // Recorded: `be2hex()` passes, `be2hex(x)` does not.
        "be2hex" if str_arg(args, 0).is_some_and(|s| !s.is_empty()) => {
            match args.get(1).and_then(Arg::as_int).unwrap_or(0) {
                n if n > 0 => Ok(()),
                n => Err(format!("chunk_size needs to be positive ({n})")),
            }
        }
        "aes_gcm_dec" => match args.first().and_then(Arg::as_int) {
            Some(128 | 192 | 256) => Ok(()),
            _ => Err("key size must be 128, 192 or 256 (bits).".into()),
        },
        // Digest names are OpenSSL's; only the empty name is refused here.
        "digest" | "hmac" if str_arg(args, 0).is_some_and(str::is_empty) => {
            Err("algorithm must be a valid OpenSSL message digest name.".into())
        }
        "fix_tag_value" if str_arg(args, 0).is_some_and(str::is_empty) => Err("Unknown FIX tag name ''".into()),
        "json_query" => {
            if str_arg(args, 0).is_some_and(str::is_empty) {
                return Err("json_path must not be empty".into());
            }
            match str_arg(args, 1) {
                Some(t) if !t.is_empty() && t != "int" => Err("output_type only supports \"int\" as argument".into()),
                _ => Ok(()),
            }
        }
        "jwt_verify" => match str_arg(args, 0) {
            Some(a) if check_var_name(a).is_err() && !JWT_ALGS.contains(&a) => {
                Err(format!("unknown JWT algorithm: {a}"))
            }
            _ => Ok(()),
        },
        "url_enc" => match str_arg(args, 0) {
            Some("query" | "") | None => Ok(()),
            Some(_) => Err("Unexpected encode type. Allowed value is 'query'".into()),
        },
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
        let v = rest.trim_matches([' ', '\t']);
        if (out == "ip" && parse_ip(v, true).is_err()) || (out == "int" && super::map::int_value(v).is_none()) {
            return Err(format!("unable to parse '{v}' at line {n} of file '{path}'"));
        }
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

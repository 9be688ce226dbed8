//! Sample expressions: `fetch(args),conv(args),...`, parsed like HAProxy's
//! `sample_parse_expr`, including its "one converter per word" form where words following
//! the fetch that name converters are taken as converters.

use super::args::{make_arg_list, Arg};
use super::fetch_table::{find_fetch, FetchDef};
use super::kw_table::{find_conv, ConvDef};
use super::smp_check;
use super::types::{idchar_len, SmpType};

/// A converter and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvExpr {
    pub conv: &'static ConvDef,
    pub args: Vec<Arg>,
}

/// A fetch, its arguments, and the converters applied to what it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleExpr {
    pub fetch: &'static FetchDef,
    pub args: Vec<Arg>,
    pub convs: Vec<ConvExpr>,
}

impl SampleExpr {
    /// `smp_expr_output_type`: the type of the last converter, or of the fetch.
    pub fn out_type(&self) -> SmpType {
        self.convs.last().map(|c| c.conv.out_type).unwrap_or(self.fetch.out)
    }
}

/// A sample expression error: HAProxy's message and the word it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub msg: String,
    pub word: usize,
}

impl ExprError {
    fn new(msg: impl Into<String>, word: usize) -> ExprError {
        ExprError { msg: msg.into(), word }
    }
}

/// Where converters are read from after the fetch.
pub(crate) enum ConvSource<'a> {
    /// Only from the rest of the current word (after an ACL keyword).
    SameWord,
    /// Also from the following words, advancing this index (after a fetch keyword).
    Words(&'a mut usize),
    /// Inside a longer text (`%[...]` of a log-format): stop at the first character that
    /// cannot continue the expression, recording its offset (HAProxy's `endptr`).
    EndPtr(&'a mut usize),
}

/// `sample_parse_expr`: parse the expression starting at `words[*idx]`. On success `*idx`
/// points at the last word HAProxy looked at.
pub fn parse_sample_expr(words: &[&str], idx: &mut usize) -> Result<SampleExpr, ExprError> {
    let w = *idx;
    let word = words.get(w).copied().unwrap_or("");
    let n = idchar_len(word);
    if n == 0 {
        return Err(ExprError::new("missing fetch method", w));
    }
    let fkw = &word[..n];
    let fetch = find_fetch(fkw).ok_or_else(|| ExprError::new(format!("unknown fetch method '{fkw}'"), w))?;
    let (args, used) = make_arg_list(&word[n..], &fetch.args)
        .map_err(|e| ExprError::new(format!("fetch method '{fkw}' : {}", e.msg), w))?;
    if let Err(e) = smp_check::check_fetch_args(fetch, &args) {
        return Err(ExprError::new(format!("invalid args in fetch method '{fkw}' : {e}"), w));
    }
    let end = n + used;
    if end < word.len() && word.as_bytes()[end] != b',' {
        return Err(ExprError::new(format!("missing comma after fetch keyword '{fkw}'"), w));
    }
    let mut expr = SampleExpr { fetch, args, convs: Vec::new() };
    parse_converters(words, ConvSource::Words(idx), w, end, &mut expr)?;
    Ok(expr)
}

/// `sample_parse_expr` with an end pointer, as log-format strings use it: the expression
/// starts at the beginning of `text` and ends at the first character that cannot continue it.
/// Returns the expression and the offset of that character.
pub fn parse_sample_expr_endptr(text: &str) -> Result<(SampleExpr, usize), ExprError> {
    let n = idchar_len(text);
    if n == 0 {
        return Err(ExprError::new("missing fetch method", 0));
    }
    let fkw = &text[..n];
    let fetch = find_fetch(fkw).ok_or_else(|| ExprError::new(format!("unknown fetch method '{fkw}'"), 0))?;
    let (args, used) = make_arg_list(&text[n..], &fetch.args)
        .map_err(|e| ExprError::new(format!("fetch method '{fkw}' : {}", e.msg), 0))?;
    if let Err(e) = smp_check::check_fetch_args(fetch, &args) {
        return Err(ExprError::new(format!("invalid args in fetch method '{fkw}' : {e}"), 0));
    }
    let mut expr = SampleExpr { fetch, args, convs: Vec::new() };
    let mut end = n + used;
    let start = end;
    parse_converters(&[text], ConvSource::EndPtr(&mut end), 0, start, &mut expr)?;
    Ok((expr, end))
}

/// `sample_parse_expr_cnv`: the converters after the fetch, from `words[w][pos..]` on.
pub(crate) fn parse_converters(
    words: &[&str],
    mut src: ConvSource<'_>,
    mut w: usize,
    mut pos: usize,
    expr: &mut SampleExpr,
) -> Result<(), ExprError> {
    let mut prev = expr.fetch.out;
    let mut ckw: Option<&str> = None;
    loop {
        let word = words.get(w).copied().unwrap_or("");
        let b = word.as_bytes();
        if pos < b.len() && b[pos] != b',' {
            if let ConvSource::EndPtr(end) = &mut src {
                **end = pos;
                return Ok(());
            }
            let msg = match ckw {
                Some(c) => format!("missing comma after converter '{c}'"),
                None => "missing comma after fetch keyword".to_string(),
            };
            return Err(ExprError::new(msg, w));
        }
        while pos < b.len() && b[pos] == b',' {
            pos += 1;
        }
        let mut new_word = false;
        if pos >= b.len() {
            if let ConvSource::EndPtr(end) = &mut src {
                **end = pos;
                return Ok(());
            }
            let ConvSource::Words(idx) = &mut src else {
                break;
            };
            **idx += 1;
            w = **idx;
            match words.get(w) {
                Some(next) if !next.is_empty() => {
                    pos = 0;
                    new_word = true;
                }
                _ => break,
            }
        }
        let word = words[w];
        let rest = &word[pos..];
        let n = idchar_len(rest);
        let name = &rest[..n];
        let Some(conv) = find_conv(name) else {
            if new_word {
                // An isolated word that is not a converter: it is not ours.
                break;
            }
            return Err(ExprError::new(format!("unknown converter '{name}'"), w));
        };
        ckw = Some(name);
        if !prev.can_cast(conv.in_type) {
            return Err(ExprError::new(format!("converter '{name}' cannot be applied"), w));
        }
        prev = conv.out_type;
        let (args, used) = make_arg_list(&rest[n..], &conv.args)
            .map_err(|e| ExprError::new(format!("invalid arg {} in converter '{name}' : {}", e.pos + 1, e.msg), w))?;
        if let Err(e) = smp_check::check_conv_args(conv, &args) {
            return Err(ExprError::new(format!("invalid args in converter '{name}' : {e}"), w));
        }
        expr.convs.push(ConvExpr { conv, args });
        pos += n + used;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<(SampleExpr, usize), String> {
        let mut idx = 0;
        parse_sample_expr(words, &mut idx).map(|e| (e, idx)).map_err(|e| e.msg)
    }

    #[test]
    fn fetch_with_converters() {
        let (e, _) = parse(&["req.hdr(host),lower,,upper"]).unwrap();
        assert_eq!(e.fetch.name, "req.hdr");
        assert_eq!(e.args, vec![Arg::Str("host".into())]);
        assert_eq!(e.convs.iter().map(|c| c.conv.name).collect::<Vec<_>>(), ["lower", "upper"]);
        assert_eq!(e.out_type(), SmpType::Str);
    }

    #[test]
    fn converters_in_following_words() {
        let (e, idx) = parse(&["src", "lower", "upper", "x"]).unwrap();
        assert_eq!(e.convs.len(), 2);
        assert_eq!(idx, 3);
        let (e, _) = parse(&["src", "-m", "ip"]).unwrap();
        assert!(e.convs.is_empty());
        assert_eq!(parse(&["always_true", "ipmask(24)"]).unwrap_err(), "converter 'ipmask' cannot be applied");
    }

    #[test]
    fn messages() {
        assert_eq!(parse(&[""]).unwrap_err(), "missing fetch method");
        assert_eq!(parse(&["/x"]).unwrap_err(), "missing fetch method");
        assert_eq!(parse(&["nosuch"]).unwrap_err(), "unknown fetch method 'nosuch'");
        assert_eq!(parse(&["src:x"]).unwrap_err(), "unknown fetch method 'src:x'");
        assert_eq!(parse(&["src(x)"]).unwrap_err(), "fetch method 'src' : expected ')' before 'x)'");
        assert_eq!(parse(&["req.hdr(host)x"]).unwrap_err(), "missing comma after fetch keyword 'req.hdr'");
        assert_eq!(parse(&["src,nosuch"]).unwrap_err(), "unknown converter 'nosuch'");
        assert_eq!(
            parse(&["src,lower(1)"]).unwrap_err(),
            "invalid arg 1 in converter 'lower' : expected ')' before '1)'"
        );
        assert_eq!(parse(&["path,add(1)x"]).unwrap_err(), "missing comma after converter 'add'");
        assert_eq!(
            parse(&["str(x),regsub(a)"]).unwrap_err(),
            "invalid arg 2 in converter 'regsub' : missing arguments (got 1/2), type 'string' expected"
        );
        assert_eq!(
            parse(&["req.hdr(x,-11)"]).unwrap_err(),
            "invalid args in fetch method 'req.hdr' : header occurrence must be >= -10"
        );
    }
}

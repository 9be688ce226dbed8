//! Every configuration keyword haproxide knows, gathered from the keyword tables, with how far
//! it is implemented. `grammar/keywords.tsv` is this list written out; a test keeps the two in
//! step, so the table is the single source and the TSV can never drift from the code.

use super::{bind, global, options, proxy, sections, server, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordInfo {
    /// `global`, `proxy`, `option`, `server`, `bind`, or a section name.
    pub family: &'static str,
    pub keyword: String,
    pub status: Status,
}

fn info(family: &'static str, keyword: impl Into<String>, status: Status) -> KeywordInfo {
    KeywordInfo { family, keyword: keyword.into(), status }
}

/// All keywords, grouped by family, in table order.
pub fn all() -> Vec<KeywordInfo> {
    let mut out = Vec::new();
    out.extend(global::KEYWORDS.iter().map(|k| info("global", k.name, k.status)));
    out.extend(proxy::KEYWORDS.iter().map(|k| info("proxy", k.name, k.status)));
    out.extend(options::FLAG_OPTIONS.iter().map(|o| info("option", o.name, o.status)));
    out.extend(options::ARG_OPTIONS.iter().map(|(n, st)| info("option", *n, *st)));
    out.extend(server::all_options().map(|(n, st)| info("server", n, st)));
    out.extend(bind::all_options().map(|(n, st)| info("bind", n, st)));
    out.extend(sections::catalog().into_iter().map(|(family, n, st)| info(family, n, st)));
    out
}

/// The TSV text: a header line, then `family<TAB>keyword<TAB>status` per keyword.
pub fn tsv() -> String {
    let mut s = String::from("# family\tkeyword\tstatus\n");
    for k in all() {
        s.push_str(&format!("{}\t{}\t{}\n", k.family, k.keyword, k.status.as_str()));
    }
    s
}

#[cfg(test)]
mod tests {
    /// grammar/keywords.tsv must list exactly what the tables hold. Regenerate it with
    /// `UPDATE_KEYWORDS_TSV=1 cargo test keywords_tsv`.
    #[test]
    fn keywords_tsv_matches_the_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/keywords.tsv");
        let want = super::tsv();
        if std::env::var_os("UPDATE_KEYWORDS_TSV").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "grammar/keywords.tsv is out of date: run UPDATE_KEYWORDS_TSV=1 cargo test keywords_tsv");
    }

    #[test]
    fn no_duplicates_within_a_family() {
        let mut seen = std::collections::HashSet::new();
        for k in super::all() {
            assert!(seen.insert((k.family, k.keyword.clone())), "duplicate {}/{}", k.family, k.keyword);
        }
    }
}

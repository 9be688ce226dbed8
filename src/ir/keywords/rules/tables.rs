//! The action keywords of each rule set, in HAProxy 2.6's registration order (the order its
//! "expects ..." lists and its suggestions use), each with its parser and whether the engine
//! runs it. Keywords marked as prefixes match any word they start (`set-var(txn.x)`), as
//! HAProxy's `action_lookup` does: the first entry that matches wins.

use super::{http_act as h, misc_act as m, reply as r, ParseFn};
use crate::ir::keywords::Status::{self, Rejected, Supported};
use crate::ir::rules::RuleSet;

#[derive(Clone, Copy)]
pub struct ActKw {
    pub name: &'static str,
    /// HAProxy's `KWF_MATCH_PREFIX`.
    pub prefix: bool,
    pub experimental: bool,
    pub parse: ParseFn,
    pub status: Status,
}

const fn k(name: &'static str, parse: ParseFn, status: Status) -> ActKw {
    ActKw { name, prefix: false, experimental: false, parse, status }
}

const fn p(name: &'static str, parse: ParseFn, status: Status) -> ActKw {
    ActKw { name, prefix: true, experimental: false, parse, status }
}

/// The stick-counter actions every rule set but http-after-response registers.
macro_rules! sc_actions {
    () => {
        [
            p("sc-inc-gpc", m::sc_inc_gpc, Supported),
            p("sc-inc-gpc0", m::sc_inc_gpc, Supported),
            p("sc-inc-gpc1", m::sc_inc_gpc, Supported),
            p("sc-set-gpt", m::sc_set_gpt, Supported),
            p("sc-set-gpt0", m::sc_set_gpt, Supported),
        ]
    };
}

pub static HTTP_REQ: &[ActKw] = &{
    let sc = sc_actions!();
    [
        k("wait-for-handshake", m::no_args_final_false, Rejected),
        k("ot-group", m::ot_group, Rejected),
        k("set-log-level", m::set_log_level, Rejected),
        k("set-nice", m::set_nice, Rejected),
        k("use-service", m::use_service, Rejected),
        sc[0],
        sc[1],
        sc[2],
        sc[3],
        sc[4],
        k("send-spoe-group", m::send_spoe_group, Rejected),
        p("do-resolve", m::do_resolve, Rejected),
        k("cache-use", m::cache_rule, Rejected),
        p("add-acl", h::set_map, Rejected),
        k("add-header", h::set_header, Supported),
        k("allow", h::allow, Supported),
        k("auth", h::auth, Supported),
        k("capture", h::capture_req, Supported),
        p("del-acl", h::set_map, Rejected),
        k("del-header", h::del_header, Supported),
        p("del-map", h::set_map, Rejected),
        k("deny", h::deny, Supported),
        k("disable-l7-retry", h::disable_l7_retry, Supported),
        k("early-hint", h::set_header, Rejected),
        ActKw { name: "normalize-uri", prefix: false, experimental: true, parse: h::normalize_uri, status: Rejected },
        k("redirect", r::http_redirect, Supported),
        k("reject", h::reject, Supported),
        k("replace-header", h::replace_header, Supported),
        k("replace-path", h::replace_uri, Supported),
        k("replace-pathq", h::replace_uri, Supported),
        k("replace-uri", h::replace_uri, Supported),
        k("replace-value", h::replace_header, Supported),
        k("return", r::http_return, Supported),
        k("set-header", h::set_header, Supported),
        p("set-map", h::set_map, Rejected),
        k("set-method", h::set_req_line, Supported),
        k("set-path", h::set_req_line, Supported),
        k("set-pathq", h::set_req_line, Supported),
        k("set-query", h::set_req_line, Supported),
        k("set-uri", h::set_req_line, Supported),
        k("strict-mode", h::strict_mode, Supported),
        k("tarpit", h::deny, Supported),
        p("track-sc", m::http_track_sc, Supported),
        k("set-timeout", h::set_timeout, Rejected),
        k("wait-for-body", h::wait_for_body, Rejected),
        p("set-var-fmt", m::vars, Supported),
        p("set-var", m::vars, Supported),
        p("unset-var", m::vars, Supported),
        k("set-dst", m::set_src_dst, Rejected),
        k("set-dst-port", m::set_src_dst, Rejected),
        k("set-mark", m::set_mark, Rejected),
        k("set-src", m::set_src_dst, Rejected),
        k("set-src-port", m::set_src_dst, Rejected),
        k("set-tos", m::set_mark, Rejected),
        k("silent-drop", m::silent_drop, Supported),
        k("set-priority-class", m::set_priority, Rejected),
        k("set-priority-offset", m::set_priority, Rejected),
    ]
};

pub static HTTP_RES: &[ActKw] = &{
    let sc = sc_actions!();
    [
        k("ot-group", m::ot_group, Rejected),
        k("set-log-level", m::set_log_level, Rejected),
        k("set-nice", m::set_nice, Rejected),
        sc[0],
        sc[1],
        sc[2],
        sc[3],
        sc[4],
        k("send-spoe-group", m::send_spoe_group, Rejected),
        k("cache-store", m::cache_rule, Rejected),
        p("add-acl", h::set_map, Rejected),
        k("add-header", h::set_header, Supported),
        k("allow", h::allow, Supported),
        k("capture", h::capture_res, Supported),
        p("del-acl", h::set_map, Rejected),
        k("del-header", h::del_header, Supported),
        p("del-map", h::set_map, Rejected),
        k("deny", h::deny, Supported),
        k("redirect", r::http_redirect, Supported),
        k("replace-header", h::replace_header, Supported),
        k("replace-value", h::replace_header, Supported),
        k("return", r::http_return, Supported),
        k("set-header", h::set_header, Supported),
        p("set-map", h::set_map, Rejected),
        k("set-status", h::set_status, Supported),
        k("strict-mode", h::strict_mode, Supported),
        p("track-sc", m::http_track_sc, Supported),
        k("wait-for-body", h::wait_for_body, Rejected),
        p("set-var-fmt", m::vars, Supported),
        p("set-var", m::vars, Supported),
        p("unset-var", m::vars, Supported),
        k("set-mark", m::set_mark, Rejected),
        k("set-tos", m::set_mark, Rejected),
        k("silent-drop", m::silent_drop, Rejected),
    ]
};

pub static HTTP_AFTER: &[ActKw] = &[
    k("ot-group", m::ot_group, Rejected),
    k("add-header", h::set_header, Supported),
    k("allow", h::allow, Supported),
    k("capture", h::capture_res, Supported),
    k("del-header", h::del_header, Supported),
    k("replace-header", h::replace_header, Supported),
    k("replace-value", h::replace_header, Supported),
    k("set-header", h::set_header, Supported),
    k("set-status", h::set_status, Supported),
    k("strict-mode", h::strict_mode, Supported),
    p("set-var-fmt", m::vars, Supported),
    p("set-var", m::vars, Supported),
    p("unset-var", m::vars, Supported),
];

/// tcp-request connection and tcp-request session register the same actions.
pub static TCP_L4_L5: &[ActKw] = &{
    let sc = sc_actions!();
    [
        sc[0],
        sc[1],
        sc[2],
        sc[3],
        sc[4],
        p("set-var-fmt", m::vars, Supported),
        p("set-var", m::vars, Supported),
        p("unset-var", m::vars, Supported),
        k("set-dst", m::set_src_dst, Rejected),
        k("set-dst-port", m::set_src_dst, Rejected),
        k("set-mark", m::set_mark, Rejected),
        k("set-src", m::set_src_dst, Rejected),
        k("set-src-port", m::set_src_dst, Rejected),
        k("set-tos", m::set_mark, Rejected),
        k("silent-drop", m::silent_drop, Rejected),
    ]
};

pub static TCP_CONTENT: &[ActKw] = &{
    let sc = sc_actions!();
    [
        k("ot-group", m::ot_group, Rejected),
        k("set-log-level", m::set_log_level, Rejected),
        k("set-nice", m::set_nice, Rejected),
        k("switch-mode", m::switch_mode, Rejected),
        k("use-service", m::use_service, Rejected),
        sc[0],
        sc[1],
        sc[2],
        sc[3],
        sc[4],
        k("send-spoe-group", m::send_spoe_group, Rejected),
        p("do-resolve", m::do_resolve, Rejected),
        p("set-var-fmt", m::vars, Supported),
        p("set-var", m::vars, Supported),
        p("unset-var", m::vars, Supported),
        k("set-src", m::set_src_dst, Rejected),
        k("set-src-port", m::set_src_dst, Rejected),
        k("set-dst", m::set_src_dst, Rejected),
        k("set-dst-port", m::set_src_dst, Rejected),
        k("set-mark", m::set_mark, Rejected),
        k("set-tos", m::set_mark, Rejected),
        k("silent-drop", m::silent_drop, Rejected),
        k("set-priority-class", m::set_priority, Rejected),
        k("set-priority-offset", m::set_priority, Rejected),
    ]
};

pub static TCP_RES_CONTENT: &[ActKw] = &{
    let sc = sc_actions!();
    [
        k("ot-group", m::ot_group, Rejected),
        k("set-log-level", m::set_log_level, Rejected),
        k("set-nice", m::set_nice, Rejected),
        sc[0],
        sc[1],
        sc[2],
        sc[3],
        sc[4],
        k("send-spoe-group", m::send_spoe_group, Rejected),
        p("set-var-fmt", m::vars, Supported),
        p("set-var", m::vars, Supported),
        p("unset-var", m::vars, Supported),
        k("set-mark", m::set_mark, Rejected),
        k("set-tos", m::set_mark, Rejected),
        k("silent-drop", m::silent_drop, Rejected),
    ]
};

/// The registered actions of a rule set.
pub fn table(set: RuleSet) -> &'static [ActKw] {
    match set {
        RuleSet::HttpReq | RuleSet::Redirect => HTTP_REQ,
        RuleSet::HttpRes => HTTP_RES,
        RuleSet::HttpAfter => HTTP_AFTER,
        RuleSet::TcpReqConn | RuleSet::TcpReqSess => TCP_L4_L5,
        RuleSet::TcpReqCont => TCP_CONTENT,
        RuleSet::TcpResCont => TCP_RES_CONTENT,
    }
}

/// HAProxy's `action_lookup`.
pub fn lookup(set: RuleSet, word: &str) -> Option<&'static ActKw> {
    table(set).iter().find(|k| if k.prefix { word.starts_with(k.name) } else { word == k.name })
}

/// The keyword a word was matched by (`set-var` for `set-var(txn.x)`); the word itself when it
/// is not a registered action (tcp's built-in `accept`, `track-sc0`...).
pub fn base_name(set: RuleSet, word: &str) -> &str {
    match lookup(set, word) {
        Some(k) => k.name,
        None => word.split('(').next().unwrap_or(word),
    }
}

/// HAProxy's `action_build_list` and `action_suggest`: the quoted list
/// of registered keywords and the closest one to `word`, if close enough.
pub fn expects(set: RuleSet, word: &str) -> (String, Option<&'static str>) {
    let t = table(set);
    let list = t
        .iter()
        .map(|k| if k.prefix { format!("'{}(*)'", k.name) } else { format!("'{}'", k.name) })
        .collect::<Vec<_>>()
        .join(", ");
    (list, suggest(set, word))
}

/// HAProxy's suggestion, with the candidates in its registration order (kept with the other
/// contexts in `config::suggest`); the `extra` words of the tcp rules are among them.
fn suggest(set: RuleSet, word: &str) -> Option<&'static str> {
    crate::config::suggest::CONTEXTS.iter().find(|c| c.name == set.name())?.suggest(word)
}

/// Every action keyword, per rule family, for grammar/keywords.tsv (`family`, `keyword`,
/// `status`); tcp rules' built-in actions included.
pub fn catalog() -> Vec<(&'static str, String, Status)> {
    let mut out = Vec::new();
    type Family<'a> = (&'a str, &'a [ActKw], &'a [(&'a str, Status)]);
    let fams: [Family; 7] = [
        ("http-request", HTTP_REQ, &[]),
        ("http-response", HTTP_RES, &[]),
        ("http-after-response", HTTP_AFTER, &[]),
        (
            "tcp-request connection",
            TCP_L4_L5,
            &[
                ("accept", Supported),
                ("reject", Supported),
                ("track-sc", Supported),
                ("expect-proxy", Supported),
                ("expect-netscaler-cip", Rejected),
            ],
        ),
        ("tcp-request session", TCP_L4_L5, &[("accept", Supported), ("reject", Supported), ("track-sc", Supported)]),
        (
            "tcp-request content",
            TCP_CONTENT,
            &[("accept", Supported), ("reject", Supported), ("capture", Rejected), ("track-sc", Supported)],
        ),
        (
            "tcp-response content",
            TCP_RES_CONTENT,
            &[("accept", Supported), ("reject", Supported), ("close", Supported)],
        ),
    ];
    for (fam, t, builtins) in fams {
        for (n, st) in builtins {
            out.push((fam, n.to_string(), *st));
        }
        for k in t {
            out.push((fam, k.name.to_string(), k.status));
        }
    }
    out.push(("tcp-request", "inspect-delay".to_string(), Supported));
    out.push(("tcp-response", "inspect-delay".to_string(), Supported));
    for f in ["cache", "compression", "fcgi-app", "opentracing", "spoe", "trace"] {
        out.push(("filter", f.to_string(), Rejected));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_the_first_entry() {
        assert_eq!(lookup(RuleSet::HttpReq, "set-var(txn.x)").unwrap().name, "set-var");
        assert_eq!(lookup(RuleSet::HttpReq, "set-var-fmt(txn.x)").unwrap().name, "set-var-fmt");
        assert_eq!(lookup(RuleSet::HttpReq, "sc-inc-gpc0(1)").unwrap().name, "sc-inc-gpc");
        assert_eq!(lookup(RuleSet::HttpReq, "track-sc1").unwrap().name, "track-sc");
        assert!(lookup(RuleSet::HttpReq, "set-headers").is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(expects(RuleSet::HttpReq, "sett-header").1, Some("set-header"));
        assert_eq!(expects(RuleSet::TcpReqCont, "sett-var(txn.x)").1, Some("set-var"));
    }
}

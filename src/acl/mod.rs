//! Sample fetches, converters, ACLs and `if`/`unless` conditions, shared by every rule that
//! takes a condition (use_backend, use-server, monitor fail, http-request/-response, tcp-request,
//! stick rules).
//!
//! Three stages, as in HAProxy:
//! 1. **Parse** (keyword handlers, line by line): [`check_acl_name`] + [`parse_acl`] for `acl`
//!    lines, [`check_condition`] for rule conditions. Errors carry HAProxy's message and the
//!    index of the word they blame ([`AclError`]); the caller wraps the message in its own prefix
//!    (`error detected while parsing ACL 'x' : <msg>.`). Warnings ([`AclWarning`]) come with
//!    HAProxy's text and whether HAProxy prints a location. [`CondInfo::conflict`] gives the
//!    "will never match" warning for the rule's place ([`Ctx`]).
//! 2. **Resolve** (once the whole configuration is read): [`resolve_condition`] checks backend,
//!    server, table and userlist references and compiles regex arguments, with HAProxy's
//!    messages ([`format_errors`] groups them like HAProxy).
//! 3. **Evaluate** (engine): [`AclTable`] parses a proxy's `acl` lines once and builds typed
//!    [`Condition`]s; [`Condition::eval`] runs one against a [`SampleSource`];
//!    [`unsupported`] / [`unsupported_fetches`] list what cannot run yet, so the engine refuses
//!    the configuration instead of evaluating such a condition as false.
//!
//! The fetch, converter and ACL keyword tables mirror HAProxy 2.6.12's registries, recorded in
//! testdata/golden/2.6/keywords/; a test keeps them in step. Regexes use PCRE2 like HAProxy
//! (see [`regex`]). [`auth`] reads `userlist` sections from the IR and checks passwords for
//! `http_auth` / `http_auth_group`.

pub mod args;
pub mod auth;
pub mod cond;
pub mod convert;
pub mod cookie;
pub mod eval;
pub mod expr;
pub mod fetch_src;
pub mod fetch_table;
pub mod kw_table;
pub mod map;
pub mod parse;
pub mod pattern;
pub mod payload;
pub mod proxy;
pub mod regex;
pub mod resolve;
pub mod sample;
pub mod smp_check;
pub mod types;
pub mod uuid;

pub use cond::{check_condition, compile_condition, AclTable, CondInfo, Condition, Conflict, Polarity, Term, TermInfo};
pub use eval::{avg_queue, connslots, eval_expr, fetch_each, unsupported, unsupported_fetches, SampleSource};
pub use expr::{parse_sample_expr, parse_sample_expr_endptr, ConvExpr, SampleExpr};
pub use fetch_src::{check_log_format_place, check_place, fetch_source};
pub use parse::{
    check_acl_name, default_acl, expr_meta, parse_acl, Acl, AclError, AclExpr, AclWarning, ExprMeta, ParsedExpr,
    DEFAULT_ACLS,
};
pub use proxy::{compile_proxy, Compiled, Line};
pub use resolve::{format_errors, resolve_condition, resolve_expr, ArgCtx, ConfigLookup, ProxyCtx};
pub use sample::Sample;
pub use types::{Ctx, SmpType};

#[cfg(test)]
mod tests;

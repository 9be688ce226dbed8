//! AST to validated IR: keyword meanings, defaults inheritance, server-template expansion, and
//! HAProxy's post-parse checks. Imports `config` only.

pub mod addr;
pub mod checks;
mod inherit;
pub mod keywords;
pub mod lower;
mod proxy_types;
pub mod rules;
pub mod types;
pub mod validate;
pub mod values;

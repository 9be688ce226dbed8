//! AST to validated IR: keyword meanings, defaults inheritance, server-template expansion, and
//! HAProxy's post-parse checks. Imports `config` only.

pub mod addr;
pub mod keywords;
pub mod lower;
pub mod rules;
pub mod types;
pub mod validate;
pub mod values;

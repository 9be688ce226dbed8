//! Configuration text to syntax tree: tokenizer, `.if` preprocessor, sections, diagnostics.
//! Depends on nothing else in the crate.

pub mod ast;
pub mod cond;
pub mod diag;
pub mod env;
pub mod lex;
pub mod parse;
pub mod suggest;

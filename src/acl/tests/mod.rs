//! Tests of the ACL module against recorded HAProxy facts.

mod engine_path;
mod eval_golden;
mod eval_unit;
mod messages;
mod probes;
mod props;
mod tables;

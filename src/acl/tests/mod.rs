//! Tests of the ACL module against recorded HAProxy facts.

mod eval_golden;
mod probes;
mod tables;

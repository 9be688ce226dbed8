//! Tests of the ACL module against recorded HAProxy facts.

mod probes;
mod tables;

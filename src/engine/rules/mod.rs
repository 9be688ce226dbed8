//! Rules at run time: conditions evaluated over a stream ([`source`]), the actions of
//! http-request/-response/-after-response, tcp-request/-response and redirect rules
//! ([`exec`]), head rewrites ([`edit`]), log-format values ([`render`]), the proxy's own
//! responses ([`reply`]) and variables ([`vars`]). The HTTP and TCP paths call these at the
//! points HAProxy evaluates each rule set.

pub mod edit;
pub mod exec;
pub mod render;
pub mod reply;
pub mod source;
pub mod switching;
pub mod vars;

pub use exec::{run, Ctx, Msg, Verdict};

//! Commands about features haproxide does not run yet (maps, SSL stores, caches, peers,
//! variables, TLS keys), answered as HAProxy answers them for a configuration without any:
//! empty lists, "Unknown ... identifier", "Variable not found".

use super::{Args, Ctx, Out};
use crate::need_level;

/// `show tls-keys`: no TLS ticket keys.
pub fn show_tls_keys(_ctx: &mut Ctx, _args: &Args) -> Out {
    Out::raw("# id (file)\n")
}

/// `show ssl cert` and friends: nothing loaded. HAProxy answers users with an allocation
/// error here, which is what they see.
pub fn show_ssl_cert(ctx: &mut Ctx, _args: &Args) -> Out {
    if ctx.sess.level < super::Level::Operator {
        return Out::err("Can't allocate memory!\n");
    }
    Out::Nothing
}

/// `show ssl crt-list`, `show cache`: admin only, nothing to list.
pub fn show_empty_admin(ctx: &mut Ctx, _args: &Args) -> Out {
    need_level!(ctx, Admin);
    Out::Nothing
}

/// `show peers`: no peers section.
pub fn show_peers(_ctx: &mut Ctx, _args: &Args) -> Out {
    Out::Nothing
}

/// `show map [<map>]`: no maps. With maps loaded, the listing is not built yet: say so
/// rather than answer as for a configuration without any.
pub fn show_map(ctx: &mut Ctx, args: &Args) -> Out {
    if crate::acl::map::loaded_any() {
        return super::not_yet(ctx, args);
    }
    if args.has(2) {
        return Out::err("Unknown map identifier. Please use #<id> or <file>.\n");
    }
    Out::raw("# id (file) description\n")
}

/// `get var <name>`: no process-wide variables.
pub fn get_var(ctx: &mut Ctx, args: &Args) -> Out {
    need_level!(ctx, Operator);
    if !args.has(2) {
        return Out::err("Missing process-wide variable identifier.\n");
    }
    Out::err("Variable not found.\n")
}

//! Stick-table commands (`stick_table.c`): `show table`, `set table`, `clear table` over the
//! engine's tables, with the replies `engine::stick::cli` renders as HAProxy 2.6.12 does.

use super::{Args, Ctx, Level, Out};
use crate::engine::stick::cli::{table_command, Action};
use crate::ir::types::CliLevel;

fn run(ctx: &mut Ctx, args: &Args, action: Action) -> Out {
    let words: Vec<String> = (2..args.words.len()).map(|i| args.str(i).into_owned()).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let level = match ctx.sess.level {
        Level::User => CliLevel::User,
        Level::Operator => CliLevel::Operator,
        Level::Admin => CliLevel::Admin,
    };
    let reply = table_command(&ctx.eng.tables, action, &refs, level, crate::engine::stick::now_ms());
    // Dumps are data; everything else the command says is an error message.
    if reply.is_empty() {
        Out::Nothing
    } else if reply.starts_with("# table:") || reply.starts_with("0x") {
        Out::Raw(reply.into_bytes())
    } else {
        Out::Err(reply.into_bytes())
    }
}

pub fn show_table(ctx: &mut Ctx, args: &Args) -> Out {
    run(ctx, args, Action::Show)
}

pub fn set_table(ctx: &mut Ctx, args: &Args) -> Out {
    run(ctx, args, Action::Set)
}

pub fn clear_table(ctx: &mut Ctx, args: &Args) -> Out {
    run(ctx, args, Action::Clear)
}

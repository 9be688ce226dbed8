//! Stick-table commands (`stick_table.c`). The engine has no stick tables yet, so every table
//! name is unknown, as in HAProxy with a configuration that declares none.

use super::{Args, Ctx, Out};

fn table_req(args: &Args, usage: &str) -> Out {
    if args.has(2) {
        return Out::err("No such table\n");
    }
    if usage.is_empty() {
        // `show table` alone lists the tables: there are none.
        return Out::Nothing;
    }
    Out::err(usage)
}

pub fn show_table(_ctx: &mut Ctx, args: &Args) -> Out {
    table_req(args, "")
}

pub fn set_table(_ctx: &mut Ctx, args: &Args) -> Out {
    table_req(args, "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n")
}

pub fn clear_table(_ctx: &mut Ctx, args: &Args) -> Out {
    table_req(args, "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n")
}

//! `mode tcp` sessions compared with HAProxy: what each side receives, how the connections end,
//! and the tcplog / default log lines (Connect from at accept, termination states, null
//! connections, `dontlognull` and `dontlog-normal`).

use super::http_kit::{check, send, tx, Case, C, S};

fn cases() -> Vec<Case> {
    vec![
        Case::new("server replies and closes")
            .server(vec![S::Head, send(b"hello back"), S::Close])
            .client(vec![tx(b"hi\r\n\r\n"), C::UntilClose(1000)]),
        Case::new("echo, client closes").server(vec![S::Echo]).client(vec![
            tx(b"ping"),
            C::Idle(100),
            C::ShutWr,
            C::UntilClose(1000),
        ]),
        Case::new("client timeout")
            .fe("timeout client 300ms")
            .server(vec![S::Echo])
            .client(vec![tx(b"ping"), C::UntilClose(2000)]),
        Case::new("server timeout")
            .be("timeout server 300ms")
            .fe("timeout client 3s")
            .server(vec![S::Head])
            .client(vec![tx(b"x\r\n\r\n"), C::UntilClose(2000)]),
        Case::new("refused")
            .no_server()
            .be("server s1 127.0.0.1:1")
            .be("retries 1")
            .be("timeout connect 100ms")
            .client(vec![C::UntilClose(3000)]),
        Case::new("no server").no_server().client(vec![C::UntilClose(2000)]),
        Case::new("null connection").server(vec![S::Echo]).client(vec![C::Idle(100), C::ShutWr, C::UntilClose(1000)]),
        Case::new("null connection, server speaks").server(vec![send(b"banner\r\n"), S::Echo]).client(vec![
            C::Idle(100),
            C::ShutWr,
            C::UntilClose(1000),
        ]),
        Case::new("server resets").server(vec![S::Head, S::Reset]).client(vec![tx(b"x\r\n\r\n"), C::UntilClose(1000)]),
    ]
}

#[test]
fn tcplog_lines() {
    crate::require_haproxy!();
    check("  mode tcp\n  option tcplog\n", &cases());
}

#[test]
fn default_lines_and_dontlognull() {
    crate::require_haproxy!();
    check("  mode tcp\n", &cases());
    check("  mode tcp\n  option tcplog\n  option dontlognull\n", &cases());
}

#[test]
fn dontlog_normal_keeps_only_errors() {
    crate::require_haproxy!();
    check("  mode tcp\n  option tcplog\n  option dontlog-normal\n", &cases());
}

/// Stream numbers (`%rt`, every TCP session counts), log counters and address flags.
#[test]
fn stream_numbers_and_flags() {
    crate::require_haproxy!();
    check("  mode tcp\n  log-format \"%f %rt %lc %{+X}ci %{+Q}si %{+X}si %{+X}rt\"\n", &cases());
}

/// `%ID` in TCP logs: generated for the log line.
#[test]
fn unique_ids_in_tcp_logs() {
    crate::require_haproxy!();
    check("  mode tcp\n  log-format \"%f %ID\"\n  unique-id-format %rt_%{+X}ci_%b\n", &cases());
}

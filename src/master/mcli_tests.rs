use super::*;

const V: &str = "2.6.12-1+deb12u4";

fn table() -> ProcTable {
    let mut t = ProcTable::new(100, 0, V);
    t.started(101, 0);
    t
}

fn text(a: Action) -> String {
    match a {
        Action::Write(b) | Action::WriteAndClose(b) => String::from_utf8(b).unwrap(),
        other => panic!("not a reply: {other:?}"),
    }
}

fn run(s: &mut Session, line: &str) -> String {
    text(s.step(line.as_bytes(), &table(), 0))
}

const TAIL: &str = "  help [<command>]                        : list matching or all commands\n  \
                    prompt                                  : toggle interactive mode with prompt\n  \
                    quit                                    : disconnect\n\n";

#[test]
fn help_lists_the_master_commands() {
    // HAProxy 2.6.12's master CLI, `help`.
    let want = "The following commands are valid at this level:\n  \
        @!<pid>                                 : send a command to the <pid> process\n  \
        @<relative pid>                         : send a command to the <relative pid> process\n  \
        @master                                 : send a command to the master process\n  \
        operator                                : lower the level of the current CLI session to operator\n  \
        reload                                  : reload haproxy\n  \
        show cli level                          : display the level of the current CLI session\n  \
        show cli sockets                        : dump list of cli sockets\n  \
        show proc                               : show processes status\n  \
        show version                            : show version of the current process\n  \
        user                                    : lower the level of the current CLI session to user\n";
    assert_eq!(run(&mut Session::default(), "help"), format!("{want}{TAIL}"));
}

#[test]
fn unknown_commands_get_haproxys_suggestions() {
    // Recorded from HAProxy 2.6.12's master CLI.
    let cases: &[(&str, &[&str])] = &[
        ("foo", &["@!<pid>", "@master", "operator", "reload", "user"]),
        ("proc", &["@!<pid>", "operator", "reload", "show proc", "user"]),
        ("shw proc", &["show proc"]),
        ("relod", &["reload"]),
        ("opera", &["operator", "user"]),
        ("version", &["show version", "user"]),
        ("show info", &["show cli level", "show cli sockets", "show proc", "show version"]),
    ];
    for (line, want) in cases {
        let got = run(&mut Session::default(), line);
        let mut lines = got.lines();
        assert_eq!(
            lines.next(),
            Some("Unknown command, but maybe one of the following ones is a better match:"),
            "{line}"
        );
        let names: Vec<&str> =
            lines.map(|l| l.trim_start().split("  ").next().unwrap().trim_end()).take(want.len()).collect();
        assert_eq!(&names, want, "{line}");
        assert!(got.ends_with(TAIL), "{line}");
    }
}

#[test]
fn master_commands() {
    let mut s = Session::default();
    assert_eq!(run(&mut s, "show version"), format!("{V}\n\n"));
    assert_eq!(run(&mut s, "show cli level"), "admin\n\n");
    assert_eq!(run(&mut s, "operator"), "");
    assert_eq!(run(&mut s, "show cli level"), "operator\n\n");
    assert_eq!(run(&mut s, "user"), "");
    assert_eq!(run(&mut s, "operator"), "");
    assert_eq!(run(&mut s, "show cli level"), "user\n\n");
    assert!(run(&mut s, "show proc").starts_with("#<PID>  "));
    assert_eq!(s.step(b"reload", &table(), 0), Action::Reload);
    assert_eq!(s.step(b"quit", &table(), 0), Action::WriteAndClose(Vec::new()));
}

#[test]
fn prefixes_route_or_fail() {
    let mut s = Session::default();
    assert_eq!(
        s.step(b"@1 show info", &table(), 0),
        Action::Forward { pid: 101, request: b"show info\n".to_vec(), after: Vec::new() }
    );
    assert_eq!(
        s.step(b"@!101 show info", &table(), 0),
        Action::Forward { pid: 101, request: b"show info\n".to_vec(), after: Vec::new() }
    );
    assert_eq!(
        s.step(b"@2 show info", &table(), 0),
        Action::WriteAndClose(b"Can't find the target PID matching the prefix '@2'\n".to_vec())
    );
    assert!(run(&mut s, "@0 show proc").starts_with("#<PID>"));
    // A prefix alone changes where the next requests go.
    assert_eq!(run(&mut s, "@1"), "");
    assert!(matches!(s.step(b"show version", &table(), 0), Action::Forward { pid: 101, .. }));
    assert_eq!(run(&mut s, "@master"), "");
    assert_eq!(run(&mut s, "show version"), format!("{V}\n\n"));
}

#[test]
fn lowered_levels_follow_forwarded_requests() {
    let mut s = Session::default();
    run(&mut s, "operator");
    assert_eq!(
        s.step(b"@1 show info", &table(), 0),
        Action::Forward { pid: 101, request: b"operator -;show info\n".to_vec(), after: Vec::new() }
    );
}

#[test]
fn prompt_mode_shows_the_target() {
    // HAProxy: `prompt`, `show version`, `@1`, `show version`, `@master`.
    let mut s = Session::default();
    assert_eq!(run(&mut s, "prompt"), "master> ");
    assert_eq!(run(&mut s, "show version"), format!("{V}\n\nmaster> "));
    assert_eq!(run(&mut s, "@1"), "101> ");
    assert_eq!(
        s.step(b"show version", &table(), 0),
        Action::Forward { pid: 101, request: b"show version\n".to_vec(), after: b"101> ".to_vec() }
    );
    assert_eq!(run(&mut s, "@master"), "master> ");
    assert_eq!(run(&mut s, "@!999"), "Can't find the target PID matching the prefix '@!999'\nmaster> ");
    assert_eq!(s.step(b"quit", &table(), 0), Action::WriteAndClose(b"master> ".to_vec()));
}

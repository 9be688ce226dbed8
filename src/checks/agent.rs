//! The agent-check reply parser, pure: one line ended by CR or LF, words separated by spaces,
//! tabs or commas (`up`, `down`, `stopped`, `fail`, `ready`, `drain`, `maint`, `N%`,
//! `maxconn:N`), an optional `#` description, the last word of each kind winning, and the first
//! unknown word kept as the error. The state machine (`engine::transitions`) acts on it.

use crate::engine::state::{AgentAdmin, AgentHealth, AgentReply};

/// Parse what the agent sent so far. `None`: the line is not complete yet and more may come.
/// With `last_read` (the agent closed), an incomplete line is reported as such.
pub fn parse(buf: &[u8], last_read: bool) -> Option<AgentReply> {
    // HAProxy scans a NUL-terminated buffer: a NUL byte ends the data like the end does.
    let end = buf.iter().position(|&b| b == b'\n' || b == b'\r' || b == 0);
    let line = match end {
        Some(e) if buf[e] != 0 => &buf[..e],
        _ => {
            if !last_read {
                return None;
            }
            return Some(AgentReply { incomplete: true, ..Default::default() });
        }
    };
    let mut r = AgentReply::default();
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if c == b' ' || c == b'\t' || c == b',' {
            i += 1;
            continue;
        }
        if c == b'#' {
            i += 1;
            while i < line.len() && (line[i] == b'\t' || line[i] == b' ') {
                i += 1;
            }
            let mut d = &line[i..];
            while d.first().is_some_and(|&b| b == b' ' || b == b'\n') {
                d = &d[1..];
            }
            r.description = String::from_utf8_lossy(d).into_owned();
            break;
        }
        let start = i;
        i += 1;
        while i < line.len() && !matches!(line[i], b'\t' | b' ' | b'\n' | b',') {
            i += 1;
        }
        let word = String::from_utf8_lossy(&line[start..i]).into_owned();
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "up" => r.health = Some((word, AgentHealth::Up)),
            "down" => r.health = Some((word, AgentHealth::Down)),
            "stopped" => r.health = Some((word, AgentHealth::Stopped)),
            "fail" => r.health = Some((word, AgentHealth::Fail)),
            "ready" => r.admin = Some(AgentAdmin::Ready),
            "drain" => r.admin = Some(AgentAdmin::Drain),
            "maint" => r.admin = Some(AgentAdmin::Maint),
            _ if word.as_bytes()[0].is_ascii_digit() && word.contains('%') => r.weight = Some(word),
            _ if lower.starts_with("maxconn:") => r.maxconn = Some(word["maxconn:".len()..].to_string()),
            _ => {
                if r.error.is_none() {
                    r.error = Some(word);
                }
            }
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        let r = parse(b"up\n", false).unwrap();
        assert_eq!(r.health, Some(("up".into(), AgentHealth::Up)));
        let r = parse(b"DOWN # backend overloaded\r\n", false).unwrap();
        assert_eq!(r.health, Some(("DOWN".into(), AgentHealth::Down)));
        assert_eq!(r.description, "backend overloaded");
        let r = parse(b"up, drain 75%\tmaxconn:10\n", false).unwrap();
        assert_eq!(
            (r.admin, r.weight.as_deref(), r.maxconn.as_deref()),
            (Some(AgentAdmin::Drain), Some("75%"), Some("10"))
        );
        let r = parse(b"75% junk other\n", false).unwrap();
        assert_eq!(r.error.as_deref(), Some("junk"));
        let r = parse(b"-5%\n", false).unwrap();
        assert_eq!((r.weight, r.error.as_deref()), (None, Some("-5%")));
        let r = parse(b"drain ready\n", false).unwrap();
        assert_eq!(r.admin, Some(AgentAdmin::Ready), "the last word of a kind wins");
    }

    #[test]
    fn incomplete_lines() {
        assert_eq!(parse(b"up", false), None);
        assert!(parse(b"up", true).unwrap().incomplete);
        assert!(parse(b"", true).unwrap().incomplete);
        assert!(parse(b"up\0\n", true).unwrap().incomplete);
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), last in any::<bool>()) {
            let _ = parse(&data, last);
        }

        #[test]
        fn a_complete_line_always_parses(words in proptest::collection::vec("[a-zA-Z0-9%:#]{1,8}", 0..6)) {
            let line = format!("{}\n", words.join(" "));
            prop_assert!(parse(line.as_bytes(), false).is_some());
        }
    }
}

//! `log-forward` sections: a syslog relay. Messages arrive over UDP (`dgram-bind`) or TCP
//! (`bind`, one message per line or octet-counted), are parsed as RFC 5424 or RFC 3164 when
//! their header allows, and go out to the section's `log` targets: unchanged when a target has
//! no `format`, rebuilt in the target's format otherwise (HAProxy 2.6's rules: the sender's
//! priority and timestamp are kept, a missing priority is the target's facility at level 0, a
//! missing RFC 3164 hostname reads `localhost`).

use chrono::{Datelike, Local};

use super::target::SyslogFormat;

/// One received message, split into the syslog fields HAProxy recognises.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message<'a> {
    pub pri: Option<u32>,
    pub stamp: Stamp<'a>,
    pub host: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub pid: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub sd: Option<&'a str>,
    pub text: &'a str,
}

/// The sender's timestamp, as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stamp<'a> {
    #[default]
    None,
    /// `Mmm dd hh:mm:ss`.
    Bsd(&'a str),
    /// An RFC 3339 timestamp.
    Iso(&'a str),
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `<digits>` at the start: the priority and what follows.
fn split_pri(s: &str) -> Option<(u32, &str)> {
    let rest = s.strip_prefix('<')?;
    let end = rest.find('>')?;
    let digits = &rest[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &rest[end + 1..]))
}

/// The next space-separated field and the text after its space; None without a space.
fn field(s: &str) -> Option<(&str, &str)> {
    let (f, rest) = s.split_once(' ')?;
    (!f.is_empty()).then_some((f, rest))
}

fn dash(f: &str) -> Option<&str> {
    (f != "-").then_some(f)
}

/// `1 <stamp> <host> <app> <pid> <msgid> <sd> <msg>` after the priority.
fn parse_5424(s: &str) -> Option<Message<'_>> {
    let s = s.strip_prefix("1 ")?;
    let (stamp, s) = field(s)?;
    if !is_rfc3339(stamp) {
        return None;
    }
    let (host, s) = field(s)?;
    let (tag, s) = field(s)?;
    let (pid, s) = field(s)?;
    let (msgid, s) = field(s)?;
    // Structured data: `-` or bracketed elements (quoted values may hold spaces and `]`).
    let (sd, text) = if let Some(rest) = s.strip_prefix("- ") {
        ("-", rest)
    } else if s == "-" {
        ("-", "")
    } else if s.starts_with('[') {
        let end = sd_end(s)?;
        (&s[..end], s[end..].strip_prefix(' ').unwrap_or(&s[end..]))
    } else {
        return None;
    };
    Some(Message {
        pri: None,
        stamp: Stamp::Iso(stamp),
        host: dash(host),
        tag: dash(tag),
        pid: dash(pid),
        msgid: dash(msgid),
        sd: dash(sd),
        text,
    })
}

/// Where a run of `[...]` structured-data elements ends.
fn sd_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b'[' {
        let mut quoted = false;
        i += 1;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    Some(i)
}

fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| b[i].is_ascii_digit())
}

fn is_bsd_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 15
        && MONTHS.contains(&&s[..3])
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':'
        && [7, 8, 10, 11, 13, 14].iter().all(|&i| b[i].is_ascii_digit())
}

/// `Mmm dd hh:mm:ss <host> [<tag>[\[<pid>\]]: ]<msg>` after the priority.
fn parse_3164(s: &str) -> Option<Message<'_>> {
    let stamp = s.get(..15).filter(|t| is_bsd_stamp(t))?;
    let (host, rest) = field(s[15..].strip_prefix(' ')?)?;
    let mut m = Message { stamp: Stamp::Bsd(stamp), host: Some(host), text: rest, ..Default::default() };
    // A tag is the first word when it ends with `:` (or `[pid]:`).
    if let Some((word, text)) = rest.split_once(' ').or(Some((rest, ""))) {
        if let Some(t) = word.strip_suffix(':') {
            match t.split_once('[') {
                Some((tag, pid)) if pid.ends_with(']') && !tag.is_empty() => {
                    m.tag = Some(tag);
                    m.pid = Some(&pid[..pid.len() - 1]);
                    m.text = text;
                }
                None if !t.is_empty() => {
                    m.tag = Some(t);
                    m.text = text;
                }
                _ => {}
            }
        }
    }
    Some(m)
}

/// Split a received message (its trailing line feed already removed).
pub fn parse(raw: &str) -> Message<'_> {
    let Some((pri, rest)) = split_pri(raw) else {
        return Message { text: raw, ..Default::default() };
    };
    let mut m = parse_5424(rest).or_else(|| parse_3164(rest)).unwrap_or(Message { text: rest, ..Default::default() });
    m.pri = Some(pri);
    m
}

/// The RFC 3339 rendering of a timestamp (RFC 3164 ones get the current year and `-00:00`).
fn iso_stamp(stamp: Stamp, out: &mut String) {
    match stamp {
        Stamp::Iso(s) => out.push_str(s),
        Stamp::Bsd(s) => {
            let month = MONTHS.iter().position(|m| *m == &s[..3]).unwrap_or(0) + 1;
            let day = s[4..6].trim_start();
            out.push_str(&format!("{}-{month:02}-{day:0>2}T{}-00:00", Local::now().year(), &s[7..15]));
        }
        Stamp::None => out.push_str(&Local::now().format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()),
    }
}

/// The RFC 3164 rendering of a timestamp.
fn bsd_stamp(stamp: Stamp, out: &mut String) {
    match stamp {
        Stamp::Bsd(s) => out.push_str(s),
        Stamp::Iso(s) => {
            let month: usize = s[5..7].parse().unwrap_or(1);
            let day: u32 = s[8..10].parse().unwrap_or(1);
            let name = MONTHS.get(month.wrapping_sub(1)).copied().unwrap_or("Jan");
            out.push_str(&format!("{name} {day:>2} {}", &s[11..19]));
        }
        Stamp::None => out.push_str(&Local::now().format("%b %e %H:%M:%S").to_string()),
    }
}

/// The message as a target in `format` sends it (without the line feed); `facility` stands in
/// for a missing priority, at level 0.
pub fn render(m: &Message, format: SyslogFormat, facility: u8) -> String {
    let pri = m.pri.unwrap_or(u32::from(facility) * 8);
    let mut out = String::with_capacity(m.text.len() + 64);
    match format {
        SyslogFormat::Rfc3164 | SyslogFormat::Local => {
            out.push_str(&format!("<{pri}>"));
            bsd_stamp(m.stamp, &mut out);
            out.push(' ');
            if format == SyslogFormat::Rfc3164 {
                out.push_str(m.host.unwrap_or("localhost"));
                out.push(' ');
            }
            if let Some(tag) = m.tag {
                out.push_str(tag);
                if let Some(pid) = m.pid {
                    out.push_str(&format!("[{pid}]"));
                }
                out.push_str(": ");
            }
        }
        SyslogFormat::Rfc5424 => {
            out.push_str(&format!("<{pri}>1 "));
            iso_stamp(m.stamp, &mut out);
            for f in [m.host, m.tag, m.pid, m.msgid, m.sd] {
                out.push(' ');
                out.push_str(f.unwrap_or("-"));
            }
            out.push(' ');
        }
        SyslogFormat::Raw => {}
        SyslogFormat::Short => out.push_str(&format!("<{}>", pri & 7)),
        SyslogFormat::Timed => {
            out.push_str(&format!("<{}>", pri & 7));
            iso_stamp(m.stamp, &mut out);
            out.push(' ');
        }
        SyslogFormat::Iso => {
            iso_stamp(m.stamp, &mut out);
            out.push(' ');
        }
        SyslogFormat::Priority => out.push_str(&format!("<{pri}>")),
    }
    out.push_str(m.text);
    out
}

/// The syslog level a target filters the message on.
pub fn level(m: &Message) -> u8 {
    m.pri.map_or(0, |p| (p & 7) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_fields() {
        let m = parse("<134>Nov 21 10:00:00 myhost app[12]: hello 3164");
        assert_eq!(m.pri, Some(134));
        assert_eq!(m.stamp, Stamp::Bsd("Nov 21 10:00:00"));
        assert_eq!((m.host, m.tag, m.pid, m.text), (Some("myhost"), Some("app"), Some("12"), "hello 3164"));
        let m = parse("<134>Nov 21 10:00:00 myhost app[12] missing colon");
        assert_eq!((m.tag, m.text), (None, "app[12] missing colon"));
        let m = parse("<134>Nov 21 10:00:00");
        assert_eq!((m.stamp, m.text), (Stamp::None, "Nov 21 10:00:00"));
    }

    #[test]
    fn rfc5424_fields() {
        let m = parse("<165>1 2026-11-21T10:00:00.123Z host2 app2 99 ID7 [ex@1 a=\"b]\"] sd 5424");
        assert_eq!(m.stamp, Stamp::Iso("2026-11-21T10:00:00.123Z"));
        assert_eq!((m.sd, m.text), (Some("[ex@1 a=\"b]\"]"), "sd 5424"));
        assert_eq!(render(&m, SyslogFormat::Rfc3164, 19), "<165>Nov 21 10:00:00 host2 app2[99]: sd 5424");
        assert_eq!(render(&m, SyslogFormat::Local, 19), "<165>Nov 21 10:00:00 app2[99]: sd 5424");
        assert_eq!(render(&m, SyslogFormat::Short, 19), "<5>sd 5424");
    }

    #[test]
    fn without_a_header() {
        let m = parse("hello");
        assert_eq!(m.pri, None);
        assert_eq!(level(&m), 0);
        assert_eq!(render(&m, SyslogFormat::Priority, 19), "<152>hello");
        assert_eq!(render(&m, SyslogFormat::Raw, 19), "hello");
        assert!(render(&m, SyslogFormat::Rfc3164, 19).ends_with(" localhost hello"));
        let m = parse("<999>bad pri");
        assert_eq!((level(&m), render(&m, SyslogFormat::Short, 0)), (7, "<7>bad pri".to_string()));
    }

    #[test]
    fn bsd_stamps_become_iso_ones() {
        let m = parse("<134>Nov  1 10:00:00 h t: x");
        let iso = render(&m, SyslogFormat::Iso, 0);
        assert!(iso.ends_with("-11-01T10:00:00-00:00 x"), "{iso}");
    }
}

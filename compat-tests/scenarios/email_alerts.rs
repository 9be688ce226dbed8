//! `email-alert` with a `mailers` section: which server state changes are mailed, at which
//! `email-alert level`, and the SMTP session (HELO, envelope, headers, body) a mailer sees.

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::runtime_api::Cli;
use crate::harness::compare::{assert_same, both};
use crate::harness::mock_http::{Behavior, MockHttp};
use crate::harness::normalize;
use crate::harness::ports::reserved_listener;
use crate::harness::proc::Impl;
use crate::harness::wait::wait_until;

/// A mail server answering every command positively; records each session's lines.
struct Smtp {
    port: u16,
    sessions: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Smtp {
    fn start() -> Smtp {
        let (l, port) = reserved_listener();
        let sessions: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let all = sessions.clone();
        // Detached: blocked in accept once the test is over, harmless.
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { return };
                let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                let idx = {
                    let mut s = all.lock().unwrap();
                    s.push(Vec::new());
                    s.len() - 1
                };
                let _ = c.write_all(b"220 mock ESMTP\r\n");
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut in_data = false;
                let mut line = String::new();
                while r.read_line(&mut line).unwrap_or(0) > 0 {
                    all.lock().unwrap()[idx].push(line.clone());
                    let reply: &[u8] = if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            b"250 queued\r\n"
                        } else {
                            b""
                        }
                    } else if line.to_ascii_uppercase().starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if line.to_ascii_uppercase().starts_with("QUIT") {
                        let _ = c.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = c.write_all(reply);
                    line.clear();
                }
            }
        });
        Smtp { port, sessions }
    }

    fn subjects(&self) -> Vec<String> {
        let s = self.sessions.lock().unwrap();
        s.iter().flatten().filter(|l| l.starts_with("Subject:")).cloned().collect()
    }

    fn wait_subject(&self, needle: &str) {
        self.wait_subjects(needle, 1);
    }

    fn wait_subjects(&self, needle: &str, n: usize) {
        wait_until(Duration::from_secs(10), || self.subjects().iter().filter(|s| s.contains(needle)).count() >= n);
    }
}

/// Check durations and the Date header vary from run to run.
fn norm(s: &str) -> String {
    let s = normalize::volatile(s);
    let mut out = String::new();
    for line in s.lines() {
        let line = if line.starts_with("Date: ") { "Date: DATE".to_string() } else { line.to_string() };
        let line = match line.find("check duration: ") {
            Some(i) => {
                let rest = &line[i + 16..];
                let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
                format!("{}check duration: N{}", &line[..i], &rest[digits..])
            }
            None => line,
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

const CFG: &str = "\
mailers mx
    timeout mail 5s
    mailer m1 127.0.0.1:${MAIL}
backend be
    option httpchk GET /
    option log-health-checks
    email-alert mailers mx
    email-alert from haproxy@example.com
    email-alert to ops@example.com
    email-alert level info
    email-alert myhostname me.example
    server s1 127.0.0.1:${WEB} check inter 100 fall 1 rise 1
backend quiet
    email-alert mailers mx
    email-alert from haproxy@example.com
    email-alert to ops@example.com
    server q1 127.0.0.1:${WEB} check inter 100 fall 1 rise 1
    server q2 127.0.0.1:${WEB} check inter 100 fall 1 rise 1
";

#[test]
fn mailed_state_changes_match() {
    crate::require_haproxy!();
    let [theirs, ours] = both(|imp: Impl| {
        let web = MockHttp::start("web");
        let smtp = Smtp::start();
        let cfg = format!("{}{CFG}", super::runtime_api::ADMIN_HTTP);
        let c = Cli::start_with(imp, &cfg, &web, &[("MAIL", smtp.port.to_string())]);
        c.settle();
        web.on_path("/", Behavior::Status(500));
        smtp.wait_subject("Server be/s1 is DOWN");
        web.on_path("/", Behavior::Status(200));
        smtp.wait_subject("Server be/s1 is UP");
        c.cmd("set server be/s1 state drain");
        smtp.wait_subject("enters drain state");
        c.cmd("set server be/s1 state maint");
        c.cmd("set server be/s1 state ready");
        c.cmd("set server be/s1 health down");
        smtp.wait_subject("be/s1 is DOWN, changed from CLI");
        // The next check brings it back: that mail comes before the next step's.
        smtp.wait_subjects("Server be/s1 is UP", 2);
        // `quiet` mails at the default level (alert): a drain is not mailed, nor the DOWN of a
        // drained server (logged at notice); a DOWN is.
        c.cmd("set server quiet/q1 state drain");
        c.cmd("set server quiet/q1 health down");
        c.cmd("set server quiet/q2 health down");
        smtp.wait_subject("quiet/q2 is DOWN");
        // Nothing more comes: the last mail arrived after every event above.
        std::thread::sleep(Duration::from_millis(300));
        let sessions = smtp.sessions.lock().unwrap().clone();
        let mut out = format!("{} sessions\n", sessions.len());
        for s in &sessions {
            out.push_str("--- session\n");
            out.push_str(&norm(&s.concat()));
        }
        out
    });
    assert!(theirs.contains("Subject: [HAProxy Alert] Server be/s1 is DOWN"), "{theirs}");
    assert_same("email alerts", &theirs, &ours);
}

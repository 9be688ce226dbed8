//! Email alerts (`email-alert` with a `mailers` section): the server state changes HAProxy
//! mails — a server going DOWN or UP, or entering drain (at the level of their log line), and
//! the `option log-health-checks` reports (info) — sent to every mailer of the section, one SMTP
//! session per message, one message at a time per mailer, the whole session bounded by
//! `timeout mail` (10 s by default). A mailer that fails loses that message, as in HAProxy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::state::{Event, OpState};
use crate::ir::keywords::global::LEVELS;
use crate::ir::types::{AuxDetail, Config, Proxy};

const LOG_ALERT: u8 = 1;
const LOG_INFO: u8 = 6;

/// The level at which HAProxy mails an event logged at `logged`, None for events it does not
/// mail. State changes are mailed at their log level (a server going DOWN from drain or
/// stopping logs, and mails, at notice); check reports log at notice but mail at info.
pub fn level_of(ev: &Event, logged: u8) -> Option<u8> {
    match ev {
        Event::CheckReport { .. } => Some(LOG_INFO),
        Event::Op { to: OpState::Stopping, .. } => None,
        Event::Op { .. } | Event::DrainEnter { .. } => Some(logged),
        _ => None,
    }
}

/// One proxy's email alert settings and its mailers' queues.
pub struct Alerts {
    from: String,
    to: String,
    myhostname: String,
    level: u8,
    queues: Vec<mpsc::UnboundedSender<String>>,
}

/// A mailer's queue, waiting for the runtime to start its sender.
pub struct Sender {
    addr: SocketAddr,
    timeout: Duration,
    queue: mpsc::UnboundedReceiver<String>,
}

impl Alerts {
    /// The settings of `p` when they are complete and name a known mailers section (HAProxy
    /// ignores them otherwise, with the warnings `-c` prints); the senders to start.
    pub fn build(cfg: &Config, p: &Proxy) -> Option<(Alerts, Vec<Sender>)> {
        let e = &p.email_alert;
        let (from, to, mref) = (e.from.as_ref()?, e.to.as_ref()?, e.mailers.as_ref()?);
        let section = cfg.mailers.iter().find(|m| m.name == mref.name)?;
        let AuxDetail::Mailers(spec) = &section.detail else { return None };
        let timeout = Duration::from_millis(u64::from(spec.timeout_mail.unwrap_or(10_000)));
        let mut queues = Vec::new();
        let mut senders = Vec::new();
        for (_, addr) in &spec.mailers {
            let Some(addr) = std::net::ToSocketAddrs::to_socket_addrs(addr.as_str()).ok().and_then(|mut a| a.next())
            else {
                continue;
            };
            let (tx, rx) = mpsc::unbounded_channel();
            queues.push(tx);
            senders.push(Sender { addr, timeout, queue: rx });
        }
        let level = e.level.as_deref().and_then(|l| LEVELS.iter().position(|x| *x == l)).map_or(LOG_ALERT, |p| p as u8);
        let myhostname = e.myhostname.clone().unwrap_or_else(crate::config::env::hostname);
        Some((Alerts { from: from.clone(), to: to.clone(), myhostname, level, queues }, senders))
    }

    /// Mail the log line of an event at `level` (its final period left out, as HAProxy does).
    pub fn send(&self, level: u8, line: &str) {
        if level > self.level {
            return;
        }
        let text = line.strip_suffix('.').unwrap_or(line);
        let date = chrono::Local::now();
        let zone =
            if date.offset().local_minus_utc() == 0 { "UTC".to_string() } else { date.format("%:z").to_string() };
        let message = format!(
            "From: {}\r\nTo: {}\r\nDate: {} ({zone})\r\nSubject: [HAProxy Alert] {text}\r\n\r\n{text}\r\n\r\n.\r\n",
            self.from,
            self.to,
            date.format("%a, %d %b %Y %H:%M:%S %z"),
        );
        for q in &self.queues {
            let _ = q.send(message.clone());
        }
    }
}

impl Sender {
    /// Send this mailer's messages one after the other, for as long as the process runs.
    pub fn spawn(mut self, alerts: Arc<Alerts>) {
        tokio::spawn(async move {
            while let Some(message) = self.queue.recv().await {
                let session = deliver(self.addr, &alerts, &message);
                let _ = tokio::time::timeout(self.timeout, session).await;
            }
        });
    }
}

/// Read one SMTP reply (its last line) and check its code.
async fn expect<R: AsyncBufReadExt + Unpin>(r: &mut R, code: &str) -> Option<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        // `250-...` continues a multi-line reply.
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            break;
        }
    }
    line.starts_with(code).then_some(())
}

/// One SMTP session: greeting, HELO, MAIL FROM, RCPT TO, DATA, the message, QUIT.
async fn deliver(addr: SocketAddr, a: &Alerts, message: &str) -> Option<()> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    expect(&mut rd, "220").await?;
    let steps = [
        (format!("HELO {}\r\n", a.myhostname), "250"),
        (format!("MAIL FROM:<{}>\r\n", a.from), "250"),
        (format!("RCPT TO:<{}>\r\n", a.to), "250"),
        ("DATA\r\n".to_string(), "354"),
        (message.to_string(), "250"),
        ("QUIT\r\n".to_string(), "221"),
    ];
    for (send, code) in steps {
        wr.write_all(send.as_bytes()).await.ok()?;
        expect(&mut rd, code).await?;
    }
    Some(())
}

/// A mailer's sender with the alerts it sends for.
pub type PendingSender = (Sender, Arc<Alerts>);

/// The email alerts of every backend (by backend index) and the senders to start.
pub fn build_all(cfg: &Config, backends: &[(usize, &Proxy)]) -> (Vec<Option<Arc<Alerts>>>, Vec<PendingSender>) {
    let mut alerts = vec![None; backends.len()];
    let mut senders = Vec::new();
    for (idx, p) in backends {
        if let Some((a, s)) = Alerts::build(cfg, p) {
            let a = Arc::new(a);
            senders.extend(s.into_iter().map(|s| (s, a.clone())));
            alerts[*idx] = Some(a);
        }
    }
    (alerts, senders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailed_events_and_levels() {
        assert_eq!(level_of(&Event::BackendDown, 0), None);
        assert_eq!(level_of(&Event::MaintRemainsForced, 5), None);
        assert_eq!(level_of(&Event::DrainRemainsForced, 5), None);
    }

    #[tokio::test]
    async fn replies_are_read_to_their_last_line() {
        let mut r = BufReader::new(&b"250-first\r\n250 last\r\n500 no\r\n"[..]);
        assert_eq!(expect(&mut r, "250").await, Some(()));
        assert_eq!(expect(&mut r, "250").await, None);
    }
}

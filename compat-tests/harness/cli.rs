//! A runtime-API (stats socket) client, the way socat and the common tools use it:
//! one-shot (`send a line, read to EOF`) and a prompt-mode session (`prompt`, then one reply per
//! command, each ending in `"\n> "`). Works over a Unix socket path or a TCP port on 127.0.0.1.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the stats socket listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliAddr {
    Unix(PathBuf),
    Tcp(u16),
}

impl From<&Path> for CliAddr {
    fn from(p: &Path) -> Self {
        CliAddr::Unix(p.to_path_buf())
    }
}
impl From<PathBuf> for CliAddr {
    fn from(p: PathBuf) -> Self {
        CliAddr::Unix(p)
    }
}

/// How long a reply may take before the client gives up (a hang is a failure, not a wait).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

trait Conn: Read + Write + Send {
    fn shutdown_write(&self) -> io::Result<()>;
}
impl Conn for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}
impl Conn for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

fn connect(addr: &CliAddr) -> io::Result<Box<dyn Conn>> {
    Ok(match addr {
        CliAddr::Unix(p) => {
            let s = UnixStream::connect(p)?;
            s.set_read_timeout(Some(REPLY_TIMEOUT))?;
            Box::new(s)
        }
        CliAddr::Tcp(port) => {
            let s = TcpStream::connect(("127.0.0.1", *port))?;
            s.set_read_timeout(Some(REPLY_TIMEOUT))?;
            Box::new(s)
        }
    })
}

fn read_to_eof(c: &mut dyn Conn) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    c.read_to_end(&mut out)?;
    Ok(out)
}

/// Send `line` (a `\n` is appended) and read the reply until the server closes. The write side
/// stays open: the server must close by itself after a one-shot command, as tools expect.
pub fn cmd(addr: impl Into<CliAddr>, line: &str) -> io::Result<String> {
    cmd_bytes(addr, format!("{line}\n").as_bytes()).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Send raw bytes (several commands, `;`-separated lines, payloads...) and read to EOF.
pub fn cmd_bytes(addr: impl Into<CliAddr>, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut c = connect(&addr.into())?;
    c.write_all(input)?;
    read_to_eof(c.as_mut())
}

/// Like socat: send, half-close, read to EOF.
pub fn cmd_half_close(addr: impl Into<CliAddr>, input: &str) -> io::Result<String> {
    let mut c = connect(&addr.into())?;
    c.write_all(input.as_bytes())?;
    c.shutdown_write()?;
    read_to_eof(c.as_mut()).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// An interactive (`prompt`) session.
pub struct PromptSession {
    conn: Box<dyn Conn>,
    /// Bytes read past the last prompt.
    pending: Vec<u8>,
}

impl PromptSession {
    /// Connect and switch to prompt mode; the `prompt` reply (`"\n> "`) is consumed.
    pub fn open(addr: impl Into<CliAddr>) -> io::Result<PromptSession> {
        let mut s = PromptSession { conn: connect(&addr.into())?, pending: Vec::new() };
        s.conn.write_all(b"prompt\n")?;
        s.read_reply("> ")?;
        Ok(s)
    }

    /// Send one command line and return the reply up to (not including) the next `"> "` prompt.
    /// The reply keeps its own trailing newline(s): a typical reply reads `"...\n\n"`.
    pub fn cmd(&mut self, line: &str) -> io::Result<String> {
        self.send_raw(format!("{line}\n").as_bytes())?;
        self.read_reply("> ")
    }

    /// Write raw bytes without waiting for anything.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.conn.write_all(bytes)
    }

    /// Read until the accumulated output ends with `prompt` (`"> "` normally, `"+ "` in payload
    /// mode) and nothing more is immediately pending; return what came before it.
    pub fn read_reply(&mut self, prompt: &str) -> io::Result<String> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        let mut buf = [0u8; 16384];
        loop {
            if self.pending.ends_with(prompt.as_bytes()) {
                let n = self.pending.len() - prompt.len();
                let reply = String::from_utf8_lossy(&self.pending[..n]).into_owned();
                self.pending.clear();
                return Ok(reply);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no prompt in time"));
            }
            match self.conn.read(&mut buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("closed before prompt; got {:?}", String::from_utf8_lossy(&self.pending)),
                    ))
                }
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e),
            }
        }
    }

    /// Read whatever remains until the server closes (after `quit`, or leaving prompt mode).
    pub fn read_to_eof(mut self) -> io::Result<String> {
        let mut rest = std::mem::take(&mut self.pending);
        rest.extend(read_to_eof(self.conn.as_mut())?);
        Ok(String::from_utf8_lossy(&rest).into_owned())
    }
}

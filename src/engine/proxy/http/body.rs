//! Message bodies: how long they are (Content-Length, chunked, until close, none) and moving
//! them from one side to the other. Content-Length and close-delimited bodies are written
//! straight from the read buffer. Chunked bodies are decoded and re-chunked as HAProxy does:
//! whatever one read brought becomes one chunk (several small chunks merge, a partial chunk is
//! sent as a chunk of its partial size), sizes in upper-case hex, extensions dropped, trailers
//! passed on with lowercase names and trimmed values.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
    /// Ends when the sender closes (responses only).
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// The sending side closed or failed before the end.
    SrcClosed,
    /// The sending side reset the connection.
    SrcReset,
    /// Malformed chunked framing.
    Invalid,
    /// Writing to the receiving side failed.
    DstFailed,
    /// The sending side was silent for longer than its timeout.
    SrcTimeout,
    /// The receiving side did not take the data in time.
    DstTimeout,
}

/// Where the decoder is inside a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// A chunked-body decoder that re-encodes what it decodes.
#[derive(Debug, Clone, Copy)]
pub struct ChunkDecoder {
    state: Chunk,
}

/// Room kept at the start of the output for the chunk-size line (16 hex digits + CRLF).
const SIZE_ROOM: usize = 18;

impl Default for ChunkDecoder {
    fn default() -> Self {
        ChunkDecoder { state: Chunk::Size }
    }
}

impl ChunkDecoder {
    pub fn done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Decode as much of `buf` as possible. With `out`, the payload found becomes one chunk and,
    /// at the end, the last chunk with the trailers; without, the input is only checked. Returns
    /// the bytes HAProxy accounts for (payload, trailer names and values, one for the end).
    /// `Ok` with `done()` false: more input is needed.
    pub fn decode(&mut self, buf: &mut BytesMut, mut out: Option<&mut Vec<u8>>) -> Result<u64, BodyError> {
        let mut counted = 0u64;
        let data_start = if let Some(o) = out.as_deref_mut() {
            o.clear();
            o.resize(SIZE_ROOM, 0);
            SIZE_ROOM
        } else {
            0
        };
        let mut start = data_start;
        loop {
            match self.state {
                Chunk::Done => break,
                Chunk::Size => {
                    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                        if buf.len() > 1024 {
                            return Err(BodyError::Invalid);
                        }
                        break;
                    };
                    let line = &buf[..nl];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let hex_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
                    if hex_end == 0 {
                        return Err(BodyError::Invalid);
                    }
                    let mut size: u64 = 0;
                    for &d in &line[..hex_end] {
                        let v = (d as char).to_digit(16).unwrap_or(0) as u64;
                        size = size.checked_mul(16).and_then(|s| s.checked_add(v)).ok_or(BodyError::Invalid)?;
                    }
                    let rest = &line[hex_end..];
                    let ext = rest.iter().position(|&b| b != b' ' && b != b'\t').map(|p| &rest[p..]).unwrap_or(b"");
                    if !ext.is_empty() && ext[0] != b';' {
                        return Err(BodyError::Invalid);
                    }
                    buf.advance(nl + 1);
                    self.state = if size == 0 { Chunk::Trailers } else { Chunk::Data(size) };
                }
                Chunk::Data(left) => {
                    if buf.is_empty() {
                        break;
                    }
                    let n = (buf.len() as u64).min(left) as usize;
                    if let Some(o) = out.as_deref_mut() {
                        o.extend_from_slice(&buf[..n]);
                    }
                    buf.advance(n);
                    counted += n as u64;
                    self.state = if left == n as u64 { Chunk::DataEnd } else { Chunk::Data(left - n as u64) };
                }
                Chunk::DataEnd => {
                    if buf.starts_with(b"\r\n") {
                        buf.advance(2);
                    } else if buf.starts_with(b"\n") {
                        buf.advance(1);
                    } else if buf.len() >= 2 || (buf.len() == 1 && buf[0] != b'\r') {
                        return Err(BodyError::Invalid);
                    } else {
                        break;
                    }
                    self.state = Chunk::Size;
                }
                Chunk::Trailers => {
                    // The whole trailer block at once, up to its empty line.
                    let mut end = None;
                    let mut i = 0;
                    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
                        let line = &buf[i..i + off];
                        if line.is_empty() || line == b"\r" {
                            end = Some(i + off + 1);
                            break;
                        }
                        i += off + 1;
                    }
                    let Some(end) = end else {
                        if buf.len() > 16384 {
                            return Err(BodyError::Invalid);
                        }
                        break;
                    };
                    if let Some(o) = out.as_deref_mut() {
                        if o.len() > data_start {
                            start = close_chunk(o, data_start);
                        }
                        o.extend_from_slice(b"0\r\n");
                    }
                    counted += 1;
                    for line in buf[..end].split(|&b| b == b'\n') {
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        if line.is_empty() {
                            continue;
                        }
                        let c = line.iter().position(|&b| b == b':').ok_or(BodyError::Invalid)?;
                        let name = &line[..c];
                        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
                            return Err(BodyError::Invalid);
                        }
                        let value = super::parse::trim(&line[c + 1..]);
                        counted += (c + value.len()) as u64;
                        if let Some(o) = out.as_deref_mut() {
                            o.extend(name.iter().map(u8::to_ascii_lowercase));
                            o.extend_from_slice(b": ");
                            o.extend_from_slice(value);
                            o.extend_from_slice(b"\r\n");
                        }
                    }
                    if let Some(o) = out.as_deref_mut() {
                        o.extend_from_slice(b"\r\n");
                    }
                    buf.advance(end);
                    self.state = Chunk::Done;
                }
            }
        }
        if let Some(o) = out {
            if self.state != Chunk::Done && o.len() > data_start {
                start = close_chunk(o, data_start);
            }
            if o.len() == data_start && start == data_start {
                o.clear();
            } else {
                o.drain(..start);
            }
        }
        Ok(counted)
    }
}

/// Finish the chunk whose payload starts at `data_start`: write its size line right before the
/// payload (in the room left for it) and a CRLF after. Returns where the output now starts.
fn close_chunk(o: &mut Vec<u8>, data_start: usize) -> usize {
    let len = o.len() - data_start;
    let mut hex = [0u8; 16];
    let mut n = 0;
    let mut v = len;
    loop {
        hex[n] = b"0123456789ABCDEF"[v & 15];
        n += 1;
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    let start = data_start - n - 2;
    for i in 0..n {
        o[start + i] = hex[n - 1 - i];
    }
    o[data_start - 2] = b'\r';
    o[data_start - 1] = b'\n';
    o.extend_from_slice(b"\r\n");
    start
}

/// Is the start of a chunked body that came with the head well formed so far? (HAProxy refuses
/// the request at once, before anything is sent, when the first read already shows bad framing.)
pub fn chunked_prefix_ok(buf: &[u8]) -> bool {
    let mut copy = BytesMut::from(buf);
    ChunkDecoder::default().decode(&mut copy, None).is_ok()
}

/// The size HAProxy accounts for the part of a body already in `buf`.
pub fn buffered_size(framing: Framing, buf: &[u8]) -> u64 {
    match framing {
        Framing::None => 0,
        Framing::Length(n) => n.min(buf.len() as u64),
        Framing::UntilClose => buf.len() as u64,
        Framing::Chunked => {
            let mut copy = BytesMut::from(buf);
            ChunkDecoder::default().decode(&mut copy, None).unwrap_or(0)
        }
    }
}

/// Timeouts and activity reporting for one body transfer.
pub struct Pace<'a> {
    /// Inactivity timeout of the sending side.
    pub src: Duration,
    /// How long a write may wait for the receiving side.
    pub dst: Duration,
    /// Set to `clock()` on every write, for a peer timeout that counts from the last activity.
    pub activity: Option<&'a AtomicU64>,
    pub clock: fn() -> u64,
}

async fn fill<R: AsyncRead + Unpin>(src: &mut R, buf: &mut BytesMut, timeout: Duration) -> Result<usize, BodyError> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 * 1024);
    }
    match tokio::time::timeout(timeout, src.read_buf(buf)).await {
        Ok(Ok(0)) => Err(BodyError::SrcClosed),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Err(BodyError::SrcReset),
        Ok(Err(_)) => Err(BodyError::SrcClosed),
        Err(_) => Err(BodyError::SrcTimeout),
    }
}

async fn put<W: AsyncWrite + Unpin>(dst: &mut W, data: &[u8], pace: &Pace<'_>) -> Result<(), BodyError> {
    match tokio::time::timeout(pace.dst, dst.write_all(data)).await {
        Ok(Ok(())) => {
            if let Some(a) = pace.activity {
                a.store((pace.clock)(), Ordering::Relaxed);
            }
            Ok(())
        }
        Ok(Err(_)) => Err(BodyError::DstFailed),
        Err(_) => Err(BodyError::DstTimeout),
    }
}

/// Move a body from `src` to `dst`. `buf` holds bytes already read from `src` after the head;
/// on return it holds whatever followed the body (a pipelined message). `out` is scratch space
/// for re-chunking. `total` grows by the size HAProxy accounts for what was sent, also when the
/// transfer fails half way.
pub async fn forward<R, W>(
    framing: Framing,
    src: &mut R,
    buf: &mut BytesMut,
    dst: &mut W,
    out: &mut Vec<u8>,
    pace: &Pace<'_>,
    total: &mut u64,
) -> Result<(), BodyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match framing {
        Framing::None => Ok(()),
        Framing::Length(mut left) => {
            while left > 0 {
                if buf.is_empty() {
                    fill(src, buf, pace.src).await?;
                }
                let n = (buf.len() as u64).min(left) as usize;
                // Counted once handed over, as HAProxy counts what it forwards.
                *total += n as u64;
                put(dst, &buf[..n], pace).await?;
                buf.advance(n);
                left -= n as u64;
            }
            Ok(())
        }
        Framing::UntilClose => loop {
            if !buf.is_empty() {
                *total += buf.len() as u64;
                put(dst, buf, pace).await?;
                buf.clear();
            }
            match fill(src, buf, pace.src).await {
                Ok(_) => {}
                Err(BodyError::SrcClosed) => return Ok(()),
                Err(e) => return Err(e),
            }
        },
        Framing::Chunked => {
            let mut dec = ChunkDecoder::default();
            loop {
                *total += dec.decode(buf, Some(out))?;
                if !out.is_empty() {
                    put(dst, out, pace).await?;
                }
                if dec.done() {
                    return Ok(());
                }
                fill(src, buf, pace.src).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> u64 {
        0
    }

    async fn run(framing: Framing, input: &[u8]) -> (Result<u64, BodyError>, Vec<u8>, Vec<u8>) {
        let mut src: &[u8] = &[];
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let pace = Pace { src: Duration::from_secs(1), dst: Duration::from_secs(1), activity: None, clock: now };
        let mut total = 0;
        let r = forward(framing, &mut src, &mut buf, &mut out, &mut scratch, &pace, &mut total).await;
        (r.map(|()| total), out, buf.to_vec())
    }

    #[tokio::test]
    async fn chunked_is_rechunked() {
        let (r, out, rest) =
            run(Framing::Chunked, b"3;ext=1\r\nabc\r\n005\r\nhello\r\n0\r\nX-Trailer:  t \r\n\r\nNEXT").await;
        assert_eq!(r, Ok(8 + 1 + 10));
        assert_eq!(out, b"8\r\nabchello\r\n0\r\nx-trailer: t\r\n\r\n");
        assert_eq!(rest, b"NEXT");
        let big = [b"1a\r\n".as_slice(), &[b'x'; 26], b"\r\n0\r\n\r\n"].concat();
        let (_, out, _) = run(Framing::Chunked, &big).await;
        assert!(out.starts_with(b"1A\r\nxx"));
    }

    #[tokio::test]
    async fn partial_chunks_go_out_as_they_come() {
        let mut dec = ChunkDecoder::default();
        let mut out = Vec::new();
        let mut buf = BytesMut::from(&b"A\r\n01234"[..]);
        assert_eq!(dec.decode(&mut buf, Some(&mut out)), Ok(5));
        assert_eq!(out, b"5\r\n01234\r\n");
        let mut buf = BytesMut::from(&b"56789\r\n0\r\n\r\n"[..]);
        dec.decode(&mut buf, Some(&mut out)).unwrap();
        assert_eq!(out, b"5\r\n56789\r\n0\r\n\r\n");
        assert!(dec.done());
    }

    #[tokio::test]
    async fn length_keeps_the_rest() {
        let (r, out, rest) = run(Framing::Length(5), b"helloGET").await;
        assert_eq!((r, out.as_slice(), rest.as_slice()), (Ok(5), &b"hello"[..], &b"GET"[..]));
    }

    #[tokio::test]
    async fn truncated_and_invalid() {
        assert_eq!(run(Framing::Length(10), b"abc").await.0, Err(BodyError::SrcClosed));
        assert_eq!(run(Framing::Chunked, b"zz\r\n").await.0, Err(BodyError::Invalid));
        assert_eq!(run(Framing::UntilClose, b"all").await.0, Ok(3));
        assert!(chunked_prefix_ok(b"3\r\nab"));
        assert!(!chunked_prefix_ok(b"3\r\nabcX"));
    }
}

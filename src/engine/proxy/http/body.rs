//! Message bodies: how long they are (Content-Length, chunked, until close, none) and moving
//! them from one side to the other. Content-Length and close-delimited bodies are written
//! straight from the read buffer. Chunked bodies are decoded and re-chunked as HAProxy does:
//! whatever one read brought becomes one chunk (several small chunks merge, a partial chunk is
//! sent as a chunk of its partial size), sizes in upper-case hex, extensions dropped, trailers
//! passed on with lowercase names and trimmed values.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use std::io::IoSlice;

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

/// A chunked-body decoder. It reads without copying: what one pass over the input found is a
/// list of payload ranges in the input and, at the end, the last chunk with the trailers
/// (names lowercased, values trimmed), from which the re-encoded output is written.
#[derive(Debug, Clone, Copy)]
pub struct ChunkDecoder {
    state: Chunk,
}

/// What one pass of the decoder found.
#[derive(Debug, Default)]
pub struct Pass {
    /// Payload ranges in the input.
    pub data: Vec<std::ops::Range<usize>>,
    /// `0\r\n`, the trailers and the final CRLF, once the body ended.
    pub tail: Vec<u8>,
    /// Input bytes consumed.
    pub consumed: usize,
    /// What HAProxy accounts for: payload, trailer names and values, one for the end.
    pub counted: u64,
}

impl Pass {
    fn clear(&mut self) {
        self.data.clear();
        self.tail.clear();
        self.consumed = 0;
        self.counted = 0;
    }

    /// Payload bytes found.
    pub fn data_len(&self) -> usize {
        self.data.iter().map(|r| r.len()).sum()
    }
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        ChunkDecoder { state: Chunk::Size }
    }
}

impl ChunkDecoder {
    pub fn done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Go through as much of `buf` as possible. `Ok` with `done()` false: more input is needed.
    pub fn scan(&mut self, buf: &[u8], pass: &mut Pass) -> Result<(), BodyError> {
        pass.clear();
        let mut i = 0;
        loop {
            let rest = &buf[i..];
            match self.state {
                Chunk::Done => break,
                Chunk::Size => {
                    let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                        if rest.len() > 1024 {
                            return Err(BodyError::Invalid);
                        }
                        break;
                    };
                    let line = &rest[..nl];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let hex_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
                    if hex_end == 0 {
                        return Err(BodyError::Invalid);
                    }
                    let mut size: u64 = 0;
                    for &d in &line[..hex_end] {
                        let v = u64::from((d as char).to_digit(16).unwrap_or(0));
                        size = size.checked_mul(16).and_then(|s| s.checked_add(v)).ok_or(BodyError::Invalid)?;
                    }
                    let after = &line[hex_end..];
                    let ext = after.iter().position(|&b| b != b' ' && b != b'\t').map(|p| &after[p..]).unwrap_or(b"");
                    if !ext.is_empty() && ext[0] != b';' {
                        return Err(BodyError::Invalid);
                    }
                    i += nl + 1;
                    self.state = if size == 0 { Chunk::Trailers } else { Chunk::Data(size) };
                }
                Chunk::Data(left) => {
                    if rest.is_empty() {
                        break;
                    }
                    let n = (rest.len() as u64).min(left) as usize;
                    match pass.data.last_mut() {
                        Some(r) if r.end == i => r.end += n,
                        _ => pass.data.push(i..i + n),
                    }
                    i += n;
                    pass.counted += n as u64;
                    self.state = if left == n as u64 { Chunk::DataEnd } else { Chunk::Data(left - n as u64) };
                }
                Chunk::DataEnd => {
                    if rest.starts_with(b"\r\n") {
                        i += 2;
                    } else if rest.starts_with(b"\n") {
                        i += 1;
                    } else if rest.len() >= 2 || (rest.len() == 1 && rest[0] != b'\r') {
                        return Err(BodyError::Invalid);
                    } else {
                        break;
                    }
                    self.state = Chunk::Size;
                }
                Chunk::Trailers => {
                    // The whole trailer block at once, up to its empty line.
                    let mut end = None;
                    let mut j = 0;
                    while let Some(off) = rest[j..].iter().position(|&b| b == b'\n') {
                        let line = &rest[j..j + off];
                        if line.is_empty() || line == b"\r" {
                            end = Some(j + off + 1);
                            break;
                        }
                        j += off + 1;
                    }
                    let Some(end) = end else {
                        if rest.len() > 16384 {
                            return Err(BodyError::Invalid);
                        }
                        break;
                    };
                    pass.tail.extend_from_slice(b"0\r\n");
                    pass.counted += 1;
                    for line in rest[..end].split(|&b| b == b'\n') {
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
                        pass.counted += (c + value.len()) as u64;
                        pass.tail.extend(name.iter().map(u8::to_ascii_lowercase));
                        pass.tail.extend_from_slice(b": ");
                        pass.tail.extend_from_slice(value);
                        pass.tail.extend_from_slice(b"\r\n");
                    }
                    pass.tail.extend_from_slice(b"\r\n");
                    i += end;
                    self.state = Chunk::Done;
                }
            }
        }
        pass.consumed = i;
        Ok(())
    }

    /// Decode as much of `buf` as possible, consuming it. With `out`, the re-encoded output
    /// (one chunk for the payload found, then the last chunk with the trailers). Returns the
    /// bytes HAProxy accounts for.
    pub fn decode(&mut self, buf: &mut BytesMut, out: Option<&mut Vec<u8>>) -> Result<u64, BodyError> {
        let mut pass = Pass::default();
        self.scan(buf, &mut pass)?;
        if let Some(o) = out {
            o.clear();
            let len = pass.data_len();
            if len > 0 {
                o.extend_from_slice(size_line(len, &mut [0u8; 18]));
                for r in &pass.data {
                    o.extend_from_slice(&buf[r.clone()]);
                }
                o.extend_from_slice(b"\r\n");
            }
            o.extend_from_slice(&pass.tail);
        }
        buf.advance(pass.consumed);
        Ok(pass.counted)
    }
}

/// `<size in upper-case hex>\r\n`, written into `room`.
fn size_line(len: usize, room: &mut [u8; 18]) -> &[u8] {
    let mut n = 0;
    let mut v = len;
    let mut rev = [0u8; 16];
    loop {
        rev[n] = b"0123456789ABCDEF"[v & 15];
        n += 1;
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    for k in 0..n {
        room[k] = rev[n - 1 - k];
    }
    room[n] = b'\r';
    room[n + 1] = b'\n';
    &room[..n + 2]
}

/// Is the start of a chunked body that came with the head well formed so far? (HAProxy refuses
/// the request at once, before anything is sent, when the first read already shows bad framing.)
pub fn chunked_prefix_ok(buf: &[u8]) -> bool {
    ChunkDecoder::default().scan(buf, &mut Pass::default()).is_ok()
}

/// The size HAProxy accounts for the part of a body already in `buf`.
pub fn buffered_size(framing: Framing, buf: &[u8]) -> u64 {
    match framing {
        Framing::None => 0,
        Framing::Length(n) => n.min(buf.len() as u64),
        Framing::UntilClose => buf.len() as u64,
        Framing::Chunked => {
            let mut pass = Pass::default();
            ChunkDecoder::default().scan(buf, &mut pass).map(|()| pass.counted).unwrap_or(0)
        }
    }
}

/// Working space for moving bodies, kept by a connection and reused by every transfer.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Re-encoded chunks gathered when they cannot go out straight from the input.
    pub out: Vec<u8>,
    pub pass: Pass,
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
/// on return it holds whatever followed the body (a pipelined message). Payload bytes are
/// written from `buf` itself (re-chunked bodies with vectored writes), so a body is copied once,
/// into `buf`. `total` grows by the size HAProxy accounts for what was sent, also when the
/// transfer fails half way.
pub async fn forward<R, W>(
    framing: Framing,
    src: &mut R,
    buf: &mut BytesMut,
    dst: &mut W,
    scratch: &mut Scratch,
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
            let Scratch { out, pass } = scratch;
            loop {
                dec.scan(buf, pass)?;
                *total += pass.counted;
                write_pass(dst, buf, pass, out, pace).await?;
                buf.advance(pass.consumed);
                if dec.done() {
                    return Ok(());
                }
                fill(src, buf, pace.src).await?;
            }
        }
    }
}

/// Write what a decoder pass found, re-encoded: the payload goes out straight from the input
/// buffer (a vectored write), unless it is scattered over many small chunks, which are then
/// gathered in `out` first.
async fn write_pass<W: AsyncWrite + Unpin>(
    dst: &mut W,
    buf: &[u8],
    pass: &Pass,
    out: &mut Vec<u8>,
    pace: &Pace<'_>,
) -> Result<(), BodyError> {
    let len = pass.data_len();
    if len == 0 && pass.tail.is_empty() {
        return Ok(());
    }
    let mut room = [0u8; 18];
    let head = if len > 0 { size_line(len, &mut room) } else { &[][..] };
    let crlf: &[u8] = if len > 0 { b"\r\n" } else { b"" };
    if pass.data.len() > 8 {
        out.clear();
        out.extend_from_slice(head);
        for r in &pass.data {
            out.extend_from_slice(&buf[r.clone()]);
        }
        out.extend_from_slice(crlf);
        out.extend_from_slice(&pass.tail);
        return put(dst, out, pace).await;
    }
    let mut slices: [IoSlice<'_>; 11] = [IoSlice::new(&[]); 11];
    let mut n = 0;
    for part in std::iter::once(head).chain(pass.data.iter().map(|r| &buf[r.clone()])).chain([crlf, &pass.tail[..]]) {
        if !part.is_empty() {
            slices[n] = IoSlice::new(part);
            n += 1;
        }
    }
    let mut bufs = &mut slices[..n];
    while !bufs.is_empty() {
        match tokio::time::timeout(pace.dst, dst.write_vectored(bufs)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Err(BodyError::DstFailed),
            Ok(Ok(w)) => IoSlice::advance_slices(&mut bufs, w),
            Err(_) => return Err(BodyError::DstTimeout),
        }
    }
    if let Some(a) = pace.activity {
        a.store((pace.clock)(), Ordering::Relaxed);
    }
    Ok(())
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
        let mut scratch = Scratch::default();
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

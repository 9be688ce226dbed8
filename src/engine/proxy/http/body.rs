//! Message bodies: how long they are (Content-Length, chunked, until close, none) and moving
//! them from one side to the other. Chunked bodies are decoded and re-chunked as data arrives,
//! as HAProxy does; trailers are passed on with lowercase names.

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
    /// Malformed chunked framing.
    Invalid,
    /// Writing to the receiving side failed.
    DstFailed,
    /// The sending side was silent for longer than its timeout.
    SrcTimeout,
}

enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

/// Read more into `buf` from `src`, with an inactivity timeout.
async fn fill<R: AsyncRead + Unpin>(
    src: &mut R,
    buf: &mut BytesMut,
    timeout: std::time::Duration,
) -> Result<usize, BodyError> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 * 1024);
    }
    match tokio::time::timeout(timeout, src.read_buf(buf)).await {
        Ok(Ok(0)) => Err(BodyError::SrcClosed),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(_)) => Err(BodyError::SrcClosed),
        Err(_) => Err(BodyError::SrcTimeout),
    }
}

/// Move a body from `src` to `dst`. `buf` holds bytes already read from `src` after the head;
/// on return it holds whatever followed the body (a pipelined message). Returns the size HAProxy
/// accounts for it: the payload, plus for chunked bodies one byte for the end of trailers and the
/// names and values of the trailers.
pub async fn forward<R, W>(
    framing: Framing,
    src: &mut R,
    buf: &mut BytesMut,
    dst: &mut W,
    timeout: std::time::Duration,
) -> Result<u64, BodyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match framing {
        Framing::None => Ok(0),
        Framing::Length(mut left) => {
            let total = left;
            while left > 0 {
                if buf.is_empty() {
                    fill(src, buf, timeout).await?;
                }
                let n = (buf.len() as u64).min(left) as usize;
                dst.write_all(&buf[..n]).await.map_err(|_| BodyError::DstFailed)?;
                buf.advance(n);
                left -= n as u64;
            }
            Ok(total)
        }
        Framing::UntilClose => {
            let mut total = 0u64;
            loop {
                if !buf.is_empty() {
                    dst.write_all(buf).await.map_err(|_| BodyError::DstFailed)?;
                    total += buf.len() as u64;
                    buf.clear();
                }
                match fill(src, buf, timeout).await {
                    Ok(_) => {}
                    Err(BodyError::SrcClosed) => return Ok(total),
                    Err(e) => return Err(e),
                }
            }
        }
        Framing::Chunked => forward_chunked(src, buf, dst, timeout).await,
    }
}

async fn forward_chunked<R, W>(
    src: &mut R,
    buf: &mut BytesMut,
    dst: &mut W,
    timeout: std::time::Duration,
) -> Result<u64, BodyError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut state = Chunk::Size;
    let mut out: Vec<u8> = Vec::with_capacity(16 * 1024 + 32);
    let mut total = 0u64;
    loop {
        // Decode as much as the buffer holds, gathering payload into one outgoing chunk.
        out.clear();
        let mut data: Vec<u8> = Vec::new();
        loop {
            match state {
                Chunk::Size => {
                    let Some(nl) = buf.iter().position(|&b| b == b'\n') else { break };
                    let line = &buf[..nl];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let hex_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
                    if hex_end == 0 || hex_end > 16 {
                        return Err(BodyError::Invalid);
                    }
                    let rest = &line[hex_end..];
                    let rest_trim =
                        rest.iter().position(|&b| b != b' ' && b != b'\t').map(|p| &rest[p..]).unwrap_or(b"");
                    if !rest_trim.is_empty() && rest_trim[0] != b';' {
                        return Err(BodyError::Invalid);
                    }
                    let size = u64::from_str_radix(std::str::from_utf8(&line[..hex_end]).unwrap_or("x"), 16)
                        .map_err(|_| BodyError::Invalid)?;
                    buf.advance(nl + 1);
                    state = if size == 0 { Chunk::Trailers } else { Chunk::Data(size) };
                }
                Chunk::Data(left) => {
                    if buf.is_empty() {
                        break;
                    }
                    let n = (buf.len() as u64).min(left) as usize;
                    data.extend_from_slice(&buf[..n]);
                    buf.advance(n);
                    total += n as u64;
                    state = if left == n as u64 { Chunk::DataEnd } else { Chunk::Data(left - n as u64) };
                }
                Chunk::DataEnd => {
                    if buf.len() >= 2 && &buf[..2] == b"\r\n" {
                        buf.advance(2);
                    } else if !buf.is_empty() && buf[0] == b'\n' {
                        buf.advance(1);
                    } else if buf.len() >= 2 || (buf.len() == 1 && buf[0] != b'\r') {
                        return Err(BodyError::Invalid);
                    } else {
                        break;
                    }
                    state = Chunk::Size;
                }
                Chunk::Trailers => {
                    // Trailer lines until an empty line; emit the last chunk with them.
                    let mut end = None;
                    let mut i = 0;
                    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
                        let line = &buf[i..i + off];
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        if line.is_empty() {
                            end = Some(i + off + 1);
                            break;
                        }
                        i += off + 1;
                    }
                    let Some(end) = end else { break };
                    if !data.is_empty() {
                        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                        out.extend_from_slice(&data);
                        out.extend_from_slice(b"\r\n");
                        data.clear();
                    }
                    out.extend_from_slice(b"0\r\n");
                    total += 1;
                    for line in buf[..end].split(|&b| b == b'\n') {
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        if line.is_empty() {
                            continue;
                        }
                        match line.iter().position(|&b| b == b':') {
                            Some(c) => {
                                let value = super::parse::trim(&line[c + 1..]);
                                total += (c + value.len()) as u64;
                                out.extend(line[..c].iter().map(u8::to_ascii_lowercase));
                                out.extend_from_slice(b": ");
                                out.extend_from_slice(value);
                                out.extend_from_slice(b"\r\n");
                            }
                            None => return Err(BodyError::Invalid),
                        }
                    }
                    out.extend_from_slice(b"\r\n");
                    buf.advance(end);
                    dst.write_all(&out).await.map_err(|_| BodyError::DstFailed)?;
                    return Ok(total);
                }
            }
        }
        if !data.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\r\n");
            dst.write_all(&out).await.map_err(|_| BodyError::DstFailed)?;
        }
        fill(src, buf, timeout).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(framing: Framing, input: &[u8]) -> (Result<u64, BodyError>, Vec<u8>, Vec<u8>) {
        let mut src: &[u8] = &[];
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        let r = forward(framing, &mut src, &mut buf, &mut out, std::time::Duration::from_secs(1)).await;
        (r, out, buf.to_vec())
    }

    #[tokio::test]
    async fn chunked_is_rechunked() {
        let (r, out, rest) =
            run(Framing::Chunked, b"3;ext=1\r\nabc\r\n005\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\nNEXT").await;
        assert_eq!(r, Ok(8 + 1 + 10));
        assert_eq!(out, b"8\r\nabchello\r\n0\r\nx-trailer: t\r\n\r\n");
        assert_eq!(rest, b"NEXT");
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
    }
}

//! Keeping PostgreSQL's SQLSTATE with its errors.
//!
//! diesel-async turns a server error into diesel's `DatabaseError(kind, info)`: `kind` names a
//! handful of SQLSTATEs (unique violation, serialization failure...), `info` keeps the message,
//! constraint and table, and the SQLSTATE itself is dropped. Classifying the rest by message
//! text breaks on a server whose `lc_messages` is not English. So every pooled connection
//! reads the server through [`CodedErrors`], which writes each error's SQLSTATE in front of
//! its message (`40P01: deadlock detected`, as psql's verbose mode shows it), and
//! [`sqlstate`] reads it back.
//!
//! The protocol framing this relies on (after startup, every backend message is a type byte
//! and a big-endian length that counts itself; an `ErrorResponse` is `E` followed by fields,
//! each a type byte and a NUL-terminated string, ended by a NUL; `C` is the SQLSTATE, `M` the
//! message) is PostgreSQL's frontend/backend protocol 3.0. Only `E` messages are held until
//! complete; every other byte passes through as it arrives.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How much is read from the socket at a time.
const READ_SIZE: usize = 16 * 1024;

/// The SQLSTATE [`CodedErrors`] put in front of `message`, when it is there.
pub(crate) fn sqlstate(message: &str) -> Option<&str> {
    let code = message.get(..5)?;
    let coded = code
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && message[5..].starts_with(": ");
    coded.then_some(code)
}

/// A connection's byte stream whose `ErrorResponse` messages carry their SQLSTATE in the
/// message text. Writes pass through untouched.
pub(crate) struct CodedErrors<S> {
    inner: S,
    /// Bytes read from the server and not yet handed on: `raw[start..end]` (the rest of
    /// `raw` is room for the next read, zeroed once).
    raw: Vec<u8>,
    start: usize,
    end: usize,
    /// How many of those bytes belong to a message already known not to be an error, and
    /// may be handed on without waiting for the rest of it.
    release: usize,
    /// A rewritten error message being handed on: `out[out_at..]`.
    out: Vec<u8>,
    out_at: usize,
}

impl<S> CodedErrors<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            raw: Vec::new(),
            start: 0,
            end: 0,
            release: 0,
            out: Vec::new(),
            out_at: 0,
        }
    }

    fn buffered(&self) -> &[u8] {
        &self.raw[self.start..self.end]
    }

    /// Frames the next message when its header has arrived: either releases it (not an
    /// error) or, once all of it is here, rewrites it into `out`. Whether progress was made.
    fn frame(&mut self) -> bool {
        let buffered = self.buffered();
        let Some(header) = buffered.get(..5) else {
            return false;
        };
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        // A length below its own 4 bytes is not PostgreSQL: hand it on for the client to
        // refuse rather than guess.
        if header[0] != b'E' || length < 4 {
            self.release = (1 + length).max(5);
            return true;
        }
        let total = 1 + length;
        if buffered.len() < total {
            return false;
        }
        self.out = with_code_in_message(&buffered[..total]);
        self.out_at = 0;
        self.start += total;
        true
    }
}

/// `message` (a whole `ErrorResponse`) with its `M` field written as `<SQLSTATE>: <M>`.
fn with_code_in_message(message: &[u8]) -> Vec<u8> {
    let fields: Vec<(u8, &[u8])> = message[5..]
        .split(|b| *b == 0)
        .take_while(|field| !field.is_empty())
        .map(|field| (field[0], &field[1..]))
        .collect();
    let code = fields.iter().find(|(kind, _)| *kind == b'C');
    let mut body = Vec::with_capacity(message.len() + 8);
    for (kind, value) in &fields {
        body.push(*kind);
        if let (b'M', Some((_, code))) = (kind, code) {
            body.extend_from_slice(code);
            body.extend_from_slice(b": ");
        }
        body.extend_from_slice(value);
        body.push(0);
    }
    body.push(0);
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(b'E');
    let length = u32::try_from(body.len() + 4).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&body);
    out
}

impl<S: AsyncRead + Unpin> AsyncRead for CodedErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Hand on as many messages as fit: returning one message per read would make the
        // client decode (and wake its query's task for) each row on its own.
        let filled_before = buf.filled().len();
        loop {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if this.out_at < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_at);
                buf.put_slice(&this.out[this.out_at..this.out_at + n]);
                this.out_at += n;
                continue;
            }
            if this.release > 0 && !this.buffered().is_empty() {
                let n = buf.remaining().min(this.release).min(this.buffered().len());
                buf.put_slice(&this.raw[this.start..this.start + n]);
                this.start += n;
                this.release -= n;
                continue;
            }
            if this.release == 0 && this.frame() {
                continue;
            }
            if buf.filled().len() > filled_before {
                return Poll::Ready(Ok(()));
            }
            // More bytes are needed: keep only the unconsumed ones, then read.
            this.raw.copy_within(this.start..this.end, 0);
            this.end -= this.start;
            this.start = 0;
            if this.raw.len() < this.end + READ_SIZE {
                this.raw.resize(this.end + READ_SIZE, 0);
            }
            let mut read = ReadBuf::new(&mut this.raw[this.end..]);
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut read);
            let n = read.filled().len();
            this.end += n;
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {
                    if n == 0 {
                        // The server hung up: hand on what is left (a cut message the
                        // client will report), then the end.
                        this.release = this.buffered().len();
                        if this.release == 0 {
                            return Poll::Ready(Ok(()));
                        }
                    }
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CodedErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;

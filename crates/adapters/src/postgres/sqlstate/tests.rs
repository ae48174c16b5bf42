//! The rewrite on raw protocol bytes, however the socket splits them.

use std::collections::VecDeque;

use tokio::io::AsyncReadExt;

use super::*;

/// A socket that delivers `chunks` one per read.
struct Chunks(VecDeque<Vec<u8>>);

impl AsyncRead for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let chunks = &mut self.get_mut().0;
        if let Some(mut chunk) = chunks.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                chunk.drain(..n);
                chunks.push_front(chunk);
            }
        }
        Poll::Ready(Ok(()))
    }
}

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn error(fields: &[(u8, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, value) in fields {
        body.push(*kind);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    message(b'E', &body)
}

async fn read_through(bytes: &[u8], chunk: usize) -> Vec<u8> {
    let chunks = bytes.chunks(chunk).map(<[u8]>::to_vec).collect();
    let mut out = Vec::new();
    CodedErrors::new(Chunks(chunks))
        .read_to_end(&mut out)
        .await
        .unwrap();
    out
}

#[tokio::test]
async fn an_error_gets_its_code_in_front_of_its_message_and_the_rest_passes_through() {
    let row = message(b'D', &[7; 100_000]);
    let mut input = message(b'R', &[0, 0, 0, 0]);
    input.extend(&row);
    // A message in another language, and fields after M: only M changes.
    input.extend(error(&[
        (b'S', "ERREUR"),
        (b'V', "ERROR"),
        (b'C', "40P01"),
        (b'M', "interblocage détecté"),
        (b'D', "détail"),
    ]));
    input.extend(message(b'Z', b"I"));

    let mut expected = message(b'R', &[0, 0, 0, 0]);
    expected.extend(&row);
    expected.extend(error(&[
        (b'S', "ERREUR"),
        (b'V', "ERROR"),
        (b'C', "40P01"),
        (b'M', "40P01: interblocage détecté"),
        (b'D', "détail"),
    ]));
    expected.extend(message(b'Z', b"I"));

    for chunk in [1, 2, 3, 5, 7, 4096, input.len()] {
        let read = read_through(&input, chunk).await;
        assert!(read == expected, "chunks of {chunk}: {} bytes", read.len());
    }
}

#[tokio::test]
async fn an_error_without_a_code_and_a_cut_stream_are_handed_on_as_they_are() {
    let uncoded = error(&[(b'S', "FATAL"), (b'M', "no code")]);
    assert_eq!(read_through(&uncoded, 3).await, uncoded);
    let coded = error(&[(b'C', "57P01"), (b'M', "bye")]);
    let cut = &coded[..coded.len() - 4];
    assert_eq!(read_through(cut, 2).await, cut);
}

#[test]
fn the_code_is_read_back_only_from_the_front() {
    assert_eq!(sqlstate("40P01: deadlock detected"), Some("40P01"));
    assert_eq!(sqlstate("22003: numeric field overflow"), Some("22003"));
    assert_eq!(sqlstate("deadlock detected"), None);
    assert_eq!(sqlstate("40P01 deadlock"), None);
    assert_eq!(sqlstate("abcde: x"), None);
    assert_eq!(sqlstate("4é"), None);
}

/// tokio-postgres decodes every message one read hands it as one batch for the waiting query:
/// a read per row would wake the query once per row (the slow breakdowns of issue 9).
#[tokio::test]
async fn the_rows_that_arrived_together_are_handed_on_in_one_read() {
    let mut input = Vec::new();
    for _ in 0..200 {
        input.extend(message(b'D', &[1; 40]));
    }
    input.extend(message(b'C', b"SELECT 200\0"));
    input.extend(message(b'Z', b"I"));
    let mut reader = CodedErrors::new(Chunks(VecDeque::from([input.clone()])));

    let mut buf = vec![0; 64 * 1024];
    let n = reader.read(&mut buf).await.unwrap();

    assert_eq!(&buf[..n], &input[..]);
}

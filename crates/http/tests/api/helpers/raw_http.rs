//! HTTP/1.1 by hand, for what a client library hides: chunked bodies sent without a length,
//! and requests held half-sent.

use std::{io::ErrorKind, net::SocketAddr};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    task::JoinHandle,
};

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One request on its own connection (`Connection: close`); the answer is read as it comes,
/// even while the body is still being sent.
pub struct RawRequest {
    writer: OwnedWriteHalf,
    reader: JoinHandle<Vec<u8>>,
}

impl RawRequest {
    /// Sends the request line and headers (plus `Host` and `Connection: close`).
    pub async fn start(address: SocketAddr, head: &str) -> Self {
        let stream = TcpStream::connect(address)
            .await
            .expect("the app accepts connections");
        let (reader, mut writer) = stream.into_split();
        let head = format!("{head}\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        writer
            .write_all(head.as_bytes())
            .await
            .expect("the request head is sent");
        Self {
            writer,
            reader: tokio::spawn(read_all(reader)),
        }
    }

    /// Like [`RawRequest::start`], on a connection a worker already serves: a `GET /healthz`
    /// is answered on it first, so the request below is certainly in the server's hands.
    pub async fn start_on_served_connection(address: SocketAddr, head: &str) -> Self {
        let mut stream = TcpStream::connect(address)
            .await
            .expect("the app accepts connections");
        let warm_up = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n");
        stream
            .write_all(warm_up.as_bytes())
            .await
            .expect("the warm-up is sent");
        let answer = read_one_response(&mut stream).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let (reader, mut writer) = stream.into_split();
        let head = format!("{head}\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        writer
            .write_all(head.as_bytes())
            .await
            .expect("the request head is sent");
        Self {
            writer,
            reader: tokio::spawn(read_all(reader)),
        }
    }

    /// Sends body bytes; false once the server has stopped reading (closed or reset).
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok() && self.writer.flush().await.is_ok()
    }

    /// Sends `bytes` as one chunk of a chunked body.
    pub async fn send_chunk(&mut self, bytes: &[u8]) -> bool {
        let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
        chunk.extend_from_slice(bytes);
        chunk.extend_from_slice(b"\r\n");
        self.send(&chunk).await
    }

    pub async fn finish_chunks(&mut self) -> bool {
        self.send(b"0\r\n\r\n").await
    }

    /// Waits for the whole answer (the server closes the connection after it).
    pub async fn response(self) -> RawResponse {
        let Self { writer, reader } = self;
        let bytes = reader.await.expect("the reader does not panic");
        drop(writer);
        parse(&bytes)
    }
}

/// Everything the server sends until it closes; a reset after the answer is not an error.
async fn read_all(mut reader: OwnedReadHalf) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut buffer = [0_u8; 8192];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    bytes
}

/// Reads exactly one response with a `Content-Length`, leaving the connection open.
async fn read_one_response(stream: &mut TcpStream) -> RawResponse {
    let mut bytes = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let n = stream.read(&mut buffer).await.expect("the answer is read");
        assert!(n > 0, "the connection closed mid-answer");
        bytes.extend_from_slice(&buffer[..n]);
        let Some(split) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let length = parse(&bytes[..split + 4])
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .expect("a content length");
        if bytes.len() >= split + 4 + length {
            return parse(&bytes);
        }
    }
}

fn parse(bytes: &[u8]) -> RawResponse {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete HTTP response: {:?}",
                String::from_utf8_lossy(bytes)
            )
        });
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let raw_body = &bytes[split + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        let stop = (start + size).min(raw.len());
        body.extend_from_slice(&raw[start..stop]);
        raw = raw.get(stop + 2..).unwrap_or_default();
    }
    body
}

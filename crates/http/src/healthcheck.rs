//! `tollgate healthcheck [--ready] [--worker]`: the container's health probe (the image has
//! no curl). One `GET` on the configured address, 2 s at most, healthy on 200 only.

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// The whole probe (connect, send, read the status line) may take this long.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where to probe a server bound to `bind`: an unspecified address (`0.0.0.0`, `[::]`) is
/// reached on the loopback of its family.
pub fn target(bind: SocketAddr) -> SocketAddr {
    let mut target = bind;
    if bind.ip().is_unspecified() {
        target.set_ip(match bind {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    target
}

/// The status code of `GET path` on `address`, or why there is none.
///
/// # Errors
/// When nothing answers within [`TIMEOUT`] or the answer is not HTTP.
pub async fn status(address: SocketAddr, path: &str) -> Result<u16, String> {
    tokio::time::timeout(TIMEOUT, get(address, path))
        .await
        .map_err(|_| format!("no answer from {address} within {TIMEOUT:?}"))?
}

async fn get(address: SocketAddr, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: tollgate-healthcheck\r\n\
         Connection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send to {address}: {e}"))?;
    // The status line is all that is needed: "HTTP/1.1 200 OK".
    let mut head = Vec::with_capacity(64);
    let mut buffer = [0_u8; 64];
    while !head.contains(&b'\n') && head.len() < 1024 {
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|e| format!("cannot read from {address}: {e}"))?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .filter(|_| line.starts_with("HTTP/"))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{address} did not answer HTTP"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn an_unspecified_bind_is_probed_on_loopback() {
        assert_eq!(
            target("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            target("[::]:9464".parse().unwrap()),
            "[::1]:9464".parse().unwrap()
        );
        assert_eq!(
            target("10.0.0.5:8080".parse().unwrap()),
            "10.0.0.5:8080".parse().unwrap()
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out_and_a_non_http_one_is_refused() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = silent.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let (socket, _) = silent.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let started = std::time::Instant::now();
        let error = status(address, "/healthz").await.unwrap_err();
        assert!(error.contains("no answer"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(3));
        held.abort();

        let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = garbage.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = garbage.accept().await.unwrap();
            socket.write_all(b"SSH-2.0-OpenSSH\r\n").await.unwrap();
        });
        let error = status(address, "/healthz").await.unwrap_err();
        assert!(error.contains("did not answer HTTP"), "{error}");
    }
}

//! A lean HTTP/1.1 client over keep-alive connections (hyper's connection API: no pool, no
//! TLS, one request at a time per connection), and the accept loop of the stand-in servers
//! the generators run themselves (the ingest stub receiver, the fake OpenMeter).

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

pub type Sender = SendRequest<Full<Bytes>>;

/// An `http://` base URL, resolved once.
pub struct Target {
    pub addr: SocketAddr,
    host: String,
    pub timeout: Duration,
}

impl Target {
    pub fn parse(url: &str, timeout: Duration) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("--url must start with http:// (got {url:?})"))?;
        let host = rest.split('/').next().unwrap_or(rest).to_owned();
        let with_port = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = with_port
            .to_socket_addrs()
            .map_err(|e| format!("resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} resolves to nothing"))?;
        Ok(Self {
            addr,
            host,
            timeout,
        })
    }

    /// A new keep-alive connection (Nagle off: requests go out at once).
    pub async fn connect(&self) -> Result<Sender, String> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// A request with `Authorization: <authorization>` unless that is empty (see [`bearer`]),
    /// and `Content-Type: application/json` when it has a body.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if !authorization.is_empty() {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        if !body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        builder
            .body(Full::new(body))
            .map_err(|e| format!("request {path}: {e}"))
    }

    /// Sends `req` and reads the whole answer, within the target's timeout.
    pub async fn send(
        &self,
        sender: &mut Sender,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), String> {
        let exchange = async {
            sender
                .ready()
                .await
                .map_err(|e| format!("connection: {e}"))?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = resp.status();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("response: {e}"))?;
            Ok((status, body.to_bytes()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("timeout after {:?}", self.timeout))?
    }
}

/// The `Authorization` value for a secret or API key; empty (no header) for an empty one.
pub fn bearer(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        format!("Bearer {secret}")
    }
}

pub fn respond(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp
}

/// Serves every connection `listener` accepts with `answer`, each on its own task, until
/// accepting fails: returns that error.
pub async fn serve<F, Fut>(listener: &TcpListener, answer: F) -> std::io::Error
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, hyper::Error>> + Send + 'static,
{
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => return e,
        };
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hyper::service::service_fn(answer))
                .await;
        });
    }
}

//! Opening a connection whose errors keep their SQLSTATE ([`super::sqlstate`]).
//!
//! diesel-async's own `establish` opens the socket inside tokio-postgres, out of reach; here
//! the socket is opened first (TCP, or the Unix socket a `host=/dir` names), wrapped, and
//! handed to tokio-postgres, whose client diesel-async then drives. TLS (rustls) as the URL's
//! `sslmode` and `sslrootcert` ask ([`tls`]); plain TCP when it names no mode.

mod tls;

use std::{io, pin::Pin};

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::{
    Config, NoTls,
    config::{Host, SslMode},
};

use self::tls::TlsOptions;
use super::sqlstate::CodedErrors;

/// A socket of either kind.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

const DEFAULT_PORT: u16 = 5432;

/// A connection to the database `url` names, reading the server through [`CodedErrors`].
///
/// # Errors
/// When the URL cannot be read, no host answers, or the server refuses the connection.
pub(super) async fn establish(url: &str) -> Result<AsyncPgConnection, ConnectionError> {
    let (url, options) = tls::split(url)?;
    let mut config: Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    // TLS, when asked for, is set up before tokio-postgres sees the stream ([`tls::negotiate`]).
    config.ssl_mode(SslMode::Disable);
    let tls = options.client_config()?;
    let (socket, host) = open(&config)
        .await
        .map_err(|e| ConnectionError::BadConnection(format!("cannot connect: {e}")))?;
    let socket = match (tls, host) {
        (Some(tls), Host::Tcp(name)) => secure(socket, tls, &name, &options).await?,
        // No TLS asked for; or a Unix socket, where libpq does not use it either.
        _ => socket,
    };
    let (client, connection) = config
        .connect_raw(CodedErrors::new(socket), NoTls)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    drive(connection);
    AsyncPgConnection::try_from(client).await
}

/// `socket` after the TLS handshake; as it is for `prefer` when the server does not do TLS.
async fn secure(
    socket: Pin<Box<dyn Socket>>,
    tls: std::sync::Arc<rustls::ClientConfig>,
    host: &str,
    options: &TlsOptions,
) -> Result<Pin<Box<dyn Socket>>, ConnectionError> {
    let mode = options.mode_name();
    let server_name = ServerName::try_from(host.to_owned()).map_err(|e| {
        ConnectionError::InvalidConnectionUrl(format!("the host `{host}` for TLS: {e}"))
    })?;
    match tls::negotiate(socket, tls, server_name).await {
        Ok(Ok(secured)) => Ok(Box::pin(secured)),
        Ok(Err(plain)) if options.mode == tls::SslMode::Prefer => Ok(plain),
        Ok(Err(_)) => Err(ConnectionError::BadConnection(format!(
            "the server {host} does not do TLS, and sslmode={mode} requires it"
        ))),
        Err(error) => Err(ConnectionError::BadConnection(format!(
            "TLS with {host} failed (sslmode={mode}): {error}"
        ))),
    }
}

/// Runs the connection's task. It ends when the client is dropped, or with the socket; a query
/// on a client whose connection ended fails on its own (as "connection closed").
fn drive<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a database connection ended");
        }
    });
}

/// The first host of `config` that accepts a connection, in order.
async fn open(config: &Config) -> io::Result<(Pin<Box<dyn Socket>>, Host)> {
    let ports = config.get_ports();
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "the URL names no host");
    for (i, host) in config.get_hosts().iter().enumerate() {
        let port = ports
            .get(i)
            .or(ports.first())
            .copied()
            .unwrap_or(DEFAULT_PORT);
        let opened: io::Result<Pin<Box<dyn Socket>>> = match host {
            Host::Tcp(name) => match tokio::net::TcpStream::connect((name.as_str(), port)).await {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    Ok(Box::pin(stream))
                }
                Err(error) => Err(error),
            },
            #[cfg(unix)]
            Host::Unix(dir) => {
                tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}")))
                    .await
                    .map(|stream| Box::pin(stream) as Pin<Box<dyn Socket>>)
            }
        };
        match opened {
            Ok(socket) => return Ok((socket, host.clone())),
            Err(error) => last = error,
        }
    }
    Err(last)
}

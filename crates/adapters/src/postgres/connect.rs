//! Opening a connection whose errors keep their SQLSTATE ([`super::sqlstate`]).
//!
//! diesel-async's own `establish` opens the socket inside tokio-postgres, out of reach; here
//! the socket is opened first (TCP, or the Unix socket a `host=/dir` names), wrapped, and
//! handed to tokio-postgres, whose client diesel-async then drives. Without TLS, as
//! diesel-async's `establish`.

use std::{io, pin::Pin};

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::{Config, NoTls, config::Host};

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
    let config: Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    let socket = open(&config)
        .await
        .map_err(|e| ConnectionError::BadConnection(format!("cannot connect: {e}")))?;
    let (client, connection) = config
        .connect_raw(CodedErrors::new(socket), NoTls)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    // The connection task ends when the client is dropped, or with the socket; a query on a
    // client whose connection ended fails on its own (as "connection closed").
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a database connection ended");
        }
    });
    AsyncPgConnection::try_from(client).await
}

/// The first host of `config` that accepts a connection, in order.
async fn open(config: &Config) -> io::Result<Pin<Box<dyn Socket>>> {
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
            Ok(socket) => return Ok(socket),
            Err(error) => last = error,
        }
    }
    Err(last)
}

//! The connection pool, with timeouts so that a database outage becomes a quick 503, not a
//! hung request.

use std::time::Duration;

use deadpool::Runtime;
use diesel_async::{
    AsyncPgConnection,
    pooled_connection::{AsyncDieselConnectionManager, deadpool::Pool},
};
use secrecy::{ExposeSecret, SecretString};

pub type PgPool = Pool<AsyncPgConnection>;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub url: SecretString,
    pub max_connections: usize,
    /// How long a request waits for a free connection before it is told to retry.
    pub acquire_timeout: Duration,
    /// How long opening a new connection may take.
    pub connect_timeout: Duration,
}

/// Builds the pool. No connection is opened until one is needed, so the service can start
/// (and answer `/healthz`) while the database is still coming up.
///
/// # Errors
/// When the pool's settings are invalid.
pub fn connect(settings: &PoolSettings) -> Result<PgPool, deadpool::managed::BuildError> {
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new(settings.url.expose_secret());
    Pool::builder(manager)
        .max_size(settings.max_connections.max(1))
        .wait_timeout(Some(settings.acquire_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
}

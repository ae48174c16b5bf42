//! The connection pool, with timeouts so that a database outage becomes a quick 503, not a
//! hung request.

use std::time::Duration;

use deadpool::Runtime;
use diesel_async::{
    AsyncPgConnection, SimpleAsyncConnection,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, deadpool::Pool},
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
    /// How long one statement may run: a lock or a silent network must not hold a request
    /// (and a pooled connection) forever.
    pub statement_timeout: Duration,
}

/// Builds the pool. No connection is opened until one is needed, so the service can start
/// (and answer `/healthz`) while the database is still coming up.
///
/// # Errors
/// When the pool's settings are invalid.
pub fn connect(settings: &PoolSettings) -> Result<PgPool, deadpool::managed::BuildError> {
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.custom_setup = Box::new(move |url| {
        Box::pin(async move {
            let mut connection = super::connect::establish(url).await?;
            connection
                .batch_execute(&format!("SET statement_timeout = {statement_timeout_ms}"))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(connection)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        settings.url.expose_secret(),
        config,
    );
    Pool::builder(manager)
        .max_size(settings.max_connections.max(1))
        .wait_timeout(Some(settings.acquire_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
}

//! [`ChangeLock`]s as PostgreSQL session advisory locks, so that they hold across Tollgate's
//! replicas.
//!
//! The lock is held by a pooled connection for as long as the change takes (its call to the
//! billing engine included); the change's own writes use another connection. The wait is
//! bounded by the connection's `statement_timeout`.

use diesel::sql_types::Text;
use diesel_async::{
    AsyncPgConnection, RunQueryDsl,
    pooled_connection::deadpool::{Object, Pool},
};
use tollgate_application::{PortError, ports::ChangeLock};

use super::error;

/// Keeps these locks apart from the transaction-scoped ones taken elsewhere (audit: 7,
/// Lago invoices: 8).
const SEED: i64 = 9;

/// Waits for the lock named `key` and holds it until the returned [`ChangeLock`] is dropped.
///
/// # Errors
/// `Unavailable` when no connection is free or the wait exceeds the statement timeout.
pub(super) async fn acquire(
    pool: &Pool<AsyncPgConnection>,
    key: String,
) -> Result<ChangeLock, PortError> {
    let mut connection = pool.get().await.map_err(error::from_pool)?;
    diesel::sql_query("SELECT pg_advisory_lock(hashtextextended($1, $2))")
        .bind::<Text, _>(&key)
        .bind::<diesel::sql_types::BigInt, _>(SEED)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
    Ok(ChangeLock::new(Held {
        connection: Some(connection),
        key,
    }))
}

struct Held {
    connection: Option<Object<AsyncPgConnection>>,
    key: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(release(connection, key));
            }
            Err(_) => close(connection),
        }
    }
}

/// Unlocks and gives the connection back to the pool.
async fn release(mut connection: Object<AsyncPgConnection>, key: String) {
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock(hashtextextended($1, $2))")
        .bind::<Text, _>(&key)
        .bind::<diesel::sql_types::BigInt, _>(SEED)
        .execute(&mut connection)
        .await;
    if let Err(error) = unlocked {
        tracing::warn!(%error, key, "cannot release a change lock: closing its connection");
        close(connection);
    }
}

/// Takes the connection out of the pool and closes it: PostgreSQL releases a session's
/// locks when it ends, so a lock is never left behind on a pooled connection.
fn close(connection: Object<AsyncPgConnection>) {
    drop(Object::take(connection));
}

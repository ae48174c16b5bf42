//! Running a unit of work in one transaction on a pooled connection.

use std::{future::Future, pin::Pin};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use tollgate_application::PortError;

use super::{PgPool, error};

type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T, diesel::result::Error>> + Send + 'c>>;

/// Commits what `work` did when it returns `Ok`, rolls all of it back otherwise.
pub(super) async fn transaction<T, F>(pool: &PgPool, work: F) -> Result<T, PortError>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut AsyncPgConnection) -> Work<'c, T> + Send + 'static,
{
    let mut connection = pool.get().await.map_err(error::from_pool)?;
    connection
        .transaction::<T, diesel::result::Error, _>(async move |connection| work(connection).await)
        .await
        .map_err(error::from_query)
}

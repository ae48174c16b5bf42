//! Creating Tollgate's database on first start, so `make run` needs no manual step.

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::RunQueryDsl;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::sqlstate::sqlstate;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("the database URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the server's maintenance database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot create the database: {0}")]
    Create(#[from] diesel::result::Error),
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Text)]
    #[expect(dead_code, reason = "only the row's presence matters")]
    datname: String,
}

/// Creates the database named in `url` when the server does not have it yet. Concurrent
/// callers are fine: losing the race to create it counts as success.
///
/// # Errors
/// [`DatabaseError`] when the URL names no database, the server cannot be reached through its
/// `postgres` database, or the role may not create databases.
pub async fn create_database_if_missing(url: &SecretString) -> Result<(), DatabaseError> {
    let mut url =
        Url::parse(url.expose_secret()).map_err(|e| DatabaseError::InvalidUrl(e.to_string()))?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Err(DatabaseError::InvalidUrl("it names no database".into()));
    }
    if name == "postgres" {
        return Ok(());
    }
    url.set_path("/postgres");
    let mut connection = super::connect::establish(url.as_str()).await?;
    let existing: Vec<Exists> =
        diesel::sql_query("SELECT datname::text AS datname FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&name)
            .load(&mut connection)
            .await?;
    if !existing.is_empty() {
        return Ok(());
    }
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(format!("CREATE DATABASE {quoted}"))
        .execute(&mut connection)
        .await
    {
        Ok(_) => {
            tracing::info!(database = %name, "created the database");
            Ok(())
        }
        // 42P04 duplicate_database; two concurrent creators may also clash in the catalog's
        // unique index (23505).
        Err(diesel::result::Error::DatabaseError(_, info))
            if matches!(sqlstate(info.message()), Some("42P04" | "23505")) =>
        {
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

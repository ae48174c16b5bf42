//! The embedded migrations (the workspace's top-level `migrations/`), run at start under an
//! advisory lock so that several replicas starting at once migrate exactly once.

use std::collections::BTreeSet;

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::{ExposeSecret, SecretString};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary but fixed: every Tollgate process agrees on it.
const MIGRATION_LOCK_KEY: i64 = 0x746f_6c6c_6761_7465;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database error while migrating: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("a migration failed: {0}")]
    Migration(String),
}

/// Applies every pending migration; safe to call from several processes at once.
///
/// Must run on a multi-threaded tokio runtime: diesel's migration harness is synchronous and
/// diesel-async drives it with `block_in_place`.
///
/// # Errors
/// [`MigrationError`] when the database is unreachable or a migration fails (the failed
/// migration's own transaction is rolled back).
pub async fn run_migrations(url: &SecretString) -> Result<Vec<String>, MigrationError> {
    let mut connection = super::connect::establish(url.expose_secret()).await?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut connection)
        .await?;
    let mut harness = AsyncMigrationHarness::new(connection);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| MigrationError::Migration(e.to_string()));
    let mut connection = harness.into_inner();
    // Closing the connection would release the lock too; unlocking keeps it explicit.
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut connection)
        .await?;
    applied
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Whether every embedded migration has been applied to the database behind `connection`.
///
/// # Errors
/// When the database cannot be queried.
pub async fn migrations_are_current(
    connection: &mut AsyncPgConnection,
) -> Result<bool, diesel::result::Error> {
    // Asked, not inferred from a failed SELECT's message: its words depend on lc_messages.
    let tracked: Vec<AppliedVersion> = diesel::sql_query(
        "SELECT 'tracked' AS version WHERE to_regclass('__diesel_schema_migrations') IS NOT NULL",
    )
    .load(connection)
    .await?;
    if tracked.is_empty() {
        return Ok(false);
    }
    let applied: BTreeSet<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<AppliedVersion>(connection)
            .await?
            .into_iter()
            .map(|row| row.version)
            .collect();
    let embedded = diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(diesel::result::Error::QueryBuilderError)?;
    Ok(embedded
        .iter()
        .all(|migration| applied.contains(&migration.name().version().to_string())))
}

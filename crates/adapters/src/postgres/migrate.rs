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

/// What each migration sets for itself (docs/operations.md, "Zero-downtime migrations").
const MIGRATION_LOCK_TIMEOUT: &str = "5s";

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
    take_migration_lock(&mut connection).await?;
    // For the whole session: a migration run outside a transaction (CREATE INDEX
    // CONCURRENTLY must be alone in its file) cannot set it itself, and none may queue behind
    // a lock while blocking everyone else. A migration that times out fails the start, and the
    // next start tries again.
    diesel::sql_query(format!("SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'"))
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
struct LockTaken {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    taken: bool,
}

/// Waits for the migration lock by asking again, never inside a statement: a process blocked
/// in `pg_advisory_lock` holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the holder's
/// migration waits for every such snapshot to end, a deadlock PostgreSQL breaks by failing
/// one of them.
async fn take_migration_lock(connection: &mut AsyncPgConnection) -> Result<(), MigrationError> {
    loop {
        let answer: LockTaken = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS taken")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
            .get_result(connection)
            .await?;
        if answer.taken {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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

//! Secrets of the installation shared by every replica (kept in the database, made once).

use diesel::{
    QueryableByName,
    sql_types::{Bytea, Text},
};
use diesel_async::RunQueryDsl;
use rand::RngCore;
use tollgate_application::PortError;

use super::{PgPool, error};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Bytea)]
    value: Vec<u8>,
}

/// The 32-byte secret called `name`, created at random by whichever replica asks first.
///
/// # Errors
/// `PortError` when the database cannot be reached.
pub async fn installation_secret(pool: &PgPool, name: &str) -> Result<Vec<u8>, PortError> {
    let mut candidate = [0_u8; 32];
    rand::rng().fill_bytes(&mut candidate);
    installation_secret_or(pool, name, &candidate).await
}

/// The secret called `name`: `candidate` when none was kept yet, else the one kept. Replicas
/// starting at once race on the insert; every one of them reads the winner's.
///
/// # Errors
/// `PortError` when the database cannot be reached.
pub async fn installation_secret_or(
    pool: &PgPool,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, PortError> {
    let mut connection = pool.get().await.map_err(error::from_pool)?;
    diesel::sql_query(
        "INSERT INTO installation_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(name)
    .bind::<Bytea, _>(candidate)
    .execute(&mut connection)
    .await
    .map_err(error::from_query)?;
    let row: Row = diesel::sql_query("SELECT value FROM installation_secrets WHERE name = $1")
        .bind::<Text, _>(name)
        .get_result(&mut connection)
        .await
        .map_err(error::from_query)?;
    Ok(row.value)
}

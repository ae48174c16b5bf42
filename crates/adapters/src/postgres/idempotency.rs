//! `Idempotency-Key`s, one row per organization and key.
//!
//! A key is claimed with one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: the row is taken
//! over only when it has expired (older than the keep time) or its request died (still
//! running past its lock). PostgreSQL serializes the two inserts of a race on the primary
//! key, so exactly one request claims a key; the other reads the row it lost to.

use std::time::Duration;

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Bytea, Double, Nullable, SmallInt, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{Begun, IdempotencyStore, Lease, StoredAnswer},
};
use tollgate_domain::{
    idempotency::{RequestFingerprint, RequestKey},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{PgPool, error};

/// Expired keys deleted by one claim at most: the purge stays small whatever piled up.
const PURGE_BATCH: i64 = 100;
/// Claims tried when the row lost to vanishes before it is read (its request let go).
const ATTEMPTS: usize = 3;

pub struct PgIdempotencyStore {
    pool: PgPool,
}

impl PgIdempotencyStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    lease: Uuid,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Bytea)]
    fingerprint: Vec<u8>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    response_status: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    response_headers: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    response_body: Option<Vec<u8>>,
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

async fn purge(
    connection: &mut AsyncPgConnection,
    keep_for: Duration,
) -> Result<usize, diesel::result::Error> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
             SELECT organization_id, key FROM idempotency_keys
             WHERE created_at < now() - make_interval(secs => $1)
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Double, _>(keep_for.as_secs_f64())
    .bind::<diesel::sql_types::BigInt, _>(PURGE_BATCH)
    .execute(connection)
    .await
}

async fn claim(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    key: &RequestKey,
    fingerprint: &RequestFingerprint,
    lock_for: Duration,
    keep_for: Duration,
) -> Result<Option<Lease>, diesel::result::Error> {
    let rows: Vec<Claimed> = diesel::sql_query(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, lease, status,
            created_at, locked_until)
         VALUES ($1, $2, $3, $4, 'running', now(), now() + make_interval(secs => $5))
         ON CONFLICT (organization_id, key) DO UPDATE SET
            fingerprint = EXCLUDED.fingerprint, lease = EXCLUDED.lease, status = 'running',
            created_at = EXCLUDED.created_at, locked_until = EXCLUDED.locked_until,
            response_status = NULL, response_headers = NULL, response_body = NULL
         WHERE idempotency_keys.created_at < now() - make_interval(secs => $6)
            OR (idempotency_keys.status = 'running' AND idempotency_keys.locked_until < now())
         RETURNING lease",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(key.as_str())
    .bind::<Bytea, _>(fingerprint.as_bytes().as_slice())
    .bind::<SqlUuid, _>(Uuid::new_v4())
    .bind::<Double, _>(lock_for.as_secs_f64())
    .bind::<Double, _>(keep_for.as_secs_f64())
    .load(connection)
    .await?;
    Ok(rows.into_iter().next().map(|row| Lease(row.lease)))
}

async fn held(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    key: &RequestKey,
) -> Result<Option<Held>, diesel::result::Error> {
    let rows: Vec<Held> = diesel::sql_query(
        "SELECT fingerprint, response_status, response_headers::text AS response_headers,
                response_body
         FROM idempotency_keys WHERE organization_id = $1 AND key = $2",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(key.as_str())
    .load(connection)
    .await?;
    Ok(rows.into_iter().next())
}

/// What a row held by another request means for this one.
fn found(row: Held, fingerprint: &RequestFingerprint) -> Result<Begun, PortError> {
    if row.fingerprint.as_slice() != fingerprint.as_bytes() {
        return Ok(Begun::Reused);
    }
    let (Some(status), Some(body)) = (row.response_status, row.response_body) else {
        return Ok(Begun::InUse);
    };
    let headers: Vec<(String, String)> = row
        .response_headers
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| internal(format!("stored answer headers: {e}")))?
        .unwrap_or_default();
    Ok(Begun::Replay(StoredAnswer {
        status: u16::try_from(status).map_err(|e| internal(e.to_string()))?,
        headers,
        body,
    }))
}

#[async_trait]
impl IdempotencyStore for PgIdempotencyStore {
    async fn begin(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        fingerprint: &RequestFingerprint,
        lock_for: Duration,
        keep_for: Duration,
    ) -> Result<Begun, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        purge(&mut connection, keep_for)
            .await
            .map_err(error::from_query)?;
        for _ in 0..ATTEMPTS {
            let claimed = claim(
                &mut connection,
                organization,
                key,
                fingerprint,
                lock_for,
                keep_for,
            )
            .await
            .map_err(error::from_query)?;
            if let Some(lease) = claimed {
                return Ok(Begun::Claimed(lease));
            }
            if let Some(row) = held(&mut connection, organization, key)
                .await
                .map_err(error::from_query)?
            {
                return found(row, fingerprint);
            }
        }
        // Claimed and let go again and again meanwhile: the key is busy.
        Ok(Begun::InUse)
    }

    async fn complete(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        lease: Lease,
        answer: &StoredAnswer,
    ) -> Result<(), PortError> {
        let status = i16::try_from(answer.status).map_err(|e| internal(e.to_string()))?;
        let headers =
            serde_json::to_string(&answer.headers).map_err(|e| internal(e.to_string()))?;
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(
            "UPDATE idempotency_keys SET status = 'done', response_status = $4,
                response_headers = $5::jsonb, response_body = $6, locked_until = NULL
             WHERE organization_id = $1 AND key = $2 AND lease = $3 AND status = 'running'",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(key.as_str())
        .bind::<SqlUuid, _>(lease.0)
        .bind::<SmallInt, _>(status)
        .bind::<Text, _>(headers)
        .bind::<Bytea, _>(answer.body.as_slice())
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(())
    }

    async fn abandon(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        lease: Lease,
    ) -> Result<(), PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(
            "DELETE FROM idempotency_keys
             WHERE organization_id = $1 AND key = $2 AND lease = $3 AND status = 'running'",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(key.as_str())
        .bind::<SqlUuid, _>(lease.0)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(())
    }
}

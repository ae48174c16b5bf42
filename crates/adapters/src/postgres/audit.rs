//! The audit log: appended inside the transaction of the change it records, chained per
//! organization, and refused UPDATE, DELETE and TRUNCATE by the database itself.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{AuditChain, AuditEntry, AuditTrail, AuditView},
};
use tollgate_domain::{
    audit::{AuditRecord, BrokenLink, GENESIS_HASH, verify_chain},
    organization::OrganizationId,
};

use super::{PgPool, error, transaction};

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

/// Appends `entry` to the organization's chain using `connection`, which must be inside a
/// transaction: the advisory lock taken here serializes appenders until that transaction ends.
pub(super) async fn append_in(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    entry: &AuditEntry,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))")
        .bind::<Text, _>(organization.to_string())
        .execute(connection)
        .await?;
    let last: Option<Last> = diesel::sql_query(
        "SELECT sequence, hash FROM audit_log WHERE organization_id = $1
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .get_result(connection)
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other),
    })?;
    let (sequence, previous) = match last {
        Some(last) => (
            last.sequence + 1,
            <[u8; 32]>::try_from(last.hash.as_slice()).unwrap_or(GENESIS_HASH),
        ),
        None => (1, GENESIS_HASH),
    };
    let now = Utc::now();
    let occurred_at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let record = AuditRecord {
        sequence,
        occurred_at,
        actor: entry.context.actor.clone(),
        action: entry.action.to_owned(),
        target: entry.target.clone(),
        request_id: entry.context.request_id.clone(),
        result: entry.result.to_owned(),
        client_address_hash: entry.context.client_address_hash.clone(),
    };
    let hash = record.chain_hash(&previous);
    diesel::sql_query(
        "INSERT INTO audit_log (organization_id, sequence, occurred_at, actor, action, target,
            request_id, result, client_address_hash, previous_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<BigInt, _>(record.sequence)
    .bind::<Timestamptz, _>(record.occurred_at)
    .bind::<Text, _>(&record.actor)
    .bind::<Text, _>(&record.action)
    .bind::<Nullable<Text>, _>(record.target.as_deref())
    .bind::<Nullable<Text>, _>(record.request_id.as_deref())
    .bind::<Text, _>(&record.result)
    .bind::<Nullable<Text>, _>(record.client_address_hash.as_deref())
    .bind::<Bytea, _>(previous.as_slice())
    .bind::<Bytea, _>(hash.as_slice())
    .execute(connection)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    target: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Text)]
    result: String,
    #[diesel(sql_type = Nullable<Text>)]
    client_address_hash: Option<String>,
    #[diesel(sql_type = Bytea)]
    previous_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

const SELECT_ROWS: &str = "SELECT sequence, occurred_at, actor, action, target, request_id,
    result, client_address_hash, previous_hash, hash
    FROM audit_log WHERE organization_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3";

pub struct PgAuditTrail {
    pool: PgPool,
}

impl PgAuditTrail {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// Walks the organization's whole chain.
#[async_trait]
impl AuditChain for PgAuditTrail {
    async fn verify(
        &self,
        organization: OrganizationId,
    ) -> Result<Result<usize, BrokenLink>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(SELECT_ROWS)
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<BigInt, _>(0)
            .bind::<BigInt, _>(i64::MAX)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        let links: Vec<(AuditRecord, [u8; 32], [u8; 32])> = rows
            .into_iter()
            .map(|row| {
                let fixed =
                    |bytes: Vec<u8>| <[u8; 32]>::try_from(bytes.as_slice()).unwrap_or([0xff; 32]);
                (
                    AuditRecord {
                        sequence: row.sequence,
                        occurred_at: row.occurred_at,
                        actor: row.actor,
                        action: row.action,
                        target: row.target,
                        request_id: row.request_id,
                        result: row.result,
                        client_address_hash: row.client_address_hash,
                    },
                    fixed(row.previous_hash),
                    fixed(row.hash),
                )
            })
            .collect();
        Ok(verify_chain(links.iter().map(|(r, p, h)| (r, *p, *h))))
    }

    async fn last_sequence(&self, organization: OrganizationId) -> Result<i64, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let last: Option<Last> = diesel::sql_query(
            "SELECT sequence, hash FROM audit_log WHERE organization_id = $1
             ORDER BY sequence DESC LIMIT 1",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .get_result(&mut connection)
        .await
        .map(Some)
        .or_else(|e| match e {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(other),
        })
        .map_err(error::from_query)?;
        Ok(last.map_or(0, |last| last.sequence))
    }
}

#[async_trait]
impl AuditTrail for PgAuditTrail {
    async fn append(
        &self,
        organization: OrganizationId,
        entry: &AuditEntry,
    ) -> Result<(), PortError> {
        let entry = entry.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move { append_in(connection, organization, &entry).await })
        })
        .await
    }

    async fn page(
        &self,
        organization: OrganizationId,
        after_sequence: i64,
        limit: i64,
    ) -> Result<Vec<AuditView>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(SELECT_ROWS)
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<BigInt, _>(after_sequence)
            .bind::<BigInt, _>(limit)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| AuditView {
                sequence: row.sequence,
                occurred_at: row.occurred_at,
                actor: row.actor,
                action: row.action,
                target: row.target,
                request_id: row.request_id,
                result: row.result,
            })
            .collect())
    }
}

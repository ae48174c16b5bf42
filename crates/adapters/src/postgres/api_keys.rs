//! API keys, kept as SHA-256 digests, scoped by organization in every query.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{ApiKeyRecord, ApiKeyStore, AuditEntry, CreationKey, NewApiKey},
};
use tollgate_domain::{access::Scope, organization::OrganizationId, webhook_secret::SecretDigest};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

pub(super) const COLUMNS: &str =
    "id, organization_id, name, display_prefix, scopes, created_by, created_at,
    expires_at, last_used_at, revoked_at";

#[derive(QueryableByName)]
pub(super) struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    display_prefix: String,
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_used_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
}

impl From<Row> for ApiKeyRecord {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            organization: OrganizationId::from_uuid(row.organization_id),
            name: row.name,
            display_prefix: row.display_prefix,
            scopes: row
                .scopes
                .iter()
                .filter_map(|s| Scope::parse(s).ok())
                .collect(),
            created_by: row.created_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub struct PgApiKeyStore {
    pool: PgPool,
}

impl PgApiKeyStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ApiKeyStore for PgApiKeyStore {
    async fn create(
        &self,
        organization: OrganizationId,
        key: &NewApiKey,
        audit: &AuditEntry,
    ) -> Result<ApiKeyRecord, PortError> {
        let (key, audit) = (key.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let row: Row = diesel::sql_query(format!(
                    "INSERT INTO api_keys (id, organization_id, name, display_prefix,
                        secret_sha256, scopes, created_by, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
                ))
                .bind::<SqlUuid, _>(key.id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(&key.name)
                .bind::<Text, _>(&key.display_prefix)
                .bind::<Bytea, _>(key.digest.as_bytes().as_slice())
                .bind::<Array<Text>, _>(
                    key.scopes
                        .iter()
                        .map(|s| s.as_str().to_owned())
                        .collect::<Vec<_>>(),
                )
                .bind::<Text, _>(&audit.context.actor)
                .bind::<Nullable<Timestamptz>, _>(key.expires_at)
                .get_result(connection)
                .await?;
                append_in(connection, organization, &audit).await?;
                Ok(row.into())
            })
        })
        .await
    }

    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<ApiKeyRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM api_keys
             WHERE organization_id = $1
               AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
             ORDER BY created_at, id LIMIT $4"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.created_at))
        .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.id))
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<bool, PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let changed = diesel::sql_query(
                    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
                     WHERE organization_id = $1 AND id = $2",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .execute(connection)
                .await?;
                if changed == 1 {
                    append_in(connection, organization, &audit).await?;
                }
                Ok(changed == 1)
            })
        })
        .await
    }

    async fn authenticate(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // The use is recorded in the same round trip, but only when the last record is over a
        // minute old: an UPDATE that sets the same value still writes a new row version and
        // takes a row lock, which a busy key would pay on every request.
        let rows: Vec<Row> = diesel::sql_query(format!(
            "WITH key AS (
                 SELECT {COLUMNS} FROM api_keys
                 WHERE secret_sha256 = $1 AND revoked_at IS NULL
                   AND (expires_at IS NULL OR expires_at > $2)
             ), touched AS (
                 UPDATE api_keys SET last_used_at = $2
                 WHERE id IN (SELECT id FROM key
                              WHERE last_used_at IS NULL
                                 OR last_used_at < $2 - interval '1 minute')
             )
             SELECT {COLUMNS} FROM key"
        ))
        .bind::<Bytea, _>(digest.as_bytes().as_slice())
        .bind::<Timestamptz, _>(now)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().next().map(Into::into))
    }
}

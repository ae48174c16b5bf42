//! LiteLLM webhook secrets kept in the database (as SHA-256 digests only).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, CreationKey, NewWebhookSecret, WebhookSecret, WebhookSecretAdmin,
        WebhookSecretRecord, WebhookSecretStore,
    },
};
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

pub struct PgWebhookSecretStore {
    pool: PgPool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Bytea)]
    secret_sha256: Vec<u8>,
}

impl PgWebhookSecretStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Keeps the digest of a new secret for `organization`; adding one already kept is a no-op.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    pub async fn add(
        &self,
        organization: OrganizationId,
        digest: &SecretDigest,
        label: &str,
        display_prefix: &str,
    ) -> Result<(), PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(
            "INSERT INTO litellm_webhook_secrets (id, organization_id, secret_sha256, label,
                display_prefix)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (secret_sha256) DO NOTHING",
        )
        .bind::<SqlUuid, _>(Uuid::now_v7())
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Bytea, _>(digest.as_bytes().as_slice())
        .bind::<Text, _>(label)
        .bind::<Text, _>(display_prefix)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(())
    }
}

#[async_trait]
impl WebhookSecretStore for PgWebhookSecretStore {
    async fn active_secrets(&self) -> Result<Vec<WebhookSecret>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT organization_id, secret_sha256 FROM litellm_webhook_secrets
             WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
        )
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let digest: [u8; 32] = row.secret_sha256.try_into().ok()?;
                Some(WebhookSecret {
                    organization: OrganizationId::from_uuid(row.organization_id),
                    digest: SecretDigest::from_bytes(digest),
                })
            })
            .collect())
    }
}

const ADMIN_COLUMNS: &str = "id, label, display_prefix, created_at, expires_at, revoked_at";

#[derive(QueryableByName)]
struct AdminRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    display_prefix: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
}

impl From<AdminRow> for WebhookSecretRecord {
    fn from(row: AdminRow) -> Self {
        Self {
            id: row.id,
            label: row.label,
            display_prefix: row.display_prefix,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

async fn insert(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    secret: &NewWebhookSecret,
) -> Result<AdminRow, diesel::result::Error> {
    diesel::sql_query(format!(
        "INSERT INTO litellm_webhook_secrets (id, organization_id, secret_sha256, label,
            display_prefix) VALUES ($1, $2, $3, $4, $5) RETURNING {ADMIN_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(secret.id)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Bytea, _>(secret.digest.as_bytes().as_slice())
    .bind::<Text, _>(&secret.label)
    .bind::<Text, _>(&secret.display_prefix)
    .get_result(connection)
    .await
}

#[async_trait]
impl WebhookSecretAdmin for PgWebhookSecretStore {
    async fn list(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<WebhookSecretRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<AdminRow> = diesel::sql_query(format!(
            "SELECT {ADMIN_COLUMNS} FROM litellm_webhook_secrets
             WHERE organization_id = $1 ORDER BY created_at"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn page(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<WebhookSecretRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<AdminRow> = diesel::sql_query(format!(
            "SELECT {ADMIN_COLUMNS} FROM litellm_webhook_secrets
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

    async fn create(
        &self,
        organization: OrganizationId,
        secret: &NewWebhookSecret,
        audit: &AuditEntry,
    ) -> Result<WebhookSecretRecord, PortError> {
        let (secret, audit) = (secret.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let row = insert(connection, organization, &secret).await?;
                append_in(connection, organization, &audit).await?;
                Ok(row.into())
            })
        })
        .await
    }

    async fn rotate(
        &self,
        organization: OrganizationId,
        id: Uuid,
        replacement: &NewWebhookSecret,
        old_expires_at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<WebhookSecretRecord>, PortError> {
        let (replacement, audit) = (replacement.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let changed = diesel::sql_query(
                    "UPDATE litellm_webhook_secrets
                     SET expires_at = least(coalesce(expires_at, $3), $3)
                     WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(old_expires_at)
                .execute(connection)
                .await?;
                if changed == 0 {
                    return Ok(None);
                }
                let row = insert(connection, organization, &replacement).await?;
                append_in(connection, organization, &audit).await?;
                Ok(Some(row.into()))
            })
        })
        .await
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
                    "UPDATE litellm_webhook_secrets SET revoked_at = coalesce(revoked_at, now())
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
}

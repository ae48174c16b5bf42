//! LiteLLM webhook secrets kept in the database (as SHA-256 digests only).

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Bytea, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{WebhookSecret, WebhookSecretStore},
};
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};
use uuid::Uuid;

use super::{PgPool, error};

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
    ) -> Result<(), PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(
            "INSERT INTO litellm_webhook_secrets (id, organization_id, secret_sha256, label)
             VALUES ($1, $2, $3, $4) ON CONFLICT (secret_sha256) DO NOTHING",
        )
        .bind::<SqlUuid, _>(Uuid::now_v7())
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Bytea, _>(digest.as_bytes().as_slice())
        .bind::<Text, _>(label)
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

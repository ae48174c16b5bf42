//! Outbound webhook endpoints, their messages and deliveries. Every change is written with
//! its audit record in one transaction; signing secrets are made here and stored sealed
//! ([`sealing`]), opened only to sign or to be revealed.

mod adopt;
mod enqueue;
mod queue;
mod reads;
pub mod sealing;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Bool, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, DeliveryFilter, DeliveryRecord, EndpointChange, EndpointRecord, MessageDetail,
        NewEndpoint, NewMessage, ResendTarget, RevealedSecret, WebhookEndpointStore,
    },
};
use tollgate_domain::{organization::OrganizationId, outbound_webhook::EventType};
use uuid::Uuid;

pub use adopt::adopt_settings_urls;
pub use enqueue::enqueue_in;
pub use queue::PgWebhookDeliveryQueue;
use sealing::SecretSealer;

use super::{PgPool, audit::append_in, error, transaction};
use crate::signing::standard_webhooks::EndpointSecret;

pub struct PgWebhookEndpointStore {
    pool: PgPool,
    sealer: Arc<SecretSealer>,
}

impl PgWebhookEndpointStore {
    pub fn new(pool: PgPool, sealer: Arc<SecretSealer>) -> Self {
        Self { pool, sealer }
    }
}

const COLUMNS: &str = "id, url, description, event_types, enabled, disabled_reason, disabled_at,
    previous_secret_expires_at, created_at, updated_at";

#[derive(QueryableByName)]
struct EndpointRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Array<Text>)]
    event_types: Vec<String>,
    #[diesel(sql_type = Bool)]
    enabled: bool,
    #[diesel(sql_type = Nullable<Text>)]
    disabled_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    disabled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    previous_secret_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl EndpointRow {
    /// Rows hold only names the API accepted; a name no longer known (a type dropped in a
    /// later release) is left out rather than failing every read of the endpoint.
    fn record(self) -> EndpointRecord {
        EndpointRecord {
            id: self.id,
            url: self.url,
            description: self.description,
            event_types: self
                .event_types
                .iter()
                .filter_map(|name| EventType::parse(name).ok())
                .collect(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            disabled_at: self.disabled_at,
            previous_secret_expires_at: self.previous_secret_expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(QueryableByName)]
struct SealedRow {
    #[diesel(sql_type = Bytea)]
    secret_sealed: Vec<u8>,
}

fn names(types: &[EventType]) -> Vec<&'static str> {
    types.iter().map(|t| t.as_str()).collect()
}

pub(super) fn sealing_failed(error: sealing::SealError) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(error.to_string().into())
}

/// A fresh secret, and its sealed form for `endpoint`.
fn fresh_secret(
    sealer: &SecretSealer,
    endpoint: Uuid,
) -> Result<(RevealedSecret, Vec<u8>), PortError> {
    let secret = EndpointSecret::generate().reveal();
    let sealed =
        sealer
            .seal(endpoint, secret.expose_secret())
            .map_err(|e| PortError::Internal {
                service: "postgres",
                reason: e.to_string(),
            })?;
    Ok((RevealedSecret(secret.expose_secret().to_owned()), sealed))
}

async fn one(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    id: Uuid,
) -> Result<Option<EndpointRecord>, diesel::result::Error> {
    let rows: Vec<EndpointRow> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND id = $2"
    ))
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(id)
    .load(connection)
    .await?;
    Ok(rows.into_iter().next().map(EndpointRow::record))
}

/// Runs `change` (an UPDATE of the organization's endpoint answering its columns) with the
/// audit record when it found the endpoint.
async fn changed(
    pool: &PgPool,
    organization: OrganizationId,
    audit: &AuditEntry,
    query: diesel::query_builder::BoxedSqlQuery<
        'static,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    >,
) -> Result<Option<EndpointRecord>, PortError> {
    let audit = audit.clone();
    transaction(pool, move |connection| {
        Box::pin(async move {
            let rows: Vec<EndpointRow> = query.load(connection).await?;
            let Some(row) = rows.into_iter().next() else {
                return Ok(None);
            };
            append_in(connection, organization, &audit).await?;
            Ok(Some(row.record()))
        })
    })
    .await
}

#[async_trait]
impl WebhookEndpointStore for PgWebhookEndpointStore {
    async fn list(&self, organization: OrganizationId) -> Result<Vec<EndpointRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<EndpointRow> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 ORDER BY id"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().map(EndpointRow::record).collect())
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<EndpointRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        one(&mut connection, organization, id)
            .await
            .map_err(error::from_query)
    }

    async fn create(
        &self,
        organization: OrganizationId,
        endpoint: &NewEndpoint,
        audit: &AuditEntry,
    ) -> Result<(EndpointRecord, RevealedSecret), PortError> {
        let (secret, sealed) = fresh_secret(&self.sealer, endpoint.id)?;
        let endpoint = endpoint.clone();
        let audit = audit.clone();
        let record = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let row: EndpointRow = diesel::sql_query(format!(
                    "INSERT INTO webhook_endpoints
                         (id, organization_id, url, description, event_types, secret_sealed)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
                ))
                .bind::<SqlUuid, _>(endpoint.id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(&endpoint.url)
                .bind::<Text, _>(&endpoint.description)
                .bind::<Array<Text>, _>(names(&endpoint.event_types))
                .bind::<Bytea, _>(sealed)
                .get_result(connection)
                .await?;
                append_in(connection, organization, &audit).await?;
                Ok(row.record())
            })
        })
        .await?;
        Ok((record, secret))
    }

    async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        change: &EndpointChange,
        audit: &AuditEntry,
    ) -> Result<Option<EndpointRecord>, PortError> {
        let query = diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET url = COALESCE($3, url),
                 description = COALESCE($4, description),
                 event_types = COALESCE($5, event_types), updated_at = now()
             WHERE organization_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .into_boxed()
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Text>, _>(change.url.clone())
        .bind::<Nullable<Text>, _>(change.description.clone())
        .bind::<Nullable<Array<Text>>, _>(change.event_types.as_deref().map(names));
        changed(&self.pool, organization, audit, query).await
    }

    async fn delete(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<bool, PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let deleted = diesel::sql_query(
                    "DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .execute(connection)
                .await?;
                if deleted > 0 {
                    append_in(connection, organization, &audit).await?;
                }
                Ok(deleted > 0)
            })
        })
        .await
    }

    async fn rotate(
        &self,
        organization: OrganizationId,
        id: Uuid,
        previous_until: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<RevealedSecret>, PortError> {
        let (secret, sealed) = fresh_secret(&self.sealer, id)?;
        // The right-hand sides read the row as it was: the current secret becomes the
        // previous one (a secret still in its overlap is dropped: two at a time at most).
        let query = diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed,
                 previous_secret_expires_at = $3, secret_sealed = $4, updated_at = now()
             WHERE organization_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .into_boxed()
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .bind::<Timestamptz, _>(previous_until)
        .bind::<Bytea, _>(sealed);
        Ok(changed(&self.pool, organization, audit, query)
            .await?
            .map(|_| secret))
    }

    async fn reveal(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<RevealedSecret>, PortError> {
        let audit = audit.clone();
        let sealer = Arc::clone(&self.sealer);
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let rows: Vec<SealedRow> = diesel::sql_query(
                    "SELECT secret_sealed FROM webhook_endpoints
                     WHERE organization_id = $1 AND id = $2",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .load(connection)
                .await?;
                let Some(row) = rows.into_iter().next() else {
                    return Ok(None);
                };
                let secret = sealer
                    .open(id, &row.secret_sealed)
                    .map_err(sealing_failed)?;
                append_in(connection, organization, &audit).await?;
                Ok(Some(RevealedSecret(secret)))
            })
        })
        .await
    }

    async fn enable(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<EndpointRecord>, PortError> {
        let query = diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL,
                 disabled_at = NULL, failing_since = NULL, updated_at = now()
             WHERE organization_id = $1 AND id = $2 RETURNING {COLUMNS}"
        ))
        .into_boxed()
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id);
        changed(&self.pool, organization, audit, query).await
    }

    async fn enqueue(
        &self,
        organization: OrganizationId,
        message: &NewMessage,
        only: Option<Uuid>,
    ) -> Result<u64, PortError> {
        let message = message.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(
                async move { enqueue::enqueue_to(connection, organization, &message, only).await },
            )
        })
        .await
    }

    async fn deliveries(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        filter: &DeliveryFilter,
    ) -> Result<Vec<DeliveryRecord>, PortError> {
        reads::deliveries(&self.pool, organization, endpoint, filter).await
    }

    async fn resend(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        target: &ResendTarget,
        audit: &AuditEntry,
    ) -> Result<u64, PortError> {
        reads::resend(&self.pool, organization, endpoint, target, audit).await
    }

    async fn message(
        &self,
        organization: OrganizationId,
        id: &str,
    ) -> Result<Option<MessageDetail>, PortError> {
        reads::message(&self.pool, organization, id).await
    }
}

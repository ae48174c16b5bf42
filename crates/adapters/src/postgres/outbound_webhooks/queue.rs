//! Deliveries as a work queue: claims are leases taken with `FOR UPDATE SKIP LOCKED`, as the
//! outbox's are; an attempt is recorded only by the worker still holding the lease.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bytea, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{
        ClaimedDelivery, DeliveryAttemptRecord, DeliverySettlement, EndpointDisable,
        RevealedSecret, WebhookDeliveryQueue,
    },
};
use tollgate_domain::organization::OrganizationId;
use uuid::Uuid;

use super::{
    super::{PgPool, audit::append_in, error, transaction},
    sealing::SecretSealer,
    sealing_failed,
};

/// Due deliveries of enabled endpoints, oldest due first; rows another worker holds are
/// skipped, not waited for; an expired lease makes a row due again.
const CLAIM: &str = r"
WITH due AS (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
      AND (d.locked_until IS NULL OR d.locked_until < now())
    ORDER BY d.next_attempt_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $2)
FROM due, webhook_endpoints e, webhook_messages m
WHERE d.id = due.id AND e.id = d.endpoint_id AND m.id = d.message_id
RETURNING d.id, d.organization_id, d.endpoint_id, e.url, d.message_id, m.body, d.attempts,
          e.failing_since, d.locked_until
";

#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    endpoint_id: Uuid,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = BigInt)]
    attempts: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    failing_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    locked_until: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct SecretsRow {
    #[diesel(sql_type = Bytea)]
    secret_sealed: Vec<u8>,
    #[diesel(sql_type = Nullable<Bytea>)]
    previous_secret_sealed: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    previous_secret_expires_at: Option<DateTime<Utc>>,
}

pub struct PgWebhookDeliveryQueue {
    pool: PgPool,
    sealer: Arc<SecretSealer>,
}

impl PgWebhookDeliveryQueue {
    pub fn new(pool: PgPool, sealer: Arc<SecretSealer>) -> Self {
        Self { pool, sealer }
    }
}

#[async_trait]
impl WebhookDeliveryQueue for PgWebhookDeliveryQueue {
    async fn claim(&self, lease: Duration, limit: i64) -> Result<Vec<ClaimedDelivery>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<ClaimRow> = diesel::sql_query(CLAIM)
            .bind::<BigInt, _>(limit)
            .bind::<Double, _>(lease.as_secs_f64())
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| ClaimedDelivery {
                id: row.id,
                organization: OrganizationId::from_uuid(row.organization_id),
                endpoint_id: row.endpoint_id,
                url: row.url,
                message_id: row.message_id,
                body: row.body,
                attempts: row.attempts,
                failing_since: row.failing_since,
                lease_until: row.locked_until,
            })
            .collect())
    }

    async fn secrets(
        &self,
        delivery: &ClaimedDelivery,
        now: DateTime<Utc>,
    ) -> Result<Vec<RevealedSecret>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let row: SecretsRow = diesel::sql_query(
            "SELECT secret_sealed, previous_secret_sealed, previous_secret_expires_at
             FROM webhook_endpoints WHERE id = $1",
        )
        .bind::<SqlUuid, _>(delivery.endpoint_id)
        .get_result(&mut connection)
        .await
        .map_err(error::from_query)?;
        let open = |sealed: &[u8]| {
            self.sealer
                .open(delivery.endpoint_id, sealed)
                .map(RevealedSecret)
                .map_err(|e| error::from_query(sealing_failed(e)))
        };
        let mut secrets = vec![open(&row.secret_sealed)?];
        if let (Some(previous), Some(until)) =
            (row.previous_secret_sealed, row.previous_secret_expires_at)
            && until > now
        {
            secrets.push(open(&previous)?);
        }
        Ok(secrets)
    }

    async fn settle(
        &self,
        delivery: &ClaimedDelivery,
        attempt: &DeliveryAttemptRecord,
        settlement: DeliverySettlement,
        disable: Option<EndpointDisable>,
    ) -> Result<bool, PortError> {
        let delivery = delivery.clone();
        let attempt = attempt.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let (state, next) = match settlement {
                    DeliverySettlement::Delivered => ("delivered", None),
                    DeliverySettlement::Retry { at } => ("pending", Some(at)),
                    DeliverySettlement::Failed => ("failed", None),
                };
                let held = diesel::sql_query(
                    "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1,
                         next_attempt_at = COALESCE($4, next_attempt_at), locked_until = NULL,
                         updated_at = now()
                     WHERE id = $1 AND locked_until = $2",
                )
                .bind::<BigInt, _>(delivery.id)
                .bind::<Timestamptz, _>(delivery.lease_until)
                .bind::<Text, _>(state)
                .bind::<Nullable<Timestamptz>, _>(next)
                .execute(&mut *connection)
                .await?;
                if held == 0 {
                    return Ok(false);
                }
                diesel::sql_query(
                    "INSERT INTO webhook_attempts
                         (delivery_id, attempted_at, status_code, duration_ms, error, response_excerpt)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind::<BigInt, _>(delivery.id)
                .bind::<Timestamptz, _>(attempt.attempted_at)
                .bind::<Nullable<BigInt>, _>(attempt.status_code)
                .bind::<BigInt, _>(attempt.duration_ms)
                .bind::<Nullable<Text>, _>(&attempt.error)
                .bind::<Nullable<Text>, _>(&attempt.response_excerpt)
                .execute(&mut *connection)
                .await?;
                // A success ends the endpoint's run of failures; a failure starts one.
                diesel::sql_query(
                    "UPDATE webhook_endpoints SET failing_since =
                         CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, $3) END
                     WHERE id = $1",
                )
                .bind::<SqlUuid, _>(delivery.endpoint_id)
                .bind::<diesel::sql_types::Bool, _>(settlement == DeliverySettlement::Delivered)
                .bind::<Timestamptz, _>(attempt.attempted_at)
                .execute(&mut *connection)
                .await?;
                if let Some(disable) = disable {
                    diesel::sql_query(
                        "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2,
                             disabled_at = now(), updated_at = now()
                         WHERE id = $1 AND enabled",
                    )
                    .bind::<SqlUuid, _>(delivery.endpoint_id)
                    .bind::<Text, _>(&disable.reason)
                    .execute(&mut *connection)
                    .await?;
                    append_in(connection, delivery.organization, &disable.audit).await?;
                }
                Ok(true)
            })
        })
        .await
    }
}

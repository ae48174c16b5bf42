//! What the operator reads of deliveries and messages, and sending them again.

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, DeliveryAttemptRecord, DeliveryFilter, DeliveryRecord, DeliveryState,
        MessageDetail, ResendTarget,
    },
};
use tollgate_domain::organization::OrganizationId;
use uuid::Uuid;

use super::super::{PgPool, audit::append_in, error, transaction};

#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    attempts: i64,
    #[diesel(sql_type = Timestamptz)]
    next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_status: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct MessageRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    body: String,
}

#[derive(QueryableByName)]
struct AttemptRow {
    #[diesel(sql_type = SqlUuid)]
    endpoint_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    attempted_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    status_code: Option<i64>,
    #[diesel(sql_type = BigInt)]
    duration_ms: i64,
    #[diesel(sql_type = Nullable<Text>)]
    error: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    response_excerpt: Option<String>,
}

pub(super) async fn deliveries(
    pool: &PgPool,
    organization: OrganizationId,
    endpoint: Uuid,
    filter: &DeliveryFilter,
) -> Result<Vec<DeliveryRecord>, PortError> {
    let mut connection = pool.get().await.map_err(error::from_pool)?;
    let rows: Vec<DeliveryRow> = diesel::sql_query(
        "SELECT d.id, d.message_id, m.event_type, d.state, d.attempts, d.next_attempt_at,
                (SELECT a.status_code FROM webhook_attempts a WHERE a.delivery_id = d.id
                 ORDER BY a.id DESC LIMIT 1) AS last_status,
                d.created_at
         FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
         WHERE d.organization_id = $1 AND d.endpoint_id = $2
           AND ($3::text IS NULL OR d.state = $3)
           AND ($4::text IS NULL OR m.event_type = $4)
           AND ($5::bigint IS NULL OR d.id < $5)
         ORDER BY d.id DESC LIMIT $6",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(endpoint)
    .bind::<Nullable<Text>, _>(filter.state.map(DeliveryState::as_str))
    .bind::<Nullable<Text>, _>(filter.event_type.map(|t| t.as_str()))
    .bind::<Nullable<BigInt>, _>(filter.before)
    .bind::<BigInt, _>(filter.limit)
    .load(&mut connection)
    .await
    .map_err(error::from_query)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let state = DeliveryState::parse(&row.state).unwrap_or(DeliveryState::Failed);
            DeliveryRecord {
                id: row.id,
                message_id: row.message_id,
                event_type: row.event_type,
                state,
                attempts: row.attempts,
                next_attempt_at: (state == DeliveryState::Pending).then_some(row.next_attempt_at),
                last_status: row.last_status,
                created_at: row.created_at,
            }
        })
        .collect())
}

/// A message goes to the endpoint again even when it never went there (the endpoint was made
/// later, or filtered it out then); failed deliveries since a time are retried as they were.
pub(super) async fn resend(
    pool: &PgPool,
    organization: OrganizationId,
    endpoint: Uuid,
    target: &ResendTarget,
    audit: &AuditEntry,
) -> Result<u64, PortError> {
    let target = target.clone();
    let audit = audit.clone();
    transaction(pool, move |connection| {
        Box::pin(async move {
            let fresh = "state = 'pending', attempts = 0, next_attempt_at = now(),
                         locked_until = NULL, updated_at = now()";
            let queued = match &target {
                ResendTarget::Message(id) => {
                    diesel::sql_query(format!(
                        "INSERT INTO webhook_deliveries (organization_id, endpoint_id, message_id)
                         SELECT $1, e.id, m.id FROM webhook_messages m, webhook_endpoints e
                         WHERE m.organization_id = $1 AND m.id = $3
                           AND e.organization_id = $1 AND e.id = $2
                         ON CONFLICT (endpoint_id, message_id) DO UPDATE SET {fresh}"
                    ))
                    .bind::<SqlUuid, _>(organization.as_uuid())
                    .bind::<SqlUuid, _>(endpoint)
                    .bind::<Text, _>(id)
                    .execute(&mut *connection)
                    .await?
                }
                ResendTarget::FailedSince(since) => {
                    diesel::sql_query(format!(
                        "UPDATE webhook_deliveries SET {fresh}
                         WHERE organization_id = $1 AND endpoint_id = $2 AND state = 'failed'
                           AND created_at >= $3"
                    ))
                    .bind::<SqlUuid, _>(organization.as_uuid())
                    .bind::<SqlUuid, _>(endpoint)
                    .bind::<Timestamptz, _>(*since)
                    .execute(&mut *connection)
                    .await?
                }
            };
            if queued > 0 {
                append_in(connection, organization, &audit).await?;
            }
            Ok(u64::try_from(queued).unwrap_or_default())
        })
    })
    .await
}

pub(super) async fn message(
    pool: &PgPool,
    organization: OrganizationId,
    id: &str,
) -> Result<Option<MessageDetail>, PortError> {
    let mut connection = pool.get().await.map_err(error::from_pool)?;
    let rows: Vec<MessageRow> = diesel::sql_query(
        "SELECT id, event_type, created_at, body FROM webhook_messages
         WHERE organization_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(id)
    .load(&mut connection)
    .await
    .map_err(error::from_query)?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let attempts: Vec<AttemptRow> = diesel::sql_query(
        "SELECT d.endpoint_id, a.attempted_at, a.status_code, a.duration_ms, a.error,
                a.response_excerpt
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
         WHERE d.organization_id = $1 AND d.message_id = $2 ORDER BY a.id",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(id)
    .load(&mut connection)
    .await
    .map_err(error::from_query)?;
    Ok(Some(MessageDetail {
        id: row.id,
        event_type: row.event_type,
        created_at: row.created_at,
        body: row.body,
        attempts: attempts
            .into_iter()
            .map(|a| DeliveryAttemptRecord {
                endpoint_id: a.endpoint_id,
                attempted_at: a.attempted_at,
                status_code: a.status_code,
                duration_ms: a.duration_ms,
                error: a.error,
                response_excerpt: a.response_excerpt,
            })
            .collect(),
    }))
}

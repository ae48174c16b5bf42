//! Writing a message and its deliveries, inside the caller's transaction: an invoice change
//! and the event reporting it commit together or not at all.

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{ports::NewMessage, services::outbound_webhooks::new_message_id};
use tollgate_domain::{
    organization::OrganizationId,
    outbound_webhook::{EventType, MAX_BODY_BYTES},
};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Target {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The body as sent and signed: `{"type", "timestamp", "data"}`.
fn body(message: &NewMessage) -> Result<String, diesel::result::Error> {
    let text = serde_json::json!({
        "type": message.event_type.as_str(),
        "timestamp": message.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": message.data,
    })
    .to_string();
    // The events Tollgate emits carry ids and amounts, never free-form documents: a body
    // this large is a bug in the event's making, refused rather than sent cut.
    if text.len() > MAX_BODY_BYTES {
        return Err(diesel::result::Error::QueryBuilderError(
            format!(
                "a {} webhook body is {} bytes, over {MAX_BODY_BYTES}",
                message.event_type.as_str(),
                text.len()
            )
            .into(),
        ));
    }
    Ok(text)
}

/// Stores `message` and queues it for each enabled endpoint of the organization whose filter
/// takes its type, or for `only` whatever its filter. Nothing is stored when no endpoint
/// would receive it. Answers how many deliveries were queued.
///
/// # Errors
/// The database's, or a body over [`MAX_BODY_BYTES`].
pub(super) async fn enqueue_to(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    message: &NewMessage,
    only: Option<Uuid>,
) -> Result<u64, diesel::result::Error> {
    let targets: Vec<Target> = diesel::sql_query(
        "SELECT id FROM webhook_endpoints
         WHERE organization_id = $1 AND enabled
           AND (($3::uuid IS NOT NULL AND id = $3)
                OR ($3::uuid IS NULL AND (cardinality(event_types) = 0 OR $2 = ANY(event_types))))",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(message.event_type.as_str())
    .bind::<Nullable<SqlUuid>, _>(only)
    .load(connection)
    .await?;
    if targets.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "INSERT INTO webhook_messages (id, organization_id, event_type, body, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<Text, _>(&message.id)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(message.event_type.as_str())
    .bind::<Text, _>(body(message)?)
    .bind::<Timestamptz, _>(message.occurred_at)
    .execute(&mut *connection)
    .await?;
    let ids: Vec<Uuid> = targets.into_iter().map(|t| t.id).collect();
    let queued = diesel::sql_query(
        "INSERT INTO webhook_deliveries (organization_id, endpoint_id, message_id)
         SELECT $1, endpoint, $3 FROM UNNEST($2::uuid[]) AS endpoint",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Text, _>(&message.id)
    .execute(connection)
    .await?;
    Ok(u64::try_from(queued).unwrap_or_default())
}

/// An event of a change made in the caller's transaction, to every endpoint that takes it.
///
/// # Errors
/// As [`enqueue_to`].
pub async fn enqueue_in(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    event_type: EventType,
    occurred_at: DateTime<Utc>,
    data: serde_json::Value,
) -> Result<u64, diesel::result::Error> {
    let message = NewMessage {
        id: new_message_id(),
        event_type,
        occurred_at,
        data,
    };
    enqueue_to(connection, organization, &message, None).await
}

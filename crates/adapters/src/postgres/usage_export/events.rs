//! The event list (newest first, keyset paged) and an event's detail with its deliveries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{EventDelivery, EventDetail, EventFilter, EventLog, ExportCursor, ExportRow},
};
use tollgate_domain::organization::OrganizationId;

use super::{COLUMNS, PgUsageExport, Row};
use crate::postgres::error;

/// Unset bounds become infinities rather than `$n IS NULL OR ...`, so that a generic plan
/// still walks the (organization, time) index backwards from the cursor and stops at the
/// limit. The row comparison breaks ties between events of one microsecond by id.
fn recent_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM usage_events
         WHERE organization_id = $1
           AND occurred_at >= COALESCE($2, '-infinity'::timestamptz)
           AND occurred_at < COALESCE($3, 'infinity'::timestamptz)
           AND occurred_at <= COALESCE($4, 'infinity'::timestamptz)
           AND (occurred_at, id) < (COALESCE($4, 'infinity'::timestamptz),
                                    COALESCE($5, 9223372036854775807))
           AND ($6::text IS NULL OR customer_id = $6)
           AND ($7::text IS NULL OR model_group = $7)
           AND ($8::text IS NULL OR status = $8)
           AND ($9::text IS NULL OR api_key_alias = $9)
         ORDER BY occurred_at DESC, id DESC
         LIMIT $10"
    )
}

#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    next_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    delivered_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl EventLog for PgUsageExport {
    async fn recent(
        &self,
        organization: OrganizationId,
        filter: &EventFilter,
        before: Option<ExportCursor>,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(recent_sql())
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Nullable<Timestamptz>, _>(filter.from)
            .bind::<Nullable<Timestamptz>, _>(filter.to)
            .bind::<Nullable<Timestamptz>, _>(before.map(|c| c.occurred_at))
            .bind::<Nullable<BigInt>, _>(before.map(|c| c.id))
            .bind::<Nullable<Text>, _>(filter.customer.as_deref())
            .bind::<Nullable<Text>, _>(filter.model.as_deref())
            .bind::<Nullable<Text>, _>(filter.status.as_deref())
            .bind::<Nullable<Text>, _>(filter.key_alias.as_deref())
            .bind::<BigInt, _>(limit)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        rows.into_iter().map(ExportRow::try_from).collect()
    }

    async fn event(
        &self,
        organization: OrganizationId,
        id: i64,
    ) -> Result<Option<EventDetail>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM usage_events WHERE organization_id = $1 AND id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<BigInt, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let deliveries: Vec<DeliveryRow> = diesel::sql_query(
            "SELECT target, state, attempts,
                    CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at,
                    delivered_at
             FROM outbox WHERE organization_id = $1 AND event_id = $2 ORDER BY target",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<BigInt, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(Some(EventDetail {
            event: ExportRow::try_from(row)?,
            deliveries: deliveries
                .into_iter()
                .map(|d| EventDelivery {
                    target: d.target,
                    state: d.state,
                    attempts: d.attempts,
                    next_attempt_at: d.next_attempt_at,
                    delivered_at: d.delivered_at,
                })
                .collect(),
        }))
    }
}

//! What operators see of the outbox and what they may do with it: depth and age, the dead
//! letters one by one, and dead letters sent back to pending (all, a target's, or one).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditEntry, DEAD_LETTER_ERROR_CHARS, DeadLetter, OutboxAdmin, OutboxDepth},
};
use tollgate_domain::organization::OrganizationId;

use super::{PgPool, audit::append_in, error, transaction};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    oldest_age_secs: i64,
}

#[derive(QueryableByName)]
struct DeadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    died_at: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl From<DeadRow> for DeadLetter {
    fn from(row: DeadRow) -> Self {
        Self {
            outbox_id: row.id,
            event_id: row.event_id,
            target: row.target,
            attempts: row.attempts,
            last_error: row.reason,
            // Read here rather than cast in SQL: a malformed time in the JSON must cost only
            // this field, not the whole list.
            died_at: row
                .died_at
                .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
                .map(|at| at.with_timezone(&Utc)),
            queued_at: row.created_at,
        }
    }
}

pub struct PgOutboxAdmin {
    pool: PgPool,
}

impl PgOutboxAdmin {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OutboxAdmin for PgOutboxAdmin {
    async fn depth(
        &self,
        organization: Option<OrganizationId>,
    ) -> Result<Vec<OutboxDepth>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT target, state, count(*) AS count,
                    coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint
                        AS oldest_age_secs
             FROM outbox
             WHERE state <> 'delivered' AND ($1::uuid IS NULL OR organization_id = $1)
             GROUP BY target, state ORDER BY target, state",
        )
        .bind::<Nullable<SqlUuid>, _>(organization.map(|o| o.as_uuid()))
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxDepth {
                target: row.target,
                state: row.state,
                count: row.count,
                oldest_age_secs: row.oldest_age_secs,
            })
            .collect())
    }

    async fn retry_dead(
        &self,
        organization: OrganizationId,
        target: Option<String>,
        audit: &AuditEntry,
    ) -> Result<u64, PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let revived = diesel::sql_query(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(),
                        locked_until = NULL
                     WHERE organization_id = $1 AND state = 'dead'
                       AND ($2::text IS NULL OR target = $2)",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Nullable<Text>, _>(target.as_deref())
                .execute(connection)
                .await?;
                append_in(connection, organization, &audit).await?;
                Ok(u64::try_from(revived).unwrap_or(0))
            })
        })
        .await
    }

    async fn dead_letters(
        &self,
        organization: OrganizationId,
        target: Option<String>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeadLetter>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // Newest first by id, walking the primary key backwards: dead letters are rare, and
        // the page stops at `limit`. The reason only, cut: never the event's payload.
        let rows: Vec<DeadRow> = diesel::sql_query(
            "SELECT id, event_id, target, attempts,
                    left(last_error->>'reason', $5) AS reason,
                    last_error->>'at' AS died_at, created_at
             FROM outbox
             WHERE organization_id = $1 AND state = 'dead'
               AND ($2::text IS NULL OR target = $2)
               AND ($3::bigint IS NULL OR id < $3)
             ORDER BY id DESC
             LIMIT $4",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<Text>, _>(target.as_deref())
        .bind::<Nullable<BigInt>, _>(before)
        .bind::<BigInt, _>(limit.max(0))
        .bind::<Integer, _>(DEAD_LETTER_ERROR_CHARS)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().map(DeadLetter::from).collect())
    }

    async fn retry_dead_letter(
        &self,
        organization: OrganizationId,
        outbox_id: i64,
        audit: &AuditEntry,
    ) -> Result<bool, PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let revived = diesel::sql_query(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(),
                        locked_until = NULL
                     WHERE organization_id = $1 AND id = $2 AND state = 'dead'",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<BigInt, _>(outbox_id)
                .execute(connection)
                .await?;
                // Only a retry that happened is recorded: a second click finds nothing.
                if revived == 1 {
                    append_in(connection, organization, &audit).await?;
                }
                Ok(revived == 1)
            })
        })
        .await
    }
}

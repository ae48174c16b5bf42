//! What operators see of the outbox and what they may do with it: depth and age, and dead
//! letters sent back to pending.

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditEntry, OutboxAdmin, OutboxDepth},
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
}

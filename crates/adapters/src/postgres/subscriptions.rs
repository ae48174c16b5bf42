//! Subscriptions and their phases, scoped by organization in every query, each change written
//! with its audit record. The database settles races: one live subscription per customer is a
//! unique index, and a change applies only to the state it was decided on.

mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, ChangeLock, NewSubscription, PhaseChange, SubscriptionConflict,
        SubscriptionRecord, SubscriptionStore,
    },
};
use tollgate_domain::{
    billing::{PhaseReason, PlanVersionRef},
    organization::OrganizationId,
};
use uuid::Uuid;

use self::rows::{COLUMNS, Row, internal, records};
use super::{PgPool, audit::append_in, change_lock, error, transaction};

async fn insert_phase(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    subscription: Uuid,
    starts_at: DateTime<Utc>,
    plan: PlanVersionRef,
    reason: PhaseReason,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "INSERT INTO billing_subscription_phases (subscription_id, organization_id, starts_at,
            plan_id, plan_version, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(subscription)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Timestamptz, _>(starts_at)
    .bind::<SqlUuid, _>(plan.plan_id)
    // Versions come from the database's own integer column: they fit.
    .bind::<Integer, _>(i32::try_from(plan.version).unwrap_or(i32::MAX))
    .bind::<Text, _>(reason.as_str())
    .execute(connection)
    .await?;
    Ok(())
}

pub struct PgSubscriptionStore {
    pool: PgPool,
}

impl PgSubscriptionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl SubscriptionStore for PgSubscriptionStore {
    async fn lock_customer(
        &self,
        organization: OrganizationId,
        customer: Uuid,
    ) -> Result<ChangeLock, PortError> {
        let key = format!("subscribe:{organization}:{customer}");
        change_lock::acquire(&self.pool, key).await
    }

    async fn lock_subscription(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<ChangeLock, PortError> {
        let key = format!("subscription:{organization}:{id}");
        change_lock::acquire(&self.pool, key).await
    }

    async fn create(
        &self,
        organization: OrganizationId,
        new: &NewSubscription,
        audit: &AuditEntry,
    ) -> Result<Result<SubscriptionRecord, SubscriptionConflict>, PortError> {
        let first = *new
            .subscription
            .phases()
            .first()
            .ok_or_else(|| internal("a new subscription without a phase".to_owned()))?;
        let (new, audit) = (new.clone(), audit.clone());
        let id = new.id;
        let outcome = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let subscription = &new.subscription;
                // A conflict on either unique key inserts nothing; which one is read after, once
                // the racing transaction that holds it has committed.
                let inserted = diesel::sql_query(
                    "INSERT INTO billing_subscriptions (id, organization_id, customer_id,
                        external_id, status, billing_anchor, started_at, trial_ends_at,
                        invoiced_through)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)
                     ON CONFLICT DO NOTHING",
                )
                .bind::<SqlUuid, _>(new.id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(new.customer_id)
                .bind::<Text, _>(&new.external_id)
                .bind::<Text, _>(new.status.as_str())
                .bind::<Timestamptz, _>(subscription.billing_anchor())
                .bind::<Timestamptz, _>(subscription.started_at())
                .bind::<Nullable<Timestamptz>, _>(subscription.trial_ends_at())
                .execute(connection)
                .await?;
                if inserted == 0 {
                    let live: Vec<Row> = diesel::sql_query(format!(
                        "SELECT {COLUMNS} FROM billing_subscriptions
                         WHERE organization_id = $1 AND customer_id = $2
                           AND status IN ('pending', 'active')"
                    ))
                    .bind::<SqlUuid, _>(organization.as_uuid())
                    .bind::<SqlUuid, _>(new.customer_id)
                    .load(connection)
                    .await?;
                    return Ok(Some(if live.is_empty() {
                        SubscriptionConflict::ExternalIdTaken
                    } else {
                        SubscriptionConflict::LiveSubscriptionExists
                    }));
                }
                insert_phase(
                    connection,
                    organization,
                    new.id,
                    first.starts_at,
                    first.plan,
                    first.reason,
                )
                .await?;
                append_in(connection, organization, &audit).await?;
                Ok(None)
            })
        })
        .await?;
        if let Some(conflict) = outcome {
            return Ok(Err(conflict));
        }
        self.get(organization, id)
            .await?
            .map(Ok)
            .ok_or_else(|| internal(format!("subscription {id} vanished after its creation")))
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<SubscriptionRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_subscriptions WHERE organization_id = $1 AND id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(records(&mut connection, organization, rows)
            .await?
            .into_iter()
            .next())
    }

    async fn list(
        &self,
        organization: OrganizationId,
        customer: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SubscriptionRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_subscriptions
             WHERE organization_id = $1 AND ($2::uuid IS NULL OR customer_id = $2)
               AND ($3::uuid IS NULL OR id > $3)
             ORDER BY id LIMIT $4"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(customer)
        .bind::<Nullable<SqlUuid>, _>(after)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        records(&mut connection, organization, rows).await
    }

    async fn change(
        &self,
        organization: OrganizationId,
        id: Uuid,
        read_at: DateTime<Utc>,
        change: &PhaseChange,
        audit: &AuditEntry,
    ) -> Result<Option<SubscriptionRecord>, PortError> {
        let (change, audit) = (*change, audit.clone());
        let applied = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // `updated_at` moves strictly forward, so a second change decided on the same
                // read finds it moved and applies nothing.
                let touched = diesel::sql_query(
                    "UPDATE billing_subscriptions
                     SET status = $4,
                         terminated_at = CASE WHEN $5 THEN $6 ELSE terminated_at END,
                         updated_at = greatest(clock_timestamp(),
                                               updated_at + interval '1 microsecond')
                     WHERE organization_id = $1 AND id = $2 AND updated_at = $3
                       AND status <> 'terminated'",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(read_at)
                .bind::<Text, _>(change.status.as_str())
                .bind::<Bool, _>(change.terminate)
                .bind::<Timestamptz, _>(change.from)
                .execute(connection)
                .await?;
                if touched == 0 {
                    return Ok(false);
                }
                // The three steps of `Subscription::rewrite_from`.
                diesel::sql_query(
                    "DELETE FROM billing_subscription_phases
                     WHERE organization_id = $1 AND subscription_id = $2 AND starts_at >= $3",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(change.from)
                .execute(connection)
                .await?;
                diesel::sql_query(
                    "UPDATE billing_subscription_phases SET ends_at = $3
                     WHERE organization_id = $1 AND subscription_id = $2 AND starts_at < $3
                       AND (ends_at IS NULL OR ends_at > $3)",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(change.from)
                .execute(connection)
                .await?;
                if let Some((plan, reason)) = change.next {
                    insert_phase(connection, organization, id, change.from, plan, reason).await?;
                }
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await?;
        if !applied {
            return Ok(None);
        }
        self.get(organization, id).await
    }
}

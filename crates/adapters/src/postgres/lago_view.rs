//! Lago's webhooks applied to the view of invoices and subscriptions: the receipt
//! (`lago_webhook_receipts`, keyed by `X-Lago-Unique-Key`), the change and its audit record in
//! one transaction.
//!
//! The receipt goes in first with `ON CONFLICT DO NOTHING`: a repeat finds it and changes
//! nothing, and a concurrent repeat waits on the key's index entry until the first one commits
//! (then finds it) or rolls back (then applies it itself). So each key is applied once, and a
//! crash leaves either the receipt with its change or neither.

mod invoice;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, EngineViewStore, ViewOutcome, WebhookReceipt},
};
use tollgate_domain::{
    billing::engine_event::{SubscriptionChange, SubscriptionViewStatus, ViewUpdate},
    organization::OrganizationId,
};

use super::{PgPool, audit::append_in, transaction};

pub struct PgEngineViewStore {
    pool: PgPool,
}

impl PgEngineViewStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl EngineViewStore for PgEngineViewStore {
    async fn apply(
        &self,
        receipt: &WebhookReceipt,
        update: &ViewUpdate,
        audit: &AuditEntry,
    ) -> Result<ViewOutcome, PortError> {
        let (receipt, update, audit) = (receipt.clone(), update.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move { apply_in(connection, &receipt, &update, &audit).await })
        })
        .await
    }
}

async fn apply_in(
    connection: &mut AsyncPgConnection,
    receipt: &WebhookReceipt,
    update: &ViewUpdate,
    audit: &AuditEntry,
) -> Result<ViewOutcome, diesel::result::Error> {
    let organization = receipt.organization;
    let stored = diesel::sql_query(
        "INSERT INTO lago_webhook_receipts
            (unique_key, organization_id, webhook_type, object_id, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind::<Text, _>(&receipt.unique_key)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(&receipt.webhook_type)
    .bind::<Nullable<Text>, _>(receipt.object_id.as_deref())
    .bind::<Timestamptz, _>(receipt.received_at)
    .execute(connection)
    .await?;
    if stored == 0 {
        return Ok(ViewOutcome::Duplicate);
    }
    let outcome = match update {
        ViewUpdate::Invoice(view) => invoice::upsert(connection, organization, view).await?,
        ViewUpdate::DiscardDraftInvoice { lago_id } => {
            invoice::discard_draft(connection, organization, *lago_id).await?
        }
        ViewUpdate::Subscription(change) => subscription(connection, organization, change).await?,
        ViewUpdate::Ignored(_) => ViewOutcome::ReceiptOnly,
    };
    if outcome == ViewOutcome::Applied {
        append_in(connection, organization, audit).await?;
    }
    Ok(outcome)
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

/// Terminates (from any status, keeping the first termination time) or activates (only from
/// pending) the organization's subscription `change.external_id`.
async fn subscription(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    change: &SubscriptionChange,
) -> Result<ViewOutcome, diesel::result::Error> {
    let changed: Option<Id> = match change.to {
        SubscriptionViewStatus::Terminated => diesel::sql_query(
            "UPDATE billing_subscriptions
             SET status = 'terminated', terminated_at = COALESCE(terminated_at, $3),
                 updated_at = now()
             WHERE organization_id = $1 AND external_id = $2 AND status <> 'terminated'
             RETURNING id",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(&change.external_id)
        .bind::<Timestamptz, _>(change.at)
        .get_result(connection)
        .await
        .map(Some)
        .or_else(not_found_is_none)?,
        SubscriptionViewStatus::Active => diesel::sql_query(
            "UPDATE billing_subscriptions SET status = 'active', updated_at = now()
             WHERE organization_id = $1 AND external_id = $2 AND status = 'pending'
             RETURNING id",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(&change.external_id)
        .get_result(connection)
        .await
        .map(Some)
        .or_else(not_found_is_none)?,
    };
    if let Some(changed) = changed {
        if change.to == SubscriptionViewStatus::Terminated {
            end_phases(connection, changed.id, change.at).await?;
        }
        return Ok(ViewOutcome::Applied);
    }
    let known: Option<Id> = diesel::sql_query(
        "SELECT id FROM billing_subscriptions WHERE organization_id = $1 AND external_id = $2",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(&change.external_id)
    .get_result(connection)
    .await
    .map(Some)
    .or_else(not_found_is_none)?;
    Ok(if known.is_some() {
        ViewOutcome::Unchanged
    } else {
        ViewOutcome::UnknownSubscription
    })
}

/// Mirrors `Subscription::terminate` (its `rewrite_from` with no next phase): phases from `at`
/// on go, the one running across `at` ends there.
async fn end_phases(
    connection: &mut AsyncPgConnection,
    subscription: uuid::Uuid,
    at: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "DELETE FROM billing_subscription_phases WHERE subscription_id = $1 AND starts_at >= $2",
    )
    .bind::<SqlUuid, _>(subscription)
    .bind::<Timestamptz, _>(at)
    .execute(connection)
    .await?;
    diesel::sql_query(
        "UPDATE billing_subscription_phases SET ends_at = $2
         WHERE subscription_id = $1 AND starts_at < $2 AND (ends_at IS NULL OR ends_at > $2)",
    )
    .bind::<SqlUuid, _>(subscription)
    .bind::<Timestamptz, _>(at)
    .execute(connection)
    .await?;
    Ok(())
}

fn not_found_is_none<T>(error: diesel::result::Error) -> Result<Option<T>, diesel::result::Error> {
    match error {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other),
    }
}

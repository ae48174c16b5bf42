//! Reading subscriptions and their phases back into the domain.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{PortError, ports::SubscriptionRecord};
use tollgate_domain::{
    billing::{Interval, Phase, PhaseReason, PlanVersionRef, Subscription, SubscriptionStatus},
    organization::OrganizationId,
};
use uuid::Uuid;

pub(super) const COLUMNS: &str = "id, organization_id, customer_id, external_id, status,
    billing_anchor, started_at, trial_ends_at, terminated_at, invoiced_through, created_at,
    updated_at";

#[derive(QueryableByName)]
pub(super) struct Row {
    #[diesel(sql_type = SqlUuid)]
    pub(super) id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = Text)]
    external_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    billing_anchor: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    trial_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    terminated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    invoiced_through: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct PhaseRow {
    #[diesel(sql_type = SqlUuid)]
    subscription_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = SqlUuid)]
    plan_id: Uuid,
    #[diesel(sql_type = Integer)]
    plan_version: i32,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    interval: String,
    #[diesel(sql_type = Text)]
    code: String,
}

pub(super) fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

/// The phases of `subscriptions`, each with its plan's interval and code, by start.
async fn phases_of(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    subscriptions: Vec<Uuid>,
) -> Result<Vec<PhaseRow>, diesel::result::Error> {
    diesel::sql_query(
        "SELECT ph.subscription_id, ph.starts_at, ph.ends_at, ph.plan_id, ph.plan_version,
            ph.reason, v.interval, p.code
         FROM billing_subscription_phases ph
         JOIN billing_plan_versions v ON v.plan_id = ph.plan_id AND v.version = ph.plan_version
         JOIN billing_plans p ON p.id = ph.plan_id
         WHERE ph.organization_id = $1 AND ph.subscription_id = ANY($2)
         ORDER BY ph.subscription_id, ph.starts_at",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Array<SqlUuid>, _>(subscriptions)
    .load(connection)
    .await
}

/// The records of `rows`, their phases read in one more query.
pub(super) async fn records(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    rows: Vec<Row>,
) -> Result<Vec<SubscriptionRecord>, PortError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids = rows.iter().map(|row| row.id).collect();
    let phase_rows = phases_of(connection, organization, ids)
        .await
        .map_err(super::error::from_query)?;
    let mut phases: BTreeMap<Uuid, Vec<PhaseRow>> = BTreeMap::new();
    for phase in phase_rows {
        phases.entry(phase.subscription_id).or_default().push(phase);
    }
    rows.into_iter()
        .map(|row| {
            let own = phases.remove(&row.id).unwrap_or_default();
            record(row, own)
        })
        .collect()
}

fn record(row: Row, phase_rows: Vec<PhaseRow>) -> Result<SubscriptionRecord, PortError> {
    let id = row.id;
    let broken = |reason: String| internal(format!("stored subscription {id}: {reason}"));
    // Every phase of a subscription shares its interval (plan changes keep it). One terminated
    // before it started has no phase and never bills: its interval is moot.
    let interval = match <[PhaseRow]>::first(&phase_rows) {
        Some(phase) => Interval::parse(&phase.interval)
            .ok_or_else(|| broken(format!("interval `{}`", phase.interval)))?,
        None => Interval::Monthly,
    };
    let mut plan_codes = BTreeMap::new();
    let mut phases = Vec::with_capacity(phase_rows.len());
    for phase in phase_rows {
        plan_codes.insert(phase.plan_id, phase.code);
        phases.push(Phase {
            starts_at: phase.starts_at,
            ends_at: phase.ends_at,
            plan: PlanVersionRef {
                plan_id: phase.plan_id,
                version: u32::try_from(phase.plan_version).map_err(|e| broken(e.to_string()))?,
            },
            reason: PhaseReason::parse(&phase.reason)
                .ok_or_else(|| broken(format!("phase reason `{}`", phase.reason)))?,
        });
    }
    let subscription = Subscription::restore(
        row.billing_anchor,
        row.started_at,
        row.trial_ends_at,
        row.terminated_at,
        interval,
        phases,
    )
    .map_err(|e| broken(e.to_string()))?;
    Ok(SubscriptionRecord {
        id: row.id,
        organization: OrganizationId::from_uuid(row.organization_id),
        customer_id: row.customer_id,
        external_id: row.external_id,
        stored_status: SubscriptionStatus::parse(&row.status)
            .ok_or_else(|| broken(format!("status `{}`", row.status)))?,
        subscription,
        plan_codes,
        invoiced_through: row.invoiced_through,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

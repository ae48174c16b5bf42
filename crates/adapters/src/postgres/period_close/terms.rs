//! Reading the claimed subscriptions' terms: phases, plan versions (decoded once per batch)
//! and their plans' latest versions, with what the claim read of each subscription.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::services::billing::period_close::rules::{PhaseTerms, SubscriptionTerms};
use tollgate_domain::{
    DomainError,
    billing::{Currency, Money, Plan, TaxRate},
    money::parse_decimal,
    usage::CustomerId,
};
use uuid::Uuid;

use super::{super::decode_plan, claim::Candidate};

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
    version: i32,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = SqlUuid)]
    plan_id: Uuid,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = Bool)]
    latest: bool,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    interval: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The claimed subscriptions' terms by id (those whose plans cannot be read are left out and
/// reported), and every plan's latest version.
pub(super) struct Terms {
    pub subscriptions: HashMap<Uuid, Result<SubscriptionTerms, DomainError>>,
    pub latest: HashMap<Uuid, (i32, Arc<Plan>)>,
}

pub(super) async fn terms(
    connection: &mut AsyncPgConnection,
    candidates: &[Candidate],
    default_tax_rate: TaxRate,
) -> Result<Terms, diesel::result::Error> {
    let ids: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
    let phases: Vec<PhaseRow> = diesel::sql_query(
        "SELECT subscription_id, starts_at, ends_at, plan_id, plan_version AS version
         FROM billing_subscription_phases WHERE subscription_id = ANY($1)
         ORDER BY subscription_id, starts_at",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(&mut *connection)
    .await?;
    let versions: Vec<VersionRow> = diesel::sql_query(
        "WITH wanted AS (
            SELECT DISTINCT plan_id, plan_version AS version FROM billing_subscription_phases
            WHERE subscription_id = ANY($1))
         SELECT v.plan_id, v.version, v.version = p.current_version AS latest, p.code,
                v.interval, v.currency, v.definition::text AS definition
         FROM billing_plans p
         JOIN billing_plan_versions v ON v.plan_id = p.id
         WHERE (v.plan_id, v.version) IN (SELECT plan_id, version FROM wanted)
            OR (v.plan_id IN (SELECT plan_id FROM wanted) AND v.version = p.current_version)",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(&mut *connection)
    .await?;
    let mut plans: HashMap<(Uuid, i32), Result<Arc<Plan>, DomainError>> = HashMap::new();
    let mut latest = HashMap::new();
    for row in versions {
        let plan = serde_json::from_str(&row.definition)
            .map_err(|e| DomainError::Invalid {
                field: "plan definition",
                reason: e.to_string(),
            })
            .and_then(|json| decode_plan(&row.code, &row.interval, &row.currency, &json))
            .map(Arc::new);
        if row.latest
            && let Ok(plan) = &plan
        {
            latest.insert(row.plan_id, (row.version, Arc::clone(plan)));
        }
        plans.insert((row.plan_id, row.version), plan);
    }
    let mut by_subscription: HashMap<Uuid, Vec<PhaseRow>> = HashMap::new();
    for phase in phases {
        by_subscription
            .entry(phase.subscription_id)
            .or_default()
            .push(phase);
    }
    let subscriptions = candidates
        .iter()
        .map(|candidate| {
            let rows = by_subscription.remove(&candidate.id).unwrap_or_default();
            let terms = subscription_terms(candidate, rows, &plans, default_tax_rate);
            (candidate.id, terms)
        })
        .collect();
    Ok(Terms {
        subscriptions,
        latest,
    })
}

fn subscription_terms(
    candidate: &Candidate,
    phases: Vec<PhaseRow>,
    plans: &HashMap<(Uuid, i32), Result<Arc<Plan>, DomainError>>,
    default_tax_rate: TaxRate,
) -> Result<SubscriptionTerms, DomainError> {
    let minor = u8::try_from(candidate.currency_minor_units).unwrap_or(2);
    let currency = Currency::with_minor_units(&candidate.currency, minor)
        .or_else(|_| Currency::parse(&candidate.currency))?;
    // Read at every close, not copied onto the subscription: a changed rate applies from the
    // next invoice on, and invoices already written keep theirs.
    let tax_rate = match &candidate.tax_rate {
        Some(percent) => TaxRate::parse(percent)?,
        None => default_tax_rate,
    };
    let phases = phases
        .into_iter()
        .map(|row| {
            let plan = match plans.get(&(row.plan_id, row.version)) {
                Some(Ok(plan)) => Arc::clone(plan),
                Some(Err(error)) => return Err(error.clone()),
                None => {
                    return Err(DomainError::Invalid {
                        field: "plan version",
                        reason: format!("{} version {} is missing", row.plan_id, row.version),
                    });
                }
            };
            Ok(PhaseTerms {
                starts_at: row.starts_at,
                ends_at: row.ends_at,
                plan_id: row.plan_id,
                version: row.version,
                plan,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let paid_in_advance = candidate
        .paid_in_advance
        .as_deref()
        .map(|amount| {
            parse_decimal("paid in advance", amount).map(|amount| Money::new(amount, currency))
        })
        .transpose()?;
    Ok(SubscriptionTerms {
        customer: CustomerId::parse(candidate.customer.as_str())?,
        currency,
        tax_rate,
        billing_anchor: candidate.billing_anchor,
        started_at: candidate.started_at,
        trial_ends_at: candidate.trial_ends_at,
        terminated_at: candidate.terminated_at,
        invoiced_through: candidate.invoiced_through,
        opened: candidate.opened,
        paid_in_advance,
        unused_on_credit_note: candidate.creditable(),
        phases,
    })
}

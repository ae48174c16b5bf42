//! Claiming candidate subscriptions (`FOR UPDATE SKIP LOCKED`) and reading their terms:
//! customer, phases, plan versions (decoded once per batch) and their plans' latest versions.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    ports::{CloseCursor, CloseRequest},
    services::billing::period_close::rules::{PhaseTerms, SubscriptionTerms},
};
use tollgate_domain::{
    DomainError,
    billing::{Currency, Money, NetTerms, Plan, TaxRate},
    money::parse_decimal,
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::super::decode_plan;

/// The shortest billing period: a subscription invoiced up to less than this before the
/// close's horizon cannot have a period due (unless it terminated or awaits its opening).
const SHORTEST_PERIOD_DAYS: i32 = 28;

#[derive(QueryableByName)]
pub(super) struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub customer_id: Uuid,
    #[diesel(sql_type = Text)]
    customer: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Integer)]
    currency_minor_units: i32,
    /// The customer's own rate in percent; `NULL`: the close's default.
    #[diesel(sql_type = Nullable<Text>)]
    tax_rate: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    billing_anchor: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    trial_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    terminated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub invoiced_through: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    opened: bool,
    /// The in-advance base fee billed for the period holding `invoiced_through`.
    #[diesel(sql_type = Nullable<Text>)]
    paid_in_advance: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    customer_net_terms: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    organization_net_terms: Option<i32>,
}

impl Candidate {
    pub fn organization(&self) -> OrganizationId {
        OrganizationId::from_uuid(self.organization_id)
    }

    /// The terms its invoices are finalized on: the customer's, else the organization's, else
    /// the default. A stored value out of range (the database refuses them) reads as unset.
    pub fn net_terms(&self) -> NetTerms {
        let read = |days: Option<i32>| days.and_then(|d| NetTerms::from_stored(d.into()).ok());
        NetTerms::first_of([
            read(self.customer_net_terms),
            read(self.organization_net_terms),
        ])
    }

    pub fn cursor(&self) -> CloseCursor {
        CloseCursor {
            invoiced_through: self.invoiced_through,
            subscription: self.id,
        }
    }
}

/// Up to `request.batch` candidates after `after`, locked until the transaction ends; rows
/// another closer holds are skipped (it closes them).
///
/// A candidate may have a period due (invoiced up to at least the shortest period before the
/// horizon), be terminated, or await its opening invoice. The last is narrowed to what
/// `rules::opening_due` can bill: no opening invoice yet, a plan at the start whose base fee is in advance, and a
/// trial that may end within the first cycle (a cycle is at most 31 days, or 366 for yearly
/// plans). Without that, every pass would lock every subscription in its first period (and
/// hold up changes to it) only to find nothing due.
///
/// `paid_in_advance` is the in-advance fee line still running after `invoiced_through`: the
/// only one is that of the period holding it (the opening's, or the one the previous close
/// billed for the next period; an upgrade's is billed at its period's close, so it ends by
/// then). Its start may be after `invoiced_through` (the fee starts after a trial).
pub(super) async fn claim(
    connection: &mut AsyncPgConnection,
    request: &CloseRequest,
    after: Option<CloseCursor>,
) -> Result<Vec<Candidate>, diesel::result::Error> {
    let horizon = request.at - request.grace;
    diesel::sql_query(
        // The claim picks and locks the batch first; what is looked up per subscription
        // (opened, paid in advance) is looked up only for the claimed rows, not for every
        // candidate before the sort (that made each claim scan the invoices once per candidate).
        "SELECT s.*,
                c.external_id AS customer, c.currency, c.currency_minor_units,
                c.tax_rate::text AS tax_rate, c.net_terms_days AS customer_net_terms,
                (SELECT o.net_terms_days FROM organization_settings o
                 WHERE o.organization_id = s.organization_id) AS organization_net_terms,
                EXISTS (SELECT 1 FROM billing_invoices i
                        WHERE i.subscription_id = s.id AND i.source = 'embedded'
                          AND i.kind = 'opening') AS opened,
                (SELECT l.amount::text FROM billing_invoice_lines l
                 JOIN billing_invoices i ON i.id = l.invoice_id
                      AND i.organization_id = l.organization_id
                 WHERE i.subscription_id = s.id AND i.organization_id = s.organization_id
                   AND i.source = 'embedded' AND i.status <> 'voided'
                   AND l.kind = 'base_fee' AND l.fee_timing = 'in_advance'
                   AND s.invoiced_through < l.period_end
                 ORDER BY i.issued_at, l.position LIMIT 1) AS paid_in_advance
         FROM (
         SELECT s.id, s.organization_id, s.customer_id, s.billing_anchor, s.started_at,
                s.trial_ends_at, s.terminated_at, s.invoiced_through
         FROM billing_subscriptions s
         WHERE (s.status <> 'terminated' OR s.terminated_at > s.invoiced_through)
           AND ($1::timestamptz IS NULL OR (s.invoiced_through, s.id) > ($1, $2::uuid))
           -- CASE, not OR: its branches are tried in order, so the lookups of the last one
           -- run only for subscriptions in their first period (an OR let the planner run
           -- them for every candidate, seconds per claim on a large close).
           AND CASE WHEN s.invoiced_through <= $3 - make_interval(days => $4) THEN true
                    WHEN s.terminated_at <= $3 THEN true
                    WHEN s.invoiced_through <= s.started_at AND s.started_at <= $5 THEN (
                    NOT EXISTS (SELECT 1 FROM billing_invoices i
                                    WHERE i.subscription_id = s.id AND i.source = 'embedded'
                                      AND i.kind = 'opening')
                    AND EXISTS (SELECT 1 FROM billing_subscription_phases p
                                JOIN billing_plan_versions v
                                  ON v.plan_id = p.plan_id AND v.version = p.plan_version
                                WHERE p.subscription_id = s.id
                                  AND p.organization_id = s.organization_id
                                  AND p.starts_at <= s.started_at
                                  AND (p.ends_at IS NULL OR s.started_at < p.ends_at)
                                  AND v.definition #>> '{base_fee,timing}' = 'in_advance'
                                  AND (s.trial_ends_at IS NULL
                                       OR s.trial_ends_at < s.started_at + CASE v.interval
                                          WHEN 'yearly' THEN interval '8784 hours'
                                          ELSE interval '744 hours' END)))
                    ELSE false END
         ORDER BY s.invoiced_through, s.id
         LIMIT $6
         FOR UPDATE OF s SKIP LOCKED
         ) s
         -- Joined after the claim: joined inside it, the planner (misjudging how many
         -- subscriptions the claim keeps) scanned every customer once per subscription.
         CROSS JOIN LATERAL (SELECT c.external_id, c.currency, c.currency_minor_units,
                                    c.tax_rate, c.net_terms_days
                             FROM billing_customers c
                             WHERE c.id = s.customer_id
                               AND c.organization_id = s.organization_id
                             OFFSET 0) c
         ORDER BY s.invoiced_through, s.id",
    )
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.invoiced_through))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.subscription))
    .bind::<Timestamptz, _>(horizon)
    .bind::<Integer, _>(SHORTEST_PERIOD_DAYS)
    .bind::<Timestamptz, _>(request.at)
    .bind::<BigInt, _>(i64::from(request.batch))
    .load(connection)
    .await
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
        phases,
    })
}

/// Per organization, the time of its oldest event still pending for the embedded meters:
/// periods ending after it wait (their usage is not all in the rollups yet).
pub(super) async fn usage_pending_since(
    connection: &mut AsyncPgConnection,
    organizations: &[Uuid],
) -> Result<HashMap<Uuid, DateTime<Utc>>, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Oldest {
        #[diesel(sql_type = SqlUuid)]
        organization_id: Uuid,
        #[diesel(sql_type = Timestamptz)]
        oldest: DateTime<Utc>,
    }
    let rows: Vec<Oldest> = diesel::sql_query(
        "SELECT o.organization_id, min(e.occurred_at) AS oldest
         FROM outbox o JOIN usage_events e ON e.id = o.event_id
         WHERE o.target = 'embedded_meter' AND o.state = 'pending'
           AND o.organization_id = ANY($1)
         GROUP BY o.organization_id",
    )
    .bind::<Array<SqlUuid>, _>(organizations)
    .load(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.organization_id, row.oldest))
        .collect())
}

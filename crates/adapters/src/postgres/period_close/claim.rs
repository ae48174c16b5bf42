//! Claiming candidate subscriptions (`FOR UPDATE SKIP LOCKED`) with what each needs from its
//! customer and its invoices: currency, tax rate, payment terms, whether it was opened, the
//! fee paid in advance and the invoice that billed it. Their phases and plans are read by
//! [`super::terms`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::ports::{CloseCursor, CloseRequest};
use tollgate_domain::{
    DomainError,
    billing::{Credited, Currency, InvoiceNumber, NetTerms, Settlement, TaxRate},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

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
    pub(super) customer: String,
    #[diesel(sql_type = Text)]
    pub(super) currency: String,
    #[diesel(sql_type = Integer)]
    pub(super) currency_minor_units: i32,
    /// The customer's own rate in percent; `NULL`: the close's default.
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) tax_rate: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub(super) billing_anchor: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub(super) started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(super) trial_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub(super) terminated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub invoiced_through: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub(super) opened: bool,
    /// The in-advance base fee billed for the period holding `invoiced_through`, and the
    /// invoice that billed it: its id, status, number and tax rate.
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) paid_in_advance: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    paid_in_advance_invoice: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    paid_in_advance_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    paid_in_advance_number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    paid_in_advance_tax_rate: Option<String>,
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

    /// Whether the invoice that billed the fee paid in advance can be credited: finalized or
    /// paid (a draft has no number to credit).
    pub(super) fn creditable(&self) -> bool {
        matches!(
            self.paid_in_advance_status.as_deref(),
            Some("finalized" | "paid")
        )
    }

    /// The invoice that billed the fee paid in advance, as a credit note of `customer` in
    /// `currency` credits it: its id and what the note says of it. `None` unless creditable.
    ///
    /// # Errors
    /// `Invalid` for a stored number or rate the domain refuses (a broken invariant).
    pub fn credited(
        &self,
        customer: CustomerId,
        currency: Currency,
    ) -> Result<Option<(Uuid, Credited)>, DomainError> {
        let (Some(id), Some(number), Some(rate)) = (
            self.paid_in_advance_invoice,
            self.paid_in_advance_number.as_deref(),
            self.paid_in_advance_tax_rate.as_deref(),
        ) else {
            return Ok(None);
        };
        if !self.creditable() {
            return Ok(None);
        }
        let paid = self.paid_in_advance_status.as_deref() == Some("paid");
        Ok(Some((
            id,
            Credited {
                invoice_number: InvoiceNumber::parse(number)?,
                customer,
                currency,
                tax_rate: TaxRate::parse(rate)?,
                settlement: Settlement::for_invoice(paid),
            },
        )))
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
    // The claim picks and locks the batch first; what is looked up per subscription
    // (opened, paid in advance) is looked up only for the claimed rows, not for every
    // candidate before the sort (that made each claim scan the invoices once per candidate).
    diesel::sql_query(with_terms(
        "SELECT s.id, s.organization_id, s.customer_id, s.billing_anchor, s.started_at,
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
",
    ))
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.invoiced_through))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.subscription))
    .bind::<Timestamptz, _>(horizon)
    .bind::<Integer, _>(SHORTEST_PERIOD_DAYS)
    .bind::<Timestamptz, _>(request.at)
    .bind::<BigInt, _>(i64::from(request.batch))
    .load(connection)
    .await
}

/// A candidate's columns for the subscriptions `selected` picks (a subquery naming
/// `id, organization_id, customer_id, billing_anchor, started_at, trial_ends_at,
/// terminated_at, invoiced_through` of `billing_subscriptions s`), in (invoiced_through, id)
/// order: the claim's batch, or one subscription read for its usage to date.
pub(super) fn with_terms(selected: &str) -> String {
    format!(
        "SELECT s.*,
                c.external_id AS customer, c.currency, c.currency_minor_units,
                c.tax_rate::text AS tax_rate, c.net_terms_days AS customer_net_terms,
                (SELECT o.net_terms_days FROM organization_settings o
                 WHERE o.organization_id = s.organization_id) AS organization_net_terms,
                EXISTS (SELECT 1 FROM billing_invoices i
                        WHERE i.subscription_id = s.id AND i.source = 'embedded'
                          AND i.kind = 'opening') AS opened,
                p.paid_in_advance, p.paid_in_advance_invoice, p.paid_in_advance_status,
                p.paid_in_advance_number, p.paid_in_advance_tax_rate
         FROM (
{selected}         ) s
         -- Joined after the claim: joined inside it, the planner (misjudging how many
         -- subscriptions the claim keeps) scanned every customer once per subscription.
         CROSS JOIN LATERAL (SELECT c.external_id, c.currency, c.currency_minor_units,
                                    c.tax_rate, c.net_terms_days
                             FROM billing_customers c
                             WHERE c.id = s.customer_id
                               AND c.organization_id = s.organization_id
                             OFFSET 0) c
         LEFT JOIN LATERAL (SELECT l.amount::text AS paid_in_advance,
                                   i.id AS paid_in_advance_invoice,
                                   i.status AS paid_in_advance_status,
                                   i.number AS paid_in_advance_number,
                                   i.tax_rate::text AS paid_in_advance_tax_rate
                            FROM billing_invoice_lines l
                            JOIN billing_invoices i ON i.id = l.invoice_id
                                 AND i.organization_id = l.organization_id
                            WHERE i.subscription_id = s.id
                              AND i.organization_id = s.organization_id
                              AND i.source = 'embedded' AND i.status <> 'voided'
                              AND l.kind = 'base_fee' AND l.fee_timing = 'in_advance'
                              AND s.invoiced_through < l.period_end
                            ORDER BY i.issued_at, l.position LIMIT 1) p ON true
         ORDER BY s.invoiced_through, s.id"
    )
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

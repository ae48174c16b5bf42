//! Stored invoices back into the domain: the draft, its lines, then its transitions with their
//! recorded times, exactly as it was made. A row the domain refuses, or totals that disagree
//! with the lines, is a broken invariant (an internal error), never silently shown.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use rust_decimal::Decimal;
use tollgate_application::ports::{InvoiceRecord, InvoiceSource};
use tollgate_domain::{
    DomainError,
    billing::{
        BillingPeriod, Currency, FeeTiming, Invoice, InvoiceLine, InvoiceNumber, LineKind, Money,
        NetTerms, Payment, PaymentMethod, Proration, ProrationFactor, TaxRate,
    },
    metering::Meter,
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

/// The invoice columns every read selects (`i` the invoice, `c` its customer, `s` its
/// subscription).
pub(super) const INVOICE_COLUMNS: &str = "i.id, i.organization_id, i.source, i.lago_id,
    i.payment_status, i.status, i.number, i.currency, c.currency_minor_units,
    c.external_id AS customer, s.external_id AS subscription, i.tax_rate::text AS tax_rate,
    i.subtotal::text AS subtotal, i.tax::text AS tax, i.total::text AS total, i.period_start,
    i.period_end, i.issued_at, i.finalized_at, i.paid_at, i.voided_at, i.net_terms_days,
    i.due_at, i.payment_method, i.payment_reference";

/// `FROM` with the joins [`INVOICE_COLUMNS`] needs.
pub(super) const INVOICE_FROM: &str = "billing_invoices i
    JOIN billing_customers c ON c.id = i.customer_id
    LEFT JOIN billing_subscriptions s ON s.id = i.subscription_id";

#[derive(QueryableByName)]
pub(super) struct InvoiceRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    lago_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    payment_status: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    number: Option<String>,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Integer)]
    currency_minor_units: i32,
    #[diesel(sql_type = Text)]
    customer: String,
    #[diesel(sql_type = Nullable<Text>)]
    subscription: Option<String>,
    #[diesel(sql_type = Text)]
    tax_rate: String,
    #[diesel(sql_type = Text)]
    subtotal: String,
    #[diesel(sql_type = Text)]
    tax: String,
    #[diesel(sql_type = Text)]
    total: String,
    #[diesel(sql_type = Timestamptz)]
    period_start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    period_end: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    issued_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    finalized_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    paid_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    voided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    net_terms_days: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    payment_method: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    payment_reference: Option<String>,
}

/// The line columns every read selects.
pub(super) const LINE_COLUMNS: &str = "invoice_id, kind, meter, period_start,
    period_end, quantity::text AS quantity, free_quantity::text AS free_quantity,
    unit_price::text AS unit_price, amount::text AS amount, fee_timing, proration_used_days,
    proration_period_days";

#[derive(QueryableByName)]
pub(in crate::postgres) struct LineRow {
    #[diesel(sql_type = SqlUuid)]
    pub invoice_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    meter: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    period_start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    period_end: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    quantity: String,
    #[diesel(sql_type = Text)]
    free_quantity: String,
    #[diesel(sql_type = Text)]
    unit_price: String,
    #[diesel(sql_type = Text)]
    amount: String,
    #[diesel(sql_type = Nullable<Text>)]
    fee_timing: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    proration_used_days: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    proration_period_days: Option<i32>,
}

fn broken(what: impl std::fmt::Display) -> String {
    format!("stored invoice: {what}")
}

fn decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str(text).map_err(|e| broken(format!("`{text}`: {e}")))
}

fn meter(text: Option<&str>) -> Result<Meter, String> {
    text.and_then(Meter::parse)
        .ok_or_else(|| broken(format!("line meter {text:?}")))
}

/// The stored texts of a line's kind: (kind, meter, fee timing, used days, period days).
pub(in crate::postgres) fn kind_columns(
    kind: LineKind,
) -> (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<i32>,
    Option<i32>,
) {
    let days = |d: u32| i32::try_from(d).ok();
    match kind {
        LineKind::BaseFee { timing, proration } => (
            "base_fee",
            None,
            Some(match timing {
                FeeTiming::Advance => "in_advance",
                FeeTiming::Arrears => "in_arrears",
            }),
            days(proration.used_days()),
            days(proration.period_days()),
        ),
        LineKind::Usage { meter } => ("usage", Some(meter.slug()), None, None, None),
        LineKind::ChargeMinimum { meter } => {
            ("charge_minimum", Some(meter.slug()), None, None, None)
        }
        LineKind::MinimumCommitment => ("minimum_commitment", None, None, None, None),
        // Gives back a fee paid in advance: its days credited of the period's.
        LineKind::UnusedTimeCredit { proration } => (
            "unused_time_credit",
            None,
            Some("in_advance"),
            days(proration.used_days()),
            days(proration.period_days()),
        ),
    }
}

fn base_fee_kind(row: &LineRow, period: BillingPeriod) -> Result<LineKind, String> {
    let timing = match row.fee_timing.as_deref() {
        Some("in_advance") => FeeTiming::Advance,
        Some("in_arrears") => FeeTiming::Arrears,
        other => return Err(broken(format!("fee timing {other:?}"))),
    };
    Ok(LineKind::BaseFee {
        timing,
        proration: stored_proration(row, period)?,
    })
}

/// A base fee's (or a credit's) proration again: the stored day counts, rebuilt on a span of
/// `of` whole UTC days from the line's first date (the line's own period is the span it
/// bills, a phase's days, not the billing period the proration divides by).
fn stored_proration(row: &LineRow, period: BillingPeriod) -> Result<ProrationFactor, String> {
    let used = row.proration_used_days.and_then(|d| u32::try_from(d).ok());
    let of = row
        .proration_period_days
        .and_then(|d| u32::try_from(d).ok());
    let (Some(used), Some(of)) = (used, of) else {
        return Err(broken("a base fee line without its proration"));
    };
    let first_day = period
        .start()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let after = |days: u32| {
        first_day
            .checked_add_signed(TimeDelta::days(i64::from(days)))
            .ok_or_else(|| broken(format!("proration {used}/{of} out of range")))
    };
    let whole = BillingPeriod::new(first_day, after(of)?).map_err(|e| broken(e.to_string()))?;
    let proration = if used >= of {
        Proration::Full
    } else {
        // No day used (a phase within one date): a span inside the first date counts none.
        let end = match used {
            0 => first_day + TimeDelta::hours(1),
            _ => after(used)?,
        };
        let active = BillingPeriod::new(first_day, end).map_err(|e| broken(e.to_string()))?;
        Proration::Partial { active }
    };
    let factor = proration
        .factor(&whole)
        .map_err(|e| broken(e.to_string()))?;
    if factor.used_days() != used || factor.period_days() != of {
        return Err(broken(format!("proration {used}/{of} for {period:?}")));
    }
    Ok(factor)
}

/// A stored line (of an invoice or a credit note) back into the domain.
pub(in crate::postgres) fn line(row: &LineRow, currency: Currency) -> Result<InvoiceLine, String> {
    let period =
        BillingPeriod::new(row.period_start, row.period_end).map_err(|e| broken(e.to_string()))?;
    let kind = match row.kind.as_str() {
        "base_fee" => base_fee_kind(row, period)?,
        "usage" => LineKind::Usage {
            meter: meter(row.meter.as_deref())?,
        },
        "charge_minimum" => LineKind::ChargeMinimum {
            meter: meter(row.meter.as_deref())?,
        },
        "minimum_commitment" => LineKind::MinimumCommitment,
        "unused_time_credit" => LineKind::UnusedTimeCredit {
            proration: stored_proration(row, period)?,
        },
        other => return Err(broken(format!("line kind `{other}`"))),
    };
    InvoiceLine::new(
        kind,
        period,
        decimal(&row.quantity)?,
        decimal(&row.free_quantity)?,
        decimal(&row.unit_price)?,
        Money::new(decimal(&row.amount)?, currency),
    )
    .map_err(|e| broken(e.to_string()))
}

fn domain(error: DomainError) -> String {
    broken(error.to_string())
}

/// The invoice of `row` with its `lines` (in position order).
pub(super) fn record(row: &InvoiceRow, lines: &[LineRow]) -> Result<InvoiceRecord, String> {
    let minor = u8::try_from(row.currency_minor_units).map_err(|e| broken(e.to_string()))?;
    let currency = Currency::with_minor_units(&row.currency, minor)
        .or_else(|_| Currency::parse(&row.currency))
        .map_err(domain)?;
    let customer = CustomerId::parse(row.customer.as_str()).map_err(domain)?;
    let tax_rate = TaxRate::new(decimal(&row.tax_rate)?).map_err(domain)?;
    let mut invoice = Invoice::draft(customer, currency, tax_rate);
    let lines = lines
        .iter()
        .map(|l| line(l, currency))
        .collect::<Result<Vec<_>, _>>()?;
    invoice.add_lines(lines).map_err(domain)?;
    let stored = (
        decimal(&row.subtotal)?,
        decimal(&row.tax)?,
        decimal(&row.total)?,
    );
    let computed = (
        invoice.subtotal().amount(),
        invoice.tax().amount(),
        invoice.total().amount(),
    );
    if stored != computed {
        return Err(broken(format!(
            "{}: totals {stored:?} differ from its lines' {computed:?}",
            row.id
        )));
    }
    let mut credit_note = None;
    if row.status != "draft" {
        let number = row
            .number
            .as_deref()
            .ok_or_else(|| broken("a finalized invoice without a number"))?;
        let finalized_at = row
            .finalized_at
            .ok_or_else(|| broken("a finalized invoice without its time"))?;
        let number = InvoiceNumber::parse(number).map_err(domain)?;
        match row.net_terms_days {
            Some(days) => {
                let terms = NetTerms::from_stored(days.into()).map_err(domain)?;
                invoice
                    .finalize_on_terms(number, finalized_at, terms)
                    .map_err(domain)?;
            }
            None => invoice.finalize(number, finalized_at).map_err(domain)?,
        }
        if invoice.due_at() != row.due_at {
            return Err(broken(format!(
                "{}: due {:?}, its terms say {:?}",
                row.id,
                row.due_at,
                invoice.due_at()
            )));
        }
    }
    if let Some(paid_at) = row.paid_at {
        match row.payment_method.as_deref() {
            Some(method) => {
                let method = PaymentMethod::parse(method).map_err(domain)?;
                let payment =
                    Payment::new(method, row.payment_reference.as_deref()).map_err(domain)?;
                invoice.record_payment(paid_at, payment).map_err(domain)?;
            }
            None => invoice.mark_paid(paid_at).map_err(domain)?,
        }
    }
    if row.status == "voided" {
        let voided_at = row
            .voided_at
            .ok_or_else(|| broken("a voided invoice without its time"))?;
        credit_note = Some(invoice.void(voided_at).map_err(domain)?);
    }
    if invoice.status().as_str() != row.status {
        return Err(broken(format!("status `{}`", row.status)));
    }
    let source = match (row.source.as_str(), row.lago_id) {
        ("lago", Some(lago_id)) => InvoiceSource::Lago {
            lago_id,
            payment_status: row.payment_status.clone(),
        },
        _ => InvoiceSource::Embedded,
    };
    Ok(InvoiceRecord {
        id: row.id,
        organization: OrganizationId::from_uuid(row.organization_id),
        subscription: row.subscription.clone(),
        source,
        period: BillingPeriod::new(row.period_start, row.period_end).map_err(domain)?,
        issued_at: row.issued_at,
        invoice,
        credit_note,
    })
}

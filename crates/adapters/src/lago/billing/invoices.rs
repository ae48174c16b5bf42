//! Lago's invoices (`InvoiceObjectExtended`) as [`InvoiceRecord`]s: the domain invoice rebuilt
//! the way it was made (a draft, its lines, then its transitions), so every figure goes
//! through the same checks as an embedded invoice.
//!
//! * Fees become lines, amounts exactly from `amount_cents` in the currency's minor units:
//!   `subscription` → the base fee line (in advance or in arrears as the fee says), `charge` →
//!   the usage line of the meter named by the billable metric code (a true-up fee of a charge,
//!   `lago_true_up_parent_fee_id` set, → that charge's minimum top-up), `commitment` → the
//!   minimum commitment top-up. Quantities from `units`, unit prices from
//!   `precise_unit_amount`, periods from the fee's `from_date`/`to_date`.
//! * Tax: the rate is what makes the invoice's tax come out at `taxes_amount_cents` exactly,
//!   and subtotal, tax and total are checked against Lago's to the cent.
//! * Status: `finalized` → finalized on the issuing date; with `payment_status: succeeded` →
//!   paid; `voided` → voided (paid first when it was), with its credit note; `draft`,
//!   `pending` and `failed` (not yet issued) stay drafts. Lago keeps no time of payment or
//!   voiding, so its `updated_at` stands for them.
//! * Numbers: Lago's `ACME-1234-001-002` is read as prefix `ACME-1234-001` and sequence 2;
//!   Tollgate prints sequences on six digits (`ACME-1234-001-000002`).
//!
//! What the domain invoice cannot show is refused (`InvalidAnswer`: Lago answered something
//! Tollgate cannot read, so the invoice is not shown wrong): coupons, prepaid credits, credit notes or progressive billing credits deducted from
//! the invoice, fees that are not a plan's (add-ons, fixed charges), charges on a metric that
//! is no Tollgate meter. Invoices of other types than `subscription` and
//! `progressive_billing` (one-off, credit purchases) are not Tollgate's: they read as absent.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use tollgate_application::{
    PortError,
    ports::{InvoiceRecord, InvoiceSource},
};
use tollgate_domain::{
    DomainError,
    billing::{
        BillingPeriod, Currency, FeeTiming, Invoice, InvoiceLine, InvoiceNumber, LineKind, Money,
        Proration, TaxRate,
    },
    metering::Meter,
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::client::LAGO;

#[derive(Debug, Deserialize)]
pub(super) struct InvoiceAnswer {
    pub invoice: LagoInvoice,
}

#[derive(Debug, Deserialize)]
pub(super) struct InvoicesPage {
    pub invoices: Vec<InvoiceSummary>,
    pub meta: PageMeta,
}

#[derive(Debug, Deserialize)]
pub(super) struct InvoiceSummary {
    pub lago_id: Uuid,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageMeta {
    pub next_page: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub(super) struct LagoInvoice {
    pub lago_id: Uuid,
    number: String,
    issuing_date: NaiveDate,
    invoice_type: String,
    pub status: String,
    pub payment_status: String,
    currency: String,
    fees_amount_cents: i64,
    #[serde(default)]
    coupons_amount_cents: i64,
    #[serde(default)]
    credit_notes_amount_cents: i64,
    #[serde(default)]
    prepaid_credit_amount_cents: i64,
    #[serde(default)]
    progressive_billing_credit_amount_cents: i64,
    taxes_amount_cents: i64,
    pub total_amount_cents: i64,
    updated_at: DateTime<Utc>,
    customer: Option<LagoCustomer>,
    #[serde(default)]
    fees: Vec<Fee>,
    #[serde(default)]
    subscriptions: Vec<LagoSubscription>,
    #[serde(default)]
    billing_periods: Vec<LagoBillingPeriod>,
    #[serde(default)]
    applied_taxes: Vec<AppliedTax>,
}

#[derive(Debug, Deserialize)]
struct AppliedTax {
    tax_rate: Value,
}

#[derive(Debug, Deserialize)]
struct LagoCustomer {
    external_id: String,
}

#[derive(Debug, Deserialize)]
struct LagoSubscription {
    external_id: String,
}

#[derive(Debug, Deserialize)]
struct LagoBillingPeriod {
    subscription_from_datetime: Option<DateTime<Utc>>,
    subscription_to_datetime: Option<DateTime<Utc>>,
    charges_from_datetime: Option<DateTime<Utc>>,
    charges_to_datetime: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Fee {
    amount_cents: i64,
    /// A decimal string in the spec; some Lago versions send a JSON number.
    units: Value,
    precise_unit_amount: Option<Value>,
    #[serde(default)]
    pay_in_advance: bool,
    from_date: Option<DateTime<Utc>>,
    to_date: Option<DateTime<Utc>>,
    external_subscription_id: Option<String>,
    lago_true_up_parent_fee_id: Option<String>,
    item: FeeItem,
}

#[derive(Debug, Deserialize)]
struct FeeItem {
    #[serde(rename = "type")]
    kind: String,
    code: String,
}

/// Whether the invoice is one Tollgate shows (a plan's, not a one-off or a credit purchase).
pub(super) fn is_tollgates(invoice: &LagoInvoice) -> bool {
    matches!(
        invoice.invoice_type.as_str(),
        "subscription" | "progressive_billing"
    )
}

/// The invoice as Tollgate shows it.
///
/// # Errors
/// `InvalidAnswer` for an invoice the domain invoice cannot show exactly (see the module docs).
pub(super) fn to_record(
    organization: OrganizationId,
    lago: &LagoInvoice,
) -> Result<InvoiceRecord, PortError> {
    let unfit = |reason: String| LAGO.invalid(format!("invoice {}: {reason}", lago.number));
    let domain = |error: DomainError| unfit(error.to_string());
    let deductions = [
        ("coupons", lago.coupons_amount_cents),
        ("credit notes", lago.credit_notes_amount_cents),
        ("prepaid credits", lago.prepaid_credit_amount_cents),
        (
            "progressive billing credits",
            lago.progressive_billing_credit_amount_cents,
        ),
    ];
    if let Some((what, cents)) = deductions.iter().find(|(_, cents)| *cents != 0) {
        return Err(unfit(format!(
            "{cents} minor units of {what} are deducted, which Tollgate's invoices cannot show"
        )));
    }
    let currency = Currency::parse(&lago.currency).map_err(domain)?;
    let customer = lago
        .customer
        .as_ref()
        .ok_or_else(|| unfit("names no customer".into()))
        .and_then(|c| CustomerId::parse(&c.external_id).map_err(domain))?;
    let issued_at = lago.issuing_date.and_time(NaiveTime::MIN).and_utc();
    let period = invoice_period(lago, issued_at).map_err(domain)?;
    let lines = lago
        .fees
        .iter()
        .map(|fee| line(fee, currency, period))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unfit)?;

    let mut invoice = Invoice::draft(customer, currency, TaxRate::ZERO);
    invoice.add_lines(lines).map_err(domain)?;
    let subtotal = invoice.subtotal();
    let taxes = Money::from_minor(lago.taxes_amount_cents, currency);
    if !taxes.is_zero() {
        invoice
            .set_tax_rate(
                tax_rate(lago, subtotal, taxes)
                    .ok_or_else(|| unfit(format!("tax {taxes} on a subtotal of {subtotal}")))?,
            )
            .map_err(domain)?;
    }
    let agree = [
        ("fees", invoice.subtotal(), lago.fees_amount_cents),
        ("taxes", invoice.tax(), lago.taxes_amount_cents),
        ("total", invoice.total(), lago.total_amount_cents),
    ];
    for (what, ours, theirs) in agree {
        if ours.to_minor() != Some(theirs) {
            return Err(unfit(format!(
                "its {what} ({theirs}) disagree with its fees ({ours})"
            )));
        }
    }

    let credit_note = transitions(&mut invoice, lago, issued_at).map_err(domain)?;
    let subscription = lago
        .fees
        .iter()
        .find_map(|fee| fee.external_subscription_id.clone())
        .or_else(|| lago.subscriptions.first().map(|s| s.external_id.clone()));
    Ok(InvoiceRecord {
        id: lago.lago_id,
        organization,
        subscription,
        source: InvoiceSource::Lago {
            lago_id: lago.lago_id,
            payment_status: Some(lago.payment_status.clone()),
        },
        period,
        issued_at,
        invoice,
        credit_note,
    })
}

/// Lago's applied rates when they give its tax to the cent (one rate, or rates on the same
/// fees), else the rate that does: taxes ÷ subtotal, kept to 28 digits.
fn tax_rate(lago: &LagoInvoice, subtotal: Money, taxes: Money) -> Option<TaxRate> {
    let applied = lago
        .applied_taxes
        .iter()
        .map(|tax| decimal_of(&tax.tax_rate))
        .try_fold(Decimal::ZERO, |sum, rate| sum.checked_add(rate?))
        .and_then(|sum| TaxRate::new(sum).ok())
        .filter(|rate| rate.tax_on(subtotal).ok() == Some(taxes));
    applied.or_else(|| {
        let rate = taxes
            .amount()
            .checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(subtotal.amount())?;
        TaxRate::new(rate).ok()
    })
}

/// Lago's status and payment status replayed on the draft; the credit note when voided.
fn transitions(
    invoice: &mut Invoice,
    lago: &LagoInvoice,
    issued_at: DateTime<Utc>,
) -> Result<Option<tollgate_domain::billing::CreditNote>, DomainError> {
    let issued = match lago.status.as_str() {
        "finalized" | "voided" => true,
        // `draft`, and `pending`/`failed`: waiting for taxes or failed to finalize.
        _ => false,
    };
    if !issued {
        return Ok(None);
    }
    invoice.finalize(number(&lago.number)?, issued_at)?;
    let later = lago.updated_at.max(issued_at);
    if lago.payment_status == "succeeded" {
        invoice.mark_paid(later)?;
    }
    if lago.status == "voided" {
        return invoice.void(later).map(Some);
    }
    Ok(None)
}

/// `ACME-1234-001-002` → prefix `ACME-1234-001`, sequence 2.
fn number(text: &str) -> Result<InvoiceNumber, DomainError> {
    let unreadable = || DomainError::Invalid {
        field: "invoice number",
        reason: format!("Lago's `{text}` does not end with `-<sequence>`"),
    };
    let (prefix, sequence) = text.rsplit_once('-').ok_or_else(unreadable)?;
    let sequence = sequence.parse().map_err(|_| unreadable())?;
    InvoiceNumber::new(prefix, sequence)
}

/// What the invoice bills: the span of its billing periods, else of its fees, else its
/// issuing day.
fn invoice_period(
    lago: &LagoInvoice,
    issued_at: DateTime<Utc>,
) -> Result<BillingPeriod, DomainError> {
    let from_periods = lago.billing_periods.iter().flat_map(|p| {
        [
            (p.subscription_from_datetime, p.subscription_to_datetime),
            (p.charges_from_datetime, p.charges_to_datetime),
        ]
    });
    let from_fees = lago.fees.iter().map(|fee| (fee.from_date, fee.to_date));
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = from_periods
        .chain(from_fees)
        .filter_map(|(from, to)| Some((from?, end_of(to?))))
        .collect();
    let start = spans.iter().map(|(from, _)| *from).min();
    let end = spans.iter().map(|(_, to)| *to).max();
    match (start, end) {
        (Some(start), Some(end)) if start < end => BillingPeriod::new(start, end),
        _ => BillingPeriod::new(issued_at, issued_at + TimeDelta::days(1)),
    }
}

/// Lago ends periods on their last second (`2025-01-31T23:59:59Z`); Tollgate's periods end
/// where the next begins.
fn end_of(to: DateTime<Utc>) -> DateTime<Utc> {
    if to.second() == 59 {
        let whole = to.with_nanosecond(0).unwrap_or(to);
        whole + TimeDelta::seconds(1)
    } else {
        to
    }
}

fn line(
    fee: &Fee,
    currency: Currency,
    invoice_period: BillingPeriod,
) -> Result<InvoiceLine, String> {
    let period = match (fee.from_date, fee.to_date) {
        (Some(from), Some(to)) => BillingPeriod::new(from, end_of(to)).unwrap_or(invoice_period),
        _ => invoice_period,
    };
    let charge_meter = || {
        Meter::parse(&fee.item.code).ok_or_else(|| {
            format!(
                "a charge on `{}`, which is no Tollgate meter",
                fee.item.code
            )
        })
    };
    let kind = match fee.item.kind.as_str() {
        "subscription" => LineKind::BaseFee {
            timing: if fee.pay_in_advance {
                FeeTiming::Advance
            } else {
                FeeTiming::Arrears
            },
            // Lago bills the prorated amount for the fee's own span, and says nothing of the
            // whole period: the line covers its span in full.
            proration: Proration::Full.factor(&period).map_err(|e| e.to_string())?,
        },
        "charge" if fee.lago_true_up_parent_fee_id.is_some() => LineKind::ChargeMinimum {
            meter: charge_meter()?,
        },
        "charge" => LineKind::Usage {
            meter: charge_meter()?,
        },
        "commitment" => LineKind::MinimumCommitment,
        other => {
            return Err(format!(
                "a fee of type `{other}`, which Tollgate's plans never bill"
            ));
        }
    };
    let quantity = decimal_of(&fee.units).ok_or_else(|| format!("units {}", fee.units))?;
    let unit_price = fee
        .precise_unit_amount
        .as_ref()
        .and_then(decimal_of)
        .unwrap_or_default();
    let amount = Money::from_minor(fee.amount_cents, currency);
    InvoiceLine::new(kind, period, quantity, Decimal::ZERO, unit_price, amount)
        .map_err(|error| error.to_string())
}

/// A decimal from a JSON string (`"0.32"`) or number, from its text.
fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(text) => text.parse().ok(),
        // `1e-7` from a float: rust_decimal parses plain text only.
        Value::Number(number) => {
            let text = number.to_string();
            text.parse()
                .ok()
                .or_else(|| Decimal::from_scientific(&text).ok())
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "invoices/tests.rs"]
mod tests;

//! Invoices as the API shows them. Amounts are decimal strings with the currency's minor
//! units (`"12.30"`), quantities and unit prices exact (`"0.0000025"`): never JSON numbers,
//! which most readers turn into `f64`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tollgate_application::{
    ports::{InvoiceRecord, InvoiceSource},
    services::billing::invoices::describe,
};
use tollgate_domain::billing::{
    BillingPeriod, CreditNote, FeeTiming, InvoiceLine, LineKind, Money, Settlement,
};
use uuid::Uuid;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PeriodDto {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl From<BillingPeriod> for PeriodDto {
    fn from(period: BillingPeriod) -> Self {
        Self {
            start: period.start(),
            end: period.end(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProrationDto {
    used_days: u32,
    period_days: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LineDto {
    kind: &'static str,
    meter: Option<&'static str>,
    description: String,
    quantity: String,
    free_quantity: String,
    unit_price: String,
    amount: String,
    period: PeriodDto,
    /// Base fees: `in_advance` or `in_arrears`.
    fee_timing: Option<&'static str>,
    /// Base fees: the days billed of the period's days.
    proration: Option<ProrationDto>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreditNoteDto {
    invoice_number: String,
    /// `refund` (the invoice was paid) or `cancellation`.
    settlement: &'static str,
    subtotal: String,
    tax: String,
    total: String,
    issued_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InvoiceResponse {
    id: Uuid,
    number: Option<String>,
    status: &'static str,
    source: &'static str,
    /// Lago's payment status, for Lago's invoices.
    payment_status: Option<String>,
    customer: String,
    subscription: Option<String>,
    currency: String,
    period: PeriodDto,
    issued_at: DateTime<Utc>,
    finalized_at: Option<DateTime<Utc>>,
    /// The payment terms it was finalized on, and the due date they give.
    net_terms_days: Option<u16>,
    due_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    /// How a payment recorded with `mark-paid` was made, and the payer's reference.
    payment_method: Option<&'static str>,
    payment_reference: Option<String>,
    voided_at: Option<DateTime<Utc>>,
    lines: Vec<LineDto>,
    tax_rate: String,
    subtotal: String,
    tax: String,
    total: String,
    credit_note: Option<CreditNoteDto>,
}

/// An amount with exactly its currency's minor units.
pub(crate) fn money(amount: Money) -> String {
    let mut value = amount.amount();
    value.rescale(amount.currency().minor_units());
    value.to_string()
}

pub(crate) fn exact(value: Decimal) -> String {
    value.normalize().to_string()
}

pub(crate) fn line(line: &InvoiceLine) -> LineDto {
    described(line, describe(line))
}

/// A line with the words `description` says it in (a credit note's own).
pub(crate) fn described(line: &InvoiceLine, description: String) -> LineDto {
    let (kind, meter, fee_timing, proration) = match line.kind() {
        LineKind::BaseFee { timing, proration } => (
            "base_fee",
            None,
            Some(match timing {
                FeeTiming::Advance => "in_advance",
                FeeTiming::Arrears => "in_arrears",
            }),
            Some(ProrationDto {
                used_days: proration.used_days(),
                period_days: proration.period_days(),
            }),
        ),
        LineKind::Usage { meter } => ("usage", Some(meter.slug()), None, None),
        LineKind::ChargeMinimum { meter } => ("charge_minimum", Some(meter.slug()), None, None),
        LineKind::MinimumCommitment => ("minimum_commitment", None, None, None),
        LineKind::UnusedTimeCredit { proration } => (
            "unused_time_credit",
            None,
            Some("in_advance"),
            Some(ProrationDto {
                used_days: proration.used_days(),
                period_days: proration.period_days(),
            }),
        ),
    };
    LineDto {
        kind,
        meter,
        description,
        quantity: exact(line.quantity()),
        free_quantity: exact(line.free_quantity()),
        unit_price: exact(line.unit_price()),
        amount: money(line.amount()),
        period: line.period().into(),
        fee_timing,
        proration,
    }
}

fn credit_note(note: &CreditNote) -> CreditNoteDto {
    CreditNoteDto {
        invoice_number: note.invoice_number().to_string(),
        settlement: match note.settlement() {
            Settlement::RefundDue => "refund",
            Settlement::CancelsBalance => "cancellation",
        },
        subtotal: money(note.subtotal()),
        tax: money(note.tax()),
        total: money(note.total()),
        issued_at: note.issued_at(),
    }
}

impl From<&InvoiceRecord> for InvoiceResponse {
    fn from(record: &InvoiceRecord) -> Self {
        let invoice = &record.invoice;
        let (source, payment_status) = match &record.source {
            InvoiceSource::Embedded => ("embedded", None),
            InvoiceSource::Lago { payment_status, .. } => ("lago", payment_status.clone()),
        };
        Self {
            id: record.id,
            number: invoice.number().map(ToString::to_string),
            status: invoice.status().as_str(),
            source,
            payment_status,
            customer: invoice.customer().as_str().to_owned(),
            subscription: record.subscription.clone(),
            currency: invoice.currency().code().to_owned(),
            period: record.period.into(),
            issued_at: record.issued_at,
            finalized_at: invoice.finalized_at(),
            net_terms_days: invoice.net_terms().map(|terms| terms.days()),
            due_at: invoice.due_at(),
            paid_at: invoice.paid_at(),
            payment_method: invoice.payment().map(|p| p.method().as_str()),
            payment_reference: invoice
                .payment()
                .and_then(|p| p.reference())
                .map(str::to_owned),
            voided_at: invoice.voided_at(),
            lines: invoice.lines().iter().map(line).collect(),
            tax_rate: exact(invoice.tax_rate().percent()),
            subtotal: money(invoice.subtotal()),
            tax: money(invoice.tax()),
            total: money(invoice.total()),
            credit_note: record.credit_note.as_ref().map(credit_note),
        }
    }
}

//! `/api/billing/invoices`: list (newest first, by cursor), show, finalize, void, and the PDF.
//!
//! Amounts are decimal strings with the currency's minor units (`"12.30"`), quantities and
//! unit prices exact (`"0.0000025"`): never JSON numbers, which most readers turn into `f64`.

use actix_web::{HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tollgate_application::{
    AppError,
    ports::{InvoiceFilter, InvoiceRecord, InvoiceSource},
    services::billing::invoices::{InvoicePdf, describe},
};
use tollgate_domain::{
    DomainError,
    billing::{BillingPeriod, CreditNote, InvoiceLine, InvoiceStatus, LineKind, Money, Settlement},
    usage::CustomerId,
};
use uuid::Uuid;

use super::paging::{self, Paged};
use crate::{access::Caller, error::ApiError, state::AppState};

const LIST: &str = "invoices";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    /// The customer's external id.
    customer: Option<String>,
    status: Option<String>,
}

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
    paid_at: Option<DateTime<Utc>>,
    voided_at: Option<DateTime<Utc>>,
    lines: Vec<LineDto>,
    tax_rate: String,
    subtotal: String,
    tax: String,
    total: String,
    credit_note: Option<CreditNoteDto>,
}

/// An amount with exactly its currency's minor units.
fn money(amount: Money) -> String {
    let mut value = amount.amount();
    value.rescale(amount.currency().minor_units());
    value.to_string()
}

fn exact(value: Decimal) -> String {
    value.normalize().to_string()
}

fn line(line: &InvoiceLine) -> LineDto {
    let (kind, meter, fee_timing, proration) = match line.kind() {
        LineKind::BaseFee { timing, proration } => (
            "base_fee",
            None,
            Some(match timing {
                tollgate_domain::billing::FeeTiming::Advance => "in_advance",
                tollgate_domain::billing::FeeTiming::Arrears => "in_arrears",
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
        description: describe(line),
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
            paid_at: invoice.paid_at(),
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

fn status(text: &str) -> Result<InvoiceStatus, ApiError> {
    [
        InvoiceStatus::Draft,
        InvoiceStatus::Finalized,
        InvoiceStatus::Paid,
        InvoiceStatus::Voided,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
    .ok_or_else(|| {
        invalid(DomainError::Invalid {
            field: "status",
            reason: format!(
                "`{}` is not one of draft, finalized, paid, voided",
                tollgate_domain::error::cut(text)
            ),
        })
    })
}

/// A bad query value, answered with the domain's code like every other refused value.
fn invalid(error: DomainError) -> ApiError {
    AppError::Invalid(error).into()
}

/// An id that is not a UUID, or another organization's invoice, is simply not found here.
fn invoice_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "invoice" })
}

fn found(record: Option<InvoiceRecord>) -> Result<HttpResponse, ApiError> {
    match record {
        Some(record) => Ok(HttpResponse::Ok().json(InvoiceResponse::from(&record))),
        None => Err(ApiError::Missing { what: "invoice" }),
    }
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<ListFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, query) = query.open()?;
    let filter = InvoiceFilter {
        customer: query
            .customer
            .as_deref()
            .map(CustomerId::parse)
            .transpose()
            .map_err(invalid)?,
        status: query.status.as_deref().map(status).transpose()?,
    };
    let listed = state
        .billing
        .invoices()
        .list(
            caller.principal.organization,
            &filter,
            page.after::<String>(LIST)?,
            // Within 1..=500: the page checked it.
            u32::try_from(page.limit()).unwrap_or(u32::MAX),
        )
        .await?;
    // The book's own cursor (an id, or Lago's page number) goes out in the API's envelope.
    let next = listed.next.map(|inner| paging::next_cursor(LIST, &inner));
    let data: Vec<InvoiceResponse> = listed.invoices.iter().map(InvoiceResponse::from).collect();
    Ok(paging::answer(&data, next))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    found(
        state
            .billing
            .invoices()
            .get(caller.principal.organization, id)
            .await?,
    )
}

pub async fn finalize(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    found(
        state
            .billing
            .invoices()
            .finalize(caller.principal.organization, id, &caller.audit)
            .await?,
    )
}

pub async fn void(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    found(
        state
            .billing
            .invoices()
            .void(caller.principal.organization, id, &caller.audit)
            .await?,
    )
}

pub async fn pdf(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    let document = state
        .billing
        .invoices()
        .pdf(caller.principal.organization, id)
        .await?;
    attachment(document, "")
}

/// The receipt of a paid invoice (409 `invoice_not_paid` before it is paid).
pub async fn receipt(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    let document = state
        .billing
        .invoices()
        .receipt(caller.principal.organization, id)
        .await?;
    attachment(document, "receipt-")
}

/// The rendered document as a download named after the invoice's number.
fn attachment(document: InvoicePdf, prefix: &str) -> Result<HttpResponse, ApiError> {
    match document {
        InvoicePdf::Rendered { record, pdf } => {
            let name = record
                .invoice
                .number()
                .map_or_else(|| format!("draft-{}", record.id), ToString::to_string);
            Ok(HttpResponse::Ok()
                .content_type("application/pdf")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{prefix}{name}.pdf\""),
                ))
                .body(pdf))
        }
        InvoicePdf::NotFound => Err(ApiError::Missing { what: "invoice" }),
        InvoicePdf::NoCustomer => Err(ApiError::Missing { what: "customer" }),
    }
}

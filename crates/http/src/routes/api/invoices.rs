//! `/api/billing/invoices`: list (newest first, by cursor), show, finalize, void, record a
//! payment, and the PDFs.
//!
//! Amounts are decimal strings with the currency's minor units (`"12.30"`), quantities and
//! unit prices exact (`"0.0000025"`): never JSON numbers, which most readers turn into `f64`.

use actix_web::{HttpResponse, http::header, web};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use tollgate_application::{
    AppError,
    ports::{InvoiceFilter, InvoiceRecord},
    services::billing::invoices::InvoicePdf,
};
use tollgate_domain::{
    DomainError, ErrorCode,
    billing::{CurrencyCode, InvoiceStatus, Payment, PaymentMethod},
    error::cut,
    usage::CustomerId,
};
use uuid::Uuid;

pub(crate) mod dto;

pub(crate) use dto::InvoiceResponse;

use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "invoices";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    /// The customer's external id.
    customer: Option<String>,
    status: Option<String>,
    /// An ISO 4217 code, in any case.
    currency: Option<String>,
    /// Issued on or after this UTC day (`YYYY-MM-DD`).
    issued_from: Option<String>,
    /// Issued on or before this UTC day (`YYYY-MM-DD`).
    issued_to: Option<String>,
}

/// A query value that cannot be a filter: 400, like every unreadable query.
fn bad_query(message: String) -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message,
    }
}

/// `currency` as a code: any three letters (a customer may be billed in a currency Tollgate
/// was told the minor units of).
fn currency(text: &str) -> Result<CurrencyCode, ApiError> {
    CurrencyCode::parse(text).map_err(|_| {
        bad_query(format!(
            "`currency` must be a three-letter ISO 4217 code, not `{}`",
            cut(text)
        ))
    })
}

fn day(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        bad_query(format!(
            "`{field}` must be a date (YYYY-MM-DD), not `{}`",
            cut(text)
        ))
    })
}

/// Issue times: at or after, and before.
type IssueRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The issue times `[from, before)` of the whole UTC days `issued_from` to `issued_to`.
fn issued(from: Option<&str>, to: Option<&str>) -> Result<IssueRange, ApiError> {
    let from = from.map(|text| day("issued_from", text)).transpose()?;
    let to = to.map(|text| day("issued_to", text)).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(bad_query(
            "`issued_from` must not be after `issued_to`".into(),
        ));
    }
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    Ok((
        from.map(midnight),
        // The day after the last one; a `to` of the last representable day has no end.
        to.and_then(|to| to.succ_opt()).map(midnight),
    ))
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

/// Whether `record` may be shown to `caller`: staff see every invoice of the organization, a
/// customer's member only its customer's issued ones (another's, or a draft, is not found, not
/// forbidden: it does not learn that it exists; a draft can still change).
fn visible(caller: &Caller, record: &InvoiceRecord) -> bool {
    caller.principal.customer.as_deref().is_none_or(|customer| {
        record.invoice.customer().as_str() == customer
            && record.invoice.status() != InvoiceStatus::Draft
    })
}

/// For a customer's member, refuses an invoice of another customer before anything is
/// rendered; staff are not held up by the extra read.
pub(crate) async fn check_visible(
    caller: &Caller,
    state: &AppState,
    id: Uuid,
) -> Result<(), ApiError> {
    if caller.principal.customer.is_none() {
        return Ok(());
    }
    match state
        .billing
        .invoices()
        .get(caller.principal.organization, id)
        .await?
    {
        Some(record) if visible(caller, &record) => Ok(()),
        _ => Err(ApiError::Missing { what: "invoice" }),
    }
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<ListFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, query) = query.open()?;
    let (issued_from, issued_before) =
        issued(query.issued_from.as_deref(), query.issued_to.as_deref())?;
    let filter = InvoiceFilter {
        // A customer's member lists its own customer's invoices, whatever it names.
        customer: caller
            .principal
            .customer
            .as_deref()
            .or(query.customer.as_deref())
            .map(CustomerId::parse)
            .transpose()
            .map_err(invalid)?,
        status: query.status.as_deref().map(status).transpose()?,
        currency: query.currency.as_deref().map(currency).transpose()?,
        issued_from,
        issued_before,
        issued_only: caller.principal.customer.is_some(),
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
    let record = state
        .billing
        .invoices()
        .get(caller.principal.organization, id)
        .await?;
    found(record.filter(|record| visible(&caller, record)))
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
    let organization = caller.principal.organization;
    let voided = state
        .billing
        .invoices()
        .void(organization, id, &caller.audit)
        .await?;
    if voided.is_some() {
        super::payments::cancel_after_void(&state, organization, id).await;
    }
    found(voided)
}

/// A payment made outside Tollgate (a bank transfer), as the operator saw it arrive.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaidRequest {
    /// When the money arrived (RFC 3339); not in the future, not before the invoice's issue.
    paid_at: DateTime<Utc>,
    /// `bank_transfer`, `cash`, `check` or `other`.
    method: String,
    /// The payer's reference (a transfer's wording, a cheque number), up to 200 characters.
    reference: Option<String>,
}

/// Records that a finalized invoice was paid (409 `invoice_already_paid` when it is paid,
/// `invalid_invoice_state` for a draft or a voided one); its receipt is available from then.
pub async fn mark_paid(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<MarkPaidRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let id = invoice_id(&id)?;
    let payment = Payment::new(
        PaymentMethod::parse(&body.method)?,
        body.reference.as_deref(),
    )?;
    found(
        state
            .billing
            .invoices()
            .mark_paid(
                caller.principal.organization,
                id,
                body.paid_at,
                payment,
                &caller.audit,
            )
            .await?,
    )
}

pub async fn pdf(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = invoice_id(&id)?;
    check_visible(&caller, &state, id).await?;
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
    check_visible(&caller, &state, id).await?;
    let document = state
        .billing
        .invoices()
        .receipt(caller.principal.organization, id)
        .await?;
    attachment(document, "receipt-")
}

/// The rendered document as a download named after the invoice's number (the dashboard's
/// download links answer the same).
pub(crate) fn attachment(document: InvoicePdf, prefix: &str) -> Result<HttpResponse, ApiError> {
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

//! `/api/billing/credit-notes/{id}` (and its PDF) and `/api/billing/invoices/{id}/credit-notes`:
//! the credit notes the embedded engine issued (a voided invoice's, a terminated
//! subscription's unused days). Read only: they are issued by voiding and by the period close.

use actix_web::{HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tollgate_application::{
    ports::CreditNoteRecord,
    services::billing::credit_notes::{CreditNotePdf, describe_credited},
};
use uuid::Uuid;

use super::{
    invoices::dto::{LineDto, described, exact, money},
    paging::{self, Paged},
};
use crate::{access::Caller, error::ApiError, state::AppState};

const LIST: &str = "invoice_credit_notes";

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreditNoteResponse {
    id: Uuid,
    /// Its own number, from the organization's credit note series (`CN-ACME-000001`).
    number: String,
    /// The invoice it credits.
    invoice_id: Uuid,
    invoice_number: String,
    /// `void` (the whole invoice) or `unused_time` (a termination's unused days of a fee paid
    /// in advance).
    reason: &'static str,
    /// `refund` (the credited invoice was paid) or `cancellation`.
    settlement: &'static str,
    customer: String,
    currency: String,
    issued_at: DateTime<Utc>,
    /// What is credited, in positive amounts.
    lines: Vec<LineDto>,
    tax_rate: String,
    subtotal: String,
    tax: String,
    total: String,
}

impl From<&CreditNoteRecord> for CreditNoteResponse {
    fn from(record: &CreditNoteRecord) -> Self {
        let note = &record.credit_note;
        Self {
            id: record.id,
            number: record.number.to_string(),
            invoice_id: record.invoice_id,
            invoice_number: note.invoice_number().to_string(),
            reason: note.reason().as_str(),
            settlement: note.settlement().as_str(),
            customer: note.customer().as_str().to_owned(),
            currency: note.currency().code().to_owned(),
            issued_at: note.issued_at(),
            lines: note
                .lines()
                .iter()
                .map(|line| described(line, describe_credited(note.reason(), line)))
                .collect(),
            tax_rate: exact(note.tax_rate().percent()),
            subtotal: money(note.subtotal()),
            tax: money(note.tax()),
            total: money(note.total()),
        }
    }
}

/// Not a UUID, or another organization's: simply not found.
fn id_of(id: &str, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing { what })
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "credit note")?;
    match state
        .billing
        .credit_notes()
        .get(caller.principal.organization, id)
        .await?
    {
        Some(record) => Ok(HttpResponse::Ok().json(CreditNoteResponse::from(&record))),
        None => Err(ApiError::Missing {
            what: "credit note",
        }),
    }
}

/// The credit notes of an invoice, oldest first (404 for an unknown invoice), paged like
/// every list although an invoice has two at most (its void's and a termination's).
pub async fn of_invoice(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let id = id_of(&id, "invoice")?;
    let after = page.after::<i64>(LIST)?;
    let organization = caller.principal.organization;
    if state
        .billing
        .invoices()
        .get(organization, id)
        .await?
        .is_none()
    {
        return Err(ApiError::Missing { what: "invoice" });
    }
    // Oldest first is their series' order: the sequence is the list's key.
    let sequence =
        |record: &CreditNoteRecord| i64::try_from(record.number.sequence()).unwrap_or(i64::MAX);
    let notes: Vec<CreditNoteRecord> = state
        .billing
        .credit_notes()
        .of_invoice(organization, id)
        .await?
        .into_iter()
        .filter(|record| after.is_none_or(|after| sequence(record) > after))
        .collect();
    let (notes, next) = page.split(LIST, notes, sequence);
    let data: Vec<CreditNoteResponse> = notes.iter().map(CreditNoteResponse::from).collect();
    Ok(paging::answer(&data, next))
}

pub async fn pdf(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id, "credit note")?;
    attachment(
        state
            .billing
            .credit_notes()
            .pdf(caller.principal.organization, id)
            .await?,
    )
}

/// The rendered credit note as a download named after its number (the dashboard's download
/// link answers the same).
pub(crate) fn attachment(document: CreditNotePdf) -> Result<HttpResponse, ApiError> {
    match document {
        CreditNotePdf::Rendered { record, pdf } => Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.pdf\"", record.number),
            ))
            .body(pdf)),
        CreditNotePdf::NotFound => Err(ApiError::Missing {
            what: "credit note",
        }),
        CreditNotePdf::NoCustomer => Err(ApiError::Missing { what: "customer" }),
    }
}

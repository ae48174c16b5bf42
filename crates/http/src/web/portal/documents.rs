//! The portal's invoice documents: the PDF and the receipt of one of the visitor's own
//! customer's invoices, as the API answers a customer's member (another customer's invoice
//! is a 404, as an unknown one).

use actix_web::{HttpResponse, web};
use tollgate_application::services::billing::invoices::InvoicePdf;
use uuid::Uuid;

use crate::{
    routes::api::invoices::{attachment, check_visible},
    state::AppState,
    web::{Visitor, WebError},
};

/// The invoice the path names, once it is known to be the visitor's customer's.
async fn own_invoice(visitor: &Visitor, state: &AppState, id: &str) -> Result<Uuid, WebError> {
    let id = Uuid::parse_str(id).map_err(|_| WebError::NotFound)?;
    check_visible(&visitor.caller, state, id).await?;
    Ok(id)
}

fn answer(document: InvoicePdf, prefix: &str) -> Result<HttpResponse, WebError> {
    Ok(attachment(document, prefix)?)
}

/// `GET /portal/invoices/{id}/pdf`.
pub async fn invoice_pdf(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = own_invoice(&visitor, &state, &id).await?;
    let organization = visitor.caller.principal.organization;
    answer(state.billing.invoices().pdf(organization, id).await?, "")
}

/// `GET /portal/invoices/{id}/receipt` (409 `invoice_not_paid` before it is paid).
pub async fn invoice_receipt(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = own_invoice(&visitor, &state, &id).await?;
    let organization = visitor.caller.principal.organization;
    answer(
        state.billing.invoices().receipt(organization, id).await?,
        "receipt-",
    )
}

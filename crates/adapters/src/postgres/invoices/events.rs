//! The outbound webhook events of the invoice book's changes (`invoice.finalized`, `.paid`,
//! `.voided`), written in the change's transaction.

use tollgate_application::ports::InvoiceRecord;

/// The `data` of an invoice event: ids, status and amounts, never the lines (the body stays
/// small whatever the invoice holds); the operator reads the rest through the API.
pub(super) fn event_data(record: &InvoiceRecord) -> serde_json::Value {
    let invoice = &record.invoice;
    let mut total = invoice.total().amount();
    total.rescale(invoice.currency().minor_units());
    serde_json::json!({
        "id": record.id,
        "number": invoice.number().map(ToString::to_string),
        "status": invoice.status().as_str(),
        "customer": invoice.customer().as_str(),
        "subscription": record.subscription,
        "currency": invoice.currency().code(),
        "total": total.to_string(),
        "issued_at": record.issued_at,
        "due_at": invoice.due_at(),
        "paid_at": invoice.paid_at(),
        "voided_at": invoice.voided_at(),
    })
}

//! The outbound webhook events of the invoice book's changes (`invoice.finalized`, `.paid`,
//! `.voided`) and of the invoices the period close finalizes, written in the change's
//! transaction.

use chrono::Utc;
use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::ports::InvoiceRecord;
use tollgate_domain::outbound_webhook::EventType;
use uuid::Uuid;

use super::{
    super::outbound_webhooks::enqueue_in,
    load,
    rows::{INVOICE_COLUMNS, INVOICE_FROM, InvoiceRow},
};

/// `invoice.finalized` for each of the invoices `ids`, just inserted finalized in the
/// caller's transaction (the period close with `auto_finalize`).
///
/// # Errors
/// The database's.
pub(in crate::postgres) async fn finalized(
    connection: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<(), diesel::result::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<InvoiceRow> = diesel::sql_query(format!(
        "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM} WHERE i.id = ANY($1) ORDER BY i.id"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(connection)
    .await?;
    for record in load(connection, rows).await? {
        let at = record.invoice.finalized_at().unwrap_or_else(Utc::now);
        enqueue_in(
            connection,
            record.organization,
            EventType::InvoiceFinalized,
            at,
            event_data(&record),
        )
        .await?;
    }
    Ok(())
}

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

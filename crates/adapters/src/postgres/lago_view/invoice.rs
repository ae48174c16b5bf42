//! One Lago invoice in `billing_invoices` (`source = 'lago'`, `id = lago_id`, `kind = 'other'`)
//! and its fees in `billing_invoice_lines`.
//!
//! Webhooks about one invoice are serialized by an advisory lock on its Lago id, so the stored
//! status read here is the one the change replaces: a state that is not as far along
//! ([`InvoiceView::supersedes`]) is dropped. Lines follow the freeze trigger on lines: they are
//! replaced while the stored invoice is a draft, and otherwise only written when it has none.
//!
//! Lago's invoice number is kept unless another invoice of the organization has it already (an
//! embedded one from before Lago): `UNIQUE (organization_id, number)` must not turn a webhook
//! into an error Lago retries forever.

use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::ports::ViewOutcome;
use tollgate_domain::{
    billing::{
        InvoiceStatus,
        engine_event::{InvoiceView, InvoiceViewLine},
    },
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{Id, not_found_is_none};

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    lines: i64,
}

fn parse_status(text: &str) -> InvoiceStatus {
    match text {
        "finalized" => InvoiceStatus::Finalized,
        "paid" => InvoiceStatus::Paid,
        "voided" => InvoiceStatus::Voided,
        _ => InvoiceStatus::Draft,
    }
}

async fn lock(
    connection: &mut AsyncPgConnection,
    lago_id: Uuid,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 8))")
        .bind::<Text, _>(format!("lago_invoice:{lago_id}"))
        .execute(connection)
        .await?;
    Ok(())
}

async fn id_of(
    connection: &mut AsyncPgConnection,
    table: &str,
    organization: OrganizationId,
    external_id: &str,
) -> Result<Option<Uuid>, diesel::result::Error> {
    let found: Option<Id> = diesel::sql_query(format!(
        "SELECT id FROM {table} WHERE organization_id = $1 AND external_id = $2"
    ))
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(external_id)
    .get_result(connection)
    .await
    .map(Some)
    .or_else(not_found_is_none)?;
    Ok(found.map(|row| row.id))
}

pub(super) async fn upsert(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    view: &InvoiceView,
) -> Result<ViewOutcome, diesel::result::Error> {
    lock(connection, view.lago_id).await?;
    let Some(customer) = id_of(
        connection,
        "billing_customers",
        organization,
        &view.customer_external_id,
    )
    .await?
    else {
        return Ok(ViewOutcome::UnknownCustomer);
    };
    let subscription = match &view.subscription_external_id {
        Some(external_id) => {
            id_of(
                connection,
                "billing_subscriptions",
                organization,
                external_id,
            )
            .await?
        }
        None => None,
    };
    let stored: Option<Stored> = diesel::sql_query(
        "SELECT id, status, (SELECT count(*) FROM billing_invoice_lines l WHERE l.invoice_id = i.id)
                AS lines
         FROM billing_invoices i WHERE organization_id = $1 AND lago_id = $2",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(view.lago_id)
    .get_result(connection)
    .await
    .map(Some)
    .or_else(not_found_is_none)?;
    let stored_status = stored.as_ref().map(|s| parse_status(&s.status));
    if stored_status.is_some_and(|status| !view.supersedes(status)) {
        return Ok(ViewOutcome::Unchanged);
    }
    let write_lines = match (&view.lines, &stored, stored_status) {
        (None, _, _) => false,
        (Some(_), None, _) => true,
        (Some(_), Some(stored), Some(InvoiceStatus::Draft)) => {
            // Still a draft: its lines may change, and may still be deleted.
            diesel::sql_query("DELETE FROM billing_invoice_lines WHERE invoice_id = $1")
                .bind::<SqlUuid, _>(stored.id)
                .execute(connection)
                .await?;
            true
        }
        (Some(_), Some(stored), _) => stored.lines == 0,
    };
    let invoice = write_invoice(connection, organization, view, customer, subscription).await?;
    if let (true, Some(lines)) = (write_lines, &view.lines) {
        insert_lines(connection, organization, invoice, lines).await?;
    }
    Ok(ViewOutcome::Applied)
}

async fn write_invoice(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    view: &InvoiceView,
    customer: Uuid,
    subscription: Option<Uuid>,
) -> Result<Uuid, diesel::result::Error> {
    let status = view.status;
    let issued = status != InvoiceStatus::Draft;
    // The times Lago does not give: first seen paid or voided. Finalized on the issuing date.
    let finalized_at = issued.then_some(view.issued_at);
    let paid_at = (status == InvoiceStatus::Paid).then_some(view.observed_at);
    let voided_at = (status == InvoiceStatus::Voided).then_some(view.observed_at);
    diesel::sql_query(
        "INSERT INTO billing_invoices (id, organization_id, customer_id, subscription_id, source,
            lago_id, period_start, period_end, status, payment_status, number, currency,
            subtotal, tax, total, issued_at, kind, finalized_at, paid_at, voided_at)
         VALUES ($1, $2, $3, $4, 'lago', $1, $5, $6, $7, $8,
            CASE WHEN EXISTS (SELECT 1 FROM billing_invoices o WHERE o.organization_id = $2
                              AND o.number = $9 AND o.lago_id IS DISTINCT FROM $1)
                 THEN NULL ELSE $9 END,
            $10, $11::numeric, $12::numeric, $13::numeric, $14, 'other', $15, $16, $17)
         ON CONFLICT (organization_id, lago_id) DO UPDATE SET
            customer_id = EXCLUDED.customer_id, subscription_id = EXCLUDED.subscription_id,
            period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,
            status = EXCLUDED.status, payment_status = EXCLUDED.payment_status,
            number = EXCLUDED.number, currency = EXCLUDED.currency,
            subtotal = EXCLUDED.subtotal, tax = EXCLUDED.tax, total = EXCLUDED.total,
            issued_at = EXCLUDED.issued_at,
            finalized_at = COALESCE(billing_invoices.finalized_at, EXCLUDED.finalized_at),
            paid_at = COALESCE(billing_invoices.paid_at, EXCLUDED.paid_at),
            voided_at = COALESCE(billing_invoices.voided_at, EXCLUDED.voided_at),
            updated_at = now()
         RETURNING id",
    )
    .bind::<SqlUuid, _>(view.lago_id)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<SqlUuid>, _>(subscription)
    .bind::<Timestamptz, _>(view.period.start())
    .bind::<Timestamptz, _>(view.period.end())
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<Text>, _>(view.payment_status.as_deref())
    .bind::<Nullable<Text>, _>(view.number.as_deref())
    .bind::<Text, _>(view.currency.code())
    .bind::<Text, _>(view.subtotal.amount().to_string())
    .bind::<Text, _>(view.tax.amount().to_string())
    .bind::<Text, _>(view.total.amount().to_string())
    .bind::<Timestamptz, _>(view.issued_at)
    .bind::<Nullable<Timestamptz>, _>(finalized_at)
    .bind::<Nullable<Timestamptz>, _>(paid_at)
    .bind::<Nullable<Timestamptz>, _>(voided_at)
    .get_result::<Id>(connection)
    .await
    .map(|row| row.id)
}

async fn insert_lines(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    invoice: Uuid,
    lines: &[InvoiceViewLine],
) -> Result<(), diesel::result::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&InvoiceViewLine) -> String| lines.iter().map(f).collect::<Vec<_>>();
    diesel::sql_query(
        "INSERT INTO billing_invoice_lines (invoice_id, organization_id, position, kind, meter,
            description, period_start, period_end, quantity, unit_price, amount, fee_timing)
         SELECT $1, $2, t.position, t.kind, t.meter, t.description, t.period_start,
                t.period_end, t.quantity::numeric, t.unit_price::numeric, t.amount::numeric,
                t.fee_timing
         FROM UNNEST($3::int4[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                     $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])
              AS t(position, kind, meter, description, period_start, period_end, quantity,
                   unit_price, amount, fee_timing)
         ON CONFLICT (invoice_id, position) DO NOTHING",
    )
    .bind::<SqlUuid, _>(invoice)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Array<Int4>, _>(lines.iter().map(|l| l.position).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(text(|l| l.kind.to_owned()))
    .bind::<Array<Nullable<Text>>, _>(lines.iter().map(|l| l.meter.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(text(|l| l.description.clone()))
    .bind::<Array<Timestamptz>, _>(lines.iter().map(|l| l.period.start()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(lines.iter().map(|l| l.period.end()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(text(|l| l.quantity.to_string()))
    .bind::<Array<Text>, _>(text(|l| l.unit_price.to_string()))
    .bind::<Array<Text>, _>(text(|l| l.amount.amount().to_string()))
    .bind::<Array<Nullable<Text>>, _>(
        lines
            .iter()
            .map(|l| l.fee_timing.map(str::to_owned))
            .collect::<Vec<_>>(),
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Deletes the view of a Lago draft (Lago deleted it); an issued invoice is never deleted.
pub(super) async fn discard_draft(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    lago_id: Uuid,
) -> Result<ViewOutcome, diesel::result::Error> {
    lock(connection, lago_id).await?;
    diesel::sql_query(
        "DELETE FROM billing_invoice_lines WHERE invoice_id IN (SELECT id FROM billing_invoices
            WHERE organization_id = $1 AND lago_id = $2 AND status = 'draft')",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(lago_id)
    .execute(connection)
    .await?;
    let deleted = diesel::sql_query(
        "DELETE FROM billing_invoices
         WHERE organization_id = $1 AND lago_id = $2 AND status = 'draft'",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(lago_id)
    .execute(connection)
    .await?;
    Ok(if deleted > 0 {
        ViewOutcome::Applied
    } else {
        ViewOutcome::Unchanged
    })
}

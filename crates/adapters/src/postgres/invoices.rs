//! The embedded invoice book: Tollgate's own invoices (`source = 'embedded'`; Lago's are
//! read through Lago), scoped by organization in every query, each change written with its
//! audit record in one transaction.
//!
//! Finalizing takes the organization's next number from `billing_invoice_sequences` in the
//! same transaction (row lock), so numbers are gapless and unique however many finalize at
//! once. Pages are newest first (ids are UUIDv7), the cursor is the last id shown.

mod events;
mod parties;
mod rows;
mod write;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    AppError, PortError,
    ports::{AuditEntry, InvoiceBook, InvoiceChange, InvoiceFilter, InvoicePage, InvoiceRecord},
    services::billing::invoices::invalid_cursor,
};
use tollgate_domain::{
    DomainError,
    billing::{CreditNote, Invoice, InvoiceNumber, NetTerms, Payment, PaymentMethod},
    organization::OrganizationId,
    outbound_webhook::EventType,
};
use uuid::Uuid;

use events::event_data;
pub(super) use events::finalized as emit_finalized;
pub use parties::PgInvoiceParties;
use rows::{INVOICE_COLUMNS, INVOICE_FROM, InvoiceRow, LINE_COLUMNS};
pub(super) use rows::{LineRow, kind_columns, line as stored_line};
pub(super) use write::{
    NewInvoice, Series, allocate, allocate_numbers, insert_invoices, invariant,
};

use super::{
    PgPool,
    audit::append_in,
    credit_notes::{self, NewCreditNote},
    error,
    outbound_webhooks::enqueue_in,
    transaction,
};

pub struct PgInvoiceBook {
    pool: PgPool,
}

impl PgInvoiceBook {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The invoices of `rows` with their lines, in the rows' order.
async fn load(
    connection: &mut AsyncPgConnection,
    rows: Vec<InvoiceRow>,
) -> Result<Vec<InvoiceRecord>, diesel::result::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let lines: Vec<LineRow> = diesel::sql_query(format!(
        "SELECT {LINE_COLUMNS} FROM billing_invoice_lines
         WHERE invoice_id = ANY($1) ORDER BY invoice_id, position"
    ))
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(connection)
    .await?;
    let mut by_invoice: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    for line in lines {
        by_invoice.entry(line.invoice_id).or_default().push(line);
    }
    rows.iter()
        .map(|row| {
            let lines = by_invoice.get(&row.id).map_or(&[][..], Vec::as_slice);
            rows::record(row, lines).map_err(invariant)
        })
        .collect()
}

/// The organization's embedded invoice `id`, locked for change when `lock`.
async fn find(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    id: Uuid,
    lock: bool,
) -> Result<Option<InvoiceRecord>, diesel::result::Error> {
    let rows: Vec<InvoiceRow> = diesel::sql_query(format!(
        "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM}
         WHERE i.organization_id = $1 AND i.id = $2 AND i.source = 'embedded' {}",
        if lock { "FOR UPDATE OF i" } else { "" }
    ))
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(id)
    .load(connection)
    .await?;
    Ok(load(connection, rows).await?.into_iter().next())
}

/// A transition: the domain decides on the locked invoice, `store` writes what changed, the
/// audit record goes with it. A refused transition writes nothing. With `whole`, an invoice
/// already credited in part (by a credit note of its own) is refused: the transition would
/// credit that part again.
async fn transition<F>(
    pool: &PgPool,
    (organization, id): (OrganizationId, Uuid),
    whole: bool,
    audit: &AuditEntry,
    decide: F,
) -> Result<InvoiceChange, PortError>
where
    F: FnOnce(&mut Invoice) -> Result<Change, DomainError> + Send + 'static,
{
    let audit = audit.clone();
    transaction(pool, move |connection| {
        Box::pin(async move {
            let Some(mut record) = find(connection, organization, id, true).await? else {
                return Ok(InvoiceChange::NotFound);
            };
            if whole && credit_notes::partly_credited(connection, organization, id).await? {
                return Ok(InvoiceChange::Refused(DomainError::InvoiceStatus {
                    action: "void",
                    status: "partly credited",
                }));
            }
            let change = match decide(&mut record.invoice) {
                Ok(change) => change,
                Err(error) => return Ok(InvoiceChange::Refused(error)),
            };
            let (event, finalized_at) = change.event();
            store(connection, organization, &mut record, change).await?;
            append_in(connection, organization, &audit).await?;
            // In the change's transaction: a rolled-back change sends nothing, a committed
            // one cannot lose its event.
            let at = finalized_at
                .or(record.invoice.paid_at())
                .or(record.invoice.voided_at());
            enqueue_in(
                connection,
                organization,
                event,
                at.unwrap_or_else(Utc::now),
                event_data(&record),
            )
            .await?;
            Ok(InvoiceChange::Done(record))
        })
    })
    .await
}

/// Records a card payment (`reference`: the provider's payment id) on a finalized embedded
/// invoice, within the caller's transaction (the payment's own records commit with it).
/// `false` when the invoice is not finalized any more (paid by hand meanwhile, or voided):
/// the money is then only on the payment's attempt, for the operator to refund.
pub(super) async fn pay_by_card_in(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    id: Uuid,
    at: DateTime<Utc>,
    reference: &str,
) -> Result<bool, diesel::result::Error> {
    let Some(mut record) = find(connection, organization, id, true).await? else {
        return Ok(false);
    };
    let payment = Payment::new(PaymentMethod::Card, Some(reference))
        .map_err(|e| invariant(format!("a provider's payment id as reference: {e}")))?;
    if record
        .invoice
        .record_payment(stored_time(at), payment)
        .is_err()
    {
        return Ok(false);
    }
    store(connection, organization, &mut record, Change::Paid).await?;
    let at = record.invoice.paid_at().unwrap_or_else(Utc::now);
    enqueue_in(
        connection,
        organization,
        EventType::InvoicePaid,
        at,
        event_data(&record),
    )
    .await?;
    Ok(true)
}

/// `at` as PostgreSQL keeps it (microseconds), so that what a change answers is what a later
/// read shows.
pub(super) fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// What a transition changed.
enum Change {
    /// A draft that passed the finalize checks, still to be numbered.
    Finalize(DateTime<Utc>),
    Paid,
    Voided(CreditNote),
}

impl Change {
    /// The event type the change emits, and its time when the change carries it.
    fn event(&self) -> (EventType, Option<DateTime<Utc>>) {
        match self {
            Self::Finalize(at) => (EventType::InvoiceFinalized, Some(*at)),
            Self::Paid => (EventType::InvoicePaid, None),
            Self::Voided(_) => (EventType::InvoiceVoided, None),
        }
    }
}

/// The terms a finalized invoice is due on, read in the finalizing transaction: the
/// customer's, else the organization's, else the default.
async fn net_terms(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    id: Uuid,
) -> Result<NetTerms, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Terms {
        #[diesel(sql_type = Nullable<Integer>)]
        customer: Option<i32>,
        #[diesel(sql_type = Nullable<Integer>)]
        organization: Option<i32>,
    }
    let terms: Terms = diesel::sql_query(
        "SELECT c.net_terms_days AS customer, o.net_terms_days AS organization
         FROM billing_invoices i
         JOIN billing_customers c ON c.id = i.customer_id AND c.organization_id = i.organization_id
         LEFT JOIN organization_settings o ON o.organization_id = i.organization_id
         WHERE i.organization_id = $1 AND i.id = $2",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(id)
    .get_result(connection)
    .await?;
    let read = |days: Option<i32>| {
        days.map(|d| NetTerms::from_stored(d.into()))
            .transpose()
            .map_err(|e| invariant(e.to_string()))
    };
    Ok(NetTerms::first_of([
        read(terms.customer)?,
        read(terms.organization)?,
    ]))
}

async fn store(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    record: &mut InvoiceRecord,
    change: Change,
) -> Result<(), diesel::result::Error> {
    let invoice = &mut record.invoice;
    match change {
        Change::Finalize(at) => {
            let terms = net_terms(connection, organization, record.id).await?;
            let (number, sequence) = allocate_numbers(connection, organization, 1)
                .await?
                .pop()
                .ok_or_else(|| invariant("no number was allocated".to_owned()))?;
            invoice
                .finalize_on_terms(number.clone(), at, terms)
                .map_err(|e| invariant(e.to_string()))?;
            diesel::sql_query(
                "UPDATE billing_invoices SET status = 'finalized', number = $3, sequence = $4,
                    finalized_at = $5, net_terms_days = $6, due_at = $7, updated_at = now()
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<SqlUuid, _>(record.id)
            .bind::<Text, _>(number.to_string())
            .bind::<BigInt, _>(sequence)
            .bind::<Timestamptz, _>(at)
            .bind::<Integer, _>(i32::from(terms.days()))
            .bind::<Nullable<Timestamptz>, _>(invoice.due_at())
            .execute(connection)
            .await?;
        }
        Change::Paid => {
            let payment = invoice.payment();
            diesel::sql_query(
                "UPDATE billing_invoices SET status = 'paid', paid_at = $3, payment_method = $4,
                    payment_reference = $5, updated_at = now()
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<SqlUuid, _>(record.id)
            .bind::<Nullable<Timestamptz>, _>(invoice.paid_at())
            .bind::<Nullable<Text>, _>(payment.map(|p| p.method().as_str()))
            .bind::<Nullable<Text>, _>(payment.and_then(Payment::reference))
            .execute(connection)
            .await?;
        }
        Change::Voided(note) => {
            diesel::sql_query(
                "UPDATE billing_invoices SET status = 'voided', voided_at = $3, updated_at = now()
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<SqlUuid, _>(record.id)
            .bind::<Timestamptz, _>(note.issued_at())
            .execute(&mut *connection)
            .await?;
            let new = NewCreditNote {
                id: Uuid::now_v7(),
                organization,
                invoice_id: record.id,
                note: &note,
            };
            credit_notes::issue(connection, &[new]).await?;
            record.credit_note = Some(note);
        }
    }
    Ok(())
}

#[async_trait]
impl InvoiceBook for PgInvoiceBook {
    async fn list(
        &self,
        organization: OrganizationId,
        filter: &InvoiceFilter,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<InvoicePage, AppError> {
        let before = cursor
            .as_deref()
            .map(|text| Uuid::parse_str(text).map_err(|_| invalid_cursor()))
            .transpose()?;
        let customer = filter.customer.as_ref().map(|c| c.as_str().to_owned());
        let status = filter.status.map(|s| s.as_str());
        let currency = filter.currency.as_ref().map(|c| c.as_str().to_owned());
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // The filters narrow the same keyset walk by id, so a page's cursor stays valid with
        // them: the next page is the next ids that still match.
        let rows: Vec<InvoiceRow> = diesel::sql_query(format!(
            "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM}
             WHERE i.organization_id = $1 AND i.source = 'embedded'
               AND ($2::uuid IS NULL OR i.id < $2)
               AND ($3::text IS NULL OR c.external_id = $3)
               AND ($4::text IS NULL OR i.status = $4)
               AND ($6::text IS NULL OR i.currency = $6)
               AND ($7::timestamptz IS NULL OR i.issued_at >= $7)
               AND ($8::timestamptz IS NULL OR i.issued_at < $8)
               AND (NOT $9 OR i.status <> 'draft')
             ORDER BY i.id DESC LIMIT $5"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(before)
        .bind::<Nullable<Text>, _>(customer)
        .bind::<Nullable<Text>, _>(status)
        .bind::<BigInt, _>(i64::from(limit))
        .bind::<Nullable<Text>, _>(currency)
        .bind::<Nullable<Timestamptz>, _>(filter.issued_from)
        .bind::<Nullable<Timestamptz>, _>(filter.issued_before)
        .bind::<Bool, _>(filter.issued_only)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        let full = rows.len() == usize::try_from(limit).unwrap_or(usize::MAX);
        let invoices = load(&mut connection, rows)
            .await
            .map_err(error::from_query)?;
        let next = full
            .then(|| invoices.last().map(|r| r.id.to_string()))
            .flatten();
        Ok(InvoicePage { invoices, next })
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<InvoiceRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        find(&mut connection, organization, id, false)
            .await
            .map_err(error::from_query)
    }

    async fn finalize(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let at = stored_time(at);
        transition(
            &self.pool,
            (organization, id),
            false,
            audit,
            move |invoice| {
                // Checked on a copy first: a refused finalize must not take a number.
                let mut trial = invoice.clone();
                let placeholder = InvoiceNumber::new("CHECK", 1)?;
                trial.finalize(placeholder, at)?;
                Ok(Change::Finalize(at))
            },
        )
        .await
    }

    async fn void(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let at = stored_time(at);
        transition(
            &self.pool,
            (organization, id),
            true,
            audit,
            move |invoice| invoice.void(at).map(Change::Voided),
        )
        .await
    }

    async fn mark_paid(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        payment: &Payment,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let at = stored_time(at);
        let payment = payment.clone();
        transition(
            &self.pool,
            (organization, id),
            false,
            audit,
            move |invoice| invoice.record_payment(at, payment).map(|()| Change::Paid),
        )
        .await
    }
}

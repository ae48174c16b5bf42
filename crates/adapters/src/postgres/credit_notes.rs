//! Credit notes: issued by a void (the invoice book) or by a termination's unused days (the
//! period close), each numbered from its organization's own gapless series in the issuing
//! transaction, stored with its lines, and never changed afterwards (the database refuses
//! it). Read back through the domain, which recomputes the totals from the lines: a stored
//! credit note whose totals disagree is a broken invariant, never shown.

mod read;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{CreditNoteBook, CreditNoteRecord},
    services::billing::credit_notes::describe_credited,
};
use tollgate_domain::{
    billing::{CreditNote, CreditNoteNumber},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{
    PgPool, error,
    invoices::{Series, allocate, invariant, kind_columns},
};
use read::{NOTE_COLUMNS, NOTE_FROM, NoteRow, load};

/// One credit note to issue.
pub(super) struct NewCreditNote<'a> {
    pub id: Uuid,
    pub organization: OrganizationId,
    /// The invoice it credits.
    pub invoice_id: Uuid,
    pub note: &'a CreditNote,
}

/// Numbers `notes` (one counter update per organization) and inserts them with their lines
/// (two statements); their numbers, in `notes`' order.
pub(super) async fn issue(
    connection: &mut AsyncPgConnection,
    notes: &[NewCreditNote<'_>],
) -> Result<Vec<CreditNoteNumber>, diesel::result::Error> {
    let mut by_organization: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    for (index, new) in notes.iter().enumerate() {
        by_organization
            .entry(new.organization.as_uuid())
            .or_default()
            .push(index);
    }
    let mut numbers: Vec<Option<(CreditNoteNumber, i64)>> = vec![None; notes.len()];
    for (organization, indexes) in &by_organization {
        let organization = OrganizationId::from_uuid(*organization);
        let (prefix, sequences) =
            allocate(connection, Series::CreditNotes, organization, indexes.len()).await?;
        for (index, (unsigned, sequence)) in indexes.iter().zip(sequences) {
            let number =
                CreditNoteNumber::new(&prefix, unsigned).map_err(|e| invariant(e.to_string()))?;
            numbers[*index] = Some((number, sequence));
        }
    }
    let numbers: Vec<(CreditNoteNumber, i64)> = numbers
        .into_iter()
        .map(|n| n.ok_or_else(|| invariant("a credit note was not numbered".to_owned())))
        .collect::<Result<_, _>>()?;
    insert(connection, notes, &numbers).await?;
    Ok(numbers.into_iter().map(|(number, _)| number).collect())
}

async fn insert(
    connection: &mut AsyncPgConnection,
    notes: &[NewCreditNote<'_>],
    numbers: &[(CreditNoteNumber, i64)],
) -> Result<(), diesel::result::Error> {
    let mut n = NoteColumns::default();
    let mut l = LineColumns::default();
    for (new, (number, sequence)) in notes.iter().zip(numbers) {
        let note = new.note;
        n.id.push(new.id);
        n.organization.push(new.organization.as_uuid());
        n.invoice.push(new.invoice_id);
        n.number.push(number.to_string());
        n.sequence.push(*sequence);
        n.reason.push(note.reason().as_str());
        n.settlement.push(note.settlement().as_str());
        n.currency.push(note.currency().code().to_owned());
        n.tax_rate.push(note.tax_rate().percent().to_string());
        n.subtotal.push(note.subtotal().amount().to_string());
        n.tax.push(note.tax().amount().to_string());
        n.total.push(note.total().amount().to_string());
        n.issued_at.push(note.issued_at());
        for (index, line) in note.lines().iter().enumerate() {
            let (kind, meter, timing, used, of) = kind_columns(line.kind());
            l.note.push(new.id);
            l.organization.push(new.organization.as_uuid());
            l.position
                .push(i32::try_from(index + 1).map_err(|e| invariant(e.to_string()))?);
            l.kind.push(kind);
            l.meter.push(meter);
            l.description.push(describe_credited(note.reason(), line));
            l.period_start.push(line.period().start());
            l.period_end.push(line.period().end());
            l.quantity.push(line.quantity().to_string());
            l.free_quantity.push(line.free_quantity().to_string());
            l.unit_price.push(line.unit_price().to_string());
            l.amount.push(line.amount().amount().to_string());
            l.fee_timing.push(timing);
            l.used_days.push(used);
            l.period_days.push(of);
        }
    }
    diesel::sql_query(
        "INSERT INTO billing_credit_notes (id, organization_id, invoice_id, number, sequence,
            reason, settlement, currency, tax_rate, subtotal, tax, total, issued_at)
         SELECT id, org, invoice, number, sequence, reason, settlement, currency,
                tax_rate::numeric, subtotal::numeric, tax::numeric, total::numeric, issued_at
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                     $13::timestamptz[])
           AS t(id, org, invoice, number, sequence, reason, settlement, currency, tax_rate,
                subtotal, tax, total, issued_at)",
    )
    .bind::<Array<SqlUuid>, _>(&n.id)
    .bind::<Array<SqlUuid>, _>(&n.organization)
    .bind::<Array<SqlUuid>, _>(&n.invoice)
    .bind::<Array<Text>, _>(&n.number)
    .bind::<Array<BigInt>, _>(&n.sequence)
    .bind::<Array<Text>, _>(&n.reason)
    .bind::<Array<Text>, _>(&n.settlement)
    .bind::<Array<Text>, _>(&n.currency)
    .bind::<Array<Text>, _>(&n.tax_rate)
    .bind::<Array<Text>, _>(&n.subtotal)
    .bind::<Array<Text>, _>(&n.tax)
    .bind::<Array<Text>, _>(&n.total)
    .bind::<Array<Timestamptz>, _>(&n.issued_at)
    .execute(&mut *connection)
    .await?;
    diesel::sql_query(
        "INSERT INTO billing_credit_note_lines (credit_note_id, organization_id, position, kind,
            meter, description, period_start, period_end, quantity, free_quantity, unit_price,
            amount, fee_timing, proration_used_days, proration_period_days)
         SELECT note, org, position, kind, meter, description, period_start, period_end,
                quantity::numeric, free_quantity::numeric, unit_price::numeric, amount::numeric,
                fee_timing, used_days, period_days
         FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::text[], $14::int[], $15::int[])
           AS t(note, org, position, kind, meter, description, period_start, period_end,
                quantity, free_quantity, unit_price, amount, fee_timing, used_days, period_days)",
    )
    .bind::<Array<SqlUuid>, _>(&l.note)
    .bind::<Array<SqlUuid>, _>(&l.organization)
    .bind::<Array<Integer>, _>(&l.position)
    .bind::<Array<Text>, _>(&l.kind)
    .bind::<Array<Nullable<Text>>, _>(&l.meter)
    .bind::<Array<Text>, _>(&l.description)
    .bind::<Array<Timestamptz>, _>(&l.period_start)
    .bind::<Array<Timestamptz>, _>(&l.period_end)
    .bind::<Array<Text>, _>(&l.quantity)
    .bind::<Array<Text>, _>(&l.free_quantity)
    .bind::<Array<Text>, _>(&l.unit_price)
    .bind::<Array<Text>, _>(&l.amount)
    .bind::<Array<Nullable<Text>>, _>(&l.fee_timing)
    .bind::<Array<Nullable<Integer>>, _>(&l.used_days)
    .bind::<Array<Nullable<Integer>>, _>(&l.period_days)
    .execute(connection)
    .await?;
    Ok(())
}

#[derive(Default)]
struct NoteColumns {
    id: Vec<Uuid>,
    organization: Vec<Uuid>,
    invoice: Vec<Uuid>,
    number: Vec<String>,
    sequence: Vec<i64>,
    reason: Vec<&'static str>,
    settlement: Vec<&'static str>,
    currency: Vec<String>,
    tax_rate: Vec<String>,
    subtotal: Vec<String>,
    tax: Vec<String>,
    total: Vec<String>,
    issued_at: Vec<DateTime<Utc>>,
}

#[derive(Default)]
struct LineColumns {
    note: Vec<Uuid>,
    organization: Vec<Uuid>,
    position: Vec<i32>,
    kind: Vec<&'static str>,
    meter: Vec<Option<&'static str>>,
    description: Vec<String>,
    period_start: Vec<DateTime<Utc>>,
    period_end: Vec<DateTime<Utc>>,
    quantity: Vec<String>,
    free_quantity: Vec<String>,
    unit_price: Vec<String>,
    amount: Vec<String>,
    fee_timing: Vec<Option<&'static str>>,
    used_days: Vec<Option<i32>>,
    period_days: Vec<Option<i32>>,
}

/// Whether `invoice` was credited in part (a termination's unused days): voiding it would
/// credit those days a second time.
pub(super) async fn partly_credited(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    invoice: Uuid,
) -> Result<bool, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let found: Found = diesel::sql_query(
        "SELECT count(*) AS count FROM billing_credit_notes
         WHERE organization_id = $1 AND invoice_id = $2 AND reason <> 'void'",
    )
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<SqlUuid, _>(invoice)
    .get_result(connection)
    .await?;
    Ok(found.count > 0)
}

pub struct PgCreditNoteBook {
    pool: PgPool,
}

impl PgCreditNoteBook {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn read(
        &self,
        organization: OrganizationId,
        by: &str,
        id: Uuid,
    ) -> Result<Vec<CreditNoteRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<NoteRow> = diesel::sql_query(format!(
            "SELECT {NOTE_COLUMNS} FROM {NOTE_FROM}
             WHERE n.organization_id = $1 AND n.{by} = $2
             ORDER BY n.issued_at, n.sequence"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        load(&mut connection, rows).await.map_err(error::from_query)
    }
}

#[async_trait]
impl CreditNoteBook for PgCreditNoteBook {
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CreditNoteRecord>, PortError> {
        Ok(self.read(organization, "id", id).await?.into_iter().next())
    }

    async fn of_invoice(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<Vec<CreditNoteRecord>, PortError> {
        self.read(organization, "invoice_id", invoice).await
    }
}

//! Stored credit notes back into the domain, which recomputes their totals from their lines.

use std::{collections::HashMap, str::FromStr};

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use tollgate_application::ports::CreditNoteRecord;
use tollgate_domain::{
    billing::{
        CreditNote, CreditNoteNumber, CreditReason, Credited, Currency, InvoiceNumber, Settlement,
        TaxRate,
    },
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::super::invoices::{LineRow, invariant, stored_line};

pub(super) const NOTE_COLUMNS: &str = "n.id, n.organization_id, n.invoice_id, n.number, n.reason,
    n.settlement, n.currency, c.currency_minor_units, c.external_id AS customer,
    i.number AS invoice_number, n.tax_rate::text AS tax_rate, n.subtotal::text AS subtotal,
    n.tax::text AS tax, n.total::text AS total, n.issued_at";

pub(super) const NOTE_FROM: &str = "billing_credit_notes n
    JOIN billing_invoices i ON i.id = n.invoice_id AND i.organization_id = n.organization_id
    JOIN billing_customers c ON c.id = i.customer_id AND c.organization_id = i.organization_id";

#[derive(QueryableByName)]
pub(super) struct NoteRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    invoice_id: Uuid,
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    settlement: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Integer)]
    currency_minor_units: i32,
    #[diesel(sql_type = Text)]
    customer: String,
    #[diesel(sql_type = Nullable<Text>)]
    invoice_number: Option<String>,
    #[diesel(sql_type = Text)]
    tax_rate: String,
    #[diesel(sql_type = Text)]
    subtotal: String,
    #[diesel(sql_type = Text)]
    tax: String,
    #[diesel(sql_type = Text)]
    total: String,
    #[diesel(sql_type = Timestamptz)]
    issued_at: DateTime<Utc>,
}

fn broken(id: Uuid, what: impl std::fmt::Display) -> String {
    format!("stored credit note {id}: {what}")
}

fn record(row: &NoteRow, lines: &[LineRow]) -> Result<CreditNoteRecord, String> {
    let fail = |what: &dyn std::fmt::Display| broken(row.id, what);
    let decimal = |text: &str| Decimal::from_str(text).map_err(|e| fail(&e));
    let minor = u8::try_from(row.currency_minor_units).map_err(|e| fail(&e))?;
    let currency = Currency::with_minor_units(&row.currency, minor)
        .or_else(|_| Currency::parse(&row.currency))
        .map_err(|e| fail(&e))?;
    let invoice_number = row
        .invoice_number
        .as_deref()
        .ok_or_else(|| fail(&"it credits an invoice without a number"))?;
    let settlement = match row.settlement.as_str() {
        "refund" => Settlement::RefundDue,
        "cancellation" => Settlement::CancelsBalance,
        other => return Err(fail(&format!("settlement `{other}`"))),
    };
    let credited = Credited {
        invoice_number: InvoiceNumber::parse(invoice_number).map_err(|e| fail(&e))?,
        customer: CustomerId::parse(row.customer.as_str()).map_err(|e| fail(&e))?,
        currency,
        tax_rate: TaxRate::new(decimal(&row.tax_rate)?).map_err(|e| fail(&e))?,
        settlement,
    };
    let lines = lines
        .iter()
        .map(|line| stored_line(line, currency))
        .collect::<Result<Vec<_>, _>>()?;
    let reason = CreditReason::parse(&row.reason).map_err(|e| fail(&e))?;
    let note =
        CreditNote::for_lines(credited, reason, lines, row.issued_at).map_err(|e| fail(&e))?;
    let stored = (
        decimal(&row.subtotal)?,
        decimal(&row.tax)?,
        decimal(&row.total)?,
    );
    let computed = (
        note.subtotal().amount(),
        note.tax().amount(),
        note.total().amount(),
    );
    if stored != computed {
        return Err(fail(&format!(
            "totals {stored:?} differ from its lines' {computed:?}"
        )));
    }
    Ok(CreditNoteRecord {
        id: row.id,
        organization: OrganizationId::from_uuid(row.organization_id),
        number: CreditNoteNumber::parse(&row.number).map_err(|e| fail(&e))?,
        invoice_id: row.invoice_id,
        credit_note: note,
    })
}

pub(super) async fn load(
    connection: &mut AsyncPgConnection,
    rows: Vec<NoteRow>,
) -> Result<Vec<CreditNoteRecord>, diesel::result::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let lines: Vec<LineRow> = diesel::sql_query(
        "SELECT credit_note_id AS invoice_id, kind, meter, period_start, period_end,
                quantity::text AS quantity, free_quantity::text AS free_quantity,
                unit_price::text AS unit_price, amount::text AS amount, fee_timing,
                proration_used_days, proration_period_days
         FROM billing_credit_note_lines WHERE credit_note_id = ANY($1)
         ORDER BY credit_note_id, position",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(connection)
    .await?;
    let mut by_note: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    for line in lines {
        by_note.entry(line.invoice_id).or_default().push(line);
    }
    rows.iter()
        .map(|row| {
            let lines = by_note.get(&row.id).map_or(&[][..], Vec::as_slice);
            record(row, lines).map_err(invariant)
        })
        .collect()
}

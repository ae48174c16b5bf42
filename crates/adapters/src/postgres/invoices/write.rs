//! Writing invoices: numbers from the organization's counter, and whole batches of invoices
//! and lines in one statement each (`UNNEST` of bound arrays).

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::services::billing::invoices::describe;
use tollgate_domain::{
    billing::{BillingPeriod, Invoice, InvoiceNumber},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::rows::kind_columns;

/// The invoice number prefix of an organization: its slug upper-cased, only letters, digits
/// and inner dashes, at most [`InvoiceNumber::MAX_PREFIX_LEN`] characters (`INV` if nothing
/// is left).
pub(crate) fn prefix_for(slug: &str) -> String {
    let kept: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(InvoiceNumber::MAX_PREFIX_LEN)
        .collect::<String>()
        .to_ascii_uppercase();
    let trimmed = kept.trim_matches('-');
    if trimmed.is_empty() {
        "INV".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[derive(QueryableByName)]
struct Allocated {
    #[diesel(sql_type = BigInt)]
    last_sequence: i64,
    #[diesel(sql_type = Text)]
    slug: String,
}

/// A gapless series of numbers per organization, kept in a counter table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::postgres) enum Series {
    Invoices,
    CreditNotes,
}

impl Series {
    fn table(self) -> &'static str {
        match self {
            Self::Invoices => "billing_invoice_sequences",
            Self::CreditNotes => "billing_credit_note_sequences",
        }
    }
}

/// Takes `count` consecutive sequence numbers of the organization's `series`: the prefix and
/// the numbers. The counter's row stays locked until the transaction ends, so concurrent
/// issuers queue up and a rolled-back one gives its numbers back: no gaps, no duplicates.
pub(in crate::postgres) async fn allocate(
    connection: &mut AsyncPgConnection,
    series: Series,
    organization: OrganizationId,
    count: usize,
) -> Result<(String, Vec<(u64, i64)>), diesel::result::Error> {
    let wanted = i64::try_from(count).map_err(|e| invariant(e.to_string()))?;
    if wanted == 0 {
        return Ok((String::new(), Vec::new()));
    }
    let allocated: Allocated = diesel::sql_query(format!(
        "INSERT INTO {} AS s (organization_id, last_sequence)
         VALUES ($1, $2)
         ON CONFLICT (organization_id)
         DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
         RETURNING last_sequence, (SELECT slug FROM organizations WHERE id = $1) AS slug",
        series.table()
    ))
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<BigInt, _>(wanted)
    .get_result(connection)
    .await?;
    let first = allocated.last_sequence - wanted + 1;
    let sequences = (first..=allocated.last_sequence)
        .map(|sequence| {
            u64::try_from(sequence)
                .map(|unsigned| (unsigned, sequence))
                .map_err(|e| invariant(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok((prefix_for(&allocated.slug), sequences))
}

/// Takes `count` consecutive invoice numbers of the organization (see [`allocate`]).
pub(in crate::postgres) async fn allocate_numbers(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    count: usize,
) -> Result<Vec<(InvoiceNumber, i64)>, diesel::result::Error> {
    let (prefix, sequences) = allocate(connection, Series::Invoices, organization, count).await?;
    sequences
        .into_iter()
        .map(|(unsigned, sequence)| {
            InvoiceNumber::new(&prefix, unsigned)
                .map(|number| (number, sequence))
                .map_err(|e| invariant(e.to_string()))
        })
        .collect()
}

/// A broken invariant inside a transaction: rolls it back, reported as an internal error.
pub(in crate::postgres) fn invariant(reason: String) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(reason.into())
}

/// One invoice to insert with its lines.
pub(in crate::postgres) struct NewInvoice<'a> {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub customer_id: Uuid,
    pub subscription_id: Option<Uuid>,
    /// `opening` or `closing`.
    pub kind: &'static str,
    pub period: BillingPeriod,
    pub issued_at: DateTime<Utc>,
    /// Its number's sequence when finalized.
    pub sequence: Option<i64>,
    pub invoice: &'a Invoice,
}

/// Inserts `invoices` and every line of them: two statements whatever their number.
pub(in crate::postgres) async fn insert_invoices(
    connection: &mut AsyncPgConnection,
    invoices: &[NewInvoice<'_>],
) -> Result<(), diesel::result::Error> {
    if invoices.is_empty() {
        return Ok(());
    }
    let mut c = InvoiceColumns::default();
    let mut l = LineColumns::default();
    for new in invoices {
        let invoice = new.invoice;
        c.id.push(new.id);
        c.organization.push(new.organization.as_uuid());
        c.customer.push(new.customer_id);
        c.subscription.push(new.subscription_id);
        c.kind.push(new.kind.to_owned());
        c.period_start.push(new.period.start());
        c.period_end.push(new.period.end());
        c.status.push(invoice.status().as_str().to_owned());
        c.number.push(invoice.number().map(ToString::to_string));
        c.sequence.push(new.sequence);
        c.currency.push(invoice.currency().code().to_owned());
        c.tax_rate.push(invoice.tax_rate().percent().to_string());
        c.subtotal.push(invoice.subtotal().amount().to_string());
        c.tax.push(invoice.tax().amount().to_string());
        c.total.push(invoice.total().amount().to_string());
        c.issued_at.push(new.issued_at);
        c.finalized_at.push(invoice.finalized_at());
        c.net_terms_days
            .push(invoice.net_terms().map(|terms| i32::from(terms.days())));
        c.due_at.push(invoice.due_at());
        for (index, line) in invoice.lines().iter().enumerate() {
            let (kind, meter, timing, used, of) = kind_columns(line.kind());
            l.invoice.push(new.id);
            l.organization.push(new.organization.as_uuid());
            l.position
                .push(i32::try_from(index + 1).map_err(|e| invariant(e.to_string()))?);
            l.kind.push(kind.to_owned());
            l.meter.push(meter.map(str::to_owned));
            l.description.push(describe(line));
            l.period_start.push(line.period().start());
            l.period_end.push(line.period().end());
            l.quantity.push(line.quantity().to_string());
            l.free_quantity.push(line.free_quantity().to_string());
            l.unit_price.push(line.unit_price().to_string());
            l.amount.push(line.amount().amount().to_string());
            l.fee_timing.push(timing.map(str::to_owned));
            l.used_days.push(used);
            l.period_days.push(of);
        }
    }
    diesel::sql_query(
        "INSERT INTO billing_invoices (id, organization_id, customer_id, subscription_id, source,
            kind, period_start, period_end, status, number, sequence, currency, tax_rate,
            subtotal, tax, total, issued_at, finalized_at, net_terms_days, due_at)
         SELECT id, org, customer, subscription, 'embedded', kind, period_start, period_end,
                status, number, sequence, currency, tax_rate::numeric, subtotal::numeric,
                tax::numeric, total::numeric, issued_at, finalized_at, net_terms_days, due_at
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                     $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::bigint[],
                     $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                     $16::timestamptz[], $17::timestamptz[], $18::int[], $19::timestamptz[])
           AS t(id, org, customer, subscription, kind, period_start, period_end, status, number,
                sequence, currency, tax_rate, subtotal, tax, total, issued_at, finalized_at,
                net_terms_days, due_at)",
    )
    .bind::<Array<SqlUuid>, _>(&c.id)
    .bind::<Array<SqlUuid>, _>(&c.organization)
    .bind::<Array<SqlUuid>, _>(&c.customer)
    .bind::<Array<Nullable<SqlUuid>>, _>(&c.subscription)
    .bind::<Array<Text>, _>(&c.kind)
    .bind::<Array<Timestamptz>, _>(&c.period_start)
    .bind::<Array<Timestamptz>, _>(&c.period_end)
    .bind::<Array<Text>, _>(&c.status)
    .bind::<Array<Nullable<Text>>, _>(&c.number)
    .bind::<Array<Nullable<BigInt>>, _>(&c.sequence)
    .bind::<Array<Text>, _>(&c.currency)
    .bind::<Array<Text>, _>(&c.tax_rate)
    .bind::<Array<Text>, _>(&c.subtotal)
    .bind::<Array<Text>, _>(&c.tax)
    .bind::<Array<Text>, _>(&c.total)
    .bind::<Array<Timestamptz>, _>(&c.issued_at)
    .bind::<Array<Nullable<Timestamptz>>, _>(&c.finalized_at)
    .bind::<Array<Nullable<Integer>>, _>(&c.net_terms_days)
    .bind::<Array<Nullable<Timestamptz>>, _>(&c.due_at)
    .execute(&mut *connection)
    .await?;
    diesel::sql_query(
        "INSERT INTO billing_invoice_lines (invoice_id, organization_id, position, kind, meter,
            description, period_start, period_end, quantity, free_quantity, unit_price, amount,
            fee_timing, proration_used_days, proration_period_days)
         SELECT invoice, org, position, kind, meter, description, period_start, period_end,
                quantity::numeric, free_quantity::numeric, unit_price::numeric, amount::numeric,
                fee_timing, used_days, period_days
         FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::text[], $14::int[], $15::int[])
           AS t(invoice, org, position, kind, meter, description, period_start, period_end,
                quantity, free_quantity, unit_price, amount, fee_timing, used_days, period_days)",
    )
    .bind::<Array<SqlUuid>, _>(&l.invoice)
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
struct InvoiceColumns {
    id: Vec<Uuid>,
    organization: Vec<Uuid>,
    customer: Vec<Uuid>,
    subscription: Vec<Option<Uuid>>,
    kind: Vec<String>,
    period_start: Vec<DateTime<Utc>>,
    period_end: Vec<DateTime<Utc>>,
    status: Vec<String>,
    number: Vec<Option<String>>,
    sequence: Vec<Option<i64>>,
    currency: Vec<String>,
    tax_rate: Vec<String>,
    subtotal: Vec<String>,
    tax: Vec<String>,
    total: Vec<String>,
    issued_at: Vec<DateTime<Utc>>,
    finalized_at: Vec<Option<DateTime<Utc>>>,
    net_terms_days: Vec<Option<i32>>,
    due_at: Vec<Option<DateTime<Utc>>>,
}

#[derive(Default)]
struct LineColumns {
    invoice: Vec<Uuid>,
    organization: Vec<Uuid>,
    position: Vec<i32>,
    kind: Vec<String>,
    meter: Vec<Option<String>>,
    description: Vec<String>,
    period_start: Vec<DateTime<Utc>>,
    period_end: Vec<DateTime<Utc>>,
    quantity: Vec<String>,
    free_quantity: Vec<String>,
    unit_price: Vec<String>,
    amount: Vec<String>,
    fee_timing: Vec<Option<String>>,
    used_days: Vec<Option<i32>>,
    period_days: Vec<Option<i32>>,
}

#[cfg(test)]
mod tests {
    use super::prefix_for;

    #[test]
    fn prefixes_come_from_the_slug_within_the_numbers_rules() {
        assert_eq!(prefix_for("demo-co"), "DEMO-CO");
        assert_eq!(
            prefix_for("a_very_long-organization-slug"),
            "AVERYLONG-ORGANIZATI"
        );
        assert_eq!(prefix_for("-x-"), "X");
        assert_eq!(prefix_for("__"), "INV");
    }
}

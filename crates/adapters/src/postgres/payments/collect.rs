//! The collector's queue: collections opened for finalized invoices, claimed under a lease,
//! their attempts begun (the key stored before the provider is called) and given back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Double, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::ports::{
    AttemptKind, AttemptRecord, Collection, IdempotencyKey, InvoiceClaim,
};
use uuid::Uuid;

use super::rows::{ATTEMPT_COLUMNS, AttemptRow, COLLECTION_SELECT, CollectionRow, broken};

/// See `PaymentLedger::open_collections`. Invoices of other sources (Lago's) are Lago's to
/// collect; an invoice with nothing due needs no card.
pub(super) async fn open(
    connection: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<u64, diesel::result::Error> {
    let opened = diesel::sql_query(
        "INSERT INTO invoice_collections
             (invoice_id, organization_id, status, amount_due, currency, next_attempt_at)
         SELECT i.id, i.organization_id, 'none', i.total, i.currency, $1
         FROM payment_customers p
         JOIN billing_invoices i
           ON i.organization_id = p.organization_id AND i.customer_id = p.customer_id
         WHERE p.auto_collect AND p.default_payment_method IS NOT NULL
           AND i.source = 'embedded' AND i.status = 'finalized' AND i.total > 0
           AND NOT EXISTS (SELECT 1 FROM invoice_collections c WHERE c.invoice_id = i.id)
         ON CONFLICT (invoice_id) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .execute(connection)
    .await?;
    Ok(u64::try_from(opened).unwrap_or(0))
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    invoice_id: Uuid,
}

/// Due collections of invoices still finalized whose customer still has a card, leased.
pub(super) async fn claim(
    connection: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u32,
) -> Result<Vec<Collection>, diesel::result::Error> {
    let claimed: Vec<Claimed> = diesel::sql_query(
        "WITH due AS (
             SELECT c.invoice_id FROM invoice_collections c
             JOIN billing_invoices i ON i.id = c.invoice_id
             JOIN payment_customers p
               ON p.organization_id = i.organization_id AND p.customer_id = i.customer_id
             WHERE c.next_attempt_at <= $1
               AND (c.locked_until IS NULL OR c.locked_until < $1)
               AND i.status = 'finalized'
               AND p.auto_collect AND p.default_payment_method IS NOT NULL
             ORDER BY c.next_attempt_at
             LIMIT $3
             FOR UPDATE OF c SKIP LOCKED)
         UPDATE invoice_collections c
         SET locked_until = $1 + make_interval(secs => $2), updated_at = now()
         FROM due WHERE c.invoice_id = due.invoice_id
         RETURNING c.invoice_id",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Double, _>(lease.as_secs_f64())
    .bind::<BigInt, _>(i64::from(limit))
    .load(connection)
    .await?;
    let ids: Vec<Uuid> = claimed.into_iter().map(|row| row.invoice_id).collect();
    collections(connection, &ids).await
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    locked_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    collectable: bool,
}

/// See `PaymentLedger::claim_invoice`: the collection row locked, its state read, leased.
pub(super) async fn claim_invoice(
    connection: &mut AsyncPgConnection,
    organization: Uuid,
    invoice: Uuid,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<InvoiceClaim, diesel::result::Error> {
    let held: Vec<Held> = diesel::sql_query(
        "SELECT c.locked_until, c.status,
                (i.status = 'finalized' AND p.auto_collect IS NOT NULL
                 AND p.default_payment_method IS NOT NULL) AS collectable
         FROM invoice_collections c
         JOIN billing_invoices i ON i.id = c.invoice_id
         LEFT JOIN payment_customers p
           ON p.organization_id = i.organization_id AND p.customer_id = i.customer_id
         WHERE c.organization_id = $1 AND c.invoice_id = $2
         FOR UPDATE OF c",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(invoice)
    .load(connection)
    .await?;
    let Some(held) = held.into_iter().next() else {
        return Ok(InvoiceClaim::NotCollectable);
    };
    if !held.collectable {
        return Ok(InvoiceClaim::NotCollectable);
    }
    if held.locked_until.is_some_and(|until| until > now)
        || matches!(held.status.as_str(), "pending" | "requires_action")
    {
        return Ok(InvoiceClaim::Busy);
    }
    if !matches!(held.status.as_str(), "none" | "failed" | "uncollectible") {
        return Ok(InvoiceClaim::NotCollectable);
    }
    diesel::sql_query(
        "UPDATE invoice_collections
         SET next_attempt_at = $2, locked_until = $2 + make_interval(secs => $3), updated_at = now()
         WHERE invoice_id = $1",
    )
    .bind::<SqlUuid, _>(invoice)
    .bind::<Timestamptz, _>(now)
    .bind::<Double, _>(lease.as_secs_f64())
    .execute(connection)
    .await?;
    let collection = collections(connection, &[invoice])
        .await?
        .into_iter()
        .next();
    Ok(
        collection.map_or(InvoiceClaim::NotCollectable, |collection| {
            InvoiceClaim::Claimed(Box::new(collection))
        }),
    )
}

pub(super) async fn collections(
    connection: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<Collection>, diesel::result::Error> {
    let rows: Vec<CollectionRow> = diesel::sql_query(format!(
        "{COLLECTION_SELECT} WHERE c.invoice_id = ANY($1) ORDER BY c.next_attempt_at"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(connection)
    .await?;
    rows.into_iter().map(Collection::try_from).collect()
}

/// See `PaymentLedger::begin_attempt`.
pub(super) async fn begin_attempt(
    connection: &mut AsyncPgConnection,
    collection: &Collection,
    kind: AttemptKind,
    at: DateTime<Utc>,
) -> Result<AttemptRecord, diesel::result::Error> {
    let latest: Vec<AttemptRow> = diesel::sql_query(format!(
        "SELECT {ATTEMPT_COLUMNS} FROM payments WHERE invoice_id = $1
         ORDER BY attempt DESC LIMIT 1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(collection.invoice)
    .load(connection)
    .await?;
    let latest = latest
        .into_iter()
        .next()
        .map(AttemptRecord::try_from)
        .transpose()?;
    if let Some(unanswered) = latest.as_ref().filter(|a| {
        a.status == tollgate_domain::payment::AttemptStatus::Pending && a.provider_payment.is_none()
    }) {
        // A call whose answer was never recorded: asked again under the same key.
        return Ok(unanswered.clone());
    }
    let number = latest.map_or(1, |attempt| attempt.attempt.saturating_add(1));
    let key = IdempotencyKey::charge(&collection.invoice.to_string(), number).map_err(broken)?;
    let row: AttemptRow = diesel::sql_query(format!(
        "INSERT INTO payments (id, organization_id, invoice_id, attempt, kind, idempotency_key,
             amount, currency, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, 'pending', $9, $9)
         RETURNING {ATTEMPT_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(collection.organization.as_uuid())
    .bind::<SqlUuid, _>(collection.invoice)
    .bind::<BigInt, _>(i64::from(number))
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(key.as_str())
    .bind::<Text, _>(collection.amount_due.to_string())
    .bind::<Text, _>(collection.currency.as_str())
    .bind::<Timestamptz, _>(at)
    .get_result(connection)
    .await?;
    diesel::sql_query(
        "UPDATE invoice_collections SET attempts_made = $2,
             first_attempt_at = coalesce(first_attempt_at, $3), updated_at = now()
         WHERE invoice_id = $1",
    )
    .bind::<SqlUuid, _>(collection.invoice)
    .bind::<BigInt, _>(i64::from(number))
    .bind::<Timestamptz, _>(at)
    .execute(connection)
    .await?;
    AttemptRecord::try_from(row)
}

/// Gives a claimed collection back, due again at `retry_at`.
pub(super) async fn release(
    connection: &mut AsyncPgConnection,
    organization: Uuid,
    invoice: Uuid,
    retry_at: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "UPDATE invoice_collections SET next_attempt_at = $3, locked_until = NULL,
             updated_at = now()
         WHERE organization_id = $1 AND invoice_id = $2",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(invoice)
    .bind::<Timestamptz, _>(retry_at)
    .execute(connection)
    .await?;
    Ok(())
}

//! Writing a batch's results: numbers (per organization, one counter update each), invoices
//! and lines (two statements), the credit notes of terminations' unused days (numbered from
//! their own series, two statements), advanced cursors and renewals (one statement each), and
//! an audit record per invoice, credit note and renewal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Nullable, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    ports::{AuditContext, AuditEntry, CloseRequest},
    services::billing::period_close::rules::Renewal,
};
use tollgate_domain::{
    billing::{
        BillingPeriod, CreditNote, CreditReason, Credited, Currency, Invoice, InvoiceLine,
        InvoiceStatus, Settlement,
    },
    usage::CustomerId,
};
use uuid::Uuid;

use super::{
    super::{
        audit::append_in,
        credit_notes::{self, NewCreditNote},
        invoices::{NewInvoice, allocate_numbers, emit_finalized, insert_invoices, invariant},
    },
    claim::Candidate,
};

/// A terminated subscription's unused days of its fee paid in advance, to credit by a credit
/// note against the invoice that billed the fee.
pub(super) struct Unused {
    pub line: InvoiceLine,
    pub customer: CustomerId,
    pub currency: Currency,
    /// The fee was billed by the opening invoice of this same batch (not yet stored when the
    /// subscription was claimed).
    pub from_opening: bool,
}

/// What the rules made of one claimed subscription.
pub(super) struct Closed<'a> {
    pub candidate: &'a Candidate,
    /// With the invoice's period.
    pub opening: Option<(Invoice, BillingPeriod)>,
    pub closing: Option<(Invoice, BillingPeriod)>,
    pub unused: Option<Unused>,
    /// The new `invoiced_through` when a period was closed.
    pub through: Option<DateTime<Utc>>,
    pub renewal: Option<Renewal>,
}

#[derive(Default)]
pub(super) struct Written {
    pub periods: u32,
    pub invoices: u32,
    pub renewals: u32,
}

struct Made<'a> {
    candidate: &'a Candidate,
    id: Uuid,
    kind: &'static str,
    period: BillingPeriod,
    sequence: Option<i64>,
    invoice: Invoice,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) async fn write(
    connection: &mut AsyncPgConnection,
    request: &CloseRequest,
    closed: Vec<Closed<'_>>,
) -> Result<Written, diesel::result::Error> {
    let mut made = Vec::new();
    let mut cursors: (Vec<Uuid>, Vec<DateTime<Utc>>) = (Vec::new(), Vec::new());
    let mut renewals = Vec::new();
    let mut unused = Vec::new();
    for item in closed {
        if let Some(days) = item.unused {
            unused.push((item.candidate, days));
        }
        for (kind, invoice) in [("opening", item.opening), ("closing", item.closing)] {
            if let Some((invoice, period)) = invoice {
                made.push(Made {
                    candidate: item.candidate,
                    id: Uuid::now_v7(),
                    kind,
                    period,
                    sequence: None,
                    invoice,
                });
            }
        }
        if let Some(through) = item.through {
            cursors.0.push(item.candidate.id);
            cursors.1.push(through);
        }
        if let Some(renewal) = item.renewal {
            renewals.push((item.candidate, renewal));
        }
    }
    if request.auto_finalize {
        finalize_all(connection, request.at, &mut made).await?;
    }
    let new: Vec<NewInvoice<'_>> = made
        .iter()
        .map(|m| NewInvoice {
            id: m.id,
            organization: m.candidate.organization(),
            customer_id: m.candidate.customer_id,
            subscription_id: Some(m.candidate.id),
            kind: m.kind,
            period: m.period,
            issued_at: request.at,
            sequence: m.sequence,
            invoice: &m.invoice,
        })
        .collect();
    insert_invoices(connection, &new).await?;
    let finalized: Vec<Uuid> = made
        .iter()
        .filter(|m| m.invoice.status() == InvoiceStatus::Finalized)
        .map(|m| m.id)
        .collect();
    emit_finalized(connection, &finalized).await?;
    let notes = credit_notes(request, &made, unused)?;
    let issued: Vec<NewCreditNote<'_>> = notes
        .iter()
        .map(|(candidate, invoice_id, note, id)| NewCreditNote {
            id: *id,
            organization: candidate.organization(),
            invoice_id: *invoice_id,
            note,
        })
        .collect();
    if !issued.is_empty() {
        credit_notes::issue(connection, &issued).await?;
    }
    if !cursors.0.is_empty() {
        diesel::sql_query(
            "UPDATE billing_subscriptions s SET invoiced_through = t.through, updated_at = now()
             FROM UNNEST($1::uuid[], $2::timestamptz[]) AS t(id, through)
             WHERE s.id = t.id AND s.invoiced_through < t.through",
        )
        .bind::<Array<SqlUuid>, _>(&cursors.0)
        .bind::<Array<Timestamptz>, _>(&cursors.1)
        .execute(&mut *connection)
        .await?;
    }
    renew(connection, &renewals).await?;
    audit(connection, request, &made, &renewals).await?;
    let context = AuditContext {
        actor: "system:period-close".to_owned(),
        ..AuditContext::default()
    };
    for (candidate, _, _, id) in &notes {
        let target = Some(format!("credit_note:{id}"));
        let entry = AuditEntry::success(&context, "credit_note.issue", target);
        append_in(connection, candidate.organization(), &entry).await?;
    }
    Ok(Written {
        periods: count(cursors.0.len()),
        invoices: count(made.len()),
        renewals: count(renewals.len()),
    })
}

/// The credit notes of `unused` days, each against the invoice that billed its fee: a stored
/// one (read with the claim) or the opening invoice `made` in this batch; with its id.
fn credit_notes<'a>(
    request: &CloseRequest,
    made: &[Made<'a>],
    unused: Vec<(&'a Candidate, Unused)>,
) -> Result<Vec<(&'a Candidate, Uuid, CreditNote, Uuid)>, diesel::result::Error> {
    let broken = |e: &dyn std::fmt::Display| invariant(e.to_string());
    unused
        .into_iter()
        .map(|(candidate, days)| {
            let target = if days.from_opening {
                made.iter()
                    .find(|m| m.candidate.id == candidate.id && m.kind == "opening")
                    .and_then(|m| {
                        let credited = Credited {
                            invoice_number: m.invoice.number()?.clone(),
                            customer: days.customer.clone(),
                            currency: days.currency,
                            tax_rate: m.invoice.tax_rate(),
                            settlement: Settlement::CancelsBalance,
                        };
                        Some((m.id, credited))
                    })
            } else {
                candidate
                    .credited(days.customer.clone(), days.currency)
                    .map_err(|e| broken(&e))?
            };
            // The rules give unused days only for an invoice that can be credited.
            let (invoice_id, credited) = target.ok_or_else(|| {
                invariant(format!(
                    "subscription {}: unused days without an invoice to credit",
                    candidate.id
                ))
            })?;
            let note = CreditNote::for_lines(
                credited,
                CreditReason::UnusedTime,
                vec![days.line],
                request.at,
            )
            .map_err(|e| broken(&e))?;
            Ok((candidate, invoice_id, note, Uuid::now_v7()))
        })
        .collect()
}

/// Numbers every invoice, one counter update per organization.
async fn finalize_all(
    connection: &mut AsyncPgConnection,
    at: DateTime<Utc>,
    made: &mut [Made<'_>],
) -> Result<(), diesel::result::Error> {
    let mut by_organization: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    for (index, m) in made.iter().enumerate() {
        by_organization
            .entry(m.candidate.organization_id)
            .or_default()
            .push(index);
    }
    for indexes in by_organization.values() {
        let Some(&first) = <[usize]>::first(indexes) else {
            continue;
        };
        let organization = made[first].candidate.organization();
        let numbers = allocate_numbers(connection, organization, indexes.len()).await?;
        for (index, (number, sequence)) in indexes.iter().zip(numbers) {
            let m = &mut made[*index];
            let terms = m.candidate.net_terms();
            m.invoice
                .finalize_on_terms(number, at, terms)
                .map_err(|e| invariant(e.to_string()))?;
            m.sequence = Some(sequence);
        }
    }
    Ok(())
}

/// Ends each renewed phase at the renewal and starts the one on the latest version.
async fn renew(
    connection: &mut AsyncPgConnection,
    renewals: &[(&Candidate, Renewal)],
) -> Result<(), diesel::result::Error> {
    if renewals.is_empty() {
        return Ok(());
    }
    let subscriptions: Vec<Uuid> = renewals.iter().map(|(c, _)| c.id).collect();
    let organizations: Vec<Uuid> = renewals.iter().map(|(c, _)| c.organization_id).collect();
    let at: Vec<DateTime<Utc>> = renewals.iter().map(|(_, r)| r.at).collect();
    let ends: Vec<Option<DateTime<Utc>>> = renewals.iter().map(|(_, r)| r.ends_at).collect();
    let plans: Vec<Uuid> = renewals.iter().map(|(_, r)| r.plan_id).collect();
    let versions: Vec<i32> = renewals.iter().map(|(_, r)| r.version).collect();
    diesel::sql_query(
        "UPDATE billing_subscription_phases p SET ends_at = t.at
         FROM UNNEST($1::uuid[], $2::timestamptz[]) AS t(subscription, at)
         WHERE p.subscription_id = t.subscription AND p.starts_at < t.at
           AND (p.ends_at IS NULL OR p.ends_at > t.at)",
    )
    .bind::<Array<SqlUuid>, _>(&subscriptions)
    .bind::<Array<Timestamptz>, _>(&at)
    .execute(&mut *connection)
    .await?;
    diesel::sql_query(
        "INSERT INTO billing_subscription_phases (subscription_id, organization_id, starts_at,
            ends_at, plan_id, plan_version, reason)
         SELECT subscription, org, at, ends, plan, version, 'renewal'
         FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::uuid[],
                     $6::int[]) AS t(subscription, org, at, ends, plan, version)",
    )
    .bind::<Array<SqlUuid>, _>(&subscriptions)
    .bind::<Array<SqlUuid>, _>(&organizations)
    .bind::<Array<Timestamptz>, _>(&at)
    .bind::<Array<Nullable<Timestamptz>>, _>(&ends)
    .bind::<Array<SqlUuid>, _>(&plans)
    .bind::<Array<Integer>, _>(&versions)
    .execute(connection)
    .await?;
    Ok(())
}

async fn audit(
    connection: &mut AsyncPgConnection,
    request: &CloseRequest,
    made: &[Made<'_>],
    renewals: &[(&Candidate, Renewal)],
) -> Result<(), diesel::result::Error> {
    let context = AuditContext {
        actor: "system:period-close".to_owned(),
        ..AuditContext::default()
    };
    let action = if request.auto_finalize {
        "invoice.finalize"
    } else {
        "invoice.create"
    };
    for m in made {
        let entry = AuditEntry::success(&context, action, Some(format!("invoice:{}", m.id)));
        append_in(connection, m.candidate.organization(), &entry).await?;
    }
    for (candidate, _) in renewals {
        let target = Some(format!("subscription:{}", candidate.id));
        let entry = AuditEntry::success(&context, "subscription.renew", target);
        append_in(connection, candidate.organization(), &entry).await?;
    }
    Ok(())
}

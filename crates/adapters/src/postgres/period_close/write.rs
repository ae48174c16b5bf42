//! Writing a batch's results: numbers (per organization, one counter update each), invoices
//! and lines (two statements), advanced cursors and renewals (one statement each), and an
//! audit record per invoice and renewal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Integer, Nullable, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    ports::{AuditContext, AuditEntry, CloseRequest},
    services::billing::period_close::rules::Renewal,
};
use tollgate_domain::billing::{BillingPeriod, Invoice};
use uuid::Uuid;

use super::{
    super::{
        audit::append_in,
        invoices::{NewInvoice, allocate_numbers, insert_invoices, invariant},
    },
    claim::Candidate,
};

/// What the rules made of one claimed subscription.
pub(super) struct Closed<'a> {
    pub candidate: &'a Candidate,
    /// With the invoice's period.
    pub opening: Option<(Invoice, BillingPeriod)>,
    pub closing: Option<(Invoice, BillingPeriod)>,
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
    for item in closed {
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
    Ok(Written {
        periods: count(cursors.0.len()),
        invoices: count(made.len()),
        renewals: count(renewals.len()),
    })
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

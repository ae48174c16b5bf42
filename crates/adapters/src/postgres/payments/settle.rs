//! Outcomes applied in one transaction each: the attempt, its collection, the invoice paid by
//! card, the customer's standing, and the provider event that brought it. Every status moves
//! only forward, by the domain's rules, on rows locked for the change.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::ports::{
    AttemptSettlement, AuditContext, AuditEntry, CardChange, ProviderEventId, SettlementOutcome,
};
use tollgate_domain::{
    outbound_webhook::EventType,
    payment::{AttemptStatus, DeclineDetails, InvoicePaymentStatus, Transition},
};
use uuid::Uuid;

use super::rows::broken;
use crate::postgres::{audit::append_in, invoices::pay_by_card_in, outbound_webhooks::enqueue_in};

/// The only provider so far; the tables name it so that another can join.
pub(super) const PROVIDER: &str = "stripe";

/// Records `event` once: `false` when its id was recorded already.
pub(super) async fn record_event(
    connection: &mut AsyncPgConnection,
    event: &ProviderEventId,
) -> Result<bool, diesel::result::Error> {
    let inserted = diesel::sql_query(
        "INSERT INTO payment_provider_events (provider, event_id, event_type)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(PROVIDER)
    .bind::<Text, _>(&event.id)
    .bind::<Text, _>(&event.event_type)
    .execute(connection)
    .await?;
    Ok(inserted == 1)
}

#[derive(QueryableByName)]
struct Current {
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct CustomerOf {
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
}

pub(super) async fn settle(
    connection: &mut AsyncPgConnection,
    settlement: &AttemptSettlement,
    event: Option<&ProviderEventId>,
) -> Result<SettlementOutcome, diesel::result::Error> {
    if let Some(event) = event
        && !record_event(connection, event).await?
    {
        // Another delivery of the same event got there first.
        return Ok(SettlementOutcome::Unchanged);
    }
    let organization = settlement.organization.as_uuid();
    let current: Vec<Current> = diesel::sql_query(
        "SELECT status FROM payments
         WHERE organization_id = $1 AND invoice_id = $2 AND attempt = $3 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(settlement.invoice)
    .bind::<diesel::sql_types::BigInt, _>(i64::from(settlement.attempt))
    .load(connection)
    .await?;
    let Some(current) = current.into_iter().next() else {
        return Ok(SettlementOutcome::NotFound);
    };
    let current = AttemptStatus::from_str(&current.status).map_err(broken)?;
    let Transition::Changed(status) = current.advance(settlement.status) else {
        return Ok(SettlementOutcome::Unchanged);
    };
    let decline = settlement.decline.as_ref();
    diesel::sql_query(
        "UPDATE payments SET status = $4, provider_payment = coalesce($5, provider_payment),
             failure_code = $6, decline_code = $7, advice_code = $8, failure_message = $9,
             updated_at = now()
         WHERE organization_id = $1 AND invoice_id = $2 AND attempt = $3",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(settlement.invoice)
    .bind::<diesel::sql_types::BigInt, _>(i64::from(settlement.attempt))
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<Text>, _>(settlement.provider_payment.as_deref())
    .bind::<Nullable<Text>, _>(decline.and_then(|d| d.code()))
    .bind::<Nullable<Text>, _>(decline.and_then(|d| d.decline_code()))
    .bind::<Nullable<Text>, _>(decline.and_then(|d| d.advice_code()))
    .bind::<Nullable<Text>, _>(decline.and_then(DeclineDetails::message))
    .execute(connection)
    .await?;
    settle_collection(connection, settlement).await?;
    Ok(SettlementOutcome::Applied)
}

/// The collection's payment status after the attempt, and what follows from it.
async fn settle_collection(
    connection: &mut AsyncPgConnection,
    settlement: &AttemptSettlement,
) -> Result<(), diesel::result::Error> {
    let organization = settlement.organization.as_uuid();
    let current: Current = diesel::sql_query(
        "SELECT status FROM invoice_collections
         WHERE organization_id = $1 AND invoice_id = $2 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(settlement.invoice)
    .get_result(connection)
    .await?;
    let current = InvoicePaymentStatus::from_str(&current.status).map_err(broken)?;
    let Transition::Changed(status) = current.advance(settlement.invoice_status) else {
        // The invoice is past what this attempt says (paid by another): only the lease goes.
        diesel::sql_query(
            "UPDATE invoice_collections SET locked_until = NULL, updated_at = now()
             WHERE organization_id = $1 AND invoice_id = $2",
        )
        .bind::<SqlUuid, _>(organization)
        .bind::<SqlUuid, _>(settlement.invoice)
        .execute(connection)
        .await?;
        return Ok(());
    };
    diesel::sql_query(
        "UPDATE invoice_collections SET status = $3, next_attempt_at = $4, locked_until = NULL,
             updated_at = now()
         WHERE organization_id = $1 AND invoice_id = $2",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(settlement.invoice)
    .bind::<Text, _>(status.as_str())
    .bind::<Nullable<Timestamptz>, _>(settlement.next_attempt_at)
    .execute(connection)
    .await?;
    let customer: CustomerOf = diesel::sql_query(
        "SELECT customer_id FROM billing_invoices WHERE organization_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(settlement.invoice)
    .get_result(connection)
    .await?;
    if status == InvoicePaymentStatus::Succeeded {
        let reference = settlement.provider_payment.as_deref().unwrap_or("card");
        let paid = pay_by_card_in(
            connection,
            settlement.organization,
            settlement.invoice,
            settlement.at,
            reference,
        )
        .await?;
        if paid {
            let audit = AuditEntry::success(
                &AuditContext {
                    actor: format!("system:{PROVIDER}"),
                    ..AuditContext::default()
                },
                "invoice.paid",
                Some(format!("invoice:{}", settlement.invoice)),
            );
            append_in(connection, settlement.organization, &audit).await?;
        }
    }
    let events = events_of(status);
    if !events.is_empty() {
        let data = payment_data(connection, settlement, status).await?;
        for &event in events {
            enqueue_in(
                connection,
                settlement.organization,
                event,
                settlement.at,
                data.clone(),
            )
            .await?;
        }
    }
    if status == InvoicePaymentStatus::Succeeded || settlement.delinquent {
        diesel::sql_query(
            "UPDATE payment_customers SET delinquent = $3, updated_at = now()
             WHERE organization_id = $1 AND customer_id = $2",
        )
        .bind::<SqlUuid, _>(organization)
        .bind::<SqlUuid, _>(customer.customer_id)
        .bind::<diesel::sql_types::Bool, _>(settlement.delinquent)
        .execute(connection)
        .await?;
    }
    Ok(())
}

/// What operators are told of an invoice's new payment status (`invoice.paid` is the invoice
/// book's, sent when the invoice is marked paid).
fn events_of(status: InvoicePaymentStatus) -> &'static [EventType] {
    match status {
        InvoicePaymentStatus::Succeeded => &[EventType::PaymentSucceeded],
        InvoicePaymentStatus::Failed => {
            &[EventType::PaymentFailed, EventType::InvoicePaymentFailed]
        }
        InvoicePaymentStatus::Uncollectible => {
            &[EventType::PaymentFailed, EventType::InvoicePaymentExhausted]
        }
        InvoicePaymentStatus::RequiresAction => &[EventType::InvoicePaymentActionRequired],
        _ => &[],
    }
}

#[derive(QueryableByName)]
struct Amount {
    #[diesel(sql_type = Text)]
    amount: String,
    #[diesel(sql_type = Text)]
    currency: String,
}

/// The attempt as an event's `data`: never the card, only the provider's payment id and why
/// it failed.
async fn payment_data(
    connection: &mut AsyncPgConnection,
    settlement: &AttemptSettlement,
    status: InvoicePaymentStatus,
) -> Result<serde_json::Value, diesel::result::Error> {
    let amount: Amount = diesel::sql_query(
        "SELECT amount::text AS amount, currency FROM payments
         WHERE organization_id = $1 AND invoice_id = $2 AND attempt = $3",
    )
    .bind::<SqlUuid, _>(settlement.organization.as_uuid())
    .bind::<SqlUuid, _>(settlement.invoice)
    .bind::<diesel::sql_types::BigInt, _>(i64::from(settlement.attempt))
    .get_result(connection)
    .await?;
    let decline = settlement.decline.as_ref();
    Ok(serde_json::json!({
        "invoice_id": settlement.invoice,
        "attempt": settlement.attempt,
        "status": settlement.status.as_str(),
        "invoice_payment_status": status.as_str(),
        "amount": amount.amount,
        "currency": amount.currency,
        "provider_payment": settlement.provider_payment,
        "failure_code": decline.and_then(|d| d.code()),
        "decline_code": decline.and_then(|d| d.decline_code()),
        "next_attempt_at": settlement.next_attempt_at,
    }))
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
}

/// See `PaymentLedger::set_default_card`.
pub(super) async fn set_default_card(
    connection: &mut AsyncPgConnection,
    organization: Uuid,
    customer: Uuid,
    payment_method: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "UPDATE payment_customers SET default_payment_method = $3, updated_at = now()
         WHERE organization_id = $1 AND customer_id = $2",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<Text>, _>(payment_method)
    .execute(&mut *connection)
    .await?;
    if payment_method.is_some() {
        retry_failed_now(connection, organization, customer, at).await?;
    }
    Ok(())
}

/// A new card is worth trying at once on what failed with the old one.
async fn retry_failed_now(
    connection: &mut AsyncPgConnection,
    organization: Uuid,
    customer: Uuid,
    at: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    diesel::sql_query(
        "UPDATE invoice_collections c SET next_attempt_at = $3, updated_at = now()
         FROM billing_invoices i
         WHERE c.invoice_id = i.id AND i.organization_id = $1 AND i.customer_id = $2
           AND i.status = 'finalized' AND c.status IN ('none', 'failed')",
    )
    .bind::<SqlUuid, _>(organization)
    .bind::<SqlUuid, _>(customer)
    .bind::<Timestamptz, _>(at)
    .execute(connection)
    .await?;
    Ok(())
}

/// See `PaymentLedger::change_card`.
pub(super) async fn change_card(
    connection: &mut AsyncPgConnection,
    change: &CardChange,
    event: &ProviderEventId,
    at: DateTime<Utc>,
) -> Result<bool, diesel::result::Error> {
    if !record_event(connection, event).await? {
        return Ok(true);
    }
    let owners: Vec<Owner> = match change {
        CardChange::Saved {
            provider_customer,
            payment_method,
        } => {
            diesel::sql_query(
                "UPDATE payment_customers SET default_payment_method = $3, updated_at = now()
                 WHERE provider = $1 AND provider_customer_id = $2
                 RETURNING organization_id, customer_id",
            )
            .bind::<Text, _>(PROVIDER)
            .bind::<Text, _>(provider_customer)
            .bind::<Text, _>(payment_method)
            .load(connection)
            .await?
        }
        CardChange::Removed {
            provider_customer,
            payment_method,
        } => {
            diesel::sql_query(
                "UPDATE payment_customers SET default_payment_method = NULL, updated_at = now()
                 WHERE provider = $1 AND provider_customer_id = $2
                   AND default_payment_method = $3
                 RETURNING organization_id, customer_id",
            )
            .bind::<Text, _>(PROVIDER)
            .bind::<Text, _>(provider_customer)
            .bind::<Text, _>(payment_method)
            .load(connection)
            .await?
        }
    };
    let Some(owner) = owners.into_iter().next() else {
        return Ok(false);
    };
    if matches!(change, CardChange::Saved { .. }) {
        retry_failed_now(connection, owner.organization_id, owner.customer_id, at).await?;
    }
    Ok(true)
}

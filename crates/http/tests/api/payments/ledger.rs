//! The payment ledger on PostgreSQL: collections opened for finalized invoices of customers
//! with a card, claimed once under a lease, attempts begun once per outcome (the same key for
//! an unanswered one), outcomes applied forward only with the invoice paid by card, and
//! provider events counted once.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tollgate_adapters::postgres::PgPaymentLedger;
use tollgate_application::ports::{
    AttemptFilter, AttemptKind, AttemptSettlement, CardChange, PaymentCustomer, PaymentLedger,
    ProviderEventId, SettlementOutcome,
};
use tollgate_domain::{
    organization::OrganizationId,
    payment::{AttemptStatus, InvoicePaymentStatus},
};

use super::{finalized_invoices, uuid_of};
use crate::{helpers::TestApp, identity::support::pool};

async fn customer(app: &TestApp, external: &str, card: Option<&str>) -> PaymentCustomer {
    let organization = OrganizationId::from_uuid(
        uuid_of(
            app,
            "SELECT id::text AS value FROM organizations WHERE slug = 'default'",
        )
        .await,
    );
    let id = uuid_of(
        app,
        &format!(
            "SELECT id::text AS value FROM billing_customers WHERE external_id = '{external}'"
        ),
    )
    .await;
    PaymentCustomer {
        organization,
        customer: id,
        provider_customer: format!("cus_{external}"),
        default_payment_method: card.map(str::to_owned),
        auto_collect: true,
        delinquent: false,
    }
}

fn event(id: &str) -> ProviderEventId {
    ProviderEventId {
        id: id.into(),
        event_type: "payment_intent.succeeded".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalized_invoice_is_collected_once_and_paid_by_card() {
    let (app, invoices) = finalized_invoices(&["cust_a", "cust_b"]).await;
    let ledger = PgPaymentLedger::new(pool(&app));
    let card = customer(&app, "cust_a", Some("pm_card_visa")).await;
    let saved = ledger.save_payment_customer(&card).await.expect("saved");
    assert_eq!(saved, card);
    // Saved again with another card: the first record stands.
    let again = PaymentCustomer {
        default_payment_method: Some("pm_other".into()),
        ..card.clone()
    };
    assert_eq!(
        ledger.save_payment_customer(&again).await.expect("saved"),
        card
    );
    ledger
        .save_payment_customer(&customer(&app, "cust_b", None).await)
        .await
        .expect("saved");

    let now = Utc::now();
    // Only cust_a has a card; opening twice opens nothing more.
    assert_eq!(ledger.open_collections(now).await.expect("opened"), 1);
    assert_eq!(ledger.open_collections(now).await.expect("opened"), 0);
    let lease = Duration::from_secs(60);
    let claimed = ledger.claim_due(now, lease, 10).await.expect("claimed");
    let [collection] = claimed.as_slice() else {
        panic!("one collection: {claimed:?}");
    };
    assert_eq!(collection.invoice, invoices["cust_a"]);
    assert_eq!(collection.status, InvoicePaymentStatus::None);
    assert_eq!(collection.amount_due.to_string(), "32.00");
    assert_eq!(collection.customer, card);
    // Leased: a second worker finds nothing.
    assert!(
        ledger
            .claim_due(now, lease, 10)
            .await
            .expect("claimed")
            .is_empty()
    );

    let attempt = ledger
        .begin_attempt(collection, AttemptKind::OffSession, now)
        .await
        .expect("begun");
    assert_eq!(attempt.attempt, 1);
    assert_eq!(
        attempt.idempotency_key,
        format!("pi:{}:1", collection.invoice)
    );
    // Unanswered (a crash before the answer was recorded): the same attempt, the same key.
    let retried = ledger
        .begin_attempt(collection, AttemptKind::OffSession, now)
        .await
        .expect("begun");
    assert_eq!(retried, attempt);

    let paid = AttemptSettlement {
        organization: card.organization,
        invoice: collection.invoice,
        attempt: 1,
        provider_payment: Some("pi_123".into()),
        status: AttemptStatus::Succeeded,
        decline: None,
        invoice_status: InvoicePaymentStatus::Succeeded,
        next_attempt_at: None,
        delinquent: false,
        at: now,
    };
    let outcome = ledger
        .settle(&paid, Some(event("evt_1")))
        .await
        .expect("settled");
    assert_eq!(outcome, SettlementOutcome::Applied);
    let paid_by_card = format!(
        "id = '{}' AND status = 'paid' AND payment_method = 'card' AND payment_reference = 'pi_123'",
        collection.invoice
    );
    assert_eq!(app.count_where("billing_invoices", &paid_by_card).await, 1);
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'invoice.paid' AND actor = 'system:stripe' AND target = 'invoice:{}'",
                collection.invoice
            )
        )
        .await,
        1
    );
    // The same event again, or a stale one: nothing changes.
    let again = ledger
        .settle(&paid, Some(event("evt_1")))
        .await
        .expect("settled");
    assert_eq!(again, SettlementOutcome::Unchanged);
    let stale = AttemptSettlement {
        status: AttemptStatus::Processing,
        invoice_status: InvoicePaymentStatus::Pending,
        ..paid.clone()
    };
    assert_eq!(
        ledger
            .settle(&stale, Some(event("evt_2")))
            .await
            .expect("settled"),
        SettlementOutcome::Unchanged
    );
    assert!(ledger.event_seen(&event("evt_2")).await.expect("read"));
    let listed = ledger
        .attempts(
            card.organization,
            AttemptFilter {
                invoice: Some(collection.invoice),
                status: None,
            },
            None,
            10,
        )
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, AttemptStatus::Succeeded);
    assert_eq!(listed[0].provider_payment.as_deref(), Some("pi_123"));
    // Paid: the collector never claims it again.
    let later = now + TimeDelta::hours(1);
    assert!(
        ledger
            .claim_due(later, lease, 10)
            .await
            .expect("claimed")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_collection_waits_and_a_new_card_makes_it_due_at_once() {
    let (app, invoices) = finalized_invoices(&["cust_a"]).await;
    let ledger = PgPaymentLedger::new(pool(&app));
    let card = customer(&app, "cust_a", Some("pm_card_chargeDeclined")).await;
    ledger.save_payment_customer(&card).await.expect("saved");
    let now = Utc::now();
    ledger.open_collections(now).await.expect("opened");
    let lease = Duration::from_secs(60);
    let collection = ledger
        .claim_due(now, lease, 1)
        .await
        .expect("claimed")
        .remove(0);
    ledger
        .begin_attempt(&collection, AttemptKind::OffSession, now)
        .await
        .expect("begun");
    let tomorrow = now + TimeDelta::days(1);
    let declined = AttemptSettlement {
        organization: card.organization,
        invoice: invoices["cust_a"],
        attempt: 1,
        provider_payment: Some("pi_declined".into()),
        status: AttemptStatus::Failed,
        decline: Some(tollgate_domain::payment::DeclineDetails::new(
            Some("card_declined"),
            Some("insufficient_funds"),
            None,
            Some("Your card has insufficient funds."),
        )),
        invoice_status: InvoicePaymentStatus::Failed,
        next_attempt_at: Some(tomorrow),
        delinquent: false,
        at: now,
    };
    assert_eq!(
        ledger.settle(&declined, None).await.expect("settled"),
        SettlementOutcome::Applied
    );
    let failed = ledger
        .find_attempt(
            &tollgate_application::ports::AttemptReference::ProviderPayment("pi_declined".into()),
        )
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        failed.decline.as_ref().and_then(|d| d.decline_code()),
        Some("insufficient_funds")
    );
    // Not due before tomorrow.
    let soon = now + TimeDelta::minutes(5);
    assert!(
        ledger
            .claim_due(soon, lease, 1)
            .await
            .expect("claimed")
            .is_empty()
    );

    // A new card: due at once, and the next attempt is the second.
    let saved = CardChange::Saved {
        provider_customer: card.provider_customer.clone(),
        payment_method: "pm_card_visa".into(),
    };
    assert!(
        ledger
            .change_card(&saved, &event("evt_card"), soon)
            .await
            .expect("changed")
    );
    let due = ledger.claim_due(soon, lease, 1).await.expect("claimed");
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].customer.default_payment_method.as_deref(),
        Some("pm_card_visa")
    );
    assert_eq!(due[0].status, InvoicePaymentStatus::Failed);
    let second = ledger
        .begin_attempt(&due[0], AttemptKind::OffSession, soon)
        .await
        .expect("begun");
    assert_eq!(second.attempt, 2);
    assert_eq!(
        second.idempotency_key,
        format!("pi:{}:2", invoices["cust_a"])
    );

    // Removing a card that is not the default changes nothing; removing the default stops
    // the collector until another is saved.
    let other = CardChange::Removed {
        provider_customer: card.provider_customer.clone(),
        payment_method: "pm_unknown".into(),
    };
    assert!(
        !ledger
            .change_card(&other, &event("evt_rm1"), soon)
            .await
            .expect("changed")
    );
    let removed = CardChange::Removed {
        provider_customer: card.provider_customer.clone(),
        payment_method: "pm_card_visa".into(),
    };
    assert!(
        ledger
            .change_card(&removed, &event("evt_rm2"), soon)
            .await
            .expect("changed")
    );
    let stored = ledger
        .payment_customer(card.organization, card.customer)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(stored.default_payment_method, None);
}

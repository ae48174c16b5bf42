//! A customer's card saved through Stripe's hosted page, its invoice charged by the collector,
//! and a declined card scheduled again by dunning: the real Stripe adapter against the
//! stand-in, the real ledger, Stripe's signed events through `/v1/webhooks/stripe`.

use std::sync::Arc;

use chrono::Utc;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_adapters::{
    postgres::PgPaymentLedger,
    stripe::{StripeConfig, StripeGateway},
};
use tollgate_application::{ports::SystemClock, services::payments::PaymentService};
use tollgate_domain::payment::DunningPolicy;

use super::{
    WEBHOOK_SECRET, finalized_invoices_on, stripe_app,
    stripe_stand_in::{AUTHENTICATION_REQUIRED, DECLINED, StripeStandIn, VISA, signed_delivery},
};
use crate::{
    billing::WRITE_KEY,
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, pool, send},
};

const SETTINGS_KEY: &str = "tg_live_payment-events-settings-key-0123456789abcd";

/// The collector as `tollgate worker` runs it, on the app's database and the stand-in.
pub(super) fn collector(app: &TestApp, stripe: &StripeStandIn) -> PaymentService {
    let url = url::Url::parse(&stripe.uri()).expect("the stand-in's URL");
    let config = StripeConfig::new(url, SecretString::from(super::stripe_stand_in::SECRET_KEY));
    PaymentService::new(
        Arc::new(PgPaymentLedger::new(pool(app))),
        Arc::new(StripeGateway::new(config).expect("a gateway")),
        Arc::new(SystemClock),
        DunningPolicy::default(),
    )
}

/// Posts `event` to `/v1/webhooks/stripe` signed with `secret`, as Stripe delivers it.
async fn deliver(app: &TestApp, event: &Value, secret: &str) -> reqwest::Response {
    let (body, signature) = signed_delivery(secret, event);
    reqwest::Client::new()
        .post(app.url("/v1/webhooks/stripe"))
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer")
}

fn card_saved(id: &str, customer: &str, card: &str) -> Value {
    json!({
        "id": id, "object": "event", "type": "setup_intent.succeeded", "livemode": false,
        "created": Utc::now().timestamp(), "api_version": "2026-10-28.endive",
        "data": {"object": {"id": format!("seti_{id}"), "object": "setup_intent",
            "customer": customer, "payment_method": card, "status": "succeeded",
            "usage": "off_session", "metadata": {}}}
    })
}

/// Saves `test_card` for the customer the way a customer does: the API's setup page, then
/// Stripe's signed `setup_intent.succeeded`. Answers the attached card's id.
pub(super) async fn save_card(
    app: &TestApp,
    stripe: &StripeStandIn,
    customer: &str,
    test_card: &str,
) -> String {
    let id = app
        .scalar_text(&format!(
            "SELECT id::text AS value FROM billing_customers WHERE external_id = '{customer}'"
        ))
        .await
        .expect("the customer");
    let setup = call(
        app,
        Method::POST,
        &format!("/api/billing/customers/{id}/payment-methods/setup-link"),
        WRITE_KEY,
    )
    .json(
        &json!({"success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"}),
    );
    let (_, link) = expect_status(send(setup).await, 201).await;
    assert!(
        link["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("http")),
        "{link}"
    );
    let provider_customer = app
        .scalar_text(&format!(
            "SELECT provider_customer_id AS value FROM payment_customers WHERE customer_id = '{id}'"
        ))
        .await
        .expect("the Stripe customer was stored");
    let card = stripe.attach(&provider_customer, test_card);
    let event = card_saved(&format!("evt_card_{customer}"), &provider_customer, &card);
    let answer = deliver(app, &event, WEBHOOK_SECRET).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["status"], "applied");

    let listed = call(
        app,
        Method::GET,
        &format!("/api/billing/customers/{id}/payment-methods"),
        WRITE_KEY,
    );
    let (_, cards) = expect_status(send(listed).await, 200).await;
    assert_eq!(cards["data"][0]["id"], card.as_str(), "{cards}");
    assert_eq!(cards["data"][0]["default"], true, "{cards}");
    card
}

async fn payments_of(app: &TestApp, invoice: &str) -> Vec<Value> {
    let listed = call(
        app,
        Method::GET,
        &format!("/api/billing/payments?invoice={invoice}"),
        WRITE_KEY,
    );
    let (_, page) = expect_status(send(listed).await, 200).await;
    page["data"].as_array().expect("a list").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_card_pays_its_invoice_and_a_declined_one_is_tried_again_later() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a", "cust_b", "cust_c"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    save_card(&app, &stripe, "cust_b", DECLINED).await;
    save_card(&app, &stripe, "cust_c", AUTHENTICATION_REQUIRED).await;
    // An operator's endpoint for every event (a public address literal: nothing resolves it,
    // and no delivery worker runs here).
    crate::billing::api_key(&app, "default", SETTINGS_KEY, "settings:write").await;
    let endpoint = call(&app, Method::POST, "/api/settings/webhooks", SETTINGS_KEY)
        .json(&json!({ "url": "https://93.184.216.34/hook" }));
    expect_status(send(endpoint).await, 201).await;

    let report = collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    let counts = (
        report.opened,
        report.succeeded,
        report.failed,
        report.waiting,
    );
    assert_eq!(counts, (3, 1, 1, 1), "{report:?}");

    let paid = invoices["cust_a"].to_string();
    let paid_by_card = format!("id = '{paid}' AND status = 'paid' AND payment_method = 'card'");
    assert_eq!(app.count_where("billing_invoices", &paid_by_card).await, 1);
    let attempts = payments_of(&app, &paid).await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["status"], "succeeded");
    assert_eq!(attempts[0]["amount"], "32.00");
    let intent = attempts[0]["provider_payment"]
        .as_str()
        .expect("a PaymentIntent")
        .to_owned();
    // One PaymentIntent, made under the attempt's key.
    let charges: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/payment_intents")
        .collect();
    assert_eq!(charges.len(), 3);
    assert!(
        charges
            .iter()
            .any(|seen| seen.idempotency_key.as_deref() == Some(&format!("pi:{paid}:1")))
    );

    // Stripe's own word of the same success afterwards changes nothing.
    let succeeded = json!({
        "id": "evt_pi_ok", "object": "event", "type": "payment_intent.succeeded",
        "livemode": false, "created": Utc::now().timestamp(),
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded",
            "amount": 3200, "currency": "usd",
            "metadata": {"tollgate_invoice_id": paid, "tollgate_attempt": "1"}}}
    });
    let answer = deliver(&app, &succeeded, WEBHOOK_SECRET).await;
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["status"], "unchanged");
    let again = deliver(&app, &succeeded, WEBHOOK_SECRET).await;
    let body: Value = again.json().await.expect("JSON");
    assert_eq!(body["status"], "duplicate");

    // The declined card: a failed attempt with the issuer's reason, tried again tomorrow.
    let declined = invoices["cust_b"].to_string();
    let attempts = payments_of(&app, &declined).await;
    assert_eq!(attempts[0]["status"], "failed", "{attempts:?}");
    assert_eq!(attempts[0]["failure_code"], "card_declined");
    let waiting = format!(
        "invoice_id = '{declined}' AND status = 'failed' AND next_attempt_at > now() + interval '23 hours'"
    );
    assert_eq!(app.count_where("invoice_collections", &waiting).await, 1);
    assert_eq!(
        app.count_where(
            "billing_invoices",
            &format!("id = '{declined}' AND status = 'finalized'")
        )
        .await,
        1
    );
    // The card that needs its holder waits for the customer (3-D Secure), not for dunning.
    let action = invoices["cust_c"].to_string();
    let attempts = payments_of(&app, &action).await;
    assert_eq!(attempts[0]["status"], "requires_action", "{attempts:?}");
    let waiting = format!("invoice_id = '{action}' AND status = 'requires_action'");
    assert_eq!(app.count_where("invoice_collections", &waiting).await, 1);

    // Each outcome reached the operator's endpoint as its events, queued with the change.
    let queued: Vec<String> = app
        .texts("SELECT event_type AS value FROM webhook_messages ORDER BY created_at, id")
        .await
        .into_iter()
        .flatten()
        .collect();
    for event in [
        "invoice.paid",
        "payment.succeeded",
        "payment.failed",
        "invoice.payment_failed",
        "invoice.payment_action_required",
    ] {
        assert!(
            queued.iter().any(|queued| queued == event),
            "{event}: {queued:?}"
        );
    }

    // Nothing is due now: a second pass charges nothing.
    let report = collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    assert_eq!(report.claimed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripes_webhook_refuses_a_bad_signature_and_nonsense_and_is_absent_without_stripe() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let event = card_saved("evt_forged", "cus_x", "pm_x");
    let forged = deliver(&app, &event, "whsec_not_the_secret").await;
    expect_error(forged, 401, "invalid_signature").await;
    assert_eq!(app.count_where("payment_provider_events", "true").await, 0);
    let unsigned = reqwest::Client::new()
        .post(app.url("/v1/webhooks/stripe"))
        .body("{}")
        .send()
        .await
        .expect("an answer");
    expect_error(unsigned, 401, "invalid_signature").await;
    let nonsense = deliver(&app, &json!({"hello": "world"}), WEBHOOK_SECRET).await;
    expect_error(nonsense, 400, "invalid_webhook").await;

    // An event about nothing Tollgate knows is counted once and acknowledged.
    let unknown = card_saved("evt_unknown", "cus_nobody", "pm_x");
    let answer = deliver(&app, &unknown, WEBHOOK_SECRET).await;
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["status"], "ignored");

    let plain = TestApp::spawn().await;
    let absent = reqwest::Client::new()
        .post(plain.url("/v1/webhooks/stripe"))
        .header("Stripe-Signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .expect("an answer");
    assert_eq!(absent.status(), 404);
    crate::billing::api_key(&plain, "default", WRITE_KEY, "billing:read,billing:write").await;
    let listed = call(&plain, Method::GET, "/api/billing/payments", WRITE_KEY);
    expect_error(send(listed).await, 503, "payments_not_configured").await;
}

async fn pay(app: &TestApp, invoice: &str) -> reqwest::Response {
    send(call(
        app,
        Method::POST,
        &format!("/api/billing/invoices/{invoice}/pay"),
        WRITE_KEY,
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_now_charges_the_card_on_file_once_and_refuses_what_cannot_be_paid() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a", "cust_b", "cust_c"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    save_card(&app, &stripe, "cust_c", DECLINED).await;

    let paid = invoices["cust_a"].to_string();
    let (_, attempt) = expect_status(pay(&app, &paid).await, 200).await;
    assert_eq!(attempt["status"], "succeeded", "{attempt}");
    assert_eq!(attempt["attempt"], 1);
    let paid_by_card = format!("id = '{paid}' AND status = 'paid' AND payment_method = 'card'");
    assert_eq!(app.count_where("billing_invoices", &paid_by_card).await, 1);
    // Paid: nothing more to pay, and no second charge.
    expect_error(pay(&app, &paid).await, 409, "invoice_not_payable").await;
    // No card on file.
    expect_error(
        pay(&app, &invoices["cust_b"].to_string()).await,
        409,
        "no_payment_method",
    )
    .await;
    // A declined card is a failed attempt, answered as such.
    let declined = invoices["cust_c"].to_string();
    let (_, attempt) = expect_status(pay(&app, &declined).await, 200).await;
    assert_eq!(attempt["status"], "failed", "{attempt}");
    assert_eq!(attempt["failure_code"], "card_declined");
    // Tried again at once by hand: the second attempt, under its own key.
    let (_, again) = expect_status(pay(&app, &declined).await, 200).await;
    assert_eq!(again["attempt"], 2, "{again}");
    let charges = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/payment_intents")
        .count();
    assert_eq!(charges, 3);
    expect_error(
        pay(&app, "0193c9a2-0e00-7000-8000-000000000042").await,
        404,
        "not_found",
    )
    .await;
}

/// The PaymentIntents the stand-in made (a replayed key makes none).
fn intents_made(stripe: &StripeStandIn) -> std::collections::BTreeSet<String> {
    stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/payment_intents" && seen.method == "POST")
        .filter_map(|seen| seen.idempotency_key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_at_once_charge_an_invoice_once() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    let (first, second) = (collector(&app, &stripe), collector(&app, &stripe));
    let (one, two) = tokio::join!(first.collect_due(10), second.collect_due(10));
    let (one, two) = (one.expect("a pass"), two.expect("a pass"));
    assert_eq!(one.succeeded + two.succeeded, 1, "{one:?} {two:?}");
    assert_eq!(one.claimed + two.claimed, 1, "{one:?} {two:?}");
    assert_eq!(
        payments_of(&app, &invoices["cust_a"].to_string())
            .await
            .len(),
        1
    );
    assert_eq!(intents_made(&stripe).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_killed_after_the_charge_asks_again_with_the_same_key() {
    use tollgate_application::ports::{AttemptKind, PaymentGateway, PaymentLedger};

    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    let invoice = invoices["cust_a"];
    // The first worker claimed with a short lease, began attempt 1 and charged; then it died
    // before recording the answer.
    let ledger = PgPaymentLedger::new(pool(&app));
    let now = Utc::now();
    ledger.open_collections(now).await.expect("opened");
    let claimed = ledger
        .claim_due(now, std::time::Duration::from_millis(1), 1)
        .await
        .expect("claimed");
    let attempt = ledger
        .begin_attempt(&claimed[0], AttemptKind::OffSession, now)
        .await
        .expect("begun");
    let collection = &claimed[0];
    let url = url::Url::parse(&stripe.uri()).expect("a URL");
    let gateway = StripeGateway::new(StripeConfig::new(
        url,
        SecretString::from(super::stripe_stand_in::SECRET_KEY),
    ))
    .expect("a gateway");
    let metadata = [
        ("tollgate_invoice_id".to_owned(), invoice.to_string()),
        (
            "tollgate_organization_id".to_owned(),
            collection.organization.to_string(),
        ),
        ("tollgate_attempt".to_owned(), "1".to_owned()),
    ];
    let first = gateway
        .charge_off_session(&tollgate_application::ports::ChargeRequest {
            customer: collection.customer.provider_customer.clone(),
            payment_method: collection
                .customer
                .default_payment_method
                .clone()
                .expect("a card"),
            amount: attempt.amount,
            currency: attempt.currency,
            description: collection
                .invoice_number
                .as_ref()
                .map(|n| format!("Invoice {n}")),
            statement_descriptor_suffix: collection.invoice_number.clone(),
            metadata: metadata.into(),
            key: tollgate_application::ports::IdempotencyKey::charge(&invoice.to_string(), 1)
                .expect("a key"),
        })
        .await
        .expect("the first worker's charge");
    // Its lease (1 ms) is long gone: the next worker takes the collection over, finds the
    // attempt without an answer and asks again under the same key.
    let charged = collector(&app, &stripe)
        .pay_now(collection.organization, invoice)
        .await
        .expect("charged");
    assert_eq!(charged.attempt, attempt.attempt);
    assert_eq!(charged.status.as_str(), "succeeded");
    assert_eq!(
        charged.provider_payment.as_deref(),
        Some(first.payment_intent.as_str())
    );
    // Asked twice, under one key: Stripe answered the first PaymentIntent again.
    let asked = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/payment_intents" && seen.method == "POST")
        .count();
    assert_eq!(asked, 2);
    assert_eq!(intents_made(&stripe), [format!("pi:{invoice}:1")].into());
    let paid = format!("id = '{invoice}' AND status = 'paid'");
    assert_eq!(app.count_where("billing_invoices", &paid).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_are_made_default_and_removed_through_the_api_and_audited() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a", "cust_b"]).await;
    let declined = save_card(&app, &stripe, "cust_a", DECLINED).await;
    let customer = app
        .scalar_text("SELECT id::text AS value FROM billing_customers WHERE external_id = 'cust_a'")
        .await
        .expect("the customer");
    let provider_customer = app
        .scalar_text(&format!(
            "SELECT provider_customer_id AS value FROM payment_customers WHERE customer_id = '{customer}'"
        ))
        .await
        .expect("its Stripe customer");
    // The declined card fails the invoice; a second card is saved at Stripe, not yet default.
    let report = collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    assert_eq!(report.failed, 1, "{report:?}");
    let visa = stripe.attach(&provider_customer, VISA);
    let cards = |path: &str| format!("/api/billing/customers/{customer}/payment-methods{path}");

    let made_default = call(
        &app,
        Method::PUT,
        &cards(&format!("/{visa}/default")),
        WRITE_KEY,
    );
    let (_, listed) = expect_status(send(made_default).await, 200).await;
    let default: Vec<&str> = listed["data"]
        .as_array()
        .expect("cards")
        .iter()
        .filter(|card| card["default"] == true)
        .filter_map(|card| card["id"].as_str())
        .collect();
    assert_eq!(default, [visa.as_str()], "{listed}");
    let defaulted = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == format!("/v1/customers/{provider_customer}"))
        .count();
    assert_eq!(defaulted, 1, "Stripe's customer is told its default card");
    // The failed invoice is due again at once, and the new card pays it.
    let report = collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    assert_eq!(report.succeeded, 1, "{report:?}");
    let paid = format!("id = '{}' AND status = 'paid'", invoices["cust_a"]);
    assert_eq!(app.count_where("billing_invoices", &paid).await, 1);

    // Another customer's card, or one never saved: not found, nothing sent to Stripe.
    let foreign = call(
        &app,
        Method::PUT,
        &cards(&format!("/{declined}x/default")),
        WRITE_KEY,
    );
    expect_error(send(foreign).await, 404, "not_found").await;

    let removed = call(&app, Method::DELETE, &cards(&format!("/{visa}")), WRITE_KEY);
    let (_, listed) = expect_status(send(removed).await, 200).await;
    assert!(
        listed["data"]
            .as_array()
            .expect("cards")
            .iter()
            .all(|card| card["id"] != visa.as_str() && card["default"] == false),
        "{listed}"
    );
    let cleared = format!("customer_id = '{customer}' AND default_payment_method IS NULL");
    assert_eq!(app.count_where("payment_customers", &cleared).await, 1);
    for action in ["payment_method.set_default", "payment_method.remove"] {
        let audited = format!("action = '{action}' AND target = 'customer:{customer}'");
        assert_eq!(app.count_where("audit_log", &audited).await, 1, "{action}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voiding_an_invoice_cancels_the_charge_waiting_for_its_holder() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a"]).await;
    save_card(&app, &stripe, "cust_a", AUTHENTICATION_REQUIRED).await;
    collector(&app, &stripe)
        .collect_due(10)
        .await
        .expect("a pass");
    let invoice = invoices["cust_a"].to_string();
    let waiting = payments_of(&app, &invoice).await;
    assert_eq!(waiting[0]["status"], "requires_action", "{waiting:?}");
    let intent = waiting[0]["provider_payment"]
        .as_str()
        .expect("its PaymentIntent")
        .to_owned();

    let void = call(
        &app,
        Method::POST,
        &format!("/api/billing/invoices/{invoice}/void"),
        WRITE_KEY,
    );
    expect_status(send(void).await, 200).await;
    let canceled = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == format!("/v1/payment_intents/{intent}/cancel"))
        .count();
    assert_eq!(canceled, 1);
    let after = payments_of(&app, &invoice).await;
    assert_eq!(after[0]["status"], "canceled", "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_now_with_an_idempotency_key_answers_a_retry_without_charging_again() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a"]).await;
    save_card(&app, &stripe, "cust_a", VISA).await;
    let path = format!("/api/billing/invoices/{}/pay", invoices["cust_a"]);
    let pay_with = |key: &'static str| {
        send(call(&app, Method::POST, &path, WRITE_KEY).header("Idempotency-Key", key))
    };
    let (_, first) = expect_status(pay_with("pay-once-1").await, 200).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    // A retry of the same request (a lost answer): the first answer, no second charge.
    let (_, again) = expect_status(pay_with("pay-once-1").await, 200).await;
    assert_eq!(again, first);
    let charges = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/payment_intents" && seen.method == "POST")
        .count();
    assert_eq!(charges, 1, "the retry reached Stripe");
    // Another key is another request: the invoice is paid, nothing to pay.
    expect_error(pay_with("pay-once-2").await, 409, "invoice_not_payable").await;
}

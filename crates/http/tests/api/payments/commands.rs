//! `tollgate stripe register-webhook` and `tollgate stripe replay`, the real binary against the
//! Stripe stand-in: the endpoint made with the events Tollgate handles and its secret printed
//! once; a charge whose answer a crash lost, settled by replaying Stripe's events.

use std::{collections::BTreeMap, process::Output, time::Duration};

use chrono::{TimeDelta, Utc};
use secrecy::SecretString;
use serde_json::Value;
use tollgate_adapters::{
    postgres::PgPaymentLedger,
    stripe::{StripeConfig, StripeGateway},
};
use tollgate_application::ports::{
    AttemptKind, ChargeRequest, IdempotencyKey, PaymentGateway, PaymentLedger,
};

use super::{
    collection::save_card,
    finalized_invoices_on, stripe_app,
    stripe_stand_in::{SECRET_KEY, StripeStandIn, VISA},
};
use crate::{helpers::TestApp, identity::support::pool};

/// The binary with Stripe at the stand-in, on the app's database.
async fn stripe_command(app: &TestApp, stripe: &StripeStandIn, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .args(args)
        .env_remove("TOLLGATE_CONFIG")
        .env("TOLLGATE__DATABASE__URL", &app.db_url)
        .env("TOLLGATE__DATABASE__CREATE_IF_MISSING", "false")
        .env("TOLLGATE__DATA_DIR", app.data_dir())
        .env("TOLLGATE__STRIPE__SECRET_KEY", SECRET_KEY)
        .env("TOLLGATE__STRIPE__URL", stripe.uri())
        .env("NO_COLOR", "1");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command thread does not panic")
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_webhook_creates_the_endpoint_and_prints_its_secret_once() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let url = "https://tollgate.example.com/v1/webhooks/stripe";
    let output = stripe_command(&app, &stripe, &["stripe", "register-webhook", "--url", url]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("whsec_"), "{stdout}");
    let created: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|seen| seen.path == "/v1/webhook_endpoints")
        .collect();
    let [endpoint] = created.as_slice() else {
        panic!("one endpoint: {created:?}");
    };
    assert_eq!(endpoint.get("url"), Some(url));
    assert_eq!(endpoint.get("api_version"), Some("2026-10-28.endive"));
    let events: Vec<&str> = endpoint
        .form
        .iter()
        .filter(|(key, _)| key.starts_with("enabled_events["))
        .map(|(_, value)| value.as_str())
        .collect();
    for handled in [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "setup_intent.succeeded",
    ] {
        assert!(events.contains(&handled), "{events:?}");
    }

    let insecure = stripe_command(
        &app,
        &stripe,
        &[
            "stripe",
            "register-webhook",
            "--url",
            "http://tollgate.example.com/v1/webhooks/stripe",
        ],
    )
    .await;
    assert!(!insecure.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_settles_a_charge_whose_answer_was_lost() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe).await;
    let invoices = finalized_invoices_on(&app, &["cust_a"]).await;
    let card = save_card(&app, &stripe, "cust_a", VISA).await;
    let invoice = invoices["cust_a"];

    // The collector began attempt 1 and charged, then died before recording the answer.
    let ledger = PgPaymentLedger::new(pool(&app));
    let now = Utc::now();
    ledger.open_collections(now).await.expect("opened");
    let collection = ledger
        .claim_due(now, Duration::from_secs(1), 1)
        .await
        .expect("claimed")
        .remove(0);
    ledger
        .begin_attempt(&collection, AttemptKind::OffSession, now)
        .await
        .expect("begun");
    let url = url::Url::parse(&stripe.uri()).expect("a URL");
    let gateway = StripeGateway::new(StripeConfig::new(url, SecretString::from(SECRET_KEY)))
        .expect("a gateway");
    let charged = gateway
        .charge_off_session(&ChargeRequest {
            customer: collection.customer.provider_customer.clone(),
            payment_method: card,
            amount: collection.amount_due,
            currency: collection.currency,
            description: None,
            statement_descriptor_suffix: None,
            metadata: BTreeMap::from([
                ("tollgate_invoice_id".to_owned(), invoice.to_string()),
                ("tollgate_attempt".to_owned(), "1".to_owned()),
            ]),
            key: IdempotencyKey::charge(&invoice.to_string(), 1).expect("a key"),
        })
        .await
        .expect("charged");
    stripe.event_for_payment_intent(&charged.payment_intent, "payment_intent.succeeded");
    let unpaid = format!("id = '{invoice}' AND status = 'finalized'");
    assert_eq!(app.count_where("billing_invoices", &unpaid).await, 1);

    let since = (now - TimeDelta::hours(1)).to_rfc3339();
    let output = stripe_command(&app, &stripe, &["stripe", "replay", "--since", &since]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim()).expect("a JSON report");
    assert_eq!(report["outcomes"]["applied"], 1, "{report}");
    let paid = format!(
        "id = '{invoice}' AND status = 'paid' AND payment_reference = '{}'",
        charged.payment_intent
    );
    assert_eq!(app.count_where("billing_invoices", &paid).await, 1);

    // Replayed again: nothing more happens.
    let again = stripe_command(&app, &stripe, &["stripe", "replay", "--since", &since]).await;
    let report: Value =
        serde_json::from_str(String::from_utf8_lossy(&again.stdout).trim()).expect("JSON");
    assert_eq!(report["outcomes"]["applied"], Value::Null, "{report}");
    assert_eq!(report["outcomes"]["duplicate"], 1, "{report}");
}

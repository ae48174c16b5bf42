//! Card payments: the payment ledger on PostgreSQL, and the collector charging through the
//! real Stripe adapter against the Stripe stand-in, Stripe's events through the webhook.

mod collection;
mod commands;
mod ledger;
mod pages;
#[path = "../../../adapters/tests/support/stripe_stand_in.rs"]
#[allow(
    dead_code,
    unused_imports,
    reason = "the adapter's own tests use more of it"
)]
mod stripe_stand_in;

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::SecretString;
use uuid::Uuid;

use crate::{
    billing::{WRITE_KEY, api_key, period_close::support},
    dashboard::billing::january_drafts,
    helpers::TestApp,
    identity::support::{call, expect_status, send},
};

/// The signing secret of Tollgate's webhook endpoint in these tests.
pub(crate) const WEBHOOK_SECRET: &str = "whsec_dGVzdCBzZWNyZXQgb2YgdGhlIHN0YW5kLWlu";

/// The value of a one-row, one-column query (`… AS value`) as an id.
pub(crate) async fn uuid_of(app: &TestApp, sql: &str) -> Uuid {
    let text = app.scalar_text(sql).await.expect("a row");
    Uuid::parse_str(&text).expect("an id")
}

/// An app with Stripe at the stand-in (periods closed and usage delivered only by the tests,
/// the collector run by them too) and a billing API key.
pub(crate) async fn stripe_app(stripe: &stripe_stand_in::StripeStandIn) -> TestApp {
    let url = stripe.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.billing.close_every_secs = 0;
        settings.delivery.run_in_server = false;
        settings.stripe.secret_key = Some(SecretString::from(stripe_stand_in::SECRET_KEY));
        settings.stripe.url = url;
        settings.stripe.webhook_secrets = vec![SecretString::from(WEBHOOK_SECRET)];
    })
    .await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

/// Each of `customers` gets a finalized January invoice (31.00 + 100 requests) on `app`: the
/// invoices' ids by customer.
pub(crate) async fn finalized_invoices_on(
    app: &TestApp,
    customers: &[&str],
) -> BTreeMap<String, Uuid> {
    january_drafts(app, customers).await;
    let mut ids = BTreeMap::new();
    for invoice in support::invoices(app, "").await {
        let id = invoice["id"].as_str().expect("an id").to_owned();
        let finalize = call(
            app,
            Method::POST,
            &format!("/api/billing/invoices/{id}/finalize"),
            WRITE_KEY,
        );
        expect_status(send(finalize).await, 200).await;
        let customer = invoice["customer"].as_str().expect("a customer").to_owned();
        ids.insert(customer, Uuid::parse_str(&id).expect("an id"));
    }
    ids
}

/// A fresh app whose `customers` each have a finalized January invoice.
pub(crate) async fn finalized_invoices(customers: &[&str]) -> (TestApp, BTreeMap<String, Uuid>) {
    let app = support::spawn().await;
    let ids = finalized_invoices_on(&app, customers).await;
    (app, ids)
}

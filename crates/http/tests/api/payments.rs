//! Card payments: the payment ledger on PostgreSQL, and the collector charging through the
//! real Stripe adapter against the Stripe stand-in.

mod ledger;

use std::collections::BTreeMap;

use reqwest::Method;
use uuid::Uuid;

use crate::{
    billing::{WRITE_KEY, period_close::support},
    dashboard::billing::january_drafts,
    helpers::TestApp,
    identity::support::{call, expect_status, send},
};

/// The value of a one-row, one-column query (`… AS value`) as an id.
pub(crate) async fn uuid_of(app: &TestApp, sql: &str) -> Uuid {
    let text = app.scalar_text(sql).await.expect("a row");
    Uuid::parse_str(&text).expect("an id")
}

/// An app whose `customers` each have a finalized January invoice (31.00 + 100 requests):
/// the invoices' ids by customer.
pub(crate) async fn finalized_invoices(customers: &[&str]) -> (TestApp, BTreeMap<String, Uuid>) {
    let app = support::spawn().await;
    january_drafts(&app, customers).await;
    let mut ids = BTreeMap::new();
    for invoice in support::invoices(&app, "").await {
        let id = invoice["id"].as_str().expect("an id").to_owned();
        let finalize = call(
            &app,
            Method::POST,
            &format!("/api/billing/invoices/{id}/finalize"),
            WRITE_KEY,
        );
        expect_status(send(finalize).await, 200).await;
        let customer = invoice["customer"].as_str().expect("a customer").to_owned();
        ids.insert(customer, Uuid::parse_str(&id).expect("an id"));
    }
    (app, ids)
}

//! The invoice book's changes queue their outbound webhook events in their own transaction:
//! a committed change has its message, a refused one has none, and each endpoint's filter
//! decides which it receives.

use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::{INVOICES, drafts, post, support};
use crate::{
    billing::{WRITE_KEY, api_key},
    helpers::TestApp,
    identity::support::{call, expect_status, send},
};

const SETTINGS_KEY: &str = "tg_live_webhook-settings-key-0123456789abcdefghijklmn";

async fn endpoint(app: &TestApp, types: &[&str]) -> String {
    // A public address literal: nothing resolves it, and no worker runs in these tests.
    let request = call(app, Method::POST, "/api/settings/webhooks", SETTINGS_KEY)
        .json(&json!({ "url": "https://93.184.216.34/hook", "event_types": types }));
    let (_, body) = expect_status(send(request).await, 201).await;
    body["id"].as_str().expect("an id").to_owned()
}

async fn bodies(app: &TestApp, endpoint: &str) -> Vec<Value> {
    app.texts(&format!(
        "SELECT m.body AS value FROM webhook_messages m
         JOIN webhook_deliveries d ON d.message_id = m.id
         WHERE d.endpoint_id = '{endpoint}' ORDER BY d.id"
    ))
    .await
    .into_iter()
    .map(|text| serde_json::from_str(&text.expect("a body")).expect("JSON"))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalize_pay_and_void_queue_their_events_for_the_endpoints_that_take_them() {
    let app = drafts(2).await;
    api_key(&app, "default", SETTINGS_KEY, "settings:write").await;
    let every = endpoint(&app, &[]).await;
    let paid_only = endpoint(&app, &["invoice.paid"]).await;
    let (_, listed) = expect_status(
        send(call(&app, Method::GET, INVOICES, WRITE_KEY)).await,
        200,
    )
    .await;
    let ids: Vec<String> = listed["data"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect();

    for id in &ids {
        let finalized = post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await;
        expect_status(finalized, 200).await;
    }
    // Refused: already finalized. Nothing is queued for a change that did not happen.
    let again = post(&app, &format!("{INVOICES}/{}/finalize", ids[0]), WRITE_KEY).await;
    assert_eq!(again.status(), 409);
    let paid_at =
        (Utc::now() + chrono::TimeDelta::seconds(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let request = call(
        &app,
        Method::POST,
        &format!("{INVOICES}/{}/mark-paid", ids[0]),
        WRITE_KEY,
    )
    .json(&json!({ "paid_at": paid_at, "method": "cash" }));
    expect_status(send(request).await, 200).await;
    expect_status(
        post(&app, &format!("{INVOICES}/{}/void", ids[1]), WRITE_KEY).await,
        200,
    )
    .await;

    let all = bodies(&app, &every).await;
    let types: Vec<&str> = all
        .iter()
        .map(|b| b["type"].as_str().expect("a type"))
        .collect();
    assert_eq!(
        types,
        [
            "invoice.finalized",
            "invoice.finalized",
            "invoice.paid",
            "invoice.voided"
        ]
    );
    let paid = &all[2];
    assert_eq!(paid["data"]["id"], ids[0].as_str());
    assert_eq!(paid["data"]["status"], "paid");
    assert_eq!(
        paid["data"]["customer"]
            .as_str()
            .map(|c| c.starts_with("cust_")),
        Some(true)
    );
    assert_eq!(paid["data"]["total"], "32.00");
    assert_eq!(paid["data"]["currency"], "USD");
    assert!(paid["data"]["number"].is_string());
    assert_eq!(all[3]["data"]["status"], "voided");

    let filtered = bodies(&app, &paid_only).await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(
        filtered[0], all[2],
        "the same message, one id for both endpoints"
    );
    assert_eq!(app.count("webhook_messages").await, 4);
}

/// The period close finalizing what it makes (`auto_finalize`) reports each invoice too, in
/// the close's own transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_the_close_finalizes_are_reported_as_finalized() {
    let app = support::spawn().await;
    api_key(&app, "default", SETTINGS_KEY, "settings:write").await;
    let every = endpoint(&app, &[]).await;
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    let id = support::customer(&app, "cust_auto", "USD").await;
    let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
    support::subscription(&app, id, "sub_auto", "2026-01-01T00:00:00Z", &phases, None).await;
    let report = support::close(&app, "2026-02-01T02:00:00Z", true).await;
    assert_eq!(report.invoices, 1);

    let all = bodies(&app, &every).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["type"], "invoice.finalized");
    assert_eq!(all[0]["data"]["customer"], "cust_auto");
    assert_eq!(all[0]["data"]["subscription"], "sub_auto");
    assert_eq!(all[0]["data"]["total"], "31.00");
    assert!(all[0]["data"]["number"].is_string());
}

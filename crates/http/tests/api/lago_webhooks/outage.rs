//! The database down: 503 with `Retry-After` (Lago retries), nothing half-written, and the
//! retry applied once it is back.

use secrecy::{ExposeSecret, SecretString};

use super::{add_customer, invoice_webhook, new_key, post_hmac, spawn_lago};
use crate::helpers::{PgProxy, admin_url, host_port, with_host_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_webhooks_answer_503_and_the_retry_is_applied() {
    let proxy = PgProxy::start(host_port(&admin_url())).await;
    let through_proxy = proxy.address.to_string();
    let (app, _lago) = spawn_lago(|settings| {
        let url = with_host_port(settings.database.url.expose_secret(), &through_proxy);
        settings.database.url = SecretString::from(url);
        settings.database.acquire_timeout_ms = 500;
        settings.database.connect_timeout_ms = 500;
    })
    .await;
    add_customer(&app, "cust_0001").await;
    let key = new_key();
    let created = invoice_webhook("invoice.created", "finalized", "pending");

    proxy.go_down();
    let body = created.to_string();
    let response = super::post_raw(
        &app,
        Some(&key),
        Some("hmac"),
        Some(&super::hmac_signature(&body)),
        &body,
    )
    .await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    let (status, answer) = crate::helpers::status_and_json(response).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "unavailable");
    assert!(retry_after.is_some_and(|secs| secs > 0), "{retry_after:?}");
    assert_eq!(
        app.count("lago_webhook_receipts").await,
        0,
        "nothing half-written"
    );
    assert_eq!(app.count("billing_invoices").await, 0);

    proxy.go_up();
    let (status, answer) = post_hmac(&app, &key, &created).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &"applied".into()),
        "{answer}"
    );
    assert_eq!(app.count("lago_webhook_receipts").await, 1);
    assert_eq!(app.count("billing_invoices").await, 1);
}

//! Every field of every `/api` body that a route reads.

use reqwest::Method;
use serde_json::{Value, json};

use super::{describe, hostile_values, leaf_paths, with_value_at};
use crate::{
    billing::{api_key, plans::plan},
    helpers::{TestApp, status_and_json},
    identity::support::{call, member, send},
};
use tollgate_domain::access::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_field_of_an_api_body_answers_5xx() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "fuzz-owner", Role::Owner).await;
    api_key(
        &app,
        "default",
        "tg_live_fuzz-billing-key-0123456789abcdefghijklmnop",
        "billing:read,billing:write",
    )
    .await;
    let billing = "tg_live_fuzz-billing-key-0123456789abcdefghijklmnop";
    // What the routes below need to exist.
    let customer = json!({"external_id": "cust_fuzz", "name": "Fuzz", "billing_email": "a@b.example",
        "currency": "USD", "address": {"line1": "1 Main St", "city": "Paris", "country": "FR"},
        "tax_id": "FR123", "timezone": "Europe/Paris", "metadata": {"k": "v"}});
    let (status, created) = status_and_json(
        send(call(&app, Method::POST, "/api/billing/customers", billing).json(&customer)).await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let customer_id = created["id"].as_str().expect("an id").to_owned();
    let mut plan_ids = Vec::new();
    for (code, fee) in [("basic", "5.00"), ("pro", "10.00")] {
        let request =
            call(&app, Method::POST, "/api/billing/plans", billing).json(&plan(code, fee));
        let (status, body) = status_and_json(send(request).await).await;
        assert_eq!(status, 201, "{body}");
        plan_ids.push(body["id"].as_str().expect("an id").to_owned());
    }
    let subscription = json!({"customer_id": customer_id, "plan_code": "pro"});
    let (status, created) = status_and_json(
        send(call(&app, Method::POST, "/api/billing/subscriptions", billing).json(&subscription))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let subscription_id = created["id"].as_str().expect("an id").to_owned();

    let routes: Vec<(Method, String, &str, Value)> = vec![
        (
            Method::POST,
            "/api/billing/customers".into(),
            billing,
            customer.clone(),
        ),
        (
            Method::PATCH,
            format!("/api/billing/customers/{customer_id}"),
            billing,
            json!({"name": "N", "billing_email": "c@d.example",
                "address": {"line1": "x", "city": "Berlin", "country": "DE"},
                "tax_id": "DE1", "timezone": "UTC", "metadata": {"a": "b"}}),
        ),
        (
            Method::POST,
            "/api/billing/plans".into(),
            billing,
            plan("fuzz", "5.00"),
        ),
        (
            Method::PUT,
            format!("/api/billing/plans/{}", plan_ids[0]),
            billing,
            plan("basic", "11.00"),
        ),
        (
            Method::POST,
            "/api/billing/subscriptions".into(),
            billing,
            json!({"customer_id": customer_id, "plan_code": "pro", "external_id": "s", "starts_at": "2026-01-01T00:00:00Z"}),
        ),
        (
            Method::POST,
            format!("/api/billing/subscriptions/{subscription_id}/downgrade"),
            billing,
            json!({"plan_code": "basic"}),
        ),
        (
            Method::PUT,
            "/api/settings".into(),
            owner.as_str(),
            json!({"display_name": "Acme",
                "billing_contact": {"name": "A", "email": "a@b.example", "address": "1 Main St"},
                "tax_id": "FR40303265045", "net_terms_days": 30, "debug_mode": false,
                "alert_thresholds": ["10.5", 20]}),
        ),
        (
            Method::PATCH,
            "/api/settings".into(),
            owner.as_str(),
            json!({"display_name": "Acme", "billing_contact": {"email": "b@b.example"},
                "alert_thresholds": [1, "2.5"]}),
        ),
        (
            Method::POST,
            "/api/settings/api-keys".into(),
            owner.as_str(),
            json!({"name": "k", "scopes": ["usage:read"], "expires_at": "2030-01-01T00:00:00Z"}),
        ),
        (
            Method::POST,
            "/api/settings/litellm-secrets".into(),
            owner.as_str(),
            json!({"label": "l"}),
        ),
    ];
    let values = hostile_values();
    let mut requests = 0;
    for (method, path, bearer, body) in &routes {
        // The body as written is taken (or is a duplicate): the hostile values below reach
        // the code behind deserialization, not only the parser.
        let request = call(&app, method.clone(), path, bearer).json(body);
        let (status, answer) = status_and_json(send(request).await).await;
        assert!(
            status < 300 || status == 409,
            "{method} {path}: {status} {answer}"
        );
        for field in leaf_paths(body) {
            for hostile in &values {
                let text = with_value_at(body, &field, hostile);
                let request = call(&app, method.clone(), path, bearer)
                    .header("Content-Type", "application/json")
                    .body(text);
                let (status, answer) = status_and_json(send(request).await).await;
                requests += 1;
                assert!(
                    status < 500,
                    "{method} {path} {} = {:.80}: {status} {answer}",
                    describe(&field),
                    hostile
                );
            }
        }
    }
    assert!(requests > 400, "{requests} requests");
}

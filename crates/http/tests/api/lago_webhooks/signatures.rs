//! Who may post: only what Lago signed, with an algorithm the configuration accepts; nothing is
//! written for a refused webhook.

use serde::Deserialize;
use serde_json::json;
use tollgate_http::settings::LagoWebhookSignature;

use super::{
    add_customer, fixture, hmac_signature, invoice_webhook, jwt_signature, new_key, post_raw,
    spawn_lago,
};
use crate::helpers::{TestApp, status_and_json};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    unique_key: Option<String>,
    payload: String,
    x_lago_signature: String,
    expected: String,
}

/// Why, then the unique key, algorithm and signature headers (`None`: left out), and the body.
type Attempt<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

async fn assert_refused(response: reqwest::Response, why: &str) {
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(body["error"]["code"], "invalid_signature", "{why}: {body}");
}

async fn nothing_written(app: &TestApp) {
    assert_eq!(app.count("lago_webhook_receipts").await, 0);
    assert_eq!(app.count("billing_invoices").await, 0);
    assert_eq!(
        app.count_where("audit_log", "action = 'billing.lago_webhook'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_vectors_are_accepted_or_refused_over_http() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    add_customer(&app, "cust_0001").await;
    let vectors: Vectors =
        serde_json::from_str(fixture!("webhook_hmac_vectors.json")).expect("the vectors");
    for vector in vectors.vectors {
        let key = vector.unique_key.clone().unwrap_or_else(new_key);
        let response = post_raw(
            &app,
            Some(&key),
            Some("hmac"),
            Some(&vector.x_lago_signature),
            &vector.payload,
        )
        .await;
        if vector.expected == "valid" {
            let (status, body) = status_and_json(response).await;
            // Both are acknowledged: the wallet has no view, and the invoice vector lacks the
            // issuing date the view needs.
            assert_eq!(
                (status, &body["status"]),
                (200, &"receipt_only".into()),
                "{}: {body}",
                vector.name
            );
        } else {
            assert_refused(response, &vector.name).await;
        }
    }
    assert_eq!(app.count("lago_webhook_receipts").await, 2);
    assert_eq!(app.count("billing_invoices").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_headers_and_bad_signatures_are_refused_before_anything_is_written() {
    let (app, lago) = spawn_lago(|_| {}).await;
    add_customer(&app, "cust_0001").await;
    let body = invoice_webhook("invoice.created", "finalized", "pending").to_string();
    let hmac = hmac_signature(&body);
    let jwt = jwt_signature(&lago, &body);
    let key = new_key();
    let other_body = body.replace("5040", "1");
    let forged_jwt = {
        let iss = json!({ "data": body, "iss": "http://evil.test" });
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(fixture!("test_key_a.pem").as_bytes())
            .expect("a key");
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &iss,
            &key,
        )
        .expect("a token")
    };
    let refused: [Attempt<'_>; 9] = [
        ("no unique key", None, Some("hmac"), Some(&hmac), &body),
        ("no algorithm", Some(&key), None, Some(&hmac), &body),
        ("no signature", Some(&key), Some("hmac"), None, &body),
        (
            "an unknown algorithm",
            Some(&key),
            Some("rsa"),
            Some(&hmac),
            &body,
        ),
        (
            "a tampered body (hmac)",
            Some(&key),
            Some("hmac"),
            Some(&hmac),
            &other_body,
        ),
        (
            "a tampered body (jwt)",
            Some(&key),
            Some("jwt"),
            Some(&jwt),
            &other_body,
        ),
        (
            "the HMAC as a JWT",
            Some(&key),
            Some("jwt"),
            Some(&hmac),
            &body,
        ),
        (
            "the JWT as an HMAC",
            Some(&key),
            Some("hmac"),
            Some(&jwt),
            &body,
        ),
        (
            "another issuer",
            Some(&key),
            Some("jwt"),
            Some(&forged_jwt),
            &body,
        ),
    ];
    for (why, unique_key, algorithm, signature, body) in refused {
        assert_refused(
            post_raw(&app, unique_key, algorithm, signature, body).await,
            why,
        )
        .await;
    }
    nothing_written(&app).await;
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"tollgate_lago_webhooks_total{outcome="invalid_signature"} 9"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_algorithm_the_configuration_refuses_is_refused() {
    let (app, lago) = spawn_lago(|settings| {
        settings.lago.webhook_signature = LagoWebhookSignature::Jwt;
    })
    .await;
    let body = invoice_webhook("invoice.created", "finalized", "pending").to_string();
    let hmac = hmac_signature(&body);
    assert_refused(
        post_raw(&app, Some(&new_key()), Some("hmac"), Some(&hmac), &body).await,
        "hmac on a jwt-only endpoint",
    )
    .await;
    nothing_written(&app).await;
    let jwt = jwt_signature(&lago, &body);
    let (status, body) =
        status_and_json(post_raw(&app, Some(&new_key()), Some("jwt"), Some(&jwt), &body).await)
            .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"unknown_customer".into()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_that_is_not_a_webhook_is_400() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    for (body, code) in [
        ("{not json", "invalid_json"),
        (r#"{"a":1}"#, "invalid_webhook"),
    ] {
        let signature = hmac_signature(body);
        let (status, answer) = status_and_json(
            post_raw(&app, Some(&new_key()), Some("hmac"), Some(&signature), body).await,
        )
        .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &code.into()),
            "{answer}"
        );
    }
    nothing_written(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_lago_there_is_no_webhook_endpoint() {
    let app = TestApp::spawn().await;
    let body = invoice_webhook("invoice.created", "finalized", "pending").to_string();
    let hmac = hmac_signature(&body);
    let (status, answer) =
        status_and_json(post_raw(&app, Some(&new_key()), Some("hmac"), Some(&hmac), &body).await)
            .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &"not_found".into()),
        "{answer}"
    );
    nothing_written(&app).await;
}

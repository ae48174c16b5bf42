//! Customers pushed to Lago before they are stored.

use reqwest::Method;
use serde_json::json;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{CUSTOMERS, api, json_of, ok, seen, spawn};
use crate::{
    billing::customer,
    identity::support::{expect_error, expect_status},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reaches_lago_before_it_is_stored_and_changes_follow() {
    let lago = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/customers"))
        .respond_with(ok(json!({"customer": {"external_id": "cust_1"}})))
        .mount(&lago)
        .await;
    let app = spawn(lago.uri()).await;

    let (_, created) = expect_status(
        api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await,
        201,
    )
    .await;
    let path = format!("{CUSTOMERS}/{}", created["id"].as_str().expect("an id"));
    expect_status(
        api(
            &app,
            Method::PATCH,
            &path,
            Some(&json!({"name": "Acme SAS"})),
        )
        .await,
        200,
    )
    .await;

    let pushed = seen(&lago, "POST", "/api/v1/customers").await;
    assert_eq!(pushed.len(), 2);
    let authorization = pushed[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert_eq!(authorization, Some("Bearer lago-test-api-key"));
    assert_eq!(
        json_of(&pushed[0]),
        json!({"customer": {
            "external_id": "cust_1",
            "name": "Acme Corp",
            "email": "billing@acme.example",
            "currency": "EUR",
            "address_line1": "1 rue de Rivoli",
            "address_line2": null,
            "city": "Paris",
            "zipcode": "75001",
            "state": null,
            "country": "FR",
            "tax_identification_number": "FR40303265045",
            "timezone": "Europe/Paris",
            "metadata": [{"key": "crm", "value": "hs-1", "display_in_invoice": false}],
        }})
    );
    assert_eq!(json_of(&pushed[1])["customer"]["name"], "Acme SAS");
    assert_eq!(app.count("billing_customers").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_lago_refuses_or_cannot_take_is_not_stored() {
    let lago = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {"email": ["invalid_format"]},
        })))
        .mount(&lago)
        .await;
    let app = spawn(lago.uri()).await;

    let response = api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await;
    let (_, body) = expect_status(response, 422).await;
    assert_eq!(body["error"]["code"], "billing_engine_refused");
    assert_eq!(
        body["error"]["message"],
        "lago refused the request: email: invalid_format"
    );
    assert_eq!(app.count("billing_customers").await, 0);
    assert_eq!(
        app.count_where("audit_log", "action = 'customer.create'")
            .await,
        0
    );

    // Lago down: nobody listens on the port any more.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let app = spawn(format!("http://{gone}")).await;
    let response = api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await;
    expect_error(response, 503, "unavailable").await;
    assert_eq!(app.count("billing_customers").await, 0);
}

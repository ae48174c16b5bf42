//! Lago's invoices through the invoices API.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Mock, MockServer, matchers};

use super::{api, ok, seen, spawn};
use crate::identity::support::expect_status;

const INVOICE: &str =
    include_str!("../../../../../adapters/tests/fixtures/lago/invoice_extended.json");

fn lago_invoice(id: Uuid, status: &str, payment_status: &str) -> Value {
    let mut answer: Value = serde_json::from_str(INVOICE).expect("the fixture is JSON");
    answer["invoice"]["lago_id"] = json!(id);
    answer["invoice"]["status"] = json!(status);
    answer["invoice"]["payment_status"] = json!(payment_status);
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_lagos_listed_shown_finalized_and_voided_through_it() {
    let lago = MockServer::start().await;
    let (draft, issued) = (Uuid::new_v4(), Uuid::new_v4());
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .respond_with(ok(json!({
            "invoices": [{"lago_id": draft}, {"lago_id": issued}],
            "meta": {"current_page": 1, "next_page": 2, "prev_page": null, "total_pages": 2, "total_count": 3},
        })))
        .mount(&lago)
        .await;
    for (id, status) in [(draft, "draft"), (issued, "finalized")] {
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!("/api/v1/invoices/{id}")))
            .respond_with(ok(lago_invoice(id, status, "pending")))
            .mount(&lago)
            .await;
    }
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(format!("/api/v1/invoices/{draft}/finalize")))
        .respond_with(ok(lago_invoice(draft, "finalized", "pending")))
        .mount(&lago)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(format!("/api/v1/invoices/{issued}/void")))
        .respond_with(ok(lago_invoice(issued, "voided", "pending")))
        .mount(&lago)
        .await;
    let app = spawn(lago.uri()).await;

    let (_, page) = expect_status(
        api(
            &app,
            Method::GET,
            "/api/billing/invoices?limit=2&customer=cust_1",
            None,
        )
        .await,
        200,
    )
    .await;
    // Lago's next page number, in the API's opaque envelope.
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    assert_ne!(cursor, "2");
    let listed = page["data"].as_array().expect("a list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["id"], json!(issued));
    assert_eq!(listed[1]["source"], "lago");
    assert_eq!(listed[1]["total"], "74.69");
    assert_eq!(listed[1]["number"], "LAG-1234-001-000002");
    let query = seen(&lago, "GET", "/api/v1/invoices").await[0]
        .url
        .query()
        .map(str::to_owned);
    assert_eq!(
        query.as_deref(),
        Some("page=1&per_page=2&external_customer_id=cust_1")
    );
    let next = format!("/api/billing/invoices?limit=2&customer=cust_1&cursor={cursor}");
    expect_status(api(&app, Method::GET, &next, None).await, 200).await;
    let query = seen(&lago, "GET", "/api/v1/invoices").await[1]
        .url
        .query()
        .map(str::to_owned);
    assert_eq!(
        query.as_deref(),
        Some("page=2&per_page=2&external_customer_id=cust_1")
    );

    let (_, shown) = expect_status(
        api(
            &app,
            Method::GET,
            &format!("/api/billing/invoices/{draft}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shown["status"], "draft");
    let (_, finalized) = expect_status(
        api(
            &app,
            Method::POST,
            &format!("/api/billing/invoices/{draft}/finalize"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(finalized["status"], "finalized");
    let (_, voided) = expect_status(
        api(
            &app,
            Method::POST,
            &format!("/api/billing/invoices/{issued}/void"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(voided["status"], "voided");
    assert_eq!(
        seen(&lago, "PUT", &format!("/api/v1/invoices/{draft}/finalize"))
            .await
            .len(),
        1
    );
    assert_eq!(
        seen(&lago, "POST", &format!("/api/v1/invoices/{issued}/void"))
            .await
            .len(),
        1
    );
    let audited = app
        .count_where(
            "audit_log",
            "action IN ('invoice.finalize', 'invoice.void')",
        )
        .await;
    assert_eq!(audited, 2);
    let missing = api(
        &app,
        Method::GET,
        &format!("/api/billing/invoices/{}", Uuid::new_v4()),
        None,
    )
    .await;
    expect_status(missing, 404).await;
}

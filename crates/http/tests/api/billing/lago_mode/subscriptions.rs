//! Plans and subscriptions driven through Lago.

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{CUSTOMERS, api, json_of, ok, seen, spawn};
use crate::{
    billing::customer,
    identity::support::{expect_error, expect_status},
};

/// A stand-in that takes plans, metrics and subscriptions: `sub_1` is on `starter` until the
/// first upgrade, on `pro` after it.
async fn mount_plans_and_subscriptions(lago: &MockServer) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/customers"))
        .respond_with(ok(json!({"customer": {}})))
        .mount(lago)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex("^/api/v1/billable_metrics/"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"status": 404, "error": "Not Found", "code": "billable_metric_not_found"}),
        ))
        .mount(lago)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/billable_metrics"))
        .respond_with(ok(json!({"billable_metric": {"lago_id": "bm-1", "aggregation_type": "sum_agg", "field_name": "input_tokens"}})))
        .mount(lago)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/plans"))
        .respond_with(ok(json!({"plan": {}})))
        .mount(lago)
        .await;
    for (code, cents) in [("starter", 1000), ("pro", 4900)] {
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!("/api/v1/plans/{code}")))
            .respond_with(ok(
                json!({"plan": {"code": code, "amount_cents": cents, "interval": "monthly"}}),
            ))
            .mount(lago)
            .await;
    }
    for (plan, times) in [("starter", Some(1)), ("pro", None)] {
        let mock = Mock::given(matchers::method("GET"))
            .and(matchers::path("/api/v1/subscriptions/sub_1"))
            .respond_with(ok(
                json!({"subscription": {"plan_code": plan, "next_plan_code": null}}),
            ));
        match times {
            Some(times) => mock.up_to_n_times(times).mount(lago).await,
            None => mock.mount(lago).await,
        }
    }
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/subscriptions"))
        .respond_with(ok(json!({"subscription": {}})))
        .mount(lago)
        .await;
    Mock::given(matchers::method("DELETE"))
        .and(matchers::path("/api/v1/subscriptions/sub_1"))
        .respond_with(ok(json!({"subscription": {}})))
        .mount(lago)
        .await;
}

fn plan(code: &str, fee: &str) -> Value {
    json!({
        "code": code,
        "name": code,
        "interval": "monthly",
        "currency": "EUR",
        "base_fee": {"amount": fee, "timing": "in_advance"},
        "charges": [{"meter": "input_tokens", "model": {"type": "per_unit", "unit_price": "0.0000025"}}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_subscriptions_are_driven_through_lago() {
    let lago = MockServer::start().await;
    mount_plans_and_subscriptions(&lago).await;
    let app = spawn(lago.uri()).await;
    let (_, created) = expect_status(
        api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await,
        201,
    )
    .await;
    for (code, fee) in [("starter", "10"), ("pro", "49")] {
        expect_status(
            api(
                &app,
                Method::POST,
                "/api/billing/plans",
                Some(&plan(code, fee)),
            )
            .await,
            201,
        )
        .await;
    }
    // Backdated: Lago takes a past subscription_at and bills the elapsed periods itself.
    let started = (chrono::Utc::now() - chrono::TimeDelta::days(40))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let subscription = json!({"customer_id": created["id"], "plan_code": "starter",
                              "external_id": "sub_1", "starts_at": started});
    let (_, sub) = expect_status(
        api(
            &app,
            Method::POST,
            "/api/billing/subscriptions",
            Some(&subscription),
        )
        .await,
        201,
    )
    .await;
    let base = format!(
        "/api/billing/subscriptions/{}",
        sub["id"].as_str().expect("an id")
    );
    expect_status(
        api(
            &app,
            Method::POST,
            &format!("{base}/upgrade"),
            Some(&json!({"plan_code": "pro"})),
        )
        .await,
        200,
    )
    .await;
    expect_status(
        api(
            &app,
            Method::POST,
            &format!("{base}/downgrade"),
            Some(&json!({"plan_code": "starter"})),
        )
        .await,
        200,
    )
    .await;
    expect_status(
        api(&app, Method::POST, &format!("{base}/terminate"), None).await,
        200,
    )
    .await;

    let plans = seen(&lago, "POST", "/api/v1/plans").await;
    assert_eq!(plans.len(), 2);
    let starter = json_of(&plans[0]);
    assert_eq!(starter["plan"]["code"], "starter");
    assert_eq!(starter["plan"]["amount_cents"], 1000);
    assert_eq!(starter["plan"]["amount_currency"], "EUR");
    assert_eq!(starter["plan"]["charges"][0]["billable_metric_id"], "bm-1");
    // Successful calls at the plan's price; failed ones (no filter matches) at zero.
    assert_eq!(
        starter["plan"]["charges"][0]["filters"][0]["properties"],
        json!({"amount": "0.0000025"})
    );
    assert_eq!(
        starter["plan"]["charges"][0]["filters"][0]["values"],
        json!({"status": ["success"]})
    );
    assert_eq!(
        starter["plan"]["charges"][0]["properties"],
        json!({"amount": "0"})
    );
    let changes: Vec<Value> = seen(&lago, "POST", "/api/v1/subscriptions")
        .await
        .iter()
        .map(|r| json_of(r)["subscription"].clone())
        .collect();
    let plan_codes: Vec<&str> = changes
        .iter()
        .map(|c| c["plan_code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(plan_codes, ["starter", "pro", "starter"]);
    assert!(
        changes
            .iter()
            .all(|c| c["external_id"] == "sub_1" && c["external_customer_id"] == "cust_1")
    );
    assert_eq!(changes[0]["billing_time"], "anniversary");
    let sent = chrono::DateTime::parse_from_rfc3339(
        changes[0]["subscription_at"]
            .as_str()
            .expect("a subscription_at"),
    )
    .expect("RFC 3339");
    assert_eq!(
        sent.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        started
    );
    assert_eq!(
        seen(&lago, "DELETE", "/api/v1/subscriptions/sub_1")
            .await
            .len(),
        1
    );
    assert_eq!(app.count("billing_subscriptions").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_lago_refuses_is_not_stored() {
    let lago = MockServer::start().await;
    mount_plans_and_subscriptions(&lago).await;
    let app = spawn(lago.uri()).await;
    // A base fee finer than a cent: Lago keeps whole cents, so it is refused before any call.
    let response = api(
        &app,
        Method::POST,
        "/api/billing/plans",
        Some(&plan("pro", "49.999")),
    )
    .await;
    expect_error(response, 422, "billing_engine_refused").await;
    assert_eq!(app.count("billing_plans").await, 0);
    assert!(seen(&lago, "POST", "/api/v1/plans").await.is_empty());
}

//! `POST /api/v1/plans` (and `PUT` when the version exists), with each meter's billable metric
//! found or created first.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::json;
use tollgate_application::ports::{BillingEngine, PlanVersionSync};
use tollgate_domain::{
    billing::{
        BaseFee, Charge, Currency, FeeTiming, Interval, Money, NewPlan, Plan, PlanCode,
        PricingModel,
    },
    metering::Meter,
};
use wiremock::{Mock, ResponseTemplate, matchers};

use crate::{TestResult, assert_lago_headers, body, lago, refused_reason};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

fn pro(version: u32, base_fee: &str) -> Result<PlanVersionSync, Box<dyn std::error::Error>> {
    let plan = Plan::new(NewPlan {
        code: PlanCode::parse("pro")?,
        interval: Interval::Monthly,
        currency: Currency::EUR,
        base_fee: Some(BaseFee::new(
            Money::new(dec(base_fee), Currency::EUR),
            FeeTiming::Advance,
        )?),
        trial_days: 0,
        charges: vec![
            Charge::new(
                Meter::InputTokens,
                PricingModel::per_unit(dec("0.0000025"))?,
                Decimal::ZERO,
                None,
            )?,
            Charge::new(
                Meter::Requests,
                PricingModel::package(dec("1000"), dec("0.5"))?,
                dec("100"),
                None,
            )?
            .including_failures(true),
        ],
        minimum_commitment: None,
    })?;
    Ok(PlanVersionSync {
        plan,
        name: "Pro".into(),
        description: None,
        version,
    })
}

fn status_filter() -> serde_json::Value {
    json!({"key": "status", "values": ["success", "failure"]})
}

/// A metric as Lago shows it; `filters` as made by Tollgate, or none (made before it).
fn metric(id: &str, aggregation: &str, field: Option<&str>) -> ResponseTemplate {
    metric_with(id, aggregation, field, json!([status_filter()]))
}

fn metric_with(
    id: &str,
    aggregation: &str,
    field: Option<&str>,
    filters: serde_json::Value,
) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"billable_metric": {
        "lago_id": id, "name": "m", "code": "m", "aggregation_type": aggregation,
        "field_name": field, "recurring": false, "created_at": "2025-01-01T00:00:00Z",
        "filters": filters,
    }}))
}

async fn mount_metrics(server: &wiremock::MockServer) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/billable_metrics/input_tokens"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"status": 404, "error": "Not Found", "code": "billable_metric_not_found"}),
        ))
        .mount(server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/billable_metrics"))
        .respond_with(metric("bm-input", "sum_agg", Some("input_tokens")))
        .mount(server)
        .await;
    // Made before failed calls were told apart: without the status filter, which is added.
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/billable_metrics/requests"))
        .respond_with(metric_with(
            "bm-requests",
            "count_agg",
            None,
            json!([{"key": "region", "values": ["eu"]}]),
        ))
        .mount(server)
        .await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path("/api/v1/billable_metrics/requests"))
        .respond_with(metric("bm-requests", "count_agg", None))
        .mount(server)
        .await;
}

fn plan_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"plan": {"code": "pro"}}))
}

#[tokio::test]
async fn a_plan_version_is_created_with_its_metrics_made_once() -> TestResult {
    let lago = lago().await?;
    mount_metrics(&lago.server).await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/plans"))
        .respond_with(plan_answer())
        .mount(&lago.server)
        .await;

    lago.billing.upsert_plan(&pro(1, "49.90")?).await?;
    lago.billing.upsert_plan(&pro(2, "59")?).await?;

    assert_eq!(
        lago.calls().await,
        [
            "GET /api/v1/billable_metrics/input_tokens",
            "POST /api/v1/billable_metrics",
            "GET /api/v1/billable_metrics/requests",
            "PUT /api/v1/billable_metrics/requests",
            "POST /api/v1/plans",
            "POST /api/v1/plans",
        ]
    );
    let requests = lago.requests().await;
    requests.iter().for_each(assert_lago_headers);
    assert_eq!(
        body(&requests[1]),
        json!({"billable_metric": {
            "name": "input_tokens",
            "code": "input_tokens",
            "description": "Tollgate meter (LLM usage through the gateway)",
            "aggregation_type": "sum_agg",
            "field_name": "input_tokens",
            "recurring": false,
            "filters": [{"key": "status", "values": ["success", "failure"]}],
        }})
    );
    assert_eq!(
        body(&requests[3]),
        json!({"billable_metric": {"filters": [
            {"key": "region", "values": ["eu"]},
            {"key": "status", "values": ["success", "failure"]}]}})
    );
    let first = body(&requests[4]);
    assert_eq!(first["plan"]["code"], "pro");
    assert_eq!(first["plan"]["amount_cents"], 4990);
    assert_eq!(first["plan"]["amount_currency"], "EUR");
    assert_eq!(first["plan"]["pay_in_advance"], true);
    assert_eq!(first["plan"]["interval"], "monthly");
    // Input tokens bill successful calls only: failed ones match no filter and take the
    // charge's own zero price. Requests include failures: one price, no filter.
    assert_eq!(
        first["plan"]["charges"],
        json!([
            {
                "billable_metric_id": "bm-input",
                "charge_model": "standard",
                "pay_in_advance": false,
                "invoiceable": true,
                "prorated": false,
                "min_amount_cents": 0,
                "properties": {"amount": "0"},
                "filters": [{
                    "invoice_display_name": "input_tokens (successful calls)",
                    "properties": {"amount": "0.0000025"},
                    "values": {"status": ["success"]},
                }],
            },
            {
                "billable_metric_id": "bm-requests",
                "charge_model": "package",
                "pay_in_advance": false,
                "invoiceable": true,
                "prorated": false,
                "min_amount_cents": 0,
                "properties": {"amount": "0.5", "package_size": 1000, "free_units": 100},
                "filters": [],
            },
        ])
    );
    let second = body(&requests[5]);
    assert_eq!(second["plan"]["code"], "pro__v2");
    assert_eq!(second["plan"]["amount_cents"], 5900);
    Ok(())
}

#[tokio::test]
async fn a_version_lago_already_has_is_updated_in_place() -> TestResult {
    let lago = lago().await?;
    mount_metrics(&lago.server).await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/plans"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {"code": ["value_already_exist"]},
        })))
        .mount(&lago.server)
        .await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path("/api/v1/plans/pro__v3"))
        .respond_with(plan_answer())
        .expect(1)
        .mount(&lago.server)
        .await;

    lago.billing.upsert_plan(&pro(3, "49.90")?).await?;

    let requests = lago.requests().await;
    let (post, put) = (&requests[requests.len() - 2], &requests[requests.len() - 1]);
    assert_eq!(body(post), body(put));
    Ok(())
}

#[tokio::test]
async fn a_price_lago_cannot_hold_is_refused_before_any_call() -> TestResult {
    let lago = lago().await?;
    let reason = refused_reason(lago.billing.upsert_plan(&pro(1, "49.999")?).await);
    assert!(
        reason.contains("base fee 49.999 EUR has more decimals than EUR's 2"),
        "{reason}"
    );
    assert!(lago.requests().await.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_metric_of_the_same_code_that_counts_something_else_is_refused() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/billable_metrics/input_tokens"))
        .respond_with(metric("bm-x", "max_agg", Some("tokens")))
        .mount(&lago.server)
        .await;

    let reason = refused_reason(lago.billing.upsert_plan(&pro(1, "10")?).await);
    assert_eq!(
        reason,
        "Lago's billable metric `input_tokens` is max_agg over tokens, but Tollgate bills it as \
         sum_agg over `input_tokens`"
    );
    let calls: Vec<String> = lago.calls().await;
    assert!(!calls.iter().any(|c| c.contains("/plans")), "{calls:?}");
    Ok(())
}

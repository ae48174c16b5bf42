//! `/api/billing/plans`.

mod lifecycle;
mod precision;

use reqwest::Method;
use serde_json::{Value, json};

use super::{OTHER_KEY, READ_KEY, WRITE_KEY, api_key};
use crate::{
    helpers::TestApp,
    identity::support::{call, create_org, expect_error, expect_status, send},
};

pub const PLANS: &str = "/api/billing/plans";

/// A USD monthly plan `code` with a base fee of `fee` and a charge of every pricing model.
pub fn plan(code: &str, fee: &str) -> Value {
    json!({
        "code": code,
        "name": format!("Plan {code}"),
        "description": "LLM usage, billed monthly",
        "interval": "monthly",
        "currency": "USD",
        "base_fee": { "amount": fee, "timing": "in_advance" },
        "trial_days": 0,
        "minimum_commitment": "100.00",
        "charges": [
            { "meter": "input_tokens", "free_units": "100000", "minimum": "5.00",
              "model": { "type": "per_unit", "unit_price": "0.0000025" } },
            { "meter": "output_tokens",
              "model": { "type": "graduated", "tiers": [
                  { "up_to": "1000000", "unit_price": "0.00001" },
                  { "up_to": null, "unit_price": "0.000008" } ] } },
            { "meter": "cached_tokens",
              "model": { "type": "volume", "tiers": [
                  { "from": "0", "up_to": "500", "unit_price": "0.001" },
                  { "from": "500", "up_to": null, "unit_price": "0.0005" } ] } },
            { "meter": "requests", "include_failures": true,
              "model": { "type": "package", "size": "1000", "price": "0.50" } },
            { "meter": "cost_usd",
              "model": { "type": "percentage_markup", "percent": "20" } }
        ]
    })
}

pub async fn writer() -> TestApp {
    let app = TestApp::spawn().await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

pub async fn create_plan(app: &TestApp, body: &Value) -> reqwest::Response {
    send(call(app, Method::POST, PLANS, WRITE_KEY).json(body)).await
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count_where("audit_log", &format!("action = '{action}'"))
        .await
}

/// Plans, versions and `plan.*` audit records: what a refused request must leave alone.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("billing_plans").await,
        app.count("billing_plan_versions").await,
        app.count_where("audit_log", "action LIKE 'plan.%'").await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_created_listed_shown_and_versioned() {
    let app = writer().await;
    api_key(&app, "default", READ_KEY, "billing:read").await;
    let (_, created) = expect_status(create_plan(&app, &plan("pro", "49.00")).await, 201).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["code"], "pro");
    assert_eq!(created["version"], 1);
    assert_eq!(created["interval"], "monthly");
    assert_eq!(created["currency"], "USD");
    // Every amount comes back as the exact decimal string it went in as.
    assert_eq!(
        created["base_fee"],
        json!({ "amount": "49.00", "timing": "in_advance" })
    );
    assert_eq!(created["minimum_commitment"], "100.00");
    let charges = created["charges"].as_array().expect("charges");
    assert_eq!(charges.len(), 5);
    assert_eq!(charges[0]["model"]["unit_price"], "0.0000025");
    assert_eq!(charges[0]["free_units"], "100000");
    assert_eq!(
        charges[1]["model"]["tiers"][1],
        json!({ "up_to": null, "unit_price": "0.000008" })
    );
    assert_eq!(charges[2]["model"]["type"], "volume");
    assert_eq!(
        charges[3]["model"],
        json!({ "type": "package", "size": "1000", "price": "0.50" })
    );
    assert_eq!(
        charges[4]["model"],
        json!({ "type": "percentage_markup", "percent": "20" })
    );
    // Failed calls are billed only where asked for, and that is said on every charge.
    let include_failures: Vec<&Value> = charges.iter().map(|c| &c["include_failures"]).collect();
    assert_eq!(include_failures, [false, false, false, true, false]);
    // Stored in the documented format, amounts as strings.
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT definition->'charges'->0->'model'->>'unit_price' AS value FROM billing_plan_versions
             WHERE plan_id = '{id}'"
        ))
        .await
        .as_deref(),
        Some("0.0000025")
    );

    expect_status(create_plan(&app, &plan("team", "99")).await, 201).await;
    let (_, page) = expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("{PLANS}?limit=1"),
            READ_KEY,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(page["data"].as_array().expect("a list").len(), 1);
    assert_eq!(page["data"][0]["code"], "pro");
    let next = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, rest) = expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("{PLANS}?cursor={next}"),
            READ_KEY,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(rest["data"][0]["code"], "team");
    assert_eq!(rest["next_cursor"], Value::Null);

    // A new version: the whole plan again, without its code.
    let path = format!("{PLANS}/{id}");
    let mut dearer = plan("pro", "59.00");
    dearer.as_object_mut().expect("an object").remove("code");
    dearer["name"] = json!("Pro 2026");
    let (_, updated) = expect_status(
        send(call(&app, Method::PUT, &path, WRITE_KEY).json(&dearer)).await,
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["base_fee"]["amount"], "59.00");
    assert_eq!(updated["created_at"], created["created_at"]);
    let (_, shown) = expect_status(send(call(&app, Method::GET, &path, READ_KEY)).await, 200).await;
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["name"], "Pro 2026");
    let versions: Vec<(i64, &str)> = shown["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("a number"),
                v["name"].as_str().expect("a name"),
            )
        })
        .collect();
    assert_eq!(versions, [(1, "Plan pro"), (2, "Pro 2026")]);
    // Version 1 is still there, unchanged.
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT definition->'base_fee'->>'amount' AS value FROM billing_plan_versions
             WHERE plan_id = '{id}' AND version = 1"
        ))
        .await
        .as_deref(),
        Some("49.00")
    );

    assert_eq!(audit_count(&app, "plan.create").await, 2);
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'plan.update' AND target = 'plan:{id}' AND actor LIKE 'api_key:%'"),
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_plans_get_their_code_and_write_nothing() {
    let app = writer().await;
    let (_, created) = expect_status(create_plan(&app, &plan("pro", "49.00")).await, 201).await;
    let path = format!("{PLANS}/{}", created["id"].as_str().expect("an id"));
    let before = written(&app).await;

    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = plan("other", "10");
        change(&mut body);
        body
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (plan("pro", "1"), 409, "plan_exists"),
        (
            with(&|b| b["base_fee"]["amount"] = json!("-1")),
            422,
            "negative_value",
        ),
        (
            with(&|b| b["charges"][0]["model"]["unit_price"] = json!("-0.01")),
            422,
            "negative_value",
        ),
        (
            with(&|b| b["charges"][2]["model"]["tiers"][1]["from"] = json!("600")),
            422,
            "invalid_tiers",
        ),
        (
            with(&|b| b["charges"][1]["model"]["tiers"][1]["up_to"] = json!("5")),
            422,
            "invalid_tiers",
        ),
        (
            with(&|b| b["currency"] = json!("XXX")),
            422,
            "unknown_currency",
        ),
        (
            with(&|b| b["interval"] = json!("weekly")),
            422,
            "invalid_value",
        ),
        (
            with(&|b| b["code"] = json!("no spaces")),
            422,
            "invalid_value",
        ),
        (
            with(&|b| b["charges"][0]["meter"] = json!("bananas")),
            422,
            "invalid_value",
        ),
        (
            with(&|b| b["charges"][1]["meter"] = json!("input_tokens")),
            422,
            "invalid_value",
        ),
        (
            with(&|b| b["minimum_commitment"] = json!("lots")),
            422,
            "not_a_number",
        ),
        (
            with(&|b| b["trial_days"] = json!(400)),
            422,
            "invalid_value",
        ),
        // A markup needs the LLM cost's currency.
        (
            with(&|b| b["currency"] = json!("EUR")),
            422,
            "currency_mismatch",
        ),
        (with(&|b| b["name"] = json!("")), 422, "invalid_request"),
    ];
    for (body, status, code) in cases {
        expect_error(create_plan(&app, &body).await, status, code).await;
    }
    // Amounts are strings: a JSON number is refused before anything is read.
    let (status, _) = crate::helpers::status_and_json(
        create_plan(&app, &with(&|b| b["base_fee"]["amount"] = json!(10.5))).await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = crate::helpers::status_and_json(
        create_plan(&app, &with(&|b| b["colour"] = json!("red"))).await,
    )
    .await;
    assert_eq!(status, 400);
    // `include_failures` is a boolean, never a word that might mean yes.
    let (status, _) = crate::helpers::status_and_json(
        create_plan(
            &app,
            &with(&|b| b["charges"][3]["include_failures"] = json!("yes")),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);

    // A new version keeps the currency and the interval.
    let mut euros = plan("pro", "49");
    euros["currency"] = json!("EUR");
    euros["charges"] = json!([]);
    expect_error(
        send(call(&app, Method::PUT, &path, WRITE_KEY).json(&euros)).await,
        422,
        "currency_mismatch",
    )
    .await;
    let mut yearly = plan("pro", "49");
    yearly["interval"] = json!("yearly");
    expect_error(
        send(call(&app, Method::PUT, &path, WRITE_KEY).json(&yearly)).await,
        422,
        "invalid_value",
    )
    .await;
    let renamed = plan("renamed", "49");
    expect_error(
        send(call(&app, Method::PUT, &path, WRITE_KEY).json(&renamed)).await,
        422,
        "invalid_value",
    )
    .await;

    assert_eq!(
        written(&app).await,
        before,
        "nothing written for a refused request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organizations_plans_are_not_found_and_readers_cannot_write() {
    let app = writer().await;
    create_org(&app, "globex").await;
    api_key(&app, "globex", OTHER_KEY, "billing:read,billing:write").await;
    api_key(&app, "default", READ_KEY, "billing:read").await;
    let (_, created) = expect_status(create_plan(&app, &plan("pro", "49.00")).await, 201).await;
    let path = format!("{PLANS}/{}", created["id"].as_str().expect("an id"));

    expect_error(
        send(call(&app, Method::GET, &path, OTHER_KEY)).await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        send(call(&app, Method::PUT, &path, OTHER_KEY).json(&plan("pro", "1"))).await,
        404,
        "not_found",
    )
    .await;
    let (_, list) = expect_status(send(call(&app, Method::GET, PLANS, OTHER_KEY)).await, 200).await;
    assert_eq!(list["data"], json!([]));
    // The same code is free in another organization.
    expect_status(
        send(call(&app, Method::POST, PLANS, OTHER_KEY).json(&plan("pro", "5"))).await,
        201,
    )
    .await;
    expect_error(
        send(call(&app, Method::POST, PLANS, READ_KEY).json(&plan("x", "5"))).await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("{PLANS}/not-a-uuid"),
            READ_KEY,
        ))
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.count("billing_plans").await, 2);
}

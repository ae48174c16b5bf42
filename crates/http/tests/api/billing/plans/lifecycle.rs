//! A plan's life after its creation: new versions state every charge, its versions are listed,
//! and archiving it stops new subscriptions while running ones go on.

use reqwest::Method;
use serde_json::{Value, json};

use super::{PLANS, READ_KEY, WRITE_KEY, api_key, create_plan, plan, writer};
use crate::{
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, send},
};

async fn get(app: &TestApp, path: &str, bearer: &str) -> reqwest::Response {
    send(call(app, Method::GET, path, bearer)).await
}

async fn customer(app: &TestApp, external_id: &str) -> Value {
    let body = json!({
        "external_id": external_id,
        "name": external_id,
        "billing_email": "billing@example.com",
        "currency": "USD"
    });
    let request = call(app, Method::POST, "/api/billing/customers", WRITE_KEY).json(&body);
    expect_status(send(request).await, 201).await.1["id"].clone()
}

async fn subscribe(app: &TestApp, customer: &Value) -> reqwest::Response {
    let body = json!({ "customer_id": customer, "plan_code": "pro" });
    send(call(app, Method::POST, "/api/billing/subscriptions", WRITE_KEY).json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_states_its_charges_and_every_version_is_listed() {
    let app = writer().await;
    api_key(&app, "default", READ_KEY, "billing:read").await;
    let (_, created) = expect_status(create_plan(&app, &plan("pro", "49.00")).await, 201).await;
    let path = format!("{PLANS}/{}", created["id"].as_str().expect("an id"));

    // Without `charges`, the version would bill no usage at all from the next renewal on.
    let mut silent = plan("pro", "59.00");
    silent.as_object_mut().expect("an object").remove("charges");
    let request = call(&app, Method::PUT, &path, WRITE_KEY).json(&silent);
    let (_, refused) = expect_status(send(request).await, 422).await;
    assert_eq!(refused["error"]["code"], "charges_required", "{refused}");
    assert_eq!(
        app.count("billing_plan_versions").await,
        1,
        "no version made"
    );

    // An empty list is a choice: a version with the base fee alone.
    let mut fee_only = plan("pro", "59.00");
    fee_only["charges"] = json!([]);
    let request = call(&app, Method::PUT, &path, WRITE_KEY).json(&fee_only);
    let (_, updated) = expect_status(send(request).await, 200).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["charges"], json!([]));

    // By code or by id, for readers too: each version in full, oldest first.
    for key in ["pro", created["id"].as_str().expect("an id")] {
        let (_, listed) = expect_status(
            get(&app, &format!("{PLANS}/{key}/versions"), READ_KEY).await,
            200,
        )
        .await;
        let versions = listed["data"].as_array().expect("a list");
        assert_eq!(versions.len(), 2, "{listed}");
        assert_eq!(versions[0]["version"], 1);
        assert_eq!(versions[0]["base_fee"]["amount"], "49.00");
        assert_eq!(versions[0]["charges"].as_array().map(Vec::len), Some(5));
        assert_eq!(versions[1]["version"], 2);
        assert_eq!(versions[1]["base_fee"]["amount"], "59.00");
        assert_eq!(versions[1]["charges"], json!([]));
    }
    expect_error(
        get(&app, &format!("{PLANS}/gold/versions"), READ_KEY).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_plan_takes_no_new_subscription_and_running_ones_go_on() {
    let app = writer().await;
    api_key(&app, "default", READ_KEY, "billing:read").await;
    expect_status(create_plan(&app, &plan("pro", "49.00")).await, 201).await;
    let first = customer(&app, "first").await;
    let (_, running) = expect_status(subscribe(&app, &first).await, 201).await;

    let archive = format!("{PLANS}/pro/archive");
    expect_error(
        send(call(&app, Method::POST, &archive, READ_KEY)).await,
        403,
        "forbidden",
    )
    .await;
    let (_, archived) = expect_status(
        send(call(&app, Method::POST, &archive, WRITE_KEY)).await,
        200,
    )
    .await;
    let archived_at = archived["archived_at"].clone();
    assert!(archived_at.is_string(), "{archived}");
    assert_eq!(
        app.count_where("audit_log", "action = 'plan.archive'")
            .await,
        1
    );
    // Archiving again changes nothing: the first time stays.
    let (_, again) = expect_status(
        send(call(&app, Method::POST, &archive, WRITE_KEY)).await,
        200,
    )
    .await;
    assert_eq!(again["archived_at"], archived_at);

    let second = customer(&app, "second").await;
    let (_, refused) = expect_status(subscribe(&app, &second).await, 422).await;
    assert_eq!(refused["error"]["code"], "plan_archived", "{refused}");
    assert_eq!(app.count("billing_subscriptions").await, 1);

    let path = format!(
        "/api/billing/subscriptions/{}",
        running["id"].as_str().expect("an id")
    );
    let (_, shown) = expect_status(get(&app, &path, WRITE_KEY).await, 200).await;
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["plan"]["plan_code"], "pro");
    let (_, plan_now) = expect_status(
        get(&app, &format!("{PLANS}/pro/versions"), READ_KEY).await,
        200,
    )
    .await;
    assert_eq!(plan_now["data"].as_array().map(Vec::len), Some(1));
}

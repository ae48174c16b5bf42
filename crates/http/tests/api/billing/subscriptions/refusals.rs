//! Refused requests write nothing; races and other organizations are kept apart.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_get_their_code_and_write_nothing() {
    let (app, acme) = shop().await;
    let euro_customer = customer(&app, WRITE_KEY, "euro", "EUR").await;
    let mut yearly = plan("yearly", "100.00");
    yearly["interval"] = json!("yearly");
    expect_status(create_plan(&app, &yearly).await, 201).await;
    expect_status(create_plan(&app, &plan("cheap", "9.99")).await, 201).await;
    let body = json!({ "customer_id": acme, "plan_code": "basic", "external_id": "sub-acme" });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    let path = format!("{SUBSCRIPTIONS}/{}", created["id"].as_str().expect("an id"));
    let before = written(&app).await;

    let refused = [
        (
            json!({ "customer_id": acme, "plan_code": "gold" }),
            422,
            "unknown_plan",
        ),
        (
            json!({ "customer_id": "0190a1b2-0000-7000-8000-000000000000", "plan_code": "basic" }),
            422,
            "unknown_customer",
        ),
        (
            json!({ "customer_id": euro_customer, "plan_code": "basic" }),
            422,
            "currency_mismatch",
        ),
        (
            json!({ "customer_id": acme, "plan_code": "pro" }),
            409,
            "subscription_exists",
        ),
        (
            json!({ "customer_id": euro_customer, "plan_code": "basic", "starts_at": "2020-01-01T00:00:00Z" }),
            422,
            "invalid_value",
        ),
        (
            json!({ "customer_id": acme, "plan_code": "no spaces" }),
            422,
            "invalid_value",
        ),
    ];
    for (body, status, code) in refused {
        expect_error(subscribe(&app, WRITE_KEY, &body).await, status, code).await;
    }
    let (status, _) = crate::helpers::status_and_json(
        subscribe(
            &app,
            WRITE_KEY,
            &json!({ "customer_id": acme, "plan_code": "basic", "x": 1 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused");

    expect_error(
        change(&app, &path, "upgrade", "basic").await,
        422,
        "same_plan",
    )
    .await;
    expect_error(
        change(&app, &path, "downgrade", "basic").await,
        422,
        "same_plan",
    )
    .await;
    expect_error(
        change(&app, &path, "upgrade", "yearly").await,
        422,
        "invalid_value",
    )
    .await;
    // 9.99 a month is cheaper than basic's 10.00: a downgrade, never prorated at once.
    let (_, refused) = expect_status(change(&app, &path, "upgrade", "cheap").await, 422).await;
    assert_eq!(refused["error"]["code"], "not_an_upgrade", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("119.88 USD a year")),
        "{refused}"
    );
    expect_error(
        change(&app, &path, "upgrade", "gold").await,
        422,
        "unknown_plan",
    )
    .await;

    assert_eq!(
        written(&app).await,
        before,
        "nothing written for a refused request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_creates_for_one_customer_make_one_subscription() {
    let (app, acme) = shop().await;
    let body = json!({ "customer_id": acme, "plan_code": "basic" });
    let (first, second) = tokio::join!(
        subscribe(&app, WRITE_KEY, &body),
        subscribe(&app, WRITE_KEY, &body)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let loser = if first.status().as_u16() == 409 {
        first
    } else {
        second
    };
    expect_error(loser, 409, "subscription_exists").await;
    assert_eq!(written(&app).await, (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organizations_subscriptions_and_customers_are_not_found() {
    let (app, acme) = shop().await;
    create_org(&app, "globex").await;
    api_key(&app, "globex", OTHER_KEY, "billing:read,billing:write").await;
    let body = json!({ "customer_id": acme, "plan_code": "basic" });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    let path = format!("{SUBSCRIPTIONS}/{}", created["id"].as_str().expect("an id"));

    expect_error(
        send(call(&app, Method::GET, &path, OTHER_KEY)).await,
        404,
        "not_found",
    )
    .await;
    for action in ["upgrade", "downgrade", "terminate"] {
        let request = call(&app, Method::POST, &format!("{path}/{action}"), OTHER_KEY)
            .json(&json!({ "plan_code": "basic" }));
        let request = if action == "terminate" {
            call(&app, Method::POST, &format!("{path}/{action}"), OTHER_KEY)
        } else {
            request
        };
        expect_error(send(request).await, 404, "not_found").await;
    }
    // Globex has a `basic` plan too, but acme is not its customer.
    expect_status(
        send(call(&app, Method::POST, PLANS, OTHER_KEY).json(&plan("basic", "1.00"))).await,
        201,
    )
    .await;
    expect_error(
        subscribe(&app, OTHER_KEY, &body).await,
        422,
        "unknown_customer",
    )
    .await;
    let (_, list) = expect_status(
        send(call(&app, Method::GET, SUBSCRIPTIONS, OTHER_KEY)).await,
        200,
    )
    .await;
    assert_eq!(list["data"], json!([]));
    assert_eq!(
        phases(&app, created["id"].as_str().expect("an id")).await,
        ["basic v1 created open"]
    );
}

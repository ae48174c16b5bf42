//! The stand-in refuses what Stripe refuses, so a test passing against it means the adapter
//! sent what Stripe accepts.

use serde_json::Value;

use super::{
    TestResult,
    stripe_stand_in::{SECRET_KEY, StripeStandIn},
};

/// A raw POST of `form` with `key`, as the adapter would send it.
async fn post(
    stand_in: &StripeStandIn,
    path: &str,
    form: &str,
    key: Option<&str>,
    version: &str,
) -> Result<(u16, Option<String>, Value), Box<dyn std::error::Error>> {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", stand_in.uri()))
        .bearer_auth(SECRET_KEY)
        .header("Stripe-Version", version)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let answer = request.send().await?;
    let status = answer.status().as_u16();
    let replayed = answer
        .headers()
        .get("idempotent-replayed")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    Ok((status, replayed, answer.json().await?))
}

const VERSION: &str = "2026-10-28.endive";

#[tokio::test]
async fn unknown_missing_and_out_of_enum_parameters_are_400_invalid_request_errors() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    for (path, form, code, param) in [
        (
            "/v1/customers",
            "emial=a%40b.c",
            "parameter_unknown",
            "emial",
        ),
        (
            "/v1/payment_intents",
            "currency=usd&payment_method_types[0]=card",
            "parameter_unknown",
            "payment_method_types",
        ),
        (
            "/v1/payment_intents",
            "currency=usd",
            "parameter_missing",
            "amount",
        ),
        (
            "/v1/payment_intents",
            "amount=12.5&currency=usd",
            "parameter_invalid_integer",
            "amount",
        ),
        (
            "/v1/refunds",
            "payment_intent=pi_1&reason=because",
            "parameter_invalid_string",
            "reason",
        ),
        (
            "/v1/checkout/sessions",
            &format!("customer={customer}&mode=subscriptions"),
            "parameter_invalid_string",
            "mode",
        ),
        (
            "/v1/checkout/sessions",
            "line_items[1][quantity]=1",
            "parameter_invalid_type",
            "line_items",
        ),
    ] {
        let (status, _, body) = post(&stand_in, path, form, Some("k:1"), VERSION).await?;
        assert_eq!(status, 400, "{form}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{form}");
        assert_eq!(body["error"]["code"], code, "{form}: {body}");
        assert_eq!(body["error"]["param"], param, "{form}: {body}");
    }
    Ok(())
}

#[tokio::test]
async fn a_key_replays_its_first_answer_and_refuses_another_body() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let (status, replayed, first) = post(
        &stand_in,
        "/v1/customers",
        "name=Ann",
        Some("cus:1"),
        VERSION,
    )
    .await?;
    assert_eq!((status, replayed), (200, None));
    let (status, replayed, again) = post(
        &stand_in,
        "/v1/customers",
        "name=Ann",
        Some("cus:1"),
        VERSION,
    )
    .await?;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(first["id"], again["id"]);
    let (status, _, other) = post(
        &stand_in,
        "/v1/customers",
        "name=Bob",
        Some("cus:1"),
        VERSION,
    )
    .await?;
    assert_eq!(status, 400);
    assert_eq!(other["error"]["type"], "idempotency_error");
    // A refused request stores nothing: the key is still free for a valid one.
    let (status, _, _) = post(&stand_in, "/v1/customers", "nam=Cy", Some("cus:2"), VERSION).await?;
    assert_eq!(status, 400);
    let (status, replayed, _) = post(
        &stand_in,
        "/v1/customers",
        "name=Cy",
        Some("cus:2"),
        VERSION,
    )
    .await?;
    assert_eq!((status, replayed), (200, None));
    Ok(())
}

#[tokio::test]
async fn a_post_without_a_key_or_with_another_version_or_key_is_refused() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let (status, _, body) = post(&stand_in, "/v1/customers", "name=Ann", None, VERSION).await?;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = post(
        &stand_in,
        "/v1/customers",
        "name=Ann",
        Some("k"),
        "2026-06-24.dahlia",
    )
    .await?;
    assert_eq!(status, 400, "{body}");
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/events", stand_in.uri()))
        .bearer_auth("sk_test_other")
        .header("Stripe-Version", VERSION)
        .send()
        .await?;
    assert_eq!(answer.status().as_u16(), 401);
    Ok(())
}

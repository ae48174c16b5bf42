//! Plan amounts are stored to the digit or refused: never rounded, never silently zero.

use serde_json::{Value, json};

use reqwest::Method;

use super::{PLANS, WRITE_KEY, create_plan, plan, writer};
use crate::identity::support::{call, expect_status, send};

const TOO_PRECISE: &str = "0.000000000000000000000000000001";

/// What one case changes in a valid plan body.
type Setter = Box<dyn Fn(&mut Value)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plan_amount_with_more_digits_than_a_decimal_holds_is_refused_as_too_precise() {
    let app = writer().await;
    let setters: Vec<(&str, Setter)> = vec![
        (
            "unit price",
            Box::new(|b| b["charges"][0]["model"]["unit_price"] = json!(TOO_PRECISE)),
        ),
        (
            "tier price",
            Box::new(|b| b["charges"][1]["model"]["tiers"][0]["unit_price"] = json!(TOO_PRECISE)),
        ),
        (
            "package price",
            Box::new(|b| b["charges"][3]["model"]["price"] = json!(TOO_PRECISE)),
        ),
        (
            "base fee",
            Box::new(|b| b["base_fee"]["amount"] = json!("49.000000000000000000000000000001")),
        ),
        (
            "minimum",
            Box::new(|b| b["charges"][0]["minimum"] = json!(TOO_PRECISE)),
        ),
        (
            "minimum commitment",
            Box::new(|b| b["minimum_commitment"] = json!("1e-30")),
        ),
        (
            "markup",
            Box::new(|b| b["charges"][4]["model"]["percent"] = json!(TOO_PRECISE)),
        ),
    ];
    for (what, set) in setters {
        let mut body = plan("precise", "49.00");
        set(&mut body);
        let response = create_plan(&app, &body).await;
        let (_, answer) = expect_status(response, 422).await;
        assert_eq!(answer["error"]["code"], "too_precise", "{what}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("28 decimal places"), "{what}: {message}");
    }
    assert_eq!(app.count("billing_plans").await, 0, "nothing stored");

    // Twenty-eight places fit, and trailing zeros are not precision: stored to the digit.
    let mut body = plan("precise", "49.000000000000000000000000000000");
    body["charges"][0]["model"]["unit_price"] = json!("0.0000000000000000000000000001");
    let (_, created) = expect_status(create_plan(&app, &body).await, 201).await;
    assert_eq!(
        created["charges"][0]["model"]["unit_price"],
        "0.0000000000000000000000000001"
    );
    let path = format!("{PLANS}/{}", created["id"].as_str().expect("an id"));
    let (_, shown) =
        expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(shown["base_fee"]["amount"], created["base_fee"]["amount"]);
}

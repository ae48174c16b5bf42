//! The Dashboard page `/` over plain HTTP: its periods (offered and custom, bad input
//! re-rendered with 400 and the field's message), its figures from seeded events, and its
//! sections failing one by one when their upstream does.

use std::time::Duration;

use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{page, sign_in};
use crate::helpers::{TestApp, USAGE_SINGLE};

/// The captured successful call, moved to `minutes_ago` and given a model, customer and cost.
pub fn call(model: &str, customer: &str, cost: f64, minutes_ago: i64) -> Value {
    let mut event: Value = serde_json::from_slice(USAGE_SINGLE).expect("fixture is JSON");
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(minutes_ago)).timestamp();
    event["litellm_call_id"] = Value::String(uuid::Uuid::new_v4().to_string());
    event["id"] = Value::String(uuid::Uuid::new_v4().to_string());
    event["model_group"] = Value::String(model.to_owned());
    event["end_user"] = Value::String(customer.to_owned());
    event["metadata"]["user_api_key_end_user_id"] = Value::String(customer.to_owned());
    event["response_cost"] = serde_json::json!(cost);
    event["startTime"] = serde_json::json!(at);
    event["endTime"] = serde_json::json!(at + 1);
    event
}

/// The page once `needle` shows on it (usage is metered asynchronously).
async fn page_showing(app: &TestApp, cookie: &str, path: &str, needle: &str) -> String {
    let mut html = String::new();
    for _ in 0..80 {
        html = page(app, cookie, path).await.text().await.expect("a body");
        if html.contains(needle) {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never showed {needle:?}: {html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_offered_period_opens_and_a_custom_one_is_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    for (value, label) in [
        ("today", "Today"),
        ("7d", "Last 7 days"),
        ("30d", "Last 30 days"),
        ("mtd", "Month to date"),
        ("last-month", "Last month"),
    ] {
        let answer = page(&app, &cookie, &format!("/?period={value}")).await;
        assert_eq!(answer.status(), 200, "{value}");
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(&format!("aria-current=\"true\">{label}</a>")),
            "{value}: {html}"
        );
    }

    let answer = page(
        &app,
        &cookie,
        "/?period=custom&from=2026-11-02&to=2026-11-01",
    )
    .await;
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("The last day must not be before the first."),
        "{html}"
    );
    // What was typed stays in the form, the field points at its message.
    assert!(
        html.contains("name=\"from\" value=\"2026-11-02\""),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"period-to-error\""),
        "{html}"
    );

    let answer = page(&app, &cookie, "/?period=custom&from=someday&to=").await;
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    assert!(html.contains("Enter a date as YYYY-MM-DD."), "{html}");
    assert!(html.contains("Enter a date."), "{html}");

    let answer = page(&app, &cookie, "/?period=mtd&tz=Mars%2FOlympus").await;
    assert_eq!(answer.status(), 400);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("time zone is unknown")
    );

    let answer = page(
        &app,
        &cookie,
        "/?period=custom&from=2026-11-01&to=2026-11-30&tz=Europe%2FParis",
    )
    .await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("2026-11-01 00:00 – 2026-12-01 00:00 (Europe/Paris)"),
        "{html}"
    );
    // The offered periods keep the time zone.
    assert!(
        html.contains("href=\"/?period=7d&#38;tz=Europe%2FParis\""),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_calls_show_as_cards_a_daily_chart_and_the_top_customers_and_models() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    // The three calls fall on one UTC day, yesterday's when today is younger than they are
    // (the daily chart's cell adds them up), and within the last 7 days' window.
    let now = chrono::Utc::now();
    let into_today = i64::from(chrono::Timelike::num_seconds_from_midnight(&now.time()) / 60);
    let shift = if into_today < 35 { into_today + 1 } else { 0 };
    let calls = vec![
        call("gpt-4o", "acme", 1.25, 30 + shift),
        call("gpt-4o", "acme", 0.75, 20 + shift),
        call("claude-haiku", "globex", 0.5, 10 + shift),
    ];
    let accepted = app
        .post_usage(serde_json::to_vec(&calls).unwrap(), "application/json")
        .await;
    assert_eq!(accepted.status(), 202);
    let html = page_showing(&app, &cookie, "/?period=7d", "3 requests this period").await;
    // The cost card: $2.50 exactly, new against an empty previous period.
    assert!(html.contains("title=\"2.5\">$2.50</dd>"), "{html}");
    assert!(html.contains("<dd class=\"change up\">new"), "{html}");
    for label in [
        "Input tokens",
        "Cached tokens",
        "Reasoning tokens",
        "Error rate",
        "Cache savings",
        "Month-end projection",
    ] {
        assert!(html.contains(label), "{label}: {html}");
    }
    // Stacked by model, with the figures in a table.
    assert!(
        html.contains("class=\"chart chart-stacked-bars\""),
        "{html}"
    );
    assert!(
        html.contains("<th scope=\"col\" class=\"num\">gpt-4o</th>"),
        "{html}"
    );
    assert!(html.contains("<td class=\"num\">2.00</td>"), "{html}");
    // Top customers, costliest first.
    let acme = html
        .find("<th scope=\"row\">acme</th>")
        .expect("acme ranked");
    let globex = html
        .find("<th scope=\"row\">globex</th>")
        .expect("globex ranked");
    assert!(acme < globex);
    // Nothing invoiced in the embedded ledger yet; the owner sees the delivery badge.
    assert!(html.contains("No invoice was finalized"), "{html}");
    assert!(html.contains("class=\"badge"), "{html}");

    // A viewer sees the figures but not the delivery backlog.
    let viewer = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let html = page(&app, &viewer, "/?period=7d")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("title=\"2.5\">$2.50</dd>"), "{html}");
    assert!(!html.contains("class=\"badge"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn when_openmeter_fails_only_its_sections_say_so() {
    let openmeter = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex(r"^/api/v1/meters/[a-z_]+/query$"))
        .respond_with(ResponseTemplate::new(503).set_body_string("openmeter-internal-detail"))
        .mount(&openmeter)
        .await;
    let url = openmeter.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.delivery.run_in_server = false;
        settings.openmeter.url = url;
        settings.openmeter.request_timeout_ms = 300;
        // Lago: nothing keeps the embedded rollups current, so nothing stands in for OpenMeter.
        settings.lago.url = "http://127.0.0.1:9".into();
        settings.lago.api_key = Some(secrecy::SecretString::from("lago-test-key"));
    })
    .await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "owner"]).await;
    let accepted = app
        .post_usage(
            serde_json::to_vec(&vec![call("gpt-4o", "acme", 1.0, 5)]).unwrap(),
            "application/json",
        )
        .await;
    assert_eq!(accepted.status(), 202);

    let answer = page(&app, &cookie, "/?period=today").await;
    assert_eq!(
        answer.status(),
        200,
        "a failing section does not fail the page"
    );
    let html = answer.text().await.unwrap();
    let usage = &html[html.find("id=\"usage\"").expect("the usage section")..];
    assert!(usage.contains("OpenMeter"), "{html}");
    assert!(!html.contains("openmeter-internal-detail"), "{html}");
    // The rest of the page is there: the periods, the billing section, the delivery backlog
    // (nothing delivered: no dispatcher runs).
    assert!(html.contains("aria-current=\"true\">Today"), "{html}");
    // Lago is the billing engine: its section says why it has no summary, on its own.
    let billing = &html[html.find("id=\"billing\"").expect("the billing section")..];
    assert!(
        billing.contains("Lago is the billing engine here"),
        "{html}"
    );
    assert!(html.contains("waiting for delivery"), "{html}");
}

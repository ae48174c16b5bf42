//! The Dashboard page with figures: seeded LiteLLM calls show as cards, the daily chart and
//! the top lists; the period changes by its links and by the custom form (a bad one is
//! refused with the field's message); every staff role sees it, owners and admins with the
//! delivery backlog.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    app::App,
    audit::check_page,
    browser::Tab,
    steps::{arrive, click, open, sign_in, status_is, text},
};

const CAPTURE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json"
));

/// The captured call, `minutes_ago`, for `model` and `customer` at `cost` USD.
fn call(model: &str, customer: &str, cost: &str, minutes_ago: i64) -> Value {
    let mut event: Value = serde_json::from_slice(CAPTURE).expect("the capture is JSON");
    let at = (chrono::Utc::now() - chrono::TimeDelta::minutes(minutes_ago)).timestamp();
    event["litellm_call_id"] = json!(uuid::Uuid::new_v4().to_string());
    event["id"] = json!(uuid::Uuid::new_v4().to_string());
    event["model_group"] = json!(model);
    event["end_user"] = json!(customer);
    event["metadata"]["user_api_key_end_user_id"] = json!(customer);
    event["response_cost"] = serde_json::from_str(cost).expect("a number");
    event["startTime"] = json!(at);
    event["endTime"] = json!(at + 1);
    event
}

/// Calls over the last days, several models and customers, so every chart has something.
fn seed() -> Value {
    let mut calls = Vec::new();
    let models = ["gpt-4o", "claude-haiku", "mistral-small"];
    let customers = ["acme", "globex", "initech"];
    for day in 0..6_i64 {
        for (n, model) in models.iter().enumerate() {
            let customer = customers[(n + usize::try_from(day).unwrap_or(0)) % 3];
            let cost = format!("0.{}{}", 3 + n, day);
            calls.push(call(model, customer, &cost, day * 24 * 60 + 5));
        }
    }
    Value::Array(calls)
}

pub async fn with_figures(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    // A new organization sees the next step, not empty cards and charts.
    sign_in(app, tab, "owner").await?;
    if text(tab, "#litellm-snippet").await.is_empty() || !text(tab, "#usage").await.is_empty() {
        return Err("a new organization is not shown the LiteLLM snippet alone".into());
    }
    let mut found = check_page(tab, "dashboard-empty", "owner").await;

    let status = app.send_events(&seed()).await;
    if status != 202 {
        return Err(format!("the webhook answered {status}"));
    }
    // Metering is asynchronous: wait for the calls to be counted.
    for _ in 0..60 {
        open(tab, &app.url("/?period=7d"), "/?period=7d").await?;
        if text(tab, "#usage").await.contains("18 requests") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let usage = text(tab, "#usage").await;
    if !usage.contains("18 requests") {
        return Err(format!("the usage section says {usage:?}"));
    }
    for needle in ["gpt-4o", "claude-haiku", "mistral-small"] {
        if !text(tab, "#daily").await.contains(needle) {
            return Err(format!("the daily chart does not name {needle}"));
        }
    }
    if !text(tab, "#top-customers").await.contains("acme") {
        return Err("acme is not among the top customers".into());
    }
    if text(tab, ".page-heading .badge").await.is_empty() {
        return Err("the owner is not shown the delivery backlog".into());
    }
    found.extend(check_page(tab, "dashboard-figures", "owner").await);

    // Another period by its link: the link is marked current, the URL says which.
    click(tab, ".periods a[href='/?period=today']").await?;
    arrive(tab, "/?period=today").await?;
    let current = text(tab, ".periods a[aria-current='true']").await;
    if current != "Today" {
        return Err(format!("after Today, the current period is {current:?}"));
    }

    // A custom period typed in: the last day before the first is refused, values kept.
    // (Date inputs take typed digits in the locale's order; the values are set directly.)
    tab.page
        .evaluate(
            "document.querySelector('#period-from').value = '2026-03-03';
             document.querySelector('#period-to').value = '2026-03-01';",
        )
        .await
        .map_err(|e| e.to_string())?;
    click(tab, ".period-form button[type=submit]").await?;
    arrive(tab, "/?period=custom&from=2026-03-03&to=2026-03-01").await?;
    status_is(tab, 400)?;
    let error = text(tab, "#period-to-error").await;
    if !error.contains("must not be before") {
        return Err(format!("the refused custom period says {error:?}"));
    }
    found.extend(check_page(tab, "dashboard-custom-refused", "owner").await);
    let today = chrono::Utc::now().date_naive();
    let week_ago = today - chrono::TimeDelta::days(6);
    let path = format!("/?period=custom&from={week_ago}&to={today}");
    open(tab, &app.url(&path), &path).await?;
    status_is(tab, 200)?;
    if !text(tab, "#usage").await.contains("18 requests") {
        return Err("the custom week does not count the 18 calls".into());
    }

    for role in ["admin", "billing", "viewer"] {
        sign_in(app, tab, role).await?;
        open(tab, &app.url("/?period=7d"), "/?period=7d").await?;
        let badge = text(tab, ".page-heading .badge").await;
        if role == "admin" && badge.is_empty() {
            return Err("the admin is not shown the delivery backlog".into());
        }
        if role != "admin" && !badge.is_empty() {
            return Err(format!("{role} is shown the delivery backlog"));
        }
        found.extend(check_page(tab, "dashboard-figures", role).await);
    }
    Ok(found)
}

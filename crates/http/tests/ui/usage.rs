//! The Usage and Events pages: empty for a new organization (the next step, not an empty
//! chart), then with LiteLLM's events, as every staff role; changing the grouping and the
//! window through the form, a refused value, paging the events, an event's detail, and the
//! CSV download's content. A customer member is refused all of them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{click, open, status_is, text},
};

/// More than one page of the event list (50 a page).
const EVENTS: usize = 60;
const MODELS: [&str; 3] = ["gpt-4o", "claude-haiku", "llama-3"];
const CUSTOMERS: [&str; 3] = ["acme", "globex", "initech"];

/// `EVENTS` calls of the last twenty minutes, as LiteLLM reports them: three models, three
/// customers, two keys, every tenth call failed.
fn litellm_events() -> Value {
    let now = chrono::Utc::now().timestamp();
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| {
            let start = now - 60 * i64::try_from(i % 20).unwrap_or(0) - 5;
            let (hash, alias) = if i % 2 == 0 {
                ("a".repeat(64), "prod-key")
            } else {
                ("b".repeat(64), "batch-key")
            };
            json!({
                "litellm_call_id": format!("ui-usage-{i}"),
                "status": if i % 10 == 9 { "failure" } else { "success" },
                "end_user": CUSTOMERS[(i / 3) % 3],
                "model_group": MODELS[i % 3],
                "custom_llm_provider": "openai",
                "startTime": start,
                "endTime": start + 1,
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "total_tokens": 120,
                "response_cost": 0.0125,
                "metadata": { "user_api_key_hash": hash, "user_api_key_alias": alias },
            })
        })
        .collect();
    Value::Array(events)
}

/// Waits until the tab shows a loaded document whose address contains every one of `parts`
/// (a form's GET carries every field, in the form's order).
async fn arrive_containing(tab: &Tab, parts: &[&str]) -> Result<(), String> {
    for _ in 0..100 {
        let url = tab.page.url().await.ok().flatten().unwrap_or_default();
        let ready: String = tab
            .page
            .evaluate("document.readyState")
            .await
            .ok()
            .and_then(|value| value.into_value().ok())
            .unwrap_or_default();
        if ready == "complete" && parts.iter().all(|part| url.contains(part)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = tab.page.url().await.ok().flatten().unwrap_or_default();
    Err(format!(
        "expected an address with {parts:?}, the tab shows {url}"
    ))
}

async fn count(tab: &Tab, selector: &str) -> Result<usize, String> {
    let found: i64 = tab
        .page
        .evaluate(format!("document.querySelectorAll({selector:?}).length"))
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .map_err(|e| e.to_string())?;
    usize::try_from(found).map_err(|e| e.to_string())
}

async fn attribute(tab: &Tab, selector: &str, name: &str) -> Result<String, String> {
    tab.page
        .find_element(selector)
        .await
        .map_err(|e| format!("no {selector}: {e}"))?
        .attribute(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{selector} has no {name}"))
}

/// Picks `value` in the select `selector` (as a person would: the form sends it).
async fn choose(tab: &Tab, selector: &str, value: &str) -> Result<(), String> {
    tab.page
        .evaluate(format!(
            "document.querySelector({selector:?}).value = {value:?}"
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Every flow of the two pages, on one app: the empty organization first, then seeded.
pub async fn usage_and_events(app: &App, chromium: &Chromium) -> Vec<String> {
    let mut problems = Vec::new();
    let tab = chromium.tab().await;
    match empty_organization(app, &tab).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("usage, empty: {error}")),
    }
    chromium.dispose(tab).await;

    let status = app.send_events(&litellm_events()).await;
    if !(200..300).contains(&status) {
        problems.push(format!("the webhook answered {status} to the seed events"));
        return problems;
    }
    if let Err(error) = metered(app).await {
        problems.push(error);
        return problems;
    }
    for role in ["owner", "admin", "billing", "viewer"] {
        let tab = chromium.tab().await;
        match every_page_as(app, &tab, role).await {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("usage as {role}: {error}")),
        }
        chromium.dispose(tab).await;
    }
    let tab = chromium.tab().await;
    match change_the_view(app, &tab).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("usage, changing the view: {error}")),
    }
    chromium.dispose(tab).await;
    let tab = chromium.tab().await;
    match page_and_open_events(app, &tab).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("events, paging: {error}")),
    }
    chromium.dispose(tab).await;
    let tab = chromium.tab().await;
    match customer_refused(app, &tab).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("usage as a customer: {error}")),
    }
    chromium.dispose(tab).await;
    problems
}

/// The embedded meters count events as the outbox delivers them: wait for all of them.
async fn metered(app: &App) -> Result<(), String> {
    for _ in 0..200 {
        let delivered = app.count_where("outbox", "state = 'delivered'").await;
        if delivered == i64::try_from(EVENTS).unwrap_or(0) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the seed events were not metered within 20 s".into())
}

async fn sign_in(app: &App, tab: &Tab, role: &str) -> Result<(), String> {
    crate::steps::sign_in(app, tab, role).await
}

/// A new organization: both pages say what to do first.
async fn empty_organization(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "owner").await?;
    open(tab, &app.url("/usage"), "/usage").await?;
    status_is(tab, 200)?;
    let section = text(tab, "main").await;
    if !section.contains("Nothing has been metered yet") || count(tab, "svg.chart").await? != 0 {
        return Err(format!("a new organization's usage page shows {section:?}"));
    }
    let mut found = check_page(tab, "usage-empty", "owner").await;
    open(tab, &app.url("/usage/events"), "/usage/events").await?;
    status_is(tab, 200)?;
    let section = text(tab, "main").await;
    if !section.contains("Nothing has been metered yet") {
        return Err(format!("a new organization's event list shows {section:?}"));
    }
    found.extend(check_page(tab, "events-empty", "owner").await);
    Ok(found)
}

/// The chart and its table, the event list and one event, as `role`.
async fn every_page_as(app: &App, tab: &Tab, role: &str) -> Result<Vec<String>, String> {
    sign_in(app, tab, role).await?;
    let menu = text(tab, "nav.nav").await;
    if !menu.contains("Usage") || !menu.contains("Events") {
        return Err(format!("the menu is {menu:?}"));
    }
    let path = "/usage?period=7d&group_by=model";
    open(tab, &app.url(path), path).await?;
    status_is(tab, 200)?;
    if count(tab, "svg.chart rect.chart-bar").await? == 0 {
        return Err("no bars in the chart".into());
    }
    let groups = text(tab, "[aria-labelledby=usage-groups-heading] table").await;
    for model in MODELS {
        if !groups.contains(model) {
            return Err(format!("the group table lacks {model}: {groups:?}"));
        }
    }
    // 60 calls at $0.0125.
    let total = text(tab, ".total strong").await;
    if total != "0.75" {
        return Err(format!("the period's cost is {total:?}, not 0.75"));
    }
    let mut found = check_page(tab, "usage", role).await;
    open(tab, &app.url("/usage/events"), "/usage/events").await?;
    status_is(tab, 200)?;
    found.extend(check_page(tab, "events", role).await);
    click(tab, "main tbody tr:first-child th a").await?;
    arrive_containing(tab, &["/usage/events/"]).await?;
    status_is(tab, 200)?;
    found.extend(check_page(tab, "event", role).await);
    Ok(found)
}

/// Through the form: group by customer, then hours of a week; a refused value re-renders
/// with 400 and its message; the CSV link downloads the same figures.
async fn change_the_view(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "owner").await?;
    open(tab, &app.url("/usage"), "/usage").await?;
    choose(tab, "#group_by", "customer").await?;
    choose(tab, "#meter", "requests").await?;
    click(tab, "form.filters button[type=submit]").await?;
    arrive_containing(tab, &["group_by=customer", "meter=requests"]).await?;
    status_is(tab, 200)?;
    let groups = text(tab, "[aria-labelledby=usage-groups-heading] table").await;
    for customer in CUSTOMERS {
        if !groups.contains(customer) {
            return Err(format!("grouped by customer, the table is {groups:?}"));
        }
    }
    let total = text(tab, ".total strong").await;
    if total != EVENTS.to_string() {
        return Err(format!("{total:?} requests, not {EVENTS}"));
    }
    let mut found = check_page(tab, "usage-by-customer", "owner").await;

    choose(tab, "#period", "7d").await?;
    choose(tab, "#window", "hour").await?;
    click(tab, "form.filters button[type=submit]").await?;
    arrive_containing(tab, &["period=7d", "window=hour"]).await?;
    status_is(tab, 200)?;
    let first_header = text(tab, "[aria-labelledby=usage-table-heading] thead th").await;
    if first_header != "Hour" {
        return Err(format!("hourly figures are headed {first_header:?}"));
    }
    // Seven days of hours up to now, from the hour a week ago (the dashboard's 7 days).
    let rows = count(tab, "[aria-labelledby=usage-table-heading] tbody tr").await?;
    if !(7 * 24..=7 * 24 + 1).contains(&rows) {
        return Err(format!("{rows} hourly rows for a week"));
    }

    let csv_href = attribute(tab, "a[href^='/usage/export?format=csv']", "href").await?;
    let csv = download(app, tab, &csv_href).await?;
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or_default();
    if !header.starts_with("window_start,group,input_tokens,output_tokens") {
        return Err(format!("the CSV's header is {header:?}"));
    }
    let columns: Vec<&str> = header.split(',').collect();
    let requests_at = columns.iter().position(|c| *c == "requests");
    let mut requests = 0_u64;
    let mut customers = std::collections::BTreeSet::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        customers.insert(cells.get(1).copied().unwrap_or_default().to_owned());
        requests += requests_at
            .and_then(|at| cells.get(at))
            .and_then(|cell| cell.parse::<u64>().ok())
            .unwrap_or(0);
    }
    if requests != EVENTS as u64 || customers.len() != CUSTOMERS.len() {
        return Err(format!(
            "the CSV counts {requests} requests of {customers:?}:\n{csv}"
        ));
    }
    let json_href = attribute(tab, "a[href^='/usage/export?format=json']", "href").await?;
    let json: Value = serde_json::from_str(&download(app, tab, &json_href).await?)
        .map_err(|e| format!("the JSON download does not parse: {e}"))?;
    if json["window"] != "HOUR" || json["group_by"] != "customer" {
        return Err(format!("the JSON download is {json}"));
    }

    let refused = "/usage?group_by=planet&period=custom&from=2026-12-05&to=2026-12-01";
    open(tab, &app.url(refused), refused).await?;
    status_is(tab, 400)?;
    let group_error = text(tab, "#group_by-error").await;
    let to_error = text(tab, "#to-error").await;
    if !group_error.contains("cannot be grouped") || !to_error.contains("must not be before") {
        return Err(format!(
            "the refused view says {group_error:?} and {to_error:?}"
        ));
    }
    found.extend(check_page(tab, "usage-refused", "owner").await);
    Ok(found)
}

/// The download a link of the page points to, fetched with the tab's session.
async fn download(app: &App, tab: &Tab, href: &str) -> Result<String, String> {
    let cookies = tab.page.get_cookies().await.map_err(|e| e.to_string())?;
    let cookie = cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect::<Vec<_>>()
        .join("; ");
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?
        .get(app.url(href))
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !disposition.starts_with("attachment") {
        return Err(format!(
            "{href} answered {status} ({disposition:?}): {body}"
        ));
    }
    Ok(body)
}

/// Fifty events, then the ten older ones; failures only; one event in full.
async fn page_and_open_events(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "viewer").await?;
    open(tab, &app.url("/usage/events"), "/usage/events").await?;
    let first = count(tab, "main tbody tr").await?;
    if first != 50 {
        return Err(format!("the first page has {first} events"));
    }
    click(tab, "a[rel=next]").await?;
    arrive_containing(tab, &["cursor="]).await?;
    status_is(tab, 200)?;
    let second = count(tab, "main tbody tr").await?;
    if second != EVENTS - 50 || count(tab, "a[rel=next]").await? != 0 {
        return Err(format!(
            "the second page has {second} events, or links further"
        ));
    }
    if count(tab, "a[rel=first]").await? != 1 {
        return Err("a later page has no way back to the newest events".into());
    }
    let mut found = check_page(tab, "events-older", "viewer").await;

    let path = "/usage/events?status=failure&tz=Europe%2FParis";
    open(tab, &app.url(path), path).await?;
    let failures = count(tab, "main tbody tr").await?;
    let statuses = text(tab, "main tbody").await;
    if failures != EVENTS / 10 || statuses.contains("Success") {
        return Err(format!("{failures} failures listed: {statuses:?}"));
    }
    // The download holds exactly the events listed: the failures, every field of each.
    let href = attribute(tab, "a[href^='/usage/events/export?format=csv']", "href").await?;
    let csv = download(app, tab, &href).await?;
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or_default();
    let rows: Vec<&str> = lines.collect();
    if !header.starts_with("id,idempotency_key,occurred_at,customer,model")
        || rows.len() != EVENTS / 10
        || rows.iter().any(|row| !row.contains("\"failure\""))
    {
        return Err(format!("the failures' download is:\n{csv}"));
    }
    let href = attribute(tab, "a[href^='/usage/events/export?format=json']", "href").await?;
    let json: Value = serde_json::from_str(&download(app, tab, &href).await?)
        .map_err(|e| format!("the events' JSON does not parse: {e}"))?;
    if json.as_array().map(Vec::len) != Some(EVENTS / 10) {
        return Err(format!("the failures' JSON is {json}"));
    }
    click(tab, "main tbody tr:first-child th a").await?;
    arrive_containing(tab, &["/usage/events/", "tz=Europe/Paris"]).await?;
    let facts = text(tab, "dl.facts").await;
    for expected in ["Failure", "batch-key", "openai", "Europe/Paris"] {
        if !facts.contains(expected) && !text(tab, "main").await.contains(expected) {
            return Err(format!("the event's detail lacks {expected:?}: {facts:?}"));
        }
    }
    let deliveries = text(tab, "[aria-labelledby=event-deliveries-heading] table").await;
    if !deliveries.contains("Embedded meters") || !deliveries.contains("Delivered") {
        return Err(format!("the deliveries are {deliveries:?}"));
    }
    found.extend(check_page(tab, "event-failed", "viewer").await);

    open(
        tab,
        &app.url("/usage/events/999999"),
        "/usage/events/999999",
    )
    .await?;
    status_is(tab, 404)?;
    Ok(found)
}

/// A customer member opens none of them.
async fn customer_refused(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let link = app
        .dev_link(&[
            "--org",
            "default",
            "--role",
            "customer",
            "--customer",
            "acme",
        ])
        .await;
    open(tab, &link, "/portal").await?;
    for path in ["/usage", "/usage/events", "/usage/export?format=csv"] {
        open(tab, &app.url(path), path).await?;
        status_is(tab, 403)?;
    }
    Ok(tab.take_problems())
}

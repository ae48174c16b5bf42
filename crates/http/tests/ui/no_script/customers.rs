//! The no-script walk's customer part: a customer made in the form, its subscription
//! terminated through the server's confirmation page (the page the `<dialog>` stands in for
//! when scripts run), a portal link issued, the billing lists by their section links, and the
//! portal opened by the link after signing out, its events downloaded as CSV.

use reqwest::Method;
use serde_json::json;

use super::{
    dom::{self, arrive, arrive_where, before, click, open, redirected, text},
    download::download,
    heading, no_script_ran,
};
use crate::{app::App, audit::check_page_without_script, browser::Tab, steps::status_is};

const NAME: &str = "No Script Co";

/// Answers the problems found and the portal link issued.
pub async fn customer_and_billing(app: &App, tab: &Tab) -> Result<(Vec<String>, String), String> {
    open(tab, &app.url("/customers"), "/customers").await?;
    status_is(tab, 200)?;
    heading(tab, "h1", "Customers").await?;
    let was = before(tab).await?;
    click(tab, "a[href='/customers/new']").await?;
    arrive(tab, &was, "/customers/new").await?;
    heading(tab, "h1", "New customer").await?;
    for (field, value) in [
        ("#external_id", "no-script-co"),
        ("#name", NAME),
        ("#billing_email", "ap@noscript.example"),
        ("#currency", "USD"),
    ] {
        dom::type_in(tab, field, value).await?;
    }
    let was = before(tab).await?;
    click(tab, "main form button[type=submit]").await?;
    let detail = arrive_where(tab, &was, "/customers/{id}", |shown| {
        shown.starts_with("/customers/") && shown.len() > "/customers/".len() + 30
    })
    .await?;
    redirected(tab, &was, "/customers")?;
    status_is(tab, 200)?;
    heading(tab, "h1", NAME).await?;
    let mut found = check_page_without_script(tab, "customer", "owner").await;

    // A plan and a subscription through the API: what is walked here is the termination.
    let plan = json!({
        "code": "starter", "name": "starter", "interval": "monthly", "currency": "USD",
        "base_fee": {"amount": "0.00", "timing": "in_arrears"},
        "charges": [{"meter": "cost_usd", "model": {"type": "percentage_markup", "percent": "20"}}]
    });
    let (status, body) = app
        .api("owner", Method::POST, "/api/billing/plans", Some(plan))
        .await;
    if status != 201 {
        return Err(format!("the plan was refused: {status} {body}"));
    }
    let id = detail.trim_start_matches("/customers/");
    let subscription =
        json!({"customer_id": id, "plan_code": "starter", "external_id": "nsc-main"});
    let (status, body) = app
        .api(
            "owner",
            Method::POST,
            "/api/billing/subscriptions",
            Some(subscription),
        )
        .await;
    let Some(subscription) = body["id"].as_str().filter(|_| status == 201) else {
        return Err(format!("the subscription was refused: {status} {body}"));
    };
    let terminate = format!("{detail}/subscriptions/{subscription}/terminate");

    // Without the script the form posts with `confirmed` empty: the server asks on a page.
    open(tab, &app.url(&detail), &detail).await?;
    let was = before(tab).await?;
    click(tab, "ul.subscriptions button.danger").await?;
    arrive(tab, &was, &terminate).await?;
    status_is(tab, 200)?;
    heading(tab, "h1", "Terminate the subscription?").await?;
    let terminated = "terminated_at IS NOT NULL";
    if app.count_where("billing_subscriptions", terminated).await != 0 {
        return Err("the unconfirmed form terminated the subscription".into());
    }
    no_script_ran(tab).await?;
    found.extend(check_page_without_script(tab, "subscription-terminate", "owner").await);
    let was = before(tab).await?;
    click(tab, "main form button.danger").await?;
    arrive(tab, &was, &detail).await?;
    redirected(tab, &was, &terminate)?;
    if app.count_where("billing_subscriptions", terminated).await != 1 {
        return Err("the confirmation page did not terminate the subscription".into());
    }
    if !text(tab, "ul.subscriptions").await?.contains("Terminated") {
        return Err("the terminated subscription is not shown as such".into());
    }

    // A portal link: shown once, on the answer to the form (201, no redirect).
    let was = before(tab).await?;
    click(tab, "form[action$='/portal-links'] button[type=submit]").await?;
    arrive(tab, &was, &format!("{detail}/portal-links")).await?;
    status_is(tab, 201)?;
    let link = text(tab, "#portal-link").await?;
    if !link.starts_with(&app.url("/portal/links/")) {
        return Err(format!("the portal link shows as {link:?}"));
    }
    if !no_script_ran(tab).await? {
        return Err("the portal link is not marked data-copy".into());
    }
    found.extend(check_page_without_script(tab, "portal-link", "owner").await);

    found.extend(billing_lists(app, tab).await?);
    Ok((found, link))
}

/// The billing lists, one to the next by the section links.
async fn billing_lists(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    open(tab, &app.url("/billing/invoices"), "/billing/invoices").await?;
    for (path, title, holds) in [
        ("/billing/invoices", "Invoices", ""),
        ("/billing/subscriptions", "Subscriptions", "nsc-main"),
        ("/billing/plans", "Plans", "starter"),
    ] {
        if path != "/billing/invoices" {
            let was = before(tab).await?;
            click(tab, &format!(".subnav a[href='{path}']")).await?;
            arrive(tab, &was, path).await?;
        }
        status_is(tab, 200).map_err(|e| format!("{path}: {e}"))?;
        heading(tab, "h1", title).await?;
        if !text(tab, "main").await?.contains(holds) {
            return Err(format!("{path} does not list {holds}"));
        }
        no_script_ran(tab).await?;
        let name = format!("billing-{}", title.to_lowercase());
        found.extend(check_page_without_script(tab, &name, "owner").await);
    }
    Ok(found)
}

/// One LiteLLM call for the customer, as the proxy reports it.
fn call(id: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "id": format!("chatcmpl-{id}"), "litellm_call_id": format!("call-{id}"),
        "call_type": "acompletion", "status": "success", "custom_llm_provider": "openai",
        "model": "gpt-4o-mini", "model_group": "gpt-4o-mini", "startTime": now - 2, "endTime": now,
        "prompt_tokens": 900, "completion_tokens": 100, "total_tokens": 1000,
        "response_cost": 0.0125, "end_user": "no-script-co", "metadata": {}
    })
}

/// Signed out, the portal link opens the customer's portal (303 to /portal), once; the
/// customer's events download as CSV by the export link.
pub async fn portal_visit(app: &App, tab: &Tab, link: &str) -> Result<Vec<String>, String> {
    let status = app.send_events(&json!([call("ns-1"), call("ns-2")])).await;
    if status != 202 {
        return Err(format!("the customer's events were answered {status}"));
    }
    let token_path = url::Url::parse(link)
        .map_err(|e| format!("the portal link {link:?}: {e}"))?
        .path()
        .to_owned();
    let was = dom::go(tab, link).await?;
    arrive(tab, &was, "/portal").await?;
    redirected(tab, &was, &token_path)?;
    status_is(tab, 200)?;
    heading(tab, "h1", NAME).await?;
    no_script_ran(tab).await?;
    let mut found = check_page_without_script(tab, "portal", "portal-link").await;
    let (file, csv) = download(tab, "a[href^='/portal/events/export?format=csv']").await?;
    let csv = String::from_utf8_lossy(&csv);
    let calls = csv
        .lines()
        .filter(|line| line.contains("gpt-4o-mini"))
        .count();
    if !file.ends_with(".csv") || calls != 2 {
        return Err(format!(
            "the portal's export {file} holds {calls} of 2 calls:\n{csv}"
        ));
    }
    // Used once: the second visit is refused with its own page.
    open(tab, &app.url(&token_path), &token_path).await?;
    status_is(tab, 410)?;
    heading(tab, "h1", "This link no longer works").await?;
    found.extend(tab.take_problems());
    Ok(found)
}

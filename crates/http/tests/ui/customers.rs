//! The customer pages in Chromium: a billing member creates a customer through the form (a
//! refused form first, every value kept), finds it by search, opens it, edits it, changes its
//! subscription's plan, terminates it (the dialog with the script, the page that asks
//! without it) and creates a portal link; every role opens the pages it may, and is refused
//! the ones it may not.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{arrive, click, click_through, fill, js, open, read, sign_in, status_is, text},
};

/// A LiteLLM call made just now by `customer`.
fn call(id: &str, customer: &str, cost: f64) -> Value {
    let now = chrono::Utc::now().timestamp() as f64;
    json!({
        "id": format!("chatcmpl-{id}"), "litellm_call_id": format!("call-{id}"),
        "call_type": "acompletion", "status": "success", "custom_llm_provider": "openai",
        "model": "gpt-4o", "model_group": "gpt-4o", "startTime": now - 1.5, "endTime": now,
        "prompt_tokens": 12000, "completion_tokens": 800, "total_tokens": 12800,
        "response_cost": cost, "end_user": customer, "metadata": {}
    })
}

/// Two plans in USD: `starter` and `pro`, the second with a base fee.
async fn seed_plans(app: &App) -> Result<(), String> {
    for (code, fee) in [("starter", "0.00"), ("pro", "49.00")] {
        let plan = json!({
            "code": code, "name": code, "interval": "monthly", "currency": "USD",
            "base_fee": {"amount": fee, "timing": "in_arrears"},
            "charges": [
                {"meter": "input_tokens", "model": {"type": "graduated", "tiers": [
                    {"from": "0", "up_to": "10000", "unit_price": "0"},
                    {"from": "10000", "up_to": null, "unit_price": "0.00001"}]}},
                {"meter": "cost_usd", "model": {"type": "percentage_markup", "percent": "20"}}]
        });
        let (status, body) = app
            .api("owner", Method::POST, "/api/billing/plans", Some(plan))
            .await;
        if status != 201 {
            return Err(format!("the plan {code} was refused: {status} {body}"));
        }
    }
    Ok(())
}

/// Reloads `path` until its `selector` shows `wanted` (usage reaches the meters a moment
/// after it is accepted).
async fn wait_for(
    tab: &Tab,
    app: &App,
    path: &str,
    selector: &str,
    wanted: &str,
) -> Result<(), String> {
    for _ in 0..40 {
        open(tab, &app.url(path), path).await?;
        if text(tab, selector).await.contains(wanted) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!(
        "{path} never showed {wanted:?} in {selector}: {:?}",
        text(tab, selector).await
    ))
}

/// The id in `/customers/{id}`, from the tab's address.
async fn customer_path(tab: &Tab) -> String {
    let url = tab.page.url().await.ok().flatten().unwrap_or_default();
    url::Url::parse(&url)
        .map(|url| url.path().to_owned())
        .unwrap_or_default()
}

/// The whole flow of a billing member; answers the customer's page path and the portal link.
async fn billing_member(app: &App, tab: &Tab) -> Result<(Vec<String>, String, String), String> {
    let mut found = Vec::new();
    sign_in(app, tab, "billing").await?;
    open(tab, &app.url("/customers"), "/customers").await?;
    status_is(tab, 200)?;
    if !read(tab, "main").await.contains("No customers yet") {
        return Err("the empty list does not say so".into());
    }
    found.extend(check_page(tab, "customers-empty", "billing").await);

    // A refused form keeps every value and names the API's code.
    click(tab, "a[href='/customers/new']").await?;
    arrive(tab, "/customers/new").await?;
    found.extend(check_page(tab, "customer-new", "billing").await);
    fill(tab, "#external_id", "acme-ui").await?;
    fill(tab, "#name", "Acme UI Corp").await?;
    fill(tab, "#currency", "USD").await?;
    fill(tab, "#tax_rate", "twenty").await?;
    fill(tab, "#line1", "1 Main Street").await?;
    // The browser's own e-mail check would stop the form: this one passes it.
    fill(tab, "#billing_email", "ap@acme.example").await?;
    click_through(tab, "main form button[type=submit]").await?;
    arrive(tab, "/customers").await?;
    status_is(tab, 422)?;
    let notice = read(tab, "#form-error").await;
    if !notice.contains("not_a_number") && !notice.contains("invalid_value") {
        return Err(format!("the refusal says {notice:?}"));
    }
    for (field, kept) in [
        ("#external_id", "acme-ui"),
        ("#tax_rate", "twenty"),
        ("#line1", "1 Main Street"),
    ] {
        let value = js(tab, &format!("document.querySelector('{field}').value")).await?;
        if value != kept {
            return Err(format!(
                "{field} holds {value:?} after the refusal, not {kept:?}"
            ));
        }
    }
    found.extend(check_page(tab, "customer-new-refused", "billing").await);
    js(tab, "document.querySelector('#tax_rate').value = '20'; document.querySelector('#line1').value = ''").await?;
    click_through(tab, "main form button[type=submit]").await?;
    let detail = customer_path(tab).await;
    if !detail.starts_with("/customers/") || detail.len() < 20 {
        return Err(format!(
            "the created customer's page is not shown: {detail}"
        ));
    }
    arrive(tab, &detail).await?;
    if read(tab, "h1").await != "Acme UI Corp" {
        return Err(format!(
            "the new customer's page is headed {:?}",
            read(tab, "h1").await
        ));
    }

    // Found by search, in another case, with its usage.
    let status = app
        .send_events(&json!([
            call("ui-1", "acme-ui", 0.25),
            call("ui-2", "acme-ui", 0.5)
        ]))
        .await;
    if status != 202 {
        return Err(format!("the events were answered {status}"));
    }
    wait_for(tab, app, "/customers?search=ACME", "table", "$0.75").await?;
    found.extend(check_page(tab, "customers-search", "billing").await);
    open(
        tab,
        &app.url("/customers?search=nobody"),
        "/customers?search=nobody",
    )
    .await?;
    if !read(tab, "main").await.contains("No customer matches") {
        return Err("a search without a match does not say so".into());
    }

    // A subscription, its estimate, a plan change and the portal link.
    seed_plans(app).await?;
    let id = detail.trim_start_matches("/customers/").to_owned();
    let (status, body) = app
        .api(
            "billing",
            Method::POST,
            "/api/billing/subscriptions",
            Some(json!({"customer_id": id, "plan_code": "starter", "external_id": "acme-ui-main"})),
        )
        .await;
    if status != 201 {
        return Err(format!("the subscription was refused: {status} {body}"));
    }
    open(tab, &app.url(&detail), &detail).await?;
    let estimate = read(tab, "section[aria-labelledby=estimate-heading]").await;
    if !estimate.contains("acme-ui-main") || !estimate.contains("Total") {
        return Err(format!("the estimate says {estimate:?}"));
    }
    found.extend(check_page(tab, "customer", "billing").await);

    js(
        tab,
        "document.querySelector('select[name=plan_code]').value = 'pro'",
    )
    .await?;
    // Through to the answer: the form posts back to this same address, so waiting for the
    // address alone would go on before the upgrade is done (what made the next step flaky).
    click_through(
        tab,
        "form.plan-change button[type=submit]:not([formaction])",
    )
    .await?;
    arrive(tab, &detail).await?;
    // The plan the subscription is on (the picker beside it lists every plan).
    let plan = read(tab, "ul.subscriptions dd.mono").await;
    if plan != "pro" {
        return Err(format!(
            "after the upgrade ({:?}) the subscription is on {plan:?}: {:?}",
            tab.last_document_status(),
            read(tab, "main").await
        ));
    }
    // Downgrading to the plan it is on is refused: the API's code, the plan kept.
    js(
        tab,
        "document.querySelector('select[name=plan_code]').value = 'pro'",
    )
    .await?;
    click_through(tab, "form.plan-change button[formaction]").await?;
    status_is(tab, 422)?;
    if !read(tab, "main").await.contains("same_plan") {
        return Err("the refused downgrade does not name its code".into());
    }
    let selected = js(tab, "document.querySelector('#plan_code').value").await?;
    if selected != "pro" {
        return Err(format!("the refused downgrade's form holds {selected:?}"));
    }
    found.extend(check_page(tab, "subscription-refused", "billing").await);

    // Edit: the name changes, the rest stays.
    open(
        tab,
        &app.url(&format!("{detail}/edit")),
        &format!("{detail}/edit"),
    )
    .await?;
    found.extend(check_page(tab, "customer-edit", "billing").await);
    js(tab, "document.querySelector('#name').value = ''").await?;
    fill(tab, "#name", "Acme Renamed").await?;
    click_through(tab, "main form button[type=submit]").await?;
    arrive(tab, &detail).await?;
    if read(tab, "h1").await != "Acme Renamed" {
        return Err(format!(
            "after the edit the page is headed {:?}",
            read(tab, "h1").await
        ));
    }
    if !read(tab, "dl.customer-facts").await.contains("20 %") {
        return Err("the edit lost the tax rate".into());
    }

    // A portal link, shown once.
    fill(tab, "#return_url", "https://app.acme.example/account").await?;
    click(
        tab,
        "section[aria-labelledby=portal-heading] button[type=submit]",
    )
    .await?;
    arrive(tab, &format!("{detail}/portal-links")).await?;
    status_is(tab, 201)?;
    let link = read(tab, "#portal-link").await;
    if !link.contains("/portal/links/tgp_") {
        return Err(format!("the portal link is {link:?}"));
    }
    found.extend(check_page(tab, "portal-link", "billing").await);
    Ok((found, detail, link))
}

/// Terminating asks first: without the script on a page of its own, with it in the dialog.
async fn terminate(app: &App, tab: &Tab, detail: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    sign_in(app, tab, "admin").await?;
    open(tab, &app.url(detail), detail).await?;
    // As without the script (the script lets a form it already asked about through): the
    // form posts without `confirmed=yes`, and the page asks.
    js(
        tab,
        "document.querySelector('form[data-confirm]').dataset.confirmed = 'yes'",
    )
    .await?;
    click_through(tab, "ul.subscriptions button.danger").await?;
    status_is(tab, 200)?;
    if !read(tab, "h1").await.contains("Terminate") {
        return Err(format!(
            "the confirmation page is headed {:?}",
            read(tab, "h1").await
        ));
    }
    if app
        .count_where("billing_subscriptions", "terminated_at IS NOT NULL")
        .await
        != 0
    {
        return Err("the unconfirmed form terminated the subscription".into());
    }
    found.extend(check_page(tab, "subscription-terminate", "admin").await);
    // Cancel goes back; then the dialog: Cancel keeps it, Yes ends it.
    click_through(tab, "main a.button.secondary").await?;
    arrive(tab, detail).await?;
    let dialog_open = || async {
        tab.page
            .evaluate("document.getElementById('confirm-dialog').open")
            .await
            .ok()
            .and_then(|value| value.into_value::<bool>().ok())
            .unwrap_or(false)
    };
    click(tab, "ul.subscriptions button.danger").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    if !dialog_open().await {
        return Err("terminating did not ask in the dialog".into());
    }
    found.extend(check_page(tab, "subscription-terminate-dialog", "admin").await);
    click(tab, "#confirm-dialog button[value=no]").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    if dialog_open().await
        || app
            .count_where("billing_subscriptions", "terminated_at IS NOT NULL")
            .await
            != 0
    {
        return Err("cancelling the dialog did not leave the subscription as it was".into());
    }
    click(tab, "ul.subscriptions button.danger").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    click_through(tab, "#confirm-dialog button[value=yes]").await?;
    if app
        .count_where("billing_subscriptions", "terminated_at IS NOT NULL")
        .await
        != 1
    {
        return Err("confirming in the dialog did not terminate the subscription".into());
    }
    arrive(tab, detail).await?;
    if !read(tab, "ul.subscriptions").await.contains("Terminated") {
        return Err("the terminated subscription is not shown as such".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// Owner and admin see everything; a viewer reads without a write control and is refused the
/// forms; a customer member is refused the staff pages.
async fn roles(app: &App, chromium: &Chromium, detail: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for role in ["owner", "admin", "viewer"] {
        let tab = chromium.tab().await;
        let outcome = async {
            let mut found = Vec::new();
            sign_in(app, &tab, role).await?;
            if !read(&tab, "nav.nav").await.contains("Customers") {
                return Err("the menu has no Customers".to_owned());
            }
            open(&tab, &app.url("/customers"), "/customers").await?;
            status_is(&tab, 200)?;
            found.extend(check_page(&tab, "customers", role).await);
            let writes = tab
                .page
                .find_element("a[href='/customers/new']")
                .await
                .is_ok();
            open(&tab, &app.url(detail), detail).await?;
            status_is(&tab, 200)?;
            found.extend(check_page(&tab, "customer", role).await);
            let edit = tab.page.find_element("a[href$='/edit']").await.is_ok();
            let link = tab
                .page
                .find_element("section[aria-labelledby=portal-heading]")
                .await
                .is_ok();
            open(&tab, &app.url("/customers/new"), "/customers/new").await?;
            if role == "viewer" {
                if writes || edit || link {
                    return Err("a viewer is shown write controls".to_owned());
                }
                status_is(&tab, 403)?;
                found.extend(check_page(&tab, "customer-new", role).await);
            } else {
                if !(writes && edit && link) {
                    return Err(format!("{role} is not shown the write controls"));
                }
                status_is(&tab, 200)?;
                found.extend(check_page(&tab, "customer-new", role).await);
            }
            Ok::<_, String>(found)
        }
        .await;
        match outcome {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("customers as {role}: {error}")),
        }
        chromium.dispose(tab).await;
    }
    let tab = chromium.tab().await;
    let outcome = async {
        let link = app
            .dev_link(&[
                "--org",
                "default",
                "--role",
                "customer",
                "--customer",
                "acme-ui",
            ])
            .await;
        // A customer's member lands on its portal.
        open(&tab, &link, "/portal").await?;
        for path in ["/customers", detail] {
            open(&tab, &app.url(path), path).await?;
            status_is(&tab, 403)?;
        }
        Ok::<_, String>(check_page(&tab, "customers", "customer").await)
    }
    .await;
    match outcome {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("customers as a customer member: {error}")),
    }
    chromium.dispose(tab).await;
    problems
}

/// Every customer flow, on one app.
pub async fn customer_pages(app: &App, chromium: &Chromium) -> Vec<String> {
    let mut problems = Vec::new();
    let tab = chromium.tab().await;
    let outcome = billing_member(app, &tab).await;
    chromium.dispose(tab).await;
    let (detail, link) = match outcome {
        Ok((found, detail, link)) => {
            problems.extend(found);
            (detail, link)
        }
        Err(error) => {
            problems.push(format!("customers as billing: {error}"));
            return problems;
        }
    };
    problems.extend(roles(app, chromium, &detail).await);
    let tab = chromium.tab().await;
    match crate::portal::portal_link(&tab, &link).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("the portal by its link: {error}")),
    }
    chromium.dispose(tab).await;
    let tab = chromium.tab().await;
    match terminate(app, &tab, &detail).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("terminating: {error}")),
    }
    chromium.dispose(tab).await;
    problems
}

//! The dashboard with JavaScript off, in real Chromium: every form posts and is answered (a 303
//! to the next page, or the page itself when it shows a secret once), every filter is a GET
//! form or link, and an action that asks first asks on a page of its own. The tab's scripts are turned off by CDP before its first page, and the
//! walk proves it: the app's script adds a copy button beside every `[data-copy]` element and
//! asks in a `<dialog>` before a revocation, and neither happens here.
//!
//! The walk reads and acts through CDP's DOM and Input domains only (see [`dom`]), never through
//! the page's JavaScript; each page is checked by `audit::check_page_without_script`.

mod customers;
mod dom;
mod download;
mod invoice_pdf;
mod kratos;

pub use invoice_pdf::invoice_pdf;
pub use kratos::kratos_login;

use crate::{app::App, audit::check_page_without_script, browser::Tab, steps::status_is};
use dom::{arrive, arrive_where, before, click, has, open, press_enter, redirected, text};

/// Fails when `selector`'s text is not `expected`.
pub(crate) async fn heading(tab: &Tab, selector: &str, expected: &str) -> Result<(), String> {
    let shown = text(tab, selector).await?;
    if shown == expected {
        Ok(())
    } else {
        Err(format!("{selector} says {shown:?}, not {expected:?}"))
    }
}

/// Fails when the app's script has run on the page: it puts a copy button after each
/// `[data-copy]` element (its template, `#copy-button`, is on every page). Answers whether the
/// page has such an element, so that a caller can tell a page that proves something.
pub(crate) async fn no_script_ran(tab: &Tab) -> Result<bool, String> {
    if !has(tab, "template#copy-button").await? {
        return Err("the copy button's template is missing".into());
    }
    if has(tab, "[data-copy] + button").await? {
        return Err("a copy button was added: the page's script ran".into());
    }
    if has(tab, "#confirm-dialog[open]").await? {
        return Err("the confirmation dialog is open: the page's script ran".into());
    }
    has(tab, "[data-copy]").await
}

/// The walk, as one flow: its own app, one tab with scripts off.
pub async fn walk(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    dom::scripts_off(tab).await?;
    let mut found = anonymous_refusal(app, tab).await?;
    found.extend(dashboard(app, tab).await?);
    found.extend(usage_and_events(app, tab).await?);
    let (more, portal_link) = customers::customer_and_billing(app, tab).await?;
    found.extend(more);
    found.extend(api_key(app, tab).await?);
    found.extend(debug_and_export(app, tab).await?);
    found.extend(choices_and_sign_out(app, tab).await?);
    found.extend(customers::portal_visit(app, tab, &portal_link).await?);
    Ok(found)
}

/// Someone not signed in refuses on the banner: 303 back, the banner gone.
async fn anonymous_refusal(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    open(tab, &app.url("/login"), "/login").await?;
    status_is(tab, 200)?;
    heading(tab, "h1", "Sign in to Tollgate").await?;
    no_script_ran(tab).await?;
    let mut found = check_page_without_script(tab, "login-banner", "anonymous").await;
    let was = before(tab).await?;
    click(tab, ".consent-banner button[value=withdrawn]").await?;
    arrive(tab, &was, "/login").await?;
    redirected(tab, &was, "/privacy/consent")?;
    if has(tab, ".consent-banner").await? {
        return Err("the banner is still shown after Refuse".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// The owner signs in by a `dev-login` link, accepts on the banner, and changes the period by
/// a link and by the GET form.
async fn dashboard(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let link = app.dev_link(&["--org", "default", "--role", "owner"]).await;
    open(tab, &link, "/").await?;
    status_is(tab, 200)?;
    heading(tab, "h1", "Dashboard").await?;
    // A new organization's dashboard shows the LiteLLM snippet with `data-copy`: the page
    // that proves the scripts are off from the first page on.
    if !no_script_ran(tab).await? {
        return Err("the new organization's dashboard has no [data-copy] snippet".into());
    }
    if !has(tab, ".consent-banner").await? {
        return Err("no consent banner for the owner".into());
    }
    let mut found = check_page_without_script(tab, "dashboard-banner", "owner").await;
    let was = before(tab).await?;
    click(tab, ".consent-banner button[value=granted]").await?;
    arrive(tab, &was, "/").await?;
    redirected(tab, &was, "/privacy/consent")?;
    if has(tab, ".consent-banner").await? {
        return Err("the banner is still shown after Accept".into());
    }
    if app
        .count_where(
            "consent_records",
            "decision = 'granted' AND method = 'banner'",
        )
        .await
        != 1
    {
        return Err("Accept recorded no consent".into());
    }

    let was = before(tab).await?;
    click(tab, ".periods a[href='/?period=today']").await?;
    arrive(tab, &was, "/?period=today").await?;
    heading(tab, ".periods a[aria-current='true']", "Today").await?;

    // Date fields take typed digits in the locale's order: their values are set instead.
    let today = chrono::Utc::now().date_naive();
    let week_ago = today - chrono::TimeDelta::days(6);
    dom::set_value(tab, "#period-from", &week_ago.to_string()).await?;
    dom::set_value(tab, "#period-to", &today.to_string()).await?;
    let was = before(tab).await?;
    click(tab, ".period-form button[type=submit]").await?;
    arrive(
        tab,
        &was,
        &format!("/?period=custom&from={week_ago}&to={today}"),
    )
    .await?;
    status_is(tab, 200)?;
    if !has(tab, ".period-form button[aria-current]").await? {
        return Err("the custom period is not marked current".into());
    }
    found.extend(check_page_without_script(tab, "dashboard-custom-period", "owner").await);
    Ok(found)
}

/// Usage and events filtered by their GET forms, submitted by Enter in a field.
async fn usage_and_events(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for (path, title, field, value, name) in [
        ("/usage", "Usage", "#customer", "acme", "usage-filtered"),
        (
            "/usage/events",
            "Events",
            "#model",
            "gpt-4o",
            "events-filtered",
        ),
    ] {
        open(tab, &app.url(path), path).await?;
        status_is(tab, 200)?;
        heading(tab, "h1", title).await?;
        dom::type_in(tab, field, value).await?;
        let was = before(tab).await?;
        press_enter(tab).await?;
        let query = format!("{}={value}", &field[1..]);
        let shown = arrive_where(tab, &was, &format!("{path}?…{query}…"), |shown| {
            shown.split_once('?').is_some_and(|(at, params)| {
                at == path && params.split('&').any(|param| param == query)
            })
        })
        .await?;
        status_is(tab, 200).map_err(|e| format!("{shown}: {e}"))?;
        let kept = dom::html(tab, field).await?;
        if !kept.contains(&format!("value=\"{value}\"")) {
            return Err(format!("{path}: the filter is not kept: {kept}"));
        }
        no_script_ran(tab).await?;
        found.extend(check_page_without_script(tab, name, "owner").await);
    }
    Ok(found)
}

/// `GET /api/me` with `bearer`: its status.
async fn api_status(app: &App, bearer: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client")
        .get(app.url("/api/me"))
        .bearer_auth(bearer)
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or(0)
}

/// An API key made by Enter in its name (its secret on the answer, with no copy button), then
/// revoked: the form posts at once without the dialog and is answered 303.
async fn api_key(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    open(tab, &app.url("/settings/api-keys"), "/settings/api-keys").await?;
    heading(tab, "h1", "Settings").await?;
    dom::type_in(tab, "#key-name", "no-script key").await?;
    let was = before(tab).await?;
    press_enter(tab).await?;
    arrive(tab, &was, "/settings/api-keys").await?;
    status_is(tab, 201)?;
    let secret = text(tab, "#new-key-secret").await?;
    if !secret.starts_with("tg_live_") || secret.len() < 30 {
        return Err(format!("the new key shows as {secret:?}"));
    }
    if !no_script_ran(tab).await? {
        return Err("the new key's secret is not marked data-copy".into());
    }
    let mut found = check_page_without_script(tab, "settings-api-key-created", "owner").await;
    if api_status(app, &secret).await != 200 {
        return Err("the API does not accept the new key".into());
    }

    open(tab, &app.url("/settings/api-keys"), "/settings/api-keys").await?;
    let action = dom::attribute(tab, "form[action$='/revoke']", "action").await?;
    let was = before(tab).await?;
    click(tab, "form[action$='/revoke'] button[type=submit]").await?;
    arrive(tab, &was, "/settings/api-keys?revoked=1").await?;
    redirected(tab, &was, &action)?;
    if app.count_where("api_keys", "revoked_at IS NOT NULL").await != 1 {
        return Err("the key is not revoked".into());
    }
    status_is(tab, 200)?;
    if !text(tab, "main").await?.contains("The key is revoked") {
        return Err("no word that the key is revoked".into());
    }
    no_script_ran(tab).await?;
    if api_status(app, &secret).await != 401 {
        return Err("the API still accepts the revoked key".into());
    }
    found.extend(check_page_without_script(tab, "settings-api-key-revoked", "owner").await);
    Ok(found)
}

/// Debug mode on and off by its form (the panel shows, then goes), and the owner's own export
/// asked for by its form: queued, built by the app's workers, its download offered.
async fn debug_and_export(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    open(tab, &app.url("/settings"), "/settings").await?;
    if has(tab, "section.debug").await? {
        return Err("the debug panel shows before debug mode is on".into());
    }
    let was = before(tab).await?;
    click(tab, "form[action='/settings/debug'] button[type=submit]").await?;
    arrive(tab, &was, "/settings?saved=debug-on").await?;
    redirected(tab, &was, "/settings/debug")?;
    status_is(tab, 200)?;
    let panel = text(tab, "section.debug").await?;
    if !panel.contains("Request id") {
        return Err(format!("with debug mode on the panel says {panel:?}"));
    }
    let mut found = check_page_without_script(tab, "settings-debug-on", "owner").await;
    let was = before(tab).await?;
    click(tab, "form[action='/settings/debug'] button[type=submit]").await?;
    arrive(tab, &was, "/settings?saved=debug-off").await?;
    if has(tab, "section.debug").await? {
        return Err("the debug panel stays after debug mode is off".into());
    }

    open(tab, &app.url("/privacy/export"), "/privacy/export").await?;
    let was = before(tab).await?;
    click(tab, "form[action='/privacy/export'] button[type=submit]").await?;
    arrive(tab, &was, "/privacy/export?queued=1").await?;
    redirected(tab, &was, "/privacy/export")?;
    let mut built = false;
    for _ in 0..100 {
        if app.count_where("privacy_exports", "status = 'done'").await == 1 {
            built = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if !built {
        return Err("the workers did not build the export".into());
    }
    open(tab, &app.url("/privacy/export"), "/privacy/export").await?;
    if !has(tab, "a[href$='/download']").await? {
        return Err("the built export offers no download".into());
    }
    found.extend(check_page_without_script(tab, "privacy-export-ready", "owner").await);
    let (file, body) = download::download(tab, "a[href$='/download']").await?;
    let export: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("the export {file} is not JSON: {e}"))?;
    let holds_membership = export["memberships"]
        .as_array()
        .is_some_and(|memberships| !memberships.is_empty());
    if !file.ends_with(".json") || !holds_membership {
        return Err(format!("the export {file} holds no membership: {export}"));
    }
    Ok(found)
}

/// The owner refuses in the notice's choices, then signs out: each a form answered 303.
async fn choices_and_sign_out(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    open(tab, &app.url("/privacy"), "/privacy").await?;
    heading(tab, "h1", "Privacy notice").await?;
    let was = before(tab).await?;
    click(tab, "#choices button[value=withdrawn]").await?;
    arrive(tab, &was, "/privacy").await?;
    redirected(tab, &was, "/privacy/consent")?;
    let standing = text(tab, ".choice-standing").await?;
    if !standing.contains("refused") {
        return Err(format!("the choices say {standing:?} after Refuse"));
    }
    if app
        .count_where(
            "consent_records",
            "decision = 'withdrawn' AND method = 'banner'",
        )
        .await
        != 1
    {
        return Err("Refuse recorded no withdrawal".into());
    }
    let mut found = check_page_without_script(tab, "privacy-refused", "owner").await;

    let was = before(tab).await?;
    click(tab, ".account button[type=submit]").await?;
    arrive(tab, &was, "/login").await?;
    redirected(tab, &was, "/logout")?;
    // Signed out: the dashboard sends back to the sign-in page.
    let was = dom::go(tab, &app.url("/")).await?;
    arrive_where(tab, &was, "/login…", |shown| shown.starts_with("/login")).await?;
    found.extend(tab.take_problems());
    Ok(found)
}

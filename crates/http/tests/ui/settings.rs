//! The settings pages in Chromium: every page as every role (owners and admins in, the other
//! roles refused), an API key made and revoked by keyboard only and tried against the API,
//! debug mode toggled, LiteLLM secrets made and rotated, the team changed and the last owner
//! kept.

use std::time::Duration;

use chromiumoxide::Element;

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{arrive, click, fill, open, status_is, text},
};

/// Every settings page, with the name its screenshots take.
const PAGES: [(&str, &str); 6] = [
    ("/settings", "settings-general"),
    ("/settings/api-keys", "settings-api-keys"),
    ("/settings/secrets", "settings-secrets"),
    ("/settings/team", "settings-team"),
    ("/settings/audit", "settings-audit"),
    ("/settings/delivery", "settings-delivery"),
];

async fn signed_in(app: &App, tab: &Tab, role: &str, extra: &[&str]) -> Result<(), String> {
    let mut args = vec!["--org", "default", "--role", role];
    args.extend_from_slice(extra);
    let link = app.dev_link(&args).await;
    tab.page
        .goto(link.as_str())
        .await
        .map_err(|e| format!("{link}: {e}"))?;
    // A customer's member lands on its portal, staff on the dashboard.
    arrive(tab, if role == "customer" { "/portal" } else { "/" }).await
}

/// Owners and admins open every settings page (checked and photographed); billing, viewer
/// and customer members are refused each one with the 403 page, and see no Settings entry.
pub async fn pages_by_role(app: &App, chromium: &Chromium) -> Vec<String> {
    let mut problems = Vec::new();
    for role in ["owner", "admin", "billing", "viewer", "customer"] {
        let tab = chromium.tab().await;
        let extra: &[&str] = if role == "customer" {
            &["--customer", "acme"]
        } else {
            &[]
        };
        let outcome = async {
            signed_in(app, &tab, role, extra).await?;
            let allowed = matches!(role, "owner" | "admin");
            let menu = text(&tab, "nav.nav").await;
            if menu.contains("Settings") != allowed {
                return Err(format!("the menu of a {role} is {menu:?}"));
            }
            let mut found = Vec::new();
            for (path, name) in PAGES {
                open(&tab, &app.url(path), path).await?;
                if allowed {
                    status_is(&tab, 200).map_err(|e| format!("{path}: {e}"))?;
                    let heading = text(&tab, "h1").await;
                    if heading != "Settings" {
                        return Err(format!("{path}: the heading is {heading:?}"));
                    }
                    let current = text(&tab, ".subnav [aria-current=page]").await;
                    if current.is_empty() {
                        return Err(format!("{path}: no section of the sub-menu is current"));
                    }
                    found.extend(check_page(&tab, name, role).await);
                } else {
                    status_is(&tab, 403).map_err(|e| format!("{path}: {e}"))?;
                    let body = text(&tab, "main").await;
                    if !body.contains("Owner, Admin") {
                        return Err(format!("{path}: the 403 page says {body:?}"));
                    }
                    // The refusal is the same page everywhere: audited and photographed once.
                    if path == "/settings" {
                        found.extend(check_page(&tab, name, role).await);
                    } else {
                        found.extend(tab.take_problems());
                    }
                }
            }
            Ok::<_, String>(found)
        }
        .await;
        match outcome {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("settings as {role}: {error}")),
        }
        chromium.dispose(tab).await;
    }
    problems
}

/// Marks the document shown, so that [`arrive_anew`] can tell the next one from it (a form
/// posted to its own page's path arrives at the same URL).
async fn mark(tab: &Tab) -> Result<(), String> {
    tab.page
        .evaluate("window.__before = true")
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Waits for a document other than the one [`mark`]ed, at `path`.
async fn arrive_anew(tab: &Tab, path: &str) -> Result<(), String> {
    for _ in 0..100 {
        let stale = eval_string(tab, "String(window.__before === true)")
            .await
            .unwrap_or_else(|_| "true".into());
        if stale == "false" {
            return arrive(tab, path).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("no new page arrived (waiting for {path})"))
}

async fn eval_string(tab: &Tab, script: &str) -> Result<String, String> {
    tab.page
        .evaluate(script)
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .map_err(|e| e.to_string())
}

/// The focused element: `id|name|text|inside the dialog|outline style|outline width`.
async fn focused(tab: &Tab) -> Result<Vec<String>, String> {
    let text = eval_string(
        tab,
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);
           return [e.id, e.getAttribute('name') || '', (e.textContent || '').trim(),
             !!e.closest('dialog'), s.outlineStyle, s.outlineWidth].join('|'); })()",
    )
    .await?;
    Ok(text.split('|').map(ToOwned::to_owned).collect())
}

fn visibly_focused(parts: &[String]) -> bool {
    parts.get(4).is_some_and(|style| style != "none")
        && parts.get(5).is_some_and(|width| width != "0px")
}

/// Presses Tab until `wanted` says the focused element is the one, at most 60 times;
/// every element reached on the way must show its focus.
async fn tab_to(
    tab: &Tab,
    body: &Element,
    what: &str,
    wanted: impl Fn(&[String]) -> bool,
) -> Result<(), String> {
    for _ in 0..60 {
        body.press_key("Tab").await.map_err(|e| e.to_string())?;
        let parts = focused(tab).await?;
        if parts.first().is_some_and(|id| id == "main") {
            continue;
        }
        if !visibly_focused(&parts) {
            return Err(format!("focus on {parts:?} is not visible"));
        }
        if wanted(&parts) {
            return Ok(());
        }
    }
    Err(format!("Tab never reached {what}"))
}

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

async fn dialog_open(tab: &Tab) -> Result<bool, String> {
    Ok(eval_string(
        tab,
        "String(document.getElementById('confirm-dialog').open)",
    )
    .await?
        == "true")
}

/// Issue 12's keyboard-only flow: an API key created by keyboard (focus always visible), seen
/// once, accepted by the API; its revocation asked in a dialog that keeps focus inside and
/// closes on Escape; then the API refuses the key.
pub async fn api_key_by_keyboard(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    signed_in(app, tab, "owner", &[]).await?;
    open(tab, &app.url("/settings/api-keys"), "/settings/api-keys").await?;
    let body = tab
        .page
        .find_element("body")
        .await
        .map_err(|e| e.to_string())?;
    tab_to(tab, &body, "the key's name", |p| p[0] == "key-name").await?;
    body.type_str("ci deploys")
        .await
        .map_err(|e| e.to_string())?;
    tab_to(tab, &body, "the create button", |p| p[2] == "Create key").await?;
    mark(tab).await?;
    body.press_key("Enter").await.map_err(|e| e.to_string())?;
    arrive_anew(tab, "/settings/api-keys").await?;
    status_is(tab, 201)?;
    let secret = text(tab, "#new-key-secret").await;
    if !secret.starts_with("tg_live_") || secret.len() < 30 {
        return Err(format!("the new key shows as {secret:?}"));
    }
    let copy = text(tab, "#new-key-secret + button").await;
    if copy != "Copy" {
        return Err(format!("no copy button beside the key, found {copy:?}"));
    }
    let mut found = check_page(tab, "settings-api-key-created", "owner").await;
    if api_status(app, &secret).await != 200 {
        return Err("the API does not accept the new key".into());
    }

    // Seen once: the list shows its prefix, never the secret.
    open(tab, &app.url("/settings/api-keys"), "/settings/api-keys").await?;
    let html = eval_string(tab, "document.documentElement.outerHTML").await?;
    if html.contains(&secret) {
        return Err("the key's secret is shown again".into());
    }
    if !text(tab, "table").await.contains("ci deploys") {
        return Err("the new key is not listed".into());
    }

    let revoke = "Revoke the key ci deploys";
    let is_revoke = |p: &[String]| p[1].is_empty() && p[2] == "Revoke";
    tab_to(tab, &body, "the revoke button", is_revoke).await?;
    let label = eval_string(tab, "document.activeElement.getAttribute('aria-label')").await?;
    if label != revoke {
        return Err(format!("the revoke button is labelled {label:?}"));
    }
    body.press_key("Enter").await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    if !dialog_open(tab).await? {
        return Err("Enter on Revoke did not ask for confirmation".into());
    }
    found.extend(check_page(tab, "settings-api-key-revoke-dialog", "owner").await);
    // Focus stays in the dialog however often Tab is pressed.
    for press in 0..6 {
        body.press_key("Tab").await.map_err(|e| e.to_string())?;
        let parts = focused(tab).await?;
        if parts.get(3).map(String::as_str) != Some("true") {
            return Err(format!("Tab {press} left the dialog for {parts:?}"));
        }
        if !visibly_focused(&parts) {
            return Err(format!("focus in the dialog is not visible: {parts:?}"));
        }
    }
    body.press_key("Escape").await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    if dialog_open(tab).await? {
        return Err("Escape did not close the dialog".into());
    }
    if app.count_where("api_keys", "revoked_at IS NOT NULL").await != 0 {
        return Err("Escape revoked the key".into());
    }
    if api_status(app, &secret).await != 200 {
        return Err("the key stopped working although nothing was confirmed".into());
    }
    let back = focused(tab).await?;
    if !is_revoke(&back) {
        // Focus came back elsewhere: reach the button again, by keyboard.
        tab_to(tab, &body, "the revoke button", is_revoke).await?;
    }
    body.press_key("Enter").await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    tab_to(tab, &body, "the dialog's yes", |p| p[2] == "Yes, go ahead").await?;
    body.press_key("Enter").await.map_err(|e| e.to_string())?;
    arrive(tab, "/settings/api-keys?revoked=1").await?;
    status_is(tab, 200)?;
    if !text(tab, "main").await.contains("The key is revoked") {
        return Err("no word that the key is revoked".into());
    }
    if api_status(app, &secret).await != 401 {
        return Err("the API still accepts the revoked key".into());
    }
    found.extend(check_page(tab, "settings-api-key-revoked", "owner").await);
    Ok(found)
}

/// An admin turns debug mode on: the panel shows on every page, the change is in the audit
/// log (chain intact); off again, the panel is gone.
pub async fn debug_mode(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    signed_in(app, tab, "admin", &[]).await?;
    open(tab, &app.url("/settings"), "/settings").await?;
    if !text(tab, "main").await.contains("Debug mode is off.") {
        return Err("debug mode is not shown as off".into());
    }
    click(tab, "#debug-toggle").await?;
    arrive(tab, "/settings?saved=debug-on").await?;
    let panel = text(tab, ".debug").await;
    if !panel.contains("Request id") || !panel.contains("settings") {
        return Err(format!("the debug panel shows {panel:?}"));
    }
    let mut found = check_page(tab, "settings-debug-on", "admin").await;
    open(tab, &app.url("/"), "/").await?;
    if text(tab, ".debug").await.is_empty() {
        return Err("the dashboard has no debug panel".into());
    }
    open(tab, &app.url("/settings/audit"), "/settings/audit").await?;
    let records = text(tab, "table").await;
    if !records.contains("settings.update") || !records.contains("settings:debug_mode") {
        return Err(format!(
            "the audit log does not show the change: {records:?}"
        ));
    }
    let chain = text(tab, "#chain-status").await;
    if !chain.contains("intact") {
        return Err(format!("the chain says {chain:?}"));
    }
    found.extend(check_page(tab, "settings-audit-records", "admin").await);
    open(tab, &app.url("/settings"), "/settings").await?;
    click(tab, "#debug-toggle").await?;
    arrive(tab, "/settings?saved=debug-off").await?;
    if !text(tab, ".debug").await.is_empty() {
        return Err("the debug panel stays after debug mode is off".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// The general form: a refused value comes back with its code and every value kept; a good
/// one is saved and shown.
pub async fn general_form(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    signed_in(app, tab, "owner", &[]).await?;
    open(tab, &app.url("/settings"), "/settings").await?;
    fill(tab, "#display_name", "Acme AI").await?;
    fill(tab, "#contact_name", "Billing team").await?;
    fill(tab, "#contact_email", "not-an-address").await?;
    fill(tab, "#alert_thresholds", "100").await?;
    tab.page
        .evaluate("document.querySelector('#contact_email').type = 'text'")
        .await
        .map_err(|e| e.to_string())?;
    mark(tab).await?;
    click(tab, "form[action='/settings'] button[type=submit]").await?;
    arrive_anew(tab, "/settings").await?;
    status_is(tab, 422)?;
    let refusal = text(tab, "#form-refusal").await;
    if !refusal.contains("email") {
        return Err(format!("the refusal says {refusal:?}"));
    }
    let kept = eval_string(tab, "document.querySelector('#display_name').value").await?;
    if kept != "Acme AI" {
        return Err(format!("the display name came back as {kept:?}"));
    }
    let mut found = check_page(tab, "settings-general-refused", "owner").await;
    let email = tab
        .page
        .find_element("#contact_email")
        .await
        .map_err(|e| e.to_string())?;
    email
        .call_js_fn("function() { this.value = ''; }", false)
        .await
        .map_err(|e| e.to_string())?;
    fill(tab, "#contact_email", "billing@acme.example").await?;
    click(tab, "form[action='/settings'] button[type=submit]").await?;
    arrive(tab, "/settings?saved=settings").await?;
    if text(tab, ".org").await != "Acme AI" {
        return Err("the header does not show the new display name".into());
    }
    let (status, settings) = app
        .api("owner", reqwest::Method::GET, "/api/settings", None)
        .await;
    if status != 200
        || settings["billing_contact"]["email"] != "billing@acme.example"
        || settings["alert_thresholds"] != serde_json::json!(["100"])
    {
        return Err(format!("the API reads back {status} {settings}"));
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// LiteLLM secrets: one made shows in a paste-ready configuration, and LiteLLM's calls
/// signed with it are accepted; rotated, the page says until when the old one works; revoked,
/// it is refused.
pub async fn litellm_secrets(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    signed_in(app, tab, "admin", &[]).await?;
    open(tab, &app.url("/settings/secrets"), "/settings/secrets").await?;
    fill(tab, "#secret-label", "proxy eu").await?;
    mark(tab).await?;
    click(tab, "form[action='/settings/secrets'] button[type=submit]").await?;
    arrive_anew(tab, "/settings/secrets").await?;
    status_is(tab, 201)?;
    let snippet = text(tab, "#new-secret-snippet").await;
    let secret = snippet
        .split("Bearer ")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    if !secret.starts_with("whsec_") || !snippet.contains(&app.url("/v1/webhooks/litellm")) {
        return Err(format!("the snippet is {snippet:?}"));
    }
    let mut found = check_page(tab, "settings-secret-created", "admin").await;
    let event = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json"
    ))
    .map_err(|e| e.to_string())?;
    let send = |bearer: String| {
        let body = event.clone();
        async move {
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("a client")
                .post(app.url("/v1/webhooks/litellm"))
                .bearer_auth(bearer)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map(|response| response.status().as_u16())
                .unwrap_or(0)
        }
    };
    let accepted = send(secret.clone()).await;
    if !(200..300).contains(&accepted) {
        return Err(format!(
            "LiteLLM's call with the new secret answered {accepted}"
        ));
    }

    // Rotate it (the confirmation accepted in its dialog).
    let rotated = eval_string(
        tab,
        "new URL(document.querySelector(\"form[action$='/rotate']\").action).pathname",
    )
    .await?;
    click(tab, "form[action$='/rotate'] button[type=submit]").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    mark(tab).await?;
    click(tab, "#confirm-dialog button[value=yes]").await?;
    arrive_anew(tab, &rotated).await?;
    status_is(tab, 201)?;
    let overlap = text(tab, "#rotation-overlap").await;
    if !overlap.contains("keeps working until") || !overlap.contains("24 hours") {
        return Err(format!("the rotation says {overlap:?}"));
    }
    let rows = text(tab, "table").await;
    if !rows.contains("Rotated, still accepted") {
        return Err(format!("the old secret is not shown as rotating: {rows:?}"));
    }
    found.extend(check_page(tab, "settings-secret-rotated", "admin").await);
    let still = send(secret.clone()).await;
    if !(200..300).contains(&still) {
        return Err(format!("the rotated secret stopped at once: {still}"));
    }

    // Revoke the rotated one: refused from then on.
    open(tab, &app.url("/settings/secrets"), "/settings/secrets").await?;
    let prefix: String = secret.chars().take(12).collect();
    let row = tab
        .page
        .find_elements("tbody tr")
        .await
        .map_err(|e| e.to_string())?;
    let mut revoked = false;
    for (index, element) in row.iter().enumerate() {
        let line = element
            .inner_text()
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if line.contains("Rotated") {
            click(
                tab,
                &format!(
                    "tbody tr:nth-child({}) form[action$='/revoke'] button",
                    index + 1
                ),
            )
            .await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            click(tab, "#confirm-dialog button[value=yes]").await?;
            arrive(tab, "/settings/secrets?revoked=1").await?;
            revoked = true;
            break;
        }
    }
    if !revoked {
        return Err(format!("no rotated secret ({prefix}...) to revoke"));
    }
    let refused = send(secret).await;
    if refused != 401 {
        return Err(format!("the revoked secret is answered {refused}"));
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// The team: an owner adds a member, changes its role and removes it; the last owner can be
/// neither removed nor demoted (409 `last_owner`, on the page); an admin is not offered the
/// owner role.
pub async fn team(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    signed_in(app, tab, "owner", &[]).await?;
    open(tab, &app.url("/settings/team"), "/settings/team").await?;
    fill(tab, "#member-subject", "alice@example.com").await?;
    tab.page
        .evaluate("document.querySelector('#member-role').value = 'viewer'")
        .await
        .map_err(|e| e.to_string())?;
    click(tab, "form[action='/settings/team'] button[type=submit]").await?;
    arrive(tab, "/settings/team?done=added").await?;
    let rows = text(tab, "table").await;
    if !rows.contains("alice@example.com") {
        return Err(format!("the new member is not listed: {rows:?}"));
    }
    let alice = "form[action='/settings/team/alice%40example.com/role']";
    tab.page
        .evaluate(format!(
            "document.querySelector(\"{alice} select\").value = 'billing'"
        ))
        .await
        .map_err(|e| e.to_string())?;
    click(tab, &format!("{alice} button")).await?;
    arrive(tab, "/settings/team?done=changed").await?;
    let (_, members) = app
        .api("owner", reqwest::Method::GET, "/api/settings/members", None)
        .await;
    let role = members["data"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["subject"] == "alice@example.com"))
        .map(|m| m["role"].clone());
    if role != Some(serde_json::json!("billing")) {
        return Err(format!("alice's role reads back as {role:?}"));
    }
    let mut found = check_page(tab, "settings-team-members", "owner").await;

    // The last owner stays: removing them is refused with the page's 409.
    let owner = "form[action='/settings/team/dev-owner/remove']";
    click(tab, &format!("{owner} button")).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    click(tab, "#confirm-dialog button[value=yes]").await?;
    arrive(tab, "/settings/team/dev-owner/remove").await?;
    status_is(tab, 409)?;
    let refusal = text(tab, "#form-refusal").await;
    if !refusal.contains("last_owner") || !refusal.contains("last owner") {
        return Err(format!("the refusal says {refusal:?}"));
    }
    found.extend(check_page(tab, "settings-team-last-owner", "owner").await);
    if app
        .count_where("memberships", "subject = 'dev-owner' AND role = 'owner'")
        .await
        != 1
    {
        return Err("the last owner was removed".into());
    }

    // Alice goes (confirmed).
    click(
        tab,
        "form[action='/settings/team/alice%40example.com/remove'] button",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    click(tab, "#confirm-dialog button[value=yes]").await?;
    arrive(tab, "/settings/team?done=removed").await?;
    if text(tab, "table").await.contains("alice@example.com") {
        return Err("alice is still listed".into());
    }

    // An admin may not hand out the owner role, nor touch the owner.
    signed_in(app, tab, "admin", &[]).await?;
    open(tab, &app.url("/settings/team"), "/settings/team").await?;
    let offered = text(tab, "#member-role").await;
    if offered.contains("Owner") {
        return Err(format!("an admin is offered {offered:?}"));
    }
    if tab.page.find_element(owner).await.is_ok() {
        return Err("an admin is offered to remove the owner".into());
    }
    if !text(tab, "table")
        .await
        .contains("Only an owner changes an owner.")
    {
        return Err("the owner's row does not say why it cannot be changed".into());
    }
    found.extend(check_page(tab, "settings-team-members", "admin").await);
    Ok(found)
}

//! The privacy pages in the browser: the notice for people signed in or not, the consent
//! banner (Accept records a consent, "Privacy choices" in the footer reopens it and Refuse
//! records a withdrawal), and a person's export: requested, built by the app's own workers,
//! downloaded, holding the membership and no secret.

use std::time::Duration;

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{arrive, click, open, sign_in, status_is, text},
};

/// Runs every privacy flow, each on its own app; the problems found.
pub async fn flows(chromium: &Chromium) -> Vec<String> {
    let mut problems = Vec::new();
    let app = App::spawn().await;
    for (name, outcome) in [
        ("privacy: anonymous notice and choice", {
            let tab = chromium.tab().await;
            let outcome = anonymous(&app, &tab).await;
            chromium.dispose(tab).await;
            outcome
        }),
        ("privacy: banner, accept, reopen, refuse", {
            let tab = chromium.tab().await;
            let outcome = consent(&app, &tab).await;
            chromium.dispose(tab).await;
            outcome
        }),
        ("privacy: export", {
            let tab = chromium.tab().await;
            let outcome = export(&app, &tab).await;
            chromium.dispose(tab).await;
            outcome
        }),
    ] {
        match outcome {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("{name}: {error}")),
        }
    }
    app.stop().await;

    // Without workers the first request stays open: the second is refused on the page.
    let app = App::spawn_with(|settings| settings.delivery.run_in_server = false).await;
    let tab = chromium.tab().await;
    match export_pending(&app, &tab).await {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("privacy: export pending: {error}")),
    }
    chromium.dispose(tab).await;
    app.stop().await;
    problems
}

async fn has(tab: &Tab, selector: &str) -> bool {
    tab.page.find_element(selector).await.is_ok()
}

/// Waits until the page no longer shows `selector` (a form posted back to the same path has
/// "arrived" before its answer replaces the page).
async fn gone(tab: &Tab, selector: &str) -> Result<(), String> {
    for _ in 0..100 {
        if !has(tab, selector).await {
            let ready: String = tab
                .page
                .evaluate("document.readyState")
                .await
                .ok()
                .and_then(|value| value.into_value().ok())
                .unwrap_or_default();
            if ready == "complete" {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{selector} is still shown"))
}

/// Waits until `condition` holds for exactly `expected` rows of `table`.
async fn rows(app: &App, table: &str, condition: &str, expected: i64) -> Result<(), String> {
    let mut found = 0;
    for _ in 0..100 {
        found = app.count_where(table, condition).await;
        if found == expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "{found} rows of {table} where {condition}, not {expected}"
    ))
}

/// Someone not signed in reads the notice and answers the banner into the choice cookie.
async fn anonymous(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    open(tab, &app.url("/privacy"), "/privacy").await?;
    status_is(tab, 200)?;
    let heading = text(tab, "h1").await;
    if heading != "Privacy notice" {
        return Err(format!("the heading is {heading:?}"));
    }
    let page = text(tab, "main").await;
    for expected in [
        "Version 2026-12-07",
        "What is never kept",
        "consent_records",
        "Who is responsible",
    ] {
        if !page.contains(expected) {
            return Err(format!("the notice does not say {expected:?}: {page}"));
        }
    }
    if !has(tab, ".consent-banner").await {
        return Err("no consent banner for a first visit".into());
    }
    let mut found = check_page(tab, "privacy", "anonymous").await;
    click(tab, ".consent-banner button[value=withdrawn]").await?;
    gone(tab, ".consent-banner")
        .await
        .map_err(|e| format!("after Refuse: {e}"))?;
    arrive(tab, "/privacy").await?;
    let standing = text(tab, ".choice-standing").await;
    if !standing.contains("refused") {
        return Err(format!("the notice says {standing:?} after Refuse"));
    }
    open(tab, &app.url("/login"), "/login").await?;
    if has(tab, ".consent-banner").await {
        return Err("the sign-in page asks again although the cookie holds the answer".into());
    }
    found.extend(check_page(tab, "login-answered", "anonymous").await);
    if app.count_where("consent_records", "true").await != 0 {
        return Err("an anonymous answer was written as a consent record".into());
    }
    Ok(found)
}

/// A signed-in person accepts on the banner, reopens the choice from the footer and refuses.
async fn consent(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "owner").await?;
    if !has(tab, ".consent-banner").await {
        return Err("no consent banner on the dashboard".into());
    }
    let mut found = check_page(tab, "dashboard-banner", "owner").await;
    click(tab, ".consent-banner button[value=granted]").await?;
    gone(tab, ".consent-banner")
        .await
        .map_err(|e| format!("after Accept: {e}"))?;
    arrive(tab, "/").await?;
    rows(
        app,
        "consent_records",
        "decision = 'granted' AND method = 'banner' AND purpose = 'langfuse_export'
         AND subject LIKE 'member:%' AND notice_version = '2026-12-07'",
        1,
    )
    .await?;
    click(tab, ".site-footer a[href='/privacy#choices']").await?;
    arrive(tab, "/privacy").await?;
    let standing = text(tab, ".choice-standing").await;
    if !standing.contains("accepted") {
        return Err(format!("the choices say {standing:?} after Accept"));
    }
    found.extend(check_page(tab, "privacy", "owner").await);
    click(tab, "#choices button[value=withdrawn]").await?;
    rows(
        app,
        "consent_records",
        "decision = 'withdrawn' AND method = 'banner'",
        1,
    )
    .await?;
    rows(
        app,
        "audit_log",
        "action IN ('consent.grant', 'consent.withdraw') AND actor LIKE 'user:%'",
        2,
    )
    .await?;
    for _ in 0..100 {
        if text(tab, ".choice-standing").await.contains("refused") {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the choices do not say refused after Refuse".into())
}

/// The viewer asks for their export; the app's workers build it; it downloads as JSON holding
/// the membership and no secret.
async fn export(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "viewer").await?;
    open(tab, &app.url("/privacy/export"), "/privacy/export").await?;
    status_is(tab, 200)?;
    let mut found = check_page(tab, "privacy-export", "viewer").await;
    click(tab, "form[action='/privacy/export'] button[type=submit]").await?;
    arrive(tab, "/privacy/export?queued=1").await?;
    rows(app, "privacy_exports", "status = 'done'", 1)
        .await
        .map_err(|e| format!("the workers did not build the export: {e}"))?;
    open(tab, &app.url("/privacy/export"), "/privacy/export").await?;
    found.extend(check_page(tab, "privacy-export-ready", "viewer").await);
    let document: String = tab
        .page
        .evaluate(
            "(async () => {
               const link = document.querySelector('a[href$=\"/download\"]');
               if (!link) return 'no download link';
               const answer = await fetch(link.href);
               return answer.status + ' ' + (answer.headers.get('content-disposition') || '')
                 + '\\n' + await answer.text();
             })()",
        )
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .map_err(|e| e.to_string())?;
    let (head, body) = document.split_once('\n').unwrap_or((&document, ""));
    if !head.starts_with("200 attachment") {
        return Err(format!("the download answered {head:?}"));
    }
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the download is not JSON: {e}"))?;
    if json["memberships"][0]["role"] != "viewer" {
        return Err(format!("the export's memberships: {}", json["memberships"]));
    }
    if json["sessions"].as_array().is_none_or(Vec::is_empty) {
        return Err("the export lists no session".into());
    }
    if body.contains("digest") || body.contains("secret") {
        return Err("the export holds a digest or a secret".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// With no worker running, a second request is refused on the page with 409.
async fn export_pending(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "billing").await?;
    open(tab, &app.url("/privacy/export"), "/privacy/export").await?;
    click(tab, "form[action='/privacy/export'] button[type=submit]").await?;
    arrive(tab, "/privacy/export?queued=1").await?;
    let mut found = check_page(tab, "privacy-export-queued", "billing").await;
    click(tab, "form[action='/privacy/export'] button[type=submit]").await?;
    arrive(tab, "/privacy/export").await?;
    status_is(tab, 409)?;
    let alert = text(tab, "[role=alert]").await;
    if !alert.contains("export_pending") {
        return Err(format!("the refusal says {alert:?}"));
    }
    found.extend(check_page(tab, "privacy-export-pending", "billing").await);
    if app.count_where("privacy_exports", "true").await != 1 {
        return Err("the refused request was stored".into());
    }
    Ok(found)
}

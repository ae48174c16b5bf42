//! The flows of the dashboard's frame, each in its own browser context on its own app.

use std::time::Duration;

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{arrive, click, fill, open, sign_in, status_is, text},
};

/// Every staff role signs in by a `dev-login` link and sees the dashboard with its menu; a
/// customer member lands on its portal and gets the 403 page for the dashboard; the sign-in and 404 pages for someone not signed in.
pub async fn pages_by_role(app: &App, chromium: &Chromium) -> Vec<String> {
    let mut problems = Vec::new();
    let anonymous = chromium.tab().await;
    let outcome = async {
        let mut found = Vec::new();
        open(&anonymous, &app.url("/login"), "/login").await?;
        status_is(&anonymous, 200)?;
        found.extend(check_page(&anonymous, "login", "anonymous").await);
        open(&anonymous, &app.url("/nowhere"), "/nowhere").await?;
        status_is(&anonymous, 404)?;
        found.extend(check_page(&anonymous, "not-found", "anonymous").await);
        Ok::<_, String>(found)
    }
    .await;
    match outcome {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("anonymous: {error}")),
    }
    chromium.dispose(anonymous).await;
    for role in ["owner", "admin", "billing", "viewer"] {
        let tab = chromium.tab().await;
        let link = app.dev_link(&["--org", "default", "--role", role]).await;
        let outcome = async {
            open(&tab, &link, "/").await?;
            status_is(&tab, 200)?;
            let heading = text(&tab, "h1").await;
            if heading != "Dashboard" {
                return Err(format!("the heading is {heading:?}"));
            }
            let menu = text(&tab, "nav.nav").await;
            if !menu.contains("Dashboard") {
                return Err(format!("the menu is {menu:?}"));
            }
            Ok(check_page(&tab, "dashboard", role).await)
        }
        .await;
        match outcome {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("{role}: {error}")),
        }
        chromium.dispose(tab).await;
    }
    let customer = chromium.tab().await;
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
    let outcome = async {
        // A customer's member lands on its portal, with a menu of that alone.
        open(&customer, &link, "/portal").await?;
        status_is(&customer, 200)?;
        let menu = text(&customer, "nav.nav").await;
        if menu.trim() != "Portal" {
            return Err(format!("a customer member's menu is {menu:?}"));
        }
        let mut found = check_page(&customer, "portal", "customer-member").await;
        open(&customer, &app.url("/"), "/").await?;
        status_is(&customer, 403)?;
        let body = text(&customer, "main").await;
        if !body.contains("Owner, Admin, Billing, Viewer") {
            return Err(format!("the 403 page says {body:?}"));
        }
        if !text(&customer, "nav.nav").await.is_empty() {
            return Err("a customer member is shown the staff menu".into());
        }
        found.extend(check_page(&customer, "dashboard", "customer").await);
        // Nothing else to open: the 403 page offers to sign out, and that works.
        click(&customer, "main form[action='/logout'] button[type=submit]").await?;
        arrive(&customer, "/login").await?;
        if app
            .count_where("web_sessions", "revoked_at IS NOT NULL")
            .await
            != 1
        {
            return Err("signing out from the 403 page did not revoke the session".into());
        }
        Ok(found)
    }
    .await;
    match outcome {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("customer: {error}")),
    }
    chromium.dispose(customer).await;
    problems
}

/// Paste a token, land on the page asked for, sign out, and find the session gone.
pub async fn token_login_and_logout(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let token = app
        .dev_token(&["--org", "default", "--role", "admin"])
        .await;
    open(
        tab,
        &app.url("/?period=7d"),
        "/login?next=%2F%3Fperiod%3D7d",
    )
    .await?;
    fill(tab, "#token", &token).await?;
    click(tab, "form[action='/login'] button[type=submit]").await?;
    arrive(tab, "/?period=7d").await?;
    let mut found = check_page(tab, "dashboard-7d", "admin").await;
    let account = text(tab, ".account").await;
    if !account.contains("dev-admin") {
        return Err(format!("the header names {account:?}"));
    }
    click(tab, ".account button[type=submit]").await?;
    arrive(tab, "/login").await?;
    found.extend(tab.take_problems());
    if app
        .count_where("web_sessions", "revoked_at IS NOT NULL")
        .await
        != 1
    {
        return Err("signing out did not revoke the session".into());
    }
    open(tab, &app.url("/"), "/login?next=%2F").await?;
    Ok(found)
}

/// A form whose CSRF token was tampered with is refused with the 403 page, nothing done.
pub async fn csrf_refusal(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    let link = app.dev_link(&["--org", "default", "--role", "owner"]).await;
    open(tab, &link, "/").await?;
    tab.page
        .evaluate("document.querySelector('input[name=csrf]').value = 'forged'")
        .await
        .map_err(|e| e.to_string())?;
    click(tab, ".account button[type=submit]").await?;
    arrive(tab, "/logout").await?;
    status_is(tab, 403)?;
    let body = text(tab, "main").await;
    if !body.contains("csrf_failed") {
        return Err(format!("the refusal says {body:?}"));
    }
    let found = check_page(tab, "csrf-refused", "owner").await;
    if app.count_where("web_sessions", "revoked_at IS NULL").await != 1 {
        return Err("the forged sign-out ended the session".into());
    }
    Ok(found)
}

/// The first Tab reaches the skip link, visibly; Enter moves focus to the content.
pub async fn keyboard(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "viewer").await?;
    let body = tab
        .page
        .find_element("body")
        .await
        .map_err(|e| e.to_string())?;
    body.press_key("Tab").await.map_err(|e| e.to_string())?;
    let focused: String = tab
        .page
        .evaluate(
            "(() => { const e = document.activeElement; const r = e.getBoundingClientRect();
               const s = getComputedStyle(e);
               return [e.className, r.top >= 0 && r.bottom > 0, s.outlineStyle, s.outlineWidth]
                 .join('|'); })()",
        )
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .map_err(|e| e.to_string())?;
    let parts: Vec<&str> = focused.split('|').collect();
    if parts.first() != Some(&"skip-link") || parts.get(1) != Some(&"true") {
        return Err(format!(
            "the first Tab focuses {focused:?}, not a visible skip link"
        ));
    }
    if parts.get(2) == Some(&"none") || parts.get(3) == Some(&"0px") {
        return Err(format!(
            "the focused skip link has no visible outline: {focused:?}"
        ));
    }
    let mut found = check_page(tab, "dashboard-skip-link-focused", "viewer").await;
    body.press_key("Tab").await.map_err(|e| e.to_string())?;
    let _ = tab
        .page
        .evaluate("document.querySelector('.skip-link').focus()")
        .await;
    tab.page
        .find_element(".skip-link")
        .await
        .map_err(|e| e.to_string())?
        .press_key("Enter")
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let active: String = tab
        .page
        .evaluate("document.activeElement.id")
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .unwrap_or_default();
    if active != "main" {
        return Err(format!(
            "after the skip link, focus is on #{active:?}, not #main"
        ));
    }
    found.extend(tab.take_problems());
    Ok(found)
}

//! Signing in through Ory Kratos in Chromium, against the Kratos stand-in: a page asked for
//! sends the browser through Kratos's browser flow to the dashboard's own rendering of the
//! flow's form; a wrong password comes back with Kratos's message; the right one lands on the
//! page first asked for; signing out ends Kratos's session too.

use std::time::Duration;

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    kratos_stand_in::{EMAIL, IDENTITY, KratosStandIn, PASSWORD},
    steps::{arrive, click, fill, text},
};

/// Waits until the tab shows the sign-in page with a Kratos flow.
async fn at_flow(tab: &Tab, app: &App) -> Result<String, String> {
    let prefix = app.url("/login?flow=");
    for _ in 0..100 {
        let url = tab.page.url().await.ok().flatten().unwrap_or_default();
        let ready: String = tab
            .page
            .evaluate("document.readyState")
            .await
            .ok()
            .and_then(|value| value.into_value().ok())
            .unwrap_or_default();
        if url.starts_with(&prefix) && ready == "complete" {
            return Ok(url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = tab.page.url().await.ok().flatten().unwrap_or_default();
    Err(format!(
        "expected Kratos's flow on the sign-in page, the tab shows {url}"
    ))
}

async fn sign_in_through_kratos(
    app: &App,
    tab: &Tab,
    kratos: &KratosStandIn,
) -> Result<Vec<String>, String> {
    app.dev_token(&["--org", "default", "--role", "owner", "--subject", IDENTITY])
        .await;
    tab.page
        .goto(app.url("/?period=7d"))
        .await
        .map_err(|e| e.to_string())?;
    let first = at_flow(tab, app).await?;
    let mut found = check_page(tab, "login-kratos", "anonymous").await;

    fill(tab, "input[name=identifier]", EMAIL).await?;
    fill(tab, "input[name=password]", "not the password").await?;
    click(tab, "button[name=method][value=password]").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = at_flow(tab, app).await?;
    if again != first {
        return Err(format!(
            "a refused password led to {again}, not back to {first}"
        ));
    }
    let notice = text(tab, ".login .notice.error").await;
    if !notice.contains("credentials are invalid") {
        return Err(format!("the refusal says {notice:?}"));
    }
    found.extend(check_page(tab, "login-kratos-refused", "anonymous").await);

    fill(tab, "input[name=identifier]", EMAIL).await?;
    fill(tab, "input[name=password]", PASSWORD).await?;
    click(tab, "button[name=method][value=password]").await?;
    arrive(tab, "/?period=7d").await?;
    let account = text(tab, ".account").await;
    if !account.contains(IDENTITY) {
        return Err(format!("the header names {account:?}"));
    }
    found.extend(tab.take_problems());

    click(tab, ".account button[type=submit]").await?;
    at_flow(tab, app).await?;
    if kratos.live_sessions() != 0 {
        return Err("signing out left Kratos's session alive".into());
    }
    if app
        .count_where(
            "web_sessions",
            "revoked_at IS NOT NULL AND method = 'kratos'",
        )
        .await
        != 1
    {
        return Err("signing out did not revoke the dashboard's session".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// A sign-in journey through Kratos: the app, its tab and the stand-in it talks to.
pub type KratosFlow = for<'a> fn(
    &'a App,
    &'a Tab,
    &'a KratosStandIn,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Vec<String>, String>> + 'a>,
>;

/// `flow` (called `name` in problems) on its own app with Kratos configured, in a tab of its
/// own; the stand-in's own findings are added to the flow's.
pub async fn with_kratos(chromium: &Chromium, name: &str, flow: KratosFlow) -> Vec<String> {
    let kratos = KratosStandIn::start().await;
    let url = kratos.uri();
    let app = App::spawn_with(move |settings| settings.ory.kratos_public_url = url).await;
    kratos.serve(&app.address);
    let tab = chromium.tab().await;
    let mut problems = match flow(&app, &tab, &kratos).await {
        Ok(found) => found,
        Err(error) => vec![format!("{name}: {error}")],
    };
    problems.extend(
        kratos
            .problems()
            .into_iter()
            .map(|problem| format!("kratos stand-in ({name}): {problem}")),
    );
    chromium.dispose(tab).await;
    app.stop().await;
    problems
}

/// The whole flow on its own app, with Kratos configured.
pub async fn kratos_login(chromium: &Chromium) -> Vec<String> {
    with_kratos(chromium, "kratos login", |app, tab, kratos| {
        Box::pin(sign_in_through_kratos(app, tab, kratos))
    })
    .await
}

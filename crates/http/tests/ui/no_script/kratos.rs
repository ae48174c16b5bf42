//! Signing in through Ory Kratos with JavaScript off, against the Kratos stand-in: the same
//! journey as `kratos.rs` (a page asked for, Kratos's browser flow rendered by the dashboard,
//! a refused password, the right one, signing out of both), every step a plain form post to
//! Kratos answered by a 303 back. What CSP's `form-action` allows is what a browser without
//! scripts needs: a post to Kratos's own origin.

use super::{
    dom::{self, arrive, arrive_where, before, click, text},
    no_script_ran,
};
use crate::{
    app::App,
    audit::check_page_without_script,
    browser::{Chromium, Tab},
    kratos::with_kratos,
    kratos_stand_in::{EMAIL, IDENTITY, KratosStandIn, PASSWORD},
};

fn on_flow(shown: &str) -> bool {
    shown.starts_with("/login?flow=")
}

async fn submit_password(tab: &Tab, password: &str) -> Result<dom::Before, String> {
    dom::type_in(tab, "input[name=identifier]", EMAIL).await?;
    dom::type_in(tab, "input[name=password]", password).await?;
    let was = before(tab).await?;
    click(tab, "button[name=method][value=password]").await?;
    Ok(was)
}

async fn sign_in_and_out(
    app: &App,
    tab: &Tab,
    kratos: &KratosStandIn,
) -> Result<Vec<String>, String> {
    dom::scripts_off(tab).await?;
    app.dev_token(&["--org", "default", "--role", "owner", "--subject", IDENTITY])
        .await;
    let was = dom::go(tab, &app.url("/?period=7d")).await?;
    let first = arrive_where(tab, &was, "/login?flow=…", on_flow).await?;
    no_script_ran(tab).await?;
    let mut found = check_page_without_script(tab, "login-kratos", "anonymous").await;

    let was = submit_password(tab, "not the password").await?;
    let again = arrive_where(tab, &was, "/login?flow=…", on_flow).await?;
    if again != first {
        return Err(format!(
            "a refused password led to {again}, not back to {first}"
        ));
    }
    let notice = text(tab, ".login .notice.error").await?;
    if !notice.contains("credentials are invalid") {
        return Err(format!("the refusal says {notice:?}"));
    }
    found.extend(check_page_without_script(tab, "login-kratos-refused", "anonymous").await);

    let was = submit_password(tab, PASSWORD).await?;
    arrive(tab, &was, "/?period=7d").await?;
    let account = text(tab, ".account").await?;
    if !account.contains(IDENTITY) {
        return Err(format!("the header names {account:?}"));
    }
    found.extend(tab.take_problems());

    let was = before(tab).await?;
    click(tab, ".account button[type=submit]").await?;
    arrive_where(tab, &was, "/login?flow=…", on_flow).await?;
    if kratos.live_sessions() != 0 {
        return Err("signing out left Kratos's session alive".into());
    }
    let revoked = "revoked_at IS NOT NULL AND method = 'kratos'";
    if app.count_where("web_sessions", revoked).await != 1 {
        return Err("signing out did not revoke the dashboard's session".into());
    }
    found.extend(tab.take_problems());
    Ok(found)
}

/// The whole journey on its own app, with Kratos configured and the tab's scripts off.
pub async fn kratos_login(chromium: &Chromium) -> Vec<String> {
    with_kratos(
        chromium,
        "kratos login without javascript",
        |app, tab, kratos| Box::pin(sign_in_and_out(app, tab, kratos)),
    )
    .await
}

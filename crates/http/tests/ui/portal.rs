//! The customer portal in Chromium, opened by the portal link the customer flow issued: the
//! customer's own figures and way back, no staff menu; the same link again opens nothing.

use crate::{
    audit::check_page,
    browser::Tab,
    steps::{js, open, read, status_is},
};

/// `link` is the portal link shown once on the customer's page (return address
/// `https://app.acme.example/account`, customer renamed "Acme Renamed", one subscription).
pub async fn portal_link(tab: &Tab, link: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let path = url::Url::parse(link)
        .map(|url| url.path().to_owned())
        .map_err(|e| format!("the portal link {link:?}: {e}"))?;
    open(tab, link, "/portal").await?;
    status_is(tab, 200)?;
    let heading = read(tab, "h1").await;
    if heading != "Acme Renamed" {
        return Err(format!("the portal is headed {heading:?}"));
    }
    let back = js(tab, "document.querySelector('.page-head a').href").await?;
    if back != "https://app.acme.example/account" {
        return Err(format!("the way back goes to {back:?}"));
    }
    let estimate = read(tab, "section[aria-labelledby=estimate-heading]").await;
    if !estimate.contains("acme-ui-main") {
        return Err(format!("the estimate says {estimate:?}"));
    }
    let menu = read(tab, "nav.nav").await;
    if !menu.contains("Portal") || menu.contains("Customers") {
        return Err(format!("a portal visitor's menu is {menu:?}"));
    }
    found.extend(check_page(tab, "portal", "customer").await);

    // Once only.
    open(tab, link, &path).await?;
    status_is(tab, 410)?;
    found.extend(check_page(tab, "portal-link-refused", "anonymous").await);
    Ok(found)
}

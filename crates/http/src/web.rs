//! The web dashboard, rendered on the server: askama templates (`web/templates/`, checked at
//! compile time), one Fluent catalog (`web/i18n/en-US/main.ftl`) and static files embedded in
//! the binary (`web/static/`). Pages work without JavaScript.
//!
//! A page is a handler (a module here taking a [`Visitor`]), a template, its catalog keys and
//! a row of the access table (`access/table/pages.rs`); a [`NAV`] entry puts it in the menu of
//! the roles that row allows. `docs/architecture.md` has the recipe.

mod assets;
mod billing;
mod csrf;
mod customers;
mod dashboard;
mod error_page;
mod events;
mod figures;
pub mod headers;
pub mod i18n;
mod layout;
mod litellm;
mod login;
mod portal;
mod privacy;
mod session;
mod settings;
mod timing;
mod usage;
mod when;

use actix_web::web;

pub use error_page::WebError;
pub use headers::secure_headers;
pub use layout::Layout;
pub use session::{Visitor, WebState};
pub use timing::Timing;

use i18n::key;

/// The menu: path, label key, the letter that opens it after "g". Shown to the roles the
/// access table lets open the path.
pub const NAV: &[(&str, &str, &str)] = &[
    ("/", key("nav-dashboard"), "d"),
    ("/usage", key("nav-usage"), "u"),
    ("/usage/events", key("nav-events"), "e"),
    ("/customers", key("nav-customers"), "c"),
    ("/billing/invoices", key("nav-billing"), "b"),
    ("/settings", key("nav-settings"), "s"),
    ("/portal", key("nav-portal"), "p"),
];

/// The dashboard's routes outside the access table: they serve people not signed in yet.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/dev/{secret}"),
    ("POST", "/logout"),
    ("POST", "/privacy/consent"),
    ("GET", "/portal/links/{token}"),
    ("GET", "/static/{file}"),
];

/// The dashboard's public routes, for a 405's `Allow`.
pub fn public_routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    PUBLIC_ROUTES.iter().copied()
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(dashboard::page))
        .route("/usage", web::get().to(usage::page))
        .route("/usage/export", web::get().to(usage::export))
        .route("/usage/events", web::get().to(events::list))
        // Before `{id}`, which would take "export" for an id.
        .route("/usage/events/export", web::get().to(events::export))
        .route("/usage/events/{id}", web::get().to(events::show))
        .route("/customers", web::get().to(customers::list))
        .route("/customers", web::post().to(customers::create))
        // Before `/customers/{id}`, which would take `new` for an id.
        .route("/customers/new", web::get().to(customers::new))
        .route("/customers/{id}", web::get().to(customers::detail))
        .route("/customers/{id}", web::post().to(customers::update))
        .route("/customers/{id}/edit", web::get().to(customers::edit))
        .route(
            "/customers/{id}/portal-links",
            web::post().to(customers::portal_link),
        )
        .route(
            "/customers/{id}/setup-link",
            web::post().to(customers::setup_link),
        )
        .route(
            "/customers/{id}/subscriptions/{subscription}/upgrade",
            web::post().to(customers::upgrade),
        )
        .route(
            "/customers/{id}/subscriptions/{subscription}/downgrade",
            web::post().to(customers::downgrade),
        )
        .route(
            "/customers/{id}/subscriptions/{subscription}/terminate",
            web::post().to(customers::terminate),
        )
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::with_token))
        .route("/login/dev/{secret}", web::get().to(login::with_link))
        .route("/logout", web::post().to(login::logout))
        .route("/portal", web::get().to(portal::page))
        .route("/portal/links/{token}", web::get().to(portal::open))
        .route(
            "/portal/invoices/{id}/pdf",
            web::get().to(portal::invoice_pdf),
        )
        .route(
            "/portal/invoices/{id}/receipt",
            web::get().to(portal::invoice_receipt),
        )
        // The events download, scoped to the visitor's customer as every read of theirs.
        .route("/portal/events/export", web::get().to(events::export))
        .route("/privacy", web::get().to(privacy::notice))
        .route("/privacy/consent", web::post().to(privacy::answer))
        .route("/privacy/export", web::get().to(privacy::export_page))
        .route("/privacy/export", web::post().to(privacy::request_export))
        .route(
            "/privacy/export/{id}/download",
            web::get().to(privacy::download),
        )
        .route("/static/{file}", web::get().to(assets::serve))
        .configure(settings::configure)
        .configure(billing::configure);
}

/// Whether a request no route took should be answered with a page rather than JSON: a
/// browser asking for something outside the API and the webhooks.
pub fn wants_page(request: &actix_web::HttpRequest) -> bool {
    let path = request.path();
    let machine = [
        "/api/",
        "/v1/",
        "/.well-known/",
        "/healthz",
        "/readyz",
        "/metrics",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    let html = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    !machine && html
}

#[cfg(test)]
mod tests;

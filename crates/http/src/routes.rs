//! Every route, registered in one place so tests can mount exactly what production serves.

pub(crate) mod api;
mod health;
mod lago;
pub(crate) mod litellm;
mod stripe;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;

/// The methods of the routes outside `/api` (whose methods are in the access table), for a
/// 405's `Allow`; a test checks each against what [`configure`] registers.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/v1/webhooks/litellm"),
    ("POST", "/v1/webhooks/litellm/alerts/{secret}"),
    ("POST", "/v1/webhooks/lago"),
    ("POST", "/v1/webhooks/stripe"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/api/openapi.json"),
];

/// The public routes, for the OpenAPI document's test.
pub fn public_routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    PUBLIC_ROUTES.iter().copied()
}

/// Liveness, readiness and metrics: all `tollgate worker`'s server has.
pub fn configure_probes(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics));
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(configure_probes)
        .route(
            "/v1/webhooks/litellm",
            web::post().to(litellm::receive_usage),
        )
        .route(
            "/v1/webhooks/litellm/alerts/{secret}",
            web::post().to(litellm::receive_alert),
        )
        .route("/v1/webhooks/lago", web::post().to(lago::receive))
        .route("/v1/webhooks/stripe", web::post().to(stripe::receive))
        .route("/.well-known/jwks.json", web::get().to(health::jwks))
        .route("/api/openapi.json", web::get().to(crate::openapi::serve))
        .configure(api::configure)
        .configure(crate::web::configure);
}

/// What no route took. Each route is registered with its method as a guard, so a known path
/// asked with another method lands here too: that is a 405 naming the methods it takes.
/// A browser asking for an unknown page gets the dashboard's 404 page.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let Some(pattern) = request.resource_map().match_pattern(request.path()) else {
        return Err(if crate::web::wants_page(&request) {
            crate::web::WebError::NotFound.into()
        } else {
            ApiError::NotFound.into()
        });
    };
    let public = PUBLIC_ROUTES
        .iter()
        .copied()
        .chain(crate::web::public_routes())
        .filter(|(_, p)| *p == pattern)
        .map(|(method, _)| method);
    let allowed: Vec<&str> = public.chain(crate::access::methods_for(&pattern)).collect();
    Err(ApiError::MethodNotAllowed {
        allowed: allowed.join(", "),
    }
    .into())
}

#[cfg(test)]
mod tests;

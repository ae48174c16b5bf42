//! Every route, registered in one place so tests can mount exactly what production serves.

mod api;
mod health;
mod lago;
mod litellm;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route(
            "/v1/webhooks/litellm",
            web::post().to(litellm::receive_usage),
        )
        .route(
            "/v1/webhooks/litellm/alerts/{secret}",
            web::post().to(litellm::receive_alert),
        )
        .route("/v1/webhooks/lago", web::post().to(lago::receive))
        .route("/.well-known/jwks.json", web::get().to(health::jwks))
        .configure(api::configure);
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

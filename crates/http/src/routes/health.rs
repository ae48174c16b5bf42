//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;
use tollgate_adapters::postgres::migrations_are_current;

use crate::{error::ApiError, probes::Probes, state::AppState};

/// The process is up; says nothing about its dependencies.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready to take traffic: not draining after SIGTERM, the database answers and every migration
/// is applied.
pub async fn readyz(state: web::Data<Probes>) -> Result<HttpResponse, ApiError> {
    if state.draining.is_draining() {
        return Err(ApiError::ShuttingDown);
    }
    let mut connection = state
        .pool
        .get()
        .await
        .map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    match migrations_are_current(&mut connection).await {
        Ok(true) => {
            // Ready to take traffic either way: events wait in the outbox for a system that
            // cannot be reached.
            let unreachable = state.upstreams.unreachable();
            if unreachable.is_empty() {
                Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
            } else {
                Ok(HttpResponse::Ok().json(json!({
                    "status": "degraded",
                    "unreachable": unreachable,
                    "message": format!(
                        "{} cannot be reached: events wait in the outbox for it",
                        unreachable.join(" and ")
                    ),
                })))
            }
        }
        Ok(false) => Err(ApiError::unavailable("migrations are pending")),
        Err(error) => Err(ApiError::unavailable(format!("database: {error}"))),
    }
}

pub async fn metrics(state: web::Data<Probes>) -> HttpResponse {
    // A scrape while the database is down still answers, with the last outbox reading.
    state.refresh_outbox_depth().await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.render())
}

/// The embedded issuer's public keys (404 when Ory issues the tokens).
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let issuer = state.embedded_issuer.as_ref().ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(issuer.jwks()))
}

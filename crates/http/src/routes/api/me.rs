//! `GET /api/me`: who the API thinks the caller is.

use actix_web::HttpResponse;
use serde_json::json;
use tollgate_application::services::access::PrincipalKind;

use crate::access::Caller;

pub async fn show(caller: Caller) -> HttpResponse {
    let principal = caller.principal;
    let role = match principal.kind {
        PrincipalKind::Person { role } => Some(role.as_str()),
        PrincipalKind::ApiKey { .. } => None,
    };
    HttpResponse::Ok().json(json!({
        "actor": principal.actor,
        "organization": principal.organization.to_string(),
        "role": role,
        "scopes": principal.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    }))
}

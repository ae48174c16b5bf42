//! `GET /api/me`: who the API thinks the caller is, and the organization they act on.

use actix_web::{HttpResponse, web};
use serde_json::json;
use tollgate_application::services::access::PrincipalKind;

use crate::{access::Caller, error::ApiError, state::AppState};

pub async fn show(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let principal = caller.principal;
    let role = match principal.kind {
        PrincipalKind::Person { role } => Some(role.as_str()),
        PrincipalKind::ApiKey { .. } => None,
    };
    // The caller was just let into it: an organization that is not there is a broken store.
    let named = state
        .access
        .organization(principal.organization)
        .await?
        .ok_or_else(|| ApiError::Internal("the caller's organization is not stored".into()))?;
    Ok(HttpResponse::Ok().json(json!({
        "actor": principal.actor,
        "organization": principal.organization.to_string(),
        "organization_slug": named.slug,
        "organization_name": named.display_name,
        "role": role,
        "scopes": principal.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    })))
}

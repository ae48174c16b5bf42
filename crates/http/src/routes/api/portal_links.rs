//! `POST /api/billing/customers/{id}/portal-links` `{return_url?, expires_in?}`: a link that
//! opens the customer's portal once, without an account. The answer's `url` carries the
//! token: it is shown once, never stored (only its SHA-256 is), and an `Idempotency-Key`
//! replay answers without it.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    access::{Caller, portal::PORTAL_LINK_PATH},
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalLinkRequest {
    /// Where the portal's "back" link goes: an absolute https URL (http only to a loopback
    /// host), without a user name or password; up to 2048 characters.
    return_url: Option<String>,
    /// Seconds the link stays usable: 60 to 86400, 3600 when absent.
    expires_in: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PortalLinkResponse {
    /// Opens the customer's portal once. Shown once: Tollgate keeps only a hash of it.
    url: String,
    expires_at: DateTime<Utc>,
}

pub async fn create(
    caller: Caller,
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<PortalLinkRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let missing = || ApiError::Missing { what: "customer" };
    let customer = Uuid::parse_str(&id).map_err(|_| missing())?;
    let issued = state
        .billing
        .portal_links()
        .issue(
            caller.principal.organization,
            customer,
            body.return_url.as_deref(),
            body.expires_in,
            &caller.audit,
        )
        .await?
        .ok_or_else(missing)?;
    // The address the caller reached Tollgate by (a proxy's `Forwarded` header included).
    let connection = request.connection_info();
    let url = format!(
        "{}://{}{PORTAL_LINK_PATH}{}",
        connection.scheme(),
        connection.host(),
        issued.token
    );
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(PortalLinkResponse {
            url,
            expires_at: issued.expires_at,
        }))
}

//! Opening the portal from a portal link: the web frame's `/portal/links/{token}` route calls
//! [`redeem`], which spends the link (once, before it expires; audited) and answers a
//! [`Caller`] limited to that organization's customer, as a customer member's would be:
//! role `customer`, its scopes, `principal.customer` set, actor `portal_link:<id>`.

use actix_web::{HttpMessage, HttpRequest, web};
use tollgate_application::{
    ports::AuditContext,
    services::access::{Principal, PrincipalKind},
};
use tollgate_domain::access::Role;
use tracing_actix_web::RequestId;

use super::{Caller, caller::hash_address};
use crate::{error::ApiError, state::AppState};

/// Where a portal link points, the token following.
pub const PORTAL_LINK_PATH: &str = "/portal/links/";

/// Spends `token` and answers whose portal it opens; `None` for an unknown, used or expired
/// token (the page should say the link no longer works, without telling which).
///
/// # Errors
/// `Internal` without the application state; the store's 503 when it cannot be reached.
pub async fn redeem(request: &HttpRequest, token: &str) -> Result<Option<Caller>, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let context = AuditContext {
        actor: "portal_link".into(),
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string),
        client_address_hash: request
            .peer_addr()
            .map(|address| hash_address(&state.address_salt, address.ip())),
    };
    let Some(link) = state.billing.portal_links().redeem(token, &context).await? else {
        return Ok(None);
    };
    let actor = format!("portal_link:{}", link.id);
    let caller = Caller {
        principal: Principal {
            actor: actor.clone(),
            organization: link.organization,
            kind: PrincipalKind::Person {
                role: Role::Customer,
            },
            scopes: Role::Customer.scopes().to_vec(),
            customer: Some(link.customer),
        },
        audit: AuditContext { actor, ..context },
    };
    // The link's return_url is read by the portal page itself: the visit outlives this call.
    Ok(Some(caller))
}

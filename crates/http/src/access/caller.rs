//! The `Caller` extractor: authenticates and authorizes a request against the access table
//! before its handler runs, and carries what the audit log needs to name the actor.

use std::net::IpAddr;

use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};
use tollgate_application::{
    ports::{AuditContext, AuditEntry, AuthError, SessionCredential},
    services::access::{Credential, Principal},
};
use tollgate_domain::organization::OrganizationId;
use tracing_actix_web::RequestId;

use super::requirement_for;
use tollgate_domain::ErrorCode;

use crate::{error::ApiError, state::AppState};

/// The organization a person acts on: its id or slug.
pub const ORGANIZATION_HEADER: &str = "tollgate-organization";

pub struct Caller {
    pub principal: Principal,
    pub audit: AuditContext,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Authorized already by a middleware that needed the organization first.
        let known = request.extensions_mut().remove::<Caller>();
        let request = request.clone();
        Box::pin(async move {
            match known {
                Some(caller) => Ok(caller),
                None => authorize(&request).await,
            }
        })
    }
}

/// Authenticates and authorizes `request` against the access table, recording a refused
/// change in the audit log.
///
/// # Errors
/// 401, 403, 429 (too many failed authentications), or the identity system's 5xx.
pub async fn authorize(request: &HttpRequest) -> Result<Caller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let requirement = request
        .match_pattern()
        .and_then(|pattern| requirement_for(request.method(), &pattern))
        .ok_or_else(|| ApiError::Internal("this route has no access rule".into()))?;
    let client = request.peer_addr().map(|address| address.ip());
    if client.is_some_and(|ip| state.auth_limiter.is_blocked(ip)) {
        return Err(ApiError::TooManyRequests);
    }
    let refuse = |error: ApiError| {
        if let (ApiError::Unauthorized, Some(ip)) = (&error, client) {
            state.auth_limiter.record_failure(ip);
        }
        error
    };
    let credential = credential(request).ok_or_else(|| refuse(ApiError::Unauthorized))?;
    // A header that names an organization unreadably is refused, not ignored: acting in
    // another organization than the one named would be worse than failing.
    let organization = match request.headers().get(ORGANIZATION_HEADER) {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| ApiError::Malformed {
            code: ErrorCode::InvalidHeader,
            message: format!("the {ORGANIZATION_HEADER} header is not readable text"),
        })?),
    };
    // The portal's customer members must name their customer; staff may name any.
    let customer =
        web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
            .ok()
            .and_then(|query| query.get("customer").cloned());
    let decision = state
        .access
        .authorize(&credential, organization, customer.as_deref(), requirement)
        .await;
    let principal = match decision {
        Ok(principal) => principal,
        Err(AuthError::Denied {
            organization,
            actor,
            reason,
        }) => {
            if !matches!(*request.method(), Method::GET | Method::HEAD) {
                record_denial(request, state, organization, actor, client).await;
            }
            return Err(ApiError::Forbidden(reason));
        }
        Err(error) => return Err(refuse(error.into())),
    };
    let audit = AuditContext {
        actor: principal.actor.clone(),
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string),
        client_address_hash: client.map(|ip| hash_address(&state.address_salt, ip)),
    };
    Ok(Caller { principal, audit })
}

/// A refused attempt to change something is part of the audit trail too. Failing to record it
/// must not turn the refusal into something else, so errors are only logged.
async fn record_denial(
    request: &HttpRequest,
    state: &AppState,
    organization: OrganizationId,
    actor: String,
    client: Option<IpAddr>,
) {
    let route = request.match_pattern().unwrap_or_default();
    let entry = AuditEntry {
        context: AuditContext {
            actor,
            request_id: request
                .extensions()
                .get::<RequestId>()
                .map(ToString::to_string),
            client_address_hash: client.map(|ip| hash_address(&state.address_salt, ip)),
        },
        action: "request.denied",
        target: Some(format!("{} {route}", request.method())),
        result: "denied",
    };
    if let Err(error) = state.audit.append(organization, &entry).await {
        tracing::error!(%error, "cannot record a denied request in the audit log");
    }
}

fn credential(request: &HttpRequest) -> Option<Credential> {
    let headers = request.headers();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then(|| Credential::Bearer(token.to_owned()));
    }
    if let Some(token) = headers.get("x-session-token").and_then(|v| v.to_str().ok()) {
        return Some(Credential::Session(SessionCredential::Token(
            token.to_owned(),
        )));
    }
    headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|cookie| Credential::Session(SessionCredential::Cookie(cookie.to_owned())))
}

/// Salted so the audit log links a client's actions without revealing its address.
pub fn hash_address(salt: &[u8], ip: IpAddr) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(ip.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

//! `/api/settings/api-keys`: create (the secret is in this answer only), list, revoke.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::{ApiKeyRecord, CreationKey},
    services::access::api_keys::CreatedApiKey,
};
use tollgate_domain::access::Scope;
use uuid::Uuid;
use validator::Validate;

use tollgate_domain::ErrorCode;

use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "api_keys";

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[validate(length(min = 1, max = 100))]
    pub(crate) name: String,
    #[validate(length(min = 1, max = 5))]
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApiKeyResponse {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created_by: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl From<ApiKeyRecord> for ApiKeyResponse {
    fn from(key: ApiKeyRecord) -> Self {
        Self {
            id: key.id,
            name: key.name,
            prefix: key.display_prefix,
            scopes: key.scopes.iter().map(Scope::as_str).collect(),
            created_by: key.created_by,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
            secret: None,
        }
    }
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<CreateApiKeyRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let created = new_key(&caller, &state, body).await?;
    let mut response = ApiKeyResponse::from(created.record);
    response.secret = Some(created.secret.expose().to_owned());
    Ok(HttpResponse::Created().json(response))
}

/// A new API key as `request` asks, checked as the API checks it (the dashboard's form makes
/// one too): the secret is in the answer only.
///
/// # Errors
/// 422 for a bad name, scope or expiry; 403 for a scope the caller does not hold.
pub(crate) async fn new_key(
    caller: &Caller,
    state: &AppState,
    request: CreateApiKeyRequest,
) -> Result<CreatedApiKey, ApiError> {
    request.validate().map_err(ApiError::from)?;
    let scopes = request
        .scopes
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    // Nobody hands out more than they hold.
    if let Some(scope) = scopes.iter().find(|s| !caller.principal.scopes.contains(s)) {
        return Err(ApiError::Forbidden(format!(
            "you cannot grant the scope {scope}, which you do not hold"
        )));
    }
    if request.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidRequest,
            message: "expires_at must be in the future".into(),
        });
    }
    Ok(state
        .api_keys
        .create(
            caller.principal.organization,
            &request.name,
            scopes,
            request.expires_at,
            &caller.audit,
        )
        .await?)
}

/// Oldest first; ids need not follow creation (keys made before v7 ids), so the cursor holds
/// both.
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let keys = state
        .api_keys
        .list(
            caller.principal.organization,
            page.after(LIST)?,
            page.fetch(),
        )
        .await?;
    let (keys, next) = page.split(LIST, keys, |k| CreationKey {
        created_at: k.created_at,
        id: k.id,
    });
    let keys: Vec<ApiKeyResponse> = keys.into_iter().map(Into::into).collect();
    Ok(paging::answer(&keys, next))
}

pub async fn revoke(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    revoked_key(&caller, &state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The key `id` refused from now on (audited).
///
/// # Errors
/// 404 for an unknown id or another organization's key; the store's failures.
pub(crate) async fn revoked_key(
    caller: &Caller,
    state: &AppState,
    id: &str,
) -> Result<(), ApiError> {
    // An id that is not a UUID, or another organization's key, is simply not found here.
    let id = Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "api key" })?;
    if state
        .api_keys
        .revoke(caller.principal.organization, id, &caller.audit)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::Missing { what: "api key" })
    }
}

//! `/api/settings`: the organization's profile, billing contact, debug mode and alert
//! thresholds; and `/api/settings/litellm-secrets`. Outbound webhooks are endpoints of their
//! own (`/api/settings/webhooks`).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tollgate_application::{
    ports::{CreationKey, WebhookSecretRecord},
    services::access::settings::CreatedWebhookSecret,
};
use tollgate_domain::{
    billing::{NetTerms, TaxId},
    money::UsdAmount,
    settings::{BillingContact, OrganizationSettings, SettingsField},
};
use uuid::Uuid;
use validator::Validate;

use tollgate_domain::ErrorCode;

use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked, decode_json},
    state::AppState,
};

mod merge;

/// A settings document as sent: each member's JSON text kept as written, so thresholds are
/// read from their own digits, never through a float.
pub type Document = std::collections::BTreeMap<String, Box<RawValue>>;

const SECRETS: &str = "litellm_secrets";

/// The field that became `/api/settings/webhooks`: refused by name, not as an unknown one.
const MOVED_URLS: &str = "webhook_urls";

/// How long a rotated LiteLLM secret keeps working: time to redeploy LiteLLM.
pub(crate) const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

#[derive(Deserialize, Serialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactDto {
    #[validate(length(min = 1, max = 200))]
    name: String,
    #[validate(email)]
    email: String,
    #[validate(length(max = 1000))]
    address: Option<String>,
}

/// The whole settings document. `PUT` requires every field (`null` clears the optional ones);
/// after a `PATCH`'s merge, an absent field takes its default.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[validate(length(max = 200))]
    #[schema(required = true)]
    display_name: Option<String>,
    #[validate(nested)]
    #[schema(required = true)]
    billing_contact: Option<ContactDto>,
    /// The seller's tax id on the organization's invoices (VAT number...).
    #[schema(required = true)]
    tax_id: Option<String>,
    /// Days invoices are due after their issue, 0 to 365, for customers without terms of
    /// their own; absent or `null`: 30.
    net_terms_days: Option<i64>,
    #[serde(default)]
    #[schema(required = true)]
    debug_mode: bool,
    /// USD amounts, as JSON numbers or decimal strings; read exactly, never through a float.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(value_type = Vec<String>, required = true)]
    alert_thresholds: Vec<Box<RawValue>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SettingsResponse {
    display_name: Option<String>,
    billing_contact: Option<ContactDto>,
    tax_id: Option<String>,
    net_terms_days: Option<u16>,
    debug_mode: bool,
    alert_thresholds: Vec<String>,
}

impl From<OrganizationSettings> for SettingsResponse {
    fn from(s: OrganizationSettings) -> Self {
        Self {
            display_name: s.display_name,
            billing_contact: s.billing_contact.map(|c| ContactDto {
                name: c.name,
                email: c.email,
                address: c.address,
            }),
            tax_id: s.tax_id.map(|id| id.as_str().to_owned()),
            net_terms_days: s.net_terms.map(|terms| terms.days()),
            debug_mode: s.debug_mode,
            alert_thresholds: s.alert_thresholds.iter().map(ToString::to_string).collect(),
        }
    }
}

fn invalid(message: impl ToString) -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidRequest,
        message: message.to_string(),
    }
}

pub async fn show(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.get(caller.principal.organization).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}

/// `PUT`: the whole document. Every field must be given (`null` clears the optional ones): a
/// field left out is refused, not wiped.
pub async fn replace(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<Document>>,
) -> Result<HttpResponse, ApiError> {
    let document = body.open()?.into_inner();
    // Unknown fields and unreadable values first, as for any body.
    let settings = settings_of(&document)?;
    if let Some(missing) = SettingsField::ALL
        .iter()
        .find(|field| !document.contains_key(field.as_str()))
    {
        return Err(ApiError::Invalid {
            code: ErrorCode::MissingField,
            message: format!(
                "`{}` is missing: PUT replaces the whole settings document (`null` clears an \
                 optional field); PATCH changes the fields it names only",
                missing.as_str()
            ),
        });
    }
    let saved = state
        .settings
        .put(caller.principal.organization, settings, &caller.audit)
        .await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(saved)))
}

/// `PATCH`: a JSON merge patch (RFC 7396) of the document. A field left out stays as it is,
/// `null` resets it (no display name, contact or tax id; debug mode off; no thresholds), an
/// object is merged into the billing contact. The result is checked as a whole, as a `PUT` of
/// it would be.
pub async fn patch(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<Document>>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.open()?.into_inner();
    let saved = apply_patch(&caller, &state, patch).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(saved)))
}

/// Applies a merge patch to the stored settings and saves the fields it names, checked and
/// audited as the API's `PATCH` does (the dashboard's settings form sends one too).
///
/// # Errors
/// The API's refusals (unknown fields, unreadable values, `webhook_urls`...).
pub(crate) async fn apply_patch(
    caller: &Caller,
    state: &AppState,
    patch: Document,
) -> Result<OrganizationSettings, ApiError> {
    refuse_moved(&patch)?;
    let organization = caller.principal.organization;
    let current = SettingsResponse::from(state.settings.get(organization).await?);
    let mut document = merge::document(&current)?;
    // An unknown name is refused below, by the document's own fields.
    let fields: Vec<SettingsField> = patch
        .keys()
        .filter_map(|name| SettingsField::parse(name))
        .collect();
    for (name, value) in patch {
        merge::member(&mut document, name, value)?;
    }
    let settings = settings_of(&document)?;
    Ok(state
        .settings
        .patch(organization, settings, &fields, &caller.audit)
        .await?)
}

/// `webhook_urls` by name (even `null` in a patch, which a merge would drop unseen).
fn refuse_moved(document: &Document) -> Result<(), ApiError> {
    if document.contains_key(MOVED_URLS) {
        return Err(ApiError::Invalid {
            code: ErrorCode::MovedField,
            message: "`webhook_urls` is no longer a setting: outbound webhooks are endpoints, \
                  each with its own secret and event types, managed at \
                  /api/settings/webhooks (the URLs set here before were moved there)"
                .to_owned(),
        });
    }
    Ok(())
}

/// The settings `document` holds, checked against the API's rules (lengths, formats, exact
/// thresholds). Absent fields take their defaults.
fn settings_of(document: &Document) -> Result<OrganizationSettings, ApiError> {
    refuse_moved(document)?;
    let text = serde_json::to_vec(document)
        .map_err(|error| ApiError::Internal(format!("a settings document: {error}")))?;
    let body: SettingsRequest = decode_json(&text)?;
    body.validate().map_err(invalid)?;
    let alert_thresholds = body
        .alert_thresholds
        .iter()
        .map(|raw| {
            let text = raw.get();
            let text = text.trim_matches('"');
            UsdAmount::parse_json_number("alert_thresholds", text)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OrganizationSettings {
        display_name: body.display_name,
        billing_contact: body.billing_contact.map(|c| BillingContact {
            name: c.name,
            email: c.email,
            address: c.address,
        }),
        tax_id: body.tax_id.as_deref().map(TaxId::parse).transpose()?,
        net_terms: body.net_terms_days.map(NetTerms::from_stored).transpose()?,
        debug_mode: body.debug_mode,
        alert_thresholds,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecretResponse {
    id: Uuid,
    label: String,
    prefix: String,
    created_at: chrono::DateTime<chrono::Utc>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl SecretResponse {
    fn new(record: WebhookSecretRecord, secret: Option<String>) -> Self {
        Self {
            id: record.id,
            label: record.label,
            prefix: record.display_prefix,
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            secret,
        }
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecretRequest {
    #[validate(length(min = 1, max = 100))]
    label: String,
}

/// Oldest first, by creation time and id (the secret made at first start keeps its own id).
pub async fn list_secrets(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let secrets = state
        .settings
        .list_secrets(
            caller.principal.organization,
            page.after(SECRETS)?,
            page.fetch(),
        )
        .await?;
    let (secrets, next) = page.split(SECRETS, secrets, |s| CreationKey {
        created_at: s.created_at,
        id: s.id,
    });
    let data: Vec<_> = secrets
        .into_iter()
        .map(|s| SecretResponse::new(s, None))
        .collect();
    Ok(paging::answer(&data, next))
}

pub async fn create_secret(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<CreateSecretRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?;
    body.validate().map_err(invalid)?;
    let created = new_secret(&caller, &state, &body.label).await?;
    Ok(HttpResponse::Created().json(SecretResponse::new(created.record, Some(created.secret))))
}

/// A new LiteLLM secret labelled `label`, accepted by the webhook from now on.
///
/// # Errors
/// 422 for a label out of bounds; the store's failures.
pub(crate) async fn new_secret(
    caller: &Caller,
    state: &AppState,
    label: &str,
) -> Result<CreatedWebhookSecret, ApiError> {
    CreateSecretRequest {
        label: label.to_owned(),
    }
    .validate()
    .map_err(invalid)?;
    let created = state
        .settings
        .create_secret(caller.principal.organization, label, &caller.audit)
        .await?;
    state.webhooks.forget_stored_secrets().await;
    Ok(created)
}

pub async fn rotate_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let created = rotated_secret(&caller, &state, &id).await?;
    Ok(HttpResponse::Created().json(SecretResponse::new(created.record, Some(created.secret))))
}

/// The secret `id` replaced by a new one; the old one keeps working for [`ROTATION_OVERLAP`].
///
/// # Errors
/// 404 for an unknown id (or another organization's); the store's failures.
pub(crate) async fn rotated_secret(
    caller: &Caller,
    state: &AppState,
    id: &str,
) -> Result<CreatedWebhookSecret, ApiError> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "secret" })?;
    let created = state
        .settings
        .rotate_secret(
            caller.principal.organization,
            id,
            ROTATION_OVERLAP,
            &caller.audit,
        )
        .await?
        .ok_or(ApiError::Missing { what: "secret" })?;
    state.webhooks.forget_stored_secrets().await;
    Ok(created)
}

pub async fn revoke_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    revoked_secret(&caller, &state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The secret `id` refused from now on.
///
/// # Errors
/// 404 for an unknown id (or another organization's); the store's failures.
pub(crate) async fn revoked_secret(
    caller: &Caller,
    state: &AppState,
    id: &str,
) -> Result<(), ApiError> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "secret" })?;
    if !state
        .settings
        .revoke_secret(caller.principal.organization, id, &caller.audit)
        .await?
    {
        return Err(ApiError::Missing { what: "secret" });
    }
    state.webhooks.forget_stored_secrets().await;
    Ok(())
}

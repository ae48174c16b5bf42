//! `/settings/secrets`: the secrets LiteLLM signs its webhook calls with. Create one, rotate
//! one (the old one keeps working for 24 hours, shown), revoke one; a secret just made is
//! shown this once, inside the paste-ready LiteLLM configuration.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::{CreationKey, WebhookSecretRecord};
use uuid::Uuid;

use super::{
    Moment, Refusal, Section, ZoneQuery, creation_cursor, moment, parse_creation_cursor, refusal,
    sections, see_other, zone, zone_suffix,
};
use crate::{
    routes::api::settings::{ROTATION_OVERLAP, new_secret, revoked_secret, rotated_secret},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
        litellm,
    },
};

/// Secrets per page.
const PAGE: i64 = 50;

pub struct SecretRow {
    pub id: Uuid,
    pub label: String,
    pub prefix: String,
    pub created_at: Moment,
    /// A rotated secret works until then.
    pub expires_at: Option<Moment>,
    pub status: String,
    pub active: bool,
}

/// A secret just made (or made by a rotation): shown this once.
pub struct Created {
    pub label: String,
    pub snippet: String,
    /// After a rotation: when the old secret stops working.
    pub previous: Option<Moment>,
}

#[derive(Template)]
#[template(path = "settings_secrets.html")]
struct SecretsPage {
    layout: Layout,
    sections: Vec<Section>,
    secrets: Vec<SecretRow>,
    next: Option<String>,
    created: Option<Created>,
    revoked: bool,
    refusal: Option<Refusal>,
    tz_error: Option<String>,
    label: String,
    /// The configuration with the secret left out, for reference.
    snippet: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    zone: ZoneQuery,
    after: Option<String>,
    revoked: Option<String>,
}

fn row(secret: WebhookSecretRecord, zone: Tz) -> SecretRow {
    let t = catalog();
    let now = Utc::now();
    let (status, active) = if secret.revoked_at.is_some() {
        (t.tr("secrets-status-revoked"), false)
    } else if secret.expires_at.is_some_and(|at| at <= now) {
        (t.tr("secrets-status-expired"), false)
    } else if secret.expires_at.is_some() {
        (t.tr("secrets-status-rotating"), true)
    } else {
        (t.tr("secrets-status-active"), true)
    };
    SecretRow {
        id: secret.id,
        label: secret.label,
        prefix: secret.display_prefix,
        created_at: moment(secret.created_at, zone),
        expires_at: secret.expires_at.map(|at| moment(at, zone)),
        status,
        active,
    }
}

async fn list_page(
    visitor: &Visitor,
    request: &HttpRequest,
    timing: &Timing,
    state: &AppState,
    after: Option<CreationKey>,
    zone: Tz,
) -> Result<(SecretsPage, Vec<WebhookSecretRecord>), WebError> {
    let mut secrets = timing
        .measure(
            "secrets",
            state
                .settings
                .list_secrets(visitor.caller.principal.organization, after, PAGE + 1),
        )
        .await?;
    let size = usize::try_from(PAGE).unwrap_or(usize::MAX);
    let next = if secrets.len() > size {
        secrets.truncate(size);
        secrets.last().map(|last| {
            format!(
                "/settings/secrets?after={}{}",
                creation_cursor(&CreationKey {
                    created_at: last.created_at,
                    id: last.id,
                }),
                zone_suffix(zone, '&')
            )
        })
    } else {
        None
    };
    let page = SecretsPage {
        layout: Layout::page(visitor, request, key("secrets-title"), timing),
        sections: sections("/settings/secrets"),
        secrets: secrets.iter().cloned().map(|s| row(s, zone)).collect(),
        next,
        created: None,
        revoked: false,
        refusal: None,
        tz_error: None,
        label: String::new(),
        snippet: litellm::snippet(&state.web.origin, litellm::SECRET_PLACEHOLDER),
    };
    Ok((page, secrets))
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let (zone, tz_error) = zone(query.zone.tz.as_deref());
    let after = query.after.as_deref().and_then(parse_creation_cursor);
    let (mut page, _) = list_page(&visitor, &request, &timing, &state, after, zone).await?;
    page.revoked = query.revoked.is_some();
    let status = if tz_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page.tz_error = tz_error;
    render(status, &page)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/secrets`: a new secret, shown in this answer only.
pub async fn create(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let label = form.label.trim();
    let outcome = match timing
        .measure("secrets", new_secret(&visitor.caller, &state, label))
        .await
    {
        Ok(created) => Ok(created),
        Err(error) => Err(refusal(error)?),
    };
    let (mut page, _) = list_page(&visitor, &request, &timing, &state, None, Tz::UTC).await?;
    match outcome {
        Ok(created) => {
            page.created = Some(Created {
                label: created.record.label,
                snippet: litellm::snippet(&state.web.origin, &created.secret),
                previous: None,
            });
            render(StatusCode::CREATED, &page)
        }
        Err((status, refused)) => {
            page.refusal = Some(refused);
            page.label = form.label.clone();
            render(status, &page)
        }
    }
}

/// `POST /settings/secrets/{id}/rotate`: a replacement, shown this once; the old secret
/// keeps working for the overlap, which the page shows.
pub async fn rotate(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let outcome = match timing
        .measure("secrets", rotated_secret(&visitor.caller, &state, &id))
        .await
    {
        Ok(created) => Ok(created),
        Err(error) => Err(refusal(error)?),
    };
    let (mut page, records) = list_page(&visitor, &request, &timing, &state, None, Tz::UTC).await?;
    match outcome {
        Ok(created) => {
            // The old secret's end as stored; the rule's own figure if it is on a later page.
            let until = records
                .iter()
                .find(|record| record.id.to_string() == *id)
                .and_then(|old| old.expires_at)
                .unwrap_or_else(|| {
                    created.record.created_at
                        + chrono::Duration::from_std(ROTATION_OVERLAP).unwrap_or_default()
                });
            let previous = Some(moment(until, Tz::UTC));
            page.created = Some(Created {
                label: created.record.label,
                snippet: litellm::snippet(&state.web.origin, &created.secret),
                previous,
            });
            render(StatusCode::CREATED, &page)
        }
        Err((status, refused)) => {
            page.refusal = Some(refused);
            render(status, &page)
        }
    }
}

/// `POST /settings/secrets/{id}/revoke`: refused by the webhook from now on.
pub async fn revoke(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    match timing
        .measure("secrets", revoked_secret(&visitor.caller, &state, &id))
        .await
    {
        Ok(()) => Ok(see_other("/settings/secrets?revoked=1")),
        Err(error) => {
            let (status, refused) = refusal(error)?;
            let (mut page, _) =
                list_page(&visitor, &request, &timing, &state, None, Tz::UTC).await?;
            page.refusal = Some(refused);
            render(status, &page)
        }
    }
}

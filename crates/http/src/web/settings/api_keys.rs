//! `/settings/api-keys`: the organization's API keys; create one (its secret is in that
//! answer only, with a copy button, and never shown again) and revoke one (confirmed).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::{ApiKeyRecord, CreationKey};
use tollgate_domain::access::Scope;
use uuid::Uuid;

use super::{
    Moment, Refusal, Section, ZoneQuery, creation_cursor, moment, parse_creation_cursor, refusal,
    refused_value, sections, see_other, zone, zone_suffix,
};
use crate::{
    routes::api::api_keys::{CreateApiKeyRequest, new_key, revoked_key},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

/// Keys per page.
const PAGE: i64 = 50;

/// Each scope a key may hold, with what it lets the key do.
const SCOPES: &[(Scope, &str)] = &[
    (Scope::UsageRead, key("api-keys-scope-usage-read")),
    (Scope::BillingRead, key("api-keys-scope-billing-read")),
    (Scope::BillingWrite, key("api-keys-scope-billing-write")),
    (Scope::SettingsWrite, key("api-keys-scope-settings-write")),
    (Scope::EventsWrite, key("api-keys-scope-events-write")),
];

pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_by: String,
    pub created_at: Moment,
    pub last_used_at: Option<Moment>,
    pub expires_at: Option<Moment>,
    pub status: String,
    pub active: bool,
}

/// A scope's checkbox: value, label, checked.
pub struct ScopeChoice {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

/// A key just made: its name and the secret, shown this once.
pub struct Created {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "settings_api_keys.html")]
struct ApiKeysPage {
    layout: Layout,
    sections: Vec<Section>,
    keys: Vec<KeyRow>,
    /// The next page's link, when there is one.
    next: Option<String>,
    created: Option<Created>,
    revoked: bool,
    refusal: Option<Refusal>,
    tz_error: Option<String>,
    name: String,
    expires_on: String,
    scopes: Vec<ScopeChoice>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    zone: ZoneQuery,
    /// The last key of the previous page: `<created_at microseconds>.<id>`.
    after: Option<String>,
    revoked: Option<String>,
}

fn row(key: ApiKeyRecord, zone: Tz) -> KeyRow {
    let t = catalog();
    let now = Utc::now();
    let (status, active) = if key.revoked_at.is_some() {
        (t.tr("api-keys-status-revoked"), false)
    } else if key.expires_at.is_some_and(|at| at <= now) {
        (t.tr("api-keys-status-expired"), false)
    } else {
        (t.tr("api-keys-status-active"), true)
    };
    KeyRow {
        id: key.id,
        name: key.name,
        prefix: key.display_prefix,
        scopes: key
            .scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        created_by: key.created_by,
        created_at: moment(key.created_at, zone),
        last_used_at: key.last_used_at.map(|at| moment(at, zone)),
        expires_at: key.expires_at.map(|at| moment(at, zone)),
        status,
        active,
    }
}

fn scope_choices(checked: &[String]) -> Vec<ScopeChoice> {
    let t = catalog();
    SCOPES
        .iter()
        .map(|(scope, label)| ScopeChoice {
            value: scope.as_str(),
            label: t.tr(label),
            checked: checked.iter().any(|c| c == scope.as_str()),
        })
        .collect()
}

/// The page with the keys after `after`; the form empty (usage:read offered checked).
async fn list_page(
    visitor: &Visitor,
    request: &HttpRequest,
    timing: &Timing,
    state: &AppState,
    after: Option<CreationKey>,
    zone: Tz,
) -> Result<ApiKeysPage, WebError> {
    let mut keys = timing
        .measure(
            "api-keys",
            state
                .api_keys
                .list(visitor.caller.principal.organization, after, PAGE + 1),
        )
        .await?;
    let next = if keys.len() > usize::try_from(PAGE).unwrap_or(usize::MAX) {
        keys.truncate(usize::try_from(PAGE).unwrap_or(usize::MAX));
        keys.last().map(|last| {
            format!(
                "/settings/api-keys?after={}{}",
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
    Ok(ApiKeysPage {
        layout: Layout::page(visitor, request, key("api-keys-title"), timing),
        sections: sections("/settings/api-keys"),
        keys: keys.into_iter().map(|k| row(k, zone)).collect(),
        next,
        created: None,
        revoked: false,
        refusal: None,
        tz_error: None,
        name: String::new(),
        expires_on: String::new(),
        scopes: scope_choices(&[Scope::UsageRead.as_str().to_owned()]),
    })
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
    let mut page = list_page(&visitor, &request, &timing, &state, after, zone).await?;
    page.revoked = query.revoked.is_some();
    let status = if tz_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page.tz_error = tz_error;
    render(status, &page)
}

/// The create form: every field once, `scopes` once per box ticked.
fn read_form(fields: Vec<(String, String)>) -> (String, String, String, Vec<String>) {
    let (mut csrf, mut name, mut expires_on, mut scopes) =
        (String::new(), String::new(), String::new(), Vec::new());
    for (field, value) in fields {
        match field.as_str() {
            "csrf" => csrf = value,
            "name" => name = value,
            "expires_on" => expires_on = value,
            "scopes" => scopes.push(value),
            _ => {}
        }
    }
    (csrf, name, expires_on, scopes)
}

/// `POST /settings/api-keys`: a new key. Its secret is in this answer only (no redirect: the
/// secret is kept nowhere to show it again); the answer is not stored by the browser
/// (`Cache-Control: no-store` on every page).
pub async fn create(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (csrf, name, expires_on, scopes) = read_form(form.into_inner());
    visitor.check_csrf(&csrf)?;
    let expires_at = match expires_on.trim() {
        "" => Ok(None),
        day => NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .ok()
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|at| Some(at.and_utc()))
            .ok_or_else(|| refused_value(catalog().tr("api-keys-expiry-invalid"))),
    };
    let outcome = match expires_at {
        Ok(expires_at) => {
            let wanted = CreateApiKeyRequest {
                name: name.trim().to_owned(),
                scopes: scopes.clone(),
                expires_at,
            };
            match timing
                .measure("api-keys", new_key(&visitor.caller, &state, wanted))
                .await
            {
                Ok(created) => Ok(created),
                Err(error) => Err(refusal(error)?),
            }
        }
        Err(refused) => Err(refused),
    };
    let mut page = list_page(&visitor, &request, &timing, &state, None, Tz::UTC).await?;
    match outcome {
        Ok(created) => {
            page.created = Some(Created {
                name: created.record.name,
                secret: created.secret.expose().to_owned(),
            });
            render(StatusCode::CREATED, &page)
        }
        Err((status, refused)) => {
            page.refusal = Some(refused);
            page.name = name;
            page.expires_on = expires_on;
            page.scopes = scope_choices(&scopes);
            render(status, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/api-keys/{id}/revoke`: the key refused from now on (audited).
pub async fn revoke(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    match timing
        .measure("api-keys", revoked_key(&visitor.caller, &state, &id))
        .await
    {
        Ok(()) => Ok(see_other("/settings/api-keys?revoked=1")),
        Err(error) => {
            let (status, refused) = refusal(error)?;
            let mut page = list_page(&visitor, &request, &timing, &state, None, Tz::UTC).await?;
            page.refusal = Some(refused);
            render(status, &page)
        }
    }
}

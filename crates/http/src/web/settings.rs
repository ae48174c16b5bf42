//! `/settings/...`: the organization's settings, for owners and admins (the access table's
//! rows in `access/table/pages.rs`). Each page calls the same code the JSON API's settings
//! routes call (`routes/api/settings.rs`, `api_keys.rs`, `members.rs`, `audit.rs`,
//! `outbox.rs`), so a form is checked, refused and audited exactly as the API would.

mod api_keys;
mod audit;
mod delivery;
mod general;
mod secrets;
mod team;

use actix_web::{HttpResponse, http::StatusCode, http::header, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::CreationKey;

use super::{
    WebError,
    i18n::{catalog, key},
};
use crate::error::ApiError;

/// The settings pages, in the order of their sub-navigation: path, label key.
const SECTIONS: &[(&str, &str)] = &[
    ("/settings", key("settings-nav-general")),
    ("/settings/api-keys", key("settings-nav-api-keys")),
    ("/settings/secrets", key("settings-nav-secrets")),
    ("/settings/team", key("settings-nav-team")),
    ("/settings/audit", key("settings-nav-audit")),
    ("/settings/delivery", key("settings-nav-delivery")),
];

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/settings", web::get().to(general::page))
        .route("/settings", web::post().to(general::save))
        .route("/settings/debug", web::post().to(general::debug))
        .route("/settings/api-keys", web::get().to(api_keys::page))
        .route("/settings/api-keys", web::post().to(api_keys::create))
        .route(
            "/settings/api-keys/{id}/revoke",
            web::post().to(api_keys::revoke),
        )
        .route("/settings/secrets", web::get().to(secrets::page))
        .route("/settings/secrets", web::post().to(secrets::create))
        .route(
            "/settings/secrets/{id}/rotate",
            web::post().to(secrets::rotate),
        )
        .route(
            "/settings/secrets/{id}/revoke",
            web::post().to(secrets::revoke),
        )
        .route("/settings/team", web::get().to(team::page))
        .route("/settings/team", web::post().to(team::add))
        .route(
            "/settings/team/{subject}/role",
            web::post().to(team::change),
        )
        .route(
            "/settings/team/{subject}/remove",
            web::post().to(team::remove),
        )
        .route("/settings/audit", web::get().to(audit::page))
        .route("/settings/delivery", web::get().to(delivery::page))
        .route("/settings/delivery/retry", web::post().to(delivery::retry))
        .route(
            "/settings/delivery/dead-letters/{id}/retry",
            web::post().to(delivery::retry_one),
        );
}

/// One link of the settings' own menu.
pub struct Section {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The settings' menu, `current` marking the page shown.
fn sections(current: &str) -> Vec<Section> {
    let t = catalog();
    SECTIONS
        .iter()
        .map(|(href, label)| Section {
            href,
            label: t.tr(label),
            current: *href == current,
        })
        .collect()
}

/// Why a form was not accepted, in the API's terms: shown above the form, every value kept.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// A form's refusal from the API's error: the status the page answers with and what it
/// says. A conflict (409, such as `last_owner`) and a refused permission (403) keep their
/// status; any other refused value is a 422. Failures that are not the form's fault (an
/// upstream down, the database) are the whole page's error.
fn refusal(error: ApiError) -> Result<(StatusCode, Refusal), WebError> {
    let status = actix_web::ResponseError::status_code(&error);
    if !status.is_client_error() || status == StatusCode::NOT_FOUND && !is_missing(&error) {
        return Err(error.into());
    }
    let status = match status {
        StatusCode::CONFLICT | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => status,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((
        status,
        Refusal {
            code: error.code().as_str(),
            message: error.public_message(),
        },
    ))
}

fn is_missing(error: &ApiError) -> bool {
    matches!(error, ApiError::Missing { .. })
}

/// A refusal the page itself decides (a value the form cannot even send to the API).
fn refused_value(message: String) -> (StatusCode, Refusal) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Refusal {
            code: tollgate_domain::ErrorCode::InvalidRequest.as_str(),
            message,
        },
    )
}

/// After a form did its work: back to `location` (a GET), so a reload does not post again.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// The `tz` query parameter of pages that show times: an IANA zone, UTC by default.
#[derive(Deserialize, Default)]
pub struct ZoneQuery {
    pub tz: Option<String>,
}

/// The zone asked for (as every page reads `tz`), or UTC and the field's message (the page
/// answers 400).
fn zone(asked: Option<&str>) -> (Tz, Option<String>) {
    match super::when::zone(asked) {
        Ok(zone) => (zone, None),
        Err(refused) => (
            Tz::UTC,
            Some(catalog().tr_with("settings-tz-invalid", &refused)),
        ),
    }
}

/// A time as shown (`datetime` for machines, `shown` in the page's zone).
pub struct Moment {
    pub iso: String,
    pub shown: String,
}

fn moment(at: DateTime<Utc>, zone: Tz) -> Moment {
    Moment {
        iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        shown: at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
    }
}

/// `?tz=<zone>` to carry the zone into links and redirects, or nothing for UTC.
fn zone_suffix(zone: Tz, first: char) -> String {
    if zone == Tz::UTC {
        String::new()
    } else {
        format!(
            "{first}tz={}",
            url::form_urlencoded::byte_serialize(zone.name().as_bytes()).collect::<String>()
        )
    }
}

/// A list's position after `key` (keys and secrets are listed by creation): the next page's
/// `after` parameter, `<created_at microseconds>.<id>`.
fn creation_cursor(key: &CreationKey) -> String {
    format!("{}.{}", key.created_at.timestamp_micros(), key.id)
}

/// The position [`creation_cursor`] wrote; `None` (the first page) for anything else.
fn parse_creation_cursor(text: &str) -> Option<CreationKey> {
    let (micros, id) = text.split_once('.')?;
    Some(CreationKey {
        created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: uuid::Uuid::parse_str(id).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_default_to_utc_and_a_bad_one_is_reported() {
        assert_eq!(zone(None), (Tz::UTC, None));
        assert_eq!(zone(Some("Europe/Paris")).0, Tz::Europe__Paris);
        let (fallback, message) = zone(Some("Mars/Olympus"));
        assert_eq!(fallback, Tz::UTC);
        assert!(message.is_some_and(|m| m.contains("Mars/Olympus")));
        assert_eq!(zone_suffix(Tz::UTC, '?'), "");
        assert_eq!(zone_suffix(Tz::Europe__Paris, '&'), "&tz=Europe%2FParis");
    }

    #[test]
    fn a_cursor_reads_back_and_nonsense_is_the_first_page() {
        let key = CreationKey {
            created_at: DateTime::from_timestamp_micros(1_765_000_000_123_456).unwrap_or_default(),
            id: uuid::Uuid::from_u128(7),
        };
        assert_eq!(parse_creation_cursor(&creation_cursor(&key)), Some(key));
        assert_eq!(parse_creation_cursor("yesterday"), None);
    }

    #[test]
    fn times_show_in_the_zone_asked_for() {
        let at = DateTime::parse_from_rfc3339("2026-12-06T15:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let shown = moment(at, Tz::Europe__Paris);
        assert_eq!(shown.iso, "2026-12-06T15:30:00Z");
        assert_eq!(shown.shown, "2026-12-06 16:30 CET");
    }

    #[test]
    fn a_conflict_keeps_its_status_and_an_upstream_failure_is_the_page_s() {
        let (status, refused) = refusal(ApiError::Conflict {
            code: tollgate_domain::ErrorCode::LastOwner,
            message: "last owner".into(),
        })
        .unwrap_or_else(|_| unreachable!());
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(refused.code, "last_owner");
        let (status, _) = refusal(ApiError::Invalid {
            code: tollgate_domain::ErrorCode::InvalidRequest,
            message: "bad".into(),
        })
        .unwrap_or_else(|_| unreachable!());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refusal(ApiError::unavailable("down")).is_err());
    }
}

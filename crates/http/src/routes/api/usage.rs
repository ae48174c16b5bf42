//! `GET /api/usage`: time series per meter from the embedded rollups (or OpenMeter).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::{GroupBy, UsageQuery, UsageSeries, Window},
    services::metering::UsageAnswer,
};

use tollgate_domain::{ErrorCode, error::cut};

use crate::{access::Caller, error::ApiError, extract::Checked, state::AppState};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window: Option<String>,
    group_by: Option<String>,
    customer: Option<String>,
    time_zone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UsageResponse {
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) window: &'static str,
    pub(crate) time_zone: String,
    pub(crate) group_by: Option<&'static str>,
    /// Which meters answered: `openmeter`, or `embedded` (the rollups, also when they stood
    /// in for an OpenMeter that could not answer).
    pub(crate) source: &'static str,
    pub(crate) data: Vec<SeriesDto>,
}

/// The same as the body's `source`, for clients that only look at headers.
pub const SOURCE_HEADER: &str = "tollgate-usage-source";

/// One meter's series, for one group when grouped.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SeriesDto {
    pub(crate) meter: &'static str,
    /// Absent when not grouped; `null` for the group of calls without the attribute (no
    /// team, no key, no customer). Grouped by key: the key's alias, `null` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<Option<String>>,
    /// Grouped by key only: the start of the key's SHA-256, which tells keys apart (aliases
    /// need not be unique) without handing out the whole hash; `null` for calls without a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key_hash_prefix: Option<Option<String>>,
    pub(crate) points: Vec<PointDto>,
}

/// Values are decimal strings: exact, whatever the client's number type.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PointDto {
    pub(crate) window_start: DateTime<Utc>,
    pub(crate) value: String,
}

/// How many hex digits of a key's hash name it beside its alias: 32 bits, enough to tell an
/// organization's keys apart at a glance.
const KEY_HASH_PREFIX_LEN: usize = 8;

fn series_dto(
    series: UsageSeries,
    group_by: Option<GroupBy>,
    aliases: &BTreeMap<String, String>,
) -> SeriesDto {
    // The readers give the empty text for "no such attribute".
    let group = series.group.filter(|group| !group.is_empty());
    let (group, key_hash_prefix) = match group_by {
        None => (None, None),
        Some(GroupBy::Key) => (
            Some(group.as_ref().and_then(|hash| aliases.get(hash).cloned())),
            Some(group.map(|hash| hash.chars().take(KEY_HASH_PREFIX_LEN).collect())),
        ),
        Some(_) => (Some(group), None),
    };
    SeriesDto {
        meter: series.meter.slug(),
        group,
        key_hash_prefix,
        points: series
            .points
            .into_iter()
            .map(|p| PointDto {
                window_start: p.window_start,
                value: p.value.normalize().to_string(),
            })
            .collect(),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message: message.into(),
    }
}

/// Parses and bounds a usage query: windows must fit the range a client can sensibly chart.
pub fn parse(params: UsageParams) -> Result<UsageQuery, ApiError> {
    let window = match params
        .window
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("MINUTE") => Window::Minute,
        None | Some("HOUR") => Window::Hour,
        Some("DAY") => Window::Day,
        Some(other) => {
            return Err(invalid(format!(
                "window must be MINUTE, HOUR or DAY, not `{}`",
                cut(other)
            )));
        }
    };
    let group_by = match params.group_by.as_deref() {
        None => None,
        Some("model") => Some(GroupBy::Model),
        Some("customer") => Some(GroupBy::Customer),
        Some("key") => Some(GroupBy::Key),
        Some("team") => Some(GroupBy::Team),
        Some("provider") => Some(GroupBy::Provider),
        Some("status") => Some(GroupBy::Status),
        Some(other) => {
            return Err(invalid(format!(
                "group_by must be model, customer, key, team, provider or status, not `{}`",
                cut(other)
            )));
        }
    };
    let time_zone = params.time_zone.unwrap_or_else(|| "UTC".to_owned());
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(invalid(format!("unknown time zone `{}`", cut(&time_zone))));
    }
    if params.from >= params.to {
        return Err(invalid("from must be before to"));
    }
    let longest = match window {
        Window::Minute => Duration::days(7),
        Window::Hour => Duration::days(93),
        Window::Day => Duration::days(3 * 366),
    };
    if params.to - params.from > longest {
        return Err(invalid(format!(
            "a {} window covers at most {} days",
            window.as_str(),
            longest.num_days()
        )));
    }
    Ok(UsageQuery {
        from: params.from,
        to: params.to,
        window,
        time_zone,
        group_by,
        customer: params.customer,
    })
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    params: Checked<web::Query<UsageParams>>,
) -> Result<HttpResponse, ApiError> {
    let mut query = parse(params.open()?.into_inner())?;
    if let Some(customer) = &caller.principal.customer {
        query.customer = Some(customer.clone());
    }
    let answer = state
        .metering
        .usage(caller.principal.organization, &query)
        .await?;
    let source = answer.source.as_str();
    Ok(HttpResponse::Ok()
        .insert_header((SOURCE_HEADER, source))
        .json(response(query, answer)))
}

/// The answer's body for `query`: the same for the API and the dashboard's download.
pub(crate) fn response(query: UsageQuery, answer: UsageAnswer) -> UsageResponse {
    UsageResponse {
        from: query.from,
        to: query.to,
        window: match query.window {
            Window::Minute => "MINUTE",
            Window::Hour => "HOUR",
            Window::Day => "DAY",
        },
        time_zone: query.time_zone,
        group_by: query.group_by.map(|g| g.as_str()),
        source: answer.source.as_str(),
        data: answer
            .series
            .into_iter()
            .map(|series| series_dto(series, query.group_by, &answer.key_aliases))
            .collect(),
    }
}

//! `GET /api/usage/events` (newest first, by cursor, with filters) and
//! `GET /api/usage/events/{id}`: the stored events one by one, every field kept of each
//! (the export's fields; prompts and completions are never kept, so never shown), and for one
//! event where its deliveries stand.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tollgate_application::ports::{EventDelivery, EventFilter, ExportCursor};
use tollgate_domain::{ErrorCode, error::cut};

use super::{
    export::record,
    paging::{self, CursorKey, Paged},
};
use crate::{access::Caller, error::ApiError, state::AppState};

pub(crate) const LIST: &str = "usage_events";

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Only this customer's events (a customer's member sees only its own anyway).
    customer: Option<String>,
    /// LiteLLM's model group.
    model: Option<String>,
    /// `success` or `failure`.
    status: Option<String>,
    /// The LiteLLM key's alias.
    key_alias: Option<String>,
    /// Occurred at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    to: Option<DateTime<Utc>>,
}

/// `<microseconds since the epoch>|<id>`: the time as stored, exactly, and the id breaking
/// ties, so the keyset neither skips nor repeats an event.
impl CursorKey for ExportCursor {
    fn write(&self) -> String {
        format!("{}|{}", self.occurred_at.timestamp_micros(), self.id)
    }

    fn read(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('|')?;
        Some(Self {
            occurred_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidQuery,
        message,
    }
}

impl TryFrom<EventParams> for EventFilter {
    type Error = ApiError;

    fn try_from(params: EventParams) -> Result<Self, ApiError> {
        if let Some(status) = params.status.as_deref()
            && !matches!(status, "success" | "failure")
        {
            return Err(invalid(format!(
                "status must be success or failure, not `{}`",
                cut(status)
            )));
        }
        if let (Some(from), Some(to)) = (params.from, params.to)
            && from >= to
        {
            return Err(invalid("from must be before to".into()));
        }
        Ok(Self {
            customer: params.customer,
            model: params.model,
            status: params.status,
            key_alias: params.key_alias,
            from: params.from,
            to: params.to,
        })
    }
}

/// Where an event stands with one delivery target.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DeliveryDto {
    /// `embedded_meter`, `openmeter` or `lago`.
    target: String,
    /// `pending`, `delivered` or `dead`.
    state: String,
    attempts: i32,
    /// When a pending delivery is tried next.
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<EventDelivery> for DeliveryDto {
    fn from(d: EventDelivery) -> Self {
        Self {
            target: d.target,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
        }
    }
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<EventParams>,
) -> Result<HttpResponse, ApiError> {
    let (page, params) = query.open()?;
    let filter = EventFilter::try_from(params)?;
    let rows = state
        .metering
        .events(
            caller.principal.organization,
            caller.principal.customer.as_deref(),
            filter,
            page.after::<ExportCursor>(LIST)?,
            page.fetch(),
        )
        .await?;
    let (rows, next) = page.split(LIST, rows, ExportCursor::after);
    let data: Vec<Value> = rows.iter().map(record::json_row).collect();
    Ok(paging::answer(&data, next))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Not a number, or another organization's (or customer's): simply not found.
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::Missing { what: "event" })?;
    let detail = state
        .metering
        .event(
            caller.principal.organization,
            caller.principal.customer.as_deref(),
            id,
        )
        .await?
        .ok_or(ApiError::Missing { what: "event" })?;
    let mut body = record::json_row(&detail.event);
    let deliveries: Vec<DeliveryDto> = detail.deliveries.into_iter().map(Into::into).collect();
    if let Value::Object(fields) = &mut body {
        fields.insert(
            "deliveries".into(),
            serde_json::to_value(deliveries).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(HttpResponse::Ok().json(body))
}

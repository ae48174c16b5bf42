//! `/usage/events/{id}`: every field kept of one event (the export's fields, the same
//! words), and each delivery target's state. An unknown id, or another organization's, is a
//! 404: the visitor does not learn that it exists.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use tollgate_application::ports::{EventDelivery, ExportRow};

use super::super::{
    Layout, Timing, Visitor, WebError,
    i18n::{catalog, key},
    layout::render,
    usage::breakdown::status_label,
    when,
};
use crate::{charts::format_decimal, state::AppState};

#[derive(Deserialize)]
pub struct DetailQuery {
    tz: Option<String>,
}

/// One line of the event: label, value, whether it is an identifier (shown monospaced).
pub struct Fact {
    pub label: String,
    pub value: String,
    pub code: bool,
}

pub struct Delivery {
    pub target: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt: String,
    pub delivered: String,
}

#[derive(Template)]
#[template(path = "usage_event.html")]
struct EventPage {
    layout: Layout,
    heading: String,
    facts: Vec<Fact>,
    deliveries: Vec<Delivery>,
    back: String,
    /// The list of the same customer's events, when the event names one.
    customer_events: Option<String>,
    tz: String,
    tz_error: Option<String>,
}

fn facts(event: &ExportRow, tz: chrono_tz::Tz) -> Vec<Fact> {
    let t = catalog();
    let none = || t.tr("event-none");
    let text = |value: &Option<String>| value.clone().unwrap_or_else(none);
    let yes_no = |value: bool| {
        t.tr(if value {
            key("event-yes")
        } else {
            key("event-no")
        })
    };
    let number = |value: i64| format_decimal(&value.into());
    let tags = if event.tags.is_empty() {
        none()
    } else {
        event.tags.join(", ")
    };
    let fact = |label: &str, value: String, code: bool| Fact {
        label: t.tr(label),
        value,
        code,
    };
    vec![
        fact(
            key("event-field-occurred-at"),
            when::show(event.occurred_at, tz),
            false,
        ),
        fact(
            key("event-field-received-at"),
            when::show(event.received_at, tz),
            false,
        ),
        fact(
            key("event-field-status"),
            status_label(t, &event.status),
            false,
        ),
        fact(key("event-field-error-code"), text(&event.error_code), true),
        fact(key("event-field-customer"), text(&event.customer), true),
        fact(key("event-field-model"), text(&event.model), true),
        fact(key("event-field-provider"), text(&event.provider), false),
        fact(
            key("event-field-provider-model"),
            text(&event.provider_model),
            true,
        ),
        fact(key("event-field-call-type"), text(&event.call_type), true),
        fact(
            key("event-field-key-alias"),
            text(&event.api_key_alias),
            false,
        ),
        fact(key("event-field-key-hash"), text(&event.api_key_hash), true),
        fact(key("event-field-user"), text(&event.user), true),
        fact(key("event-field-team"), text(&event.team), true),
        fact(key("event-field-org"), text(&event.org), true),
        fact(
            key("event-field-input-tokens"),
            number(event.input_tokens),
            false,
        ),
        fact(
            key("event-field-output-tokens"),
            number(event.output_tokens),
            false,
        ),
        fact(
            key("event-field-total-tokens"),
            number(event.total_tokens),
            false,
        ),
        fact(
            key("event-field-cached-tokens"),
            number(event.cached_tokens),
            false,
        ),
        fact(
            key("event-field-reasoning-tokens"),
            number(event.reasoning_tokens),
            false,
        ),
        fact(
            key("event-field-cost"),
            format_decimal(&event.cost_usd.normalize()),
            false,
        ),
        fact(key("event-field-cache-hit"), yes_no(event.cache_hit), false),
        fact(key("event-field-stream"), yes_no(event.stream), false),
        fact(key("event-field-trace-id"), text(&event.trace_id), true),
        fact(key("event-field-tags"), tags, false),
        fact(
            key("event-field-idempotency-key"),
            event.idempotency_key.clone(),
            true,
        ),
        fact(key("event-field-id"), event.id.to_string(), true),
    ]
}

fn delivery(d: EventDelivery, tz: chrono_tz::Tz) -> Delivery {
    let t = catalog();
    let target = match d.target.as_str() {
        "embedded_meter" => t.tr("event-target-embedded"),
        "openmeter" => "OpenMeter".to_owned(),
        "lago" => "Lago".to_owned(),
        other => other.to_owned(),
    };
    let state = match d.state.as_str() {
        "pending" => t.tr("event-delivery-pending"),
        "delivered" => t.tr("event-delivery-delivered"),
        "dead" => t.tr("event-delivery-dead"),
        other => other.to_owned(),
    };
    let at = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(String::new, |at| when::show(at, tz))
    };
    Delivery {
        target,
        state,
        attempts: d.attempts,
        next_attempt: at(d.next_attempt_at),
        delivered: at(d.delivered_at),
    }
}

pub async fn show(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    // Not a number: no such event, like another organization's.
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let asked = web::Query::<DetailQuery>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.into_inner().tz);
    let (tz, tz_error) = match when::zone(asked.as_deref()) {
        Ok(tz) => (tz, None),
        Err(_) => (chrono_tz::Tz::UTC, Some(t.tr("period-tz-invalid"))),
    };
    let detail = timing
        .measure(
            "events",
            state
                .metering
                .event(visitor.caller.principal.organization, None, id),
        )
        .await?
        .ok_or(WebError::NotFound)?;
    let back = if tz == chrono_tz::Tz::UTC {
        "/usage/events".to_owned()
    } else {
        format!(
            "/usage/events?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("tz", tz.name())
                .finish()
        )
    };
    let status = if tz_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut layout = Layout::page(&visitor, &request, key("event-title"), &timing);
    let heading = t.tr_with("event-heading", &id.to_string());
    layout.title.clone_from(&heading);
    let customer_events = detail.event.customer.as_ref().map(|customer| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("customer", customer);
        if tz != chrono_tz::Tz::UTC {
            query.append_pair("tz", tz.name());
        }
        format!("/usage/events?{}", query.finish())
    });
    let page = EventPage {
        layout,
        customer_events,
        heading,
        facts: facts(&detail.event, tz),
        deliveries: detail
            .deliveries
            .into_iter()
            .map(|d| delivery(d, tz))
            .collect(),
        back,
        tz: tz.name().to_owned(),
        tz_error,
    };
    render(status, &page)
}

//! `/api/settings/webhooks`: the endpoints Tollgate sends its events to (Standard Webhooks),
//! their secrets, deliveries and messages. Another organization's endpoint or message is 404.

pub(crate) mod dto;

use actix_web::{HttpResponse, web};
use tollgate_application::{
    ports::{DeliveryFilter, DeliveryState, ResendTarget},
    services::outbound_webhooks::EndpointRequest,
};
use tollgate_domain::{ErrorCode, outbound_webhook::EventType};
use uuid::Uuid;
use validator::Validate;

use self::dto::{
    CreateEndpointRequest, DeliveryParams, DeliveryResponse, EndpointResponse, MessageQueued,
    MessageResponse, PatchEndpointRequest, ResendRequest, Resent, SecretAnswer,
};
use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const DELIVERIES: &str = "webhook_deliveries";
const ENDPOINT: ApiError = ApiError::Missing {
    what: "webhook endpoint",
};

fn endpoint_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ENDPOINT)
}

pub async fn list(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let endpoints = state
        .outbound_webhooks
        .list(caller.principal.organization)
        .await?;
    let data: Vec<_> = endpoints
        .into_iter()
        .map(|e| EndpointResponse::new(e, None))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<CreateEndpointRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    body.validate()?;
    let (record, secret) = state
        .outbound_webhooks
        .create(
            caller.principal.organization,
            EndpointRequest {
                url: body.url,
                description: body.description.unwrap_or_default(),
                event_types: body.event_types,
            },
            &caller.audit,
        )
        .await?;
    Ok(HttpResponse::Created().json(EndpointResponse::new(record, Some(secret.0))))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .outbound_webhooks
        .get(caller.principal.organization, endpoint_id(&id)?)
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Ok().json(EndpointResponse::new(record, None)))
}

pub async fn patch(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<PatchEndpointRequest>>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let body = body.open()?.into_inner();
    body.validate()?;
    let record = state
        .outbound_webhooks
        .update(
            caller.principal.organization,
            id,
            body.url,
            body.description,
            body.event_types,
            &caller.audit,
        )
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Ok().json(EndpointResponse::new(record, None)))
}

pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let deleted = state
        .outbound_webhooks
        .delete(
            caller.principal.organization,
            endpoint_id(&id)?,
            &caller.audit,
        )
        .await?;
    if !deleted {
        return Err(ENDPOINT);
    }
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = state
        .outbound_webhooks
        .rotate_secret(
            caller.principal.organization,
            endpoint_id(&id)?,
            &caller.audit,
        )
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Ok().json(SecretAnswer { secret: secret.0 }))
}

pub async fn reveal_secret(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = state
        .outbound_webhooks
        .reveal_secret(
            caller.principal.organization,
            endpoint_id(&id)?,
            &caller.audit,
        )
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(SecretAnswer { secret: secret.0 }))
}

pub async fn test(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let message_id = state
        .outbound_webhooks
        .send_test(caller.principal.organization, endpoint_id(&id)?)
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Accepted().json(MessageQueued { message_id }))
}

pub async fn enable(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .outbound_webhooks
        .enable(
            caller.principal.organization,
            endpoint_id(&id)?,
            &caller.audit,
        )
        .await?
        .ok_or(ENDPOINT)?;
    Ok(HttpResponse::Ok().json(EndpointResponse::new(record, None)))
}

/// Newest first; `?status=pending|delivered|failed`, `?type=<event type>`.
pub async fn deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: Paged<DeliveryParams>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let (page, params) = query.open()?;
    let state_filter = params
        .status
        .as_deref()
        .map(|text| {
            DeliveryState::parse(text).ok_or_else(|| ApiError::Invalid {
                code: ErrorCode::InvalidValue,
                message: "`status` is pending, delivered or failed".to_owned(),
            })
        })
        .transpose()?;
    let event_type = params
        .event_type
        .as_deref()
        .map(EventType::parse)
        .transpose()?;
    let filter = DeliveryFilter {
        state: state_filter,
        event_type,
        before: page.after::<i64>(DELIVERIES)?,
        limit: page.fetch(),
    };
    let rows = state
        .outbound_webhooks
        .deliveries(caller.principal.organization, id, filter)
        .await?
        .ok_or(ENDPOINT)?;
    let (rows, next) = page.split(DELIVERIES, rows, |d| d.id);
    let data: Vec<DeliveryResponse> = rows.into_iter().map(DeliveryResponse::from).collect();
    Ok(paging::answer(&data, next))
}

pub async fn resend(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<ResendRequest>>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let body = body.open()?.into_inner();
    let target = match (body.message_id, body.failed_since) {
        (Some(message), None) => ResendTarget::Message(message),
        (None, Some(since)) => ResendTarget::FailedSince(since),
        _ => {
            return Err(ApiError::Invalid {
                code: ErrorCode::InvalidRequest,
                message: "give exactly one of `message_id` and `failed_since`".to_owned(),
            });
        }
    };
    let one_message = matches!(target, ResendTarget::Message(_));
    let queued = state
        .outbound_webhooks
        .resend(caller.principal.organization, id, target, &caller.audit)
        .await?
        .ok_or(ENDPOINT)?;
    if one_message && queued == 0 {
        return Err(ApiError::Missing { what: "message" });
    }
    Ok(HttpResponse::Accepted().json(Resent { queued }))
}

pub async fn message(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let message = state
        .outbound_webhooks
        .message(caller.principal.organization, &id)
        .await?
        .ok_or(ApiError::Missing { what: "message" })?;
    Ok(HttpResponse::Ok().json(MessageResponse::from(message)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    const BASE: &str = "/api/settings/webhooks";
    config
        .route(BASE, web::get().to(list))
        .route(BASE, web::post().to(create))
        // Before `{id}`: `messages` is not an endpoint id.
        .route(
            "/api/settings/webhooks/messages/{id}",
            web::get().to(message),
        )
        .route("/api/settings/webhooks/{id}", web::get().to(show))
        .route("/api/settings/webhooks/{id}", web::patch().to(patch))
        .route("/api/settings/webhooks/{id}", web::delete().to(delete))
        .route(
            "/api/settings/webhooks/{id}/rotate-secret",
            web::post().to(rotate_secret),
        )
        .route(
            "/api/settings/webhooks/{id}/secret",
            web::get().to(reveal_secret),
        )
        .route("/api/settings/webhooks/{id}/test", web::post().to(test))
        .route("/api/settings/webhooks/{id}/enable", web::post().to(enable))
        .route(
            "/api/settings/webhooks/{id}/deliveries",
            web::get().to(deliveries),
        )
        .route("/api/settings/webhooks/{id}/resend", web::post().to(resend));
}

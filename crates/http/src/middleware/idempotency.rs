//! `Idempotency-Key` on every `POST /api/...`: the same key with the same request answers the
//! first answer again (with `Idempotent-Replayed: true`) instead of running twice; see
//! [`IdempotencyService`](tollgate_application::services::access::idempotency).
//!
//! Keys belong to the caller's organization, so the caller is authorized here, before the
//! key is looked at or the body read; the handler's [`Caller`] is that same one. A request
//! without the header, another method, or a path with no route runs as it would without this.

use actix_web::{
    Error, FromRequest, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody, to_bytes},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use std::collections::BTreeMap;

use serde_json::value::RawValue;
use tollgate_application::{
    ports::StoredAnswer,
    services::access::idempotency::{Claim, Start},
};
use tollgate_domain::ErrorCode;

use crate::{
    access::{Caller, authorize, requirement_for},
    error::ApiError,
    extract::JSON_LIMIT_BYTES,
    state::AppState,
};

pub const KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The headers kept with an answer: those that describe its body.
const KEPT_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

pub async fn idempotent(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let applies = request.method() == Method::POST
        && request.path().starts_with("/api/")
        && request.headers().contains_key(KEY_HEADER)
        && request
            .match_pattern()
            .is_some_and(|pattern| requirement_for(request.method(), &pattern).is_some());
    let Some(state) = state.filter(|_| applies) else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let (request, claim) = match begin(&state, request).await {
        Begun::Run(request, claim) => (request, claim),
        Begun::Answered(response) => return Ok(response),
    };
    let response = match next.call(request).await {
        Ok(response) => response,
        Err(error) => {
            state.idempotency.abandon(claim).await;
            return Err(error);
        }
    };
    if response.status().is_server_error() {
        state.idempotency.abandon(claim).await;
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let body = match to_bytes(body).await {
        Ok(body) => body,
        Err(error) => {
            state.idempotency.abandon(claim).await;
            let error = ApiError::Internal(format!("an answer's body: {}", error.into()));
            return Ok(ServiceResponse::from_err(error, request));
        }
    };
    let answer = StoredAnswer {
        status: head.status().as_u16(),
        headers: kept_headers(head.headers()),
        body: without_one_time(&body, one_time_members(request.match_pattern().as_deref())),
    };
    state.idempotency.finish(claim, &answer).await;
    let response = head.set_body(body).map_into_boxed_body();
    Ok(ServiceResponse::new(request, response))
}

enum Begun {
    /// The request, its body restored, runs holding the key.
    Run(ServiceRequest, Claim),
    /// Answered here: a refusal, or the first answer again.
    Answered(ServiceResponse<BoxBody>),
}

async fn begin(state: &AppState, request: ServiceRequest) -> Begun {
    let caller = match authorize(request.request()).await {
        Ok(caller) => caller,
        Err(error) => return Begun::Answered(request.error_response(error)),
    };
    let key = request.headers().get(KEY_HEADER).map(|v| v.to_str());
    let Some(Ok(key)) = key.map(|text| text.map(str::to_owned)) else {
        let error = ApiError::Invalid {
            code: ErrorCode::InvalidIdempotencyKey,
            message: "Idempotency-Key must be 1 to 255 printable ASCII characters".to_owned(),
        };
        return Begun::Answered(request.error_response(error));
    };
    let (http, mut payload) = request.into_parts();
    let body = match read_body(state, &http, &mut payload).await {
        Ok(body) => body,
        Err(error) => return Begun::Answered(ServiceResponse::from_err(error, http)),
    };
    let path = http
        .uri()
        .path_and_query()
        .map_or_else(|| http.path(), |p| p.as_str());
    let organization = caller.principal.organization;
    let started = state
        .idempotency
        .begin(organization, &key, http.method().as_str(), path, &body)
        .await;
    match started {
        Ok(Start::Run(claim)) => {
            http.extensions_mut().insert::<Caller>(caller);
            let request = ServiceRequest::from_parts(http, Payload::from(body));
            Begun::Run(request, claim)
        }
        Ok(Start::Replay(answer)) => Begun::Answered(ServiceResponse::new(http, replay(answer))),
        Err(error) => Begun::Answered(ServiceResponse::from_err(ApiError::from(error), http)),
    }
}

/// The whole body, read as the JSON extractor would (its limit, deadline and budget).
async fn read_body(
    state: &AppState,
    http: &actix_web::HttpRequest,
    payload: &mut Payload,
) -> Result<web::Bytes, ApiError> {
    let stream = web::Payload::from_request(http, payload)
        .await
        .map_err(|error| ApiError::UnreadableBody(error.to_string()))?;
    let (body, _held) = state.bodies.read(http, stream, JSON_LIMIT_BYTES).await?;
    Ok(body)
}

fn kept_headers(headers: &actix_web::http::header::HeaderMap) -> Vec<(String, String)> {
    KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect()
}

/// The members of an answer of route `pattern` that hold a one-time secret: a new API key's
/// or LiteLLM secret's `secret`, a portal link's `url` (its token is the link).
fn one_time_members(pattern: Option<&str>) -> &'static [&'static str] {
    match pattern {
        Some("/api/billing/customers/{id}/portal-links") => &["secret", "url"],
        _ => &["secret"],
    }
}

/// The body as kept: an answer's one-time `members` are never stored, so a replay answers
/// without them. Every other member keeps its exact text (members come back in name order
/// then).
fn without_one_time(body: &[u8], one_time: &[&str]) -> Vec<u8> {
    let Ok(mut members) = serde_json::from_slice::<BTreeMap<String, Box<RawValue>>>(body) else {
        return body.to_vec();
    };
    let removed = one_time
        .iter()
        .filter(|name| members.remove(**name).is_some())
        .count();
    if removed == 0 {
        return body.to_vec();
    }
    serde_json::to_vec(&members).unwrap_or_else(|_| body.to_vec())
}

fn replay(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((REPLAYED_HEADER, "true"));
    response.body(answer.body)
}

//! Cross-cutting request handling: request ids on responses, latency metrics,
//! `Idempotency-Key`s and compression.

mod compression;
mod idempotency;

use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use tracing_actix_web::RequestId;

pub use self::{
    compression::uncompressed_ingest,
    idempotency::{KEY_HEADER, REPLAYED_HEADER, idempotent},
};

tokio::task_local! {
    /// The id of the request being answered, for error bodies: a 500 names it and nothing
    /// else, and an error answer has no other way to the request.
    pub(crate) static REQUEST_ID: String;
}

tokio::task_local! {
    /// The method of the request being answered: an upstream's 503 or 504 says whether a
    /// read failed or what became of a change (`error::upstream`).
    pub(crate) static REQUEST_METHOD: Method;
}

/// The id of the request being answered, when called while answering one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The method of the request being answered, when called while answering one.
pub fn current_method() -> Option<Method> {
    REQUEST_METHOD.try_with(Clone::clone).ok()
}

/// Echoes the id of the request's tracing span as `x-request-id`, so a client's report can be
/// matched to the log lines of its request; keeps the id and the method at hand for error
/// answers while the request is served.
pub async fn echo_request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = request.extensions().get::<RequestId>().copied();
    let method = request.method().clone();
    let answer = REQUEST_METHOD.scope(method, next.call(request));
    let mut response = match request_id {
        Some(id) => REQUEST_ID.scope(id.to_string(), answer).await?,
        None => answer.await?,
    };
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Observes each request's latency under its route pattern (not its path, which may hold a
/// secret or an id).
pub async fn record_latency(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    // The probes' state is in both servers (`serve` and the worker's), unlike `AppState`.
    let state = request
        .app_data::<web::Data<crate::probes::Probes>>()
        .cloned();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state
            .metrics
            .request_duration
            .with_label_values(&[&method, &route, response.status().as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// The root span of every request, without the raw path or query: paths can hold secrets
/// (`/v1/webhooks/litellm/alerts/{secret}`), so the span names the route pattern instead.
pub struct RedactedRootSpan;

impl tracing_actix_web::RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

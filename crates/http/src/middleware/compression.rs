//! Answers compressed (gzip) for clients that accept it: pages, static files, downloads and
//! API lists shrink several times over. LiteLLM's webhook deliveries are the exception: their
//! answers are a few bytes, sent thousands of times a second, and compressing them would cost
//! CPU on the hot path for nothing, so `/v1/` requests are answered as they are.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::ACCEPT_ENCODING,
    middleware::Next,
};

/// Put outside `actix_web::middleware::Compress`: hides what an ingest request accepts from
/// it.
///
/// # Errors
/// Whatever the inner service answers.
pub async fn uncompressed_ingest(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if request.path().starts_with("/v1/") {
        request.headers_mut().remove(ACCEPT_ENCODING);
    }
    next.call(request).await
}

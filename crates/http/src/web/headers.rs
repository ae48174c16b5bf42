//! Headers on every answer: `Server-Timing` and `nosniff` always; on pages also the Content
//! Security Policy (no inline script or style anywhere, so none is allowed), `Referrer-Policy`
//! and `Cache-Control: no-store` (pages hold an organization's data); HSTS over https.

use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use super::timing::Timing;
use crate::state::AppState;

/// Where Stripe hosts the page a card is saved on.
pub const STRIPE_CHECKOUT: &str = "https://checkout.stripe.com";

/// The policy, with Kratos's origin allowed as a form target when people sign in there, and
/// Stripe's Checkout when card payments are on: "Add a card" posts to our own route, which
/// answers 303 to Stripe's page, and Chrome and Safari hold a form's redirects to
/// `form-action` too, so without it the browser would refuse to follow.
pub fn content_security_policy(kratos: Option<&url::Url>, stripe: bool) -> String {
    let mut form_action = "'self'".to_owned();
    if let Some(url) = kratos {
        form_action.push(' ');
        form_action.push_str(&url.origin().ascii_serialization());
    }
    if stripe {
        form_action.push(' ');
        form_action.push_str(STRIPE_CHECKOUT);
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

pub async fn secure_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let timing = Timing::default();
    request.extensions_mut().insert(timing.clone());
    let web = request
        .app_data::<web::Data<AppState>>()
        .map(|state| (state.web.csp.clone(), state.web.secure));
    // The handler and its extractors run inside the scope, so the calls made to answer
    // (Kratos for the session, OpenMeter and Lago for the sections) reach the debug panel.
    let mut response = timing.calls().scope(next.call(request)).await?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&timing.header(started.elapsed())) {
        headers.insert(HeaderName::from_static("server-timing"), value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if let Some((csp, secure)) = web {
        if html {
            if let Ok(value) = HeaderValue::from_str(&csp) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            if !headers.contains_key(header::CACHE_CONTROL) {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
        if secure {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            );
        }
    }
    Ok(response)
}

//! `GET /portal/links/{token}`: a portal link spent (once, before it expires; audited) for
//! a session limited to its customer's portal, then on to `/portal`. The token leaves the
//! address bar at once: the redirect drops it, and the frame's `Referrer-Policy` keeps it
//! from other sites meanwhile.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use tollgate_application::ports::{SessionHolder, SignInMethod};
use tollgate_domain::access::Role;

use crate::{
    access::portal::redeem,
    state::AppState,
    web::{
        Layout, WebError, i18n::catalog, layout::render, login::signed_in, session::client_address,
    },
};

#[derive(Template)]
#[template(path = "portal_link_refused.html")]
struct RefusedPage {
    layout: Layout,
}

/// A link that no longer opens anything: used, expired or never issued (the page does not
/// say which, so a guessed token learns nothing).
fn refused() -> Result<HttpResponse, WebError> {
    let page = RefusedPage {
        layout: Layout::bare(catalog().tr("portal-link-refused-title")),
    };
    render(StatusCode::GONE, &page)
}

pub async fn open(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let client = client_address(&request);
    if client.is_some_and(|ip| state.web.login_limiter.is_blocked(ip)) {
        return Err(WebError::TooManyRequests);
    }
    let Some(caller) = redeem(&request, &token).await? else {
        if let Some(ip) = client {
            state.web.login_limiter.record_failure(ip);
        }
        return refused();
    };
    let principal = &caller.principal;
    let holder = SessionHolder {
        organization: principal.organization,
        // `portal_link:<id>`: the session acts, and is audited, as the link.
        subject: principal.actor.clone(),
        role: Role::Customer,
        customer: principal.customer.clone(),
    };
    let secret = state
        .web
        .sessions
        .start(&holder, SignInMethod::PortalLink, &caller.audit)
        .await?;
    Ok(signed_in(&state, secret, "/portal", Role::Customer))
}

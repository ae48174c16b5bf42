//! Signing in and out. With Ory Kratos, the dashboard is Kratos's login UI ([`kratos`]).
//! Without it: paste an access token (verified as the API verifies a bearer token), or open a
//! one-time link from `tollgate dev-login` (loopback only). Failed attempts are limited per
//! client address (429). `POST /logout` revokes the session, and Kratos's with it.

mod kratos;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use tollgate_application::ports::{AuthError, SignInMethod};
use tollgate_domain::access::Role;

use super::{
    Layout, WebError, csrf,
    i18n::catalog,
    layout::render,
    privacy::anonymous_banner,
    session::{audit_context, client_address, current_session},
};
use crate::{error::ApiError, state::AppState};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    error: Option<String>,
    organization: String,
    customer: String,
    default_organization: String,
    dev_links: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// Kratos's login flow, when Kratos sent the browser here to show it.
    flow: Option<String>,
    /// Set on the address Kratos returns to after signing in.
    returned: Option<String>,
    /// With Kratos: the organization to sign in to (slug or id; default: the installation's).
    organization: Option<String>,
    /// With Kratos: the customer whose member signs in (the portal).
    customer: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    customer: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Only a path of this site: never `//host` or an absolute URL (an open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/login") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn login_page(state: &AppState, next: String) -> LoginPage {
    LoginPage {
        layout: Layout::bare(catalog().tr("login-title")),
        next,
        error: None,
        organization: String::new(),
        customer: String::new(),
        default_organization: state.web.default_organization.clone(),
        dev_links: state.web.dev_links,
    }
}

/// The new session's cookie, and on to `next`: for a customer's member asking for the front
/// page (staff's dashboard), their portal instead.
pub(super) fn signed_in(state: &AppState, secret: String, next: &str, role: Role) -> HttpResponse {
    let next = if role == Role::Customer && next == "/" {
        "/portal"
    } else {
        next
    };
    HttpResponse::SeeOther()
        .cookie(state.web.session_cookie(secret))
        .insert_header((header::LOCATION, next.to_owned()))
        .finish()
}

fn limited(request: &HttpRequest, state: &AppState) -> Result<(), WebError> {
    match client_address(request) {
        Some(ip) if state.web.login_limiter.is_blocked(ip) => Err(WebError::TooManyRequests),
        _ => Ok(()),
    }
}

fn record_failure(request: &HttpRequest, state: &AppState) {
    if let Some(ip) = client_address(request) {
        state.web.login_limiter.record_failure(ip);
    }
}

/// `GET /login`: the sign-in page, or straight on for someone signed in already.
pub async fn form(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let next = safe_next(query.next.as_deref());
    if current_session(&request).await?.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .finish());
    }
    if let Some(flows) = &state.web.login_flows {
        let query = query.into_inner();
        let nonblank = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
        let visit = kratos::Visit {
            next,
            flow: nonblank(query.flow),
            returned: query.returned.is_some(),
            organization: nonblank(query.organization),
            customer: nonblank(query.customer),
        };
        return kratos::form(&request, &state, flows.as_ref(), &visit).await;
    }
    let mut page = login_page(&state, next);
    page.layout.banner = anonymous_banner(&request);
    render(StatusCode::OK, &page)
}

/// `POST /login`: a pasted access token.
pub async fn with_token(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check_origin(&request, &state.web)?;
    limited(&request, &state)?;
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let organization = match form.organization.trim() {
        "" => state.web.default_organization.as_str(),
        named => named,
    };
    let customer = Some(form.customer.trim()).filter(|c| !c.is_empty());
    let outcome = state
        .access
        .sign_in_token(form.token.trim(), Some(organization), customer)
        .await;
    let holder = match outcome {
        Ok(holder) => holder,
        Err(AuthError::Upstream(error)) => return Err(error.into()),
        Err(_) => {
            record_failure(&request, &state);
            let mut page = login_page(&state, next);
            page.layout.banner = anonymous_banner(&request);
            page.error = Some(catalog().tr("login-token-refused"));
            page.organization = form.organization;
            page.customer = form.customer;
            return render(StatusCode::UNAUTHORIZED, &page);
        }
    };
    let context = audit_context(&request, &state, format!("user:{}", holder.subject));
    let secret = state
        .web
        .sessions
        .start(&holder, SignInMethod::Token, &context)
        .await?;
    Ok(signed_in(&state, secret, &next, holder.role))
}

/// `GET /login/dev/{secret}`: a `tollgate dev-login` link, once, from this machine only.
pub async fn with_link(
    request: HttpRequest,
    state: web::Data<AppState>,
    secret: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    if !state.web.dev_links {
        return Err(WebError::NotFound);
    }
    if !client_address(&request).is_some_and(|ip| ip.is_loopback()) {
        return Err(ApiError::Forbidden("sign-in links work from this machine only".into()).into());
    }
    limited(&request, &state)?;
    let Some(holder) = state.web.sessions.redeem_link(&secret).await? else {
        record_failure(&request, &state);
        let mut page = login_page(&state, "/".to_owned());
        page.error = Some(catalog().tr("login-link-refused"));
        return render(StatusCode::UNAUTHORIZED, &page);
    };
    let context = audit_context(&request, &state, format!("user:{}", holder.subject));
    let session = state
        .web
        .sessions
        .start(&holder, SignInMethod::DevLink, &context)
        .await?;
    Ok(signed_in(&state, session, "/", holder.role))
}

/// `POST /logout`: the session revoked (audited) and the cookie dropped.
pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check_origin(&request, &state.web)?;
    let cookie = request.cookie(state.web.cookie_name());
    let session = current_session(&request).await?;
    if let (Some(cookie), Some(session)) = (cookie, session) {
        csrf::verify(
            &csrf::token(&state.web.csrf_key, &session.digest),
            &form.csrf,
        )?;
        let actor = format!("user:{}", session.record.holder.subject);
        let context = audit_context(&request, &state, actor);
        state.web.sessions.end(cookie.value(), &context).await?;
    }
    // Kratos's session too, through its logout URL (the browser goes there, then back).
    let next = match &state.web.login_flows {
        Some(flows) => kratos::logout_url(&request, &state, flows.as_ref()).await,
        None => "/login".to_owned(),
    };
    Ok(HttpResponse::SeeOther()
        .cookie(state.web.removal_cookie())
        .insert_header((header::LOCATION, next))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        assert_eq!(safe_next(Some("/usage?x=1")), "/usage?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(Some("/login")), "/");
        assert_eq!(safe_next(None), "/");
    }
}

//! Who is looking at a page: the session cookie resumed, then the same access decision the
//! API makes ([`crate::access::Caller`]) for the page's row of the access table.

use std::{net::IpAddr, sync::Arc};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::Payload,
    http::Method,
    web,
};
use futures_util::future::LocalBoxFuture;
use tollgate_application::{
    ports::{AuditContext, AuditEntry, AuthError, LoginFlows},
    services::access::{
        OrganizationName, PrincipalKind,
        web_sessions::{WebSession, WebSessionService},
    },
};
use tollgate_domain::{access::Role, privacy::consent::Subject};
use tracing_actix_web::RequestId;

use super::{WebError, csrf};
use crate::{
    access::{Caller, FailedAuthLimiter, hash_address, requirement_for},
    state::AppState,
};

/// What the dashboard needs beyond the API's state.
pub struct WebState {
    pub sessions: Arc<WebSessionService>,
    /// `scheme://host[:port]` browsers use; POSTs must come from it.
    pub origin: String,
    /// `origin` was configured (`web.public_url`): no other is accepted.
    pub fixed_origin: bool,
    /// Served over https: `__Host-` cookie, Secure, HSTS.
    pub secure: bool,
    /// Key of the CSRF tokens' HMAC, the same on every replica.
    pub csrf_key: Arc<[u8]>,
    /// The Content-Security-Policy of every page.
    pub csp: String,
    /// Ory Kratos's public URL when people sign in through it.
    pub kratos: Option<url::Url>,
    /// Kratos's browser login flow, whose login UI the dashboard is (with `kratos`).
    pub login_flows: Option<Arc<dyn LoginFlows>>,
    /// Failed sign-ins per client address.
    pub login_limiter: Arc<FailedAuthLimiter>,
    /// `tollgate dev-login` links are accepted (the embedded identity, no Kratos).
    pub dev_links: bool,
    /// The organization a sign-in names when the form names none.
    pub default_organization: String,
}

impl WebState {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-tollgate"
        } else {
            "tollgate_session"
        }
    }

    /// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure over https; a session
    /// cookie (no Max-Age), the server deciding when the session ends.
    pub fn session_cookie(&self, secret: String) -> Cookie<'static> {
        Cookie::build(self.cookie_name(), secret)
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .finish()
    }

    /// A cookie that makes the browser forget the session.
    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.session_cookie(String::new());
        cookie.set_max_age(CookieDuration::ZERO);
        cookie
    }
}

/// A signed-in person allowed to open the page asked for.
pub struct Visitor {
    pub caller: Caller,
    pub session: WebSession,
    pub role: Role,
    /// The hidden field every form of the page carries.
    pub csrf: String,
    pub organization: OrganizationName,
    /// The organization's debug mode: pages show the debug panel.
    pub debug: bool,
    /// The consent banner asks this person (something optional is configured and they have
    /// not answered under the notice in force).
    pub banner: bool,
}

impl FromRequest for Visitor {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { visit(&request).await })
    }
}

fn app_state(request: &HttpRequest) -> Result<&web::Data<AppState>, WebError> {
    request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::Internal("application state missing".into()))
}

/// The session the request's cookie names, when it is live.
pub async fn current_session(request: &HttpRequest) -> Result<Option<WebSession>, WebError> {
    let state = app_state(request)?;
    let Some(cookie) = request.cookie(state.web.cookie_name()) else {
        return Ok(None);
    };
    Ok(state.web.sessions.resume(cookie.value()).await?)
}

pub fn client_address(request: &HttpRequest) -> Option<IpAddr> {
    request.peer_addr().map(|address| address.ip())
}

/// Who acts, for the audit log, as the API's extractor names them.
pub fn audit_context(request: &HttpRequest, state: &AppState, actor: String) -> AuditContext {
    AuditContext {
        actor,
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string),
        client_address_hash: client_address(request)
            .map(|ip| hash_address(&state.address_salt, ip)),
    }
}

async fn visit(request: &HttpRequest) -> Result<Visitor, WebError> {
    let state = app_state(request)?;
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if writes {
        csrf::check_origin(request, &state.web)?;
    }
    let requirement = request
        .match_pattern()
        .and_then(|pattern| requirement_for(request.method(), &pattern))
        .ok_or_else(|| WebError::Internal("this page has no access rule".into()))?;
    let session = current_session(request)
        .await?
        .ok_or_else(|| WebError::SignIn {
            next: sign_in_return(request),
        })?;
    let holder = &session.record.holder;
    let principal = match state
        .access
        .authorize_holder(holder, session.record.method, requirement)
        .await
    {
        Ok(principal) => principal,
        Err(AuthError::Denied {
            organization,
            actor,
            ..
        }) => {
            if writes {
                let entry = AuditEntry {
                    context: audit_context(request, state, actor),
                    action: "request.denied",
                    target: Some(format!(
                        "{} {}",
                        request.method(),
                        request.match_pattern().unwrap_or_default()
                    )),
                    result: "denied",
                };
                if let Err(error) = state.audit.append(organization, &entry).await {
                    tracing::error!(%error, "cannot record a denied request in the audit log");
                }
            }
            return Err(WebError::Forbidden {
                roles: requirement.roles,
                csrf: csrf::token(&state.web.csrf_key, &session.digest),
            });
        }
        Err(AuthError::Forbidden(_)) => {
            return Err(WebError::Forbidden {
                roles: requirement.roles,
                csrf: csrf::token(&state.web.csrf_key, &session.digest),
            });
        }
        Err(other) => return Err(other.into()),
    };
    let role = match principal.kind {
        PrincipalKind::Person { role } => role,
        PrincipalKind::ApiKey { .. } => {
            return Err(WebError::Internal(
                "a session resolved to an API key".into(),
            ));
        }
    };
    let organization = state
        .access
        .organization(principal.organization)
        .await?
        .ok_or_else(|| WebError::Internal("the session's organization is gone".into()))?;
    let debug = state.settings.get(principal.organization).await?.debug_mode;
    let banner = state
        .consents
        .banner_needed(
            principal.organization,
            &Subject::member(session.record.holder.subject.clone()),
        )
        .await?;
    let audit = audit_context(request, state, principal.actor.clone());
    let csrf = csrf::token(&state.web.csrf_key, &session.digest);
    Ok(Visitor {
        caller: Caller { principal, audit },
        session,
        role,
        csrf,
        organization,
        debug,
        banner,
    })
}

/// Where to come back to after signing in: this page, for a GET.
fn sign_in_return(request: &HttpRequest) -> String {
    if request.method() == Method::GET {
        request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    } else {
        "/".to_owned()
    }
}

impl Visitor {
    /// Whether the access table lets this visitor use `method` on the page `pattern`: pages
    /// leave out the controls a role would be refused.
    pub fn may(&self, method: &Method, pattern: &str) -> bool {
        requirement_for(method, pattern).is_some_and(|requirement| {
            requirement.roles.contains(&self.role)
                && self.caller.principal.scopes.contains(&requirement.scope)
        })
    }

    /// Refuses a form whose CSRF token is not this session's (403 `csrf_failed`).
    ///
    /// # Errors
    /// [`WebError::CsrfFailed`].
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        csrf::verify(&self.csrf, presented)
    }
}

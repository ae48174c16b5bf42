//! The dashboard's wiring: sessions in PostgreSQL, the origin browsers use, the CSRF key, and
//! Kratos when people sign in through it.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tollgate_adapters::{
    ory::KratosLoginFlows,
    postgres::{self, PgPool, PgWebSessions},
};
use tollgate_application::{
    ports::{LoginFlows, SystemClock},
    services::access::web_sessions::{SessionPolicy, WebSessionService},
};

use super::StartupError;
use crate::{
    access::FailedAuthLimiter,
    settings::{Settings, optional_url},
    web::{WebState, headers::content_security_policy},
};

/// The origin of `web.public_url`, else of the address the server listens on.
fn origin(settings: &Settings, bound: SocketAddr) -> Result<(String, bool), StartupError> {
    match optional_url(&settings.web.public_url)
        .map_err(|e| StartupError::Invalid(format!("web.public_url: {e}")))?
    {
        Some(url) => Ok((url.origin().ascii_serialization(), true)),
        None => Ok((format!("http://{bound}"), false)),
    }
}

pub(super) async fn wire(
    settings: &Settings,
    pool: &PgPool,
    bound: SocketAddr,
    embedded_identity: bool,
) -> Result<WebState, StartupError> {
    let (origin, fixed_origin) = origin(settings, bound)?;
    let kratos = optional_url(&settings.ory.kratos_public_url)
        .map_err(|e| StartupError::Invalid(format!("ory.kratos_public_url: {e}")))?;
    let login_flows = match &kratos {
        Some(url) => Some(Arc::new(
            KratosLoginFlows::new(url, Duration::from_secs(5))
                .map_err(|e| StartupError::Invalid(e.to_string()))?,
        ) as Arc<dyn LoginFlows>),
        None => None,
    };
    let csrf_key = postgres::installation_secret(pool, "web_csrf_key")
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let web = &settings.web;
    let policy = SessionPolicy {
        idle: Duration::from_secs(web.session_idle_secs),
        absolute: Duration::from_secs(web.session_absolute_secs),
        link_ttl: Duration::from_secs(web.login_link_ttl_secs),
    };
    Ok(WebState {
        sessions: Arc::new(WebSessionService::new(
            Arc::new(PgWebSessions::new(pool.clone())),
            Arc::new(SystemClock),
            policy,
        )),
        secure: origin.starts_with("https://"),
        csp: content_security_policy(kratos.as_ref(), settings.stripe.is_enabled()),
        origin,
        fixed_origin,
        csrf_key: csrf_key.into(),
        dev_links: embedded_identity && kratos.is_none(),
        kratos,
        login_flows,
        login_limiter: Arc::new(FailedAuthLimiter::new(
            web.max_failed_logins_per_minute,
            Duration::from_secs(60),
        )),
        default_organization: settings.organization.slug.clone(),
    })
}

//! Kratos sessions: `GET <public>/sessions/whoami` with the browser's `Cookie` header forwarded
//! as it came, or a native app's `X-Session-Token`.
//!
//! 200 is a session (checked to be active and unexpired), 401 no session, 403 a session that
//! still needs its second factor (`session_aal2_required`). Good answers are cached briefly
//! (whoami is rate-limited on Ory Network), never past the session's own expiry, so a logout
//! takes effect within the cache TTL.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{
    StatusCode,
    header::{HeaderName, HeaderValue},
};
use serde::Deserialize;
use tollgate_application::ports::{
    AuthError, Clock, Session, SessionCredential, SessionResolver, SystemClock,
};
use url::Url;

use super::{
    OrySetupError,
    cache::{TtlCache, cache_key, later},
    http,
};
use crate::upstream::Upstream;

const SERVICE: &str = "kratos";
const KRATOS: Upstream = Upstream(SERVICE);

#[derive(Debug, Clone)]
pub struct KratosConfig {
    /// Kratos's public API (port 4433 self-hosted; the project URL on Ory Network).
    pub public_url: Url,
    /// The longest a session answer is reused: the delay before a logout is noticed.
    pub cache_ttl: Duration,
    /// The most sessions remembered at once.
    pub cache_capacity: usize,
    pub timeout: Duration,
}

impl KratosConfig {
    /// 15 s cache of up to 10 000 sessions; 5 s timeout.
    pub fn new(public_url: Url) -> Self {
        Self {
            public_url,
            cache_ttl: Duration::from_secs(15),
            cache_capacity: 10_000,
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct KratosSessions {
    http: reqwest::Client,
    endpoint: Url,
    cache_ttl: Duration,
    cache: TtlCache<Session>,
    clock: Arc<dyn Clock>,
}

impl KratosSessions {
    /// # Errors
    /// When the public URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: KratosConfig) -> Result<Self, OrySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with the time taken from `clock` (session and cache expiry).
    ///
    /// # Errors
    /// When the public URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn with_clock(config: KratosConfig, clock: Arc<dyn Clock>) -> Result<Self, OrySetupError> {
        Ok(Self {
            http: http::client(SERVICE, config.timeout)?,
            endpoint: http::endpoint(SERVICE, &config.public_url, "sessions/whoami")?,
            cache_ttl: config.cache_ttl,
            cache: TtlCache::new(config.cache_capacity),
            clock,
        })
    }

    async fn ask(&self, header: HeaderName, value: HeaderValue) -> Result<Session, AuthError> {
        let response = KRATOS
            .send(
                self.http
                    .get(self.endpoint.clone())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .header(header, value),
            )
            .await
            .map_err(|error| KRATOS.failed(error))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => {
                let id = error_id(response).await;
                return Err(AuthError::Unauthenticated(format!(
                    "no active session ({id})"
                )));
            }
            StatusCode::FORBIDDEN => {
                let id = error_id(response).await;
                return Err(AuthError::Forbidden(format!(
                    "the session needs a second factor ({id})"
                )));
            }
            status => {
                let now = self.clock.now();
                return Err(KRATOS.status(status, response.headers(), now).into());
            }
        }
        let session: WireSession = response.json().await.map_err(|e| KRATOS.failed(e))?;
        self.accept(session)
    }

    fn accept(&self, session: WireSession) -> Result<Session, AuthError> {
        let refuse = |why: &str| Err(AuthError::Unauthenticated(why.to_owned()));
        if session.active == Some(false) {
            return refuse("session is not active");
        }
        if session
            .expires_at
            .is_some_and(|expires_at| expires_at <= self.clock.now())
        {
            return refuse("session has expired");
        }
        let Some(identity) = session.identity else {
            return Err(KRATOS.invalid("a session without its identity").into());
        };
        if identity.state.as_deref() == Some("inactive") {
            return refuse("identity is disabled");
        }
        let email = identity
            .traits
            .as_ref()
            .and_then(|traits| traits.get("email"))
            .and_then(|email| email.as_str())
            .map(str::to_owned);
        Ok(Session {
            subject: identity.id,
            email,
            expires_at: session.expires_at,
        })
    }
}

#[async_trait]
impl SessionResolver for KratosSessions {
    #[tracing::instrument(name = "kratos.whoami", skip_all, fields(kind, cached))]
    async fn whoami(&self, credential: &SessionCredential) -> Result<Session, AuthError> {
        let (kind, header, text) = match credential {
            SessionCredential::Cookie(cookie) => ("cookie", reqwest::header::COOKIE, cookie),
            SessionCredential::Token(token) => {
                ("token", HeaderName::from_static("x-session-token"), token)
            }
        };
        let span = tracing::Span::current();
        span.record("kind", kind);
        if text.trim().is_empty() {
            return Err(AuthError::Unauthenticated(
                "no session credential".to_owned(),
            ));
        }
        let key = cache_key(kind, text);
        if let Some(session) = self.cache.get(&key, self.clock.now()) {
            span.record("cached", true);
            return Ok(session);
        }
        span.record("cached", false);
        let mut value = HeaderValue::from_str(text)
            .map_err(|_| AuthError::Unauthenticated("malformed session credential".to_owned()))?;
        value.set_sensitive(true);
        let session = self.ask(header, value).await?;
        let now = self.clock.now();
        let ttl_end = later(now, self.cache_ttl);
        let until = session
            .expires_at
            .map_or(ttl_end, |expires_at| expires_at.min(ttl_end));
        self.cache.insert(key, session.clone(), until, now);
        Ok(session)
    }
}

/// `errorGeneric`'s `error.id` (`session_inactive`, `session_aal2_required`...), for the log.
async fn error_id(response: reqwest::Response) -> String {
    #[derive(Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        id: Option<String>,
    }
    response
        .json::<Body>()
        .await
        .ok()
        .and_then(|body| body.error.id)
        .unwrap_or_else(|| "no error id".to_owned())
}

#[derive(Deserialize)]
struct WireSession {
    active: Option<bool>,
    expires_at: Option<DateTime<Utc>>,
    identity: Option<WireIdentity>,
}

#[derive(Deserialize)]
struct WireIdentity {
    id: String,
    state: Option<String>,
    traits: Option<serde_json::Map<String, serde_json::Value>>,
}

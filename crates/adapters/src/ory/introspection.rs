//! Hydra's opaque access tokens (`ory_at_…`), asked about at
//! `POST <admin>/admin/oauth2/introspect` (RFC 7662, form-encoded `token=…`).
//!
//! Hydra answers 200 with `{"active": false}` for an expired, revoked or unknown token, so
//! only a 200 with `active: true` (and an issuer, audience and use that fit) lets a token in.
//! Positive answers are cached until the token's `exp` or the configured TTL, whichever comes
//! first, so revocation takes effect within that TTL; negative answers are never cached, so a
//! token that becomes valid is not refused from memory.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::DateTime;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tollgate_application::ports::{
    AccessTokenVerifier, AuthError, Clock, SystemClock, VerifiedToken,
};
use url::Url;

use super::{
    OrySetupError,
    cache::{TtlCache, cache_key, later},
    http,
    jwt::split_scopes,
};
use crate::upstream::Upstream;

const SERVICE: &str = "hydra";
const HYDRA: Upstream = Upstream(SERVICE);

#[derive(Debug, Clone)]
pub struct HydraIntrospectionConfig {
    /// Hydra's admin API (port 4445 self-hosted; the project URL on Ory Network).
    pub admin_url: Url,
    /// Sent as `Authorization: Bearer`: needed on Ory Network, absent self-hosted.
    pub api_key: Option<SecretString>,
    /// When set, an answer's `iss` must be this issuer (a trailing `/` aside).
    pub issuer: Option<String>,
    /// When set, an answer's `aud` must contain this.
    pub audience: Option<String>,
    /// The longest a positive answer is reused: the delay before a revocation is noticed.
    pub cache_ttl: Duration,
    /// The most tokens remembered at once.
    pub cache_capacity: usize,
    pub timeout: Duration,
}

impl HydraIntrospectionConfig {
    /// No API key, issuer or audience check; 60 s cache of up to 10 000 tokens; 5 s timeout.
    pub fn new(admin_url: Url) -> Self {
        Self {
            admin_url,
            api_key: None,
            issuer: None,
            audience: None,
            cache_ttl: Duration::from_secs(60),
            cache_capacity: 10_000,
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct HydraIntrospection {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Option<SecretString>,
    issuer: Option<String>,
    audience: Option<String>,
    cache_ttl: Duration,
    cache: TtlCache<VerifiedToken>,
    clock: Arc<dyn Clock>,
}

impl HydraIntrospection {
    /// # Errors
    /// When the admin URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: HydraIntrospectionConfig) -> Result<Self, OrySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with the time taken from `clock` (cache expiry).
    ///
    /// # Errors
    /// When the admin URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn with_clock(
        config: HydraIntrospectionConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OrySetupError> {
        Ok(Self {
            http: http::client(SERVICE, config.timeout)?,
            endpoint: http::endpoint(SERVICE, &config.admin_url, "admin/oauth2/introspect")?,
            api_key: config.api_key,
            issuer: config.issuer,
            audience: config.audience,
            cache_ttl: config.cache_ttl,
            cache: TtlCache::new(config.cache_capacity),
            clock,
        })
    }

    async fn introspect(&self, token: &str) -> Result<Introspected, AuthError> {
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("token", token)]);
        if let Some(api_key) = &self.api_key {
            request = request.bearer_auth(api_key.expose_secret());
        }
        let response = HYDRA
            .send(request)
            .await
            .map_err(|error| HYDRA.failed(error))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(HYDRA
                .status(status, response.headers(), self.clock.now())
                .into());
        }
        Ok(response.json().await.map_err(|error| HYDRA.failed(error))?)
    }

    fn accept(&self, answer: Introspected) -> Result<VerifiedToken, AuthError> {
        let refuse = |why: &str| Err(AuthError::Unauthenticated(why.to_owned()));
        if !answer.active {
            return refuse("token is not active");
        }
        if answer
            .token_use
            .as_deref()
            .is_some_and(|token_use| token_use != "access_token")
        {
            return refuse("token is not an access token");
        }
        // Hydra writes `iss` as its issuer URL with exactly one trailing slash, whatever the
        // configuration says, so the slash is not part of the comparison.
        if let (Some(expected), Some(issuer)) = (&self.issuer, &answer.iss)
            && expected.trim_end_matches('/') != issuer.trim_end_matches('/')
        {
            return refuse("token is from another issuer");
        }
        if let Some(expected) = &self.audience
            && !answer.aud.iter().any(|audience| audience == expected)
        {
            return refuse("token is not meant for this audience");
        }
        let now = self.clock.now();
        let expires_at = answer.exp.and_then(|exp| DateTime::from_timestamp(exp, 0));
        if expires_at.is_some_and(|expires_at| expires_at <= now) {
            return refuse("token has expired");
        }
        // A client-credentials token's subject is its client; older Hydras leave `sub` empty.
        let subject = answer
            .sub
            .filter(|sub| !sub.is_empty())
            .or(answer.client_id.filter(|client| !client.is_empty()));
        let Some(subject) = subject else {
            return refuse("token has no subject");
        };
        let organization = answer
            .ext
            .as_ref()
            .and_then(|ext| ext.get("org"))
            .and_then(|org| org.as_str())
            .map(str::to_owned);
        Ok(VerifiedToken {
            subject,
            scopes: answer
                .scope
                .as_deref()
                .map(split_scopes)
                .unwrap_or_default(),
            expires_at,
            organization,
        })
    }
}

#[async_trait]
impl AccessTokenVerifier for HydraIntrospection {
    #[tracing::instrument(name = "hydra.introspect", skip_all, fields(cached))]
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let key = cache_key("hydra-access-token", token);
        if let Some(verified) = self.cache.get(&key, self.clock.now()) {
            tracing::Span::current().record("cached", true);
            return Ok(verified);
        }
        tracing::Span::current().record("cached", false);
        let verified = self.accept(self.introspect(token).await?)?;
        let now = self.clock.now();
        let ttl_end = later(now, self.cache_ttl);
        let until = verified
            .expires_at
            .map_or(ttl_end, |expires_at| expires_at.min(ttl_end));
        self.cache.insert(key, verified.clone(), until, now);
        Ok(verified)
    }
}

/// `introspectedOAuth2Token`; only `active` is required.
#[derive(Deserialize)]
struct Introspected {
    active: bool,
    sub: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    aud: Vec<String>,
    exp: Option<i64>,
    iss: Option<String>,
    token_use: Option<String>,
    ext: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `aud` is an array in Hydra's spec; a single string (other RFC 7662 servers) reads the same.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
        None => Vec::new(),
    })
}

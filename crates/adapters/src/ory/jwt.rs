//! Hydra JWT access tokens, verified locally: the signature against Hydra's published keys
//! (see `jwks`), then the claims Hydra writes (fosite's `JWTClaims`): `iss` exactly, `aud`
//! containing our audience, `exp` and `nbf` with a small leeway, scopes from `scp`.
//!
//! Only RS256, ES256 and EdDSA are accepted, and only with a key of the matching type: `none`
//! and every HS* are refused before any key is looked up, which also closes the old trick of
//! an HS256 token "signed" with the RSA public key as the HMAC secret.

use std::{collections::HashSet, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::DateTime;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use tollgate_application::ports::{
    AccessTokenVerifier, AuthError, Clock, SystemClock, VerifiedToken,
};
use url::Url;

use super::{OrySetupError, http, jwks::KeySet};

#[derive(Debug, Clone)]
pub struct HydraJwtConfig {
    /// `iss` must be exactly this: Hydra's `urls.self.issuer`, as its discovery document says.
    pub issuer: String,
    /// Usually `<public>/.well-known/jwks.json`.
    pub jwks_url: Url,
    /// `aud` (a string or an array) must contain this.
    pub audience: String,
    /// Tolerated clock skew for `exp` and `nbf`.
    pub leeway: Duration,
    /// The least time between two fetches of the key set, whatever tokens say.
    pub jwks_refresh_cooldown: Duration,
    /// The key set is fetched again after this long, so withdrawn keys stop verifying.
    pub jwks_max_age: Duration,
    /// For the whole JWKS request, connection included.
    pub timeout: Duration,
}

impl HydraJwtConfig {
    /// A configuration with the defaults: 10 s leeway, 30 s refresh cooldown, keys refetched
    /// after 10 min, 5 s timeout.
    pub fn new(issuer: impl Into<String>, jwks_url: Url, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            jwks_url,
            audience: audience.into(),
            leeway: Duration::from_secs(10),
            jwks_refresh_cooldown: Duration::from_secs(30),
            jwks_max_age: Duration::from_secs(600),
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct HydraJwtVerifier {
    issuer: String,
    audience: String,
    leeway_seconds: i64,
    keys: KeySet,
    clock: Arc<dyn Clock>,
}

impl HydraJwtVerifier {
    /// # Errors
    /// When the JWKS URL is not http(s) or the HTTP client cannot be built.
    pub fn new(config: HydraJwtConfig) -> Result<Self, OrySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with the time taken from `clock` (token lifetimes, cooldowns).
    ///
    /// # Errors
    /// When the JWKS URL is not http(s) or the HTTP client cannot be built.
    pub fn with_clock(
        config: HydraJwtConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OrySetupError> {
        if !matches!(config.jwks_url.scheme(), "http" | "https") {
            return Err(OrySetupError::Url {
                service: "hydra",
                url: config.jwks_url.to_string(),
            });
        }
        let client = http::client("hydra", config.timeout)?;
        Ok(Self {
            issuer: config.issuer,
            audience: config.audience,
            leeway_seconds: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
            keys: KeySet::new(
                client,
                config.jwks_url,
                config.jwks_refresh_cooldown,
                config.jwks_max_age,
                Arc::clone(&clock),
            ),
            clock,
        })
    }

    fn check_claims(&self, claims: Claims) -> Result<VerifiedToken, AuthError> {
        let refuse = |why: &str| Err(AuthError::Unauthenticated(why.to_owned()));
        if claims.iss != self.issuer {
            return refuse("token is from another issuer");
        }
        if !claims.aud.contains(&self.audience) {
            return refuse("token is not meant for this audience");
        }
        if claims.sub.is_empty() {
            return refuse("token has no subject");
        }
        let now = self.clock.now().timestamp();
        let Some(expires) = seconds(&claims.exp) else {
            return refuse("token has an unreadable exp");
        };
        if now >= expires.saturating_add(self.leeway_seconds) {
            return refuse("token has expired");
        }
        match claims.nbf.as_ref().map(seconds) {
            Some(None) => return refuse("token has an unreadable nbf"),
            Some(Some(not_before)) if not_before > now.saturating_add(self.leeway_seconds) => {
                return refuse("token is not valid yet");
            }
            _ => {}
        }
        let scopes = match (claims.scp, claims.scope) {
            (Some(Scopes::List(list)), _) => list,
            (Some(Scopes::Text(text)), _) | (None, Some(text)) => split_scopes(&text),
            (None, None) => Vec::new(),
        };
        let organization = claims
            .ext
            .as_ref()
            .and_then(|ext| ext.get("org"))
            .or(claims.org.as_ref())
            .and_then(|org| org.as_str())
            .map(str::to_owned);
        Ok(VerifiedToken {
            subject: claims.sub,
            scopes,
            expires_at: DateTime::from_timestamp(expires, 0),
            organization,
        })
    }
}

#[async_trait]
impl AccessTokenVerifier for HydraJwtVerifier {
    #[tracing::instrument(name = "hydra.verify_jwt", skip_all)]
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        // `alg: none` does not even parse as a header here: jsonwebtoken has no such algorithm.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Unauthenticated("malformed token".to_owned()))?;
        if !matches!(
            header.alg,
            Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA
        ) {
            return Err(AuthError::Unauthenticated(format!(
                "token algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Unauthenticated("token names no key".to_owned()))?;
        let key = self.keys.key(&kid).await?;
        if key.algorithm != header.alg {
            return Err(AuthError::Unauthenticated(
                "token algorithm does not match its key".to_owned(),
            ));
        }
        // jsonwebtoken checks the signature with the key's one algorithm; the claims are
        // checked below against our clock, so its own time and audience checks are off.
        let mut validation = Validation::new(key.algorithm);
        validation.required_spec_claims = HashSet::new();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|error| AuthError::Unauthenticated(format!("token refused: {error}")))?;
        self.check_claims(data.claims)
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: Audience,
    exp: serde_json::Number,
    nbf: Option<serde_json::Number>,
    scp: Option<Scopes>,
    /// Hydra writes this instead of (or as well as) `scp` with `strategies.jwt.scope_claim`.
    scope: Option<String>,
    ext: Option<serde_json::Map<String, serde_json::Value>>,
    org: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(one) => one == audience,
            Self::Many(many) => many.iter().any(|one| one == audience),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scopes {
    List(Vec<String>),
    Text(String),
}

pub(super) fn split_scopes(text: &str) -> Vec<String> {
    text.split_ascii_whitespace().map(str::to_owned).collect()
}

/// A NumericDate: whole seconds, though the JWT spec allows fractions.
fn seconds(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        let value = number.as_f64()?;
        // Far beyond any real date; saturating the cast keeps the comparisons honest.
        value.is_finite().then(|| value.floor() as i64)
    })
}

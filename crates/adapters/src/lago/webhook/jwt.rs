//! `X-Lago-Signature` for `jwt` endpoints: an RS256 JWT with the claims
//! `{"data": "<raw body>", "iss": "<LAGO_API_URL>"}` (lago-api `Webhooks::BaseService`).
//!
//! Only RS256 is accepted, decided before any key is used: `none` does not even parse, and
//! HS256 "signed" with the public key as the secret is refused. The body is trusted only when
//! `data` is exactly the raw body received and `iss` is the configured issuer.
//!
//! Lago writes no `exp`, so none is required (a signed body stays valid; its replay is caught
//! by the unique key and by the view never going backwards). A token that does carry one is
//! refused once it has passed, with a small leeway for clock skew.

use std::{collections::HashSet, sync::Arc, time::Duration};

use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use secrecy::SecretString;
use serde::Deserialize;
use tollgate_application::ports::{Clock, SignatureError, SystemClock};
use url::Url;

use super::public_key::{PublicKey, PublicKeyCache};
use crate::openmeter::{DeliverySetupError, outbound};

const TARGET: &str = "lago";

#[derive(Debug, Clone)]
pub struct LagoJwtConfig {
    /// Lago's API host, as for events: the key comes from
    /// `{url}/api/v1/webhooks/json_public_key`.
    pub url: Url,
    /// The organization's API key: Lago serves its public key to API clients only.
    pub api_key: SecretString,
    /// `iss` must be this (Lago's `LAGO_API_URL`); a trailing `/` on either side is ignored.
    pub issuer: String,
    /// The least time between two fetches of the key after a signature failed to verify.
    pub key_refetch_cooldown: Duration,
    /// For the whole key request, connection included.
    pub timeout: Duration,
    /// Tolerated clock skew for an `exp` claim.
    pub leeway: Duration,
}

impl LagoJwtConfig {
    /// 60 s refetch cooldown, 5 s timeout, 30 s leeway.
    pub fn new(url: Url, api_key: SecretString, issuer: impl Into<String>) -> Self {
        Self {
            url,
            api_key,
            issuer: issuer.into(),
            key_refetch_cooldown: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            leeway: Duration::from_secs(30),
        }
    }
}

pub struct LagoJwtVerifier {
    issuer: String,
    leeway_seconds: i64,
    keys: PublicKeyCache,
    clock: Arc<dyn Clock>,
}

#[derive(Deserialize)]
struct Claims {
    data: String,
    iss: Option<String>,
    exp: Option<serde_json::Number>,
}

/// Why one key did not verify the token.
enum Refusal {
    /// The signature does not match this key: perhaps Lago rotated it.
    Signature,
    Other(String),
}

impl LagoJwtVerifier {
    /// # Errors
    /// When the URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: LagoJwtConfig) -> Result<Self, DeliverySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with the time taken from `clock` (cooldown, `exp`).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_clock(
        config: LagoJwtConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DeliverySetupError> {
        let url = outbound::endpoint(TARGET, &config.url, "api/v1/webhooks/json_public_key")?;
        let http = outbound::client(TARGET, config.timeout)?;
        Ok(Self {
            issuer: config.issuer,
            leeway_seconds: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
            keys: PublicKeyCache::new(
                http,
                url,
                config.api_key,
                config.key_refetch_cooldown,
                Arc::clone(&clock),
            ),
            clock,
        })
    }

    /// # Errors
    /// `Invalid` unless `token` is an RS256 JWT from Lago over exactly `body`; `Unavailable`
    /// when Lago's key cannot be had.
    pub async fn verify(&self, token: &str, body: &[u8]) -> Result<(), SignatureError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| SignatureError::Invalid("malformed JWT".into()))?;
        if header.alg != Algorithm::RS256 {
            return Err(SignatureError::Invalid(format!(
                "JWT algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = self.keys.current().await?;
        match self.check(token, &key, body) {
            Ok(()) => Ok(()),
            Err(Refusal::Other(reason)) => Err(SignatureError::Invalid(reason)),
            Err(Refusal::Signature) => match self.keys.newer_than(&key).await? {
                Some(newer) => self.check(token, &newer, body).map_err(|refusal| {
                    SignatureError::Invalid(match refusal {
                        Refusal::Signature => "the JWT signature does not verify".into(),
                        Refusal::Other(reason) => reason,
                    })
                }),
                None => Err(SignatureError::Invalid(
                    "the JWT signature does not verify".into(),
                )),
            },
        }
    }

    fn check(&self, token: &str, key: &PublicKey, body: &[u8]) -> Result<(), Refusal> {
        // jsonwebtoken checks the signature with RS256 only; the claims are checked here.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims = HashSet::new();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
            Ok(data) => data.claims,
            Err(error) if matches!(error.kind(), ErrorKind::InvalidSignature) => {
                return Err(Refusal::Signature);
            }
            Err(error) => return Err(Refusal::Other(format!("JWT refused: {error}"))),
        };
        let issuer = claims.iss.as_deref().map(|iss| iss.trim_end_matches('/'));
        if issuer != Some(self.issuer.trim_end_matches('/')) {
            return Err(Refusal::Other("the JWT is from another issuer".into()));
        }
        if let Some(exp) = &claims.exp {
            let expires = exp
                .as_i64()
                .ok_or_else(|| Refusal::Other("the JWT has an unreadable exp".into()))?;
            if self.clock.now().timestamp() >= expires.saturating_add(self.leeway_seconds) {
                return Err(Refusal::Other("the JWT has expired".into()));
            }
        }
        if claims.data.as_bytes() != body {
            return Err(Refusal::Other("the JWT signs another body".into()));
        }
        Ok(())
    }
}

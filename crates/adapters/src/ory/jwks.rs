//! Hydra's JSON Web Key Set (`GET <public>/.well-known/jwks.json`): fetched on first use,
//! kept, and fetched again when a token names a key we don't know (Hydra rotated its keys) or
//! the set is older than its maximum age (a key was withdrawn).
//!
//! Fetches happen at most once per cooldown, whatever the tokens say: a flood of made-up `kid`s
//! costs Hydra one request per cooldown, not one per token. A failed fetch keeps the keys we
//! have, so tokens signed with them still verify while Hydra is briefly down.
//!
//! Each key is pinned to exactly one algorithm, from its `kty` (and `crv`): RSA → RS256, EC
//! P-256 → ES256, OKP Ed25519 → EdDSA. A key whose `alg` says otherwise, a symmetric (`oct`) key
//! or a key for encryption is skipped, so no token can choose how its signature is checked.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use tollgate_application::{
    PortError,
    ports::{AuthError, Clock},
};
use url::Url;

use super::cache::later;
use crate::upstream::Upstream;

const HYDRA: Upstream = Upstream("hydra");

/// A public key from the set and the one algorithm it may verify.
pub(super) struct VerifyingKey {
    pub(super) algorithm: Algorithm,
    pub(super) key: DecodingKey,
}

pub(super) struct KeySet {
    http: reqwest::Client,
    url: Url,
    cooldown: Duration,
    max_age: Duration,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    /// Held while fetching, so concurrent misses wait for one fetch instead of each making one.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Arc<VerifyingKey>>,
    fetched_at: Option<DateTime<Utc>>,
    attempted_at: Option<DateTime<Utc>>,
    /// Why the latest fetch failed; `None` once one succeeds.
    failure: Option<PortError>,
}

impl KeySet {
    pub(super) fn new(
        http: reqwest::Client,
        url: Url,
        cooldown: Duration,
        max_age: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            url,
            cooldown,
            max_age,
            clock,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key named `kid`, fetching the set first when it is unknown or stale.
    ///
    /// # Errors
    /// `Unauthenticated` when a current key set does not have `kid`; `Upstream` (how the latest
    /// fetch failed) when the set cannot be fetched and what we have (if anything) cannot
    /// answer.
    pub(super) async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, AuthError> {
        if self.wants_fetch(kid, self.clock.now()) {
            let _fetching = self.fetching.lock().await;
            // Another task may have fetched while this one waited: decide again.
            let now = self.clock.now();
            if self.wants_fetch(kid, now) {
                self.fetch(now).await;
            }
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = state.keys.get(kid) {
            return Ok(Arc::clone(key));
        }
        match (&state.fetched_at, &state.failure) {
            // With no keys yet, or a key that the failed fetch may have brought (Hydra rotated),
            // the answer is how the fetch failed.
            (_, Some(failure)) => Err(failure.clone().into()),
            (None, None) => {
                Err(PortError::unavailable(HYDRA.0, "no JSON Web Key Set fetched yet").into())
            }
            (Some(_), None) => Err(AuthError::Unauthenticated(
                "token names a key that Hydra does not publish".to_owned(),
            )),
        }
    }

    fn wants_fetch(&self, kid: &str, now: DateTime<Utc>) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let cooled_down = state
            .attempted_at
            .is_none_or(|attempted| later(attempted, self.cooldown) <= now);
        let stale = state
            .fetched_at
            .is_none_or(|fetched| later(fetched, self.max_age) <= now);
        cooled_down && (stale || !state.keys.contains_key(kid))
    }

    #[tracing::instrument(name = "hydra.jwks", skip_all, fields(url = %self.url))]
    async fn fetch(&self, now: DateTime<Utc>) {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .attempted_at = Some(now);
        let fetched = self.download().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match fetched {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "fetched Hydra's JSON Web Key Set");
                state.keys = keys;
                state.fetched_at = Some(now);
                state.failure = None;
            }
            Err(error) => {
                tracing::warn!(%error, kept = state.keys.len(), "cannot fetch Hydra's JSON Web Key Set");
                state.failure = Some(error);
            }
        }
    }

    async fn download(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, PortError> {
        let response = HYDRA
            .send(
                self.http
                    .get(self.url.clone())
                    .header(reqwest::header::ACCEPT, "application/json"),
            )
            .await
            .map_err(|error| HYDRA.failed(error))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(HYDRA.status(status, response.headers(), self.clock.now()));
        }
        let set: JwkSet = response.json().await.map_err(|error| HYDRA.failed(error))?;
        // One odd key (an algorithm we don't take, a field we don't know) must not cost us
        // the others, so each is decoded on its own.
        Ok(set
            .keys
            .into_iter()
            .filter_map(|value| {
                let jwk = serde_json::from_value::<Jwk>(value).ok()?;
                let kid = jwk.kid.clone();
                match verifying_key(jwk) {
                    Some(key) => Some((kid, Arc::new(key))),
                    None => {
                        tracing::debug!(%kid, "skipping a key Tollgate does not verify with");
                        None
                    }
                }
            })
            .collect())
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    kty: String,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// The key and its one algorithm, or `None` for a key we never verify with.
fn verifying_key(jwk: Jwk) -> Option<VerifyingKey> {
    if jwk.usage.as_deref().is_some_and(|usage| usage != "sig") {
        return None;
    }
    let alg = jwk.alg.as_deref();
    let (algorithm, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) if alg.is_none_or(|alg| alg == "RS256") => (
            Algorithm::RS256,
            DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok()?,
        ),
        ("EC", Some("P-256")) if alg.is_none_or(|alg| alg == "ES256") => (
            Algorithm::ES256,
            DecodingKey::from_ec_components(jwk.x.as_deref()?, jwk.y.as_deref()?).ok()?,
        ),
        // RFC 9864 names the algorithm `Ed25519`; older sets say `EdDSA`.
        ("OKP", Some("Ed25519")) if alg.is_none_or(|alg| alg == "EdDSA" || alg == "Ed25519") => (
            Algorithm::EdDSA,
            DecodingKey::from_ed_components(jwk.x.as_deref()?).ok()?,
        ),
        _ => return None,
    };
    Some(VerifyingKey { algorithm, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(value: serde_json::Value) -> Option<VerifyingKey> {
        verifying_key(serde_json::from_value(value).ok()?)
    }

    #[test]
    fn pins_one_algorithm_per_key_type() {
        let rsa = jwk(serde_json::json!({"kid": "r", "kty": "RSA", "n": "AQAB", "e": "AQAB"}));
        assert_eq!(rsa.map(|key| key.algorithm), Some(Algorithm::RS256));
        let ed = jwk(serde_json::json!({"kid": "o", "kty": "OKP", "crv": "Ed25519", "x": "AQAB"}));
        assert_eq!(ed.map(|key| key.algorithm), Some(Algorithm::EdDSA));
    }

    #[test]
    fn skips_symmetric_foreign_and_encryption_keys() {
        for value in [
            serde_json::json!({"kid": "h", "kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}),
            serde_json::json!({"kid": "r", "kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB"}),
            serde_json::json!({"kid": "r", "kty": "RSA", "alg": "RS512", "n": "AQAB", "e": "AQAB"}),
            serde_json::json!({"kid": "r", "kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}),
            serde_json::json!({"kid": "e", "kty": "EC", "crv": "P-384", "x": "AQAB", "y": "AQAB"}),
        ] {
            assert!(jwk(value).is_none());
        }
    }
}

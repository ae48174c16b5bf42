//! Lago's webhook public key: `GET {url}/api/v1/webhooks/json_public_key` (with the API key)
//! answers `{"webhook":{"public_key":"…"}}`, the value being Base64 of the PEM text as Ruby's
//! `Base64.encode64` writes it (line breaks included).
//!
//! Fetched on first use and kept. It is fetched again only when a signature fails to verify
//! with it (Lago rotated its key), and then at most once per cooldown, whatever the webhooks
//! say: a flood of forged signatures costs Lago one request per cooldown, not one each. A
//! failed fetch keeps the key we have.

use std::{
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::DecodingKey;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tollgate_application::ports::{Clock, SignatureError};
use url::Url;

use crate::{openmeter::outbound, upstream::Upstream};

const SERVICE: &str = "lago";

/// One version of Lago's key: its PEM text tells two versions apart.
pub(super) struct PublicKey {
    pub(super) pem: Vec<u8>,
    pub(super) key: DecodingKey,
}

pub(super) struct PublicKeyCache {
    http: reqwest::Client,
    url: Url,
    api_key: SecretString,
    cooldown: Duration,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    /// Held while fetching, so concurrent webhooks wait for one fetch instead of each making one.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    key: Option<Arc<PublicKey>>,
    attempted_at: Option<DateTime<Utc>>,
    /// Why the latest fetch failed; `None` once one succeeds.
    failure: Option<String>,
}

impl PublicKeyCache {
    pub(super) fn new(
        http: reqwest::Client,
        url: Url,
        api_key: SecretString,
        cooldown: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            url,
            api_key,
            cooldown,
            clock,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key, fetched first if we have none.
    ///
    /// # Errors
    /// `Unavailable` when we have none and it cannot be fetched.
    pub(super) async fn current(&self) -> Result<Arc<PublicKey>, SignatureError> {
        if let Some(key) = self.cached() {
            return Ok(key);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(key) = self.cached() {
            return Ok(key);
        }
        let now = self.clock.now();
        if self.cooled_down(now) {
            self.fetch(now).await;
        }
        self.cached().ok_or_else(|| SignatureError::Unavailable {
            service: SERVICE,
            reason: format!(
                "no webhook public key yet: {}",
                self.failure().as_deref().unwrap_or("fetched too recently")
            ),
        })
    }

    /// A newer key than `stale`, which failed to verify a signature: fetched when the cooldown
    /// allows. `None` when there is no newer one (the signature is simply wrong).
    ///
    /// # Errors
    /// `Unavailable` when the fetch this call made failed: the key may have rotated.
    pub(super) async fn newer_than(
        &self,
        stale: &PublicKey,
    ) -> Result<Option<Arc<PublicKey>>, SignatureError> {
        let _fetching = self.fetching.lock().await;
        let newer = |key: Option<Arc<PublicKey>>| key.filter(|key| key.pem != stale.pem);
        // Another webhook may have brought the new key while this one waited.
        if let Some(key) = newer(self.cached()) {
            return Ok(Some(key));
        }
        let now = self.clock.now();
        if !self.cooled_down(now) {
            return Ok(None);
        }
        self.fetch(now).await;
        if let Some(reason) = self.failure() {
            return Err(SignatureError::Unavailable {
                service: SERVICE,
                reason: format!("cannot refresh the webhook public key: {reason}"),
            });
        }
        Ok(newer(self.cached()))
    }

    fn cached(&self) -> Option<Arc<PublicKey>> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.key.clone()
    }

    fn failure(&self) -> Option<String> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.failure.clone()
    }

    fn cooled_down(&self, now: DateTime<Utc>) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let cooldown = TimeDelta::from_std(self.cooldown).unwrap_or(TimeDelta::MAX);
        state.attempted_at.is_none_or(|attempted| {
            attempted
                .checked_add_signed(cooldown)
                .is_none_or(|next| next <= now)
        })
    }

    #[tracing::instrument(name = "lago.webhook_public_key", skip_all)]
    async fn fetch(&self, now: DateTime<Utc>) {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .attempted_at = Some(now);
        let fetched = self.download().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match fetched {
            Ok(key) => {
                tracing::info!("fetched Lago's webhook public key");
                state.key = Some(Arc::new(key));
                state.failure = None;
            }
            Err(reason) => {
                tracing::warn!(%reason, kept = state.key.is_some(), "cannot fetch Lago's webhook public key");
                state.failure = Some(reason);
            }
        }
    }

    async fn download(&self) -> Result<PublicKey, String> {
        let response = Upstream(SERVICE)
            .send(
                self.http
                    .get(self.url.clone())
                    .bearer_auth(self.api_key.expose_secret())
                    .header(reqwest::header::ACCEPT, "application/json"),
            )
            .await
            .map_err(outbound::describe)?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!("answered HTTP {status}"));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| format!("unreadable answer: {}", e.without_url()))?;
        decode_public_key(&answer.webhook.public_key)
    }
}

#[derive(Deserialize)]
struct Answer {
    webhook: Webhook,
}

#[derive(Deserialize)]
struct Webhook {
    public_key: String,
}

/// Base64 (with Ruby's line breaks) of a PEM RSA public key, as a verifying key.
pub(super) fn decode_public_key(encoded: &str) -> Result<PublicKey, String> {
    let compact: String = encoded.split_whitespace().collect();
    let pem = STANDARD
        .decode(compact)
        .map_err(|e| format!("the public key is not Base64: {e}"))?;
    let key = DecodingKey::from_rsa_pem(&pem)
        .map_err(|e| format!("the public key is not an RSA PEM key: {e}"))?;
    Ok(PublicKey { pem, key })
}

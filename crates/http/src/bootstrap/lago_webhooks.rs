//! `POST /v1/webhooks/lago`: on only when Lago is configured (`lago.url`), and then each
//! accepted algorithm must have what it needs to verify, checked at startup rather than
//! refusing every webhook later.

use std::{sync::Arc, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use tollgate_adapters::{
    lago::webhook::{LagoJwtConfig, LagoJwtVerifier, LagoWebhookVerifier},
    postgres::{PgEngineViewStore, PgPool},
};
use tollgate_application::{
    ports::{SignatureAlgorithm, SystemClock},
    services::billing::engine_webhooks::{LagoWebhookService, SignaturePolicy},
};
use tollgate_domain::organization::OrganizationId;

use super::StartupError;
use crate::settings::{LagoWebhookSignature, Settings};

/// The webhook service, or `None` while Lago is not configured (the route then answers 404).
///
/// # Errors
/// `Invalid` when an accepted algorithm lacks its key, or Lago's URL is not usable.
pub(super) fn wire(
    settings: &Settings,
    pool: &PgPool,
    organization: OrganizationId,
) -> Result<Option<Arc<LagoWebhookService>>, StartupError> {
    let lago = &settings.lago;
    if !lago.is_enabled() {
        return Ok(None);
    }
    let policy = match lago.webhook_signature {
        LagoWebhookSignature::Jwt => SignaturePolicy::Jwt,
        LagoWebhookSignature::Hmac => SignaturePolicy::Hmac,
        LagoWebhookSignature::Either => SignaturePolicy::Either,
    };
    let hmac_key = if policy.allows(SignatureAlgorithm::Hmac) {
        Some(present(&lago.webhook_hmac_key).ok_or_else(|| {
            StartupError::Invalid(
                "lago.webhook_hmac_key is required when lago.webhook_signature accepts hmac"
                    .to_owned(),
            )
        })?)
    } else {
        None
    };
    let jwt = if policy.allows(SignatureAlgorithm::Jwt) {
        let api_key = present(&lago.api_key).ok_or_else(|| {
            StartupError::Invalid(
                "lago.api_key is required to fetch Lago's webhook public key \
                 (lago.webhook_signature accepts jwt)"
                    .to_owned(),
            )
        })?;
        let url = url::Url::parse(lago.url.trim())
            .map_err(|e| StartupError::Invalid(format!("lago.url: {e}")))?;
        let issuer = if lago.webhook_issuer.trim().is_empty() {
            lago.url.trim()
        } else {
            lago.webhook_issuer.trim()
        };
        let mut config = LagoJwtConfig::new(url, api_key, issuer);
        config.key_refetch_cooldown = Duration::from_secs(lago.webhook_key_refetch_secs);
        Some(LagoJwtVerifier::new(config).map_err(|e| StartupError::Invalid(e.to_string()))?)
    } else {
        None
    };
    Ok(Some(Arc::new(LagoWebhookService::new(
        Arc::new(LagoWebhookVerifier::new(hmac_key, jwt)),
        Arc::new(PgEngineViewStore::new(pool.clone())),
        organization,
        policy,
        Arc::new(SystemClock),
    ))))
}

/// A configured secret that is not blank.
fn present(secret: &Option<SecretString>) -> Option<SecretString> {
    secret
        .as_ref()
        .filter(|secret| !secret.expose_secret().trim().is_empty())
        .cloned()
}

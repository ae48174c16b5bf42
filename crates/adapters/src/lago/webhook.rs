//! Lago's webhooks in: their signatures ([`LagoWebhookVerifier`], HMAC or RS256 JWT) and their
//! JSON ([`decode_webhook`]) read into the domain's [`EngineEvent`](tollgate_domain::billing::engine_event::EngineEvent).
//!
//! Lago signs each webhook with the algorithm chosen for its endpoint
//! (`X-Lago-Signature-Algorithm`):
//!
//! - `hmac`: `Base64(HMAC-SHA256(organization's HMAC key, raw body))`, standard padded Base64,
//!   compared in constant time.
//! - `jwt` (Lago's default): an RS256 JWT `{"data": "<raw body>", "iss": "<LAGO_API_URL>"}`
//!   signed with Lago's private key; the public key comes from
//!   `GET /api/v1/webhooks/json_public_key` (see `public_key`).

mod hmac;
mod jwt;
mod payload;
mod public_key;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use secrecy::SecretString;
use tollgate_application::ports::{SignatureAlgorithm, SignatureError, WebhookSignatureVerifier};

pub use self::{
    hmac::HmacSignature,
    jwt::{LagoJwtConfig, LagoJwtVerifier},
    payload::{WebhookDecodeError, decode_webhook},
};

/// Checks a webhook's signature with whichever algorithm it names, if configured.
pub struct LagoWebhookVerifier {
    hmac: Option<HmacSignature>,
    jwt: Option<LagoJwtVerifier>,
}

impl LagoWebhookVerifier {
    /// `hmac_key` for `hmac` webhooks, `jwt` for `jwt` ones; an algorithm without its
    /// configuration is refused.
    pub fn new(hmac_key: Option<SecretString>, jwt: Option<LagoJwtVerifier>) -> Self {
        Self {
            hmac: hmac_key.map(HmacSignature::new),
            jwt,
        }
    }
}

#[async_trait]
impl WebhookSignatureVerifier for LagoWebhookVerifier {
    async fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        signature: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        match (algorithm, &self.hmac, &self.jwt) {
            (SignatureAlgorithm::Hmac, Some(hmac), _) => hmac.verify(signature, body),
            (SignatureAlgorithm::Jwt, _, Some(jwt)) => jwt.verify(signature, body).await,
            (algorithm, _, _) => Err(SignatureError::Invalid(format!(
                "{} signatures are not configured",
                algorithm.as_str()
            ))),
        }
    }
}

//! `Stripe-Signature` on the events Stripe sends: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
//! each `v1` the hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint secret's text
//! (`whsec_…`, prefix included, unlike Standard Webhooks).

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use thiserror::Error;

use super::hmac_sha256;

/// How old a signature may be, as Stripe's own libraries allow.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StripeSignatureError {
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the Stripe-Signature header carries no v1 signature")]
    NoV1,
    #[error("the signature's timestamp {timestamp} is more than {TOLERANCE_SECS} s old")]
    OutsideTolerance { timestamp: i64 },
    #[error("no v1 signature matches the body under any configured secret")]
    NoMatch,
}

/// Checks `Stripe-Signature` under every configured secret: while a secret is rolled, Stripe
/// signs with both (one `v1` each) and Tollgate may hold both, so either may match.
pub struct StripeSignatureVerifier {
    secrets: Vec<SecretString>,
}

impl StripeSignatureVerifier {
    /// With no secret configured every event is refused (`NoMatch`), never accepted.
    pub fn new(secrets: impl IntoIterator<Item = SecretString>) -> Self {
        Self {
            secrets: secrets.into_iter().collect(),
        }
    }

    /// Accepts when any `v1` of `header` is the HMAC of exactly `body` (the bytes received,
    /// never re-serialised JSON) under any secret, and its timestamp is at most
    /// [`TOLERANCE_SECS`] before `now`.
    ///
    /// Only staleness is refused, as Stripe's libraries do: a timestamp ahead of `now` is a
    /// clock skew, and a replay cannot be made ahead of time without the secret.
    ///
    /// # Errors
    /// `Malformed` without a readable `t`, `NoV1` without a `v1`, `NoMatch` when no `v1`
    /// matches, `OutsideTolerance` for a matching but stale signature.
    pub fn verify(
        &self,
        header: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StripeSignatureError> {
        let parsed = SignatureHeader::parse(header)?;
        let presented: Vec<Vec<u8>> = parsed
            .v1
            .iter()
            // A `v1` that is not hex cannot match; it is no reason to ignore the others.
            .filter_map(|hex| hex::decode(hex).ok())
            .collect();
        let matches = self.secrets.iter().any(|secret| {
            let expected = signature(secret, parsed.timestamp, body);
            presented
                .iter()
                .any(|candidate| bool::from(candidate.as_slice().ct_eq(&expected)))
        });
        if !matches {
            return Err(StripeSignatureError::NoMatch);
        }
        if parsed.timestamp < now.timestamp().saturating_sub(TOLERANCE_SECS) {
            return Err(StripeSignatureError::OutsideTolerance {
                timestamp: parsed.timestamp,
            });
        }
        Ok(())
    }
}

/// A `Stripe-Signature` header for `body` at `timestamp`, one `v1` per secret (two while a
/// secret is rolled, as Stripe sends them): for tests and the local Stripe stand-in.
pub fn sign(secrets: &[&SecretString], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hex::encode(signature(secret, timestamp, body)));
    }
    header
}

fn signature(secret: &SecretString, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let timestamp = timestamp.to_string();
    hmac_sha256(
        secret.expose_secret().as_bytes(),
        &[timestamp.as_bytes(), b".", body],
    )
}

/// The parts of `Stripe-Signature` that count: `t` and every `v1`. `v0` (a legacy test-mode
/// scheme) and unknown keys are skipped, so Stripe may add schemes without breaking us.
#[derive(Debug, PartialEq, Eq)]
struct SignatureHeader<'a> {
    timestamp: i64,
    v1: Vec<&'a str>,
}

impl<'a> SignatureHeader<'a> {
    fn parse(header: &'a str) -> Result<Self, StripeSignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for (key, value) in header
            .split(',')
            .filter_map(|item| item.trim().split_once('='))
        {
            match key {
                "t" if timestamp.is_some() => {
                    // Two timestamps leave it open which one was signed.
                    return Err(StripeSignatureError::Malformed("`t` is given twice"));
                }
                "t" => timestamp = Some(value),
                "v1" => v1.push(value),
                _ => {}
            }
        }
        let text = timestamp.ok_or(StripeSignatureError::Malformed("no `t` timestamp"))?;
        let not_seconds = StripeSignatureError::Malformed("`t` is not whole Unix seconds");
        // Digits only: `parse` would also take a sign.
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_seconds);
        }
        let timestamp = text.parse::<i64>().map_err(|_| not_seconds)?;
        if v1.is_empty() {
            return Err(StripeSignatureError::NoV1);
        }
        Ok(Self { timestamp, v1 })
    }
}

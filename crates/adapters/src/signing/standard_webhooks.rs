//! Standard Webhooks (standardwebhooks.com), how Tollgate signs what it sends operators:
//! headers `webhook-id`, `webhook-timestamp` and `webhook-signature`, the last a
//! space-separated list of `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed
//! with the secret's decoded bytes.

mod secret;
#[cfg(test)]
mod tests;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;
use thiserror::Error;

pub use secret::{EndpointSecret, SecretError};

use super::hmac_sha256;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a timestamp may be from the receiver's clock, either way, as in the reference
/// libraries (a receiver checks both directions, so Tollgate signs with its current time).
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StandardWebhookError {
    #[error("no signing secret: a message must be signed with at least one")]
    NoSecret,
    #[error("the message id must be non-empty and without `.`, which separates the signed parts")]
    InvalidMessageId,
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    #[error("`webhook-timestamp` is not whole Unix seconds")]
    InvalidTimestamp,
    #[error("the timestamp {timestamp} is more than {TOLERANCE_SECS} s from now")]
    OutsideTolerance { timestamp: i64 },
    #[error("`webhook-signature` carries no v1 signature")]
    NoV1,
    #[error("no v1 signature matches the message under any configured secret")]
    NoMatch,
}

/// The three headers of one signed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

impl SignedHeaders {
    /// Header names and values, for an HTTP client.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, self.id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

/// Signs a message under each given secret: during a rotation, the old and the new one, so
/// an operator holding either accepts it. A retry keeps its message id (the receiver's
/// idempotency key) and is signed again with the time of the attempt.
///
/// # Errors
/// `NoSecret` for an empty list, `InvalidMessageId` for an empty id or one with a `.`.
pub fn sign(
    secrets: &[&EndpointSecret],
    message_id: &str,
    at: DateTime<Utc>,
    body: &[u8],
) -> Result<SignedHeaders, StandardWebhookError> {
    if secrets.is_empty() {
        return Err(StandardWebhookError::NoSecret);
    }
    if message_id.is_empty() || message_id.contains('.') {
        return Err(StandardWebhookError::InvalidMessageId);
    }
    let timestamp = at.timestamp();
    let signature = secrets
        .iter()
        .map(|secret| {
            format!(
                "v1,{}",
                STANDARD.encode(mac(secret, message_id, timestamp, body))
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SignedHeaders {
        id: message_id.to_owned(),
        timestamp,
        signature,
    })
}

/// Checks a delivery as an operator would: for Tollgate's own stand-in receivers and for
/// tests. `header` gives a header's value by its (lower-case) name.
///
/// # Errors
/// `MissingHeader`, `InvalidTimestamp`, `NoV1`, `NoMatch` when no v1 entry matches under any
/// secret, `OutsideTolerance` when one matches but the timestamp is more than
/// [`TOLERANCE_SECS`] from `now`.
pub fn verify<'a>(
    secrets: &[&EndpointSecret],
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), StandardWebhookError> {
    let required =
        |name: &'static str| header(name).ok_or(StandardWebhookError::MissingHeader(name));
    let id = required(HEADER_ID)?;
    let timestamp_text = required(HEADER_TIMESTAMP)?;
    let signatures = required(HEADER_SIGNATURE)?;
    if timestamp_text.is_empty() || !timestamp_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StandardWebhookError::InvalidTimestamp);
    }
    let timestamp = timestamp_text
        .parse::<i64>()
        .map_err(|_| StandardWebhookError::InvalidTimestamp)?;
    let presented: Vec<&str> = signatures
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        // Other versions (`v1a`, `v2`) are for other schemes; skipping them lets a sender add
        // one without breaking this receiver.
        .filter(|(version, _)| *version == "v1")
        .map(|(_, signature)| signature)
        .collect();
    if presented.is_empty() {
        return Err(StandardWebhookError::NoV1);
    }
    let presented: Vec<Vec<u8>> = presented
        .into_iter()
        .filter_map(|signature| STANDARD.decode(signature).ok())
        .collect();
    let matches = secrets.iter().any(|secret| {
        let expected = mac(secret, id, timestamp, body);
        presented
            .iter()
            .any(|candidate| bool::from(candidate.as_slice().ct_eq(&expected)))
    });
    if !matches {
        return Err(StandardWebhookError::NoMatch);
    }
    if now.timestamp().abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(StandardWebhookError::OutsideTolerance { timestamp });
    }
    Ok(())
}

fn mac(secret: &EndpointSecret, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let timestamp = timestamp.to_string();
    hmac_sha256(
        secret.key(),
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    )
}

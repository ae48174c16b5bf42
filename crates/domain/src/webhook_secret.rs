//! Shared secrets that authenticate inbound webhooks (LiteLLM has no signatures, only a static
//! bearer token or a secret in the URL).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How many leading characters of a secret are shown once it is created (`whsec_` and six
/// more): enough to tell secrets apart, too few to use one.
pub const DISPLAY_PREFIX_CHARS: usize = 12;

/// What lists show of a secret; the same for every secret, however it was made.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(DISPLAY_PREFIX_CHARS).collect()
}

/// The label of the secret that replaces `label`'s in a rotation: its own, so the two rows
/// can be told apart while both work.
pub fn rotated_label(label: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let base = label.split(" (rotated ").next().unwrap_or(label);
    format!("{base} (rotated {})", at.format("%Y-%m-%d %H:%M UTC"))
}

/// The SHA-256 of a webhook secret. Only digests are kept and compared, so the secrets
/// themselves never sit in the database or in memory longer than a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares in constant time, so response timing tells an attacker nothing about how much
    /// of a guess was right.
    pub fn matches(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_only_the_same_secret() {
        let digest = SecretDigest::of("whsec-demo");
        assert!(digest.matches(&SecretDigest::of("whsec-demo")));
        assert!(!digest.matches(&SecretDigest::of("whsec-demo ")));
        assert_eq!(format!("{digest:?}"), "SecretDigest(..)");
    }

    #[test]
    fn a_rotated_secret_is_labelled_apart_and_shown_by_the_same_prefix() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 7, 30, 0).unwrap();
        assert_eq!(
            rotated_label("prod", at),
            "prod (rotated 2026-12-06 07:30 UTC)"
        );
        // Rotating a rotated secret does not stack the suffixes.
        let again = rotated_label("prod (rotated 2026-12-06 07:30 UTC)", at);
        assert_eq!(again, "prod (rotated 2026-12-06 07:30 UTC)");
        assert_eq!(display_prefix("whsec_0123456789abcdef"), "whsec_012345");
        assert_eq!(display_prefix("short"), "short");
    }
}

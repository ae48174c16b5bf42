//! Shared secrets that authenticate inbound webhooks (LiteLLM has no signatures, only a static
//! bearer token or a secret in the URL).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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
}

//! Tollgate API keys for machines: `tg_live_` and 32 random bytes, shown once, kept as a hash.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::webhook_secret::SecretDigest;

pub const API_KEY_PREFIX: &str = "tg_live_";

/// A freshly made key. Its text is shown to its creator once and never stored.
pub struct NewApiKeySecret(String);

impl NewApiKeySecret {
    /// Builds the key text from 32 bytes the caller drew from a secure random source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> SecretDigest {
        SecretDigest::of(&self.0)
    }

    /// What lists may show to tell keys apart: the prefix and four characters.
    pub fn display_prefix(&self) -> String {
        self.0.chars().take(API_KEY_PREFIX.len() + 4).collect()
    }
}

/// Whether a bearer token is shaped like a Tollgate API key (and so is looked up, not verified
/// as a JWT).
pub fn looks_like_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_prefix_and_43_characters_of_randomness() {
        let key = NewApiKeySecret::from_random_bytes([7; 32]);
        assert!(looks_like_api_key(key.expose()));
        assert_eq!(key.expose().len(), API_KEY_PREFIX.len() + 43);
        assert_eq!(key.display_prefix().len(), API_KEY_PREFIX.len() + 4);
        assert!(key.digest().matches(&SecretDigest::of(key.expose())));
        assert!(!looks_like_api_key("eyJhbGciOi..."));
    }
}

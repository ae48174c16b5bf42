//! What makes an API request repeatable: the client's `Idempotency-Key`, and the fingerprint
//! that tells a retry of a request (the same method, path and body) from another request
//! reusing its key.

use sha2::{Digest, Sha256};

use crate::DomainError;

/// An `Idempotency-Key` header's value: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey(String);

impl RequestKey {
    pub const MAX_LEN: usize = 255;

    /// # Errors
    /// `DomainError::Invalid` for an empty or longer key, or one with a character outside
    /// printable ASCII (space to `~`). The key is not quoted back: it may be anything.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = |reason: &str| DomainError::Invalid {
            field: "Idempotency-Key",
            reason: reason.to_owned(),
        };
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(invalid("must be 1 to 255 characters long"));
        }
        if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(invalid("must be printable ASCII (space to `~`)"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a request's method, path (with its query) and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        // Each part with its length first: moving a byte from the path to the body is
        // another request, with another fingerprint.
        for part in [method.as_bytes(), path.as_bytes(), body] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Self(hasher.finalize().into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_printable_ascii_characters() {
        for good in ["a", "order-42 retry#1", &"k".repeat(255), "~ !"] {
            assert_eq!(RequestKey::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", &"k".repeat(256), "tab\there", "é", "nul\0", "del\u{7f}"] {
            let error = RequestKey::parse(bad).unwrap_err();
            assert!(
                !error.to_string().contains(bad) || bad.is_empty(),
                "{error}"
            );
        }
    }

    #[test]
    fn a_fingerprint_changes_with_the_method_the_path_or_the_body() {
        let base = RequestFingerprint::of("POST", "/api/x", b"{}");
        assert_eq!(base, RequestFingerprint::of("POST", "/api/x", b"{}"));
        for other in [
            RequestFingerprint::of("PUT", "/api/x", b"{}"),
            RequestFingerprint::of("POST", "/api/y", b"{}"),
            RequestFingerprint::of("POST", "/api/x", b"{ }"),
            RequestFingerprint::of("POST", "/api/x{", b"}"),
        ] {
            assert_ne!(base, other);
        }
    }
}

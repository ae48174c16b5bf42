//! Endpoint signing secrets sealed at rest: AES-256-GCM under a random 32-byte key kept once
//! per installation (`installation_secrets`, `webhook_endpoint_key`), with the endpoint's id
//! as associated data so a sealed secret copied onto another endpoint does not open.
//!
//! Layout: one version byte (1), the 12-byte nonce, then the ciphertext with its tag. The
//! privacy issue moves the key under a KeyProvider (an external KMS); the version byte is
//! what lets rows sealed now be told apart from rows sealed then.

use aes_gcm::{
    Aes256Gcm, Key, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use rand::RngCore;
use uuid::Uuid;

/// The `installation_secrets` row of the key.
pub const KEY_NAME: &str = "webhook_endpoint_key";

const VERSION: u8 = 1;
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the installation's webhook key must be 32 bytes")]
    KeyLength,
    #[error("a sealed webhook secret cannot be opened (wrong key, endpoint or layout)")]
    Unreadable,
}

pub struct SecretSealer {
    cipher: Aes256Gcm,
}

impl SecretSealer {
    /// # Errors
    /// `SealError::KeyLength` unless `key` is 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self, SealError> {
        if key.len() != 32 {
            return Err(SealError::KeyLength);
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        })
    }

    /// # Errors
    /// `SealError::Unreadable` if the cipher refuses (it does not for these sizes).
    pub fn seal(&self, endpoint: Uuid, secret: &str) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0_u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: endpoint.as_bytes(),
                },
            )
            .map_err(|_| SealError::Unreadable)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// # Errors
    /// `SealError::Unreadable` for another version, key or endpoint, or altered bytes.
    pub fn open(&self, endpoint: Uuid, sealed: &[u8]) -> Result<String, SealError> {
        let Some((&VERSION, rest)) = sealed.split_first() else {
            return Err(SealError::Unreadable);
        };
        if rest.len() < NONCE_BYTES {
            return Err(SealError::Unreadable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: endpoint.as_bytes(),
                },
            )
            .map_err(|_| SealError::Unreadable)?;
        String::from_utf8(plain).map_err(|_| SealError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_endpoint_and_key() {
        let sealer = SecretSealer::new(&[7; 32]).unwrap();
        let endpoint = Uuid::now_v7();
        let sealed = sealer.seal(endpoint, "whsec_abc").unwrap();
        assert_eq!(sealed[0], VERSION);
        assert!(!sealed.windows(9).any(|w| w == b"whsec_abc"));
        assert_eq!(sealer.open(endpoint, &sealed).unwrap(), "whsec_abc");
        assert_eq!(
            sealer.open(Uuid::now_v7(), &sealed),
            Err(SealError::Unreadable)
        );
        let other = SecretSealer::new(&[8; 32]).unwrap();
        assert_eq!(other.open(endpoint, &sealed), Err(SealError::Unreadable));
        let mut altered = sealed.clone();
        altered[0] = 2;
        assert_eq!(sealer.open(endpoint, &altered), Err(SealError::Unreadable));
        assert_eq!(
            SecretSealer::new(&[0; 16]).err(),
            Some(SealError::KeyLength)
        );
    }
}

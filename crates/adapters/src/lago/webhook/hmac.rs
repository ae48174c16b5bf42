//! `X-Lago-Signature` for `hmac` endpoints: standard padded Base64 of
//! HMAC-SHA256(key = the organization's webhook HMAC key, message = the raw body).

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tollgate_application::ports::SignatureError;

pub struct HmacSignature {
    key: SecretString,
}

impl HmacSignature {
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    /// # Errors
    /// `Invalid` unless `signature` is the Base64 HMAC of exactly `body`.
    pub fn verify(&self, signature: &str, body: &[u8]) -> Result<(), SignatureError> {
        let presented = STANDARD
            .decode(signature.trim())
            .map_err(|_| SignatureError::Invalid("the HMAC signature is not Base64".into()))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .map_err(|_| SignatureError::Invalid("unusable HMAC key".into()))?;
        mac.update(body);
        // `verify_slice` compares in constant time (and refuses a truncated tag).
        mac.verify_slice(&presented)
            .map_err(|_| SignatureError::Invalid("the HMAC signature does not match".into()))
    }
}

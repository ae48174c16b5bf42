//! An endpoint's signing secret: random bytes, shown once as `whsec_<base64>`.

use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use thiserror::Error;

const PREFIX: &str = "whsec_";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    #[error("a signing secret starts with `whsec_`")]
    NoPrefix,
    #[error("a signing secret is `whsec_` and standard base64")]
    NotBase64,
    #[error(
        "a signing secret holds {} to {} bytes, this one {len}",
        EndpointSecret::MIN_BYTES,
        EndpointSecret::MAX_BYTES
    )]
    WrongLength { len: usize },
}

/// The key operators verify Tollgate's webhooks with. Kept in a [`SecretBox`], so it is
/// wiped when dropped and never printed by `Debug`.
pub struct EndpointSecret {
    key: SecretBox<[u8]>,
}

impl EndpointSecret {
    /// What Tollgate generates: 256 bits, as much as HMAC-SHA256 can use.
    pub const GENERATED_BYTES: usize = 32;
    /// The spec's range: secrets made elsewhere (the reference libraries' 24-byte ones) are
    /// accepted, shorter ones are too weak and longer ones gain nothing.
    pub const MIN_BYTES: usize = 24;
    pub const MAX_BYTES: usize = 64;

    pub fn generate() -> Self {
        let mut key = vec![0_u8; Self::GENERATED_BYTES];
        rand::rng().fill_bytes(&mut key);
        Self {
            key: SecretBox::new(key.into_boxed_slice()),
        }
    }

    /// # Errors
    /// `NoPrefix`, `NotBase64`, or `WrongLength` outside 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(SecretError::NoPrefix)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::NotBase64)?;
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&key.len()) {
            return Err(SecretError::WrongLength { len: key.len() });
        }
        Ok(Self {
            key: SecretBox::new(key.into_boxed_slice()),
        })
    }

    /// `whsec_<base64>`, to show the operator once and to store encrypted.
    pub fn reveal(&self) -> SecretString {
        SecretString::from(format!("{PREFIX}{}", STANDARD.encode(self.key())))
    }

    pub(super) fn key(&self) -> &[u8] {
        self.key.expose_secret()
    }
}

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndpointSecret(..)")
    }
}

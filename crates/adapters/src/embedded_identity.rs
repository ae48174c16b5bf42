//! The embedded identity: a local token issuer used when Ory is not configured.
//!
//! It keeps one Ed25519 signing key pair on disk (made once, readable by its owner only),
//! mints EdDSA access tokens (`tollgate dev-token`), serves the public key as a JWKS and
//! verifies its own tokens behind the same [`AccessTokenVerifier`] port as Hydra's. It is a
//! development convenience, not an identity provider: it refuses to serve on a non-loopback
//! address unless forced ([`ensure_loopback`]).
//!
//! [`AccessTokenVerifier`]: tollgate_application::ports::AccessTokenVerifier

mod bind;
mod error;
mod issuer;
mod key_file;

pub use bind::ensure_loopback;
pub use error::EmbeddedIdentityError;
pub use issuer::{EmbeddedClaims, EmbeddedIssuer, LEEWAY_SECONDS};
pub use key_file::KEY_FILE_NAME;

#[cfg(test)]
mod tests;

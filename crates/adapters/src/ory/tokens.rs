//! One [`AccessTokenVerifier`] for both kinds of Hydra access token, chosen by the token's
//! shape: three dot-separated segments is a JWT, verified locally; anything else is opaque and
//! introspected. Other Ory credentials (`ory_rt_` refresh tokens, `ory_st_` session tokens...)
//! are refused here without asking anyone.

use std::sync::Arc;

use async_trait::async_trait;
use tollgate_application::ports::{AccessTokenVerifier, AuthError, VerifiedToken};

/// No real access token comes near this; a longer one is refused before any work is done.
const MAX_TOKEN_LENGTH: usize = 8 * 1024;

/// Routes each token to the JWT verifier or to introspection; a kind with no verifier is
/// refused. Typically built as
/// `OryAccessTokens::new().with_jwt(Arc::new(jwt)).with_introspection(Arc::new(introspection))`.
#[derive(Default, Clone)]
pub struct OryAccessTokens {
    jwt: Option<Arc<dyn AccessTokenVerifier>>,
    introspection: Option<Arc<dyn AccessTokenVerifier>>,
}

impl OryAccessTokens {
    /// A router that accepts nothing until verifiers are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies JWT-shaped tokens (usually a [`HydraJwtVerifier`](super::HydraJwtVerifier)).
    #[must_use]
    pub fn with_jwt(mut self, verifier: Arc<dyn AccessTokenVerifier>) -> Self {
        self.jwt = Some(verifier);
        self
    }

    /// Verifies opaque tokens (usually a [`HydraIntrospection`](super::HydraIntrospection)).
    #[must_use]
    pub fn with_introspection(mut self, verifier: Arc<dyn AccessTokenVerifier>) -> Self {
        self.introspection = Some(verifier);
        self
    }
}

#[async_trait]
impl AccessTokenVerifier for OryAccessTokens {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let refuse = |why: &str| Err(AuthError::Unauthenticated(why.to_owned()));
        if token.is_empty() || token.len() > MAX_TOKEN_LENGTH {
            return refuse("no usable access token");
        }
        if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return refuse("malformed access token");
        }
        if token.split('.').count() == 3 {
            return match &self.jwt {
                Some(jwt) => jwt.verify(token).await,
                None => refuse("JWT access tokens are not accepted"),
            };
        }
        if token.starts_with("ory_") && !token.starts_with("ory_at_") {
            return refuse("not an access token");
        }
        match &self.introspection {
            Some(introspection) => introspection.verify(token).await,
            None => refuse("opaque access tokens are not accepted"),
        }
    }
}

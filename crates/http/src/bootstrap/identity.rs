//! Choosing who answers "who is calling" and "may they": Ory when configured, the embedded
//! issuer and memberships otherwise.

use std::{sync::Arc, time::Duration};

use tollgate_adapters::{
    embedded_identity::{EmbeddedIssuer, ensure_loopback},
    ory::{
        HydraIntrospection, HydraIntrospectionConfig, HydraJwtConfig, HydraJwtVerifier, KetoConfig,
        KetoPermissions, KratosConfig, KratosSessions, OryAccessTokens,
    },
    postgres::{PgApiKeyStore, PgMemberships, PgOrganizations, PgPool},
};
use tollgate_application::{
    ports::{AccessTokenVerifier, PermissionChecker, SessionResolver, SystemClock},
    services::access::AccessService,
};

use super::StartupError;
use crate::settings::{Settings, optional_url};

pub(super) struct Identity {
    pub access: AccessService,
    pub embedded_issuer: Option<Arc<EmbeddedIssuer>>,
}

fn invalid(error: impl std::fmt::Display) -> StartupError {
    StartupError::Invalid(error.to_string())
}

/// The embedded issuer's key lives in `data_dir`; `dev-token` and `serve` share it.
pub fn embedded_issuer(settings: &Settings) -> Result<EmbeddedIssuer, StartupError> {
    EmbeddedIssuer::load_or_create(
        &settings.data_dir,
        settings.identity.issuer.clone(),
        settings.ory.audience.clone(),
    )
    .map_err(invalid)
}

pub(super) fn wire(settings: &Settings, pool: &PgPool) -> Result<Identity, StartupError> {
    let ory = &settings.ory;
    let jwks_url = optional_url(&ory.hydra_jwks_url).map_err(invalid)?;
    let admin_url = optional_url(&ory.hydra_admin_url).map_err(invalid)?;
    let mut embedded_issuer = None;
    let tokens: Arc<dyn AccessTokenVerifier> = if jwks_url.is_none() && admin_url.is_none() {
        ensure_loopback(settings.server.bind, settings.identity.allow_non_loopback)
            .map_err(invalid)?;
        let issuer = Arc::new(embedded_issuer_for(settings)?);
        embedded_issuer = Some(Arc::clone(&issuer));
        issuer
    } else {
        let mut tokens = OryAccessTokens::new();
        if let Some(jwks_url) = jwks_url {
            let config =
                HydraJwtConfig::new(ory.hydra_issuer.clone(), jwks_url, ory.audience.clone());
            tokens = tokens.with_jwt(Arc::new(HydraJwtVerifier::new(config).map_err(invalid)?));
        }
        if let Some(admin_url) = admin_url {
            let mut config = HydraIntrospectionConfig::new(admin_url);
            config.audience = Some(ory.audience.clone());
            if !ory.hydra_issuer.is_empty() {
                config.issuer = Some(ory.hydra_issuer.clone());
            }
            tokens = tokens
                .with_introspection(Arc::new(HydraIntrospection::new(config).map_err(invalid)?));
        }
        Arc::new(tokens)
    };
    let sessions: Option<Arc<dyn SessionResolver>> =
        match optional_url(&ory.kratos_public_url).map_err(invalid)? {
            Some(url) => Some(Arc::new(
                KratosSessions::new(KratosConfig::new(url)).map_err(invalid)?,
            )),
            None => None,
        };
    let permissions: Arc<dyn PermissionChecker> =
        match optional_url(&ory.keto_read_url).map_err(invalid)? {
            Some(url) => Arc::new(KetoPermissions::new(KetoConfig::new(url)).map_err(invalid)?),
            None => Arc::new(PgMemberships::new(pool.clone())),
        };
    Ok(Identity {
        access: AccessService::new(
            tokens,
            sessions,
            permissions,
            Arc::new(PgApiKeyStore::new(pool.clone())),
            Arc::new(PgOrganizations::new(pool.clone())),
            Arc::new(SystemClock),
        ),
        embedded_issuer,
    })
}

fn embedded_issuer_for(settings: &Settings) -> Result<EmbeddedIssuer, StartupError> {
    embedded_issuer(settings)
}

/// How long `tollgate dev-token` tokens live.
pub fn dev_token_ttl(settings: &Settings) -> Duration {
    Duration::from_secs(settings.identity.dev_token_ttl_secs)
}

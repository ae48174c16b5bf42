//! Choosing who answers "who is calling" and "may they": Ory when configured, the embedded
//! issuer and memberships otherwise.

use std::{sync::Arc, time::Duration};

use tollgate_adapters::{
    embedded_identity::{EmbeddedIssuer, ensure_loopback},
    ory::{
        HydraIntrospection, HydraIntrospectionConfig, HydraJwtConfig, HydraJwtVerifier, KetoConfig,
        KetoPermissions, KetoTeam, KetoTeamConfig, KratosConfig, KratosDirectory,
        KratosDirectoryConfig, KratosSessions, OryAccessTokens,
    },
    postgres::{
        PgApiKeyStore, PgAuditTrail, PgMemberships, PgOrganizations, PgPool, installation_secret,
        installation_secret_or,
    },
};
use tollgate_application::{
    ports::{
        AccessTokenVerifier, IdentityDirectory, MembershipStore, NoDirectory, PermissionChecker,
        SessionResolver, SystemClock,
    },
    services::access::AccessService,
};

use super::StartupError;
use crate::settings::{Settings, optional_url};

pub(super) struct Identity {
    pub access: AccessService,
    /// Where the team's memberships are kept: where the permission checks read them.
    pub memberships: Arc<dyn MembershipStore>,
    /// Where members are found by e-mail: Kratos's identities, or nowhere.
    pub directory: Arc<dyn IdentityDirectory>,
    pub embedded_issuer: Option<Arc<EmbeddedIssuer>>,
}

fn invalid(error: impl std::fmt::Display) -> StartupError {
    StartupError::Invalid(error.to_string())
}

/// The `installation_secrets` row of the embedded issuer's Ed25519 key.
pub const SIGNING_KEY_SECRET: &str = "embedded_issuer_signing_key";

/// The embedded issuer's key is kept in the database, made by whichever process needs it first,
/// so every replica (and `dev-token`) signs and verifies with the one key whatever its
/// `data_dir`. A key file an earlier version left in `data_dir` becomes that key when the
/// database has none yet, so the tokens it signed keep working.
///
/// # Errors
/// When the database cannot be reached or a kept key file is unusable.
pub async fn embedded_issuer(
    settings: &Settings,
    pool: &PgPool,
) -> Result<EmbeddedIssuer, StartupError> {
    let kept = EmbeddedIssuer::seed_kept_in(&settings.data_dir).map_err(invalid)?;
    let seed = match &kept {
        Some(seed) => installation_secret_or(pool, SIGNING_KEY_SECRET, seed.as_slice()).await,
        None => installation_secret(pool, SIGNING_KEY_SECRET).await,
    }
    .map_err(|e| StartupError::Database(e.to_string()))?;
    if kept
        .as_ref()
        .is_some_and(|kept| kept.as_slice() != seed.as_slice())
    {
        tracing::warn!(
            data_dir = %settings.data_dir.display(),
            "the embedded issuer's key file in data_dir is not the installation's key (kept in \
             the database): tokens it signed do not verify; the file is no longer used"
        );
    }
    EmbeddedIssuer::from_seed(
        &seed,
        settings.identity.issuer.clone(),
        settings.ory.audience.clone(),
    )
    .map_err(invalid)
}

pub(super) async fn wire(settings: &Settings, pool: &PgPool) -> Result<Identity, StartupError> {
    let ory = &settings.ory;
    let jwks_url = optional_url(&ory.hydra_jwks_url).map_err(invalid)?;
    let admin_url = optional_url(&ory.hydra_admin_url).map_err(invalid)?;
    let mut embedded = None;
    let tokens: Arc<dyn AccessTokenVerifier> = if jwks_url.is_none() && admin_url.is_none() {
        ensure_loopback(settings.server.bind, settings.identity.allow_non_loopback)
            .map_err(invalid)?;
        let issuer = Arc::new(embedded_issuer(settings, pool).await?);
        embedded = Some(Arc::clone(&issuer));
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
    let (permissions, memberships): (Arc<dyn PermissionChecker>, Arc<dyn MembershipStore>) =
        match optional_url(&ory.keto_read_url).map_err(invalid)? {
            Some(url) => (
                Arc::new(KetoPermissions::new(KetoConfig::new(url)).map_err(invalid)?),
                keto_memberships(settings, pool)?,
            ),
            None => {
                let embedded = Arc::new(PgMemberships::new(pool.clone()));
                (embedded.clone(), embedded)
            }
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
        memberships,
        directory: directory(settings)?,
        embedded_issuer: embedded,
    })
}

/// Kratos's identities when its admin API is configured; no directory otherwise (members are
/// then named by subject, as before).
fn directory(settings: &Settings) -> Result<Arc<dyn IdentityDirectory>, StartupError> {
    let ory = &settings.ory;
    Ok(
        match optional_url(&ory.kratos_admin_url).map_err(invalid)? {
            Some(url) => {
                let mut config = KratosDirectoryConfig::new(url);
                config.api_key.clone_from(&ory.kratos_admin_api_key);
                Arc::new(KratosDirectory::new(config).map_err(invalid)?)
            }
            None => Arc::new(NoDirectory),
        },
    )
}

/// The team kept in Keto's tuples (audited in Tollgate's log).
fn keto_memberships(
    settings: &Settings,
    pool: &PgPool,
) -> Result<Arc<dyn MembershipStore>, StartupError> {
    let ory = &settings.ory;
    let read_url = optional_url(&ory.keto_read_url)
        .map_err(invalid)?
        .ok_or_else(|| invalid("ory.keto_read_url is required for Keto"))?;
    let config = KetoTeamConfig {
        read_url,
        write_url: optional_url(&ory.keto_write_url).map_err(invalid)?,
        api_key: None,
        timeout: Duration::from_secs(2),
    };
    let audit = Arc::new(PgAuditTrail::new(pool.clone()));
    Ok(Arc::new(KetoTeam::new(config, audit).map_err(invalid)?))
}

/// How long `tollgate dev-token` tokens live.
pub fn dev_token_ttl(settings: &Settings) -> Duration {
    Duration::from_secs(settings.identity.dev_token_ttl_secs)
}

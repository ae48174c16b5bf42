//! Matching a presented webhook secret to its organization without a database read per request.

use std::{sync::Arc, time::Duration};

use tokio::{sync::RwLock, time::Instant};
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};

use crate::{
    AppError,
    ports::{WebhookSecret, WebhookSecretStore},
};

pub(super) struct SecretCache {
    store: Arc<dyn WebhookSecretStore>,
    configured: Vec<WebhookSecret>,
    refresh_every: Duration,
    loaded: RwLock<Option<(Instant, Arc<Vec<WebhookSecret>>)>>,
}

impl SecretCache {
    pub(super) fn new(
        store: Arc<dyn WebhookSecretStore>,
        configured: Vec<WebhookSecret>,
        refresh_every: Duration,
    ) -> Self {
        Self {
            store,
            configured,
            refresh_every,
            loaded: RwLock::new(None),
        }
    }

    pub(super) async fn organization_for(
        &self,
        presented: &str,
    ) -> Result<OrganizationId, AppError> {
        let digest = SecretDigest::of(presented);
        if let Some(organization) = first_match(&self.configured, &digest) {
            return Ok(organization);
        }
        let stored = self.stored_secrets().await?;
        first_match(&stored, &digest).ok_or(AppError::Unauthorized)
    }

    pub(super) async fn forget(&self) {
        *self.loaded.write().await = None;
    }

    async fn stored_secrets(&self) -> Result<Arc<Vec<WebhookSecret>>, AppError> {
        if let Some((loaded_at, secrets)) = self.loaded.read().await.as_ref()
            && loaded_at.elapsed() < self.refresh_every
        {
            return Ok(Arc::clone(secrets));
        }
        let mut loaded = self.loaded.write().await;
        if let Some((loaded_at, secrets)) = loaded.as_ref()
            && loaded_at.elapsed() < self.refresh_every
        {
            return Ok(Arc::clone(secrets));
        }
        match self.store.active_secrets().await {
            Ok(secrets) => {
                let secrets = Arc::new(secrets);
                *loaded = Some((Instant::now(), Arc::clone(&secrets)));
                Ok(secrets)
            }
            // A database hiccup should not lock out a sender that was known a moment ago;
            // the events themselves will still need the database, and fail there if it is down.
            Err(error) => match loaded.as_ref() {
                Some((_, secrets)) => {
                    tracing::warn!(%error, "using the last known webhook secrets");
                    Ok(Arc::clone(secrets))
                }
                None => Err(error.into()),
            },
        }
    }
}

/// Compares against every secret, not stopping at the first match, so the time taken does not
/// reveal where in the list a secret sits.
fn first_match(secrets: &[WebhookSecret], digest: &SecretDigest) -> Option<OrganizationId> {
    secrets.iter().fold(None, |found, secret| {
        let matches = secret.digest.matches(digest);
        found.or(matches.then_some(secret.organization))
    })
}

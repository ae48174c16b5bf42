//! Managing an organization's API keys: create (shown once), list (never the secret), revoke.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::RngCore;
use tollgate_domain::{access::Scope, api_key::NewApiKeySecret, organization::OrganizationId};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{ApiKeyRecord, ApiKeyStore, AuditContext, AuditEntry, CreationKey, NewApiKey},
};

/// The most keys one call lists.
pub const MAX_PAGE: i64 = 1000;

pub struct ApiKeyService {
    store: Arc<dyn ApiKeyStore>,
}

/// A created key: the record, and the secret the caller must copy now.
pub struct CreatedApiKey {
    pub record: ApiKeyRecord,
    pub secret: NewApiKeySecret,
}

impl ApiKeyService {
    pub fn new(store: Arc<dyn ApiKeyStore>) -> Self {
        Self { store }
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn create(
        &self,
        organization: OrganizationId,
        name: &str,
        scopes: Vec<Scope>,
        expires_at: Option<DateTime<Utc>>,
        context: &AuditContext,
    ) -> Result<CreatedApiKey, AppError> {
        let mut random = [0_u8; 32];
        rand::rng().fill_bytes(&mut random);
        let secret = NewApiKeySecret::from_random_bytes(random);
        let id = Uuid::now_v7();
        let key = NewApiKey {
            id,
            name: name.to_owned(),
            display_prefix: secret.display_prefix(),
            digest: secret.digest(),
            scopes,
            expires_at,
        };
        let audit = AuditEntry::success(context, "api_key.create", Some(format!("api_key:{id}")));
        let record = self.store.create(organization, &key, &audit).await?;
        Ok(CreatedApiKey { record, secret })
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) keys created after `after`, oldest first.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<ApiKeyRecord>, AppError> {
        Ok(self
            .store
            .list(organization, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// `false` when the organization has no such key.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn revoke(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<bool, AppError> {
        let audit = AuditEntry::success(context, "api_key.revoke", Some(format!("api_key:{id}")));
        Ok(self.store.revoke(organization, id, &audit).await?)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::*;
    use crate::ports::MockApiKeyStore;

    #[tokio::test]
    async fn pages_resume_after_the_key_given_and_are_bounded() {
        let organization = OrganizationId::new();
        let after = CreationKey {
            created_at: Utc::now(),
            id: Uuid::new_v4(),
        };
        let mut store = MockApiKeyStore::new();
        store
            .expect_list()
            .with(eq(organization), eq(Some(after)), eq(MAX_PAGE))
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        store
            .expect_list()
            .with(eq(organization), eq(None), eq(1))
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let service = ApiKeyService::new(Arc::new(store));
        service
            .list(organization, Some(after), 1_000_000)
            .await
            .unwrap();
        service.list(organization, None, 0).await.unwrap();
    }
}

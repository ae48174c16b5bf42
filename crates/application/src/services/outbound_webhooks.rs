//! Outbound webhooks: an organization's endpoints (checked, audited, secrets shown once) and
//! the messages queued for them. The deliveries themselves are the [`worker`]'s.

pub mod worker;

use std::sync::Arc;

use chrono::TimeDelta;
use tollgate_domain::{
    DomainError, ErrorCode,
    organization::OrganizationId,
    outbound_webhook::{EventType, ROTATION_OVERLAP, check_resolved, endpoint_target},
};
use uuid::Uuid;

use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, Clock, DeliveryFilter, DeliveryRecord, EndpointChange,
        EndpointRecord, HostResolver, MessageDetail, NewEndpoint, NewMessage, ResendTarget,
        RevealedSecret, WebhookEndpointStore,
    },
};

/// The most deliveries one page lists.
pub const MAX_PAGE: i64 = 1000;

/// What the endpoint API is asked to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRequest {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
}

pub struct OutboundWebhookService {
    store: Arc<dyn WebhookEndpointStore>,
    resolver: Arc<dyn HostResolver>,
    clock: Arc<dyn Clock>,
    /// `outbound_webhooks.allow_private_targets`: http and private addresses accepted.
    allow_private: bool,
}

/// A new `webhook-id`: stable across every retry of the message.
pub fn new_message_id() -> String {
    format!("msg_{}", Uuid::now_v7().simple())
}

fn target(id: Uuid) -> Option<String> {
    Some(format!("webhook_endpoint:{id}"))
}

impl OutboundWebhookService {
    pub fn new(
        store: Arc<dyn WebhookEndpointStore>,
        resolver: Arc<dyn HostResolver>,
        clock: Arc<dyn Clock>,
        allow_private: bool,
    ) -> Self {
        Self {
            store,
            resolver,
            clock,
            allow_private,
        }
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<EndpointRecord>, AppError> {
        Ok(self.store.list(organization).await?)
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<EndpointRecord>, AppError> {
        Ok(self.store.get(organization, id).await?)
    }

    /// A new endpoint and its secret, shown this once.
    ///
    /// # Errors
    /// `AppError::Invalid` (`unsafe_url`, `unknown_event_type`); `AppError::Port`.
    pub async fn create(
        &self,
        organization: OrganizationId,
        request: EndpointRequest,
        context: &AuditContext,
    ) -> Result<(EndpointRecord, RevealedSecret), AppError> {
        self.check_url(&request.url).await?;
        let event_types = parse_types(&request.event_types)?;
        let endpoint = NewEndpoint {
            id: Uuid::now_v7(),
            url: request.url,
            description: request.description,
            event_types,
        };
        let audit = AuditEntry::success(context, "webhook_endpoint.create", target(endpoint.id));
        Ok(self.store.create(organization, &endpoint, &audit).await?)
    }

    /// # Errors
    /// As [`OutboundWebhookService::create`]. `Ok(None)` for an unknown id.
    pub async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        url: Option<String>,
        description: Option<String>,
        event_types: Option<Vec<String>>,
        context: &AuditContext,
    ) -> Result<Option<EndpointRecord>, AppError> {
        if let Some(url) = &url {
            self.check_url(url).await?;
        }
        let change = EndpointChange {
            url,
            description,
            event_types: event_types.as_deref().map(parse_types).transpose()?,
        };
        let audit = AuditEntry::success(context, "webhook_endpoint.update", target(id));
        Ok(self.store.update(organization, id, &change, &audit).await?)
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn delete(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<bool, AppError> {
        let audit = AuditEntry::success(context, "webhook_endpoint.delete", target(id));
        Ok(self.store.delete(organization, id, &audit).await?)
    }

    /// A new secret; the old one keeps signing alongside it for [`ROTATION_OVERLAP`], time
    /// for the operator to deploy the new one.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn rotate_secret(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<RevealedSecret>, AppError> {
        let until = self.clock.now() + TimeDelta::from_std(ROTATION_OVERLAP).unwrap_or_default();
        let audit = AuditEntry::success(context, "webhook_endpoint.rotate_secret", target(id));
        Ok(self.store.rotate(organization, id, until, &audit).await?)
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn reveal_secret(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<RevealedSecret>, AppError> {
        let audit = AuditEntry::success(context, "webhook_endpoint.reveal_secret", target(id));
        Ok(self.store.reveal(organization, id, &audit).await?)
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn enable(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<EndpointRecord>, AppError> {
        let audit = AuditEntry::success(context, "webhook_endpoint.enable", target(id));
        Ok(self.store.enable(organization, id, &audit).await?)
    }

    /// Queues a `webhook.test` message to the endpoint alone; answers its id.
    ///
    /// # Errors
    /// `AppError::Conflict` for a disabled endpoint (nothing would be sent); `AppError::Port`
    /// when the store fails. `Ok(None)` for an unknown id.
    pub async fn send_test(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<String>, AppError> {
        let Some(endpoint) = self.store.get(organization, id).await? else {
            return Ok(None);
        };
        if !endpoint.enabled {
            return Err(AppError::Conflict {
                code: ErrorCode::Conflict,
                message: "the endpoint is disabled: enable it before testing it".to_owned(),
            });
        }
        let message = NewMessage {
            id: new_message_id(),
            event_type: EventType::WebhookTest,
            occurred_at: self.clock.now(),
            data: serde_json::json!({ "endpoint_id": id }),
        };
        self.store.enqueue(organization, &message, Some(id)).await?;
        Ok(Some(message.id))
    }

    /// # Errors
    /// `AppError::Port` when the store fails. `Ok(None)` for an unknown endpoint.
    pub async fn deliveries(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        mut filter: DeliveryFilter,
    ) -> Result<Option<Vec<DeliveryRecord>>, AppError> {
        if self.store.get(organization, endpoint).await?.is_none() {
            return Ok(None);
        }
        filter.limit = filter.limit.clamp(1, MAX_PAGE);
        Ok(Some(
            self.store
                .deliveries(organization, endpoint, &filter)
                .await?,
        ))
    }

    /// # Errors
    /// `AppError::Port` when the store fails. `Ok(None)` for an unknown endpoint.
    pub async fn resend(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        what: ResendTarget,
        context: &AuditContext,
    ) -> Result<Option<u64>, AppError> {
        if self.store.get(organization, endpoint).await?.is_none() {
            return Ok(None);
        }
        let audit = AuditEntry::success(context, "webhook_endpoint.resend", target(endpoint));
        Ok(Some(
            self.store
                .resend(organization, endpoint, &what, &audit)
                .await?,
        ))
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn message(
        &self,
        organization: OrganizationId,
        id: &str,
    ) -> Result<Option<MessageDetail>, AppError> {
        Ok(self.store.message(organization, id).await?)
    }

    /// The checks that need no network, then, for a name, the addresses it resolves to now.
    /// The worker checks again at each send: a name may point elsewhere by then.
    async fn check_url(&self, url: &str) -> Result<(), AppError> {
        let target = endpoint_target(url, self.allow_private)?;
        if target.literal.is_some() || self.allow_private {
            return Ok(());
        }
        let addresses = match self.resolver.resolve(&target.host, target.port).await {
            Ok(addresses) => addresses,
            Err(PortError::Unavailable { .. }) => Vec::new(),
            Err(other) => return Err(other.into()),
        };
        check_resolved(url, &addresses, false)?;
        Ok(())
    }
}

fn parse_types(names: &[String]) -> Result<Vec<EventType>, DomainError> {
    let mut types = names
        .iter()
        .map(|name| EventType::parse(name))
        .collect::<Result<Vec<_>, _>>()?;
    types.sort_unstable();
    types.dedup();
    Ok(types)
}

#[cfg(test)]
mod tests;

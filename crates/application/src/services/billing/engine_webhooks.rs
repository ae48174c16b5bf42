//! Lago's webhooks: check the headers before the body is read, the signature once it is, then
//! apply the webhook to Tollgate's view of invoices and subscriptions exactly once per
//! `X-Lago-Unique-Key`.
//!
//! Everything Lago sends that is signed is acknowledged once stored, even when the view cannot
//! use it (an unknown customer, an unhandled type): Lago retries anything else, and a retry
//! would not make it usable. Those cases are logged at `warn` for an operator to look at.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tollgate_domain::{
    billing::engine_event::{EngineEvent, Ignored, ViewUpdate},
    organization::OrganizationId,
};
use tracing::instrument;

use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, Clock, EngineViewStore, SignatureAlgorithm, SignatureError,
        ViewOutcome, WebhookReceipt, WebhookSignatureVerifier,
    },
};

/// The longest `X-Lago-Unique-Key` kept (Lago sends a UUID).
const MAX_UNIQUE_KEY_LEN: usize = 255;

/// Which signature algorithms are accepted (`lago.webhook_signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignaturePolicy {
    Jwt,
    Hmac,
    Either,
}

impl SignaturePolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "jwt" => Some(Self::Jwt),
            "hmac" => Some(Self::Hmac),
            "either" => Some(Self::Either),
            _ => None,
        }
    }

    pub fn allows(&self, algorithm: SignatureAlgorithm) -> bool {
        matches!(
            (self, algorithm),
            (Self::Either, _)
                | (Self::Jwt, SignatureAlgorithm::Jwt)
                | (Self::Hmac, SignatureAlgorithm::Hmac)
        )
    }
}

/// The signature headers of one webhook, checked for presence and policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHeaders {
    pub unique_key: String,
    pub algorithm: SignatureAlgorithm,
    pub signature: String,
}

pub struct LagoWebhookService {
    verifier: Arc<dyn WebhookSignatureVerifier>,
    store: Arc<dyn EngineViewStore>,
    /// Single operator: every webhook belongs to the configured organization.
    organization: OrganizationId,
    policy: SignaturePolicy,
    clock: Arc<dyn Clock>,
}

impl LagoWebhookService {
    pub fn new(
        verifier: Arc<dyn WebhookSignatureVerifier>,
        store: Arc<dyn EngineViewStore>,
        organization: OrganizationId,
        policy: SignaturePolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            verifier,
            store,
            organization,
            policy,
            clock,
        }
    }

    /// The headers, before a byte of the body is read: all three present, a usable unique
    /// key, and an algorithm the policy allows.
    ///
    /// # Errors
    /// `Unauthorized` otherwise.
    pub fn check_headers(
        &self,
        unique_key: Option<&str>,
        algorithm: Option<&str>,
        signature: Option<&str>,
    ) -> Result<WebhookHeaders, AppError> {
        let unique_key = unique_key
            .map(str::trim)
            .filter(|key| {
                !key.is_empty()
                    && key.len() <= MAX_UNIQUE_KEY_LEN
                    && !key.chars().any(char::is_control)
            })
            .ok_or(AppError::Unauthorized)?;
        let algorithm = algorithm
            .map(str::trim)
            .and_then(SignatureAlgorithm::parse)
            .filter(|algorithm| self.policy.allows(*algorithm))
            .ok_or(AppError::Unauthorized)?;
        let signature = signature
            .map(str::trim)
            .filter(|signature| !signature.is_empty())
            .ok_or(AppError::Unauthorized)?;
        Ok(WebhookHeaders {
            unique_key: unique_key.to_owned(),
            algorithm,
            signature: signature.to_owned(),
        })
    }

    /// Whether the signature signs exactly `body`.
    ///
    /// # Errors
    /// `Unauthorized` when it does not; `Port(Unavailable)` when it cannot be checked now.
    #[instrument(skip_all, fields(algorithm = headers.algorithm.as_str()))]
    pub async fn authenticate(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
    ) -> Result<(), AppError> {
        match self
            .verifier
            .verify(headers.algorithm, &headers.signature, body)
            .await
        {
            Ok(()) => Ok(()),
            Err(SignatureError::Invalid(reason)) => {
                tracing::info!(%reason, "refused a Lago webhook");
                Err(AppError::Unauthorized)
            }
            Err(SignatureError::Unavailable { service, reason }) => {
                Err(AppError::Port(PortError::unavailable(service, reason)))
            }
        }
    }

    /// Applies an authenticated webhook to the view, once per unique key.
    ///
    /// # Errors
    /// `Port` when the store fails; then nothing was written and Lago should retry.
    #[instrument(skip_all, fields(webhook_type = %event.webhook_type, unique_key = %headers.unique_key))]
    pub async fn apply(
        &self,
        headers: &WebhookHeaders,
        event: &EngineEvent,
        context: &AuditContext,
    ) -> Result<ViewOutcome, AppError> {
        let received_at = self.clock.now();
        let update = event.view_update(received_at);
        let object_id = event.object_id();
        let receipt = WebhookReceipt {
            unique_key: headers.unique_key.clone(),
            organization: self.organization,
            webhook_type: event.webhook_type.clone(),
            object_id: object_id.clone(),
            received_at,
        };
        let target = Some(match &object_id {
            Some(id) => format!("{} {id}", event.webhook_type),
            None => event.webhook_type.clone(),
        });
        let audit = AuditEntry::success(context, "billing.lago_webhook", target);
        let outcome = self.store.apply(&receipt, &update, &audit).await?;
        match (outcome, &update) {
            (ViewOutcome::UnknownCustomer | ViewOutcome::UnknownSubscription, _) => {
                tracing::warn!(
                    outcome = outcome.as_str(),
                    object_id = object_id.as_deref().unwrap_or_default(),
                    "a Lago webhook names something Tollgate does not know: acknowledged, not applied"
                );
            }
            (ViewOutcome::ReceiptOnly, ViewUpdate::Ignored(Ignored::Unmappable(reason))) => {
                tracing::warn!(
                    %reason,
                    object_id = object_id.as_deref().unwrap_or_default(),
                    "a Lago webhook cannot be shown: acknowledged, not applied"
                );
            }
            _ => tracing::debug!(outcome = outcome.as_str(), "Lago webhook handled"),
        }
        Ok(outcome)
    }
}

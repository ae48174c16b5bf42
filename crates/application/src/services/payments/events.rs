//! The payment provider's events applied: each finds Tollgate's records through the ids in its
//! metadata (never arrival order), moves them only forward, and is recorded in the
//! transaction of its effect, so a repeat changes nothing and a crash loses nothing.

use tollgate_domain::payment::{AttemptStatus, InvoicePaymentStatus};

use super::{PaymentService, decide};
use crate::{
    AppError,
    ports::{
        AttemptReference, AttemptSettlement, CardChange, PaymentEvent, PaymentReference,
        ProviderEventId, ReceivedPaymentEvent, SettlementOutcome,
    },
};

/// What applying an event did; every one is acknowledged to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// Repeated, stale or out-of-place news about a payment: nothing changed.
    Unchanged,
    /// About no Tollgate record, of the other mode (live or test), or of a kind Tollgate does
    /// not act on: counted once, nothing changed.
    Ignored,
}

impl EventOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Unchanged => "unchanged",
            Self::Ignored => "ignored",
        }
    }
}

impl PaymentService {
    /// Applies one provider event. `livemode` is the mode Tollgate's provider key is in.
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails: the provider delivers the event again.
    pub async fn apply_event(
        &self,
        received: &ReceivedPaymentEvent,
        livemode: bool,
    ) -> Result<EventOutcome, AppError> {
        let id = ProviderEventId {
            id: received.id.clone(),
            event_type: received.event_type.clone(),
        };
        if self.ledger.event_seen(&id).await? {
            return Ok(EventOutcome::Duplicate);
        }
        if received.livemode != livemode {
            return self.ignore(&id).await;
        }
        let now = self.clock.now();
        let (payment, status, decline) = match &received.event {
            PaymentEvent::PaymentSucceeded(payment) => (payment, AttemptStatus::Succeeded, None),
            PaymentEvent::PaymentProcessing(payment) => (payment, AttemptStatus::Processing, None),
            PaymentEvent::PaymentRequiresAction(payment) => {
                (payment, AttemptStatus::RequiresAction, None)
            }
            PaymentEvent::PaymentFailed { payment, decline } => {
                (payment, AttemptStatus::Failed, Some(decline.clone()))
            }
            PaymentEvent::PaymentCanceled(payment) => (payment, AttemptStatus::Canceled, None),
            PaymentEvent::CardSaved {
                provider_customer,
                payment_method,
            } => {
                let change = CardChange::Saved {
                    provider_customer: provider_customer.clone(),
                    payment_method: payment_method.clone(),
                };
                return self.card(&change, &id, now).await;
            }
            PaymentEvent::CardRemoved {
                provider_customer,
                payment_method,
            } => {
                let change = CardChange::Removed {
                    provider_customer: provider_customer.clone(),
                    payment_method: payment_method.clone(),
                };
                return self.card(&change, &id, now).await;
            }
            PaymentEvent::Ignored => return self.ignore(&id).await,
        };
        let Some(attempt) = self.find(payment).await? else {
            return self.ignore(&id).await;
        };
        let settlement = match (status, decline) {
            (AttemptStatus::Failed, Some(decline)) => {
                let first = self
                    .ledger
                    .collection(attempt.organization, attempt.invoice)
                    .await?
                    .and_then(|collection| collection.first_attempt_at)
                    .unwrap_or(attempt.created_at);
                let answer = decide::Answer::Declined {
                    provider_payment: Some(payment.provider_payment.clone()),
                    decline,
                };
                decide::settle(&attempt, answer, first, &self.policy, now)
            }
            (status, _) => AttemptSettlement {
                organization: attempt.organization,
                invoice: attempt.invoice,
                attempt: attempt.attempt,
                provider_payment: Some(payment.provider_payment.clone()),
                status,
                decline: None,
                invoice_status: invoice_status_after(status),
                next_attempt_at: None,
                delinquent: false,
                at: now,
            },
        };
        Ok(match self.ledger.settle(&settlement, Some(id)).await? {
            SettlementOutcome::Applied => EventOutcome::Applied,
            SettlementOutcome::Unchanged => EventOutcome::Unchanged,
            SettlementOutcome::NotFound => EventOutcome::Ignored,
        })
    }

    async fn find(
        &self,
        payment: &PaymentReference,
    ) -> Result<Option<crate::ports::AttemptRecord>, AppError> {
        let by_provider = AttemptReference::ProviderPayment(payment.provider_payment.clone());
        if let Some(attempt) = self.ledger.find_attempt(&by_provider).await? {
            return Ok(Some(attempt));
        }
        // Made by Tollgate, but the answer naming it was never recorded (a crash after the
        // call): the metadata names it.
        let (Some(invoice), Some(attempt)) = (payment.invoice, payment.attempt) else {
            return Ok(None);
        };
        Ok(self
            .ledger
            .find_attempt(&AttemptReference::Tollgate { invoice, attempt })
            .await?)
    }

    async fn card(
        &self,
        change: &CardChange,
        id: &ProviderEventId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<EventOutcome, AppError> {
        Ok(if self.ledger.change_card(change, id, now).await? {
            EventOutcome::Applied
        } else {
            EventOutcome::Ignored
        })
    }

    async fn ignore(&self, id: &ProviderEventId) -> Result<EventOutcome, AppError> {
        Ok(if self.ledger.record_event(id).await? {
            EventOutcome::Ignored
        } else {
            EventOutcome::Duplicate
        })
    }
}

/// The invoice's payment status once an attempt reached `status` by an event.
fn invoice_status_after(status: AttemptStatus) -> InvoicePaymentStatus {
    match status {
        AttemptStatus::Succeeded => InvoicePaymentStatus::Succeeded,
        AttemptStatus::RequiresAction => InvoicePaymentStatus::RequiresAction,
        AttemptStatus::Pending | AttemptStatus::Processing => InvoicePaymentStatus::Pending,
        AttemptStatus::Failed | AttemptStatus::Canceled => InvoicePaymentStatus::Failed,
    }
}

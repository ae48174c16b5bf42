//! Payments: finalized invoices collected by card through the payment provider, on the
//! dunning schedule, and the provider's events applied to them.
//!
//! The collector works from the invoices themselves: every finalized invoice of a customer
//! with a card on file gets a collection, due at once. An attempt's idempotency key is stored
//! before the provider is called, so a worker killed between the call and its record asks
//! again with the same key and the provider answers the first charge instead of making a
//! second one.

pub mod cards;
pub mod decide;
pub mod events;
#[cfg(test)]
mod tests;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::payment::{
    AttemptStatus, DeclineDetails, DunningPolicy, InvoicePaymentStatus,
};

use self::decide::{Answer, settle};
use tollgate_domain::{ErrorCode, organization::OrganizationId};
use uuid::Uuid;

use crate::{
    AppError, PortError,
    ports::{
        AttemptFilter, AttemptKind, AttemptRecord, AttemptSettlement, CancelReason, ChargeRequest,
        Clock, Collection, IdempotencyKey, InvoiceClaim, PaymentError, PaymentGateway,
        PaymentLedger, SettlementOutcome,
    },
};

/// How long a claimed collection is the claimer's: longer than a charge takes, provider
/// retries included.
pub const COLLECTION_LEASE: Duration = Duration::from_secs(120);

/// When a collection is tried again after the provider could not be reached.
pub const UNREACHABLE_RETRY: TimeDelta = TimeDelta::minutes(1);

/// What one pass of the collector did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectReport {
    pub opened: u64,
    pub claimed: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub waiting: usize,
    pub postponed: usize,
}

pub struct PaymentService {
    ledger: Arc<dyn PaymentLedger>,
    gateway: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
    policy: DunningPolicy,
}

impl PaymentService {
    pub fn new(
        ledger: Arc<dyn PaymentLedger>,
        gateway: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
        policy: DunningPolicy,
    ) -> Self {
        Self {
            ledger,
            gateway,
            clock,
            policy,
        }
    }

    pub fn ledger(&self) -> &Arc<dyn PaymentLedger> {
        &self.ledger
    }

    /// One pass: opens the collections of newly finalized invoices, then charges up to
    /// `limit` due ones, one after the other.
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails; a provider failure only postpones its
    /// collection.
    pub async fn collect_due(&self, limit: u32) -> Result<CollectReport, AppError> {
        let now = self.clock.now();
        let mut report = CollectReport {
            opened: self.ledger.open_collections(now).await?,
            ..CollectReport::default()
        };
        let due = self.ledger.claim_due(now, COLLECTION_LEASE, limit).await?;
        report.claimed = due.len();
        for collection in due {
            match self.collect(&collection).await? {
                Collected::Succeeded => report.succeeded += 1,
                Collected::Failed => report.failed += 1,
                Collected::Waiting => report.waiting += 1,
                Collected::Postponed => report.postponed += 1,
            }
        }
        Ok(report)
    }

    /// Passes every `every` until `shutdown` turns true; a failed pass is logged and tried
    /// again at the next tick (a claimed collection comes back when its lease ends).
    pub async fn run(
        self: Arc<Self>,
        every: Duration,
        limit: u32,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            match self.collect_due(limit).await {
                Ok(report) if report.claimed > 0 => tracing::info!(?report, "invoices collected"),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "the payment collector failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    }

    /// Charges the invoice's card now, whatever the dunning schedule says: the operator's
    /// "pay now", and what follows a customer's new card at once.
    ///
    /// # Errors
    /// `Conflict` `payment_in_progress` while an attempt is under way or waits for the
    /// customer, `no_payment_method` without a card on file (or for an invoice past
    /// collecting); `AppError::Port` when the ledger fails or the provider cannot be reached
    /// (the charge is then tried again shortly, under the same key).
    pub async fn pay_now(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<AttemptRecord, AppError> {
        let now = self.clock.now();
        self.ledger.open_collections(now).await?;
        let collection = match self
            .ledger
            .claim_invoice(organization, invoice, now, COLLECTION_LEASE)
            .await?
        {
            InvoiceClaim::Claimed(collection) => collection,
            InvoiceClaim::Busy => {
                return Err(AppError::Conflict {
                    code: ErrorCode::PaymentInProgress,
                    message: "a payment of this invoice is under way or waits for the customer"
                        .to_owned(),
                });
            }
            InvoiceClaim::NotCollectable => {
                return Err(AppError::Conflict {
                    code: ErrorCode::NoPaymentMethod,
                    message: "the customer has no card on file to charge".to_owned(),
                });
            }
        };
        if let Collected::Postponed = self.collect(&collection).await? {
            return Err(AppError::Port(PortError::unavailable(
                "stripe",
                "the payment provider could not be reached; the charge is tried again shortly",
            )));
        }
        let latest = self
            .ledger
            .attempts(
                organization,
                AttemptFilter {
                    invoice: Some(invoice),
                    status: None,
                },
                None,
                1,
            )
            .await?;
        latest.into_iter().next().ok_or_else(|| {
            AppError::Port(PortError::Internal {
                service: "payments",
                reason: "a charge left no attempt".to_owned(),
            })
        })
    }

    /// After an invoice was voided: a charge still waiting for its holder (3-D Secure) is
    /// canceled at the provider, so the customer cannot pay a voided invoice. Answers how many
    /// were canceled.
    ///
    /// # Errors
    /// `AppError::Port` when the ledger fails; the provider's refusal or outage as such (the
    /// void stands either way).
    pub async fn invoice_voided(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<usize, AppError> {
        let waiting = self
            .ledger
            .attempts(
                organization,
                AttemptFilter {
                    invoice: Some(invoice),
                    status: Some(AttemptStatus::RequiresAction),
                },
                None,
                100,
            )
            .await?;
        let mut canceled = 0;
        for attempt in waiting {
            let Some(payment) = attempt.provider_payment.clone() else {
                continue;
            };
            let key = IdempotencyKey::new("cancel", &[&payment]).map_err(AppError::Invalid)?;
            self.gateway
                .cancel_payment(&payment, CancelReason::Abandoned, &key)
                .await?;
            // The invoice's payment status stays what it was: voiding, not the customer, ended
            // the attempt, and operators learn of it by `invoice.voided`.
            let settlement = AttemptSettlement {
                organization,
                invoice,
                attempt: attempt.attempt,
                provider_payment: Some(payment),
                status: AttemptStatus::Canceled,
                decline: None,
                invoice_status: InvoicePaymentStatus::RequiresAction,
                next_attempt_at: None,
                delinquent: false,
                at: self.clock.now(),
            };
            if self.ledger.settle(&settlement, None).await? == SettlementOutcome::Applied {
                canceled += 1;
            }
        }
        Ok(canceled)
    }

    async fn collect(&self, collection: &Collection) -> Result<Collected, AppError> {
        let now = self.clock.now();
        let Some(card) = collection.customer.default_payment_method.clone() else {
            // The card was removed after the claim: wait for a new one (saving it makes the
            // collection due again).
            self.ledger
                .release(collection.organization, collection.invoice, far_future(now))
                .await?;
            return Ok(Collected::Postponed);
        };
        let attempt = self
            .ledger
            .begin_attempt(collection, AttemptKind::OffSession, now)
            .await?;
        let key = IdempotencyKey::charge(&attempt.invoice.to_string(), attempt.attempt)
            .map_err(AppError::Invalid)?;
        let number = collection.invoice_number.clone();
        let request = ChargeRequest {
            customer: collection.customer.provider_customer.clone(),
            payment_method: card,
            amount: attempt.amount,
            currency: attempt.currency,
            description: number.as_ref().map(|n| format!("Invoice {n}")),
            statement_descriptor_suffix: number.as_deref().map(statement_suffix),
            metadata: metadata(collection, attempt.attempt),
            key,
        };
        let answer = match self.gateway.charge_off_session(&request).await {
            Ok(outcome) => Answer::Intent {
                provider_payment: outcome.payment_intent,
                status: outcome.status,
            },
            Err(PaymentError::Declined(decline)) => Answer::Declined {
                provider_payment: decline.payment_intent.clone(),
                decline: DeclineDetails::new(
                    Some(&decline.code),
                    decline.decline_code.as_deref(),
                    decline.advice_code.as_deref(),
                    Some(&decline.message),
                ),
            },
            Err(PaymentError::Refused(refusal)) => Answer::Refused {
                decline: DeclineDetails::new(
                    refusal.code.as_deref().or(Some(&refusal.kind)),
                    None,
                    None,
                    Some(&refusal.message),
                ),
            },
            Err(PaymentError::NotRepresentable(error)) => Answer::Refused {
                decline: DeclineDetails::new(
                    Some("amount_not_representable"),
                    None,
                    None,
                    Some(&error.to_string()),
                ),
            },
            Err(PaymentError::Upstream(error)) => {
                tracing::warn!(invoice = %collection.invoice, %error, "the payment provider could not be reached; the charge is tried again with the same key");
                self.ledger
                    .release(
                        collection.organization,
                        collection.invoice,
                        now + UNREACHABLE_RETRY,
                    )
                    .await?;
                return Ok(Collected::Postponed);
            }
        };
        let first = collection.first_attempt_at.unwrap_or(now);
        let settlement = settle(&attempt, answer, first, &self.policy, now);
        let outcome = self.ledger.settle(&settlement, None).await?;
        if outcome != SettlementOutcome::Applied {
            // A webhook got there first: what it recorded stands.
            return Ok(Collected::Waiting);
        }
        Ok(match settlement.status {
            tollgate_domain::payment::AttemptStatus::Succeeded => Collected::Succeeded,
            tollgate_domain::payment::AttemptStatus::Failed
            | tollgate_domain::payment::AttemptStatus::Canceled => Collected::Failed,
            _ => Collected::Waiting,
        })
    }
}

enum Collected {
    Succeeded,
    Failed,
    /// Settling, or waiting for the customer (3-D Secure): a webhook says how it ends.
    Waiting,
    Postponed,
}

/// Tollgate's ids on the provider's payment, which its events carry back.
fn metadata(collection: &Collection, attempt: u32) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "tollgate_invoice_id".to_owned(),
            collection.invoice.to_string(),
        ),
        (
            "tollgate_organization_id".to_owned(),
            collection.organization.to_string(),
        ),
        ("tollgate_attempt".to_owned(), attempt.to_string()),
    ])
}

/// The invoice number as a statement descriptor suffix: letters, digits and spaces the banks
/// print, at most 22 characters.
fn statement_suffix(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
        .take(22)
        .collect()
}

/// "Not until something changes": a collection waiting for a card is made due again when one
/// is saved, not by the clock.
fn far_future(now: DateTime<Utc>) -> DateTime<Utc> {
    now + TimeDelta::days(3650)
}

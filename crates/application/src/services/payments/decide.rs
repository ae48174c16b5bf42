//! What an attempt's answer means for its invoice: the pure part of collecting, so that every
//! outcome (and the dunning schedule behind a decline) is decided in one place and tested
//! without a provider or a database.

use chrono::{DateTime, Utc};
use tollgate_domain::payment::{
    AttemptStatus, DeclineDetails, DunningPolicy, InvoicePaymentStatus,
};

use crate::ports::{AttemptRecord, AttemptSettlement, IntentStatus};

/// What the provider said of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Intent {
        provider_payment: String,
        status: IntentStatus,
    },
    Declined {
        provider_payment: Option<String>,
        decline: DeclineDetails,
    },
    /// Refused for a reason other than the card (the request, the amount): trying again
    /// will not help, the operator must look.
    Refused { decline: DeclineDetails },
}

/// The settlement of `attempt` after `answer`, `first_attempt_at` being when the collection's
/// first attempt was made.
pub fn settle(
    attempt: &AttemptRecord,
    answer: Answer,
    first_attempt_at: DateTime<Utc>,
    policy: &DunningPolicy,
    now: DateTime<Utc>,
) -> AttemptSettlement {
    let base = AttemptSettlement {
        organization: attempt.organization,
        invoice: attempt.invoice,
        attempt: attempt.attempt,
        provider_payment: attempt.provider_payment.clone(),
        status: AttemptStatus::Pending,
        decline: None,
        invoice_status: InvoicePaymentStatus::Pending,
        next_attempt_at: None,
        delinquent: false,
        at: now,
    };
    match answer {
        Answer::Intent {
            provider_payment,
            status,
        } => {
            let (status, invoice_status) = match status {
                IntentStatus::Succeeded => {
                    (AttemptStatus::Succeeded, InvoicePaymentStatus::Succeeded)
                }
                IntentStatus::Processing | IntentStatus::RequiresCapture => {
                    (AttemptStatus::Processing, InvoicePaymentStatus::Pending)
                }
                IntentStatus::RequiresAction | IntentStatus::RequiresConfirmation => (
                    AttemptStatus::RequiresAction,
                    InvoicePaymentStatus::RequiresAction,
                ),
                IntentStatus::RequiresPaymentMethod => {
                    // The provider took the charge and left it needing another card: a
                    // decline without its details.
                    let decline = DeclineDetails::new(
                        Some("requires_payment_method"),
                        None,
                        None,
                        Some("the provider needs another payment method"),
                    );
                    return failed(
                        base,
                        Some(provider_payment),
                        decline,
                        first_attempt_at,
                        policy,
                    );
                }
                IntentStatus::Canceled => (AttemptStatus::Canceled, InvoicePaymentStatus::Failed),
            };
            AttemptSettlement {
                provider_payment: Some(provider_payment),
                status,
                invoice_status,
                ..base
            }
        }
        Answer::Declined {
            provider_payment,
            decline,
        } if decline.needs_customer() => AttemptSettlement {
            provider_payment: provider_payment.or(base.provider_payment.clone()),
            status: AttemptStatus::RequiresAction,
            decline: Some(decline),
            invoice_status: InvoicePaymentStatus::RequiresAction,
            ..base
        },
        Answer::Declined {
            provider_payment,
            decline,
        } => failed(base, provider_payment, decline, first_attempt_at, policy),
        Answer::Refused { decline } => AttemptSettlement {
            status: AttemptStatus::Failed,
            decline: Some(decline),
            invoice_status: InvoicePaymentStatus::Failed,
            ..base
        },
    }
}

/// A declined attempt: the schedule's next attempt, or the end of dunning (uncollectible, the
/// customer delinquent) when it is over or the decline forbids retrying.
fn failed(
    base: AttemptSettlement,
    provider_payment: Option<String>,
    decline: DeclineDetails,
    first_attempt_at: DateTime<Utc>,
    policy: &DunningPolicy,
) -> AttemptSettlement {
    let attempts_made = usize::try_from(base.attempt).unwrap_or(usize::MAX);
    let next = (!decline.stops_retrying())
        .then(|| policy.next_attempt_at(first_attempt_at, attempts_made))
        .flatten();
    AttemptSettlement {
        provider_payment: provider_payment.or(base.provider_payment.clone()),
        status: AttemptStatus::Failed,
        decline: Some(decline),
        invoice_status: if next.is_some() {
            InvoicePaymentStatus::Failed
        } else {
            InvoicePaymentStatus::Uncollectible
        },
        delinquent: next.is_none(),
        next_attempt_at: next,
        ..base
    }
}

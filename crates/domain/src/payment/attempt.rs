//! The status of one payment attempt: one charge of an invoice at the provider (one Stripe
//! PaymentIntent, made with its own idempotency key, so a retry of the dunning schedule is a
//! new attempt, never a reuse of this one).
//!
//! ```text
//! pending ──▶ processing ──▶ requires_action ──▶ succeeded | failed | canceled
//!    └───────────┴──────────────────┴─────────────▶ (any later state directly)
//! ```

use std::{fmt, str::FromStr};

use super::{Transition, parse_status};
use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptStatus {
    /// Created, not yet answered by the provider.
    Pending,
    /// Accepted and settling (bank debits and other delayed methods take days).
    Processing,
    /// The customer must act (3-D Secure) before the charge can go on: Tollgate sends them a
    /// payment link. The attempt is waiting, not over.
    RequiresAction,
    /// The money moved.
    Succeeded,
    /// Declined or errored; its [`DeclineDetails`](super::DeclineDetails) say whether the
    /// dunning schedule may try again with a new attempt.
    Failed,
    /// Abandoned (by Tollgate, when the invoice was paid another way or voided).
    Canceled,
}

impl AttemptStatus {
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Processing,
        Self::RequiresAction,
        Self::Succeeded,
        Self::Failed,
        Self::Canceled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::RequiresAction => "requires_action",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// How far along the attempt is. The three outcomes share the last rank: none of them
    /// follows another.
    ///
    /// `requires_action` ranks above `processing` although the provider may report
    /// `processing` once the customer has authenticated: events come out of order, so a
    /// `processing` after `requires_action` cannot be told from a late one, and taking a late
    /// one for news would hide that the customer must act, leaving the invoice unpaid with
    /// nobody asked to pay it. Showing `requires_action` a little too long only delays the
    /// news until the outcome arrives.
    pub const fn progress(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Processing => 1,
            Self::RequiresAction => 2,
            Self::Succeeded | Self::Failed | Self::Canceled => 3,
        }
    }

    /// Whether the attempt is over. An outcome is final for the attempt:
    /// * `succeeded`: the money moved; refunds and disputes are the invoice's affair
    ///   ([`InvoicePaymentStatus`](super::InvoicePaymentStatus)), not a step back here.
    /// * `failed`: the attempt's charge is spent; trying again is a new attempt with its own
    ///   idempotency key, so the provider cannot replay this one's answer.
    /// * `canceled`: Tollgate gave it up; a charge the provider would still settle was
    ///   cancelled with it.
    pub const fn is_final(self) -> bool {
        self.progress() == 3
    }

    /// The status after the provider reports `to`: strictly forward only. A repeat, a stale
    /// event (lower progress), or a second, different outcome after the first leaves the
    /// status as it is. The first outcome stands because the provider ends one charge one
    /// way; a contradicting one is a late or foreign event, which the caller may log.
    pub fn advance(self, to: Self) -> Transition<Self> {
        if to.progress() > self.progress() {
            Transition::Changed(to)
        } else {
            Transition::Unchanged
        }
    }
}

impl fmt::Display for AttemptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttemptStatus {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_status("attempt_status", text, &Self::ALL, Self::as_str)
    }
}

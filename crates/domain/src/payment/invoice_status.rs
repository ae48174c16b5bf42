//! The payment state of an invoice: what its attempts, refunds and disputes add up to.
//!
//! ```text
//! collecting:    none, pending, requires_action, failed ──▶ one another (never back to none),
//!                                                           uncollectible, succeeded
//! given up:      uncollectible ──▶ succeeded
//! paid:          succeeded ──▶ partially_refunded ──▶ refunded
//!                succeeded ─────────────────────────▶ refunded
//! chargebacks:   succeeded, partially_refunded, refunded ──▶ disputed
//!                disputed ──▶ dispute_won ──▶ partially_refunded | refunded
//!                disputed ──▶ dispute_lost
//! ```
//!
//! Unlike an attempt, an invoice may go round while it is collected (a failed attempt is
//! followed by the next one, pending again), so staleness is judged per attempt
//! ([`AttemptStatus::advance`](super::AttemptStatus::advance)) before an attempt's status is
//! carried to its invoice. What this type guarantees is that received money is never
//! forgotten: once `succeeded`, no event brings the invoice back to owing.

use std::{fmt, str::FromStr};

use super::{Transition, parse_status};
use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoicePaymentStatus {
    /// No attempt yet.
    None,
    /// An attempt is under way.
    Pending,
    /// The last attempt waits for the customer (3-D Secure).
    RequiresAction,
    /// The last attempt failed; dunning may try again.
    Failed,
    /// Dunning gave up (or the operator wrote it off).
    Uncollectible,
    Succeeded,
    PartiallyRefunded,
    Refunded,
    /// A chargeback is open.
    Disputed,
    DisputeWon,
    DisputeLost,
}

impl InvoicePaymentStatus {
    pub const ALL: [Self; 11] = [
        Self::None,
        Self::Pending,
        Self::RequiresAction,
        Self::Failed,
        Self::Uncollectible,
        Self::Succeeded,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Disputed,
        Self::DisputeWon,
        Self::DisputeLost,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::RequiresAction => "requires_action",
            Self::Failed => "failed",
            Self::Uncollectible => "uncollectible",
            Self::Succeeded => "succeeded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Disputed => "disputed",
            Self::DisputeWon => "dispute_won",
            Self::DisputeLost => "dispute_lost",
        }
    }

    /// Whether an attempt may still be made or awaited.
    pub const fn is_collecting(self) -> bool {
        matches!(
            self,
            Self::None | Self::Pending | Self::RequiresAction | Self::Failed
        )
    }

    /// Whether the invoice's money was received at some point (whatever happened to it
    /// since: refunds and disputes follow a payment, they do not undo the fact).
    pub const fn is_settled(self) -> bool {
        !self.is_collecting() && !matches!(self, Self::Uncollectible)
    }

    /// Whether the invoice may move from `self` to `to` (never to itself: that is no move):
    /// * while collecting, to any other collecting state but `none` (the next attempt starts
    ///   after a failure; a customer back from authentication starts a new one), to
    ///   `uncollectible`, or to `succeeded`;
    /// * `uncollectible` only to `succeeded`: dunning stopped, but a customer may still pay
    ///   by link, and received money must be recorded;
    /// * refunds only after a payment: `succeeded` and `partially_refunded` to
    ///   `partially_refunded` or `refunded` (a partial refund after a partial refund stays
    ///   `partially_refunded`, which is no move);
    /// * disputes only after a payment: from `succeeded`, `partially_refunded` and even
    ///   `refunded` (card networks let a cardholder dispute a refunded charge, and the
    ///   operator must still answer it), closed as `dispute_won` or `dispute_lost`;
    /// * `dispute_won` may still be refunded; `dispute_lost` is final, the funds are gone.
    pub fn allows(self, to: Self) -> bool {
        use InvoicePaymentStatus as S;
        if self == to {
            return false;
        }
        match self {
            S::None | S::Pending | S::RequiresAction | S::Failed => matches!(
                to,
                S::Pending | S::RequiresAction | S::Failed | S::Uncollectible | S::Succeeded
            ),
            S::Uncollectible => matches!(to, S::Succeeded),
            S::Succeeded | S::PartiallyRefunded | S::DisputeWon => {
                matches!(to, S::PartiallyRefunded | S::Refunded)
                    || matches!(
                        (self, to),
                        (S::Succeeded | S::PartiallyRefunded, S::Disputed)
                    )
            }
            S::Refunded => matches!(to, S::Disputed),
            S::Disputed => matches!(to, S::DisputeWon | S::DisputeLost),
            S::DisputeLost => false,
        }
    }

    /// The status after an event that says `to`: `to` when [`allows`](Self::allows) says so,
    /// else unchanged. A refused move is a repeat, a stale event, or one that makes no sense
    /// for this invoice (a refund before any payment); none of them may fail the webhook that
    /// brought it, or the provider would redeliver it for days.
    pub fn advance(self, to: Self) -> Transition<Self> {
        if self.allows(to) {
            Transition::Changed(to)
        } else {
            Transition::Unchanged
        }
    }
}

impl fmt::Display for InvoicePaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InvoicePaymentStatus {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_status("payment_status", text, &Self::ALL, Self::as_str)
    }
}

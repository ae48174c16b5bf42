//! Card payments through a payment provider (Stripe): the life of one payment attempt, the
//! payment state of an invoice, the decline a failed attempt keeps, and the dunning policy
//! that decides when to try again.
//!
//! Provider events arrive at least once and in any order, so a status changes only by an
//! allowed move (an attempt's only forward): an event that is repeated, stale or out of place
//! changes nothing ([`Transition::Unchanged`]) instead of failing, and the webhook that
//! brought it can be acknowledged whatever it carries.

mod attempt;
mod decline;
mod dunning;
mod invoice_status;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

pub use attempt::AttemptStatus;
pub use decline::DeclineDetails;
pub use dunning::{AfterLastAttempt, DunningError, DunningPolicy, RetryOffset};
pub use invoice_status::InvoicePaymentStatus;

use crate::DomainError;

/// What applying an event to a status did.
#[must_use = "a changed status must be stored, an unchanged one must not be"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition<S> {
    /// The status moved to this one.
    Changed(S),
    /// A repeated, stale or refused event: the recorded status stands.
    Unchanged,
}

impl<S: Copy> Transition<S> {
    /// The status after the event: the new one, or `current` when nothing changed.
    pub fn or(self, current: S) -> S {
        match self {
            Self::Changed(status) => status,
            Self::Unchanged => current,
        }
    }

    pub fn is_changed(&self) -> bool {
        matches!(self, Self::Changed(_))
    }
}

/// The status named `text` among `all`, or `Invalid` listing the names.
fn parse_status<S: Copy>(
    field: &'static str,
    text: &str,
    all: &[S],
    name: impl Fn(S) -> &'static str,
) -> Result<S, DomainError> {
    all.iter()
        .copied()
        .find(|status| name(*status) == text)
        .ok_or_else(|| DomainError::Invalid {
            field,
            reason: format!(
                "`{}` is not one of {}",
                crate::error::cut(text),
                all.iter().map(|s| name(*s)).collect::<Vec<_>>().join(", ")
            ),
        })
}

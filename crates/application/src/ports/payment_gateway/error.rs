//! What the payment port reports when a call did not do what was asked.

use thiserror::Error;
use tollgate_domain::{DomainError, ErrorCode};

use crate::{AppError, PortError};

/// A card declined, or one that needs its holder present (the provider's 402 `card_error`).
///
/// A failed payment attempt, not a failure of Tollgate: the invoice stays open and the caller
/// records the attempt. The codes are the provider's (`card_declined`, `insufficient_funds`,
/// `authentication_required`), to decide whether to retry, ask for another card, or send the
/// customer a payment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    /// `card_declined`, `expired_card`, `authentication_required`...
    pub code: String,
    /// The issuer's reason (`insufficient_funds`, `generic_decline`), when given.
    pub decline_code: Option<String>,
    /// What the network advises (`try_again_later`, `do_not_try_again`), when given.
    pub advice_code: Option<String>,
    /// The provider's words, fit to show the customer.
    pub message: String,
    /// The failed payment, to cancel or to find in the provider's events.
    pub payment_intent: Option<String>,
}

/// The provider understood the request and refused it (a 4xx other than a decline): sending it
/// again will not help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The provider's error type (`invalid_request_error`, `idempotency_error`).
    pub kind: String,
    pub code: Option<String>,
    /// The parameter at fault, when the provider names one.
    pub param: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaymentError {
    #[error("the payment was declined: {} ({})", .0.message, .0.code)]
    Declined(Decline),
    #[error("the payment provider refused the request: {} ({})", .0.message, .0.kind)]
    Refused(Refusal),
    /// The amount cannot be sent exactly; nothing was sent.
    #[error(transparent)]
    NotRepresentable(DomainError),
    /// The provider could not be reached, failed, throttled, timed out or answered something
    /// unreadable: as for every outside system (503, 504, 502).
    #[error(transparent)]
    Upstream(#[from] PortError),
}

impl From<PaymentError> for AppError {
    /// A decline reaching a client is a refusal of what it asked (422): services that charge
    /// record it as a failed attempt before it gets this far.
    fn from(error: PaymentError) -> Self {
        match error {
            PaymentError::Declined(decline) => Self::Unprocessable {
                code: ErrorCode::PaymentProviderRefused,
                message: format!("the payment was declined: {}", decline.message),
            },
            PaymentError::Refused(refusal) => Self::Unprocessable {
                code: ErrorCode::PaymentProviderRefused,
                message: format!(
                    "the payment provider refused the request: {}",
                    refusal.message
                ),
            },
            PaymentError::NotRepresentable(error) => Self::Invalid(error),
            PaymentError::Upstream(error) => Self::Port(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_declines_answer_422_payment_provider_refused_and_the_rest_keeps_its_kind() {
        let refused = AppError::from(PaymentError::Refused(Refusal {
            kind: "invalid_request_error".into(),
            code: Some("resource_missing".into()),
            param: Some("customer".into()),
            message: "No such customer: 'cus_x'".into(),
        }));
        assert!(matches!(
            refused,
            AppError::Unprocessable { code: ErrorCode::PaymentProviderRefused, ref message }
                if message.contains("No such customer")
        ));
        let declined = AppError::from(PaymentError::Declined(Decline {
            code: "card_declined".into(),
            decline_code: Some("insufficient_funds".into()),
            advice_code: None,
            message: "Your card has insufficient funds.".into(),
            payment_intent: Some("pi_1".into()),
        }));
        assert!(matches!(
            declined,
            AppError::Unprocessable {
                code: ErrorCode::PaymentProviderRefused,
                ..
            }
        ));
        let amount = DomainError::AmountNotRepresentable {
            amount: "0.001".into(),
            currency: "USD".into(),
            reason: "two decimals",
        };
        assert!(matches!(
            AppError::from(PaymentError::NotRepresentable(amount)),
            AppError::Invalid(ref error) if error.code() == ErrorCode::AmountNotRepresentable
        ));
        let timed_out = PortError::TimedOut {
            service: "stripe",
            reason: "30 s".into(),
        };
        assert!(matches!(
            AppError::from(PaymentError::from(timed_out.clone())),
            AppError::Port(ref error) if *error == timed_out
        ));
    }
}

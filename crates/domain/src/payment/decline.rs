//! Why the provider refused a charge, as a failed attempt keeps it: for the operator to read,
//! for the customer's e-mail, and for dunning to decide whether another try may succeed.

use super::DunningPolicy;

/// The provider's reasons for a failed charge, each optional (a network error has none).
///
/// Built from what the provider sent, so nothing is refused: blank values are dropped and
/// overlong ones cut, because losing a decline reason is worse than storing part of it, and
/// an outside system must not make Tollgate store a megabyte per attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeclineDetails {
    code: Option<String>,
    decline_code: Option<String>,
    advice_code: Option<String>,
    message: Option<String>,
}

impl DeclineDetails {
    /// Stripe's codes are a few dozen characters; this leaves room without trusting it.
    pub const MAX_CODE_LEN: usize = 64;
    pub const MAX_MESSAGE_LEN: usize = 500;

    /// `code` is the error's kind (`card_declined`, `authentication_required`),
    /// `decline_code` the issuer's reason (`insufficient_funds`), `advice_code` the
    /// network's advice on retrying (`try_again_later`, `do_not_try_again`).
    pub fn new(
        code: Option<&str>,
        decline_code: Option<&str>,
        advice_code: Option<&str>,
        message: Option<&str>,
    ) -> Self {
        Self {
            code: kept(code, Self::MAX_CODE_LEN),
            decline_code: kept(decline_code, Self::MAX_CODE_LEN),
            advice_code: kept(advice_code, Self::MAX_CODE_LEN),
            message: kept(message, Self::MAX_MESSAGE_LEN),
        }
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn decline_code(&self) -> Option<&str> {
        self.decline_code.as_deref()
    }

    pub fn advice_code(&self) -> Option<&str> {
        self.advice_code.as_deref()
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Whether retrying this card is pointless or forbidden
    /// ([`DunningPolicy::stops_retrying`]).
    pub fn stops_retrying(&self) -> bool {
        DunningPolicy::stops_retrying(self.advice_code(), self.decline_code())
    }

    /// Whether the bank wants the customer present (3-D Secure): an off-session retry would
    /// be refused the same way, so the customer gets a payment link instead.
    pub fn needs_customer(&self) -> bool {
        [self.code(), self.decline_code()].contains(&Some("authentication_required"))
    }
}

/// `text` trimmed, `None` when blank, cut to `max` characters.
fn kept(text: Option<&str>, max: usize) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    })
}

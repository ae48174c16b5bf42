//! Payments recorded against an invoice (by hand: a bank transfer, a cheque; or a card the
//! payment provider charged) and the terms an invoice is due on.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{DomainError, billing::bounded_text};

/// How an invoice was paid: as the operator records it, or `Card` when the payment provider
/// charged it (the reference is then the provider's payment id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    BankTransfer,
    Cash,
    Card,
    Check,
    Other,
}

impl PaymentMethod {
    pub const ALL: [Self; 5] = [
        Self::BankTransfer,
        Self::Cash,
        Self::Card,
        Self::Check,
        Self::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Cash => "cash",
            Self::Card => "card",
            Self::Check => "check",
            Self::Other => "other",
        }
    }

    /// How a receipt prints it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::BankTransfer => "Bank transfer",
            Self::Cash => "Cash",
            Self::Card => "Card",
            Self::Check => "Check",
            Self::Other => "Other",
        }
    }

    /// # Errors
    /// `Invalid` for anything but the five names, which the message lists.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == text)
            .ok_or_else(|| DomainError::Invalid {
                field: "method",
                reason: format!(
                    "`{}` is not one of bank_transfer, cash, card, check, other",
                    crate::error::cut(text)
                ),
            })
    }
}

/// A payment as recorded against an invoice: how, and the payer's reference (the transfer's
/// wording, a cheque number) to reconcile it with the bank statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    method: PaymentMethod,
    reference: Option<String>,
}

impl Payment {
    pub const MAX_REFERENCE_LEN: usize = 200;

    /// # Errors
    /// `Empty` for a blank reference (leave it out instead), `TooLong` past 200 characters.
    pub fn new(method: PaymentMethod, reference: Option<&str>) -> Result<Self, DomainError> {
        let reference = reference
            .map(|text| bounded_text("reference", text, Self::MAX_REFERENCE_LEN))
            .transpose()?;
        Ok(Self { method, reference })
    }

    pub fn method(&self) -> PaymentMethod {
        self.method
    }

    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

/// Days between an invoice's issue and its due date ("net 30"): the customer's own, else the
/// organization's, else [`NetTerms::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetTerms(u16);

impl NetTerms {
    pub const DEFAULT: Self = Self(30);
    /// A year: longer terms are a loan, not an invoice.
    pub const MAX_DAYS: u16 = 365;

    /// # Errors
    /// `OutOfRange` past 365 days.
    pub fn new(days: u16) -> Result<Self, DomainError> {
        if days > Self::MAX_DAYS {
            return Err(DomainError::OutOfRange {
                field: "net_terms_days",
                text: format!("{days} (0 to {})", Self::MAX_DAYS),
            });
        }
        Ok(Self(days))
    }

    /// # Errors
    /// `OutOfRange` for a negative count or one past 365 days.
    pub fn from_stored(days: i64) -> Result<Self, DomainError> {
        let days = u16::try_from(days).map_err(|_| DomainError::OutOfRange {
            field: "net_terms_days",
            text: format!("{days} (0 to {})", Self::MAX_DAYS),
        })?;
        Self::new(days)
    }

    pub fn days(&self) -> u16 {
        self.0
    }

    /// The first of `terms` that is set (customer, then organization), else the default.
    pub fn first_of(terms: impl IntoIterator<Item = Option<Self>>) -> Self {
        terms.into_iter().flatten().next().unwrap_or(Self::DEFAULT)
    }

    /// When an invoice issued at `issued` is due: whole days later, at the same instant, so
    /// "net 0" is due on issue.
    pub fn due(&self, issued: DateTime<Utc>) -> DateTime<Utc> {
        issued
            .checked_add_signed(TimeDelta::days(i64::from(self.0)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl Default for NetTerms {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn methods_are_four_names_and_nothing_else() {
        for method in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(method.as_str()), Ok(method));
        }
        let refused = PaymentMethod::parse("wire").unwrap_err();
        assert!(refused.to_string().contains("bank_transfer"), "{refused}");
        assert!(
            PaymentMethod::parse(&"x".repeat(10_000))
                .unwrap_err()
                .to_string()
                .len()
                < 200
        );
    }

    #[test]
    fn references_are_trimmed_non_blank_and_bounded() {
        let payment = Payment::new(PaymentMethod::BankTransfer, Some("  INV 42 ")).unwrap();
        assert_eq!(payment.reference(), Some("INV 42"));
        assert!(matches!(
            Payment::new(PaymentMethod::Cash, Some("  ")),
            Err(DomainError::Empty { .. })
        ));
        assert!(Payment::new(PaymentMethod::Check, Some(&"9".repeat(200))).is_ok());
        assert!(matches!(
            Payment::new(PaymentMethod::Check, Some(&"9".repeat(201))),
            Err(DomainError::TooLong { .. })
        ));
        assert_eq!(
            Payment::new(PaymentMethod::Other, None)
                .unwrap()
                .reference(),
            None
        );
    }

    #[test]
    fn terms_run_from_the_issue_in_whole_days_the_customers_first() {
        let issued = Utc.with_ymd_and_hms(2026, 1, 31, 10, 15, 0).unwrap();
        let due = NetTerms::DEFAULT.due(issued);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 0).unwrap());
        assert_eq!(NetTerms::new(0).unwrap().due(issued), issued);
        assert!(NetTerms::new(365).is_ok());
        assert!(NetTerms::new(366).is_err());
        assert!(NetTerms::from_stored(-1).is_err());
        let (customer, organization) = (NetTerms::new(10).ok(), NetTerms::new(45).ok());
        assert_eq!(NetTerms::first_of([customer, organization]).days(), 10);
        assert_eq!(NetTerms::first_of([None, organization]).days(), 45);
        assert_eq!(NetTerms::first_of([None, None]), NetTerms::DEFAULT);
    }
}

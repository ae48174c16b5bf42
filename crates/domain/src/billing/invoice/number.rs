//! Invoice numbers: an organization's prefix and its gapless sequence (`ACME-000042`).

use std::fmt;

use crate::{DomainError, error::cut};

/// The legal number of a finalized invoice. The sequence is allocated by the store, one
/// organization at a time and without gaps (tax law in many countries requires it); this
/// type only gives it its printed form: the prefix, a dash, and the sequence padded to six
/// digits (wider once it outgrows them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceNumber {
    prefix: String,
    sequence: u64,
}

impl InvoiceNumber {
    pub const MAX_PREFIX_LEN: usize = 20;
    const DIGITS: usize = 6;

    /// Upper-cases the prefix (an organization slug `demo-co` prints as `DEMO-CO`).
    ///
    /// # Errors
    /// `Invalid` for a prefix that is empty, longer than 20 characters, or holds anything but
    /// ASCII letters, digits and inner dashes; for a sequence of 0 (numbering starts at 1).
    pub fn new(prefix: &str, sequence: u64) -> Result<Self, DomainError> {
        let invalid = |reason: String| DomainError::Invalid {
            field: "invoice number",
            reason,
        };
        let valid_prefix = !prefix.is_empty()
            && prefix.len() <= Self::MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !prefix.starts_with('-')
            && !prefix.ends_with('-');
        if !valid_prefix {
            return Err(invalid(format!(
                "prefix `{}` must be 1 to {} letters, digits and inner dashes",
                cut(prefix),
                Self::MAX_PREFIX_LEN
            )));
        }
        if sequence == 0 {
            return Err(invalid("sequence numbers start at 1".to_owned()));
        }
        Ok(Self {
            prefix: prefix.to_ascii_uppercase(),
            sequence,
        })
    }

    /// Reads a number in its printed form, and only that form (`ACME-000042`, not `ACME-42`):
    /// two spellings of one number would defeat a uniqueness check.
    ///
    /// # Errors
    /// `Invalid` for anything this type's `Display` would not print.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::Invalid {
            field: "invoice number",
            reason: format!("`{}` is not an invoice number like ACME-000042", cut(text)),
        };
        let (prefix, digits) = text.rsplit_once('-').ok_or_else(invalid)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let sequence = digits.parse().map_err(|_| invalid())?;
        let number = Self::new(prefix, sequence).map_err(|_| invalid())?;
        if number.to_string() != text {
            return Err(invalid());
        }
        Ok(number)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:0width$}",
            self.prefix,
            self.sequence,
            width = Self::DIGITS
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_the_prefix_and_a_padded_sequence() {
        assert_eq!(
            InvoiceNumber::new("ORG", 42).unwrap().to_string(),
            "ORG-000042"
        );
        assert_eq!(
            InvoiceNumber::new("demo-co", 1).unwrap().to_string(),
            "DEMO-CO-000001"
        );
        assert_eq!(
            InvoiceNumber::new("ORG", 1_234_567).unwrap().to_string(),
            "ORG-1234567"
        );
        for (prefix, sequence) in [("", 1), ("-ORG", 1), ("O G", 1), ("ORG", 0)] {
            assert!(
                InvoiceNumber::new(prefix, sequence).is_err(),
                "{prefix} {sequence}"
            );
        }
        assert!(InvoiceNumber::new(&"A".repeat(21), 1).is_err());
    }

    #[test]
    fn only_the_printed_form_parses_back() {
        let number = InvoiceNumber::parse("DEMO-CO-000042").unwrap();
        assert_eq!((number.prefix(), number.sequence()), ("DEMO-CO", 42));
        assert_eq!(
            InvoiceNumber::parse("ORG-1234567").unwrap().sequence(),
            1_234_567
        );
        for text in [
            "ORG-42",
            "org-000042",
            "ORG000042",
            "ORG-+00042",
            "ORG-000000",
            "-000001",
        ] {
            assert!(InvoiceNumber::parse(text).is_err(), "{text}");
        }
    }
}

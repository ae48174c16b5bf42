//! Idempotency keys for the payment provider, built from Tollgate's ids so that a retry after
//! a crash or a lost answer sends the same key and the provider answers its first result.

use std::fmt;

use tollgate_domain::DomainError;

/// The provider's limit on `Idempotency-Key`.
const MAX_LEN: usize = 255;

/// One key per provider-side effect: the kind of effect and the Tollgate ids that make it
/// unique (`pi:<invoice>:<attempt>`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `kind:part:part…`.
    ///
    /// # Errors
    /// `Invalid` when the key would be longer than 255 characters or hold characters other
    /// than printable ASCII (the header cannot carry them).
    pub fn new(kind: &str, parts: &[&str]) -> Result<Self, DomainError> {
        let mut key = kind.to_owned();
        for part in parts {
            key.push(':');
            key.push_str(part);
        }
        let invalid = |reason: &str| DomainError::Invalid {
            field: "idempotency key",
            reason: reason.to_owned(),
        };
        if key.len() > MAX_LEN {
            return Err(invalid("longer than the provider's 255 characters"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "only printable ASCII without spaces fits the header",
            ));
        }
        Ok(Self(key))
    }

    /// `cus:<customer>`: one provider customer per Tollgate customer.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn customer(customer: &str) -> Result<Self, DomainError> {
        Self::new("cus", &[customer])
    }

    /// `pi:<invoice>:<attempt>`: one charge per attempt at an invoice.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn charge(invoice: &str, attempt: u32) -> Result<Self, DomainError> {
        Self::new("pi", &[invoice, &attempt.to_string()])
    }

    /// `re:<refund>`.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn refund(refund: &str) -> Result<Self, DomainError> {
        Self::new("re", &[refund])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_tollgate_ids_and_fit_the_header() {
        assert_eq!(
            IdempotencyKey::charge("inv_42", 3).unwrap().as_str(),
            "pi:inv_42:3"
        );
        assert_eq!(IdempotencyKey::customer("c1").unwrap().as_str(), "cus:c1");
        assert_eq!(IdempotencyKey::refund("r9").unwrap().to_string(), "re:r9");
        assert!(IdempotencyKey::new("cs", &[&"x".repeat(300)]).is_err());
        assert!(IdempotencyKey::new("cs", &["a b"]).is_err());
        assert!(IdempotencyKey::new("cs", &["é"]).is_err());
    }
}

//! The organization: the operator that resells AI and owns every other row.

use std::fmt;

use uuid::Uuid;

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganizationId(Uuid);

impl OrganizationId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for OrganizationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for OrganizationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A short, URL-safe name for an organization (`acme`, `demo-co`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrganizationSlug(String);

impl OrganizationSlug {
    const MAX_LEN: usize = 63;

    /// # Errors
    /// `InvalidSlug` unless the text is 1 to 63 lower-case ASCII letters, digits or inner dashes.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if text.is_empty()
            || text.len() > Self::MAX_LEN
            || !valid_chars
            || text.starts_with('-')
            || text.ends_with('-')
        {
            return Err(DomainError::InvalidSlug(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert!(OrganizationSlug::parse("acme").is_ok());
        assert!(OrganizationSlug::parse("demo-co-2").is_ok());
        for bad in [
            "",
            "Acme",
            "-acme",
            "acme-",
            "ac me",
            "acme_co",
            &"a".repeat(64),
        ] {
            assert!(OrganizationSlug::parse(bad).is_err(), "{bad}");
        }
    }
}

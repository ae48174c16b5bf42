//! Where and how a customer is billed: e-mail, postal address, tax id, time zone.

use std::fmt;

use super::super::bounded_text;
use crate::{DomainError, error::cut};

/// The address invoices are sent to. Checked for shape only (one `@`, a dotted domain, no
/// spaces): whether it receives mail is for the mailer to find out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BillingEmail(String);

impl BillingEmail {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    /// # Errors
    /// `Empty`, `TooLong`, or `Invalid` for text that is not shaped like `name@example.com`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = bounded_text("billing email", text, Self::MAX_LEN)?;
        let invalid = || DomainError::Invalid {
            field: "billing email",
            reason: format!("`{}` is not an e-mail address", cut(&text)),
        };
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.split('.').count() >= 2
            && domain.split('.').all(|label| !label.is_empty())
            && !text.chars().any(char::is_whitespace);
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BillingEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code (`FR`, `US`), upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// # Errors
    /// `Invalid` unless the text is two ASCII letters (in any case).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let letters: Option<[u8; 2]> = text.as_bytes().try_into().ok();
        match letters {
            Some(letters) if letters.iter().all(u8::is_ascii_alphabetic) => {
                Ok(Self(letters.map(|b| b.to_ascii_uppercase())))
            }
            _ => Err(DomainError::Invalid {
                field: "country",
                reason: format!("`{}` is not a two-letter ISO 3166 country code", cut(text)),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in, so this is always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// A postal address as printed on an invoice. Only the first line, the city and the country
/// are required: postal codes and states do not exist everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub state: Option<String>,
    pub country: CountryCode,
}

impl Address {
    const MAX_LEN: usize = 255;

    /// Trims every part and turns blank optional parts into `None`.
    ///
    /// # Errors
    /// `Empty` for a blank first line or city, `TooLong` for a part past 255 characters.
    pub fn new(
        line1: &str,
        line2: Option<&str>,
        city: &str,
        postal_code: Option<&str>,
        state: Option<&str>,
        country: CountryCode,
    ) -> Result<Self, DomainError> {
        let optional = |field, text: Option<&str>| {
            text.filter(|t| !t.trim().is_empty())
                .map(|t| bounded_text(field, t, Self::MAX_LEN))
                .transpose()
        };
        Ok(Self {
            line1: bounded_text("address line 1", line1, Self::MAX_LEN)?,
            line2: optional("address line 2", line2)?,
            city: bounded_text("city", city, Self::MAX_LEN)?,
            postal_code: optional("postal code", postal_code)?,
            state: optional("state", state)?,
            country,
        })
    }
}

/// A tax registration number (VAT, GST, EIN...), as the customer gave it. Its format differs
/// by country and checking it against a registry is I/O, so only its length is checked here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxId(String);

impl TaxId {
    pub const MAX_LEN: usize = 64;

    /// # Errors
    /// `Empty` for blank text, `TooLong` past 64 characters.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Ok(Self(bounded_text("tax id", text, Self::MAX_LEN)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name (`Europe/Paris`, `UTC`) that dates on the customer's invoices are
/// shown in. Checked for shape here; the adapter that formats dates resolves it (the domain
/// carries no time zone database).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timezone(String);

impl Timezone {
    const MAX_LEN: usize = 64;

    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// # Errors
    /// `Empty`, `TooLong` past 64 characters, or `Invalid` for characters no IANA name uses.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let name = bounded_text("timezone", text, Self::MAX_LEN)?;
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if !valid {
            return Err(DomainError::Invalid {
                field: "timezone",
                reason: format!("`{name}` is not an IANA time zone name"),
            });
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self::utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_emails_are_shaped_like_addresses() {
        assert_eq!(
            BillingEmail::parse(" billing@acme.example ")
                .unwrap()
                .as_str(),
            "billing@acme.example"
        );
        for text in [
            "",
            "acme",
            "@acme.example",
            "a@b",
            "a@b..c",
            "a b@c.d",
            "a@b@c.d",
        ] {
            assert!(BillingEmail::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn addresses_need_a_street_a_city_and_a_country() {
        let fr = CountryCode::parse("fr").unwrap();
        assert_eq!(fr.as_str(), "FR");
        assert!(CountryCode::parse("FRA").is_err());
        assert!(CountryCode::parse("F1").is_err());
        let address = Address::new(
            "1 rue de Rivoli",
            Some(" "),
            "Paris",
            Some("75001"),
            None,
            fr,
        )
        .unwrap();
        assert_eq!(address.line2, None);
        assert_eq!(address.postal_code.as_deref(), Some("75001"));
        assert!(matches!(
            Address::new("1 rue de Rivoli", None, " ", None, None, fr),
            Err(DomainError::Empty { field: "city" })
        ));
    }

    #[test]
    fn tax_ids_and_timezones_are_checked_for_shape() {
        assert_eq!(
            TaxId::parse(" FR40303265045 ").unwrap().as_str(),
            "FR40303265045"
        );
        assert!(TaxId::parse("").is_err());
        assert!(TaxId::parse(&"9".repeat(65)).is_err());
        for name in [
            "UTC",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
        ] {
            assert_eq!(Timezone::parse(name).unwrap().as_str(), name);
        }
        for name in ["", "Europe/Paris; DROP", "+01:00", "../etc"] {
            assert!(Timezone::parse(name).is_err(), "{name}");
        }
        assert_eq!(Timezone::default(), Timezone::utc());
    }
}

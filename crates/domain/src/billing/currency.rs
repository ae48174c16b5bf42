//! Currencies: an ISO 4217 code and how many minor units (decimal places) it is paid in.

use std::fmt;

use crate::{DomainError, error::cut};

/// An ISO 4217 currency and its minor units: USD is paid in cents (2), JPY in whole yen (0).
///
/// The minor units decide where every invoice line is rounded, so a code always comes with its
/// own: the common currencies are known, and any other must be built with its minor units
/// spelled out ([`Currency::with_minor_units`]) rather than guessed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// ISO 4217 allows at most 4 decimal places (e.g. the Chilean UF, CLF).
const MAX_MINOR_UNITS: u8 = 4;

impl Currency {
    pub const USD: Self = Self::known(*b"USD", 2);
    pub const EUR: Self = Self::known(*b"EUR", 2);
    pub const GBP: Self = Self::known(*b"GBP", 2);
    pub const JPY: Self = Self::known(*b"JPY", 0);
    pub const CHF: Self = Self::known(*b"CHF", 2);
    pub const CAD: Self = Self::known(*b"CAD", 2);
    pub const AUD: Self = Self::known(*b"AUD", 2);

    /// The currencies [`Currency::parse`] knows without being told their minor units.
    pub const KNOWN: [Self; 26] = [
        Self::USD,
        Self::EUR,
        Self::GBP,
        Self::JPY,
        Self::CHF,
        Self::CAD,
        Self::AUD,
        Self::known(*b"NZD", 2),
        Self::known(*b"SEK", 2),
        Self::known(*b"NOK", 2),
        Self::known(*b"DKK", 2),
        Self::known(*b"PLN", 2),
        Self::known(*b"CZK", 2),
        Self::known(*b"SGD", 2),
        Self::known(*b"HKD", 2),
        Self::known(*b"CNY", 2),
        Self::known(*b"INR", 2),
        Self::known(*b"BRL", 2),
        Self::known(*b"MXN", 2),
        Self::known(*b"ZAR", 2),
        Self::known(*b"KRW", 0),
        Self::known(*b"ISK", 0),
        Self::known(*b"CLP", 0),
        Self::known(*b"VND", 0),
        Self::known(*b"KWD", 3),
        Self::known(*b"BHD", 3),
    ];

    const fn known(code: [u8; 3], minor_units: u8) -> Self {
        Self { code, minor_units }
    }

    /// A known currency by its code, in any letter case (`usd`, `EUR`).
    ///
    /// # Errors
    /// `UnknownCurrency` for a code not in [`Currency::KNOWN`]: build it with
    /// [`Currency::with_minor_units`].
    pub fn parse(code: &str) -> Result<Self, DomainError> {
        let unknown = || DomainError::UnknownCurrency(code.to_owned());
        let code = parse_code(code).ok_or_else(unknown)?;
        Self::KNOWN
            .into_iter()
            .find(|c| c.code == code)
            .ok_or_else(unknown)
    }

    /// Any ISO 4217-shaped code with explicit minor units (0 to 4).
    ///
    /// # Errors
    /// `Invalid` for a code that is not three letters, for more than 4 minor units, or for a
    /// known currency given minor units other than its own (`JPY` with 2 would bill
    /// fractions of a yen).
    pub fn with_minor_units(code: &str, minor_units: u8) -> Result<Self, DomainError> {
        let invalid = |reason: String| DomainError::Invalid {
            field: "currency",
            reason,
        };
        let parsed = parse_code(code).ok_or_else(|| {
            invalid(format!(
                "`{}` is not a three-letter ISO 4217 code",
                cut(code)
            ))
        })?;
        if minor_units > MAX_MINOR_UNITS {
            return Err(invalid(format!(
                "{minor_units} minor units is more than ISO 4217's {MAX_MINOR_UNITS}"
            )));
        }
        let currency = Self {
            code: parsed,
            minor_units,
        };
        match Self::KNOWN.into_iter().find(|c| c.code == parsed) {
            Some(known) if known.minor_units != minor_units => Err(invalid(format!(
                "{} has {} minor units, not {minor_units}",
                known.code(),
                known.minor_units
            ))),
            _ => Ok(currency),
        }
    }

    /// The upper-case ISO 4217 code (`USD`).
    pub fn code(&self) -> &str {
        // Only ASCII letters get in (see `parse_code`), so this is always valid UTF-8.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Decimal places of the smallest unit the currency is paid in (2 for cents).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }
}

/// An ISO 4217-shaped code on its own, without minor units: what a filter names. Unlike
/// [`Currency::parse`] it takes any three letters, since a customer may be billed in a
/// currency built with its minor units spelled out, and a list must be filterable by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// Three ASCII letters in any case (`eur`, `TND`).
    ///
    /// # Errors
    /// `UnknownCurrency` for anything else.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        parse_code(text)
            .map(Self)
            .ok_or_else(|| DomainError::UnknownCurrency(text.to_owned()))
    }

    /// The upper-case code (`EUR`).
    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in (see `parse_code`).
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl From<Currency> for CurrencyCode {
    fn from(currency: Currency) -> Self {
        Self(currency.code)
    }
}

fn parse_code(text: &str) -> Option<[u8; 3]> {
    let bytes: [u8; 3] = text.as_bytes().try_into().ok()?;
    bytes
        .iter()
        .all(u8::is_ascii_alphabetic)
        .then(|| bytes.map(|b| b.to_ascii_uppercase()))
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.code(), self.minor_units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_parse_in_any_case_with_their_minor_units() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::EUR.to_string(), "EUR");
        for code in ["", "US", "USDX", "U$D", "XTS"] {
            assert!(
                matches!(Currency::parse(code), Err(DomainError::UnknownCurrency(_))),
                "{code}"
            );
        }
    }

    #[test]
    fn a_code_alone_is_any_three_letters_in_upper_case() {
        assert_eq!(CurrencyCode::parse("tnd").unwrap().as_str(), "TND");
        assert_eq!(CurrencyCode::from(Currency::EUR).as_str(), "EUR");
        for code in ["", "EU", "EURO", "E1R", "€UR"] {
            assert!(
                matches!(
                    CurrencyCode::parse(code),
                    Err(DomainError::UnknownCurrency(_))
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn other_currencies_need_their_minor_units_spelled_out() {
        let tnd = Currency::with_minor_units("tnd", 3).unwrap();
        assert_eq!((tnd.code(), tnd.minor_units()), ("TND", 3));
        assert_eq!(Currency::with_minor_units("USD", 2).unwrap(), Currency::USD);
        assert!(Currency::with_minor_units("JPY", 2).is_err());
        assert!(Currency::with_minor_units("XYZ", 5).is_err());
        assert!(Currency::with_minor_units("X1Z", 2).is_err());
    }
}

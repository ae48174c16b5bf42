//! Tax rates: a percentage of the subtotal, rounded once.

use rust_decimal::Decimal;

use super::super::{Money, non_negative, overflow};
use crate::{DomainError, money::parse_exact_decimal};

/// A tax rate in percent (`20` for 20 % VAT, `8.875` for New York sales tax). Which rate
/// applies to which customer is decided outside the domain; the invoice only applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TaxRate(Decimal);

impl TaxRate {
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// # Errors
    /// `Negative` below 0 %, `OutOfRange` above 100 %.
    pub fn new(percent: Decimal) -> Result<Self, DomainError> {
        let percent = non_negative("tax rate", percent)?;
        if percent > Decimal::ONE_HUNDRED {
            return Err(DomainError::OutOfRange {
                field: "tax rate",
                text: format!("{percent} %"),
            });
        }
        Ok(Self(percent))
    }

    /// A rate as an API client or the configuration writes it: a decimal string of percent
    /// (`"20"`, `"8.875"`), kept exact and without trailing zeros.
    ///
    /// # Errors
    /// `NotANumber` for text that is not a decimal number (`"abc"`, `"20%"`), `TooPrecise` for
    /// more digits than a decimal holds (never rounded), `Negative` and `OutOfRange` as
    /// [`TaxRate::new`].
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::new(parse_exact_decimal("tax rate", text)?.normalize())
    }

    pub fn percent(&self) -> Decimal {
        self.0
    }

    /// The tax on `subtotal`, rounded half-even to the minor unit. Tax is computed once on the
    /// subtotal rather than per line, so it does not gather a rounding error from each line.
    ///
    /// # Errors
    /// `Overflow` past what a decimal holds.
    pub fn tax_on(&self, subtotal: Money) -> Result<Money, DomainError> {
        let tax = subtotal
            .amount()
            .checked_mul(self.0)
            .and_then(|t| t.checked_div(Decimal::ONE_HUNDRED))
            .ok_or_else(|| overflow("tax"))?;
        Ok(Money::new(tax, subtotal.currency()).round_to_minor_half_even())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::Currency;

    #[test]
    fn tax_is_a_bounded_percentage_rounded_half_even() {
        let rate = TaxRate::new(Decimal::from(20)).unwrap();
        let subtotal = Money::from_minor(7134, Currency::USD);
        assert_eq!(rate.tax_on(subtotal).unwrap().to_string(), "14.27 USD");
        // 0.625 is a tie: half-even goes to 0.62.
        let rate = TaxRate::new(Decimal::new(125, 1)).unwrap();
        assert_eq!(
            rate.tax_on(Money::from_minor(500, Currency::USD))
                .unwrap()
                .amount(),
            Decimal::new(62, 2)
        );
        assert!(TaxRate::new(Decimal::NEGATIVE_ONE).is_err());
        assert!(TaxRate::new(Decimal::from(101)).is_err());
        assert_eq!(
            TaxRate::ZERO.tax_on(subtotal).unwrap(),
            Money::zero(Currency::USD)
        );
    }

    #[test]
    fn a_rate_parses_from_exact_percent_text_from_0_to_100() {
        let percent = |text: &str| TaxRate::parse(text).map(|rate| rate.percent().to_string());
        assert_eq!(percent("20").unwrap(), "20");
        assert_eq!(percent(" 8.875 ").unwrap(), "8.875");
        assert_eq!(percent("20.000").unwrap(), "20");
        assert_eq!(percent("0").unwrap(), "0");
        assert_eq!(percent("100").unwrap(), "100");
        let code = |text: &str| TaxRate::parse(text).unwrap_err().code();
        assert_eq!(code("-1"), "negative_value");
        assert_eq!(code("-0.001"), "negative_value");
        assert_eq!(code("101"), "out_of_range");
        assert_eq!(code("100.0001"), "out_of_range");
        assert_eq!(code("abc"), "not_a_number");
        assert_eq!(code("20%"), "not_a_number");
        assert_eq!(code(""), "not_a_number");
        assert_eq!(code("NaN"), "not_a_number");
        assert_eq!(code("0.000000000000000000000000000001"), "too_precise");
    }
}

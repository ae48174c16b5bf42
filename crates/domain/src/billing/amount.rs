//! Money: an exact decimal amount in one currency.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use super::{Currency, non_negative, overflow};
use crate::DomainError;

/// An exact amount in one currency. It may carry more decimals than the currency (an unrounded
/// price) until [`Money::round_to_minor_half_even`] brings it to the currency's minor unit.
///
/// Arithmetic is checked: adding two currencies is a [`DomainError::CurrencyMismatch`], never a
/// silent sum, and overflow is an error rather than a panic. Amounts may be negative (a
/// difference); the places that take prices refuse negatives themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        let mut amount = amount;
        if amount.is_zero() {
            // A negative zero would print as `-0.00` on an invoice.
            amount.set_sign_positive(true);
        }
        Self { amount, currency }
    }

    /// # Errors
    /// `Negative` naming `field` for an amount below zero.
    pub fn non_negative(
        field: &'static str,
        amount: Decimal,
        currency: Currency,
    ) -> Result<Self, DomainError> {
        Ok(Self::new(non_negative(field, amount)?, currency))
    }

    /// Zero, written with the currency's minor units (`0.00` for USD).
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency).round_to_minor_half_even()
    }

    /// An amount given in minor units, as payment providers count (`1234` cents is `12.34`).
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self::new(
            Decimal::from_i128_with_scale(i128::from(minor), currency.minor_units()),
            currency,
        )
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// Whether the amount has no digits below the currency's minor unit.
    pub fn is_rounded(&self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }

    /// The amount in minor units (`12.34` USD is `1234`), when it is rounded and fits in `i64`.
    pub fn to_minor(&self) -> Option<i64> {
        if !self.is_rounded() {
            return None;
        }
        let mut scaled = self.amount;
        scaled.rescale(self.currency.minor_units());
        i64::try_from(scaled.mantissa()).ok()
    }

    /// Rounds to the currency's minor unit, half to even (banker's rounding): `0.125` → `0.12`,
    /// `0.135` → `0.14`, and for JPY `12.5` → `12`. The result is written with exactly the minor
    /// units (`12.3` → `12.30`), so it prints as an invoice shows it.
    ///
    /// Half-even, because half-up biases every tie upwards and those cents add up over many
    /// lines; ties are rare with long prices, but not with round ones (`0.5 × 0.25`).
    #[must_use]
    pub fn round_to_minor_half_even(&self) -> Self {
        let places = self.currency.minor_units();
        let mut rounded = self
            .amount
            .round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
        // Only pads with zeros: the value already has at most `places` decimals.
        rounded.rescale(places);
        Self::new(rounded, self.currency)
    }

    /// # Errors
    /// `CurrencyMismatch` for another currency, `Overflow` past what a decimal holds.
    pub fn checked_add(&self, other: Self) -> Result<Self, DomainError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| overflow("amount"))?;
        Ok(Self::new(sum, self.currency))
    }

    /// # Errors
    /// `CurrencyMismatch` for another currency, `Overflow` past what a decimal holds.
    pub fn checked_sub(&self, other: Self) -> Result<Self, DomainError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or_else(|| overflow("amount"))?;
        Ok(Self::new(difference, self.currency))
    }

    /// # Errors
    /// `Overflow` past what a decimal holds.
    pub fn checked_mul(&self, factor: Decimal) -> Result<Self, DomainError> {
        let product = self
            .amount
            .checked_mul(factor)
            .ok_or_else(|| overflow("amount"))?;
        Ok(Self::new(product, self.currency))
    }

    /// The exact sum of `amounts`, zero for none.
    ///
    /// # Errors
    /// `CurrencyMismatch` when one is not in `currency`, `Overflow` past what a decimal holds.
    pub fn sum(
        currency: Currency,
        amounts: impl IntoIterator<Item = Self>,
    ) -> Result<Self, DomainError> {
        amounts
            .into_iter()
            .try_fold(Self::zero(currency), |total, amount| {
                total.checked_add(amount)
            })
    }

    /// # Errors
    /// `CurrencyMismatch` when `other` is in another currency.
    pub fn same_currency(&self, other: Self) -> Result<(), DomainError> {
        if self.currency == other.currency {
            return Ok(());
        }
        Err(DomainError::CurrencyMismatch {
            expected: self.currency.to_string(),
            found: other.currency.to_string(),
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn usd(text: &str) -> Money {
        Money::new(Decimal::from_str(text).unwrap(), Currency::USD)
    }

    fn rounded(text: &str, currency: Currency) -> String {
        Money::new(Decimal::from_str(text).unwrap(), currency)
            .round_to_minor_half_even()
            .amount()
            .to_string()
    }

    #[test]
    fn rounds_half_to_even_at_the_minor_unit() {
        let cases = [
            ("0.125", "0.12"),
            ("0.135", "0.14"),
            ("0.1250000001", "0.13"),
            ("2.5", "2.50"),
            ("17.845", "17.84"),
            ("0.0000049999999999999996", "0.00"),
            ("-0.125", "-0.12"),
            ("-0.001", "0.00"),
        ];
        for (amount, expected) in cases {
            assert_eq!(rounded(amount, Currency::USD), expected, "{amount}");
        }
        for (amount, expected) in [("12.5", "12"), ("13.5", "14"), ("0.4", "0"), ("99", "99")] {
            assert_eq!(rounded(amount, Currency::JPY), expected, "JPY {amount}");
        }
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(rounded("1.0005", kwd), "1.000");
        assert_eq!(rounded("1.0015", kwd), "1.002");
    }

    #[test]
    fn rounded_amounts_print_with_the_minor_units_and_convert_to_minor() {
        let amount = usd("12.3").round_to_minor_half_even();
        assert_eq!(amount.to_string(), "12.30 USD");
        assert_eq!(amount.to_minor(), Some(1230));
        assert_eq!(usd("12.301").to_minor(), None);
        assert!(usd("12.3000").is_rounded());
        assert_eq!(Money::from_minor(1234, Currency::USD), usd("12.34"));
        assert_eq!(
            Money::from_minor(1234, Currency::JPY).amount(),
            Decimal::from(1234)
        );
        assert_eq!(Money::zero(Currency::EUR).to_string(), "0.00 EUR");
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies_and_overflow() {
        let eur = Money::new(Decimal::ONE, Currency::EUR);
        assert_eq!(
            usd("1").checked_add(eur),
            Err(DomainError::CurrencyMismatch {
                expected: "USD".into(),
                found: "EUR".into()
            })
        );
        assert!(usd("1").checked_sub(eur).is_err());
        let max = Money::new(Decimal::MAX, Currency::USD);
        assert!(matches!(
            max.checked_add(usd("1")),
            Err(DomainError::Overflow { .. })
        ));
        assert!(max.checked_mul(Decimal::TWO).is_err());
        assert_eq!(usd("0.1").checked_add(usd("0.2")).unwrap(), usd("0.3"));
        assert_eq!(
            Money::sum(Currency::USD, [usd("0.10"), usd("0.20"), usd("0.03")]).unwrap(),
            usd("0.33")
        );
    }

    #[test]
    fn negatives_are_refused_where_asked_and_negative_zero_is_zero() {
        assert!(Money::non_negative("price", Decimal::NEGATIVE_ONE, Currency::USD).is_err());
        let zero = Money::new(-Decimal::ZERO, Currency::USD);
        assert!(!zero.is_negative());
        assert_eq!(usd("1").checked_sub(usd("1")).unwrap().to_string(), "0 USD");
    }
}

//! Exact amounts of money. Amounts are `rust_decimal::Decimal` from the moment they are parsed
//! (never `f64`), so the cents on an invoice add up to what the events said.

pub mod minor_units;

use std::fmt;

use rust_decimal::Decimal;

use crate::DomainError;

/// A non-negative amount of US dollars, as LiteLLM reports costs.
///
/// It keeps every digit LiteLLM sent (Python floats printed in full, e.g. `4.9999999999999996e-06`
/// becomes `0.0000049999999999999996`): rounding to cents happens once, on the invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UsdAmount(Decimal);

impl UsdAmount {
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// # Errors
    /// `DomainError::Negative` for an amount below zero.
    pub fn new(amount: Decimal) -> Result<Self, DomainError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(DomainError::Negative {
                field: "cost",
                value: amount.to_string(),
            });
        }
        Ok(Self(amount.normalize()))
    }

    /// Parses the text of a JSON number (`0.000088`, `8.8e-05`, `1E3`) exactly.
    ///
    /// # Errors
    /// `NotANumber` when the text is not a decimal number, `OutOfRange` when it does not fit in
    /// 28 significant digits, `Negative` for an amount below zero.
    pub fn parse_json_number(field: &'static str, text: &str) -> Result<Self, DomainError> {
        Self::new(parse_decimal(field, text)?).map_err(|_| DomainError::Negative {
            field,
            value: text.to_owned(),
        })
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }
}

impl fmt::Display for UsdAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parses JSON number text into an exact decimal, including exponent forms Python emits.
///
/// # Errors
/// `NotANumber` for anything that is not a finite decimal literal, `OutOfRange` when the value
/// needs more than 28 significant digits or its exponent is beyond what a decimal can hold.
pub fn parse_decimal(field: &'static str, text: &str) -> Result<Decimal, DomainError> {
    let not_a_number = || DomainError::NotANumber {
        field,
        text: text.to_owned(),
    };
    let out_of_range = || DomainError::OutOfRange {
        field,
        text: text.to_owned(),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    if !is_decimal_literal(mantissa) {
        return Err(not_a_number());
    }
    let value = Decimal::from_str_exact(mantissa).map_err(|_| out_of_range())?;
    let Some(exponent) = exponent else {
        return Ok(value);
    };
    let exponent: i64 = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .map_err(|_| not_a_number())?;
    scale_by_power_of_ten(value, exponent).ok_or_else(out_of_range)
}

/// Parses an amount someone wrote (a price, a fee, a percentage, a rate) into the exact decimal
/// it says, or refuses it: unlike [`parse_decimal`], which keeps an event's cost by rounding
/// past 28 decimal places, a price that cannot be held to the digit would be stored as
/// another price (`0.000000000000000000000000000001` as `0`: free). Trailing zeros are not
/// precision (`1.50000000000000000000000000000000` is `1.5`); plain and exponent forms are
/// read alike.
///
/// # Errors
/// `NotANumber` for text that is not a decimal literal, `TooPrecise` for digits beyond
/// [`Decimal::MAX_SCALE`] decimal places or 28 significant digits, `OutOfRange` for a value
/// beyond what a decimal holds.
pub fn parse_exact_decimal(field: &'static str, text: &str) -> Result<Decimal, DomainError> {
    let trimmed = text.trim();
    let not_a_number = || DomainError::NotANumber {
        field,
        text: text.to_owned(),
    };
    let too_precise = || DomainError::TooPrecise {
        field,
        text: text.to_owned(),
        max_scale: Decimal::MAX_SCALE,
    };
    let (mantissa, exponent) = match trimmed.find(['e', 'E']) {
        Some(at) => (&trimmed[..at], Some(&trimmed[at + 1..])),
        None => (trimmed, None),
    };
    if !is_decimal_literal(mantissa) {
        return Err(not_a_number());
    }
    let exponent: i64 = match exponent {
        Some(exponent) => exponent
            .strip_prefix('+')
            .unwrap_or(exponent)
            .parse()
            .map_err(|_| not_a_number())?,
        None => 0,
    };
    // Written as it was given (`49.00` stays `49.00`); only zeros past what a decimal holds
    // are dropped.
    let significant = match mantissa.split_once('.') {
        Some((integer, fraction)) => match fraction.trim_end_matches('0') {
            "" => integer.to_owned(),
            fraction => format!("{integer}.{fraction}"),
        },
        None => mantissa.to_owned(),
    };
    let value = match Decimal::from_str_exact(mantissa)
        .or_else(|_| Decimal::from_str_exact(&significant))
    {
        Ok(value) => value,
        // It fits once rounded: the digits it would lose are the problem, not its size.
        Err(_) if significant.parse::<Decimal>().is_ok() => return Err(too_precise()),
        Err(_) => {
            return Err(DomainError::OutOfRange {
                field,
                text: text.to_owned(),
            });
        }
    };
    if exponent >= 0 {
        return scale_by_power_of_ten(value, exponent).ok_or_else(|| DomainError::OutOfRange {
            field,
            text: text.to_owned(),
        });
    }
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let value = value.normalize();
    if i64::from(value.scale()) - exponent > i64::from(Decimal::MAX_SCALE) {
        return Err(too_precise());
    }
    scale_by_power_of_ten(value, exponent).ok_or_else(too_precise)
}

fn is_decimal_literal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let integer = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !integer.is_empty()
        && all_digits(integer)
        && fraction.is_none_or(|f| !f.is_empty() && all_digits(f))
}

fn scale_by_power_of_ten(value: Decimal, exponent: i64) -> Option<Decimal> {
    if value.is_zero() {
        return Some(Decimal::ZERO);
    }
    if exponent >= 0 {
        let power = 10_i128.checked_pow(u32::try_from(exponent).ok()?)?;
        return value.checked_mul(Decimal::try_from_i128_with_scale(power, 0).ok()?);
    }
    let scale = i64::from(value.scale()).checked_sub(exponent)?;
    if scale <= i64::from(Decimal::MAX_SCALE) {
        let mut scaled = value;
        scaled.set_scale(u32::try_from(scale).ok()?).ok()?;
        return Some(scaled);
    }
    // Past 28 decimal places the amount is far below any currency's smallest unit: keep 28
    // places, rounded half-even, rather than refuse an event LiteLLM considers valid.
    let dropped_digits = u32::try_from(scale - i64::from(Decimal::MAX_SCALE)).ok()?;
    let mantissa = value.mantissa();
    let rounded = match 10_i128.checked_pow(dropped_digits) {
        Some(divisor) => {
            let truncated = Decimal::from_i128_with_scale(mantissa, 0)
                .checked_div(Decimal::from_i128_with_scale(divisor, 0))?;
            truncated
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven)
                .mantissa()
        }
        None => 0,
    };
    Some(Decimal::from_i128_with_scale(rounded, Decimal::MAX_SCALE))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_python_float_text_exactly() {
        let cases = [
            ("1.35e-05", "0.0000135"),
            ("8.8e-05", "0.000088"),
            ("4.9999999999999996e-06", "0.0000049999999999999996"),
            ("7.999999999999999e-05", "0.00007999999999999999"),
            ("0.0", "0"),
            ("0", "0"),
            ("12.5", "12.5"),
            ("1E3", "1000"),
            ("1e+2", "100"),
            ("-0.5", "-0.5"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_decimal("cost", text).unwrap(),
                dec(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_text_that_is_not_a_finite_number() {
        for text in [
            "", "abc", "NaN", "Infinity", "1.", ".5", "1e", "1e1.5", "--1", "0x10",
        ] {
            assert!(
                matches!(
                    parse_decimal("cost", text),
                    Err(DomainError::NotANumber { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn tiny_exponents_keep_28_significant_places_and_huge_ones_are_out_of_range() {
        assert_eq!(parse_decimal("cost", "1e-40").unwrap(), Decimal::ZERO);
        assert!(matches!(
            parse_decimal("cost", "1e40"),
            Err(DomainError::OutOfRange { .. })
        ));
    }

    #[test]
    fn amounts_written_by_people_are_exact_or_refused_as_too_precise() {
        let exact = |text| parse_exact_decimal("unit price", text);
        assert_eq!(exact("0.0000025").unwrap(), dec("0.0000025"));
        assert_eq!(exact(" 49.00 ").unwrap().to_string(), "49.00", "as written");
        assert_eq!(exact("2.5e-6").unwrap(), dec("0.0000025"));
        assert_eq!(
            exact("1.5000000000000000000000000000000000").unwrap(),
            dec("1.5")
        );
        assert_eq!(
            exact("0.0000000000000000000000000001").unwrap(),
            Decimal::new(1, 28),
            "28 places fit"
        );
        for text in [
            "0.000000000000000000000000000001",
            "1e-30",
            "1.00000000000000000000000000001",
            "12345678901234567890.123456789012",
        ] {
            assert!(
                matches!(
                    exact(text),
                    Err(DomainError::TooPrecise { max_scale: 28, .. })
                ),
                "{text}: {:?}",
                exact(text)
            );
        }
        assert!(matches!(exact("1e40"), Err(DomainError::OutOfRange { .. })));
        assert!(matches!(
            exact("123456789012345678901234567890"),
            Err(DomainError::OutOfRange { .. })
        ));
        assert!(matches!(exact("1,5"), Err(DomainError::NotANumber { .. })));
        let message = exact("0.000000000000000000000000000001")
            .unwrap_err()
            .to_string();
        assert!(message.contains("28 decimal places"), "{message}");
    }

    #[test]
    fn usd_amount_refuses_negative_costs_but_accepts_zero() {
        assert!(UsdAmount::parse_json_number("cost", "-1e-05").is_err());
        assert_eq!(
            UsdAmount::parse_json_number("cost", "-0.0").unwrap(),
            UsdAmount::ZERO
        );
    }
}

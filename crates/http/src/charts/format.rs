//! Figures as people read them (en-US digit grouping), from the exact decimal, never from a
//! float: `1234.50` shows as `1,234.50`, with every digit it was given.

use std::str::FromStr;

use rust_decimal::Decimal;

/// `value` with its digits exactly as held (its scale kept: `12.50` stays `12.50`) and the
/// whole part grouped by thousands.
pub fn format_decimal(value: &Decimal) -> String {
    let text = value.to_string();
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3);
    grouped.push_str(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

/// The API's exact decimal strings as decimals.
///
/// # Errors
/// The first text that is not a decimal number, as given.
pub fn parse_values<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Decimal>, String> {
    texts
        .iter()
        .map(|text| Decimal::from_str(text.as_ref()).map_err(|_| text.as_ref().to_owned()))
        .collect()
}

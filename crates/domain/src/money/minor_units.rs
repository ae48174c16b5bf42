//! Amounts as Stripe's API carries them: an integer count of the currency's minor unit
//! (`amount=1250` is 12.50 USD, `amount=500` is 500 JPY), per Stripe's currency guide
//! (docs.stripe.com/currencies). The exponent is Stripe's, not ISO 4217's: ISK and UGX have no
//! minor unit but Stripe still wants them in hundredths, `00` at the end.
//!
//! An amount that cannot be sent exactly is refused, never rounded: Tollgate is the invoice of
//! record, and a charge that differs from its invoice by a rounding is a wrong charge.

use rust_decimal::Decimal;

use crate::{DomainError, billing::CurrencyCode};

/// Charged in whole units, the `amount` being the units themselves.
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF", "UGX",
];
/// Thousandths, but Stripe's partners take only multiples of ten: the last digit must be 0.
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];
/// Whole units sent in hundredths "to maintain backwards compatibility": 5 ISK is `500`, and
/// `amount` must be divisible by 100. UGX is also in Stripe's zero-decimal list; its special
/// case is the one that says how to send it.
const WHOLE_IN_HUNDREDTHS: [&str; 2] = ["ISK", "UGX"];

/// Stripe's technical limit on `amount`: eight digits, twelve for IDR. HUF and TWD need no
/// entry: they are charged in two decimals (only their payouts are whole units).
const MAX_AMOUNT: i64 = 99_999_999;
const MAX_AMOUNT_IDR: i64 = 999_999_999_999;

/// How Stripe counts one currency: `amount` is the value × 10^`exponent`, and the value may
/// have at most `places` decimals (fewer than `exponent` when the last digits must be 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    exponent: u32,
    places: u32,
    /// Why a value with more decimals is refused.
    too_precise: &'static str,
}

fn rule(currency: CurrencyCode) -> Rule {
    let code = currency.as_str();
    let (exponent, places, too_precise) = if WHOLE_IN_HUNDREDTHS.contains(&code) {
        (
            2,
            0,
            "Stripe charges this currency in whole units, sent in hundredths ending in 00",
        )
    } else if ZERO_DECIMAL.contains(&code) {
        (0, 0, "Stripe charges this currency in whole units only")
    } else if THREE_DECIMAL.contains(&code) {
        (
            3,
            2,
            "Stripe takes three decimals here only when the third is 0",
        )
    } else {
        (2, 2, "Stripe takes this currency to two decimals")
    };
    Rule {
        exponent,
        places,
        too_precise,
    }
}

fn max_amount(currency: CurrencyCode) -> i64 {
    if currency.as_str() == "IDR" {
        MAX_AMOUNT_IDR
    } else {
        MAX_AMOUNT
    }
}

/// Decimal places Stripe's `amount` stands for in `currency` (2 for USD and for ISK, 0 for JPY,
/// 3 for KWD).
pub fn stripe_exponent(currency: CurrencyCode) -> u32 {
    rule(currency).exponent
}

/// `amount` of `currency` as Stripe's integer `amount`.
///
/// # Errors
/// `AmountNotRepresentable` for a negative amount, more decimals than Stripe takes in
/// `currency` (a fraction of a yen or of an Icelandic króna, a thousandth of a dinar not
/// ending in 0, a thousandth of a dollar), or more digits than Stripe's `amount` holds.
pub fn to_minor_units(amount: Decimal, currency: CurrencyCode) -> Result<i64, DomainError> {
    let refuse = |reason| not_representable(amount, currency, reason);
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(refuse("Stripe charges and refunds positive amounts only"));
    }
    let rule = rule(currency);
    let mut scaled = amount.normalize();
    if scaled.scale() > rule.places {
        return Err(refuse(rule.too_precise));
    }
    // At most `places` ≤ `exponent` decimals: rescaling only appends zeros, nothing is lost.
    scaled.rescale(rule.exponent);
    i64::try_from(scaled.mantissa())
        .ok()
        .filter(|minor| *minor <= max_amount(currency))
        .ok_or_else(|| refuse("it has more digits than Stripe's `amount` holds"))
}

/// Stripe's integer `amount` in `currency` as an exact decimal (`1250` USD is `12.50`, `500`
/// ISK is `5`, `5120` KWD is `5.120`).
///
/// # Errors
/// `AmountNotRepresentable` for a negative amount, or one with digits the currency's rule
/// says are always 0 (an ISK amount not ending in 00: Stripe never answers one).
pub fn from_minor_units(minor: i64, currency: CurrencyCode) -> Result<Decimal, DomainError> {
    let refuse = |reason| not_representable(Decimal::from(minor), currency, reason);
    if minor < 0 {
        return Err(refuse("Stripe amounts are never negative"));
    }
    let rule = rule(currency);
    let value = Decimal::new(minor, rule.exponent);
    // Three-decimal amounts Stripe reports (a fee, a converted refund) may end in any digit;
    // only whole-unit currencies sent in hundredths are checked.
    if rule.places == 0 && rule.exponent > 0 {
        if !value.fract().is_zero() {
            return Err(refuse(rule.too_precise));
        }
        return Ok(value.trunc());
    }
    Ok(value)
}

fn not_representable(amount: Decimal, currency: CurrencyCode, reason: &'static str) -> DomainError {
    DomainError::AmountNotRepresentable {
        amount: amount.to_string(),
        currency: currency.as_str().to_owned(),
        reason,
    }
}

#[cfg(test)]
#[path = "minor_units/tests.rs"]
mod tests;

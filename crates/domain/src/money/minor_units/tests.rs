use std::str::FromStr;

use proptest::prelude::*;

use super::*;
use crate::ErrorCode;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn code(text: &str) -> CurrencyCode {
    CurrencyCode::parse(text).unwrap()
}

fn minor(amount: &str, currency: &str) -> Result<i64, DomainError> {
    to_minor_units(dec(amount), code(currency))
}

fn refused(amount: &str, currency: &str) -> bool {
    matches!(
        minor(amount, currency),
        Err(ref error @ DomainError::AmountNotRepresentable { .. })
            if error.code() == ErrorCode::AmountNotRepresentable
    )
}

#[test]
fn stripes_documented_examples_convert() {
    // docs.stripe.com/currencies: 10 USD is 1000, 500 JPY is 500, 5 ISK and 5 UGX are 500,
    // 5.120 KWD is 5120.
    for (amount, currency, expected) in [
        ("10", "USD", 1000),
        ("10.00", "usd", 1000),
        ("129.5", "EUR", 12950),
        ("0.01", "GBP", 1),
        ("500", "JPY", 500),
        ("500.000", "JPY", 500),
        ("5", "ISK", 500),
        ("5", "UGX", 500),
        ("5.12", "KWD", 5120),
        ("5.120", "KWD", 5120),
        ("10.45", "HUF", 1045),
        ("10.45", "TWD", 1045),
        ("0", "USD", 0),
        ("999999.99", "USD", 99_999_999),
        ("9999999999.99", "IDR", 999_999_999_999),
    ] {
        assert_eq!(
            minor(amount, currency).unwrap(),
            expected,
            "{amount} {currency}"
        );
    }
}

#[test]
fn amounts_stripe_cannot_carry_are_refused_not_rounded() {
    for (amount, currency) in [
        ("0.001", "USD"),
        ("12.345", "EUR"),
        ("500.5", "JPY"),
        ("1.5", "KRW"),
        ("5.5", "ISK"),
        ("5.01", "UGX"),
        ("5.124", "KWD"),
        ("5.0001", "BHD"),
        ("-1", "USD"),
        ("-0.01", "USD"),
        ("1000000", "USD"),
        ("100000000", "JPY"),
        ("10000000000", "IDR"),
        ("79228162514264337593543950335", "USD"),
    ] {
        assert!(
            refused(amount, currency),
            "{amount} {currency}: {:?}",
            minor(amount, currency)
        );
    }
}

#[test]
fn a_refusal_names_the_amount_the_currency_and_why() {
    let message = minor("5.124", "KWD").unwrap_err().to_string();
    assert!(message.contains("5.124 KWD"), "{message}");
    assert!(message.contains("third is 0"), "{message}");
}

#[test]
fn stripe_amounts_read_back_exactly() {
    for (minor, currency, expected) in [
        (1250, "USD", "12.50"),
        (500, "JPY", "500"),
        (500, "ISK", "5"),
        (5120, "KWD", "5.120"),
        (5123, "KWD", "5.123"),
        (0, "EUR", "0.00"),
    ] {
        let value = from_minor_units(minor, code(currency)).unwrap();
        assert_eq!(value.to_string(), expected, "{minor} {currency}");
    }
    assert!(from_minor_units(-1, code("USD")).is_err());
    assert!(
        from_minor_units(550, code("ISK")).is_err(),
        "ISK amounts end in 00"
    );
    assert_eq!(stripe_exponent(code("ISK")), 2);
    assert_eq!(stripe_exponent(code("XOF")), 0);
    assert_eq!(stripe_exponent(code("OMR")), 3);
}

/// A currency of each of Stripe's kinds.
fn any_currency() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "USD", "EUR", "HUF", "TWD", "IDR", "JPY", "KRW", "XPF", "ISK", "UGX", "KWD", "TND",
    ])
}

proptest! {
    #[test]
    fn representable_amounts_round_trip(currency in any_currency(), units in 0_i64..99_999_999) {
        let currency = code(currency);
        let rule = rule(currency);
        // A value with exactly the decimals Stripe takes in this currency.
        let amount = Decimal::new(units, rule.places);
        let sent = to_minor_units(amount, currency);
        if units * 10_i64.pow(rule.exponent - rule.places) > max_amount(currency) {
            prop_assert!(sent.is_err());
        } else {
            let sent = sent.unwrap();
            prop_assert_eq!(from_minor_units(sent, currency).unwrap(), amount);
            prop_assert_eq!(to_minor_units(from_minor_units(sent, currency).unwrap(), currency).unwrap(), sent);
        }
    }

    #[test]
    fn one_more_decimal_is_always_refused(
        currency in any_currency(),
        units in 0_i64..1_000_000,
        last in 1_i64..10,
    ) {
        let currency = code(currency);
        let amount = Decimal::new(units * 10 + last, rule(currency).places + 1);
        prop_assert!(to_minor_units(amount, currency).is_err(), "{}", amount);
    }
}

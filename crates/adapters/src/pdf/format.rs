//! How figures, dates and lines print on a document.
//!
//! Amounts are printed from their exact decimals, never through `f64`: a binary float cannot
//! hold most cents (`0.1 + 0.2 != 0.3`), and a printed total must match the stored one to the
//! last minor unit.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use tollgate_domain::{
    billing::{
        BillingPeriod, Currency, FeeTiming, Invoice, InvoiceLine, LineKind, Money, TaxRate,
        Timezone,
    },
    metering::Meter,
};

/// `1,234.56`: the amount at its currency's minor units (`1,235` for JPY), digits grouped
/// by thousands. Lines and totals are rounded in the domain already; rounding again here only
/// pads (`12.3` → `12.30`).
pub(super) fn amount(money: Money) -> String {
    group(money.round_to_minor_half_even().amount())
}

/// `1,234.56 USD`.
pub(super) fn money(money: Money) -> String {
    format!("{} {}", amount(money), money.currency())
}

/// `1,250,000`, `12.5`: every digit of the quantity, without trailing zeros.
pub(super) fn quantity(quantity: Decimal) -> String {
    group(quantity.normalize())
}

/// Significant digits shown of a unit price below its currency's minor unit.
const UNIT_PRICE_DIGITS: u32 = 4;
/// Decimal places a unit price is never printed past (a price per token has about 7).
const UNIT_PRICE_MAX_PLACES: u32 = 12;

/// A line's unit price, for reading rather than recomputing: at least the currency's minor
/// units (`49.00`), with enough places for 4 significant digits of a price that is a fraction
/// of a minor unit (`0.0000025`, `0.001538` for a tiered line's average). The line's amount,
/// not this, is what is billed.
pub(super) fn unit_price(price: Decimal, currency: Currency) -> String {
    let minor = currency.minor_units();
    let integer_digits = digits(price.trunc().abs());
    let places = if integer_digits > 0 {
        minor.max(UNIT_PRICE_DIGITS.saturating_sub(integer_digits))
    } else {
        // Zeros between the point and the first significant digit of a price below 1.
        let leading_zeros = price.abs().scale().saturating_sub(digits(price.abs()));
        minor.max(leading_zeros + UNIT_PRICE_DIGITS)
    }
    .min(UNIT_PRICE_MAX_PLACES);
    let mut shown = price
        .round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
        .normalize();
    if shown.scale() < minor {
        shown.rescale(minor);
    }
    group(shown)
}

/// `20%`, `8.875%`.
pub(super) fn percent(rate: TaxRate) -> String {
    format!("{}%", rate.percent().normalize())
}

/// Renders instants as dates in one time zone.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dates(Tz);

impl Dates {
    /// The customer's time zone, as the domain asks for dates on its invoices. A name that
    /// passed the domain's shape check but is not in the tz database prints in UTC rather
    /// than failing the whole document.
    pub(super) fn of(timezone: &Timezone) -> Self {
        let zone = timezone.as_str().parse().unwrap_or_else(|_| {
            tracing::warn!(
                timezone = timezone.as_str(),
                "unknown time zone, dates in UTC"
            );
            Tz::UTC
        });
        Self(zone)
    }

    /// `2025-02-03`, the ISO form: unambiguous in every country an invoice goes to.
    pub(super) fn date(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).format("%Y-%m-%d").to_string()
    }
}

/// `2025-01-01 – 2025-01-31`: the first and last days billed, in UTC. Periods stay in UTC
/// even where other dates are shown in the customer's zone: proration counts UTC calendar
/// days, so these are the days the line's "17 of 31 days" refers to. The end is exclusive
/// (`[Jan 1, Feb 1)`), so the last day is the one before it at midnight.
pub(super) fn period(period: BillingPeriod) -> String {
    let last = period.end() - TimeDelta::nanoseconds(1);
    format!(
        "{} – {}",
        period.start().format("%Y-%m-%d"),
        last.format("%Y-%m-%d")
    )
}

/// The invoice's own span, as its JSON gives it: whole UTC days print as [`period`] does;
/// any other span (a subscription anchored at 10:00, a final invoice of 32 seconds) prints
/// its exact instants, `2026-12-06 10:00:00 – 2026-12-06 10:00:32 UTC`, end excluded as in
/// the JSON, so both show one and the same period.
pub(super) fn span(span: BillingPeriod) -> String {
    let midnight = |at: DateTime<Utc>| at.time() == chrono::NaiveTime::MIN;
    if midnight(span.start()) && midnight(span.end()) {
        return period(span);
    }
    format!(
        "{} – {} UTC",
        span.start().format("%Y-%m-%d %H:%M:%S"),
        span.end().format("%Y-%m-%d %H:%M:%S")
    )
}

/// The span from the earliest line's start to the latest line's end (a base fee billed in
/// advance makes it reach into the next period); `None` without lines.
pub(super) fn invoice_period(invoice: &Invoice) -> Option<BillingPeriod> {
    let lines = invoice.lines();
    let start = lines.iter().map(|line| line.period().start()).min()?;
    let end = lines.iter().map(|line| line.period().end()).max()?;
    BillingPeriod::new(start, end).ok()
}

/// What a line bills, in words: `Usage: input tokens (1,000 free)`, `Base fee, in advance (17
/// of 31 days)`, `Minimum commitment top-up`.
pub(super) fn description(line: &InvoiceLine) -> String {
    match line.kind() {
        LineKind::BaseFee { timing, proration } => {
            let timing = match timing {
                FeeTiming::Advance => "in advance",
                FeeTiming::Arrears => "in arrears",
            };
            if proration.is_full() {
                format!("Base fee, {timing}")
            } else {
                format!(
                    "Base fee, {timing} ({} of {} days)",
                    proration.used_days(),
                    proration.period_days()
                )
            }
        }
        LineKind::Usage { meter } if line.free_quantity().is_zero() => {
            format!("Usage: {}", meter_name(meter))
        }
        LineKind::Usage { meter } => format!(
            "Usage: {} ({} free)",
            meter_name(meter),
            quantity(line.free_quantity())
        ),
        LineKind::ChargeMinimum { meter } => format!("Minimum for {}: top-up", meter_name(meter)),
        LineKind::MinimumCommitment => "Minimum commitment: top-up".to_owned(),
        LineKind::UnusedTimeCredit { proration } => format!(
            "Unused time credit ({} of {} days)",
            proration.used_days(),
            proration.period_days()
        ),
    }
}

fn meter_name(meter: Meter) -> &'static str {
    match meter {
        Meter::InputTokens => "input tokens",
        Meter::OutputTokens => "output tokens",
        Meter::CachedTokens => "cached tokens",
        Meter::ReasoningTokens => "reasoning tokens",
        Meter::Requests => "requests",
        Meter::CostUsd => "LLM cost (USD)",
        Meter::CacheHits => "cache hits",
    }
}

/// Digits of the decimal's mantissa (0 for zero): a whole number's integer digits, a
/// fraction's digits from its first significant one.
fn digits(value: Decimal) -> u32 {
    let mantissa = value.mantissa().unsigned_abs();
    if mantissa == 0 {
        0
    } else {
        mantissa.ilog10() + 1
    }
}

/// The decimal as written, its integer part grouped by thousands with commas.
fn group(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, unsigned) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |rest| ("-", rest));
    let (integer, fraction) = unsigned
        .split_once('.')
        .map_or((unsigned, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(text.len() + integer.len() / 3);
    grouped.push_str(sign);
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn amounts_print_at_the_minor_units_grouped_by_thousands() {
        let usd = |text| Money::new(dec(text), Currency::USD);
        assert_eq!(money(usd("1234567.5")), "1,234,567.50 USD");
        assert_eq!(amount(usd("0")), "0.00");
        assert_eq!(amount(usd("999.99")), "999.99");
        assert_eq!(amount(usd("-1000")), "-1,000.00");
        assert_eq!(amount(Money::new(dec("123456"), Currency::JPY)), "123,456");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(amount(Money::new(dec("1.5"), kwd)), "1.500");
        // Exact past any float: 0.1 + 0.2 is 0.30, not 0.30000000000000004.
        assert_eq!(amount(usd("0.1").checked_add(usd("0.2")).unwrap()), "0.30");
    }

    #[test]
    fn unit_prices_keep_four_significant_digits_below_the_minor_unit() {
        let usd = |text| unit_price(dec(text), Currency::USD);
        assert_eq!(usd("49"), "49.00");
        assert_eq!(usd("1.5"), "1.50");
        assert_eq!(usd("0.0000025"), "0.0000025");
        assert_eq!(usd("0.0015384615384615384615384615"), "0.001538");
        assert_eq!(usd("1.5384615"), "1.538");
        assert_eq!(usd("12345.678"), "12,345.68");
        assert_eq!(usd("0"), "0.00");
        assert_eq!(unit_price(dec("0.5"), Currency::JPY), "0.5");
        assert_eq!(unit_price(dec("1200"), Currency::JPY), "1,200");
        assert_eq!(quantity(dec("1250000.000")), "1,250,000");
        assert_eq!(quantity(dec("12.50")), "12.5");
    }

    #[test]
    fn periods_print_their_last_day_and_dates_the_customer_zone() {
        let at = |m, d, h| Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap();
        let january = BillingPeriod::new(at(1, 1, 0), at(2, 1, 0)).unwrap();
        assert_eq!(period(january), "2025-01-01 – 2025-01-31");
        let partial = BillingPeriod::new(at(1, 15, 14), at(1, 20, 9)).unwrap();
        assert_eq!(period(partial), "2025-01-15 – 2025-01-20");
        let tokyo = Dates::of(&Timezone::parse("Asia/Tokyo").unwrap());
        assert_eq!(tokyo.date(at(1, 31, 20)), "2025-02-01");
        let unknown = Dates::of(&Timezone::parse("Mars/Olympus_Mons").unwrap());
        assert_eq!(unknown.date(at(1, 31, 20)), "2025-01-31");
        assert_eq!(percent(TaxRate::new(dec("8.8750")).unwrap()), "8.875%");
    }
}

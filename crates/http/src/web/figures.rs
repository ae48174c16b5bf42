//! How the customer pages and the portal write figures and times: money from its exact
//! decimal with the currency's minor units, LLM cost in USD to the cent (the exact figure
//! kept for a `title`), counts with their digits grouped, times in the zone the URL's `tz` names.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use tollgate_domain::billing::Money;

use crate::charts::format_decimal;

/// `12.30 EUR`: exactly the currency's minor units, never through `f64`.
pub fn money(amount: Money) -> String {
    let mut value = amount.amount();
    value.rescale(amount.currency().minor_units());
    format!("{value} {}", amount.currency().code())
}

/// `$1.24` for reading (half to even); [`exact`] gives the figure itself.
pub fn usd(amount: Decimal) -> String {
    let cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    format!("${cents:.2}")
}

/// The decimal as stored, without trailing zeros.
pub fn exact(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A quantity, a unit price or a tier bound exactly, the whole part grouped by thousands for
/// reading: `1,000,000`, `0.0000025`.
pub fn grouped(value: Decimal) -> String {
    format_decimal(&value.normalize())
}

/// `2026-12-06 15:04` in `tz`.
pub fn datetime(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// `2026-12-06` in `tz`.
pub fn date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// The first instant of the month `now` falls in, in `tz`.
pub fn month_start(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
        .map_or(now, |start| start.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_domain::billing::Currency;

    #[test]
    fn grouped_figures_are_exact() {
        assert_eq!(grouped(Decimal::new(25, 7)), "0.0000025");
        assert_eq!(grouped(Decimal::new(1_000_000_000, 3)), "1,000,000");
        assert_eq!(grouped(Decimal::new(-12345, 1)), "-1,234.5");
        assert_eq!(grouped(Decimal::ZERO), "0");
        assert_eq!(grouped(Decimal::new(999, 0)), "999");
    }

    #[test]
    fn money_keeps_the_currencys_minor_units() {
        let amount = Money::new(Decimal::new(123, 1), Currency::EUR);
        assert_eq!(money(amount), "12.30 EUR");
        assert_eq!(usd(Decimal::new(12345, 4)), "$1.23");
        assert_eq!(usd(Decimal::new(125, 3)), "$0.12");
        assert_eq!(exact(Decimal::new(12500, 4)), "1.25");
    }

    #[test]
    fn the_month_starts_at_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        assert_eq!(
            month_start(now, Tz::UTC),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        // Still November in Los Angeles.
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        assert_eq!(
            month_start(now, la),
            Utc.with_ymd_and_hms(2026, 11, 1, 7, 0, 0).unwrap()
        );
        assert_eq!(datetime(now, la), "2026-11-30 19:00");
    }
}

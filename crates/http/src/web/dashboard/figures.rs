//! The dashboard's cards: a figure as people read it, the exact one in its title, and how it
//! moved against the period before. Formatted from the exact decimals, never from floats.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::{charts::format_decimal, web::i18n::catalog};

/// Which way a figure moved, for the arrow's class (`up`, `down`, `flat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
}

impl Trend {
    pub fn class(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Flat => "flat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub trend: Trend,
    /// `+12.5%`, `-3%`, `new`, `no change`.
    pub text: String,
    /// What the card showed for the previous period, for the tooltip and screen readers.
    pub previous: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub label: String,
    pub value: String,
    /// The exact figure, when `value` is rounded for reading.
    pub exact: String,
    pub change: Option<Change>,
}

impl Card {
    pub fn new(label: String, value: String, exact: String) -> Self {
        Self {
            label,
            value,
            exact,
            change: None,
        }
    }

    #[must_use]
    pub fn against(mut self, current: Decimal, previous: Decimal, shown: String) -> Self {
        self.change = Some(change(current, previous, shown));
        self
    }
}

/// An amount rounded to `places` for reading, half to even, digits grouped.
pub fn rounded(amount: Decimal, places: u32) -> String {
    let mut value = amount.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    value.rescale(places);
    format_decimal(&value)
}

/// USD as people read it: `$1,234.57`.
pub fn usd(amount: Decimal) -> String {
    let text = rounded(amount, 2);
    match text.strip_prefix('-') {
        Some(positive) => format!("-${positive}"),
        None => format!("${text}"),
    }
}

/// A share as a percentage with one decimal: `0.0523` is `5.2%`.
pub fn percent(share: Decimal) -> String {
    format!("{}%", rounded(share * Decimal::ONE_HUNDRED, 1))
}

/// The movement from `previous` to `current`, relative to `previous`.
pub fn change(current: Decimal, previous: Decimal, shown_previous: String) -> Change {
    let t = catalog();
    let (trend, text) = if current == previous {
        (Trend::Flat, t.tr("change-none"))
    } else if previous.is_zero() {
        (Trend::Up, t.tr("change-new"))
    } else {
        let relative = (current - previous) / previous.abs();
        let trend = if relative > Decimal::ZERO {
            Trend::Up
        } else {
            Trend::Down
        };
        let sign = if relative > Decimal::ZERO { "+" } else { "" };
        (trend, format!("{sign}{}", percent(relative)))
    };
    Change {
        trend,
        text,
        previous: shown_previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_rounded_grouped_text() {
        assert_eq!(usd(Decimal::new(1_234_565, 3)), "$1,234.56");
        assert_eq!(usd(Decimal::new(-5, 1)), "-$0.50");
        assert_eq!(
            crate::web::figures::grouped(Decimal::new(1_234_500, 2)),
            "12,345"
        );
        assert_eq!(percent(Decimal::new(523, 4)), "5.2%");
    }

    #[test]
    fn changes_are_relative_to_the_previous_period() {
        let up = change(Decimal::from(150), Decimal::from(100), "100".into());
        assert_eq!((up.trend, up.text.as_str()), (Trend::Up, "+50.0%"));
        let down = change(Decimal::from(75), Decimal::from(100), "100".into());
        assert_eq!((down.trend, down.text.as_str()), (Trend::Down, "-25.0%"));
        let new = change(Decimal::from(5), Decimal::ZERO, "0".into());
        assert_eq!((new.trend, new.text.as_str()), (Trend::Up, "new"));
        let same = change(Decimal::ZERO, Decimal::ZERO, "0".into());
        assert_eq!(same.trend, Trend::Flat);
    }
}

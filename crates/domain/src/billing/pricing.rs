//! Pricing models: what a quantity of a meter costs, before any rounding.

mod tiers;

#[cfg(test)]
pub(crate) mod properties;

use rust_decimal::Decimal;

pub use tiers::{Tier, TierError, Tiers};

use super::{non_negative, overflow};
use crate::DomainError;

/// An exact, non-negative price, with as many decimals as it needs (`0.0000025` per token):
/// rounding to the currency happens on the invoice line, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(Decimal);

impl Price {
    /// # Errors
    /// `Negative` for a price below zero.
    pub fn new(amount: Decimal) -> Result<Self, DomainError> {
        Ok(Self(non_negative("price", amount)?))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }
}

/// A markup in percent on top of a cost: `20` bills a cost of 1.00 as 1.20.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Markup(Decimal);

impl Markup {
    /// # Errors
    /// `Negative` for a markup below zero (selling below cost is a discount, not a markup).
    pub fn new(percent: Decimal) -> Result<Self, DomainError> {
        Ok(Self(non_negative("markup", percent)?))
    }

    pub fn percent(&self) -> Decimal {
        self.0
    }
}

/// How many units one package holds; more than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageSize(Decimal);

impl PackageSize {
    /// # Errors
    /// `Invalid` unless the size is above zero.
    pub fn new(units: Decimal) -> Result<Self, DomainError> {
        if units <= Decimal::ZERO {
            return Err(DomainError::Invalid {
                field: "package size",
                reason: format!("must be more than zero, got {units}"),
            });
        }
        Ok(Self(units))
    }

    pub fn units(&self) -> Decimal {
        self.0
    }
}

/// How a charge turns a quantity into an amount. Every payload is validated, so any value of
/// this type prices every non-negative quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PricingModel {
    /// Every unit at the same price.
    PerUnit { unit_price: Price },
    /// Each tier prices only the units that fall in it, like income-tax brackets.
    Graduated(Tiers),
    /// The tier the whole quantity falls in prices every unit. Not monotonic when a higher
    /// tier is cheaper: 1,000 units at 0.002 cost 2.00 but 1,001 at 0.0015 cost 1.5015. That
    /// cliff is what volume pricing means; use graduated tiers to avoid it.
    Volume(Tiers),
    /// Units are sold in whole packages: a partial package costs a whole one.
    Package { size: PackageSize, price: Price },
    /// Cost-plus: the quantity is itself an amount (the LLM cost, `cost_usd`), billed with the
    /// markup on top: `cost × (100 + percent) / 100`.
    PercentageMarkup { markup: Markup },
}

impl PricingModel {
    /// # Errors
    /// `Negative` for a negative price.
    pub fn per_unit(unit_price: Decimal) -> Result<Self, DomainError> {
        Ok(Self::PerUnit {
            unit_price: Price::new(unit_price)?,
        })
    }

    /// # Errors
    /// `InvalidTiers` when the tiers leave gaps, overlap, are unsorted or wrongly bounded.
    pub fn graduated(tiers: Vec<Tier>) -> Result<Self, DomainError> {
        Ok(Self::Graduated(Tiers::new(tiers)?))
    }

    /// # Errors
    /// `InvalidTiers` when the tiers leave gaps, overlap, are unsorted or wrongly bounded.
    pub fn volume(tiers: Vec<Tier>) -> Result<Self, DomainError> {
        Ok(Self::Volume(Tiers::new(tiers)?))
    }

    /// # Errors
    /// `Invalid` for a size that is not above zero, `Negative` for a negative price.
    pub fn package(size: Decimal, price: Decimal) -> Result<Self, DomainError> {
        Ok(Self::Package {
            size: PackageSize::new(size)?,
            price: Price::new(price)?,
        })
    }

    /// # Errors
    /// `Negative` for a negative markup.
    pub fn percentage_markup(percent: Decimal) -> Result<Self, DomainError> {
        Ok(Self::PercentageMarkup {
            markup: Markup::new(percent)?,
        })
    }

    /// The exact, unrounded price of `units`: the invoice line rounds it once.
    ///
    /// # Errors
    /// `Negative` for negative units, `Overflow` when the price does not fit in a decimal.
    pub fn price(&self, units: Decimal) -> Result<Decimal, DomainError> {
        let units = non_negative("units", units)?;
        let too_large = || overflow("price");
        match self {
            Self::PerUnit { unit_price } => units.checked_mul(unit_price.0).ok_or_else(too_large),
            Self::Graduated(tiers) => {
                tiers
                    .as_slice()
                    .iter()
                    .try_fold(Decimal::ZERO, |total, tier| {
                        tier.slice_of(units)
                            .checked_mul(tier.unit_price.0)
                            .and_then(|slice| total.checked_add(slice))
                            .ok_or_else(too_large)
                    })
            }
            Self::Volume(tiers) => units
                .checked_mul(tiers.tier_for(units).unit_price.0)
                .ok_or_else(too_large),
            Self::Package { size, price } => packages(units, size.0)
                .and_then(|count| count.checked_mul(price.0))
                .ok_or_else(too_large),
            Self::PercentageMarkup { markup } => Decimal::ONE_HUNDRED
                .checked_add(markup.0)
                .and_then(|percent| units.checked_mul(percent))
                .and_then(|marked_up| marked_up.checked_div(Decimal::ONE_HUNDRED))
                .ok_or_else(too_large),
        }
    }
}

/// The number of whole packages of `size` that hold `units`: the smallest `n` with
/// `n × size ≥ units`. Decimal division can round its last digit either way, so the quotient's
/// ceiling is corrected by multiplying back rather than trusted.
fn packages(units: Decimal, size: Decimal) -> Option<Decimal> {
    let mut count = units.checked_div(size)?.ceil();
    if count > Decimal::ZERO && (count - Decimal::ONE).checked_mul(size)? >= units {
        count -= Decimal::ONE;
    }
    if count.checked_mul(size)? < units {
        count += Decimal::ONE;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn tier(from: i64, up_to: Option<i64>, price: &str) -> Tier {
        Tier {
            from: Decimal::from(from),
            up_to: up_to.map(Decimal::from),
            unit_price: Price::new(dec(price)).unwrap(),
        }
    }

    fn three_tiers() -> Vec<Tier> {
        vec![
            tier(0, Some(1000), "0.002"),
            tier(1000, Some(10_000), "0.0015"),
            tier(10_000, None, "0.001"),
        ]
    }

    fn price(model: &PricingModel, units: &str) -> Decimal {
        model.price(dec(units)).unwrap()
    }

    #[test]
    fn per_unit_multiplies_exactly() {
        let model = PricingModel::per_unit(dec("0.0000025")).unwrap();
        assert_eq!(price(&model, "1234567"), dec("3.0864175"));
        assert_eq!(price(&model, "0"), Decimal::ZERO);
        assert!(PricingModel::per_unit(dec("-0.01")).is_err());
        assert!(matches!(
            model.price(dec("-1")),
            Err(DomainError::Negative { field: "units", .. })
        ));
    }

    #[test]
    fn graduated_prices_each_slice_at_its_tier() {
        let model = PricingModel::graduated(three_tiers()).unwrap();
        // 1,000 × 0.002 + 9,000 × 0.0015 + 2,345 × 0.001 = 2 + 13.5 + 2.345
        assert_eq!(price(&model, "12345"), dec("17.845"));
        assert_eq!(price(&model, "1000"), dec("2"));
        assert_eq!(price(&model, "1001"), dec("2.0015"));
        assert_eq!(price(&model, "0"), Decimal::ZERO);
    }

    #[test]
    fn volume_prices_every_unit_at_the_tier_of_the_total() {
        let model = PricingModel::volume(three_tiers()).unwrap();
        assert_eq!(price(&model, "12345"), dec("12.345"));
        assert_eq!(price(&model, "1000"), dec("2"));
        // The volume cliff: one more unit moves everything to the cheaper tier.
        assert_eq!(price(&model, "1001"), dec("1.5015"));
        assert_eq!(price(&model, "10000"), dec("15"));
    }

    #[test]
    fn packages_are_sold_whole() {
        let model = PricingModel::package(dec("1000"), dec("1.50")).unwrap();
        assert_eq!(price(&model, "2001"), dec("4.50"));
        assert_eq!(price(&model, "2000"), dec("3.00"));
        assert_eq!(price(&model, "1"), dec("1.50"));
        assert_eq!(price(&model, "0"), Decimal::ZERO);
        let thirds = PricingModel::package(dec("0.3"), dec("1")).unwrap();
        assert_eq!(price(&thirds, "0.9"), dec("3"));
        assert_eq!(price(&thirds, "0.9000001"), dec("4"));
        assert!(PricingModel::package(dec("0"), dec("1")).is_err());
        assert!(PricingModel::package(dec("10"), dec("-1")).is_err());
    }

    #[test]
    fn percentage_markup_adds_the_percent_to_the_cost() {
        let model = PricingModel::percentage_markup(dec("20")).unwrap();
        assert_eq!(price(&model, "1.00"), dec("1.2"));
        assert_eq!(
            price(&model, "0.0000049999999999999996"),
            dec("0.00000599999999999999952")
        );
        assert_eq!(
            price(
                &PricingModel::percentage_markup(Decimal::ZERO).unwrap(),
                "0.5"
            ),
            dec("0.5")
        );
        assert!(PricingModel::percentage_markup(dec("-5")).is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let model = PricingModel::per_unit(dec("2")).unwrap();
        assert!(matches!(
            model.price(Decimal::MAX),
            Err(DomainError::Overflow { .. })
        ));
    }
}

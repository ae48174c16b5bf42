//! Property tests of the pricing models, with strategies the rating tests reuse.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{Price, PricingModel, Tier};

/// A quantity with up to 3 decimals (fractional units exist: `cost_usd`, package sizes).
pub(crate) fn units() -> impl Strategy<Value = Decimal> {
    (0_i64..50_000_000, 0_u32..=3).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

/// A price with up to 8 decimals, like a price per token.
pub(crate) fn price() -> impl Strategy<Value = Decimal> {
    (0_i64..100_000_000, 0_u32..=8).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

/// Contiguous tiers from 0, the last unbounded, with the given prices.
fn tiers_with(widths: &[Decimal], prices: &[Decimal]) -> Vec<Tier> {
    let mut from = Decimal::ZERO;
    prices
        .iter()
        .enumerate()
        .map(|(index, &unit_price)| {
            let up_to = widths.get(index).map(|width| from + width);
            let tier = Tier {
                from,
                up_to,
                unit_price: Price::new(unit_price).unwrap(),
            };
            from = up_to.unwrap_or(from);
            tier
        })
        .collect()
}

/// 1 to 5 valid tiers with arbitrary prices.
pub(crate) fn tiers() -> impl Strategy<Value = Vec<Tier>> {
    (1_usize..=5)
        .prop_flat_map(|count| {
            let width = (1_i64..5_000_000, 0_u32..=2).prop_map(|(m, s)| Decimal::new(m, s));
            (
                prop::collection::vec(width, count - 1),
                prop::collection::vec(price(), count),
            )
        })
        .prop_map(|(widths, prices)| tiers_with(&widths, &prices))
}

/// Tiers whose prices never fall: the only volume tiers that are monotonic.
fn rising_tiers() -> impl Strategy<Value = Vec<Tier>> {
    tiers().prop_map(|tiers| {
        let mut prices: Vec<Decimal> = tiers.iter().map(|t| t.unit_price.amount()).collect();
        prices.sort();
        let widths: Vec<Decimal> = tiers
            .iter()
            .filter_map(|t| t.up_to.map(|u| u - t.from))
            .collect();
        tiers_with(&widths, &prices)
    })
}

/// Any pricing model that is monotonic: every model, volume only with rising prices.
pub(crate) fn monotonic_model() -> impl Strategy<Value = PricingModel> {
    prop_oneof![
        price().prop_map(|p| PricingModel::per_unit(p).unwrap()),
        tiers().prop_map(|t| PricingModel::graduated(t).unwrap()),
        rising_tiers().prop_map(|t| PricingModel::volume(t).unwrap()),
        ((1_i64..100_000, 0_u32..=2), price()).prop_map(|((m, s), p)| PricingModel::package(
            Decimal::new(m, s),
            p
        )
        .unwrap()),
        (0_i64..100_000, 0_u32..=2)
            .prop_map(|(m, s)| PricingModel::percentage_markup(Decimal::new(m, s)).unwrap()),
    ]
}

proptest! {
    #[test]
    fn graduated_total_is_the_sum_of_its_tier_slices(tiers in tiers(), units in units()) {
        let model = PricingModel::graduated(tiers.clone()).unwrap();
        // Each slice computed from the bounds alone: the units between `from` and `up_to`.
        let slices: Decimal = tiers
            .iter()
            .map(|tier| {
                let top = tier.up_to.map_or(units, |up_to| units.min(up_to));
                let slice = if top > tier.from { top - tier.from } else { Decimal::ZERO };
                slice * tier.unit_price.amount()
            })
            .sum();
        prop_assert_eq!(model.price(units).unwrap(), slices);
    }

    #[test]
    fn volume_total_is_the_units_at_exactly_one_tiers_price(
        tiers in tiers(),
        units in units(),
    ) {
        let model = PricingModel::volume(tiers.clone()).unwrap();
        // The tier whose upper bound is the first one at or above the units.
        let holding: Vec<&Tier> = tiers
            .iter()
            .enumerate()
            .filter(|(index, tier)| {
                let below_top = tier.up_to.is_none_or(|up_to| units <= up_to);
                let above_previous = *index == 0
                    || tiers[index - 1].up_to.is_some_and(|previous| units > previous);
                below_top && above_previous
            })
            .map(|(_, tier)| tier)
            .collect();
        prop_assert_eq!(holding.len(), 1);
        prop_assert_eq!(model.price(units).unwrap(), units * holding[0].unit_price.amount());
    }

    #[test]
    fn every_model_is_monotonic_in_usage(
        model in monotonic_model(),
        units in units(),
        more in units(),
    ) {
        prop_assert!(model.price(units).unwrap() <= model.price(units + more).unwrap());
    }

    #[test]
    fn volume_is_monotonic_within_a_tier(tiers in tiers(), a in units(), b in units()) {
        let model = PricingModel::volume(tiers).unwrap();
        let (Some(tier_a), Some(tier_b)) = (
            model_tier(&model, a.min(b)),
            model_tier(&model, a.max(b)),
        ) else {
            unreachable!("volume models have tiers");
        };
        prop_assume!(tier_a == tier_b);
        prop_assert!(model.price(a.min(b)).unwrap() <= model.price(a.max(b)).unwrap());
    }

    #[test]
    fn prices_of_zero_units_are_zero(model in monotonic_model()) {
        prop_assert_eq!(model.price(Decimal::ZERO).unwrap(), Decimal::ZERO);
    }
}

fn model_tier(model: &PricingModel, units: Decimal) -> Option<Tier> {
    match model {
        PricingModel::Volume(tiers) => Some(tiers.tier_for(units).clone()),
        _ => None,
    }
}

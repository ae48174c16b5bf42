//! Tiers of quantity, each with its own unit price, for graduated and volume pricing.

use rust_decimal::Decimal;
use thiserror::Error;

use super::Price;
use crate::DomainError;

/// Units above `from` up to and including `up_to` (no upper bound for the last tier) are
/// priced at `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub from: Decimal,
    pub up_to: Option<Decimal>,
    pub unit_price: Price,
}

impl Tier {
    /// The units of `units` that fall in this tier (graduated pricing's slice).
    pub fn slice_of(&self, units: Decimal) -> Decimal {
        let top = self.up_to.map_or(units, |up_to| units.min(up_to));
        (top - self.from).max(Decimal::ZERO)
    }

    /// Whether a total of `units` falls in this tier (volume pricing's choice): above `from`
    /// and at most `up_to`, except that zero belongs to the first tier.
    pub fn holds(&self, units: Decimal) -> bool {
        let above_start = units > self.from || (units.is_zero() && self.from.is_zero());
        above_start && self.up_to.is_none_or(|up_to| units <= up_to)
    }
}

/// Why a list of tiers cannot price every quantity exactly once. Positions are 1-based, as
/// the client listed them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TierError {
    #[error("at least one tier is needed")]
    Empty,
    #[error("the first tier must start at 0, not {start}")]
    NotFromZero { start: Decimal },
    #[error("tier {tier} must end after it starts ({from} to {up_to})")]
    EmptyRange {
        tier: usize,
        from: Decimal,
        up_to: Decimal,
    },
    #[error("tier {tier} starts before the tier above it: list tiers in ascending order")]
    Unsorted { tier: usize },
    #[error(
        "gap between {previous_end} and {start} before tier {tier}: each tier must start where \
         the previous one ends"
    )]
    Gap {
        tier: usize,
        previous_end: Decimal,
        start: Decimal,
    },
    #[error("tier {tier} starts at {start}, inside the previous tier that ends at {previous_end}")]
    Overlap {
        tier: usize,
        previous_end: Decimal,
        start: Decimal,
    },
    #[error("tier {tier} has no upper bound, but only the last tier may be unbounded")]
    UnboundedBeforeLast { tier: usize },
    #[error("the last tier ends at {up_to}: it must be unbounded so every quantity has a price")]
    LastBounded { up_to: Decimal },
}

impl From<TierError> for DomainError {
    fn from(error: TierError) -> Self {
        Self::InvalidTiers(error)
    }
}

/// Tiers that cover every quantity from zero upwards exactly once: the first starts at 0, each
/// next one starts where the previous ends, and only the last is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tiers(Vec<Tier>);

impl Tiers {
    /// # Errors
    /// `InvalidTiers` saying which tier is empty, unsorted, leaves a gap, overlaps its
    /// predecessor, or is wrongly (un)bounded.
    pub fn new(tiers: Vec<Tier>) -> Result<Self, DomainError> {
        let first = tiers.first().ok_or(TierError::Empty)?;
        if !first.from.is_zero() {
            return Err(TierError::NotFromZero { start: first.from }.into());
        }
        // Order first: a list that is merely out of order would otherwise read as gaps.
        if let Some(index) = tiers
            .windows(2)
            .position(|pair| pair[1].from < pair[0].from)
        {
            return Err(TierError::Unsorted { tier: index + 2 }.into());
        }
        let mut previous: Option<&Tier> = None;
        for (index, tier) in tiers.iter().enumerate() {
            let position = index + 1;
            if let Some(previous) = previous {
                let Some(previous_end) = previous.up_to else {
                    return Err(TierError::UnboundedBeforeLast { tier: index }.into());
                };
                if tier.from > previous_end {
                    return Err(TierError::Gap {
                        tier: position,
                        previous_end,
                        start: tier.from,
                    }
                    .into());
                }
                if tier.from < previous_end {
                    return Err(TierError::Overlap {
                        tier: position,
                        previous_end,
                        start: tier.from,
                    }
                    .into());
                }
            }
            if let Some(up_to) = tier.up_to
                && up_to <= tier.from
            {
                return Err(TierError::EmptyRange {
                    tier: position,
                    from: tier.from,
                    up_to,
                }
                .into());
            }
            previous = Some(tier);
        }
        if let Some(up_to) = tiers.last().and_then(|last| last.up_to) {
            return Err(TierError::LastBounded { up_to }.into());
        }
        Ok(Self(tiers))
    }

    pub fn as_slice(&self) -> &[Tier] {
        &self.0
    }

    /// The one tier a total of `units` falls in (the last one for anything past the others).
    pub fn tier_for(&self, units: Decimal) -> &Tier {
        self.0
            .iter()
            .find(|tier| tier.holds(units))
            // Unreachable for validated tiers and non-negative units; the last tier is the
            // only sensible answer for anything else.
            .unwrap_or_else(|| &self.0[self.0.len() - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(from: i64, up_to: Option<i64>) -> Tier {
        Tier {
            from: Decimal::from(from),
            up_to: up_to.map(Decimal::from),
            unit_price: Price::new(Decimal::ONE).unwrap(),
        }
    }

    fn error(tiers: Vec<Tier>) -> TierError {
        match Tiers::new(tiers) {
            Err(DomainError::InvalidTiers(error)) => error,
            other => panic!("expected a tier error, got {other:?}"),
        }
    }

    #[test]
    fn tiers_must_cover_every_quantity_exactly_once() {
        let valid = Tiers::new(vec![tier(0, Some(1000)), tier(1000, None)]).unwrap();
        assert_eq!(valid.as_slice().len(), 2);
        assert_eq!(error(vec![]), TierError::Empty);
        assert_eq!(
            error(vec![tier(5, None)]),
            TierError::NotFromZero {
                start: Decimal::from(5)
            }
        );
        assert!(matches!(
            error(vec![tier(0, Some(1000)), tier(1200, None)]),
            TierError::Gap { tier: 2, .. }
        ));
        assert!(matches!(
            error(vec![tier(0, Some(1000)), tier(900, None)]),
            TierError::Overlap { tier: 2, .. }
        ));
        assert_eq!(
            error(vec![
                tier(0, Some(10)),
                tier(100, None),
                tier(10, Some(100))
            ]),
            TierError::Unsorted { tier: 3 }
        );
        assert_eq!(
            error(vec![tier(0, None), tier(10, None)]),
            TierError::UnboundedBeforeLast { tier: 1 }
        );
        assert!(matches!(
            error(vec![tier(0, Some(0)), tier(0, None)]),
            TierError::EmptyRange { tier: 1, .. }
        ));
        assert_eq!(
            error(vec![tier(0, Some(10))]),
            TierError::LastBounded {
                up_to: Decimal::from(10)
            }
        );
    }

    #[test]
    fn messages_say_what_to_fix() {
        let gap = DomainError::from(error(vec![tier(0, Some(1000)), tier(1200, None)]));
        assert_eq!(
            gap.to_string(),
            "pricing tiers: gap between 1000 and 1200 before tier 2: each tier must start where \
             the previous one ends"
        );
    }

    #[test]
    fn a_total_falls_in_exactly_one_tier() {
        let tiers =
            Tiers::new(vec![tier(0, Some(10)), tier(10, Some(20)), tier(20, None)]).unwrap();
        let position = |units: i64| {
            let found = tiers.tier_for(Decimal::from(units));
            tiers.as_slice().iter().position(|t| t == found).unwrap()
        };
        assert_eq!(
            [0, 1, 10, 11, 20, 21, 1_000_000].map(position),
            [0, 0, 0, 1, 1, 2, 2]
        );
    }
}

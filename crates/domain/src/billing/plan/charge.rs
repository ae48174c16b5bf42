//! A plan's charge: how one meter's usage is priced.

use rust_decimal::Decimal;

use super::super::{Money, PricingModel, non_negative};
use crate::{DomainError, metering::Meter};

/// Prices one meter's usage in a period: the first `free_units` are free, the rest go through
/// the pricing model, and if the result is below `minimum` the period is topped up to it.
/// Only successful calls count unless `include_failures`: a customer does not pay for a call
/// that failed (a provider 500, a refused key, a fallback's failed attempt), even when the
/// provider reported prompt tokens for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    meter: Meter,
    model: PricingModel,
    free_units: Decimal,
    minimum: Option<Money>,
    include_failures: bool,
}

impl Charge {
    /// # Errors
    /// `Negative` for negative free units or minimum; `Invalid` for a percentage markup on any
    /// meter but `cost_usd` (a markup applies to a cost, and only that meter is one).
    pub fn new(
        meter: Meter,
        model: PricingModel,
        free_units: Decimal,
        minimum: Option<Money>,
    ) -> Result<Self, DomainError> {
        let free_units = non_negative("free units", free_units)?;
        if let Some(minimum) = minimum {
            non_negative("minimum", minimum.amount())?;
        }
        if matches!(model, PricingModel::PercentageMarkup { .. }) && meter != Meter::CostUsd {
            return Err(DomainError::Invalid {
                field: "charge",
                reason: format!(
                    "a percentage markup applies to the LLM cost (`cost_usd`), not to `{}`",
                    meter.slug()
                ),
            });
        }
        Ok(Self {
            meter,
            model,
            free_units,
            minimum,
            include_failures: false,
        })
    }

    /// This charge with failed calls counted (`true`) or not (`false`, the default).
    #[must_use]
    pub fn including_failures(self, include_failures: bool) -> Self {
        Self {
            include_failures,
            ..self
        }
    }

    /// Whether failed calls' usage is billed too.
    pub fn include_failures(&self) -> bool {
        self.include_failures
    }

    pub fn meter(&self) -> Meter {
        self.meter
    }

    pub fn model(&self) -> &PricingModel {
        &self.model
    }

    /// Units per period that are never charged (the free allowance).
    pub fn free_units(&self) -> Decimal {
        self.free_units
    }

    /// The least this charge bills for a full period (prorated for a partial one).
    pub fn minimum(&self) -> Option<Money> {
        self.minimum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::Currency;

    #[test]
    fn charges_refuse_negative_allowances_and_misplaced_markups() {
        let per_unit = PricingModel::per_unit(Decimal::ONE).unwrap();
        assert!(
            Charge::new(
                Meter::Requests,
                per_unit.clone(),
                Decimal::NEGATIVE_ONE,
                None
            )
            .is_err()
        );
        let below_zero = Money::new(Decimal::NEGATIVE_ONE, Currency::USD);
        assert!(
            Charge::new(
                Meter::Requests,
                per_unit.clone(),
                Decimal::ZERO,
                Some(below_zero)
            )
            .is_err()
        );
        let markup = PricingModel::percentage_markup(Decimal::TEN).unwrap();
        assert!(matches!(
            Charge::new(Meter::InputTokens, markup.clone(), Decimal::ZERO, None),
            Err(DomainError::Invalid {
                field: "charge",
                ..
            })
        ));
        let charge = Charge::new(Meter::CostUsd, markup, Decimal::ONE, None).unwrap();
        assert_eq!(
            (charge.meter(), charge.free_units()),
            (Meter::CostUsd, Decimal::ONE)
        );
    }

    #[test]
    fn failed_calls_are_left_out_unless_the_charge_includes_them() {
        let per_unit = PricingModel::per_unit(Decimal::ONE).unwrap();
        let charge = Charge::new(Meter::InputTokens, per_unit, Decimal::ZERO, None).unwrap();
        assert!(
            !charge.include_failures(),
            "failures are not billed by default"
        );
        let including = charge.clone().including_failures(true);
        assert!(including.include_failures());
        assert_ne!(including, charge, "the flag is part of the charge");
        assert_eq!(including.including_failures(false), charge);
    }
}

//! Proration: the share of a period's fixed amounts owed for part of that period.

use rust_decimal::Decimal;

use super::{BillingPeriod, Money};
use crate::DomainError;

/// Whether the subscription was active for the whole billing period or only part of it (it
/// started, ended or changed plan during the period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proration {
    Full,
    /// Active only during `active`, which must lie within the billing period.
    Partial {
        active: BillingPeriod,
    },
}

impl Proration {
    /// The days owed out of the days in `period`.
    ///
    /// # Errors
    /// `Invalid` when the active span is not within `period`.
    pub fn factor(&self, period: &BillingPeriod) -> Result<ProrationFactor, DomainError> {
        let period_days = period.days();
        match self {
            Self::Full => Ok(ProrationFactor {
                used_days: period_days,
                period_days,
            }),
            Self::Partial { active } if period.covers(active) => Ok(ProrationFactor {
                used_days: active.days(),
                period_days,
            }),
            Self::Partial { active } => Err(DomainError::Invalid {
                field: "proration",
                reason: format!(
                    "the active span {} to {} is not within the billing period {} to {}",
                    active.start(),
                    active.end(),
                    period.start(),
                    period.end()
                ),
            }),
        }
    }
}

/// `used_days / period_days`, kept as the two day counts so that an amount is multiplied
/// before it is divided and the invoice can say "17 of 31 days".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProrationFactor {
    used_days: u32,
    period_days: u32,
}

impl ProrationFactor {
    pub fn used_days(&self) -> u32 {
        self.used_days
    }

    pub fn period_days(&self) -> u32 {
        self.period_days
    }

    pub fn is_full(&self) -> bool {
        self.used_days >= self.period_days
    }

    /// `amount × used_days / period_days`, unrounded (rounding is the line's job). Exact when
    /// whole; otherwise a repeating fraction kept to 28 significant digits, far below any
    /// currency's minor unit.
    ///
    /// # Errors
    /// `Overflow` past what a decimal holds.
    pub fn apply(&self, amount: Money) -> Result<Money, DomainError> {
        if self.is_full() {
            return Ok(amount);
        }
        let share = amount
            .amount()
            .checked_mul(Decimal::from(self.used_days))
            .and_then(|owed| owed.checked_div(Decimal::from(self.period_days)))
            .ok_or(DomainError::Overflow {
                field: "prorated amount",
            })?;
        Ok(Money::new(share, amount.currency()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::billing::Currency;

    fn period(from: (u32, u32, u32), to: (u32, u32, u32)) -> BillingPeriod {
        let at = |(m, d, h)| Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap();
        BillingPeriod::new(at(from), at(to)).unwrap()
    }

    #[test]
    fn a_partial_period_owes_its_days_out_of_the_periods() {
        let january = period((1, 1, 0), (2, 1, 0));
        let active = period((1, 15, 14), (2, 1, 0));
        let factor = Proration::Partial { active }.factor(&january).unwrap();
        assert_eq!((factor.used_days(), factor.period_days()), (17, 31));
        let fee = Money::new(Decimal::from(31), Currency::USD);
        assert_eq!(factor.apply(fee).unwrap().amount(), Decimal::from(17));
        let fee = Money::new(Decimal::from(100), Currency::USD);
        let owed = factor.apply(fee).unwrap().round_to_minor_half_even();
        assert_eq!(owed.to_string(), "54.84 USD");
    }

    #[test]
    fn full_periods_owe_everything_and_outside_spans_are_refused() {
        let january = period((1, 1, 0), (2, 1, 0));
        let fee = Money::new(Decimal::new(999, 2), Currency::USD);
        assert_eq!(
            Proration::Full.factor(&january).unwrap().apply(fee),
            Ok(fee)
        );
        let first_day_afternoon = period((1, 1, 12), (2, 1, 0));
        let whole = Proration::Partial {
            active: first_day_afternoon,
        };
        assert!(whole.factor(&january).unwrap().is_full());
        let spills_over = Proration::Partial {
            active: period((1, 20, 0), (2, 3, 0)),
        };
        assert!(matches!(
            spills_over.factor(&january),
            Err(DomainError::Invalid { .. })
        ));
    }
}

//! Plans: what a subscription costs, per period and per unit of usage.

mod charge;

use std::{collections::BTreeSet, fmt};

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

pub use charge::Charge;

use super::{Currency, Interval, Money, PricingModel, non_negative};
use crate::DomainError;

/// The operator's name for a plan (`pro`, `team-2025`), unique within an organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanCode(String);

impl PlanCode {
    pub const MAX_LEN: usize = 64;

    /// # Errors
    /// `Empty` for blank text, `TooLong` past 64 characters, `Invalid` for characters other
    /// than ASCII letters, digits, `-`, `_` and `.` (codes end up in URLs and Lago), and for
    /// `__`, which is reserved: a billing engine names later versions `<code>__v2`, so a plan
    /// called `pro__v2` would be the same plan there as version 2 of `pro`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        if text.is_empty() {
            return Err(DomainError::Empty { field: "plan code" });
        }
        if text.len() > Self::MAX_LEN {
            return Err(DomainError::TooLong {
                field: "plan code",
                len: text.len(),
                max: Self::MAX_LEN,
            });
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(DomainError::Invalid {
                field: "plan code",
                reason: format!("`{text}` may only hold letters, digits, `-`, `_` and `.`"),
            });
        }
        if text.contains("__") {
            return Err(DomainError::Invalid {
                field: "plan code",
                reason: format!("`{text}` holds `__`, reserved for plan versions"),
            });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a base fee is billed: at the start of the period it pays for, or at its end with the
/// period's usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeTiming {
    Advance,
    Arrears,
}

/// The fixed amount a plan costs per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseFee {
    amount: Money,
    timing: FeeTiming,
}

impl BaseFee {
    /// # Errors
    /// `Negative` for a negative amount.
    pub fn new(amount: Money, timing: FeeTiming) -> Result<Self, DomainError> {
        non_negative("base fee", amount.amount())?;
        Ok(Self { amount, timing })
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn timing(&self) -> FeeTiming {
        self.timing
    }
}

/// What [`Plan::new`] validates.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub code: PlanCode,
    pub interval: Interval,
    pub currency: Currency,
    /// `None` for a plan billed on usage alone.
    pub base_fee: Option<BaseFee>,
    pub trial_days: u32,
    /// At most one per meter.
    pub charges: Vec<Charge>,
    /// The least a full period's usage charges bill, across all charges.
    pub minimum_commitment: Option<Money>,
}

/// A validated plan: one currency throughout, one charge per meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    code: PlanCode,
    interval: Interval,
    currency: Currency,
    base_fee: Option<BaseFee>,
    trial_days: u32,
    charges: Vec<Charge>,
    minimum_commitment: Option<Money>,
}

impl Plan {
    /// Longer trials are far more likely a typo than an offer.
    pub const MAX_TRIAL_DAYS: u32 = 366;

    /// # Errors
    /// `CurrencyMismatch` when the base fee, a minimum or a percentage markup (on the USD LLM
    /// cost) is not in the plan's currency; `Invalid` for two charges on one meter (each would
    /// bill the same usage) or a trial past [`Plan::MAX_TRIAL_DAYS`]; `Negative` for a negative
    /// minimum commitment.
    pub fn new(plan: NewPlan) -> Result<Self, DomainError> {
        let currency = plan.currency;
        let expect = |found: Currency| {
            if found == currency {
                Ok(())
            } else {
                Err(DomainError::CurrencyMismatch {
                    expected: currency.to_string(),
                    found: found.to_string(),
                })
            }
        };
        if let Some(fee) = plan.base_fee {
            expect(fee.amount().currency())?;
        }
        if let Some(minimum) = plan.minimum_commitment {
            non_negative("minimum commitment", minimum.amount())?;
            expect(minimum.currency())?;
        }
        let mut meters = BTreeSet::new();
        for charge in &plan.charges {
            if !meters.insert(charge.meter()) {
                return Err(DomainError::Invalid {
                    field: "charges",
                    reason: format!("more than one charge for `{}`", charge.meter().slug()),
                });
            }
            if let Some(minimum) = charge.minimum() {
                expect(minimum.currency())?;
            }
            if matches!(charge.model(), PricingModel::PercentageMarkup { .. }) {
                // The LLM cost is in USD and there is no exchange rate here.
                expect(Currency::USD)?;
            }
        }
        if plan.trial_days > Self::MAX_TRIAL_DAYS {
            return Err(DomainError::Invalid {
                field: "trial days",
                reason: format!(
                    "{} is more than {} days",
                    plan.trial_days,
                    Self::MAX_TRIAL_DAYS
                ),
            });
        }
        Ok(Self {
            code: plan.code,
            interval: plan.interval,
            currency,
            base_fee: plan.base_fee,
            trial_days: plan.trial_days,
            charges: plan.charges,
            minimum_commitment: plan.minimum_commitment,
        })
    }

    pub fn code(&self) -> &PlanCode {
        &self.code
    }

    pub fn interval(&self) -> Interval {
        self.interval
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn base_fee(&self) -> Option<BaseFee> {
        self.base_fee
    }

    pub fn trial_days(&self) -> u32 {
        self.trial_days
    }

    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    pub fn minimum_commitment(&self) -> Option<Money> {
        self.minimum_commitment
    }

    /// What the plan's base fee costs over a year (a monthly fee times twelve; no fee: zero):
    /// the one figure that says which of two plans is the cheaper, whatever their intervals,
    /// the same comparison Lago makes to time a plan change.
    pub fn yearly_base_fee(&self) -> Decimal {
        let per_year = match self.interval {
            Interval::Monthly => Decimal::from(12),
            Interval::Yearly => Decimal::ONE,
        };
        self.base_fee.map_or(Decimal::ZERO, |fee| {
            fee.amount()
                .amount()
                .checked_mul(per_year)
                .unwrap_or(Decimal::MAX)
        })
    }

    /// When a trial that starts at `start` ends (`start` itself without a trial). Rating does
    /// not know about trials: whoever bills a subscription starts its first paid period here.
    pub fn trial_end(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        start
            .checked_add_signed(TimeDelta::days(i64::from(self.trial_days)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// # Errors
    /// `CurrencyMismatch` when a customer paying in `currency` cannot subscribe to this plan.
    pub fn ensure_currency(&self, currency: Currency) -> Result<(), DomainError> {
        Money::zero(self.currency).same_currency(Money::zero(currency))
    }
}

#[cfg(test)]
mod tests;

//! Invoice lines: one amount, already rounded, and what it is for.

use rust_decimal::Decimal;

use super::{BillingPeriod, FeeTiming, Money, ProrationFactor, non_negative};
use crate::{DomainError, metering::Meter};

/// What an invoice line bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The plan's base fee for the line's period, `proration.used_days()` of
    /// `proration.period_days()` of it.
    BaseFee {
        timing: FeeTiming,
        proration: ProrationFactor,
    },
    /// One charge's usage.
    Usage { meter: Meter },
    /// What tops a charge up to its minimum.
    ChargeMinimum { meter: Meter },
    /// What tops the period's usage charges up to the plan's minimum commitment.
    MinimumCommitment,
    /// The part of a base fee paid in advance that a plan change or a termination left
    /// unused, given back: `proration.used_days()` is the days *credited* (from the change
    /// to the period's end) of `proration.period_days()`. The only kind whose amount is
    /// negative (see [`rate_unused_time_credit`](super::rate_unused_time_credit)).
    UnusedTimeCredit { proration: ProrationFactor },
}

impl LineKind {
    /// Whether the line gives money back (its amount and unit price are zero or less).
    pub fn is_credit(&self) -> bool {
        matches!(self, Self::UnusedTimeCredit { .. })
    }
}

/// One line: `quantity` units of which `free_quantity` were free, at an effective
/// `unit_price`, for `amount`.
///
/// `amount` is the only authoritative figure: it is the line's exact price rounded once to
/// the currency's minor unit, half-even. `unit_price` is that exact price divided by the
/// billed (non-free) units, unrounded, for display: tiered and package prices have no single
/// unit price, and `billed units × unit_price` only approximates `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    kind: LineKind,
    period: BillingPeriod,
    quantity: Decimal,
    free_quantity: Decimal,
    unit_price: Decimal,
    amount: Money,
}

impl InvoiceLine {
    /// # Errors
    /// `Invalid` when `amount` has digits below its currency's minor unit (lines are rounded
    /// before they are added up), more units are free than used, or a credit line's amount or
    /// unit price is above zero; `Negative` for a negative quantity, and for a negative unit
    /// price or amount of any kind but [`LineKind::UnusedTimeCredit`] (the unused part of a
    /// fee paid in advance, given back on the next invoice; refunding an invoice is a credit
    /// note, not a negative line).
    pub fn new(
        kind: LineKind,
        period: BillingPeriod,
        quantity: Decimal,
        free_quantity: Decimal,
        unit_price: Decimal,
        amount: Money,
    ) -> Result<Self, DomainError> {
        let quantity = non_negative("quantity", quantity)?;
        let free_quantity = non_negative("free quantity", free_quantity)?;
        let unit_price = if kind.is_credit() {
            non_positive("unit price", unit_price)?
        } else {
            non_negative("unit price", unit_price)?
        };
        if kind.is_credit() {
            non_positive("line amount", amount.amount())?;
        } else {
            non_negative("line amount", amount.amount())?;
        }
        if free_quantity > quantity {
            return Err(DomainError::Invalid {
                field: "free quantity",
                reason: format!("{free_quantity} free of only {quantity} units"),
            });
        }
        if !amount.is_rounded() {
            return Err(DomainError::Invalid {
                field: "line amount",
                reason: format!(
                    "{amount} has more decimals than {}'s {} minor units: round it first",
                    amount.currency(),
                    amount.currency().minor_units()
                ),
            });
        }
        Ok(Self {
            kind,
            period,
            quantity,
            free_quantity,
            unit_price,
            amount,
        })
    }

    /// A line for one fixed amount (a fee, a top-up or a credit): quantity 1 at the exact
    /// amount.
    ///
    /// # Errors
    /// As [`InvoiceLine::new`]: a negative amount is refused unless the line is a credit.
    pub fn fixed(kind: LineKind, period: BillingPeriod, exact: Money) -> Result<Self, DomainError> {
        let amount = exact.round_to_minor_half_even();
        Self::new(
            kind,
            period,
            Decimal::ONE,
            Decimal::ZERO,
            exact.amount(),
            amount,
        )
    }

    pub fn kind(&self) -> LineKind {
        self.kind
    }

    /// The span of service the line bills (a base fee in advance bills the coming period).
    pub fn period(&self) -> BillingPeriod {
        self.period
    }

    pub fn quantity(&self) -> Decimal {
        self.quantity
    }

    pub fn free_quantity(&self) -> Decimal {
        self.free_quantity
    }

    pub fn billed_quantity(&self) -> Decimal {
        self.quantity - self.free_quantity
    }

    pub fn unit_price(&self) -> Decimal {
        self.unit_price
    }

    /// Rounded to the currency's minor unit.
    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// `value` when it is zero or less (a credit).
fn non_positive(field: &'static str, value: Decimal) -> Result<Decimal, DomainError> {
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    if value.is_sign_positive() {
        return Err(DomainError::Invalid {
            field,
            reason: format!(
                "{value} on a credit line, which gives money back: it must be negative"
            ),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::billing::{Currency, Proration};

    fn january() -> BillingPeriod {
        let at = |m| Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap();
        BillingPeriod::new(at(1), at(2)).unwrap()
    }

    #[test]
    fn lines_hold_rounded_non_negative_amounts() {
        let usage = LineKind::Usage {
            meter: Meter::Requests,
        };
        let line = |amount: &str, quantity: i64, free: i64| {
            let amount = Money::new(amount.parse().unwrap(), Currency::USD);
            let (quantity, free) = (Decimal::from(quantity), Decimal::from(free));
            InvoiceLine::new(usage, january(), quantity, free, Decimal::ONE, amount)
        };
        assert_eq!(line("1.25", 3, 1).unwrap().billed_quantity(), Decimal::TWO);
        assert!(matches!(
            line("1.255", 3, 1),
            Err(DomainError::Invalid { .. })
        ));
        assert!(matches!(
            line("-1.25", 3, 1),
            Err(DomainError::Negative { .. })
        ));
        assert!(matches!(
            line("1.25", 3, 4),
            Err(DomainError::Invalid { .. })
        ));
        assert!(matches!(
            line("1.25", -3, 0),
            Err(DomainError::Negative { .. })
        ));
    }

    #[test]
    fn a_fixed_line_rounds_its_exact_amount_once() {
        let exact = Money::new("54.8387096774".parse().unwrap(), Currency::USD);
        let line = InvoiceLine::fixed(LineKind::MinimumCommitment, january(), exact).unwrap();
        assert_eq!(line.amount().to_string(), "54.84 USD");
        assert_eq!(line.unit_price(), exact.amount());
        assert_eq!(line.quantity(), Decimal::ONE);
    }

    #[test]
    fn only_a_credit_line_is_negative_and_it_is_never_positive() {
        let factor = Proration::Partial {
            active: BillingPeriod::new(
                Utc.with_ymd_and_hms(2025, 1, 11, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap(),
            )
            .unwrap(),
        }
        .factor(&january())
        .unwrap();
        let credit = LineKind::UnusedTimeCredit { proration: factor };
        let usd = |text: &str| Money::new(text.parse().unwrap(), Currency::USD);
        let line = InvoiceLine::fixed(credit, january(), usd("-21.005")).unwrap();
        assert_eq!(line.amount().to_string(), "-21.00 USD");
        assert_eq!(line.unit_price(), "-21.005".parse::<Decimal>().unwrap());
        assert!(matches!(
            InvoiceLine::fixed(credit, january(), usd("21")),
            Err(DomainError::Invalid { .. })
        ));
        assert!(matches!(
            InvoiceLine::fixed(LineKind::MinimumCommitment, january(), usd("-21")),
            Err(DomainError::Negative { .. })
        ));
        let fee = LineKind::BaseFee {
            timing: FeeTiming::Advance,
            proration: factor,
        };
        assert!(matches!(
            InvoiceLine::fixed(fee, january(), usd("-21")),
            Err(DomainError::Negative { .. })
        ));
    }
}

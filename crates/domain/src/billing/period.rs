//! Billing periods: the span of time a plan's fees and usage are billed for.

use chrono::{DateTime, Months, TimeDelta, Utc};

use crate::DomainError;

/// How often a plan bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    Monthly,
    Yearly,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "monthly" => Some(Self::Monthly),
            "yearly" => Some(Self::Yearly),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
        }
    }

    /// `anchor` moved forward by `cycles` intervals, counted from the anchor itself so that a
    /// subscription anchored on the 31st bills on the 31st (or the month's last day) every
    /// month, instead of drifting to the 28th after February.
    fn step(self, anchor: DateTime<Utc>, cycles: u32) -> Option<DateTime<Utc>> {
        let months = match self {
            Self::Monthly => cycles,
            Self::Yearly => cycles.checked_mul(12)?,
        };
        anchor.checked_add_months(Months::new(months))
    }
}

/// A half-open span of time `[start, end)` in UTC: `start` is billed, `end` is the next
/// period's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BillingPeriod {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl BillingPeriod {
    /// # Errors
    /// `Invalid` unless `start` is before `end`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, DomainError> {
        if start >= end {
            return Err(DomainError::Invalid {
                field: "billing period",
                reason: format!("start {start} must be before end {end}"),
            });
        }
        Ok(Self { start, end })
    }

    /// The `cycle`-th period (0 is the first) of a subscription anchored at `anchor`.
    ///
    /// # Errors
    /// `OutOfRange` when the period would end past the dates chrono can represent.
    pub fn of_cycle(
        anchor: DateTime<Utc>,
        interval: Interval,
        cycle: u32,
    ) -> Result<Self, DomainError> {
        let out_of_range = || DomainError::OutOfRange {
            field: "billing period",
            text: format!("cycle {cycle} from {anchor}"),
        };
        let start = interval.step(anchor, cycle).ok_or_else(out_of_range)?;
        let end = cycle
            .checked_add(1)
            .and_then(|next| interval.step(anchor, next))
            .ok_or_else(out_of_range)?;
        Self::new(start, end)
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// Whether `other` lies entirely within this period.
    pub fn covers(&self, other: &Self) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The UTC calendar days billed for this span: every date from `start`'s up to, but not
    /// including, `end`'s. `[Jan 1, Feb 1)` has 31 and `[Jan 15 14:00, Feb 1)` has 17: a
    /// customer who starts during a day pays for that day. A span ending during a day does not
    /// pay for it: the next span, which starts that day, does. So contiguous spans (the phases
    /// of a period split by plan changes) add up to exactly the period's days, and the day of
    /// a change is billed once, on the new plan.
    pub fn days(&self) -> u32 {
        let days = (self.end.date_naive() - self.start.date_naive()).num_days();
        u32::try_from(days).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn a_period_starts_before_it_ends() {
        assert!(BillingPeriod::new(at(2025, 1, 1, 0), at(2025, 1, 1, 0)).is_err());
        assert!(BillingPeriod::new(at(2025, 2, 1, 0), at(2025, 1, 1, 0)).is_err());
        let january = BillingPeriod::new(at(2025, 1, 1, 0), at(2025, 2, 1, 0)).unwrap();
        assert!(january.contains(at(2025, 1, 31, 23)));
        assert!(!january.contains(at(2025, 2, 1, 0)));
    }

    #[test]
    fn monthly_cycles_step_from_the_anchor_without_drifting() {
        let anchor = at(2024, 1, 31, 0);
        let february = BillingPeriod::of_cycle(anchor, Interval::Monthly, 1).unwrap();
        assert_eq!(february.start(), at(2024, 2, 29, 0));
        assert_eq!(february.end(), at(2024, 3, 31, 0));
        let april = BillingPeriod::of_cycle(anchor, Interval::Monthly, 3).unwrap();
        assert_eq!(
            (april.start(), april.end()),
            (at(2024, 4, 30, 0), at(2024, 5, 31, 0))
        );
        let year = BillingPeriod::of_cycle(at(2024, 2, 29, 0), Interval::Yearly, 0).unwrap();
        assert_eq!(year.end(), at(2025, 2, 28, 0));
        assert_eq!(year.days(), 365);
        assert!(BillingPeriod::of_cycle(anchor, Interval::Yearly, u32::MAX).is_err());
    }

    #[test]
    fn days_count_the_dates_from_the_start_up_to_the_end() {
        let days = |start, end| BillingPeriod::new(start, end).unwrap().days();
        assert_eq!(days(at(2025, 1, 1, 0), at(2025, 2, 1, 0)), 31);
        assert_eq!(days(at(2024, 2, 1, 0), at(2024, 3, 1, 0)), 29);
        assert_eq!(days(at(2025, 1, 15, 14), at(2025, 2, 1, 0)), 17);
        assert_eq!(days(at(2025, 1, 15, 14), at(2025, 2, 15, 14)), 31);
        // Split anywhere, the parts add up to the whole: the change day goes to the later part.
        let split = at(2025, 1, 20, 9);
        assert_eq!(
            days(at(2025, 1, 15, 14), split) + days(split, at(2025, 2, 15, 14)),
            31
        );
        assert_eq!(days(at(2025, 1, 15, 14), at(2025, 1, 15, 15)), 0);
        assert_eq!(days(at(2025, 1, 15, 14), at(2025, 1, 16, 1)), 1);
        assert_eq!(Interval::parse("yearly"), Some(Interval::Yearly));
        assert_eq!(Interval::Monthly.as_str(), "monthly");
    }
}

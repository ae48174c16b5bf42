//! How long after the first attempt a later one is due, in whole hours as settings write it:
//! `0`, `36h`, `3d`.

use std::{fmt, str::FromStr};

use chrono::TimeDelta;

use super::DunningError;
use crate::DomainError;

/// An offset in whole hours. Hours are as fine as dunning needs (banks settle in days), and
/// whole hours print back exactly as they were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RetryOffset {
    hours: u32,
}

impl RetryOffset {
    pub const ZERO: Self = Self { hours: 0 };

    pub const fn hours(hours: u32) -> Self {
        Self { hours }
    }

    /// Saturates at `u32::MAX` hours, far past any policy's limit, which then refuses it.
    pub const fn days(days: u32) -> Self {
        Self {
            hours: days.saturating_mul(24),
        }
    }

    pub const fn as_hours(self) -> u32 {
        self.hours
    }

    pub fn as_time_delta(self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.hours))
    }
}

impl fmt::Display for RetryOffset {
    /// `0`, whole days as `3d`, anything else as `36h`: the shortest form that reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hours {
            0 => f.write_str("0"),
            hours if hours % 24 == 0 => write!(f, "{}d", hours / 24),
            hours => write!(f, "{hours}h"),
        }
    }
}

impl FromStr for RetryOffset {
    type Err = DomainError;

    /// `0`, `<n>h` or `<n>d`, with decimal digits only (no sign, no fraction): a setting
    /// like `1.5d` or `-1d` is a typo to report, not a value to guess at.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let unreadable = || DunningError::UnreadableOffset {
            text: trimmed.to_owned(),
        };
        if trimmed == "0" {
            return Ok(Self::ZERO);
        }
        let (digits, hours_per_unit) = if let Some(digits) = trimmed.strip_suffix('d') {
            (digits, 24)
        } else if let Some(digits) = trimmed.strip_suffix('h') {
            (digits, 1)
        } else {
            return Err(unreadable().into());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unreadable().into());
        }
        let hours = digits
            .parse::<u32>()
            .ok()
            .and_then(|count| count.checked_mul(hours_per_unit))
            .ok_or_else(unreadable)?;
        Ok(Self { hours })
    }
}

//! When to charge a failed invoice again, and what happens to the customer when the last try
//! fails too.
//!
//! A policy is a list of offsets from the first attempt (`0, 1d, 3d, 7d, 14d` by default):
//! attempt `n` is due at `first attempt + offset n`. Offsets count from the first attempt,
//! not from the previous one, so a late or slow attempt does not push every later one back.

mod offset;
#[cfg(test)]
mod tests;

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use thiserror::Error;

pub use offset::RetryOffset;

use crate::{DomainError, error::cut};

/// What is wrong with a dunning policy. One error code (`invalid_dunning_policy`), each
/// variant with a message that names what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DunningError {
    #[error("at least one attempt is needed")]
    NoAttempts,
    #[error(
        "{count} attempts is too many: at most {}",
        DunningPolicy::MAX_ATTEMPTS
    )]
    TooManyAttempts { count: usize },
    #[error("the first attempt must be immediate (offset 0), not {first}")]
    FirstNotImmediate { first: RetryOffset },
    #[error(
        "attempt {attempt} at {offset} must come after attempt {} at {previous}: list offsets \
         in increasing order",
        .attempt - 1
    )]
    NotIncreasing {
        attempt: usize,
        offset: RetryOffset,
        previous: RetryOffset,
    },
    #[error(
        "the last attempt at {offset} is too late: at most {} days after the first",
        DunningPolicy::MAX_OFFSET_DAYS
    )]
    TooLate { offset: RetryOffset },
    #[error("`{}` is not an offset: give 0, hours (36h) or days (3d)", cut(.text))]
    UnreadableOffset { text: String },
    #[error("`{}` is not one of none, suspend, terminate", cut(.text))]
    UnknownAfterLast { text: String },
}

impl From<DunningError> for DomainError {
    fn from(error: DunningError) -> Self {
        Self::InvalidDunning(error)
    }
}

/// What happens to the customer's subscription once the last attempt has failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AfterLastAttempt {
    /// Nothing: the invoice becomes uncollectible and the operator decides. The default,
    /// since cutting a customer off must be the operator's choice, not a surprise.
    #[default]
    None,
    /// Service is paused until the invoice is paid.
    Suspend,
    /// The subscription ends.
    Terminate,
}

impl AfterLastAttempt {
    pub const ALL: [Self; 3] = [Self::None, Self::Suspend, Self::Terminate];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Suspend => "suspend",
            Self::Terminate => "terminate",
        }
    }
}

impl fmt::Display for AfterLastAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AfterLastAttempt {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|after| after.as_str() == text.trim())
            .ok_or_else(|| {
                DunningError::UnknownAfterLast {
                    text: text.to_owned(),
                }
                .into()
            })
    }
}

/// When a failed invoice is charged again. Valid by construction: 1 to 10 attempts, the
/// first immediate, each later than the one before, the last at most 60 days after the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningPolicy {
    offsets: Vec<RetryOffset>,
    after_last: AfterLastAttempt,
}

impl DunningPolicy {
    /// Card networks count retries; past ten, issuers and Stripe treat them as abuse.
    pub const MAX_ATTEMPTS: usize = 10;
    /// Past two months the customer has long forgotten the invoice, and the card's
    /// authorization data may have expired.
    pub const MAX_OFFSET_DAYS: u32 = 60;

    /// Issuer answers after which no retry may be made: the card is gone (lost, stolen, to
    /// be retained, wrong number) or the charge looked fraudulent, so another try cannot
    /// succeed, and card network rules fine merchants for retrying such answers. The
    /// `do_not_try_again` decline code says so by name.
    const FINAL_DECLINES: [&'static str; 6] = [
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "incorrect_number",
        "do_not_try_again",
    ];

    /// # Errors
    /// `InvalidDunning` for an empty list or more than 10 attempts, a first offset other
    /// than 0, offsets not strictly increasing, or a last offset past 60 days.
    pub fn new(
        offsets: Vec<RetryOffset>,
        after_last: AfterLastAttempt,
    ) -> Result<Self, DomainError> {
        let first = *offsets.first().ok_or(DunningError::NoAttempts)?;
        if offsets.len() > Self::MAX_ATTEMPTS {
            return Err(DunningError::TooManyAttempts {
                count: offsets.len(),
            }
            .into());
        }
        if first != RetryOffset::ZERO {
            return Err(DunningError::FirstNotImmediate { first }.into());
        }
        for (index, pair) in offsets.windows(2).enumerate() {
            if let [previous, offset] = *pair
                && offset <= previous
            {
                return Err(DunningError::NotIncreasing {
                    attempt: index + 2,
                    offset,
                    previous,
                }
                .into());
            }
        }
        if let Some(&last) = offsets.last()
            && last > RetryOffset::days(Self::MAX_OFFSET_DAYS)
        {
            return Err(DunningError::TooLate { offset: last }.into());
        }
        Ok(Self {
            offsets,
            after_last,
        })
    }

    /// A policy from its settings: offsets separated by commas (`0, 1d, 3d, 36h`) and the
    /// name of what happens after the last attempt.
    ///
    /// # Errors
    /// `InvalidDunning` for an unreadable offset or name, else as [`DunningPolicy::new`].
    pub fn parse(offsets: &str, after_last: &str) -> Result<Self, DomainError> {
        let offsets = offsets
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<RetryOffset>, _>>()?;
        Self::new(offsets, after_last.parse()?)
    }

    pub fn offsets(&self) -> &[RetryOffset] {
        &self.offsets
    }

    pub fn attempts(&self) -> usize {
        self.offsets.len()
    }

    pub fn after_last(&self) -> AfterLastAttempt {
        self.after_last
    }

    /// The offsets as the settings write them (`0, 1d, 3d, 7d, 14d`); [`DunningPolicy::parse`]
    /// reads it back.
    pub fn offsets_text(&self) -> String {
        self.offsets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// When the next attempt is due, `attempts_made` having been made since the first at
    /// `first_attempt_at`; `None` once every attempt was made (the schedule is over and
    /// [`after_last`](Self::after_last) applies). With none made yet, the first is due at
    /// `first_attempt_at` itself.
    pub fn next_attempt_at(
        &self,
        first_attempt_at: DateTime<Utc>,
        attempts_made: usize,
    ) -> Option<DateTime<Utc>> {
        let offset = self.offsets.get(attempts_made)?;
        first_attempt_at.checked_add_signed(offset.as_time_delta())
    }

    /// Whether the schedule is over after `attempts_made` attempts.
    pub fn is_exhausted(&self, attempts_made: usize) -> bool {
        attempts_made >= self.offsets.len()
    }

    /// Whether a decline ends the schedule at once, whatever attempts are left: the network
    /// advises `do_not_try_again`, or the issuer's reason says the card is gone or the charge
    /// fraudulent (see `FINAL_DECLINES`). Other declines (`insufficient_funds`,
    /// `try_again_later`) are what the schedule is for.
    pub fn stops_retrying(advice_code: Option<&str>, decline_code: Option<&str>) -> bool {
        advice_code == Some("do_not_try_again")
            || decline_code.is_some_and(|code| Self::FINAL_DECLINES.contains(&code))
    }
}

impl Default for DunningPolicy {
    /// `0, 1d, 3d, 7d, 14d`: most soft declines (insufficient funds) clear within days of
    /// payday, and two weeks stays inside one monthly billing period.
    fn default() -> Self {
        Self {
            offsets: [0, 1, 3, 7, 14].map(RetryOffset::days).to_vec(),
            after_last: AfterLastAttempt::default(),
        }
    }
}

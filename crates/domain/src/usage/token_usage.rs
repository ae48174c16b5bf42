//! Token counts of one call.

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenUsage {
    pub prompt: u64,
    pub completion: u64,
    pub total: u64,
    /// Prompt tokens served from the provider's prompt cache (a subset of `prompt`).
    pub cached: u64,
    /// Completion tokens spent on reasoning (a subset of `completion`).
    pub reasoning: u64,
}

impl TokenUsage {
    /// Builds the counts from signed values as they arrive on the wire.
    ///
    /// # Errors
    /// `DomainError::Negative` naming the first negative count.
    pub fn from_signed(
        prompt: i64,
        completion: i64,
        total: i64,
        cached: i64,
        reasoning: i64,
    ) -> Result<Self, DomainError> {
        let non_negative = |field: &'static str, value: i64| {
            u64::try_from(value).map_err(|_| DomainError::Negative {
                field,
                value: value.to_string(),
            })
        };
        Ok(Self {
            prompt: non_negative("prompt_tokens", prompt)?,
            completion: non_negative("completion_tokens", completion)?,
            total: non_negative("total_tokens", total)?,
            cached: non_negative("cached_tokens", cached)?,
            reasoning: non_negative("reasoning_tokens", reasoning)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_counts_name_the_field() {
        let err = TokenUsage::from_signed(1, -2, 3, 0, 0).unwrap_err();
        assert_eq!(
            err,
            DomainError::Negative {
                field: "completion_tokens",
                value: "-2".into()
            }
        );
        assert_eq!(TokenUsage::from_signed(10, 20, 30, 4, 5).unwrap().total, 30);
    }
}

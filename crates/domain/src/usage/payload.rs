//! The usage event and its identifying value objects.

use chrono::{DateTime, Utc};

use super::TokenUsage;
use crate::{DomainError, money::UsdAmount};

/// What makes two deliveries the same event: retries and races must not store it twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 512;

    /// # Errors
    /// `Empty` for blank text, `TooLong` past 512 characters.
    pub fn parse(text: impl Into<String>) -> Result<Self, DomainError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(DomainError::Empty {
                field: "idempotency key",
            });
        }
        if text.len() > Self::MAX_LEN {
            return Err(DomainError::TooLong {
                field: "idempotency key",
                len: text.len(),
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The end customer a call is billed to, as the operator names it (LiteLLM's `end_user`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(String);

impl CustomerId {
    pub const MAX_LEN: usize = 255;

    /// # Errors
    /// `Empty` for blank text, `TooLong` past 255 characters.
    pub fn parse(text: impl Into<String>) -> Result<Self, DomainError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(DomainError::Empty { field: "customer" });
        }
        if text.len() > Self::MAX_LEN {
            return Err(DomainError::TooLong {
                field: "customer",
                len: text.len(),
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short free-text attribute (model name, key alias, team id...), cut to a sane length so
/// one odd sender cannot bloat every row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

impl Label {
    pub const MAX_LEN: usize = 255;

    /// Keeps non-blank text, cut at 255 bytes on a character boundary; blank text is no label.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let mut end = text.len().min(Self::MAX_LEN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Some(Self(text[..end].to_owned()))
    }

    /// Like [`Label::new`], with `unknown` standing in for blank text.
    pub fn new_or_unknown(text: &str) -> Self {
        Self::new(text).unwrap_or_else(|| Self("unknown".to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStatus {
    Success,
    /// `error_code` is the upstream's HTTP status as text (`"500"`, `"401"`) when known.
    Failure {
        error_code: Option<Label>,
    },
}

impl CallStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure { .. } => "failure",
        }
    }

    pub fn error_code(&self) -> Option<&Label> {
        match self {
            Self::Success => None,
            Self::Failure { error_code } => error_code.as_ref(),
        }
    }
}

/// One LLM call outcome, minimized to what metering, billing and support need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPayload {
    pub idempotency_key: IdempotencyKey,
    pub occurred_at: DateTime<Utc>,
    pub customer: Option<CustomerId>,
    /// SHA-256 of the API key used, as LiteLLM reports it: the stable key id.
    pub api_key_hash: Option<Label>,
    pub api_key_alias: Option<Label>,
    pub user_id: Option<Label>,
    pub team_id: Option<Label>,
    pub org_id: Option<Label>,
    /// The public model name the client asked for (what the customer is billed for).
    pub model_group: Option<Label>,
    pub provider_model: Option<Label>,
    pub provider: Option<Label>,
    pub call_type: Option<Label>,
    pub status: CallStatus,
    pub tokens: TokenUsage,
    pub cost: UsdAmount,
    pub cache_hit: bool,
    pub stream: bool,
    pub trace_id: Option<Label>,
    pub request_tags: Vec<Label>,
}

impl EventPayload {
    pub fn is_billable(&self) -> bool {
        self.status == CallStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_must_be_present_and_bounded() {
        assert!(IdempotencyKey::parse("abc").is_ok());
        assert!(IdempotencyKey::parse("  ").is_err());
        assert!(IdempotencyKey::parse("k".repeat(513)).is_err());
    }

    #[test]
    fn labels_are_trimmed_and_cut_on_a_char_boundary() {
        assert_eq!(Label::new("  gpt-4o "), Label::new("gpt-4o"));
        assert_eq!(Label::new("   "), None);
        let long = "é".repeat(200);
        let label = Label::new(&long).unwrap();
        assert!(label.as_str().len() <= Label::MAX_LEN);
        assert!(label.as_str().chars().all(|c| c == 'é'));
    }
}

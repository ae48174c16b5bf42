//! Usage events: one LLM call outcome as Tollgate keeps it, whatever sent it.
//!
//! An [`EventPayload`] holds only what metering, billing and support need. Prompts,
//! completions, request headers and client addresses have no field here, so they cannot be
//! stored by mistake.

mod payload;
mod token_usage;

pub use payload::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label};
pub use token_usage::TokenUsage;

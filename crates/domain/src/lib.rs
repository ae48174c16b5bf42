//! Tollgate's domain: entities, value objects and pure rules. No I/O, no async, no framework
//! types: everything here can be tested with plain `#[test]`s.

pub mod access;
pub mod alert;
pub mod api_key;
pub mod audit;
pub mod billing;
pub mod error;
pub mod error_code;
pub mod idempotency;
pub mod metering;
pub mod money;
pub mod organization;
pub mod outbound_webhook;
pub mod payment;
pub mod privacy;
pub mod settings;
pub mod usage;
pub mod webhook_secret;

pub use error::DomainError;
pub use error_code::{ErrorCode, QuarantineCode};

//! LiteLLM's wire formats (proxy 1.108.7), turned into domain values.
//!
//! The usage webhook (`generic_api` logger) sends `StandardLoggingPayload` objects as a JSON
//! array, as NDJSON, or one object per request, always as `application/json`. Every field may
//! be null or absent and unknown fields come and go between releases, so decoding is lenient
//! per field and strict only where money depends on it. Each event is decoded on its own: one
//! unusable event becomes a [`RejectedEvent`](tollgate_application::services::ingest::RejectedEvent)
//! and never sinks its batch.
//!
//! Speed: an event is about 13 KB, most of it prompt, completion and LiteLLM's price map. The
//! wire structs borrow from the body and name only the fields we keep; serde skips the rest
//! without building values, and numbers stay as their JSON text until parsed exactly.

mod alert;
mod body;
mod mapping;
mod quarantine;
mod wire;

pub use alert::{AlertError, decode_alert};
pub use body::{BodyError, decode_usage_body};
pub use mapping::{CustomerFallback, DecodeOptions};

#[cfg(test)]
mod tests;

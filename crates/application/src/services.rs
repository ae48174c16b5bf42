//! The use cases.

pub mod access;
pub mod analytics;
pub mod api_keys;
pub mod customers;
pub mod dispatcher;
pub mod settings;
pub mod webhook;

pub use webhook::{
    DecodedEvent, GroupCommit, GroupCommitSettings, IngestReport, RejectedEvent, WebhookService,
    WebhookSettings,
};

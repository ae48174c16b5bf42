//! The use cases.

pub mod access;
pub mod analytics;
pub mod api_keys;
pub mod customers;
pub mod dispatcher;
pub mod engine_webhooks;
pub mod invoices;
pub mod period_close;
pub mod plans;
pub mod settings;
pub mod subscriptions;
pub mod webhook;

pub use webhook::{
    DecodedEvent, GroupCommit, GroupCommitSettings, IngestReport, RejectedEvent, WebhookService,
    WebhookSettings,
};

//! The use cases.

pub mod webhook;

pub use webhook::{
    DecodedEvent, GroupCommit, GroupCommitSettings, IngestReport, RejectedEvent, WebhookService,
    WebhookSettings,
};

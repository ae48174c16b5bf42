//! Ingestion: LiteLLM's webhook batches become stored usage events, exactly once, with their
//! outbox rows; what cannot be used is quarantined without its content.

pub mod webhook;

pub use webhook::{
    CommitObserver, DecodedEvent, GroupCommit, GroupCommitSettings, IngestReport, RejectedEvent,
    WebhookService, WebhookSettings,
};

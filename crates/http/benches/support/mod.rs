//! What the load generators (`ingest_load`, `metering_load`) share. Each bench target is its
//! own crate, so each includes this folder as a module (`#[path = "support/mod.rs"] mod
//! support;`) rather than depending on a library; everything here is used by both.

pub mod cli;
pub mod events;
pub mod http;
pub mod latency;
pub mod proc;
pub mod results;

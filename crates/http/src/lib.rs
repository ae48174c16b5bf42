//! Tollgate's HTTP entry point (actix-web) and its composition root.

pub mod access;
pub mod body;
pub mod bootstrap;
pub mod charts;
pub mod error;
pub mod extract;
pub mod healthcheck;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod probes;
pub mod readiness;
pub mod routes;
pub mod settings;
pub mod state;
pub mod telemetry;
pub mod web;

pub use bootstrap::{Application, StartupError};
pub use settings::Settings;
